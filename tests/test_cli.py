"""The training CLI."""

import subprocess
import sys

from cnnviz import checkpoints as C
from cnnviz import train as cli


def test_cli_trains_and_saves_a_checkpoint(tmp_path, capsys):
    rc = cli.main(["--arch", "simple_cnn", "--epochs", "1", "--out", str(tmp_path), "--quiet", "--name", "demo"])
    out = capsys.readouterr()
    assert rc == 0 and "saved" in out.out and "Embedded MNIST" in out.err
    model, meta = C.load_checkpoint(tmp_path / "demo.safetensors")
    assert meta.arch == "simple_cnn" and meta.epochs == 1 and meta.test_acc > 0.9
    assert meta.optimizer == "adam" and meta.train_seconds > 0


def test_cli_rejects_bad_settings(tmp_path, capsys):
    assert cli.main(["--arch", "vgg", "--out", str(tmp_path)]) == 2
    assert "unknown architecture" in capsys.readouterr().err
    assert cli.main(["--arch", "mlp", "--lr", "-1", "--out", str(tmp_path)]) == 2
    assert "learning rate" in capsys.readouterr().err
    assert not list(tmp_path.iterdir())


def test_cli_reports_divergence_and_still_saves_the_last_good_weights(tmp_path, capsys):
    rc = cli.main(["--arch", "lenet5", "--optimizer", "adam", "--lr", "1e6", "--epochs", "1", "--quiet",
                   "--out", str(tmp_path)])
    out = capsys.readouterr().out
    assert rc == 1 and "diverged" in out
    model, meta = C.load_checkpoint(tmp_path / "lenet5.safetensors")
    assert "failed" in meta.note


def test_module_entry_point_help():
    r = subprocess.run([sys.executable, "-m", "cnnviz.train", "--help"], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and "--arch" in r.stdout and "lenet5" in r.stdout
