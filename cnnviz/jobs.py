"""Server-wide training jobs: a queue, worker processes, live chart-ready state.

One :class:`JobManager` per server (the UI keeps it in ``st.cache_resource``).

* :meth:`JobManager.submit` validates a :class:`~cnnviz.training.TrainConfig` and returns a job id.
  At most ``max_jobs`` jobs run at once (default: half the cores, at least 1; ``CNNVIZ_MAX_JOBS``)
  on the whole machine: the limit is :class:`cnnviz.slots.Slots` (lock files in ``CNNVIZ_SLOTS_DIR``),
  shared by every server process (replica) that uses the same folder; a job starts only once it holds a
  slot.  The others wait in a FIFO queue and know their position.  One owner may have at most
  ``max_per_owner`` jobs queued or running (``CNNVIZ_MAX_RUNS_PER_OWNER``, default 2).
* Each job runs :func:`cnnviz.training.train` (the one trainer) in its own process,
  ``python -m cnnviz.worker`` (see :mod:`cnnviz.worker`): torch trains about 2x slower when another
  thread of the same process runs torch ops, so training stays out of the server process.
* The manager and a worker share only pipes and files, never a lock: the worker's events arrive on a
  pipe that a background thread reads without blocking, a stop request is a file the worker looks for
  between steps, and every wait on a process has a deadline.  A worker killed at any moment (the
  out-of-memory killer's SIGKILL) leaves its job ``failed`` with a reason, and the manager answering.
* :meth:`JobManager.stop` ends a job as ``stopped``; it keeps its weights and charts.
* At the end the worker saves the weights to a temporary checkpoint and sends the test-set predictions
  (for the confusion matrix and the misclassified gallery).
* Owners (browser sessions) call :meth:`JobManager.heartbeat`; jobs of an owner that has been silent for
  ``orphan_timeout`` seconds, and that the optional ``liveness`` callback does not vouch for, are
  stopped, and their files and records removed.  Nothing outlives :meth:`JobManager.close`.

This module never imports streamlit.  It imports :mod:`cnnviz.training` (and so torch) for the event
classes it receives, but the manager's thread never runs a torch operation.
"""

from __future__ import annotations

import atexit
import contextlib
import itertools
import os
import pickle
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from .messages import MessageError, Msg, msg
from .slots import Slot, Slots
from .training import EndEvent, EpochEvent, EvalEvent, StepEvent, TrainConfig
from .worker import STOP_FILE, split_frames, write_frame

ACTIVE = ("queued", "starting", "running", "stopping")
FINISHED = ("done", "stopped", "failed")
PACKAGE_ROOT = Path(__file__).resolve().parents[1]   # the folder that holds cnnviz/, for python -m


class TooManyRuns(MessageError):
    """An owner already has the most runs queued or training that the server allows."""


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value < 1:
        raise ValueError(f"{name} must be a whole number >= 1, got {raw!r}")
    return value


