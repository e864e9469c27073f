"""AppTest for the feature-map page's "How this number was computed", its state in the URL, the
translation-invariance experiment, the accuracy's basis and the downloads.

The page's numbers are compared with the library run directly on a separately loaded model
(``featuremaps.analyze_digit`` for the maps, ``explain.explain_cell`` for the panel)."""

from pathlib import Path

import numpy as np
import pytest
import torch
from streamlit.testing.v1 import AppTest

from cnnviz import checkpoints, data, drawing, explain, i18n, models
from cnnviz import featuremaps as fm

PAGE = str(Path(__file__).resolve().parents[1] / "pages" / "feature_maps.py")
pytestmark = pytest.mark.skipif(not checkpoints.shipped_path("lenet5").is_file(), reason="no shipped LeNet-5")


@pytest.fixture
def app(tmp_path, monkeypatch):
    monkeypatch.setenv("CNNVIZ_USER_CHECKPOINTS", str(tmp_path))
    return AppTest.from_file(PAGE, default_timeout=120)


def open_link(at: AppTest, **params) -> AppTest:
    for k, v in params.items():
        at.query_params[k] = str(v)
    return at.run()


def digit_of(label: int, k: int = 0) -> int:
    ds = data.load_embedded()
    return int(np.flatnonzero(ds.test_y.numpy() == label)[k])


def reference(idx: int, arch: str = "lenet5"):
    model, meta = checkpoints.load_checkpoint(checkpoints.shipped_path(arch))
    return model, fm.analyze_digit(model, meta, data.load_embedded().test_x[idx].numpy())


def panel(at: AppTest) -> dict[str, float]:
    """The panel's two numbers: the network's value and the total recomputed from the terms."""
    return {m.label: float(m.value) for m in at.metric}


def value_and_total(at: AppTest) -> tuple[float, float]:
    p = panel(at)
    return p[i18n.t("explain.value", "en")], p[i18n.t("explain.total", "en")]


def note(at: AppTest) -> str:
    head = i18n.t("url.bad_params", "en", names="").rstrip(".")
    return next((c.value for c in at.caption if head in c.value), "")


def test_a_link_reproduces_the_view_and_the_panel_matches_the_network(app):
    idx = digit_of(4)
    open_link(app, fm_mode="digit", fm_digit=idx, fm_layer="c3", fm_cell="5,4,6")
    assert not app.exception and not app.error and not note(app)
    assert app.segmented_control(key="fm_mode").value == "digit"
    assert app.selectbox(key="fm_layer").value == "c3"
    assert (app.number_input(key="fm_cell_ch").value, app.number_input(key="fm_cell_row").value,
            app.number_input(key="fm_cell_col").value) == (5, 4, 6)
    assert any(f"#{idx}" in c.value for c in app.caption)
    model, ref = reference(idx)
    c3 = next(v for v in ref.layers if v.name == "c3")
    value, total = value_and_total(app)
    assert value == pytest.approx(float(c3.values[5, 4, 6]), rel=1e-3, abs=1e-4)     # shown with 4 digits
    e = explain.explain_cell(model, ref.x, "c3", (5, 4, 6))
    assert total == pytest.approx(e.total, rel=1e-3, abs=1e-4)
    assert any(i18n.t("explain.rf_title", "en") in s for s in _plot_titles(app))     # the receptive field
    # the URL keeps the view (the digit, the layer and the cell), and nothing private
    assert dict(app.query_params) == {"fm_mode": "digit", "fm_digit": str(idx), "fm_layer": "c3", "fm_cell": "5,4,6"}


def _plot_titles(at: AppTest) -> list[str]:
    import json

    out = []
    for c in at.get("plotly_chart"):
        title = json.loads(c.proto.spec)["layout"].get("title") or {}
        out.append(title.get("text", "") if isinstance(title, dict) else str(title))
    return out


def test_the_lecture_tour_links_open_their_models(app):
    open_link(app, fm_model_a="shipped:resnet")
    assert not app.exception and not note(app)
    assert app.selectbox(key="fm_model_a").value == "shipped:resnet"
    app2 = AppTest.from_file(PAGE, default_timeout=120)
    open_link(app2, fm_model_a="shipped:lenet5")
    assert app2.selectbox(key="fm_model_a").value == "shipped:lenet5" and not note(app2)


