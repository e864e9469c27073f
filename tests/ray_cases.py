"""cnnviz.ray_backend on a local Ray instance (127.0.0.1, 1 CPU): a 1-epoch LeNet-5 run comes back with
its events, test predictions and a checkpoint that loads; the cluster's one CPU is the limit (a second
run waits, a third is cancelled while it waits); a run stopped mid-training ends as stopped.

Run by ``tests/test_ray_backend.py`` in an interpreter of its own (``python -m pytest tests/ray_cases.py``),
not inside the whole suite's process: see that module for why."""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
import pytest

ray = pytest.importorskip("ray", reason="Ray is not installed (pip install -r requirements-ray.txt)")

from cnnviz.training import EndEvent, EpochEvent, StepEvent, TrainConfig  # noqa: E402

N_TRAIN, N_TEST = 512, 256


@pytest.fixture(scope="module")
def backend():
    from cnnviz.ray_backend import RayBackend

    if ray.is_initialized():
        ray.shutdown()
    b = RayBackend(address="local", init_kwargs=dict(num_cpus=1, include_dashboard=False,
                                                     _node_ip_address="127.0.0.1", object_store_memory=100 * 2**20,
                                                     # normal priority: whatever else runs on the test machine
                                                     # must not starve the runs this module waits for
                                                     _system_config={"worker_niceness": 0}))
    try:
        yield b
    finally:
        b.close()
        assert not ray.is_initialized()


def wait_for(backend, job_id, cond, timeout=120.0):
    events, deadline = [], time.monotonic() + timeout
    while time.monotonic() < deadline:
        events += backend.poll(job_id)
        if cond(events):
            return events
        time.sleep(0.1)
    raise TimeoutError(f"{job_id}: {backend.state(job_id)}, events so far: {events[:5]}; {diagnose(backend, job_id)}")


def diagnose(backend, job_id: str) -> str:
    """What a time-out needs to be understood: the run's futures, and the actor asked directly."""
    import threading

    run = backend._runs.get(job_id)
    if run is None:
        return "run forgotten"
    poll_ready = run.poll_ref is not None and bool(ray.wait([run.poll_ref], timeout=0)[0])
    out = [f"threads in this process {threading.active_count()}",
           f"run() returned {bool(ray.wait([run.run_ref], timeout=0)[0])}",
           f"a poll is pending {run.poll_ref is not None}, answered {poll_ready}"]
    try:
        out.append(f"a new poll answers {str(ray.get(run.actor.poll.remote(), timeout=20))[:300]}")
    except Exception as exc:
        out.append(f"a new poll fails: {type(exc).__name__}: {str(exc)[:200]}")
    return "; ".join(out)


@pytest.mark.slow
def test_run_stop_and_cancel_on_a_local_ray_instance(backend, tmp_path):
    from cnnviz.checkpoints import from_bytes
    from cnnviz.data import load_dataset
    from cnnviz.training import predict
    from cnnviz.worker import shuffled

    assert backend.capacity() == 1
    quick = TrainConfig(arch="lenet5", epochs=1, batch_size=16, log_every=1, train_limit=N_TRAIN, test_limit=N_TEST)
    long = TrainConfig(arch="lenet5", epochs=20, batch_size=16, log_every=1, train_limit=4000, test_limit=N_TEST)
    backend.start("a", quick.to_dict(), out_dir=str(tmp_path))
    backend.start("b", long.to_dict(), out_dir=str(tmp_path))
    with pytest.raises(ValueError):
        backend.start("a", quick.to_dict())

    # --- a: the whole run, while b waits for the cluster's only CPU
    events = wait_for(backend, "a", lambda ev: any(isinstance(e, StepEvent) for e in ev))
    assert backend.poll("b") == [] and backend.state("b") == "waiting"
    events += backend.wait("a", timeout=120)
    assert backend.done("a") and backend.state("a") == "finished"
    kinds = [e[0] if isinstance(e, tuple) else type(e).__name__ for e in events]
    assert kinds[0] == "started" and kinds[-1] == "result" and "error" not in kinds, kinds
    started = events[0][1]
    assert started["n_train"] == N_TRAIN and started["n_test"] == N_TEST and started["dataset"]
    steps = [e for e in events if isinstance(e, StepEvent)]
    assert [s.step for s in steps] == sorted(s.step for s in steps) and steps[-1].total_steps == N_TRAIN // 16
    assert len([e for e in events if isinstance(e, EpochEvent)]) == 1
    end = next(e for e in events if isinstance(e, EndEvent))
    assert end.status == "done" and end.epochs_completed == 1

    result = events[-1][1]
    from cnnviz.jobs import JobResult

    JobResult(**result)                     # the event is exactly a local worker's "result" payload
    blob = backend.result("a")["checkpoint_bytes"]
    assert Path(result["checkpoint"]).read_bytes() == blob            # written to out_dir, as a local worker
    model, meta = from_bytes(blob)
    assert meta.arch == "lenet5" and meta.epochs == 1
    # the test predictions that came back are the checkpoint's own predictions on the same test images
    data = shuffled(load_dataset("embedded"))
    test = data.subset(None, N_TEST)
    _, pred = predict(model, test.test_x, data.mean, data.std)
    assert np.array_equal(result["labels"], test.test_y.numpy())
    assert np.array_equal(result["preds"], pred.numpy())
    assert (result["preds"] == result["labels"]).mean() > 0.3          # 32 steps: well above chance (0.1)
    assert meta.test_acc == end.test_acc

    # --- b runs now; c waits behind it and is cancelled while waiting
    backend.start("c", quick.to_dict())
    events_b = wait_for(backend, "b", lambda ev: sum(isinstance(e, StepEvent) for e in ev) >= 3)
    assert backend.state("c") == "waiting"
    # the run keeps the cluster's priority (this module's instance: 0); cnnviz adds no nice of its own
    pid_b = next(e[1]["pid"] for e in events_b if isinstance(e, tuple) and e[0] == "started")
    assert os.getpriority(os.PRIO_PROCESS, pid_b) == 0
    backend.stop("c")
    assert backend.poll("c") == [("cancelled", "stopped before it started")] and backend.done("c")
    assert backend.result("c") is None

    # --- stop b mid-run: it ends as stopped, with its weights
    backend.stop("b")
    events_b += backend.wait("b", timeout=120)
    end_b = next(e for e in events_b if isinstance(e, EndEvent))
    assert end_b.status == "stopped" and 0 < end_b.step < 20 * 4000 // 16
    res_b = backend.result("b")
    model_b, meta_b = from_bytes(res_b["checkpoint_bytes"])
    assert meta_b.arch == "lenet5" and meta_b.epochs == 0
    backend.forget("a")
    with pytest.raises(KeyError):
        backend.poll("a")


