"""Bytes per drawing on the feature-map page, as a real browser receives them.

Headless Chromium (Playwright) opens the feature-map page, draws a digit with the mouse, waits for the
prediction and for the run to end, and counts the websocket frames the server sent in between (and the
frames the browser sent: the canvas's PNG).  Then it adds a stroke to the drawing (a second drawing of
the same session, the common case in a lecture) and counts again.  With ``--url`` it measures a running
server (for example one started from another checkout, to compare); otherwise it starts
``scripts/serve.py`` from this checkout.

    python benchmarks/bench_fm_drawing_bytes.py
    python benchmarks/bench_fm_drawing_bytes.py --url http://127.0.0.1:8601
"""

from __future__ import annotations

import argparse
import contextlib
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.browser_support import draw_strokes as draw  # noqa: E402
from tests.browser_support import launch_chromium, start_server, wait_idle  # noqa: E402

SEVEN = [[(65, 45), (215, 45), (120, 245)]]
EXTRA = [[(95, 140), (175, 140)]]          # a bar across the 7


class Counter:
    def __init__(self) -> None:
        self.received = self.sent = self.frames = 0
        self.kinds: dict[str, list[int]] = {}   # what the server sent, by message or element type: [bytes, count]

    def attach(self, ws) -> None:
        if "_stcore/stream" not in ws.url:
            return
        ws.on("framereceived", self._received)
        ws.on("framesent", self._sent)

    def _received(self, payload) -> None:
        self.received += len(payload)
        self.frames += 1
        entry = self.kinds.setdefault(kind_of(payload), [0, 0])
        entry[0] += len(payload)
        entry[1] += 1

    def _sent(self, payload) -> None:
        self.sent += len(payload)


def kind_of(payload) -> str:
    """``delta:<element type>`` (``delta:plotly_chart``, ``delta:imgs``…), ``delta:block`` or the message type."""
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    msg = ForwardMsg()
    try:
        msg.ParseFromString(payload if isinstance(payload, bytes) else payload.encode())
    except Exception:
        return "unparsed"
    kind = msg.WhichOneof("type") or "empty"
    if kind == "delta":
        delta = msg.delta
        which = delta.WhichOneof("type")
        if which == "new_element":
            return "delta:" + (delta.new_element.WhichOneof("type") or "?")
        return "delta:" + (which or "?")
    return kind


def measure(url: str) -> list[tuple[str, int, int, int, dict]]:
    out = []
    with launch_chromium() as browser:
        page = browser.new_page(viewport={"width": 1500, "height": 1100})
        counter = Counter()
        page.on("websocket", counter.attach)
        page.goto(f"{url}/feature-maps", timeout=120_000)
        canvas = page.locator("canvas.upper-canvas").first
        canvas.wait_for(timeout=120_000)
        wait_idle(page)
        page.wait_for_timeout(3000)
        for name, strokes in (("first drawing", SEVEN), ("one more stroke", EXTRA)):
            before = (counter.received, counter.sent, counter.frames)
            counter.kinds = {}
            draw(page, canvas, strokes)
            page.get_by_text(re.compile(r"^Prediction: \d$")).first.wait_for(timeout=120_000)
            page.wait_for_timeout(1500)
            wait_idle(page)
            page.wait_for_timeout(1500)
            out.append((name, counter.received - before[0], counter.sent - before[1], counter.frames - before[2],
                        counter.kinds))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--url", help="a running server (default: start one from this checkout)")
    args = ap.parse_args()
    with contextlib.ExitStack() as stack:
        url = args.url or stack.enter_context(start_server()).url
        for name, received, sent, frames, kinds in measure(url):
            print(f"{name:16s} server -> browser {received / 1024:7.1f} KiB in {frames} frames; "
                  f"browser -> server {sent / 1024:6.1f} KiB")
            for kind, (n_bytes, count) in sorted(kinds.items(), key=lambda kv: -kv[1][0]):
                print(f"    {kind:28s} {n_bytes / 1024:7.1f} KiB in {count} messages")


if __name__ == "__main__":
    main()
