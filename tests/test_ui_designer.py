"""AppTest of the design and import/export sections on a test page (tests/ui_pages/design_io_page.py)."""

import io
from pathlib import Path

import torch
from streamlit.testing.v1 import AppTest

from cnnviz import models
from cnnviz import spec as S

PAGE = str(Path(__file__).resolve().parent / "ui_pages" / "design_io_page.py")


def page(**query) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=60)
    for k, v in query.items():
        at.query_params[k] = v
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def edit(at: AppTest, text: str) -> AppTest:
    at.text_area(key="design_text").set_value(text).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_the_default_example_is_checked_with_shapes_and_parameters():
    at = page()
    table = at.dataframe[0].value
    assert table["output shape"].tolist()[:3] == ["6×28×28", "6×28×28", "6×14×14"]
    assert table["parameters"].sum() == models.count_parameters(models.build("lenet5"))
    assert "61,706" in at.markdown[0].value
    assert at.session_state["test_spec"] == S.normalize_spec(S.EXAMPLES["lenet5_like"])
    assert not at.error


def test_a_shape_error_names_the_layer_and_a_fix_clears_it():
    at = edit(page(), "conv 8 5\nmaxpool 2\nconv 16 5\nmaxpool 2\nconv 32 5\n")
    assert at.error and "Layer 5 (conv): a 5×5 window does not fit on a 4×4 map" in at.error[0].value
    assert at.session_state["test_spec"] is None
    at = edit(at, "conv 8 5\nmaxpool 2\nconv 16 5\nmaxpool 2\nconv 32 3 pad=1\n")
    assert not at.error
    table = at.dataframe[0].value
    assert table["output shape"].tolist()[-3:] == ["32×4×4", "512", "10"]
    assert table["layer"].tolist()[-2:] == ["flatten  (added)", "linear 10  (added)"]


def test_text_errors_and_the_number_of_classes():
    at = edit(page(classes="3"), "relu\nconvolution 3\n")
    assert at.error and at.error[0].value.startswith("Line 2: unknown layer")
    at = edit(at, "flatten\nlinear 64\n")
    assert at.dataframe[0].value["output shape"].tolist()[-1] == "3"


def test_an_example_replaces_the_text():
    at = page()
    at.selectbox(key="design_example").set_value("seed001_sigmoid").run()
    assert "sigmoid" in at.text_area(key="design_text").value
    assert at.dataframe[0].value["type"].tolist().count("Sigmoid") == 2


def saved(state) -> bytes:
    buf = io.BytesIO()
    torch.save(state, buf)
    return buf.getvalue()


def test_import_for_an_architecture_a_mismatch_and_the_designed_network():
    at = page()
    assert at.selectbox(key="import_target").options[0] == "the designed network"
    at.selectbox(key="import_target").set_value("simple_cnn").run()
    at.file_uploader(key="import_file").set_value(("w.pt", saved(models.build("simple_cnn").state_dict()),
                                                   "application/octet-stream")).run()
    assert not at.exception and at.success
    assert "w.pt" in at.success[0].value.replace("\u2060", "").replace("\\", "")   # the name, escaped
    assert at.session_state["test_imported"] == "Sequential"

    at.selectbox(key="import_target").set_value("lenet5").run()
    assert at.error and at.error[0].value.startswith("These weights do not fit the lenet5 architecture")
    assert at.session_state["test_imported"] is None

    at.selectbox(key="import_target").set_value("__designed__").run()   # the default text: LeNet-5-like
    assert at.error   # the simple_cnn weights still uploaded do not fit the designed network
    state = models.from_spec(S.EXAMPLES["lenet5_like"]).state_dict()
    renamed = {f"layer{i // 2}.{k.rsplit('.', 1)[1]}": v for i, (k, v) in enumerate(state.items())}
    at.file_uploader(key="import_file").set_value(("mine.pt", saved(renamed), "application/octet-stream")).run()
    assert at.session_state["test_imported"] == "SpecNet" and at.info   # matched by order: other names


def test_a_spec_upload_fills_the_editor_and_a_hostile_one_is_explained():
    at = page()
    at.file_uploader(key="design_upload").set_value(("net.json", S.to_json(S.EXAMPLES["small_resnet"]).encode(),
                                                     "application/json")).run()
    assert "residual" in at.text_area(key="design_text").value and not at.error
    at.file_uploader(key="design_upload").set_value(("bomb.json", b"[" * 20_000, "application/json")).run()
    assert at.error and "nested too deeply" in at.error[0].value
    assert "residual" in at.text_area(key="design_text").value   # the editor keeps the last good text
    at = edit(at, "relu\n")
    assert not at.error   # editing the text clears the upload's message


def test_chinese():
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.session_state["cnnviz_lang"] = "zh"
    at.run()
    at.text_area(key="design_text").set_value("conv 8 28\nmaxpool 2\n").run()
    assert "第 2 层（maxpool）：2×2 的窗口放不进 1×1 的特征图" in at.error[0].value
