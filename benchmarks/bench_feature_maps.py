"""Feature-map page speed.

1. Canvas RGBA array -> prediction plus every layer's map ready to plot (cnnviz.featuremaps.analyze_canvas:
   preprocessing, the model run with forward hooks recording every layer's output, each layer's
   colour range), per architecture: p50 / p95 (target p95 <= 5 ms).  The last column adds laying out
   every spatial layer's channels as one tiled image (LayerView.tile, made on first use: the page does
   it for each layer it draws).
2. Server time of a full page rerun with figures (the page script run by AppTest, timed inside AppTest's
   script thread; no browser), median (target <= 150 ms): a new drawing each run (nothing cached), a rerun
   for another widget (the channel inspector), in 中文 with lecture mode, and two models compared.
   ``--profile ARCH`` adds a cProfile of the reruns.

    python benchmarks/bench_feature_maps.py [--runs 200] [--page-runs 15] [--archs lenet5,densenet]
    taskset -c 0,1 python benchmarks/bench_feature_maps.py     # two CPU cores, as in the target

It runs with glibc's malloc tuned as ``scripts/run.sh`` starts the app (``cnnviz/runtime.py``);
``--untuned-malloc`` keeps glibc's defaults.
"""

from __future__ import annotations

import argparse
import base64
import io
import logging
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.chdir(ROOT)

import numpy as np  # noqa: E402
import torch  # noqa: E402

from cnnviz import checkpoints, data, drawing, runtime  # noqa: E402
from cnnviz import featuremaps as fm  # noqa: E402

if __name__ == "__main__" and "--untuned-malloc" not in sys.argv:
    runtime.reexec_with_malloc_tunables()      # the allocator settings the app's launcher uses


