"""Server-wide training jobs: worker processes, a queue, live chart-ready state.

One :class:`JobManager` per server (the UI keeps it in ``st.cache_resource``).

* :meth:`JobManager.submit` validates a :class:`~cnnviz.training.TrainConfig` and
  returns a job id.  At most ``max_jobs`` jobs run at once (default: half the
  cores, at least 1; ``CNNVIZ_MAX_JOBS`` overrides it); the others wait in a FIFO
  queue and know their position.
* Each job runs :func:`cnnviz.training.train` (the one trainer) in its own
  process, started with the ``spawn`` method (never fork a process whose torch
  thread pools are running).  torch trains about 2x slower when another thread of
  the same process runs torch ops, so training stays out of the server process.
* The worker forwards the trainer's events over a ``multiprocessing.Queue``; a
  background thread in the manager drains them into per-job lists that charts
  read directly (losses per step, accuracies at evaluation points, progress,
  samples/s, ETA).  The manager thread itself never runs torch.
* :meth:`JobManager.stop` sets a ``multiprocessing.Event`` that the trainer checks
  between steps: the job ends as ``stopped`` and keeps its weights and charts.
* At the end the worker saves the weights to a temporary checkpoint and sends
  the test-set predictions (for the confusion matrix and the misclassified
  gallery).  A worker that dies without doing so (killed, out of memory, a
  crash in C code) leaves the job ``failed`` with the exit code as the reason.
* Owners (browser sessions) call :meth:`JobManager.heartbeat`; jobs of an owner
  that has been silent for ``orphan_timeout`` seconds, and that the optional
  ``liveness`` callback does not vouch for, are stopped, and their files and
  records removed.  Nothing outlives :meth:`JobManager.close`.

This module never imports streamlit, and imports torch only inside the worker.
"""

from __future__ import annotations

import atexit
import contextlib
import itertools
import multiprocessing as mp
import os
import queue as queue_mod
import shutil
import signal
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from .training import EndEvent, EpochEvent, EvalEvent, StepEvent, TrainConfig

WORKER_NAME = "cnnviz-worker"


def _install_spawn_main_guard() -> None:
    """Keep spawned workers from re-running the parent's ``__main__``.

    ``spawn`` normally re-imports the parent's main module in the child.  Under Streamlit
    the main module is the *page script* (Streamlit runs pages as ``__main__``), so every
    worker would execute the page again.  Workers need nothing from ``__main__`` (their
    target is :func:`_worker_main`), so for processes named ``cnnviz-worker`` only, the
    preparation data leaves the main module out.  Other processes are unaffected.
    """
    from multiprocessing import spawn

    original = spawn.get_preparation_data
    if getattr(original, "_cnnviz_guard", False):
        return

    def get_preparation_data(name):
        d = original(name)
        if str(name).startswith(WORKER_NAME):
            d.pop("init_main_from_path", None)
            d.pop("init_main_from_name", None)
        return d

    get_preparation_data._cnnviz_guard = True  # type: ignore[attr-defined]
    spawn.get_preparation_data = get_preparation_data


_install_spawn_main_guard()

ACTIVE = ("queued", "starting", "running", "stopping")
FINISHED = ("done", "stopped", "failed")
GALLERY_MAX = 64  # misclassified test images sent back per job


