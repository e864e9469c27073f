"""AppTest of the home page's LeNet-5 table (sizes by kind, receptive fields, parameter arithmetic, weight
sharing in numbers) and of the shipped models' accuracy basis, in English and Chinese."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

PAGE = str(Path(__file__).resolve().parents[1] / "pages" / "home.py")


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_lenet_table_shows_sizes_fields_and_parameters(lang):
    at = AppTest.from_file(PAGE, default_timeout=120)
    at.session_state["cnnviz_lang"] = lang
    at.run()
    assert not at.exception, at.exception
    table = at.dataframe[0].value
    layer, size, field, params = table.columns[0], table.columns[4], table.columns[5], table.columns[6]
    rows = {r[layer]: r for _, r in table.iterrows()}
    assert {k: rows[k][field] for k in ("c1", "s2", "c3", "s4", "c5")} == \
        {"c1": "5×5", "s2": "6×6", "c3": "14×14", "s4": "16×16", "c5": "32×32"}
    assert rows["c1"][params] == "6·(1·5·5) + 6 = 156"
    assert rows["c3"][params] == "16·(6·5·5) + 16 = 2,416"
    assert rows["f6"][params] == "120·84 + 84 = 10,164"
    unchanged = "size unchanged" if lang == "en" else "尺寸不变"
    assert [k for k, r in rows.items() if r[size] == unchanged] == ["relu1", "relu3", "relu5", "relu6"]
    assert rows["flatten"][size] == "C·H·W = 120·1·1 = 120" and "84" in rows["f6"][size]
    text = " ".join(m.value for m in at.markdown)
    assert "61,706" in text and "203,530" in text
    assert any("\\left\\lfloor" in latex.value for latex in at.latex)
    assert any("e^{z_i}" in latex.value for latex in at.latex)
    assert any("±0." in c.value for c in at.caption)
