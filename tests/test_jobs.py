"""The job manager: queueing, stop, orphan cleanup, crashed workers, concurrent jobs, the per-owner cap.

Every job trains 1 epoch on a few hundred digits, so each takes a few seconds.
"""

import os
import re
import signal
import threading
import time

import numpy as np
import pytest

from cnnviz import checkpoints, evaluation
from cnnviz.jobs import FINISHED, JobManager, TooManyRuns
from cnnviz.runs import (
    OVERFIT_DEMO,
    accuracy_gap,
    compare_rows,
    format_seconds,
    plan_logging,
    step_plan,
    steps_per_epoch,
)
from cnnviz.saving import save_job_checkpoint
from cnnviz.slots import Slots
from cnnviz.training import TrainConfig

CJK = re.compile(r"[\u4e00-\u9fff]")


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
        if job.worker is not None:
            assert job.worker.exitcode() is not None


@pytest.mark.slow
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
        path = save_job_checkpoint(st, tmp_path / "user", f"{arch} run", owner="alice")
        model, meta = checkpoints.load_checkpoint(path)
        assert meta.arch == arch and meta.test_acc == pytest.approx(st.final_test_acc)
        with pytest.raises(checkpoints.CheckpointError, match="already exists"):
            save_job_checkpoint(st, tmp_path / "user", f"{arch} run", owner="alice")
    assert_no_workers(manager)


@pytest.mark.slow
def test_stop_keeps_weights_and_charts(manager):
    job = manager.submit(tiny("lenet5", train_limit=2000, epochs=3, batch_size=16, log_every=5), "carol")
    assert wait_for(lambda: len(manager.get(job).steps) >= 3)
    assert manager.stop(job)
    st = manager.wait(job, timeout=60)
    assert st.status == "stopped" and st.reason.key == "train.reason.stopped_by_user"
    assert 0 < st.step < st.total_steps and len(st.steps) >= 3
    assert st.result is not None and st.result.checkpoint is not None and st.result.checkpoint.is_file()
    assert st.final_test_acc is not None
    assert not manager.stop(job)  # already finished
    assert_no_workers(manager)


@pytest.mark.slow
def test_crashed_worker_gives_failed_state_with_reason(manager):
    job = manager.submit(tiny("lenet5", train_limit=4000, epochs=5, batch_size=16), "dave")
    assert wait_for(lambda: manager.get(job).steps)
    os.kill(manager.get(job).pid, signal.SIGKILL)  # e.g. the kernel's out-of-memory killer
    st = manager.wait(job, timeout=30)
    assert st.status == "failed" and st.reason.key == "train.reason.crashed"
    assert "SIGKILL" in str(st.reason) and CJK.search(st.reason.render("zh"))
    assert st.steps  # the charts so far are kept
    assert st.result is None
    assert_no_workers(manager)


@pytest.mark.slow
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
        assert st.status == "failed" and "unknown dataset 'no-such-dataset'" in str(st.reason)
        assert st.reason.key == "data.error.unknown"
        st = m.wait(boom, timeout=90)
        assert st.status == "failed" and st.reason.key == "train.reason.diverged"
        assert st.result is not None and st.result.checkpoint is not None  # the last good weights
        model, _ = checkpoints.load_checkpoint(st.result.checkpoint)  # finite and loadable
    finally:
        m.close()


@pytest.mark.slow
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


@pytest.mark.slow
def test_prewarmed_spare_is_used_and_closed(tmp_path):
    m = JobManager(max_jobs=1, root=tmp_path, threads_per_job=1, prewarm=True)
    try:
        assert wait_for(lambda: m._spare is not None)
        spare_pid = m._spare.pid
        st = m.wait(m.submit(tiny("mlp"), "jill"), timeout=120)
        assert st.status == "done" and st.pid == spare_pid
        workers = [j.worker for j in m._jobs.values()] + ([m._spare] if m._spare else [])
    finally:
        m.close()
    assert all(w.exitcode() is not None for w in workers)


def test_plan_logging():
    assert plan_logging(8000, 2000, 64, 10) == (8, 0)   # evaluations at epoch ends
    assert plan_logging(8000, 2000, 64, 1) == (1, 62)   # one epoch: a mid-epoch evaluation too
    assert plan_logging(100, 50, 512, 1) == (1, 0)   # batch larger than the data: one step per epoch
    assert plan_logging(60000, 10000, 64, 5)[1] == 0  # big test set: evaluate at epoch ends only


