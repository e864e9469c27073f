"""AppTest smoke test of the router and the home page."""

from pathlib import Path

from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[1] / "app.py")


def test_app_renders_the_home_page_without_exceptions():
    at = AppTest.from_file(APP, default_timeout=120).run()
    assert not at.exception
    assert not at.error
    assert "cnnviz" in at.title[0].value
    text = " ".join(m.value for m in at.markdown)
    assert "max(0, x)" in text and "softmax" in text
    tables = [df.value for df in at.dataframe]
    lenet = next(t for t in tables if "output size" in t.columns)
    assert "(28 − 5 + 2×2)/1 + 1 = 28" in lenet["output size"].tolist()
    shipped = next(t for t in tables if "test accuracy" in t.columns)
    assert len(shipped) == 8 and shipped["test accuracy"].min() >= 0.95