def test_bad_and_stale_parameters_fall_back_to_defaults_with_a_note(app):
    open_link(app, fm_mode="digit", fm_model_a="shipped:nope", fm_digit="99999", fm_layer="no.such.layer",
              fm_cell="1,2,3", fm_digit_class="x")
    assert not app.exception and not app.error
    text = note(app)
    for name in ("fm_model_a", "fm_digit", "fm_layer", "fm_cell", "fm_digit_class"):
        assert name in text
    assert app.selectbox(key="fm_model_a").value == "shipped:lenet5"
    assert app.selectbox(key="fm_layer").index == 0
    assert all(k not in app.query_params for k in ("fm_model_a", "fm_layer", "fm_cell", "fm_digit_class"))
    assert not app.metric                                    # the panel stays closed until asked for
    app.button(key="fm_explain_go").click().run()
    value, total = value_and_total(app)                      # the default cell: the middle of channel 0
    assert total == pytest.approx(value, rel=1e-4, abs=1e-4)
    assert app.query_params["fm_layer"] == "c1" and app.query_params["fm_cell"] == "0,14,14"
    # a cell outside the layer, and a digit that is not of the linked class
    app2 = AppTest.from_file(PAGE, default_timeout=120)
    open_link(app2, fm_mode="digit", fm_digit_class="3", fm_digit=digit_of(5), fm_layer="c1", fm_cell="6,0,0")
    assert "fm_cell" in note(app2) and "fm_digit" in note(app2)
    assert any("a real MNIST 3" in c.value for c in app2.caption)
    # the same link works in Chinese (the URL holds option values, not the translated labels); the note
    # is translated
    app3 = AppTest.from_file(PAGE, default_timeout=120)
    app3.session_state["cnnviz_lang"] = "zh"
    open_link(app3, fm_model_a="nope", fm_mode="digit", fm_digit_class="3", fm_layer="softmax", fm_cell="3")
    assert any(i18n.t("url.bad_params", "zh", names="fm_model_a") in c.value for c in app3.caption)
    assert app3.segmented_control(key="fm_mode").value == "digit"
    assert app3.selectbox(key="fm_digit_class").value == "3" and app3.number_input(key="fm_cell_unit").value == 3
    assert i18n.t("explain.title", "zh") in [s.value for s in app3.subheader]


def test_a_click_on_a_pixel_of_a_map_explains_it(app):
    idx = digit_of(7)
    open_link(app, fm_mode="digit", fm_digit=idx)
    assert not app.metric and "fm_layer" not in app.query_params      # closed: nothing to explain yet
    model, ref = reference(idx)
    c1 = next(v for v in ref.layers if v.name == "c1")
    app.session_state["fm_tile_pick"] = {"layer": c1.index, "channel": 3, "row": 12, "col": 17}
    app.run()
    assert not app.exception and not app.error
    assert app.selectbox(key="fm_layer").value == "c1"
    value, total = value_and_total(app)
    assert value == pytest.approx(float(c1.values[3, 12, 17]), rel=1e-3, abs=1e-4)
    assert total == pytest.approx(value, rel=1e-3, abs=1e-4)
    assert app.query_params["fm_layer"] == "c1" and app.query_params["fm_cell"] == "3,12,17"
    # the inspector opens the same channel
    assert app.slider(key=f"fm_inspect_ch_shipped:lenet5_{c1.index}").value == 3
    # the ReLU after it: max(0, x) with "why ReLU"
    relu = ref.layers[c1.index + 1]
    assert relu.kind == "ReLU"
    app.session_state["fm_tile_pick"] = {"layer": relu.index, "channel": 3, "row": 12, "col": 17}
    app.run()
    assert any(i18n.t("explain.relu.before_after", "en", x=float(c1.values[3, 12, 17]),
                      y=float(relu.values[3, 12, 17])) in m.value for m in app.markdown)
    assert any(m.value.startswith("Why ReLU") for m in app.info)
    # a click on the inspector's heatmap (the channel shown there: 3 of the ReLU) at x = 5, y = 20
    app.session_state["fm_bar_pick"] = {"which": "fm_inspect_fig_shipped:lenet5", "x": 5, "y": 20, "point": 7}
    app.run()
    assert app.selectbox(key="fm_inspect_layer_shipped:lenet5").value == relu.index
    assert app.query_params["fm_layer"] == relu.name and app.query_params["fm_cell"] == "3,20,5"
    value, _ = value_and_total(app)
    assert value == pytest.approx(float(relu.values[3, 20, 5]), rel=1e-3, abs=1e-4)
    # a stale or malformed click changes nothing
    for bad in ({"layer": 999, "channel": 0}, {"layer": "x"}, {"row": 3}):
        app.session_state["fm_tile_pick"] = bad
        app.run()
        assert not app.exception and app.selectbox(key="fm_layer").value == relu.name
    for bad in ({"which": "fm_inspect_fig_shipped:lenet5", "x": 99, "y": 0}, {"which": "fm_inspect_fig_x", "x": 1},
                {"which": "fm_probs_a", "point": 10}, {"which": "fm_layer_a_999", "point": 0}, {"point": "a"}):
        app.session_state["fm_bar_pick"] = bad
        app.run()
        assert not app.exception and app.query_params["fm_cell"] == "3,20,5", bad