def test_format_seconds_and_compare_rows():
    assert [format_seconds(x) for x in (None, float("nan"), 0, 75, 3725)] == ["–", "–", "0:00", "1:15", "1:02:05"]
    from cnnviz.jobs import JobState

    st = JobState("001", "o", tiny("mlp"), status="done", final_test_acc=0.9, train_seconds=2.0, params=7,
                  n_train=256, epochs=[{}])
    (row,) = compare_rows([("#1 MLP", st)])
    assert row["run"] == "#1 MLP" and row["epochs"] == "1/1" and row["samples/s"] == 128 and row["parameters"] == 7


def answers_within(fn, seconds=30.0):
    """Call ``fn`` in a thread; fail if it blocks (a deadlock) instead of answering."""
    out = []
    worker = threading.Thread(target=lambda: out.append(fn()), daemon=True)
    worker.start()
    worker.join(seconds)
    assert out, f"{fn} did not answer within {seconds}s: the manager is blocked"
    return out[0]


@pytest.mark.slow
def test_sigkilled_workers_never_block_the_manager(tmp_path):
    """Issue 19 item 11: a worker SIGKILLed at any moment, also right after a stop request, leaves the
    manager answering and the job failed with a translated reason."""
    m = JobManager(max_jobs=1, orphan_timeout=3600, root=tmp_path, threads_per_job=1, max_per_owner=5)
    try:
        for round_ in range(3):
            job = m.submit(tiny("lenet5", train_limit=4000, epochs=5, batch_size=16), "kim")
            assert wait_for(lambda job=job: m.get(job).steps, timeout=240)  # a worker starts slowly under load
            if round_ % 2:
                m.stop(job)  # the stop request is in flight while the worker dies
            os.kill(m.get(job).pid, signal.SIGKILL)
            answers_within(lambda: m.jobs_for("kim"))
            st = m.wait(job, timeout=30)
            assert st.status == "failed" and st.reason.key == "train.reason.crashed"
            assert st.reason.args["exit"].args == {"signal": "SIGKILL"}
            assert CJK.search(st.reason.render("zh")) and st.steps
        other = answers_within(lambda: m.submit(tiny("mlp"), "lee"))
        assert m.wait(other, timeout=120).status == "done"
        assert_no_workers(m)
    finally:
        answers_within(m.close)


def test_runs_per_owner_are_capped(tmp_path):
    m = JobManager(max_jobs=1, orphan_timeout=3600, root=tmp_path, threads_per_job=1, max_per_owner=2)
    try:
        first = m.submit(tiny("lenet5", train_limit=4000, epochs=5), "mia")
        queued = m.submit(tiny("mlp"), "mia")
        with pytest.raises(TooManyRuns) as info:
            m.submit(tiny("mlp"), "mia")
        assert info.value.key == "train.error.too_many_runs" and info.value.args_dict == {"count": 2, "limit": 2}
        assert CJK.search(info.value.message.render("zh"))
        nick = m.submit(tiny("mlp"), "nick")  # someone else is not affected
        assert m.get(nick).queue_position == 2
        assert m.stop(queued) and m.get(queued).reason.key == "train.reason.cancelled"
        m.submit(tiny("mlp"), "mia")  # a finished (here: cancelled) run frees a place
        assert len(m.jobs_for("mia")) == 3 and m.get(first).active
    finally:
        m.close()


def test_max_runs_per_owner_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("CNNVIZ_MAX_RUNS_PER_OWNER", "3")
    m = JobManager(max_jobs=1, root=tmp_path, threads_per_job=1)
    try:
        assert m.max_per_owner == 3
    finally:
        m.close()
    for bad in ("0", "abc"):
        monkeypatch.setenv("CNNVIZ_MAX_RUNS_PER_OWNER", bad)
        with pytest.raises(ValueError, match="CNNVIZ_MAX_RUNS_PER_OWNER"):
            JobManager(max_jobs=1, root=tmp_path, threads_per_job=1)


