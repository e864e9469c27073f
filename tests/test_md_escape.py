"""ui.common.md_escape: a crafted class or file name shows as itself in Streamlit's markdown (issue 19, item 7).

The reference is Streamlit's own renderer: a real server draws the escaped text with ``st.markdown``,
``st.caption``, ``st.error`` and ``ui.i18n.tm(…, md=True)`` in headless Chromium, and the page must hold the
name as plain text, with no image, link, formula or extra block.
"""

from __future__ import annotations

import string
import subprocess
import sys
import textwrap

import pytest

from cnnviz.messages import msg
from tests.browser_support import ROOT, chromium_missing, free_port, stop_process_group, wait_healthy
from ui.common import md_escape

CRAFTED = [
    "![x](http://evil/img.png) [link](http://a) $x^2$",
    "<img src=http://evil/x.png onerror=alert(1)>",
    "www.evil.example and http://evil.example/path",
    ":red[alarm] :material/warning: **bold** _it_ `code` ~~gone~~",
    "# heading",
    "$$\\frac{1}{2}$$ \\(x\\) &lt;b&gt;",
    "mail a@evil.example or ftp://evil.example",
]


def test_every_ascii_punctuation_is_escaped_and_nothing_else_changes():
    for name in CRAFTED + [string.punctuation, "猫 Ankle boot 7"]:
        escaped = md_escape(name)
        # CommonMark 2.4: "\\" before ASCII punctuation stands for the character itself
        plain, i = [], 0
        while i < len(escaped):
            if escaped[i] == "\u2060":                       # the word joiner that stops autolinks
                i += 1
                continue
            if escaped[i] == "\\":
                assert escaped[i + 1] in string.punctuation, escaped
                i += 1
            else:
                assert escaped[i] not in string.punctuation, escaped
            plain.append(escaped[i])
            i += 1
        assert "".join(plain) == name
    assert md_escape("a\nb\r\u202ec\x00") == "a b  c "                 # no new block, no bidi override
    assert md_escape(3.5) == "3\u2060\\.5"


SCRIPT = """
import sys
sys.path.insert(0, {root!r})
import streamlit as st
from cnnviz.messages import msg
from ui.common import md_escape
from ui.i18n import tm

for i, name in enumerate({crafted!r}):
    with st.container(key=f"case_{{i}}"):
        st.markdown("**Model:** " + md_escape(name))
        st.caption(md_escape(name))
        st.error(tm(msg("ckpt.error.cannot_load", source=name, reason=msg("ckpt.error.empty")), md=True))
"""


@pytest.mark.browser
def test_crafted_names_render_inert_in_a_real_browser(tmp_path):
    from tests.browser_support import launch_chromium, wait_idle

    why = chromium_missing()
    if why:
        pytest.skip(why)
    script = tmp_path / "md_app.py"
    script.write_text(textwrap.dedent(SCRIPT.format(root=str(ROOT), crafted=CRAFTED)))
    port = free_port()
    with open(tmp_path / "server.log", "wb") as log:
        proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", str(script), "--server.port", str(port),
                                 "--server.address", "127.0.0.1", "--server.headless", "true",
                                 "--browser.gatherUsageStats", "false"],
                                cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        url = f"http://127.0.0.1:{port}"
        wait_healthy(url, 120, proc)
        with launch_chromium() as browser:
            page = browser.new_page()
            page.goto(url, wait_until="domcontentloaded", timeout=120_000)
            wait_idle(page)
            for i, name in enumerate(CRAFTED):
                box = page.locator(f"[class*='st-key-case_{i}']")
                box.wait_for()
                active = box.locator("img, a, .katex, h1, h2, del, code, [class*='stMarkdownColoredText'], "
                                     "span[data-testid='stIconMaterial']")
                assert active.count() == 0, (name, box.inner_html()[:2000])
                texts = [x.replace("\u2060", "")
                         for x in box.locator("[data-testid='stMarkdownContainer']").all_inner_texts()]
                caption = box.locator("[data-testid='stCaptionContainer']").inner_text().replace("\u2060", "")
                assert texts[0].strip() == f"Model: {name}".strip(), texts
                assert caption.strip() == name.strip(), caption
                assert texts[-1].strip() == f"Cannot load {name}: {msg('ckpt.error.empty')}", texts
                assert box.locator("strong").count() == 1           # the page's own markdown still works
    finally:
        stop_process_group(proc)
