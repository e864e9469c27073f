"""Sobel on a 1920×1080 image: cnnviz's convolution vs OpenCV's filter2D, in one run.

Both take the same float32 array (0–255) and return float32 with zero padding of 1 (OpenCV:
BORDER_CONSTANT), so they compute the same numbers; the script checks that first.  Three cases:
Sobel x on RGB (the issue's target: ratio ≤ 1.5), Sobel x on grayscale, and the RGB gradient
magnitude (OpenCV: two filter2D and cv2.magnitude).  Prints median times and cnnviz / OpenCV.

Each side gets the image in its best layout and runs as the app runs it: cnnviz gets colour images as
the app's loader stores them (RGBX, four floats a pixel: ``cnnviz.images.rgbx``) and the script restarts
itself with glibc's malloc tuned as ``scripts/run.sh`` starts the server (``cnnviz.runtime``, a documented
re-exec; ``--untuned-malloc`` keeps glibc's defaults, for both libraries).  OpenCV is timed on ``H×W×3`` and
``H×W×4`` and the faster is the reference.  Each timing starts after a short pause, so the other
library's worker threads have gone idle.

    pip install -r benchmarks/requirements.txt
    python benchmarks/bench_kernels.py [--repeat 30] [--threads 1] [--untuned-malloc]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cnnviz import runtime  # noqa: E402

if __name__ == "__main__" and "--untuned-malloc" not in sys.argv:
    runtime.reexec_with_malloc_tunables()      # the allocator settings the app's launcher uses

from cnnviz import images, kernels  # noqa: E402


def median_ms(fn, repeat: int) -> float:
    time.sleep(0.2)   # the other library's worker threads go idle first
    fn()  # warm-up (allocations, oneDNN primitive creation)
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1000


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=30)
    ap.add_argument("--untuned-malloc", action="store_true",
                    help="glibc's default malloc settings, not the app's (cnnviz.runtime.MALLOC_TUNABLES)")
    ap.add_argument("--threads", type=int, default=0,
                    help="threads for both libraries (0: their defaults); 1 is steadier on a busy machine")
    args = ap.parse_args()
    try:
        import cv2
    except ImportError:
        sys.exit("OpenCV is missing: pip install -r benchmarks/requirements.txt")
    import torch

    if args.threads > 0:
        torch.set_num_threads(args.threads)
        cv2.setNumThreads(args.threads)
    rng = np.random.default_rng(0)
    img = (rng.random((1080, 1920, 3)) * 255).astype(np.float32)
    stored = images.rgbx(img)                                            # how the app stores a colour image
    img4 = images.rgbx_base(stored)                                      # the same pixels as H×W×4, for OpenCV
    gray = kernels.prepare_input(img, "gray")[..., 0]
    sobel_x, sobel_y = kernels.PRESETS["sobel_magnitude"].kernels
    rgb = kernels.ConvParams(stride=1, padding=1, padding_mode="zeros", dilation=1, color="rgb")
    one = kernels.ConvParams(stride=1, padding=1, padding_mode="zeros", dilation=1, color="gray")

    def cv_sobel(x, k):
        return cv2.filter2D(x, -1, k, borderType=cv2.BORDER_CONSTANT)

    def cv_magnitude(x):
        return cv2.magnitude(cv_sobel(x, sobel_x), cv_sobel(x, sobel_y))

    cases = [   # name, ours, OpenCV's candidates (its fastest is the reference); the first is the target
        ("Sobel x, RGB (target ≤ 1.5)",
         lambda: kernels.apply_kernels(stored, sobel_x, rgb).output,
         {"H×W×3": lambda: cv_sobel(img, sobel_x), "H×W×4": lambda: cv_sobel(img4, sobel_x)[..., :3]}),
        ("Sobel x, grayscale",
         lambda: kernels.apply_kernels(gray, sobel_x, one).output[..., 0],
         {"H×W": lambda: cv_sobel(gray, sobel_x)}),
        ("gradient magnitude, RGB",
         lambda: kernels.apply_kernels(stored, np.stack([sobel_x, sobel_y]), rgb, "magnitude").output,
         {"H×W×3": lambda: cv_magnitude(img), "H×W×4": lambda: cv_magnitude(img4)[..., :3]}),
    ]
    print("malloc: " + ("GLIBC_TUNABLES=" + os.environ.get("GLIBC_TUNABLES", "") + " (as scripts/run.sh runs the app)"
                        if runtime.malloc_tuned() else "glibc defaults"))
    print(f"image 1920×1080 float32, zero padding 1; torch {torch.__version__} "
          f"({torch.get_num_threads()} threads), OpenCV {cv2.__version__} ({cv2.getNumThreads()} threads)")
    print(f"{'case':32s} {'max |diff|':>10s} {'cnnviz ms':>10s} {'OpenCV ms':>10s} {'(layout)':>9s} {'ratio':>7s}")
    for name, ours, candidates in cases:
        diff = max(float(np.abs(ours() - cv()).max()) for cv in candidates.values())
        if diff > 1e-2:
            sys.exit(f"{name}: outputs differ by {diff}: the comparison would be unfair")
        t_ours = median_ms(ours, args.repeat)
        t_cv, layout = min((median_ms(cv, args.repeat), lay) for lay, cv in candidates.items())
        print(f"{name:32s} {diff:10.1e} {t_ours:10.2f} {t_cv:10.2f} {layout:>9s} {t_ours / t_cv:7.2f}")


if __name__ == "__main__":
    main()
