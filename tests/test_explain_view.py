"""ui.explain_view: the panel "How this number was computed" and the translation-invariance chart, rendered
by Streamlit's AppTest for every layer kind, in both languages and in lecture mode."""

import pytest
from streamlit.testing.v1 import AppTest

from cnnviz import checkpoints

pytestmark = pytest.mark.skipif(not checkpoints.list_checkpoints(), reason="no shipped checkpoints")


def _panels():
    import streamlit as st

    from cnnviz import checkpoints, data, explain
    from ui.explain_view import explanation_section, show_explanation, translation_invariance_section

    ds = data.load_embedded()
    cells = {"lenet5": [("c3", (4, 3, 6)), ("relu1", (0, 14, 14)), ("s2", (2, 7, 7)), ("c5", (3,)),
                        ("flatten", (17,)), ("f6", (5,)), (explain.SOFTMAX, (2,))],
             "densenet": [("1.0.norm", (3, 10, 10)), ("2.pool", (1, 4, 4)), ("1.1.concat", (30, 5, 5))],
             "resnet": [("3.add", (2, 5, 5))]}
    for arch, todo in cells.items():
        model, meta = checkpoints.load_checkpoint(checkpoints.shipped_path(arch))
        x = data.normalize(ds.test_x[:1], meta.mean, meta.std)
        image = ds.test_x[0].numpy() / 255.0
        for i, (layer, idx) in enumerate(todo):
            e = explain.explain_cell(model, x, layer, idx, label=int(ds.test_y[0]))
            st.session_state.setdefault("kinds", []).append(e.kind)
            show_explanation(e, image, meta.classes, key=f"{arch}_{i}")
    model, meta = checkpoints.load_checkpoint(checkpoints.shipped_path("lenet5"))
    x = data.normalize(ds.test_x[:1], meta.mean, meta.std)
    explanation_section(model, x, "c9", (0, 0, 0), key="bad_layer")
    explanation_section(model, x, "c1", (0, 28, 0), key="bad_index")
    translation_invariance_section(model, ds.test_x[0].numpy(), meta.mean, meta.std)


def _run(lang: str, lecture: bool) -> AppTest:
    at = AppTest.from_function(_panels, default_timeout=120)
    at.session_state["cnnviz_lang"] = lang
    at.session_state["cnnviz_lecture"] = lecture
    at.run()
    assert not at.exception, at.exception
    return at


@pytest.mark.parametrize("lang,lecture", [("en", False), ("zh", True)])
def test_panel_renders_every_kind(lang, lecture):
    at = _run(lang, lecture)
    kinds = at.session_state["kinds"]
    assert set(kinds) == {"conv", "relu", "max_pool", "flatten", "linear", "softmax", "batch_norm", "avg_pool",
                          "concat", "add"}
    title = "How this number was computed" if lang == "en" else "这个数是怎样算出来的"
    assert [s.value for s in at.subheader].count(title) == len(kinds)
    # every panel says its terms add up, and the two metrics show the same number
    agree = "The terms add up" if lang == "en" else "各项之和等于网络自己的输出"
    assert sum(agree in s.value for s in at.success) == len(kinds)
    metrics = [float(m.value.replace("−", "-")) for m in at.metric]
    assert len(metrics) == 2 * len(kinds)
    assert all(abs(v - tot) <= 1.5e-4 * max(1.0, abs(v)) for v, tot in zip(metrics[0::2], metrics[1::2]))
    text = " ".join(m.value for m in at.markdown) + " ".join(c.value for c in at.caption)
    if lang == "zh":
        assert "卷积核" in text and "展平" in text and "感受野" in text
        assert "批归一化" in " ".join(i.value for i in at.info)
    else:
        assert "c·H·W + h·W + w" in text and "Receptive field" in text
        assert "Why ReLU" in " ".join(i.value for i in at.info)
    assert any(("pooling" if lang == "en" else "池化") in c.value for c in at.caption)
    warnings = [w.value for w in at.warning]
    assert len(warnings) == 2 and ("c9" in warnings[0]) and ("28" in warnings[1])
    assert at.slider(key="fm_invariance_shift").value == 1
    at.slider(key="fm_invariance_shift").set_value(3).run()
    assert not at.exception
    assert any(("3 pixel" if lang == "en" else "3 个像素") in m.value for m in at.markdown)
