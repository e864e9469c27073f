"""The training CLI: it trains and saves, and it never loses a checkpoint by accident (issue 19 item 3):
settings are checked before training, nothing is overwritten without --force, a failed run is saved only
with --save-failed and under a name that says so."""

import subprocess
import sys

import pytest
import torch

from cnnviz import checkpoints as C
from cnnviz import models
from cnnviz import train as cli


def shipped_like(path, arch="lenet5"):
    """A stand-in for a shipped checkpoint: the file whose loss the checks below guard against."""
    C.save_checkpoint(path, models.build(arch), C.CheckpointMeta(arch=arch, test_acc=0.987, note="shipped"))
    return path.read_bytes()


@pytest.mark.slow
def test_cli_trains_and_saves_a_checkpoint(tmp_path, capsys):
    rc = cli.main(["--arch", "simple_cnn", "--epochs", "1", "--out", str(tmp_path), "--quiet", "--name", "demo"])
    out = capsys.readouterr()
    assert rc == 0 and "saved" in out.out and "Embedded MNIST" in out.err
    model, meta = C.load_checkpoint(tmp_path / "demo.safetensors")
    assert meta.arch == "simple_cnn" and meta.epochs == 1 and meta.test_acc > 0.9
    assert meta.optimizer == "adam" and meta.train_seconds > 0


@pytest.mark.parametrize("argv, says", [
    (["--arch", "vgg"], "unknown architecture"),
    (["--arch", "mlp", "--lr", "-1"], "learning rate"),
    (["--arch", "mlp", "--device", "tpu"], "device"),
    (["--arch", "mlp", "--device", "cuda:9"], "device"),
    (["--arch", "mlp", "--seed", "-3"], "seed"),
    (["--arch", "mlp", "--seed", str(2**31)], "seed"),
    (["--arch", "mlp", "--name", "../.."], "not a usable checkpoint name"),
    (["--arch", "mlp", "--name", "///"], "not a usable checkpoint name"),
    (["--arch", "all", "--name", "x"], "--name needs a single --arch"),
])
def test_cli_rejects_bad_settings_before_training(tmp_path, capsys, monkeypatch, argv, says):
    monkeypatch.setattr(cli, "train", lambda *a, **k: pytest.fail("trained despite a bad setting"))
    assert cli.main([*argv, "--out", str(tmp_path / "out")]) == 2
    assert says in capsys.readouterr().err
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").iterdir())


def test_cli_rejects_an_unwritable_folder_before_training(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(cli, "train", lambda *a, **k: pytest.fail("trained into a folder it cannot write"))
    (tmp_path / "a-file").write_text("not a folder")
    assert cli.main(["--arch", "mlp", "--out", str(tmp_path / "a-file" / "sub")]) == 2
    assert "cannot write checkpoints" in capsys.readouterr().err


def test_cli_refuses_to_overwrite_without_force(tmp_path, capsys, monkeypatch):
    before = shipped_like(tmp_path / "lenet5.safetensors")
    monkeypatch.setattr(cli, "train", lambda *a, **k: pytest.fail("trained although it could not save"))
    assert cli.main(["--arch", "lenet5", "--out", str(tmp_path)]) == 2
    assert "already exists; use --force" in capsys.readouterr().err
    assert (tmp_path / "lenet5.safetensors").read_bytes() == before


@pytest.mark.slow
def test_cli_never_saves_a_diverged_run_unless_asked(tmp_path, capsys):
    """Issue 19 item 3: `--lr 1e6 --optimizer sgd` must not replace the shipped 98.7 % LeNet-5."""
    before = shipped_like(tmp_path / "lenet5.safetensors")
    argv = ["--arch", "lenet5", "--optimizer", "sgd", "--lr", "1e6", "--epochs", "1", "--quiet",
            "--out", str(tmp_path)]
    assert cli.main([*argv, "--force"]) == 1  # even --force does not save a failed run
    out = capsys.readouterr().out
    assert "diverged" in out and "not saved" in out and "--save-failed" in out
    assert (tmp_path / "lenet5.safetensors").read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["lenet5.safetensors"]
    # asked for: the last good weights, under a name that says so, the good file untouched
    assert cli.main([*argv, "--force", "--save-failed"]) == 1
    model, meta = C.load_checkpoint(tmp_path / "lenet5-failed.safetensors")
    assert "failed" in meta.note and all(torch.isfinite(p).all() for p in model.parameters())
    assert (tmp_path / "lenet5.safetensors").read_bytes() == before


@pytest.mark.slow
def test_cli_force_replaces(tmp_path, capsys):
    shipped_like(tmp_path / "mlp.safetensors", "mlp")
    assert cli.main(["--arch", "mlp", "--epochs", "1", "--quiet", "--out", str(tmp_path), "--force"]) == 0
    _, meta = C.load_checkpoint(tmp_path / "mlp.safetensors")
    assert meta.note.startswith("python -m cnnviz.train")


def test_module_entry_point_help():
    r = subprocess.run([sys.executable, "-m", "cnnviz.train", "--help"], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and "--arch" in r.stdout and "lenet5" in r.stdout and "--save-failed" in r.stdout