class _NoMissingContextWarning(logging.Filter):
    """AppTest runs parts of the page (widgets' ``format_func``, caches) in this process's main thread, where
    Streamlit logs "missing ScriptRunContext" for each call: thousands of lines that bury the tables.  A
    filter, not a level: Streamlit resets its loggers' levels when it configures itself."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "missing ScriptRunContext" not in record.getMessage()


logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context").addFilter(_NoMissingContextWarning())


def canvases(n: int, seed: int = 0) -> list[np.ndarray]:
    ds = data.load_embedded()
    rng = np.random.default_rng(seed)
    out = []
    for i in rng.choice(len(ds.test_y), n, replace=False):
        h = rng.uniform(120, 220)
        out.append(drawing.render_digit(ds.test_x[i].numpy(), height=h, centre=(rng.uniform(110, 170),
                                                                                 rng.uniform(120, 160)),
                                        thicken=rng.uniform(0, 0.1) * h))
    return out


def bench_analysis(archs: list[str], runs: int) -> None:
    print(f"\n1. canvas -> prediction + every layer's map (torch threads: {torch.get_num_threads()}, "
          f"CPU cores usable: {len(os.sched_getaffinity(0))})")
    print("   reference in the same run: the bare forward pass model(x) on one thread (what the network itself costs)")
    print(f"{'arch':<12}{'layers':>7}{'preprocess p50':>16}{'forward p50':>13}{'total p50':>11}{'total p95':>11}"
          f"{'total/forward':>15}  target p95 <= 5 ms{'+ tiles p50':>13}{'p95':>9}")
    cs = canvases(runs)
    for arch in archs:
        path = checkpoints.shipped_path(arch)
        if not path.is_file():
            print(f"{arch:<12} (no shipped checkpoint)")
            continue
        model, meta = checkpoints.load_checkpoint(path)
        for p in model.parameters():
            p.requires_grad_(False)
        for c in cs[:10]:
            fm.analyze_canvas(model, meta, c)
        pre, total, tiled, layers = [], [], [], 0
        for c in cs:
            t0 = time.perf_counter()
            drawing.preprocess(c)
            t1 = time.perf_counter()
            a = fm.analyze_canvas(model, meta, c)
            t2 = time.perf_counter()
            tiles = [v.tile for v in a.layers]  # noqa: F841 (computing the tiles is what is timed)
            t3 = time.perf_counter()
            pre.append(t1 - t0)
            total.append(t2 - t1)
            tiled.append(t3 - t1)
            layers = len(a.layers)
        x = drawing.preprocess(cs[0]).tensor(meta.mean, meta.std)
        fwd = []
        n = torch.get_num_threads()
        torch.set_num_threads(1)                  # as analyze_canvas runs it
        try:
            with torch.inference_mode():
                for _ in range(len(cs)):
                    t0 = time.perf_counter()
                    model(x)
                    fwd.append(time.perf_counter() - t0)
        finally:
            torch.set_num_threads(n)
        p50, p95 = np.percentile(total, [50, 95]) * 1e3
        f50 = float(np.median(fwd)) * 1e3
        t50, t95 = np.percentile(tiled, [50, 95]) * 1e3
        ok = "ok" if p95 <= 5 else "OVER"
        print(f"{arch:<12}{layers:>7}{np.median(pre) * 1e3:>13.2f} ms{f50:>10.2f} ms{p50:>8.2f} ms{p95:>8.2f} ms"
              f"{p50 / f50:>15.2f}  {ok:<18}{t50:>10.2f} ms{t95:>6.2f} ms")


def canvas_state(rgba: np.ndarray) -> dict:
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(rgba).save(buf, format="PNG")
    url = "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()
    return {"drawing": {"raw": {"objects": [{"type": "path"}]}, "data": url}, "backgroundFit": None}


class ScriptTimer:
    """Times each run of the page script itself (the server's work for a rerun: the script, its widgets,
    figures and the messages it queues), apart from AppTest's own work of reading the result back."""

    def __init__(self) -> None:
        from streamlit.runtime.scriptrunner import script_runner

        self.times: list[float] = []
        self.profiler = None          # a cProfile.Profile to run inside the script thread
        self._mod = script_runner
        self._orig = script_runner.exec_func_with_error_handling

        def timed(func, ctx):
            prof = self.profiler
            t = time.perf_counter()
            if prof is not None:
                prof.enable()
            try:
                return self._orig(func, ctx)
            finally:
                if prof is not None:
                    prof.disable()
                self.times.append(time.perf_counter() - t)

        script_runner.exec_func_with_error_handling = timed
        self._quiet_waiting()

    @staticmethod
    def _quiet_waiting() -> None:
        """AppTest's main thread polls for the end of the run every millisecond; each wake-up takes the GIL
        from the script thread (config.get_option, ~1 us alone, took ~160 us under the polling: ~30 ms of a
        densenet rerun).  A server's event loop sleeps while a script runs, so here the main thread simply
        joins the script thread."""
        from streamlit.testing.v1 import local_script_runner

        def wait_for_run(runner, timeout: float = 3) -> None:
            deadline = time.monotonic() + timeout
            while not runner.script_stopped() and time.monotonic() < deadline:
                thread = runner._script_thread
                if thread is None:
                    time.sleep(0.001)
                    continue
                thread.join(max(0.0, deadline - time.monotonic()))
            if not runner.script_stopped():
                runner.request_stop()
                runner.join()
                raise RuntimeError(f"AppTest script run timed out after {timeout}(s)")

        local_script_runner.require_widgets_deltas = wait_for_run

    def last(self) -> float:
        return self.times[-1]


def _page(arch: str, canvas: np.ndarray, lang: str = "en", lecture: bool = False):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "pages" / "feature_maps.py"), default_timeout=120)
    at.session_state["fm_canvas_0"] = canvas_state(canvas)
    at.session_state["cnnviz_lang"] = lang
    at.session_state["cnnviz_lecture"] = lecture
    at.run()
    at.selectbox(key="fm_model_a").set_value(f"shipped:{arch}").run()
    assert not at.exception, at.exception
    return at