def test_a_click_on_a_probability_shows_softmax_and_the_cross_entropy(app):
    idx = digit_of(2)
    open_link(app, fm_mode="digit", fm_digit=idx)
    model, ref = reference(idx)
    app.session_state["fm_bar_pick"] = {"which": "fm_probs_a", "x": None, "y": None, "point": 2}
    app.run()
    assert not app.exception and not app.error
    assert app.selectbox(key="fm_layer").value == explain.SOFTMAX
    assert app.number_input(key="fm_cell_unit").value == 2
    assert any(r"p_i = \frac{e^{z_i}}{\sum_j e^{z_j}}" in x.value for x in app.latex)
    value, total = value_and_total(app)
    assert value == pytest.approx(float(ref.probs[2]), rel=1e-3, abs=1e-4)
    loss = -np.log(float(torch.softmax(torch.as_tensor(ref.layers[-1].values, dtype=torch.float64), 0)[2]))
    assert any("cross-entropy" in i.value and f"{loss:.4f}"[:5] in i.value for i in app.info)
    # a bar of a vector layer (LeNet-5's F6: 84 units)
    f6 = next(v for v in ref.layers if v.is_vector and v.values.shape == (84,))
    app.session_state["fm_bar_pick"] = {"which": f"fm_layer_a_{f6.index}", "point": 40}
    app.run()
    assert app.selectbox(key="fm_layer").value == f6.name and app.number_input(key="fm_cell_unit").value == 40
    value, total = value_and_total(app)
    assert value == pytest.approx(float(f6.values[40]), rel=1e-3, abs=1e-4)
    assert total == pytest.approx(value, rel=1e-3, abs=1e-4)