def default_max_jobs() -> int:
    """``CNNVIZ_MAX_JOBS`` if set, else half the cores (at least 1)."""
    raw = os.environ.get("CNNVIZ_MAX_JOBS", "").strip()
    if raw:
        try:
            value = int(raw)
        except ValueError:
            raise ValueError(f"CNNVIZ_MAX_JOBS must be a whole number >= 1, got {raw!r}") from None
        if value < 1:
            raise ValueError(f"CNNVIZ_MAX_JOBS must be a whole number >= 1, got {raw!r}")
        return value
    return max(1, (os.cpu_count() or 1) // 2)


def default_threads_per_job(max_jobs: int) -> int:
    """torch threads per training: the cores but one (the server's, for the pages), split among the
    ``max_jobs`` runs, at least 1.  On 2 cores a run gets one thread: with two, its threads wait for
    each other whenever the server takes a core, and training ran ~20x slower under page load."""
    return max(1, ((os.cpu_count() or 1) - 1) // max_jobs)


def _describe_exit(code: int | None) -> str:
    if code is None:
        return "it did not exit"
    if code < 0:
        try:
            return f"it was killed by signal {signal.Signals(-code).name}"
        except ValueError:
            return f"it was killed by signal {-code}"
    return f"it exited with code {code}"


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
    checkpoint_error: str = ""


@dataclass
class JobState:
    """A snapshot of one job: everything the page shows, chart-ready."""

    id: str
    owner: str
    config: TrainConfig
    status: str = "queued"           # queued, starting, running, stopping, done, stopped, failed
    reason: str = ""
    submitted: float = 0.0           # time.time()
    started: float | None = None
    finished: float | None = None
    queue_position: int | None = None  # 1 = next to start
    pid: int | None = None
    exitcode: int | None = None
    # from the worker
    device: str = ""
    dataset: str = ""
    data_note: str = ""
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

    @property
    def title(self) -> str:
        from . import models

        c = self.config
        return f"{models.get(c.arch).title} · {c.optimizer} lr={c.lr:g} · bs {c.batch_size}"

    def snapshot(self) -> JobState:
        lists = {f: list(getattr(self, f)) for f in (
            "steps", "losses", "running_acc", "eval_steps", "eval_epochs", "train_acc", "test_acc",
            "test_loss", "epochs")}
        return replace(self, config=replace(self.config), **lists)


@dataclass
class _Proc:
    process: Any
    tasks: Any
    events: Any
    stop_event: Any


@dataclass
class _Job:
    state: JobState
    dir: Path
    process: Any = None
    proc: Any = None                 # the _Proc (keeps its task queue alive until the job ends)
    queue: Any = None
    stop_event: Any = None
    stop_deadline: float | None = None
    stop_reason: str = ""
    got_result: bool = False
    error: str = ""


# ----------------------------------------------------------------------------- worker

def worker_nice() -> int:
    """``CNNVIZ_WORKER_NICE`` (default 10): how much lower than the server's a worker's CPU priority is.

    The server process answers every page rerun; a training that competes with it as an equal makes a
    lecture hall wait (benchmarks/load.py on 2 cores, 50 drawing sessions and one training: p95 0.4 s
    -> 8.7 s). At nice 10 the pages come first and training gets the cores they leave."""
    raw = os.environ.get("CNNVIZ_WORKER_NICE", "").strip()
    try:
        return max(0, min(19, int(raw))) if raw else 10
    except ValueError:
        return 10


def _lower_priority() -> None:
    with contextlib.suppress(AttributeError, OSError):  # not available here: run at the server's priority
        os.nice(worker_nice())


def _prepare_torch(threads: int) -> None:
    import torch

    torch.set_num_threads(max(1, threads))
    with contextlib.suppress(RuntimeError):
        torch.set_num_interop_threads(1)


def _warm_up() -> None:
    """Pay the one-time import costs before a job arrives (torch, and torch._dynamo, which the
    first optimizer imports: ~3 s here), so Start shows a chart within a second."""
    import torch

    from . import checkpoints, data, evaluation, models, training  # noqa: F401

    w = torch.zeros(1, requires_grad=True)
    opt = torch.optim.Adam([w], lr=1e-3)
    w.sum().backward()
    opt.step()
    import safetensors.torch  # noqa: F401


def shuffled(data, seed: int = 0):
    """The split with both parts in a fixed random order, so that ``train_limit``/``test_limit``
    (which keep the first N) give a sample of every class (the embedded digits are sorted by class)."""
    import torch

    from .data import DataSplit

    g = torch.Generator().manual_seed(seed)
    tr = torch.randperm(len(data.train_y), generator=g)
    te = torch.randperm(len(data.test_y), generator=g)
    return DataSplit(data.name, data.train_x[tr], data.train_y[tr], data.test_x[te], data.test_y[te],
                     data.mean, data.std, list(data.classes), data.note)


def _worker_main(tasks, events, stop_event, threads: int, parent_pid: int, warm: bool) -> None:
    """Entry point of a worker process.

    A spare (``warm``) worker imports everything first, then waits for its one task;
    a fresh worker finds its task already waiting.  Either way it runs one job and exits.
    """
    try:
        _lower_priority()
        _prepare_torch(threads)
        if warm:
            _warm_up()
        while True:  # wait for the task; give up if the server went away
            try:
                task = tasks.get(timeout=1.0)
                break
            except queue_mod.Empty:
                if os.getppid() != parent_pid:
                    return
        if task is None:
            return
        _run_job(*task, events=events, stop_event=stop_event, parent_pid=parent_pid)
    except BaseException as exc:  # report anything (dataset missing, out of memory, ...) as a reason
        events.put(("error", f"{type(exc).__name__}: {exc}"))
    finally:
        events.close()
        events.join_thread()  # make sure everything reached the pipe before the process exits


def _run_job(job_id: str, cfg: dict, out_dir: str, *, events, stop_event, parent_pid: int) -> None:
    """Train, then send the test-set predictions and the path of the saved weights."""
    import torch

    from . import models
    from .checkpoints import CheckpointError, CheckpointMeta, save_checkpoint
    from .data import load_dataset
    from .evaluation import misclassified
    from .training import default_device, predict, train

    config = TrainConfig(**cfg)
    data = load_dataset(config.dataset)
    if config.train_limit or config.test_limit:
        data = shuffled(data)
    test = data.subset(None, config.test_limit)
    n_train = len(data.train_y[:config.train_limit]) if config.train_limit else len(data.train_y)
    device = config.device or str(default_device())
    events.put(("started", dict(pid=os.getpid(), device=device, dataset=data.name, note=data.note,
                                params=models.count_parameters(models.build(config.arch)),
                                n_train=n_train, n_test=len(test.test_y))))

    def should_stop() -> bool:  # the user pressed Stop, or the server died
        return stop_event.is_set() or os.getppid() != parent_pid

    result = train(config, data=data, callback=events.put, stop=should_stop)

    logits, pred = predict(result.model, test.test_x, data.mean, data.std)
    conf = torch.softmax(logits.float(), 1).max(1).values.cpu().numpy().astype(np.float64)
    pred = pred.cpu().numpy().astype(np.int64)
    labels = test.test_y.numpy().astype(np.int64)
    wrong = misclassified(labels, pred, conf, limit=GALLERY_MAX)
    path, ck_error = None, ""
    if result.steps == 0:
        ck_error = "no training step ran, so there are no trained weights to save"
    else:
        meta = CheckpointMeta(arch=config.arch, dataset=data.name, test_acc=result.test_acc,
                              epochs=result.epochs_completed, mean=data.mean, std=data.std,
                              classes=list(data.classes), optimizer=config.optimizer,
                              lr=float(config.lr), batch_size=config.batch_size, seed=config.seed,
                              augment=config.augment, train_seconds=round(result.elapsed, 2),
                              note=f"cnnviz training page; {result.status}: {result.reason}")
        try:
            path = str(save_checkpoint(Path(out_dir) / f"{job_id}.safetensors", result.model.cpu(), meta))
        except CheckpointError as exc:
            ck_error = str(exc)
    images = test.test_x[torch.from_numpy(wrong)].numpy().copy() if len(wrong) else np.zeros((0, 28, 28), np.uint8)
    events.put(("result", dict(checkpoint=path, checkpoint_error=ck_error, labels=labels, preds=pred,
                               confidence=conf, wrong_index=wrong, wrong_images=images,
                               classes=list(data.classes))))


# ----------------------------------------------------------------------------- manager

class JobManager:
    """Runs training jobs in worker processes, at most ``max_jobs`` at a time."""

    def __init__(self, max_jobs: int | None = None, orphan_timeout: float | None = None,
                 liveness: Callable[[str], bool | None] | None = None, poll_interval: float = 0.1,
                 stop_grace: float = 60.0, keep_finished: int = 20, root: Path | str | None = None,
                 threads_per_job: int | None = None, prewarm: bool = False) -> None:
        self.max_jobs = max_jobs if max_jobs is not None else default_max_jobs()
        if self.max_jobs < 1:
            raise ValueError("max_jobs must be >= 1")
        if orphan_timeout is None:
            orphan_timeout = float(os.environ.get("CNNVIZ_ORPHAN_TIMEOUT", "120"))
        self.orphan_timeout = orphan_timeout
        self.liveness = liveness
        self.poll_interval = poll_interval
        self.stop_grace = stop_grace
        self.keep_finished = keep_finished
        self.threads_per_job = threads_per_job or default_threads_per_job(self.max_jobs)
        self.prewarm = prewarm  # keep one idle worker with torch imported, for a fast Start
        self._spare: _Proc | None = None
        self._ctx = mp.get_context("spawn")
        self._root = Path(tempfile.mkdtemp(prefix="cnnviz-jobs-", dir=root))
        self._jobs: dict[str, _Job] = {}
        self._pending: list[str] = []
        self._owners: dict[str, float] = {}
        self._lock = threading.RLock()
        self._closed = False
        self._wake = threading.Event()
        self._counter = itertools.count(1)
        self._thread = threading.Thread(target=self._loop, name="cnnviz-jobs", daemon=True)
        self._thread.start()
        atexit.register(self.close)

    # ------------------------------------------------------------------ public API

    def submit(self, config: TrainConfig, owner: str) -> str:
        """Validate and queue a job; returns its id.  Raises ``ValueError`` for a bad config."""
        config = replace(config)
        config.validate()
        with self._lock:
            if self._closed:
                raise RuntimeError("the job manager is closed")
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

    def stop(self, job_id: str, reason: str = "") -> bool:
        """Stop a queued or running job.  Returns False if it had already finished."""
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None or job.state.is_finished:
                return False
            st = job.state
            if st.status == "queued":
                self._pending.remove(job_id)
                self._renumber()
                self._finish(job, "stopped", reason or "stopped before it started")
                return True
            if st.status != "stopping":
                st.status = "stopping"
                job.stop_reason = reason
                job.stop_deadline = time.monotonic() + self.stop_grace
                job.stop_event.set()
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

    def all_jobs(self) -> list[JobState]:
        with self._lock:
            return [j.state.snapshot() for j in self._jobs.values()]

    def heartbeat(self, owner: str) -> None:
        with self._lock:
            self._owners[owner] = time.monotonic()

    def forget(self, job_id: str) -> bool:
        """Remove a finished job and its files."""
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None or not job.state.is_finished:
                return False
            del self._jobs[job_id]
        shutil.rmtree(job.dir, ignore_errors=True)
        return True

    def running_count(self) -> int:
        with self._lock:
            return sum(1 for j in self._jobs.values() if j.state.status in ("starting", "running", "stopping"))

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
                if job.process is not None and not job.state.is_finished:
                    self._drain(job)
                    self._check_process(job)
            self._reap()
            self._start_pending()
            self._keep_spare()

    def close(self) -> None:
        """Stop every job, end every worker, delete the temporary files."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            for job in self._jobs.values():
                if job.stop_event is not None:
                    job.stop_event.set()
            procs = [j.process for j in self._jobs.values() if j.process is not None]
            if self._spare is not None:
                self._spare.tasks.put(None)
                procs.append(self._spare.process)
        self._wake.set()
        deadline = time.monotonic() + 5
        for p in procs:
            p.join(max(0.0, deadline - time.monotonic()))
            if p.is_alive():
                p.kill()
                p.join(5)
        with self._lock:
            queues = [j.queue for j in self._jobs.values() if j.queue is not None]
            if self._spare is not None:
                queues += [self._spare.events, self._spare.tasks]
                self._spare = None
            for q in queues:
                q.cancel_join_thread()
                q.close()
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
        while self._pending and not self._closed and self.running_count() < self.max_jobs:
            job_id = self._pending.pop(0)
            job = self._jobs[job_id]
            st = job.state
            st.status, st.queue_position, st.started = "starting", None, time.time()
            try:
                proc = self._take_spare() or self._spawn(warm=False)
                proc.tasks.put((job_id, st.config.to_dict(), str(job.dir)))
            except Exception as exc:
                self._finish(job, "failed", f"could not start a worker process: {exc}")
                continue
            job.proc, job.process, job.queue, job.stop_event = proc, proc.process, proc.events, proc.stop_event
            st.pid = proc.process.pid
        self._renumber()

    def _spawn(self, warm: bool) -> _Proc:
        tasks, events, stop_event = self._ctx.Queue(), self._ctx.Queue(), self._ctx.Event()
        process = self._ctx.Process(target=_worker_main, name=WORKER_NAME, daemon=True,
                                    args=(tasks, events, stop_event, self.threads_per_job, os.getpid(), warm))
        process.start()
        return _Proc(process, tasks, events, stop_event)

    def _take_spare(self) -> _Proc | None:
        spare, self._spare = self._spare, None
        if spare is not None and spare.process.exitcode is not None:  # it died while waiting
            spare.process.join(0)
            spare.events.close()
            spare.tasks.close()
            return None
        return spare

    def _keep_spare(self) -> None:
        """Keep one warmed-up idle worker while a slot is free (never while all slots train:
        warming up costs a few CPU-seconds that a running job would lose)."""
        if not self.prewarm or self._closed or self._pending:
            return
        if self._spare is not None and self._spare.process.exitcode is not None:
            self._take_spare()
        if self._spare is None and self.running_count() < self.max_jobs:
            try:
                self._spare = self._spawn(warm=True)
            except Exception:
                self._spare = None

    def _drain(self, job: _Job, block: float = 0.0) -> None:
        while True:
            try:
                msg = job.queue.get(timeout=block) if block else job.queue.get_nowait()
            except (queue_mod.Empty, EOFError, OSError):
                return
            except Exception as exc:  # an unpicklable message: report, keep going
                job.error = f"unreadable message from the worker ({exc})"
                continue
            self._apply(job, msg)

    def _apply(self, job: _Job, msg: Any) -> None:
        st = job.state
        if isinstance(msg, StepEvent):
            if st.status == "starting":
                st.status = "running"
            st.epoch, st.step, st.total_steps = msg.epoch, msg.step, msg.total_steps
            st.samples_per_s, st.elapsed = msg.samples_per_s, msg.elapsed
            st.steps.append(msg.step)
            st.losses.append(msg.loss)
            st.running_acc.append(msg.running_acc)
            if msg.step > 0:
                st.eta = max(0.0, (msg.total_steps - msg.step) * msg.elapsed / msg.step)
        elif isinstance(msg, EvalEvent):
            st.eval_steps.append(msg.step)
            st.eval_epochs.append(msg.epoch)
            st.train_acc.append(msg.train_acc)
            st.test_acc.append(msg.test_acc)
            st.test_loss.append(msg.test_loss)
        elif isinstance(msg, EpochEvent):
            st.epochs.append(dict(epoch=msg.epoch, step=msg.step, train_loss=msg.train_loss,
                                  train_acc=msg.train_acc, test_acc=msg.test_acc, elapsed=msg.elapsed))
            st.elapsed = msg.elapsed
        elif isinstance(msg, EndEvent):
            st.end = msg
            st.final_test_acc = msg.test_acc
            st.train_seconds = msg.elapsed
            st.elapsed = msg.elapsed
            st.step = msg.step
            st.eta = 0.0
        elif isinstance(msg, tuple) and len(msg) == 2:
            kind, payload = msg
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

    def _check_process(self, job: _Job) -> None:
        st = job.state
        proc = job.process
        if proc.exitcode is None:
            if st.status == "stopping" and job.stop_deadline and time.monotonic() > job.stop_deadline:
                proc.kill()  # it ignored the stop request for stop_grace seconds
                proc.join(5)
                job.error = job.error or f"it did not stop within {self.stop_grace:.0f}s and was ended"
            else:
                return
        self._drain(job, block=0.05)  # whatever was still in the pipe
        proc.join(1)
        st.exitcode = proc.exitcode
        job.queue.close()
        if job.got_result and st.end is not None:
            status, reason = st.end.status, st.end.reason
            if status == "stopped" and job.stop_reason:
                reason = job.stop_reason
        elif job.error:
            status, reason = "failed", f"training failed: {job.error}"
        elif st.end is not None:
            status = "failed"
            reason = (f"the training process ended before returning the weights ({_describe_exit(proc.exitcode)}); "
                      "the charts so far are kept")
        else:
            status = "failed"
            reason = (f"the training process crashed ({_describe_exit(proc.exitcode)}), possibly out of "
                      "memory; the charts so far are kept")
        self._finish(job, status, reason)

    def _finish(self, job: _Job, status: str, reason: str) -> None:
        st = job.state
        st.status, st.reason, st.finished, st.queue_position, st.eta = status, reason, time.time(), None, None
        if job.stop_event is not None:
            job.stop_event.set()
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
            remaining = False
            for job in [j for j in self._jobs.values() if j.state.owner == owner]:
                if job.state.is_finished:
                    self._jobs.pop(job.state.id, None)
                    shutil.rmtree(job.dir, ignore_errors=True)
                else:
                    remaining = True
                    if job.state.status != "stopping":
                        self.stop(job.state.id, reason="stopped because its browser session ended")
                        remaining = job.state.status == "stopping"
            if not remaining and not any(j.state.owner == owner for j in self._jobs.values()):
                del self._owners[owner]


def save_job_checkpoint(state: JobState, folder: Path | str, name: str, overwrite: bool = False) -> Path:
    """Copy a finished job's weights to ``folder/<safe name>.safetensors`` (validated, atomic).

    Raises :class:`~cnnviz.checkpoints.CheckpointError` with a user-facing message.
    """
    from .checkpoints import SUFFIX, CheckpointError, load_checkpoint, safe_name, save_checkpoint

    if state.result is None or state.result.checkpoint is None:
        why = state.result.checkpoint_error if state.result else "the job returned no weights"
        raise CheckpointError(f"Nothing to save: {why or 'the job returned no weights'}.")
    target = Path(folder) / f"{safe_name(name)}{SUFFIX}"
    if target.exists() and not overwrite:
        raise CheckpointError(f"A checkpoint named {target.stem!r} already exists; choose another name.")
    model, meta = load_checkpoint(state.result.checkpoint)
    return save_checkpoint(target, model, meta)


# ----------------------------------------------------------------------------- presentation helpers

def plan_logging(n_train: int, n_test: int, batch_size: int, epochs: int) -> tuple[int, int]:
    """(log_every, eval_every) for a live view: about 150 loss points per run but at least one
    every 25 steps.  The test set is evaluated at every epoch end (the trainer's default); a
    one-epoch run on a small test set (<= 2,000) also gets a mid-epoch point.  More evaluations
    would cost real training time: 2,000 test images are a quarter of an embedded epoch."""
    steps_per_epoch = max(1, -(-max(n_train, 1) // max(1, min(batch_size, max(n_train, 1)))))
    total = steps_per_epoch * epochs
    log_every = int(min(25, max(1, total // 150)))
    eval_every = steps_per_epoch // 2 if epochs == 1 and n_test <= 2000 and steps_per_epoch >= 8 else 0
    return log_every, eval_every


def format_seconds(seconds: float | None) -> str:
    if seconds is None or not np.isfinite(seconds):
        return "–"
    seconds = int(round(seconds))
    h, rem = divmod(seconds, 3600)
    m, s = divmod(rem, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def run_label(state: JobState, number: int) -> str:
    from . import models

    return f"#{number} {models.get(state.config.arch).title}"


def compare_rows(states: list[tuple[int, JobState]]) -> list[dict]:
    """One table row per run: what the compare-runs table shows."""
    from . import models

    rows = []
    for number, st in states:
        c = st.config
        samples = (st.n_train or 0) * len(st.epochs)
        rows.append({
            "run": run_label(st, number),
            "status": st.status,
            "test accuracy": st.final_test_acc,
            "time (s)": round(st.train_seconds, 1) if st.train_seconds is not None else None,
            "parameters": st.params if st.params is not None else models.count_parameters(models.build(c.arch)),
            "epochs": f"{len(st.epochs)}/{c.epochs}",
            "optimizer": c.optimizer, "lr": c.lr, "batch": c.batch_size,
            "augment": c.augment, "dataset": st.dataset or c.dataset,
            "samples/s": round(samples / st.train_seconds) if samples and st.train_seconds else None,
        })
    return rows