def bench_page(archs: list[str], runs: int, profile: str | None = None) -> None:
    timer = ScriptTimer()
    print("\n2. server time of a full page rerun with figures (median of script runs in AppTest; target <= 150 ms)")
    print("   new drawing: every rerun gets a new canvas (analysis, attribution, layer images all computed);")
    print("   same input: a rerun for another widget (the inspector's channel); AppTest: the whole at.run()")
    print(f"{'model':<12}{'new drawing':>13}{'p95':>8}{'AppTest':>9}{'same input':>12}{'中文+lecture':>14}"
          f"{'compare +resnet':>17}")
    cs = canvases(3 * runs + 2, seed=1)
    results = {}
    for arch in archs:
        if not checkpoints.shipped_path(arch).is_file():
            continue
        at = _page(arch, cs[0])
        fresh, wall, same = [], [], []
        for c in cs[1:runs + 1]:
            at.session_state["fm_canvas_0"] = canvas_state(c)
            t = time.perf_counter()
            at.run()
            wall.append(time.perf_counter() - t)
            fresh.append(timer.last())
            sliders = [w for w in at.slider if str(w.key).startswith("fm_inspect_ch_")]
            if sliders:
                sliders[0].set_value(min(1, sliders[0].max)).run()
            else:
                at.run()
            same.append(timer.last())
        cmp_t = float("nan")
        if checkpoints.shipped_path("resnet").is_file():
            at.toggle(key="fm_compare").set_value(True).run()
            at.selectbox(key="fm_model_b").set_value("shipped:resnet").run()
            ts = []
            for c in cs[runs + 1:2 * runs + 1]:
                at.session_state["fm_canvas_0"] = canvas_state(c)
                at.run()
                ts.append(timer.last())
            cmp_t = float(np.median(ts))
        # last: AppTest formats the widgets of the next run in the language of the latest run of any app
        zh = _page(arch, cs[0], "zh", True)
        zh_t = []
        for c in cs[2 * runs + 1:3 * runs + 1]:
            zh.session_state["fm_canvas_0"] = canvas_state(c)
            zh.run()
            zh_t.append(timer.last())
        med = float(np.median(fresh))
        results[arch] = med
        print(f"{arch:<12}{med * 1e3:>10.0f} ms{np.percentile(fresh, 95) * 1e3:>5.0f} ms"
              f"{np.median(wall) * 1e3:>6.0f} ms{np.median(same) * 1e3:>9.0f} ms{np.median(zh_t) * 1e3:>11.0f} ms"
              f"{cmp_t * 1e3:>14.0f} ms  {'ok' if med <= 0.150 else 'OVER'}")
    if profile:
        import cProfile
        import pstats

        pcs = canvases(runs + 1, seed=2)           # drawings no run above has seen (nothing cached)
        at = _page(profile, pcs[0])
        prof = timer.profiler = cProfile.Profile()   # the script runs in AppTest's thread: profiled there
        for c in pcs[1:]:
            at.session_state["fm_canvas_0"] = canvas_state(c)
            at.run()
        timer.profiler = None
        print(f"\nprofile of {runs} new-drawing reruns with {profile} (cumulative):")
        pstats.Stats(prof).sort_stats("cumulative").print_stats(30)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=200)
    ap.add_argument("--page-runs", type=int, default=15)
    ap.add_argument("--archs", default=",".join(["mlp", "cnn", "cnn16_32", "lenet5", "simple_cnn", "inception",
                                                 "resnet", "densenet"]))
    ap.add_argument("--page-archs", default="lenet5,inception,densenet")
    ap.add_argument("--skip-page", action="store_true")
    ap.add_argument("--profile", metavar="ARCH", help="cProfile the page reruns with this model")
    ap.add_argument("--untuned-malloc", action="store_true", help="glibc's default malloc settings")
    args = ap.parse_args()
    if args.runs > 0:
        bench_analysis(args.archs.split(","), args.runs)
    if not args.skip_page and args.page_runs > 0:
        bench_page(args.page_archs.split(","), args.page_runs, args.profile)


if __name__ == "__main__":
    main()
