"""The job manager: queueing, stop, orphan cleanup, crashed workers, concurrent jobs.

Every job trains 1 epoch on a few hundred digits, so each takes a few seconds.
"""

import os
import signal
import time

import numpy as np
import pytest

from cnnviz import checkpoints, evaluation
from cnnviz.jobs import JobManager, plan_logging, save_job_checkpoint
from cnnviz.training import TrainConfig


def tiny(arch="simple_cnn", **kw):
    base = dict(epochs=1, train_limit=256, test_limit=200, batch_size=64, log_every=1)
    base.update(kw)
    return TrainConfig.for_arch(arch, **base)


@pytest.fixture
def manager(tmp_path):
    m = JobManager(max_jobs=1, orphan_timeout=3600, root=tmp_path, threads_per_job=1)
    yield m
    m.close()


def wait_for(pred, timeout=90.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(0.05)
    return False


def assert_no_workers(m):
    for job in m._jobs.values():
        if job.process is not None:
            assert not job.process.is_alive()


def test_queue_positions_then_both_finish_correctly(manager, tmp_path):
    a = manager.submit(tiny("simple_cnn"), "alice")
    b = manager.submit(tiny("mlp", seed=1), "bob")
    c = manager.submit(tiny("mlp", seed=2), "bob")
    sa, sb, sc = manager.get(a), manager.get(b), manager.get(c)
    assert sa.status in ("starting", "running") and sa.queue_position is None
    assert (sb.status, sb.queue_position) == ("queued", 1)
    assert (sc.status, sc.queue_position) == ("queued", 2)
    assert manager.stop(c)  # cancelling a queued job moves nobody else, and it never starts
    assert manager.get(c).status == "stopped" and manager.get(c).pid is None
    assert manager.running_count() <= 1
    assert wait_for(lambda: manager.get(a).status in ("running", "done"))
    assert manager.get(b).status == "queued"  # the limit holds while a runs

    for job_id, arch in ((a, "simple_cnn"), (b, "mlp")):
        st = manager.wait(job_id, timeout=120)
        assert st.status == "done", st.reason
        assert st.config.arch == arch
        # chart-ready data: one loss point per step (log_every=1), an evaluation at the epoch end
        assert st.steps == list(range(1, 5)) and len(st.losses) == 4 and np.isfinite(st.losses).all()
        assert st.eval_steps == [4] and st.total_steps == 4 and st.progress == 1.0
        assert st.samples_per_s > 0 and st.n_train == 256 and st.n_test == 200
        # predictions agree with the reported accuracy, and with the saved weights
        res = st.result
        assert len(res.labels) == 200 and len(np.unique(res.labels)) > 5  # a sample of every class
        assert evaluation.accuracy(res.labels, res.preds) == pytest.approx(st.final_test_acc, abs=1e-6)
        assert len(res.wrong_index) == min(64, int((res.labels != res.preds).sum()))
        assert res.wrong_images.shape == (len(res.wrong_index), 28, 28)
        path = save_job_checkpoint(st, tmp_path / "user", f"{arch} run")
        model, meta = checkpoints.load_checkpoint(path)
        assert meta.arch == arch and meta.test_acc == pytest.approx(st.final_test_acc)
        with pytest.raises(checkpoints.CheckpointError, match="already exists"):
            save_job_checkpoint(st, tmp_path / "user", f"{arch} run")
    assert_no_workers(manager)


def test_stop_keeps_weights_and_charts(manager):
    job = manager.submit(tiny("lenet5", train_limit=2000, epochs=3, batch_size=16, log_every=5), "carol")
    assert wait_for(lambda: len(manager.get(job).steps) >= 3)
    assert manager.stop(job)
    st = manager.wait(job, timeout=60)
    assert st.status == "stopped" and "stopped by the user" in st.reason
    assert 0 < st.step < st.total_steps and len(st.steps) >= 3
    assert st.result is not None and st.result.checkpoint is not None and st.result.checkpoint.is_file()
    assert st.final_test_acc is not None
    assert not manager.stop(job)  # already finished
    assert_no_workers(manager)


def test_crashed_worker_gives_failed_state_with_reason(manager):
    job = manager.submit(tiny("lenet5", train_limit=4000, epochs=5, batch_size=16), "dave")
    assert wait_for(lambda: manager.get(job).steps)
    os.kill(manager.get(job).pid, signal.SIGKILL)  # e.g. the kernel's out-of-memory killer
    st = manager.wait(job, timeout=30)
    assert st.status == "failed"
    assert "crashed" in st.reason and "SIGKILL" in st.reason
    assert st.steps  # the charts so far are kept
    assert st.result is None
    assert_no_workers(manager)


def test_worker_error_and_divergence(tmp_path):
    m = JobManager(max_jobs=2, root=tmp_path, threads_per_job=1)
    try:
        for lr in (float("nan"), 0.0, -0.1):  # rejected before anything is queued
            with pytest.raises(ValueError, match="learning rate"):
                m.submit(tiny(lr=lr), "erin")
        assert m.jobs_for("erin") == []
        # validate() accepts any dataset name: the worker fails to load it and says why
        bad = m.submit(tiny("mlp", dataset="no-such-dataset"), "erin")
        boom = m.submit(tiny("mlp", lr=1e6, optimizer="sgd"), "erin")
        st = m.wait(bad, timeout=90)
        assert st.status == "failed" and "unknown dataset 'no-such-dataset'" in st.reason
        st = m.wait(boom, timeout=90)
        assert st.status == "failed" and "diverged" in st.reason
        assert st.result is not None and st.result.checkpoint is not None  # the last good weights
        model, _ = checkpoints.load_checkpoint(st.result.checkpoint)  # finite and loadable
    finally:
        m.close()


def test_orphaned_jobs_are_stopped_and_cleaned_up(tmp_path):
    alive = {"hank": True}
    m = JobManager(max_jobs=1, orphan_timeout=3600, root=tmp_path, threads_per_job=1,
                   liveness=lambda owner: alive.get(owner, False))
    try:
        running = m.submit(tiny("lenet5", train_limit=4000, epochs=5, batch_size=16), "ivan")
        queued = m.submit(tiny("mlp"), "ivan")
        kept = m.submit(tiny("mlp"), "hank")  # its session is still connected: never reaped
        assert wait_for(lambda: m.get(running) is not None and m.get(running).steps)
        pid = m.get(running).pid
        m.orphan_timeout = 0.5  # nobody sends heartbeats in this test
        # ivan stops polling: after the timeout both jobs are stopped and then forgotten
        assert wait_for(lambda: m.get(running) is None and m.get(queued) is None, timeout=60)
        assert m.jobs_for("ivan") == []
        assert not any(p.name.startswith(running) for p in m._root.iterdir())
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
        st = m.wait(kept, timeout=120)
        assert st.status == "done"
        time.sleep(1.0)
        assert m.get(kept) is not None  # liveness vouches for hank
    finally:
        m.close()
    assert not tmp_path.joinpath(m._root.name).exists()


def test_prewarmed_spare_is_used_and_closed(tmp_path):
    m = JobManager(max_jobs=1, root=tmp_path, threads_per_job=1, prewarm=True)
    try:
        assert wait_for(lambda: m._spare is not None)
        spare_pid = m._spare.process.pid
        st = m.wait(m.submit(tiny("mlp"), "jill"), timeout=120)
        assert st.status == "done" and st.pid == spare_pid
        procs = [j.process for j in m._jobs.values()] + ([m._spare.process] if m._spare else [])
    finally:
        m.close()
    assert not any(p.is_alive() for p in procs)


def test_plan_logging():
    assert plan_logging(8000, 2000, 64, 10) == (8, 0)   # evaluations at epoch ends
    assert plan_logging(8000, 2000, 64, 1) == (1, 62)   # one epoch: a mid-epoch evaluation too
    assert plan_logging(100, 50, 512, 1) == (1, 0)   # batch larger than the data: one step per epoch
    assert plan_logging(60000, 10000, 64, 5)[1] == 0  # big test set: evaluate at epoch ends only