@pytest.mark.slow
def test_two_managers_share_one_machine_wide_limit(tmp_path):
    """Issue 18 §3: two servers (replicas) with the limit 1 and the same slots folder never train two
    runs at once; the second run waits in its own queue and starts when the first has ended."""
    slots_dir = tmp_path / "slots"
    kw = dict(orphan_timeout=3600, threads_per_job=1)
    m1 = JobManager(root=tmp_path, slots=Slots(slots_dir, 1), **kw)
    m2 = JobManager(root=tmp_path, slots=Slots(slots_dir, 1), **kw)
    try:
        a = m1.submit(tiny("mlp"), "ann")
        assert m1.get(a).status in ("starting", "running")
        b = m2.submit(tiny("mlp", seed=1), "ben")
        st_b = m2.get(b)
        assert (st_b.status, st_b.queue_position, st_b.pid) == ("queued", 1, None)   # m2 itself runs nothing
        assert m2.running_count() == 0 and m1.running_total() == m2.running_total() == 1 and m2.limit() == 1
        active = ("starting", "running", "stopping")
        samples, deadline = [], time.monotonic() + 240
        while time.monotonic() < deadline:
            sb = m2.get(b).status   # b first: once b holds the slot, a was finished before it was released
            sa = m1.get(a).status
            samples.append((sa, sb))
            assert not (sa in active and sb in active), samples[-20:]
            if sa in FINISHED and sb in FINISHED:
                break
            time.sleep(0.02)
        assert m1.get(a).status == "done" and m2.get(b).status == "done", (m1.get(a).reason, m2.get(b).reason)
        assert any(sa in active and sb == "queued" for sa, sb in samples)       # b waited while a trained ...
        assert any(sa == "done" and sb in active + ("done",) for sa, sb in samples)  # ... then ran
        assert m2.get(b).steps == [1, 2, 3, 4] and m1.running_total() == 0
    finally:
        m1.close()
        m2.close()


def test_steps_per_epoch_and_the_help_text():
    """Issue 15 §4: "8,000 digits / batch 64 = 125 steps per epoch", computed from the settings."""
    from cnnviz.messages import msg

    assert [steps_per_epoch(n, b) for n, b in ((8000, 64), (300, 64), (256, 64), (100, 1024), (1, 1))] == \
        [125, 5, 4, 1, 1]
    plan = step_plan(8000, 64, 5)
    assert (plan.steps, plan.total) == (125, 625)
    en = msg("train.steps_caption", **plan.args()).english()
    assert "8,000 digits / batch 64 = 125 steps per epoch" in en and "625 steps" in en
    assert "8,000 个数字 / 批大小 64 = 每轮 125 步" in msg("train.steps_caption", **plan.args()).render("zh")
    assert "8,000 training digits / batch 64 = 125 steps" in msg("train.batch_help", **plan.args()).english()
    # the demo overfits: few digits, many epochs, nothing that fights memorizing
    assert OVERFIT_DEMO["limit"] <= 500 and OVERFIT_DEMO["epochs"] >= 20
    assert not OVERFIT_DEMO["augment"] and OVERFIT_DEMO["dropout"] == 0


def test_accuracy_gap():
    from cnnviz.jobs import JobState

    st = JobState("001", "o", tiny("mlp"))
    assert accuracy_gap(st) is None
    st.eval_steps, st.eval_epochs, st.train_acc, st.test_acc = [5, 10], [1, 2], [0.7, 0.99], [0.68, 0.8]
    gap = accuracy_gap(st)
    assert (gap.epoch, gap.step, gap.train_acc, gap.test_acc) == (2, 10, 0.99, 0.8)
    assert gap.points == pytest.approx(19.0) and gap.overfitting
    st.train_acc[-1] = float("nan")          # an evaluation that failed: the one before counts
    gap = accuracy_gap(st)
    assert gap.step == 5 and gap.points == pytest.approx(2.0) and not gap.overfitting


def test_a_ray_address_without_ray_is_a_message_for_the_page(monkeypatch, tmp_path):
    """CNNVIZ_RAY_ADDRESS set where Ray cannot be imported: the manager refuses with a message key (the page
    shows it in the reader's language); nothing is started or left behind."""
    import sys

    from cnnviz.ray_backend import RayUnavailable

    monkeypatch.setenv("CNNVIZ_RAY_ADDRESS", "head.example:6379")
    monkeypatch.setitem(sys.modules, "ray", None)        # import ray -> ImportError
    threads = threading.active_count()
    with pytest.raises(RayUnavailable) as info:
        JobManager(root=tmp_path, threads_per_job=1)
    err = info.value
    assert err.key == "ray.error.not_installed" and "requirements-ray.txt" in str(err)
    assert "CNNVIZ_RAY_ADDRESS" in str(err)
    assert CJK.search(err.message.render("zh"))
    assert not list(tmp_path.iterdir()) and threading.active_count() == threads
