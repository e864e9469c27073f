"""Training runs on a Ray cluster, for when one machine is not enough (``CNNVIZ_RAY_ADDRESS``).

Ray is optional (``pip install -r requirements-ray.txt``); nothing here imports it until a
:class:`RayBackend` is made, and without ``CNNVIZ_RAY_ADDRESS`` the job manager keeps its local worker
processes.

Each run is one Ray actor (``_RunActor``) that asks the cluster for ``cpus_per_job`` CPUs (and
``gpus_per_job`` GPUs): the cluster's resources are the limit on trainings at once, and a run that finds
them all taken waits inside Ray until one frees.  The actor runs exactly what a local worker runs,
:func:`cnnviz.worker.run_job` (:func:`cnnviz.training.train`, then the test predictions and the
checkpoint), with these differences only:

* events go into a list inside the actor; :meth:`RayBackend.poll` fetches the new ones (one actor call
  at a time per run, never blocking the caller) and returns them in order, as the same objects the
  local worker sends: ``("started", {...})``, ``StepEvent``, ``EvalEvent``, ``EpochEvent``,
  ``EndEvent``, ``("error", Msg)``, and last ``("result", {...})``;
* the checkpoint travels back as bytes (:func:`cnnviz.checkpoints.to_bytes`'s format, read from the
  file ``run_job`` saved on the cluster node); :meth:`RayBackend.poll` writes them to
  ``out_dir/<job_id>.safetensors`` when ``start`` got an ``out_dir``, so the ``("result", payload)``
  event is exactly a local worker's (``checkpoint`` = that path, or ``None`` with
  ``checkpoint_error`` when no step ran); without an ``out_dir`` the event carries
  ``checkpoint_bytes`` instead of a path; :meth:`RayBackend.result` has both;
* Stop sets a ``threading.Event`` in the actor (the actor runs its methods in several threads), which
  ``train`` checks between steps: the run ends as ``stopped`` and keeps its weights; a run that has not
  started yet (waiting for resources) is cancelled at once: :meth:`poll` then returns
  ``("cancelled", text)`` and no result.

Interface (mirrors a local worker; ``job_id`` is the manager's id)::

    backend = RayBackend()                    # address: CNNVIZ_RAY_ADDRESS; or an initialised Ray
    backend.start(job_id, config.to_dict(), out_dir=str(job.dir))
    events = backend.poll(job_id)             # new events, in order ([] when none yet)
    backend.state(job_id)                     # "waiting" | "running" | "finished"
    backend.done(job_id)                      # finished and every event returned by poll
    backend.stop(job_id)                      # ask to stop (idempotent)
    backend.result(job_id)                    # the "result" payload (or None), once done
    backend.forget(job_id); backend.close()   # end the actor(s); close also disconnects from Ray
    backend.capacity()                        # trainings the cluster can run at once
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .messages import MessageError, msg

PACKAGE_DIR = Path(__file__).resolve().parent
ADDRESS_ENV = "CNNVIZ_RAY_ADDRESS"


class RayUnavailable(MessageError):
    """Ray is not installed (``pip install -r requirements-ray.txt``) or the cluster cannot be reached;
    its :attr:`message` (keys ``ray.error.*``, :mod:`cnnviz.texts.ray`) says which, for the page."""


def ray_address() -> str | None:
    """``CNNVIZ_RAY_ADDRESS`` (e.g. ``ray://head:10001`` or ``head:6379``), or ``None`` for local workers."""
    raw = os.environ.get(ADDRESS_ENV, "").strip()
    return raw or None


def _ray():
    try:
        import ray
    except ImportError as exc:
        raise RayUnavailable("ray.error.not_installed", env=ADDRESS_ENV, error=str(exc)) from exc
    return ray


def _env_float(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    try:
        return float(raw) if raw else default
    except ValueError:
        return default


# ----------------------------------------------------------------------------- on the cluster

class _Sink:
    """Where ``run_job`` sends its events (its ``send`` is :meth:`put`): the actor's list."""

    def __init__(self, actor: _RunActor) -> None:
        self.actor = actor

    def put(self, event: Any) -> None:
        if isinstance(event, tuple) and len(event) == 2 and event[0] == "result":
            payload = dict(event[1])
            path = payload.get("checkpoint")
            payload["checkpoint_bytes"] = Path(path).read_bytes() if path else None
            payload["checkpoint"] = None
            self.actor._result = payload          # returned by run(), not polled: it can be large
            return
        with self.actor._lock:
            self.actor._events.append(event)


class _RunActor:
    """One training run on a cluster node (made a Ray actor by :func:`_actor_class`)."""

    def __init__(self, threads: int) -> None:
        from .worker import _prepare

        # Ray already runs its workers below normal priority (its ``worker_niceness``, 15 by default);
        # another 10 on top left a run at nice 19, starved by any other load (160 s to start instead of 3 s
        # on 2 busy cores).  A cluster's operator sets the priority; cnnviz does not lower it further.
        _prepare(threads, warm=False, nice=False)
        self._events: list = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._result: dict | None = None

    def run(self, job_id: str, config: dict) -> dict | None:
        from .worker import error_reason, run_job

        out = tempfile.mkdtemp(prefix="cnnviz-ray-")
        try:
            run_job(job_id, config, out, send=_Sink(self).put, parent_pid=os.getppid(), stop=self._stop.is_set)
        except BaseException as exc:  # dataset missing, out of memory, a bad config: a reason for the page
            with self._lock:
                self._events.append(("error", error_reason(exc)))
        finally:
            shutil.rmtree(out, ignore_errors=True)
        return self._result

    def poll(self) -> list:
        with self._lock:
            events, self._events = self._events, []
        return events

    def stop(self) -> None:
        self._stop.set()


_ACTOR = None


def _actor_class():
    global _ACTOR
    if _ACTOR is None:
        # several threads: run() trains while poll() and stop() answer
        _ACTOR = _ray().remote(max_concurrency=4)(_RunActor)
    return _ACTOR


# ----------------------------------------------------------------------------- in the server

@dataclass
class _Run:
    actor: Any
    run_ref: Any
    out_dir: str | None
    poll_ref: Any = None
    poll_is_final: bool = False      # issued after run() had returned: it holds the last events
    started: bool = False
    finished: bool = False
    cancelled: str = ""
    result: dict | None = None
    pending: list = field(default_factory=list)


class RayBackend:
    """Training runs as Ray actors; see the module's docstring for the interface."""

    def __init__(self, address: str | None = None, *, cpus_per_job: float | None = None,
                 gpus_per_job: float | None = None, threads_per_job: int | None = None, ship_code: bool = True,
                 init_kwargs: dict | None = None) -> None:
        ray = _ray()
        self._ray = ray
        self.cpus_per_job = cpus_per_job if cpus_per_job is not None else _env_float("CNNVIZ_RAY_CPUS_PER_JOB", 1.0)
        self.gpus_per_job = gpus_per_job if gpus_per_job is not None else _env_float("CNNVIZ_RAY_GPUS_PER_JOB", 0.0)
        self.threads_per_job = threads_per_job or max(1, int(self.cpus_per_job))
        self._owns_ray = False
        if not ray.is_initialized():
            address = address or ray_address()
            if not address:
                raise RayUnavailable("ray.error.no_address", env=ADDRESS_ENV)
            kwargs = dict(namespace="cnnviz", log_to_driver=False)
            if ship_code:  # the cluster's nodes get this cnnviz (same Python packages assumed installed there)
                kwargs["runtime_env"] = {"py_modules": [str(PACKAGE_DIR)]}
            kwargs.update(init_kwargs or {})
            try:
                ray.init(address=address, **kwargs)
            except Exception as exc:
                error = f"{type(exc).__name__}: {exc}"
                raise RayUnavailable("ray.error.connect", address=address, error=error) from exc
            self._owns_ray = True
        self._runs: dict[str, _Run] = {}
        self._lock = threading.RLock()

    # ------------------------------------------------------------------ the interface

    def capacity(self) -> int:
        """How many runs the cluster can hold at once (its CPUs, or GPUs, divided by a run's share)."""
        res = self._ray.cluster_resources()
        n = int(res.get("CPU", 0) // self.cpus_per_job) if self.cpus_per_job else 0
        if self.gpus_per_job:
            n = min(n, int(res.get("GPU", 0) // self.gpus_per_job))
        return max(0, n)

    def start(self, job_id: str, config: dict, out_dir: str | None = None) -> None:
        with self._lock:
            if job_id in self._runs:
                raise ValueError(f"job {job_id} was already started")
            actor = _actor_class().options(num_cpus=self.cpus_per_job, num_gpus=self.gpus_per_job).remote(
                self.threads_per_job)
            self._runs[job_id] = _Run(actor, actor.run.remote(job_id, dict(config)), out_dir)

    def state(self, job_id: str) -> str:
        run = self._runs[job_id]
        return "finished" if run.finished else "running" if run.started else "waiting"

    def done(self, job_id: str) -> bool:
        run = self._runs[job_id]
        return run.finished and not run.pending

    def poll(self, job_id: str) -> list:
        """The events that arrived since the last call, in order; never blocks."""
        ray = self._ray
        with self._lock:
            run = self._runs[job_id]
            out, run.pending = run.pending, []
            if run.finished:
                return out
            final = False
            if run.poll_ref is not None and ray.wait([run.poll_ref], timeout=0)[0]:
                try:
                    events = ray.get(run.poll_ref)
                except Exception:          # the actor died: run_ref says why
                    events, final = [], True
                final = final or run.poll_is_final
                run.poll_ref = None
                if any(isinstance(e, tuple) and e and e[0] == "started" for e in events):
                    run.started = True
                out += events
            if final:
                out += self._finish(job_id, run)
            elif run.poll_ref is None:
                run.poll_is_final = bool(ray.wait([run.run_ref], timeout=0)[0])
                run.poll_ref = run.actor.poll.remote()
            return out

    def stop(self, job_id: str) -> None:
        with self._lock:
            run = self._runs[job_id]
            if run.finished:
                return
            if not run.started and not self._ray.wait([run.run_ref], timeout=0)[0]:
                # still waiting for a place on the cluster (or for its actor to come up): cancel it
                with contextlib.suppress(Exception):
                    self._ray.kill(run.actor)
                run.finished, run.cancelled = True, "stopped before it started"
                run.pending.append(("cancelled", run.cancelled))
                return
            run.actor.stop.remote()

    def result(self, job_id: str) -> dict | None:
        """The ``result`` payload (``checkpoint_bytes``, ``labels``, ``preds``, …) once done, else None."""
        return self._runs[job_id].result

    def wait(self, job_id: str, timeout: float = 120.0, interval: float = 0.1) -> list:
        """Poll until the run is done (scripts and tests); returns every event."""
        events, deadline = [], time.monotonic() + timeout
        while not self.done(job_id):
            if time.monotonic() > deadline:
                raise TimeoutError(f"job {job_id} still {self.state(job_id)} after {timeout:.0f} s")
            events += self.poll(job_id)
            time.sleep(interval)
        return events + self.poll(job_id)

    def forget(self, job_id: str) -> None:
        with self._lock:
            run = self._runs.pop(job_id, None)
        if run is not None:
            with contextlib.suppress(Exception):
                self._ray.kill(run.actor)

    def close(self) -> None:
        for job_id in list(self._runs):
            self.forget(job_id)
        if self._owns_ray:
            with contextlib.suppress(Exception):
                self._ray.shutdown()
            self._owns_ray = False

    # ------------------------------------------------------------------ internals

    def _finish(self, job_id: str, run: _Run) -> list:
        out: list = []
        try:
            result = self._ray.get(run.run_ref)
        except Exception as exc:  # the actor or its node died
            result = None
            out.append(("error", msg("ray.reason.worker_failed", error=f"{type(exc).__name__}: {exc}")))
        if result is not None:
            result = dict(result)
            event = dict(result)
            blob = result.get("checkpoint_bytes")
            if run.out_dir:  # exactly what a local worker sends: the checkpoint as a file in the job's folder
                del event["checkpoint_bytes"]
                if blob:
                    path = Path(run.out_dir) / f"{job_id}.safetensors"
                    path.write_bytes(blob)
                    result["checkpoint"] = event["checkpoint"] = str(path)
            run.result = result
            out.append(("result", event))
        run.finished = True
        with contextlib.suppress(Exception):  # free its CPUs for the next run now
            self._ray.kill(run.actor)
        return out