@pytest.mark.parametrize("arch", [a for a in models.names() if checkpoints.shipped_path(a).is_file()])
def test_every_architecture_explains_every_layer_kind_on_the_page(app, arch):
    """Through links, one cell of the first layer of each kind (and the softmax): the panel shows the
    network's own value, and the terms add up to it."""
    idx = digit_of(8)
    model, ref = reference(idx, arch)
    first_of_kind = {}
    for v in ref.layers:
        first_of_kind.setdefault((v.kind, v.is_vector), v)
    open_link(app, fm_model_a=f"shipped:{arch}", fm_mode="digit", fm_digit=idx)
    agree = i18n.t("explain.agree", "en", diff=0).split("(")[0]
    for v in [*first_of_kind.values(), None]:
        shape = v.values.shape if v is not None else ref.probs.shape
        cell = (shape[0] - 1, shape[1] // 2, shape[2] // 3) if len(shape) == 3 else (shape[0] // 2,)
        open_link(app, fm_layer=v.name if v is not None else "softmax", fm_cell=",".join(map(str, cell)))
        where = (arch, v.name if v is not None else "softmax")
        assert not app.exception and not app.error and not note(app), where
        value, total = value_and_total(app)
        own = float(v.values[cell]) if v is not None else float(ref.probs[cell])
        assert value == pytest.approx(own, rel=1e-3, abs=1e-4), where
        assert total == pytest.approx(value, rel=1e-3, abs=1e-3), where
        assert any(s.value.startswith(agree) for s in app.success), where


def test_a_user_checkpoint_with_its_own_class_names(app, tmp_path):
    """A checkpoint saved by a user: the classes come from its metadata (names from a file are escaped),
    and its accuracy, measured on another dataset, gets no embedded-digits basis."""
    torch.manual_seed(0)
    names = ["_c_", "*bold*"] + [f"class {k}" for k in range(2, 10)]   # < > [ ] $ are refused in class names
    meta = checkpoints.CheckpointMeta(arch="lenet5", classes=names, test_acc=0.5, dataset="fashion")
    checkpoints.save_checkpoint(tmp_path / "mine.safetensors", models.build("lenet5"), meta)
    open_link(app, fm_model_a="user:mine", fm_mode="digit", fm_digit=digit_of(1), fm_layer="softmax", fm_cell="0")
    assert not app.exception and not app.error and not note(app)
    assert app.number_input(key="fm_cell_unit").value == 0
    value, total = value_and_total(app)
    assert total == pytest.approx(value, rel=1e-4, abs=1e-4)
    assert any(r"\_c\_" in m.value for m in app.markdown) and not any(" _c_" in m.value for m in app.markdown)
    assert not any("embedded test digits" in c.value for c in app.caption)
    open_link(app, fm_cell="10")                             # past the 10 classes: reset with a note
    assert "fm_cell" in note(app)


def test_invariance_export_and_basis_in_both_languages(app):
    from cnnviz import invariance

    idx = digit_of(0)
    open_link(app, fm_mode="digit", fm_digit=idx, fm_layer="s2")
    assert not app.exception
    assert i18n.t("inv.title", "en") in [s.value for s in app.subheader]
    assert not [c for c in app.get("plotly_chart") if "fm_invariance" in c.proto.id]   # run when asked for
    app.toggle(key="fm_invariance_on").set_value(True).run()
    import json

    model, meta = checkpoints.load_checkpoint(checkpoints.shipped_path("lenet5"))
    changes = invariance.translation_changes(model, data.load_embedded().test_x[idx].numpy(), meta.mean, meta.std)
    bars = next(json.loads(c.proto.spec)["data"][0] for c in app.get("plotly_chart") if "fm_invariance" in c.proto.id)
    assert list(bars["x"]) == [c.name for c in changes]
    np.testing.assert_allclose(np.asarray(bars["y"], float), [c.change for c in changes], rtol=1e-4)
    assert any("2,000 embedded test digits" in c.value and "±" in c.value for c in app.caption)
    assert {b.proto.label for b in app.get("download_button")} >= {i18n.t("modelio.onnx", "en"),
                                                                 i18n.t("modelio.state_dict", "en")}
    app.slider(key="fm_invariance_shift").set_value(3).run()
    assert not app.exception
    app.session_state["cnnviz_lang"] = "zh"
    app.run()
    assert not app.exception and not app.error
    heads = [s.value for s in app.subheader]
    assert i18n.t("inv.title", "zh") in heads and i18n.t("explain.title", "zh") in heads
    assert any(i18n.t("inv.why", "zh")[:10] in m.value for m in app.markdown)
    assert any("2,000 个内置测试数字" in c.value for c in app.caption)


def test_lecture_canvas_is_big_and_feeds_the_same_preprocessing(app):
    """In lecture mode the canvas is 448 px wide; a digit drawn at that size gives the same 28×28 input
    (up to resampling) and the same prediction as at 280 px."""
    import json

    def canvas_args(at):
        canvas = next(e.proto for e in at.get("bidi_component") if "drawable" in e.proto.component_name)
        return json.loads(canvas.json)

    app.run()
    assert canvas_args(app)["canvasWidth"] == 280
    app.session_state["cnnviz_lecture"] = True
    app.run()
    assert not app.exception
    args = canvas_args(app)
    assert args["canvasWidth"] >= 420 and args["canvasHeight"] == args["canvasWidth"]
    assert args["strokeWidth"] == round(20 * args["canvasWidth"] / 280)     # the same stroke, scaled
    model, meta = checkpoints.load_checkpoint(checkpoints.shipped_path("lenet5"))
    ds = data.load_embedded()
    agree = 0
    for k in range(10):
        digit = ds.test_x[digit_of(k)].numpy()
        small = fm.analyze_canvas(model, meta, drawing.render_digit(digit, size=(280, 280), centre=(140, 140),
                                                                     height=200))
        big = fm.analyze_canvas(model, meta, drawing.render_digit(digit, size=(448, 448), centre=(224, 224),
                                                                   height=320))
        assert np.abs(small.image - big.image).mean() < 0.03, k
        agree += small.pred == big.pred
    assert agree == 10