@pytest.mark.slow
def test_job_manager_trains_on_ray(backend, tmp_path):
    """Issue 18 §4 through the job API the training page uses (JobManager with a RayBackend, as with
    CNNVIZ_RAY_ADDRESS): a 1-epoch LeNet-5 run comes back with its chart data, test predictions and a
    checkpoint in the job's folder; the cluster's one CPU is the limit; Stop ends a run mid-training as
    stopped with its weights, and a run still waiting for the cluster is cancelled.  Last in this module:
    closing the manager closes the backend (and Ray)."""
    from cnnviz import evaluation
    from cnnviz.checkpoints import load_checkpoint
    from cnnviz.jobs import JobManager

    quick = TrainConfig(arch="lenet5", epochs=1, batch_size=16, log_every=1, train_limit=N_TRAIN, test_limit=N_TEST)
    long = TrainConfig(arch="lenet5", epochs=20, batch_size=16, log_every=1, train_limit=4000, test_limit=N_TEST)
    m = JobManager(root=tmp_path, orphan_timeout=3600, ray=backend, max_per_owner=5)
    try:
        assert m.ray is backend and m.slots is None and not m.prewarm and m.limit() == 1
        a = m.submit(quick, "ann")
        b = m.submit(long, "ann")
        assert m.get(a).status == "starting" and m.get(b).status == "starting"   # b waits inside Ray
        assert wait_for_state(m, b, lambda s: s.cluster_wait and m.get(a).steps)   # the page says so
        assert m.running_total() == 1 and not m.get(a).cluster_wait
        sa = m.wait(a, timeout=120)
        assert sa.status == "done", sa.reason
        assert sa.steps == list(range(1, N_TRAIN // 16 + 1)) and sa.total_steps == N_TRAIN // 16
        assert np.isfinite(sa.losses).all() and sa.eval_steps == [N_TRAIN // 16] and len(sa.epochs) == 1
        assert (sa.n_train, sa.n_test, sa.progress) == (N_TRAIN, N_TEST, 1.0)
        assert sa.end.status == "done" and sa.end.epochs_completed == 1
        res = sa.result
        assert res.checkpoint.name == f"{a}.safetensors" and res.checkpoint.parent == m._jobs[a].dir
        assert res.checkpoint.is_file()
        model, meta = load_checkpoint(res.checkpoint)
        assert meta.arch == "lenet5" and meta.epochs == 1 and meta.test_acc == pytest.approx(sa.final_test_acc)
        assert evaluation.accuracy(res.labels, res.preds) == pytest.approx(sa.final_test_acc, abs=1e-6)
        assert len(res.labels) == N_TEST and evaluation.accuracy(res.labels, res.preds) > 0.3

        # b trains now; c waits for the CPU and is cancelled; b is stopped mid-run and keeps its weights
        assert wait_for_state(m, b, lambda s: len(s.steps) >= 3)
        assert not m.get(b).cluster_wait
        c = m.submit(quick, "ann")
        assert m.stop(c)
        sc = m.wait(c, timeout=30)
        assert sc.status == "stopped" and sc.reason.key == "train.reason.cancelled" and not sc.steps
        assert m.stop(b)
        sb = m.wait(b, timeout=120)
        assert sb.status == "stopped" and sb.reason.key == "train.reason.stopped_by_user", sb.reason
        assert 0 < sb.step < sb.total_steps and sb.result is not None and sb.result.checkpoint.is_file()
        _, meta_b = load_checkpoint(sb.result.checkpoint)
        assert meta_b.epochs == 0 and not m.stop(b)
        assert not {a, b, c} & set(backend._runs)   # every finished run was forgotten (its actor ended)
    finally:
        m.close()
    assert not ray.is_initialized()


def wait_for_state(m, job_id, cond, timeout=120.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond(m.get(job_id)):
            return True
        time.sleep(0.1)
    print(f"{job_id} timed out: {m.get(job_id)}; {diagnose(m.ray, job_id)}")   # shown by pytest on failure
    return False