def default_max_jobs() -> int:
    """``CNNVIZ_MAX_JOBS`` if set, else half the cores (at least 1)."""
    return _env_int("CNNVIZ_MAX_JOBS", max(1, (os.cpu_count() or 1) // 2))


def default_max_per_owner() -> int:
    """``CNNVIZ_MAX_RUNS_PER_OWNER`` if set, else 2: runs one person may have queued or training."""
    return _env_int("CNNVIZ_MAX_RUNS_PER_OWNER", 2)


def default_threads_per_job(max_jobs: int) -> int:
    """torch threads per training: the cores but one (the server's, for the pages), split among the
    ``max_jobs`` runs, at least 1.  On 2 cores a run gets one thread: with two, its threads wait for
    each other whenever the server takes a core, and training ran ~20x slower under page load."""
    return max(1, ((os.cpu_count() or 1) - 1) // max_jobs)


def describe_exit(code: int | None) -> Msg:
    if code is None:
        return msg("train.exit.none")
    if code < 0:
        try:
            return msg("train.exit.signal", signal=signal.Signals(-code).name)
        except ValueError:
            return msg("train.exit.signal", signal=-code)
    return msg("train.exit.code", code=code)


def _ray_from_env() -> Any:
    """A :class:`cnnviz.ray_backend.RayBackend` when ``CNNVIZ_RAY_ADDRESS`` is set, else None."""
    from .ray_backend import RayBackend, ray_address

    return RayBackend() if ray_address() else None


# ----------------------------------------------------------------------------- state

@dataclass
class JobResult:
    """What a finished worker sends back."""

    checkpoint: Path | None          # temporary safetensors file (None if it could not be saved)
    labels: np.ndarray               # test labels (int64)
    preds: np.ndarray                # test predictions (int64)
    confidence: np.ndarray           # softmax probability of the predicted class
    wrong_index: np.ndarray          # indices of misclassified test images, most confident first
    wrong_images: np.ndarray         # uint8 (K, 28, 28), the images at ``wrong_index``
    classes: list[str]
    checkpoint_error: Msg | None = None


@dataclass
class JobState:
    """A snapshot of one job: everything the page shows, chart-ready."""

    id: str
    owner: str
    config: TrainConfig
    status: str = "queued"           # queued, starting, running, stopping, done, stopped, failed
    reason: Msg | None = None
    submitted: float = 0.0           # time.time()
    finished: float | None = None
    queue_position: int | None = None  # 1 = next to start
    cluster_wait: bool = False       # on Ray: started, but waiting for a place on the cluster
    pid: int | None = None
    exitcode: int | None = None
    # from the worker
    device: str = ""
    dataset: str = ""
    data_note: Msg | None = None
    params: int | None = None
    n_train: int | None = None
    n_test: int | None = None
    # progress
    epoch: int = 0
    step: int = 0
    total_steps: int = 0
    samples_per_s: float | None = None
    elapsed: float = 0.0             # seconds of training (from the trainer)
    eta: float | None = None         # seconds
    # chart data: one entry per StepEvent ...
    steps: list[int] = field(default_factory=list)
    losses: list[float] = field(default_factory=list)
    running_acc: list[float] = field(default_factory=list)
    # ... per EvalEvent ...
    eval_steps: list[int] = field(default_factory=list)
    eval_epochs: list[int] = field(default_factory=list)
    train_acc: list[float] = field(default_factory=list)
    test_acc: list[float] = field(default_factory=list)
    test_loss: list[float] = field(default_factory=list)
    # ... and per EpochEvent
    epochs: list[dict] = field(default_factory=list)
    end: EndEvent | None = None
    final_test_acc: float | None = None
    train_seconds: float | None = None
    result: JobResult | None = None

    @property
    def active(self) -> bool:
        return self.status in ACTIVE

    @property
    def is_finished(self) -> bool:
        return self.status in FINISHED

    @property
    def progress(self) -> float:
        if self.status == "done":
            return 1.0
        return min(1.0, self.step / self.total_steps) if self.total_steps else 0.0

    def snapshot(self) -> JobState:
        lists = {f: list(getattr(self, f)) for f in (
            "steps", "losses", "running_acc", "eval_steps", "eval_epochs", "train_acc", "test_acc",
            "test_loss", "epochs")}
        return replace(self, config=replace(self.config), **lists)


class _Worker:
    """A worker process and the manager's ends of its pipes (no lock is shared with it)."""

    def __init__(self, threads: int, warm: bool) -> None:
        read_fd, write_fd = os.pipe()
        try:
            self.popen = subprocess.Popen(
                [sys.executable, "-m", "cnnviz.worker", str(write_fd), str(os.getpid()), str(threads),
                 "1" if warm else "0"],
                stdin=subprocess.PIPE, pass_fds=(write_fd,), cwd=str(PACKAGE_ROOT), close_fds=True)
        except BaseException:
            os.close(read_fd)
            raise
        finally:
            os.close(write_fd)
        os.set_blocking(read_fd, False)
        self.read_fd: int | None = read_fd
        self.buffer = bytearray()

    @property
    def pid(self) -> int:
        return self.popen.pid

    def exitcode(self) -> int | None:
        return self.popen.poll()

    def send_task(self, task: tuple) -> None:
        write_frame(self.popen.stdin, task)

    def read(self) -> list[Any]:
        """Every complete message the worker has sent so far (never blocks)."""
        while self.read_fd is not None:
            try:
                chunk = os.read(self.read_fd, 1 << 16)
            except BlockingIOError:
                break
            if not chunk:  # the worker closed its end (it exited)
                self.close_pipe()
                break
            self.buffer += chunk
        out = []
        for blob in split_frames(self.buffer):
            try:
                out.append(pickle.loads(blob))
            except Exception as exc:  # a message that cannot be read: report it, keep going
                out.append(("unreadable", f"{type(exc).__name__}: {exc}"))
        return out

    def close_pipe(self) -> None:
        if self.read_fd is not None:
            os.close(self.read_fd)
            self.read_fd = None

    def end(self, grace: float = 0.0) -> None:
        """Close its stdin (an idle worker exits), wait up to ``grace`` s, then kill it; never blocks longer."""
        with contextlib.suppress(OSError):
            self.popen.stdin.close()
        if grace > 0:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.popen.wait(timeout=grace)
        if self.popen.poll() is None:
            with contextlib.suppress(OSError):
                self.popen.kill()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.popen.wait(timeout=5)
        self.close_pipe()


@dataclass
class _Job:
    state: JobState
    dir: Path
    worker: _Worker | None = None
    slot: Slot | None = None         # the machine-wide training slot it holds while its worker runs
    on_ray: bool = False             # a Ray actor runs it (cnnviz.ray_backend)
    ray_lost: bool = False
    stop_deadline: float | None = None
    stop_reason: Msg | None = None
    got_result: bool = False
    error: Msg | None = None

    @property
    def stop_file(self) -> Path:
        return self.dir / STOP_FILE


# ----------------------------------------------------------------------------- manager

class JobManager:
    """Runs training jobs in worker processes, at most ``max_jobs`` at a time."""

    def __init__(self, max_jobs: int | None = None, orphan_timeout: float | None = None,
                 liveness: Callable[[str], bool | None] | None = None, poll_interval: float = 0.1,
                 stop_grace: float = 60.0, keep_finished: int = 20, root: Path | str | None = None,
                 threads_per_job: int | None = None, prewarm: bool = False,
                 max_per_owner: int | None = None, slots: Slots | None = None, ray: Any = None) -> None:
        if slots is not None:
            max_jobs = slots.limit
        self.max_jobs = max_jobs if max_jobs is not None else default_max_jobs()
        if self.max_jobs < 1:
            raise ValueError("max_jobs must be >= 1")
        # with CNNVIZ_RAY_ADDRESS (or a backend given) every run is a Ray actor and the cluster is the limit;
        # RayUnavailable (a MessageError: the page shows it) when the cluster cannot be used
        self.ray = ray if ray is not None else _ray_from_env()
        # else the limit is the machine's, shared by its replicas
        self.slots = None if self.ray is not None else slots or Slots.from_env(self.max_jobs)
        self.max_per_owner = max_per_owner if max_per_owner is not None else default_max_per_owner()
        if orphan_timeout is None:
            orphan_timeout = float(os.environ.get("CNNVIZ_ORPHAN_TIMEOUT", "120"))
        self.orphan_timeout = orphan_timeout
        self.liveness = liveness
        self.poll_interval = poll_interval
        self.stop_grace = stop_grace
        self.keep_finished = keep_finished
        self.threads_per_job = threads_per_job or default_threads_per_job(self.max_jobs)
        self.prewarm = prewarm and self.ray is None  # keep one idle worker with torch imported, for a fast Start
        self._spare: _Worker | None = None
        self._root = Path(tempfile.mkdtemp(prefix="cnnviz-jobs-", dir=root))
        self._jobs: dict[str, _Job] = {}
        self._pending: list[str] = []
        self._owners: dict[str, float] = {}
        self._lock = threading.RLock()   # the manager's own threads only: no worker ever holds it
        self._closed = False
        self._wake = threading.Event()
        self._counter = itertools.count(1)
        self._thread = threading.Thread(target=self._loop, name="cnnviz-jobs", daemon=True)
        self._thread.start()
        atexit.register(self.close)

    # ------------------------------------------------------------------ public API

    def submit(self, config: TrainConfig, owner: str) -> str:
        """Validate and queue a job; returns its id.  Raises :class:`~cnnviz.training.TrainConfigError`
        for a bad config and :class:`TooManyRuns` when the owner has ``max_per_owner`` active jobs."""
        config = replace(config)
        config.validate()
        with self._lock:
            if self._closed:
                raise RuntimeError("the job manager is closed")
            active = sum(1 for j in self._jobs.values() if j.state.owner == owner and j.state.active)
            if active >= self.max_per_owner:
                raise TooManyRuns("train.error.too_many_runs", count=active, limit=self.max_per_owner)
            job_id = f"{next(self._counter):03d}-{uuid.uuid4().hex[:8]}"
            d = self._root / job_id
            d.mkdir()
            self._jobs[job_id] = _Job(JobState(job_id, owner, config, submitted=time.time()), d)
            self._pending.append(job_id)
            self._owners[owner] = time.monotonic()
            self._renumber()
            self._start_pending()  # start now if a slot is free (the page shows "starting", not "queued")
        self._wake.set()
        return job_id

    def stop(self, job_id: str, reason: Msg | None = None) -> bool:
        """Stop a queued or running job.  Returns False if it had already finished."""
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None or job.state.is_finished:
                return False
            st = job.state
            if st.status == "queued":
                self._pending.remove(job_id)
                self._renumber()
                self._finish(job, "stopped", reason or msg("train.reason.cancelled"))
                return True
            if st.status != "stopping":
                st.status = "stopping"
                job.stop_reason = reason
                job.stop_deadline = time.monotonic() + self.stop_grace
                if self.ray is not None:
                    with contextlib.suppress(Exception):
                        self.ray.stop(job_id)
                with contextlib.suppress(OSError):
                    job.stop_file.touch()
        self._wake.set()
        return True

    def get(self, job_id: str) -> JobState | None:
        with self._lock:
            job = self._jobs.get(job_id)
            return job.state.snapshot() if job else None

    def jobs_for(self, owner: str) -> list[JobState]:
        """The owner's jobs, oldest first."""
        with self._lock:
            return [j.state.snapshot() for j in self._jobs.values() if j.state.owner == owner]

    def heartbeat(self, owner: str) -> None:
        with self._lock:
            self._owners[owner] = time.monotonic()

    def running_count(self) -> int:
        """This manager's jobs that hold a place (starting, running or stopping)."""
        with self._lock:
            return sum(1 for j in self._jobs.values() if j.state.status in ("starting", "running", "stopping"))

    def limit(self) -> int:
        """How many trainings may run at once on this machine (all replicas together), or on the Ray cluster."""
        if self.ray is not None:
            try:
                return self.ray.capacity()
            except Exception:
                return 0
        return self.max_jobs

    def running_total(self) -> int:
        """How many trainings run right now on this machine, started by any replica (with Ray: this
        server's runs that hold a place on the cluster)."""
        if self.ray is None:
            return self.slots.in_use()
        with self._lock:
            return sum(1 for j in self._jobs.values() if j.state.active and j.state.status != "queued"
                       and not j.state.cluster_wait)

    def wait(self, job_id: str, timeout: float = 120.0) -> JobState:
        """Block until the job has finished (for scripts and tests)."""
        deadline = time.monotonic() + timeout
        while True:
            st = self.get(job_id)
            if st is None:
                raise KeyError(job_id)
            if st.is_finished:
                return st
            if time.monotonic() > deadline:
                raise TimeoutError(f"job {job_id} still {st.status} after {timeout:.0f}s")
            time.sleep(0.05)

    def pump(self) -> None:
        """One round of bookkeeping (the background thread calls this every ``poll_interval``)."""
        with self._lock:
            for job in list(self._jobs.values()):
                if job.state.is_finished:
                    continue
                if job.worker is not None:
                    self._drain(job)
                    self._check_process(job)
                elif job.on_ray:
                    self._pump_ray(job)
            self._reap()
            self._start_pending()
            self._keep_spare()

    def close(self) -> None:
        """Stop every job, end every worker, delete the temporary files."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            workers = [j.worker for j in self._jobs.values() if j.worker is not None]
            slots = [j.slot for j in self._jobs.values() if j.slot is not None]
            for job in self._jobs.values():
                job.slot = None
                with contextlib.suppress(OSError):
                    job.stop_file.touch()
            if self._spare is not None:
                workers.append(self._spare)
                self._spare = None
        self._wake.set()
        if self.ray is not None:
            with contextlib.suppress(Exception):
                self.ray.close()
        deadline = time.monotonic() + 5
        for w in workers:
            w.end(grace=max(0.0, deadline - time.monotonic()))
        for slot in slots:   # only once its worker has ended
            slot.release()
        shutil.rmtree(self._root, ignore_errors=True)
        with contextlib.suppress(Exception):
            atexit.unregister(self.close)

    # ------------------------------------------------------------------ internals

    def _loop(self) -> None:
        while not self._closed:
            try:
                self.pump()
            except Exception:  # never let the bookkeeping thread die
                import traceback

                traceback.print_exc()
            self._wake.wait(self.poll_interval)
            self._wake.clear()

    def _renumber(self) -> None:
        for pos, job_id in enumerate(self._pending, 1):
            self._jobs[job_id].state.queue_position = pos

    def _start_pending(self) -> None:
        if self.ray is not None:
            self._start_on_ray()
            return
        while self._pending and not self._closed:
            job_id = self._pending[0]
            slot = self.slots.try_acquire(f"job {job_id}")
            if slot is None:   # every slot of the machine trains (this replica's jobs or another's): wait
                break
            self._pending.pop(0)
            job = self._jobs[job_id]
            job.slot = slot
            st = job.state
            st.status, st.queue_position = "starting", None
            try:
                worker = self._take_spare() or _Worker(self.threads_per_job, warm=False)
                job.worker = worker
                worker.send_task((job_id, st.config.to_dict(), str(job.dir)))
            except Exception as exc:
                if job.worker is not None:
                    job.worker.end()
                self._finish(job, "failed", msg("train.reason.no_worker", error=f"{type(exc).__name__}: {exc}"))
                continue
            st.pid = worker.pid
        self._renumber()

    def _start_on_ray(self) -> None:
        """Every pending job becomes a Ray actor at once: the cluster queues those it has no room for."""
        while self._pending and not self._closed:
            job = self._jobs[self._pending.pop(0)]
            st = job.state
            st.status, st.queue_position = "starting", None
            try:
                self.ray.start(st.id, st.config.to_dict(), out_dir=str(job.dir))
            except Exception as exc:
                reason = exc.message if isinstance(exc, MessageError) else msg(
                    "train.reason.no_worker", error=f"{type(exc).__name__}: {exc}")
                self._finish(job, "failed", reason)
                continue
            job.on_ray = True
        self._renumber()

    def _pump_ray(self, job: _Job) -> None:
        """Feed the run's new events to :meth:`_apply`; once it is done, finish it as a worker's exit would."""
        st = job.state
        try:
            events = self.ray.poll(st.id)
            st.cluster_wait = self.ray.state(st.id) == "waiting"
        except Exception as exc:   # the backend lost the run (the cluster went away)
            events = [("error", msg("ray.reason.worker_failed", error=f"{type(exc).__name__}: {exc}"))]
            job.ray_lost = True
        for event in events:
            if isinstance(event, tuple) and len(event) == 2 and event[0] == "cancelled":   # stopped while it waited
                self._forget_ray(job)
                self._finish(job, "stopped", job.stop_reason or msg("train.reason.cancelled"))
                return
            self._apply(job, event)
        if not job.ray_lost:
            try:
                if not self.ray.done(st.id):
                    if st.status == "stopping" and job.stop_deadline and time.monotonic() > job.stop_deadline:
                        job.error = job.error or msg("train.reason.no_stop", seconds=f"{self.stop_grace:.0f}")
                    else:
                        return
            except Exception as exc:
                job.error = job.error or msg("ray.reason.worker_failed", error=f"{type(exc).__name__}: {exc}")
        self._forget_ray(job)
        status, reason = self._outcome(job)
        self._finish(job, status, reason)

    def _forget_ray(self, job: _Job) -> None:
        job.on_ray = False
        with contextlib.suppress(Exception):
            self.ray.forget(job.state.id)

    def _take_spare(self) -> _Worker | None:
        spare, self._spare = self._spare, None
        if spare is not None and spare.exitcode() is not None:  # it died while waiting
            spare.end()
            return None
        return spare

    def _keep_spare(self) -> None:
        """Keep one warmed-up idle worker while a slot is free (never while all slots train:
        warming up costs a few CPU-seconds that a running job would lose)."""
        if not self.prewarm or self._closed or self._pending:
            return
        if self._spare is not None and self._spare.exitcode() is not None:
            self._take_spare()
        if self._spare is None and self.slots.free() > 0:
            try:
                self._spare = _Worker(self.threads_per_job, warm=True)
            except Exception:
                self._spare = None

    def _drain(self, job: _Job) -> None:
        for message in job.worker.read():
            self._apply(job, message)

    def _apply(self, job: _Job, message: Any) -> None:
        st = job.state
        if isinstance(message, StepEvent):
            if st.status == "starting":
                st.status = "running"
            st.epoch, st.step, st.total_steps = message.epoch, message.step, message.total_steps
            st.samples_per_s, st.elapsed = message.samples_per_s, message.elapsed
            st.steps.append(message.step)
            st.losses.append(message.loss)
            st.running_acc.append(message.running_acc)
            if message.step > 0:
                st.eta = max(0.0, (message.total_steps - message.step) * message.elapsed / message.step)
        elif isinstance(message, EvalEvent):
            st.eval_steps.append(message.step)
            st.eval_epochs.append(message.epoch)
            st.train_acc.append(message.train_acc)
            st.test_acc.append(message.test_acc)
            st.test_loss.append(message.test_loss)
        elif isinstance(message, EpochEvent):
            st.epochs.append(dict(epoch=message.epoch, step=message.step, train_loss=message.train_loss,
                                  train_acc=message.train_acc, test_acc=message.test_acc, elapsed=message.elapsed))
            st.elapsed = message.elapsed
        elif isinstance(message, EndEvent):
            st.end, st.final_test_acc, st.train_seconds = message, message.test_acc, message.elapsed
            st.elapsed, st.step, st.eta = message.elapsed, message.step, 0.0
        elif isinstance(message, tuple) and len(message) == 2:
            self._apply_tuple(job, *message)

    def _apply_tuple(self, job: _Job, kind: str, payload: Any) -> None:
        st = job.state
        if kind == "started":
            if st.status == "starting":
                st.status = "running"
            st.device, st.dataset, st.data_note = payload["device"], payload["dataset"], payload["note"]
            st.params, st.n_train, st.n_test = payload["params"], payload["n_train"], payload["n_test"]
            n = st.n_train or 0
            bs = min(st.config.batch_size, n) if n else st.config.batch_size
            st.total_steps = max(1, -(-n // bs)) * st.config.epochs if n else 0
        elif kind == "result":
            cp = payload.pop("checkpoint")
            st.result = JobResult(checkpoint=Path(cp) if cp else None, **payload)
            job.got_result = True
        elif kind == "error":
            job.error = payload
        elif kind == "unreadable":
            job.error = job.error or msg("train.reason.unreadable", error=payload)

    def _check_process(self, job: _Job) -> None:
        st, worker = job.state, job.worker
        if worker.exitcode() is None:
            if st.status == "stopping" and job.stop_deadline and time.monotonic() > job.stop_deadline:
                worker.end()  # it ignored the stop request for stop_grace seconds
                job.error = job.error or msg("train.reason.no_stop", seconds=f"{self.stop_grace:.0f}")
            else:
                return
        self._drain(job)  # whatever was still in the pipe
        worker.end()
        st.exitcode = worker.exitcode()
        status, reason = self._outcome(job)
        self._finish(job, status, reason)

    def _outcome(self, job: _Job) -> tuple[str, Msg]:
        st = job.state
        if job.got_result and st.end is not None:
            if st.end.status == "stopped" and job.stop_reason:
                return "stopped", job.stop_reason
            return st.end.status, st.end.reason
        if job.error:
            return "failed", job.error
        exit_text = describe_exit(st.exitcode)
        if st.end is not None:
            return "failed", msg("train.reason.ended_early", exit=exit_text)
        return "failed", msg("train.reason.crashed", exit=exit_text)

    def _finish(self, job: _Job, status: str, reason: Msg) -> None:
        """Record the outcome; the job's worker has ended (or never started), so its slot is free again."""
        st = job.state
        st.cluster_wait = False
        st.status, st.reason, st.finished, st.queue_position, st.eta = status, reason, time.time(), None, None
        slot, job.slot = job.slot, None
        if slot is not None:   # after the status: whoever sees the slot taken again sees this job finished
            slot.release()
        # bound the memory a busy owner can use: keep only the newest finished jobs
        mine = [j for j in self._jobs.values() if j.state.owner == st.owner and j.state.is_finished]
        for old in mine[:-self.keep_finished] if self.keep_finished else []:
            self._jobs.pop(old.state.id, None)
            shutil.rmtree(old.dir, ignore_errors=True)

    def _reap(self) -> None:
        now = time.monotonic()
        for owner, seen in list(self._owners.items()):
            if now - seen <= self.orphan_timeout:
                continue
            alive = None
            if self.liveness is not None:
                try:
                    alive = self.liveness(owner)
                except Exception:
                    alive = None
            if alive:
                self._owners[owner] = now
                continue
            self._reap_owner(owner)

    def _reap_owner(self, owner: str) -> None:
        remaining = False
        for job in [j for j in self._jobs.values() if j.state.owner == owner]:
            if job.state.is_finished:
                self._jobs.pop(job.state.id, None)
                shutil.rmtree(job.dir, ignore_errors=True)
            else:
                remaining = True
                if job.state.status != "stopping":
                    self.stop(job.state.id, reason=msg("train.reason.session_ended"))
                    remaining = job.state.status == "stopping"
        if not remaining and not any(j.state.owner == owner for j in self._jobs.values()):
            del self._owners[owner]
