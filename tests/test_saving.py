"""Saving from the training page into the shared folder (issue 19 item 8): exclusive creation, each saver's
files kept apart, no server path in messages, crashed saves cleaned up.  No training: the run's weights are
an untrained model's, saved as a finished job would have left them."""

import os
import threading
import time

import numpy as np
import pytest
import torch

from cnnviz import checkpoints as C
from cnnviz import models
from cnnviz.jobs import JobResult, JobState
from cnnviz.saving import owner_mark, save_job_checkpoint
from cnnviz.training import TrainConfig


def finished_job(tmp_path, arch="mlp", seed=0) -> JobState:
    torch.manual_seed(seed)
    path = C.save_checkpoint(tmp_path / f"job-{seed}.safetensors", models.build(arch),
                             C.CheckpointMeta(arch=arch, test_acc=0.5))
    empty = np.zeros(0, np.int64)
    result = JobResult(path, empty, empty, np.zeros(0), empty, np.zeros((0, 28, 28), np.uint8),
                       [str(i) for i in range(10)])
    return JobState(f"00{seed}", "someone", TrainConfig(arch=arch), status="done", result=result)


def save_at_once(barrier, outcomes, job, folder, name, owner):
    barrier.wait()
    try:
        outcomes.append(("saved", save_job_checkpoint(job, folder, name, owner)))
    except C.SaveError as exc:
        outcomes.append(("refused", exc.key))


def test_two_simultaneous_saves_under_one_name_cannot_both_succeed(tmp_path):
    jobs = [finished_job(tmp_path, seed=s) for s in range(8)]
    folder = tmp_path / "user"
    for trial in range(5):
        barrier, outcomes = threading.Barrier(len(jobs)), []
        threads = [threading.Thread(target=save_at_once, args=(barrier, outcomes, j, folder, f"race {trial}",
                                                               f"owner{i}")) for i, j in enumerate(jobs)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        saved = [o for o in outcomes if o[0] == "saved"]
        assert len(outcomes) == len(jobs) and len(saved) == 1, outcomes
        assert {o[1] for o in outcomes if o[0] == "refused"} == {"train.save.exists"}
        winner = saved[0][1]
        C.load_checkpoint(winner)   # complete and valid
        assert C.saved_by(winner) in {owner_mark(f"owner{i}") for i in range(len(jobs))}
    assert not list(folder.glob("*.tmp"))


def test_overwrite_replaces_only_your_own_file(tmp_path):
    folder = tmp_path / "user"
    mine, theirs = finished_job(tmp_path, seed=1), finished_job(tmp_path, seed=2)
    path = save_job_checkpoint(mine, folder, "shared name", "alice")
    assert path.name == "shared-name.safetensors" and C.saved_by(path) == owner_mark("alice")
    assert "alice" not in (C.saved_by(path) or "")   # the token itself is never written
    before = path.read_bytes()
    with pytest.raises(C.SaveError) as info:
        save_job_checkpoint(theirs, folder, "shared name", "bob", overwrite=True)
    assert info.value.key == "train.save.not_yours" and path.read_bytes() == before
    with pytest.raises(C.SaveError) as info:
        save_job_checkpoint(mine, folder, "shared name", "alice")
    assert info.value.key == "train.save.exists"
    again = save_job_checkpoint(theirs, folder, "shared name", "alice", overwrite=True)  # alice's own file
    assert again == path and path.read_bytes() != before


def test_messages_never_show_the_server_path(tmp_path):
    folder = tmp_path / "user"
    job = finished_job(tmp_path)
    save_job_checkpoint(job, folder, "x", "alice")
    for name, overwrite in (("x", False), ("???", False), ("x", True)):
        with pytest.raises(C.SaveError) as info:
            save_job_checkpoint(job, folder, name, "bob", overwrite=overwrite)
        for lang in ("en", "zh"):
            assert str(tmp_path) not in info.value.message.render(lang)
    job.result = None
    with pytest.raises(C.SaveError) as info:
        save_job_checkpoint(job, folder, "y", "bob")
    assert info.value.key == "train.save.nothing"


def test_temporary_files_of_crashed_saves_are_cleaned_up(tmp_path):
    folder = tmp_path / "user"
    folder.mkdir()
    stale = folder / ".old.safetensors.abc123.tmp"
    fresh = folder / ".busy.safetensors.def456.tmp"   # a save in progress right now: kept
    stale.write_bytes(b"half a checkpoint")
    fresh.write_bytes(b"being written")
    hour_ago = time.time() - 2 * C.STALE_TMP_SECONDS
    os.utime(stale, (hour_ago, hour_ago))
    save_job_checkpoint(finished_job(tmp_path), folder, "next", "alice")
    assert not stale.exists() and fresh.exists()
    assert sorted(p.name for p in folder.iterdir()) == [fresh.name, "next.safetensors"]
