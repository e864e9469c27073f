"""cnnviz.slots: a training limit shared by processes, freed when a holder dies (even by SIGKILL)."""

import multiprocessing as mp
import os
import signal

import pytest

from cnnviz.slots import Slots, default_slots_dir

CTX = mp.get_context("spawn")


def _hold(directory: str, limit: int, tag: str, took, release) -> None:
    """Child: take a slot, say which (or -1), hold it until told to release (or until killed)."""
    slot = Slots(directory, limit).try_acquire(tag)
    took.put(-1 if slot is None else slot.index)
    if slot is not None:
        release.wait(60)
        slot.release()


def _start_holder(directory, limit, tag):
    took, release = CTX.Queue(), CTX.Event()
    p = CTX.Process(target=_hold, args=(str(directory), limit, tag, took, release), daemon=True)
    p.start()
    return p, took.get(timeout=60), release


def test_limit_is_shared_by_processes_and_a_killed_holder_frees_its_slot(tmp_path):
    slots = Slots(tmp_path, 2)
    a, a_index, a_release = _start_holder(tmp_path, 2, "job-a")
    b, b_index, b_release = _start_holder(tmp_path, 2, "job-b")
    try:
        assert sorted([a_index, b_index]) == [0, 1]
        assert slots.in_use() == 2
        holders = slots.holders()
        assert holders[a_index] == f"{a.pid} job-a" and holders[b_index] == f"{b.pid} job-b"
        # a third process, and this one, find the machine full
        c, c_index, _ = _start_holder(tmp_path, 2, "job-c")
        c.join(30)
        assert c_index == -1
        assert slots.try_acquire("here") is None

        # SIGKILL: no cleanup code runs, and yet the kernel drops the lock with the process
        os.kill(a.pid, signal.SIGKILL)
        a.join(30)
        assert a.exitcode == -signal.SIGKILL
        assert slots.in_use() == 1
        mine = slots.try_acquire("here")
        assert mine is not None and mine.index == a_index
        assert slots.in_use() == 2 and slots.free() == 0

        # an orderly release frees the other one
        b_release.set()
        b.join(30)
        assert b.exitcode == 0
        assert slots.in_use() == 1
        mine.release()
        mine.release()                      # twice is harmless
        assert slots.in_use() == 0
    finally:
        for p in (a, b):
            if p.is_alive():
                p.kill()
                p.join(10)


def test_slots_in_one_process(tmp_path):
    slots = Slots(tmp_path / "s", 1)
    other = Slots(tmp_path / "s", 1)       # a second object (another replica's view) excludes too
    with slots.try_acquire("x") as slot:
        assert slot.held and slot.index == 0
        assert other.try_acquire("y") is None
        assert other.in_use() == 1
    assert not slot.held
    again = other.try_acquire("y")
    assert again is not None
    other.release(again)
    other.release(None)
    assert slots.in_use() == 0
    # a forgotten Slot object gives its slot back when it is collected
    slots.try_acquire("dropped")
    assert slots.in_use() == 0


def test_bad_limit_and_env(tmp_path, monkeypatch):
    with pytest.raises(ValueError):
        Slots(tmp_path, 0)
    monkeypatch.setenv("CNNVIZ_SLOTS_DIR", str(tmp_path / "shared"))
    monkeypatch.setenv("CNNVIZ_MAX_JOBS", "3")
    assert default_slots_dir() == tmp_path / "shared"
    s = Slots.from_env()
    assert s.limit == 3 and s.directory == tmp_path / "shared" and s.directory.is_dir()
    monkeypatch.delenv("CNNVIZ_SLOTS_DIR")
    assert default_slots_dir().name == f"cnnviz-slots-{os.getuid()}"
