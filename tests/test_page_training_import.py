"""The training page's "Import weights trained elsewhere": a state_dict saved by torch from a LeNet-5 trained
elsewhere is checked and saved as the user's checkpoint, which then loads with the same weights; a file of
the wrong shapes is explained and nothing is saved."""

import io
from pathlib import Path

import torch
from streamlit.testing.v1 import AppTest

from cnnviz import checkpoints, models

PAGE = str(Path(__file__).resolve().parents[1] / "pages" / "training.py")


def state_dict_bytes(model) -> bytes:
    buf = io.BytesIO()
    torch.save(model.state_dict(), buf)
    return buf.getvalue()


def test_import_a_state_dict_and_save_it(tmp_path, monkeypatch):
    monkeypatch.setenv("CNNVIZ_USER_CHECKPOINTS", str(tmp_path))
    monkeypatch.setenv("CNNVIZ_PREWARM", "0")
    torch.manual_seed(3)
    elsewhere = models.build("lenet5")
    at = AppTest.from_file(PAGE, default_timeout=120).run()
    assert not at.exception
    at.selectbox(key="train_import_target").set_value("simple_cnn").run()
    upload = ("w.pt", state_dict_bytes(elsewhere), "application/octet-stream")
    at.file_uploader(key="train_import_file").set_value(upload).run()
    assert at.error and not list(tmp_path.glob("*.safetensors"))      # LeNet-5's weights for simple_cnn: explained
    at.selectbox(key="train_import_target").set_value("lenet5").run()
    assert not at.exception and at.success
    next(b for b in at.button if "Save" in str(b.label)).click().run()
    saved = list(tmp_path.glob("*.safetensors"))
    assert [p.stem for p in saved] == ["imported-lenet5"], [s.value for s in at.error]
    model, meta = checkpoints.load_checkpoint(saved[0])
    for k, v in elsewhere.state_dict().items():
        assert torch.equal(model.state_dict()[k], v)
