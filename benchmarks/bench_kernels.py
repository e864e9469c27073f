"""Sobel on a 1920×1080 image: cnnviz's convolution vs OpenCV's filter2D, in one run.

Both take the same float32 array (0–255) and return float32 with zero padding of 1 (OpenCV:
BORDER_CONSTANT), so they compute the same numbers; the script checks that first.  Three cases:
Sobel x on RGB (the issue's target: ratio ≤ 1.5), Sobel x on grayscale, and the RGB gradient
magnitude (OpenCV: two filter2D and cv2.magnitude).  Prints median times and cnnviz / OpenCV.

    pip install -r benchmarks/requirements.txt
    python benchmarks/bench_kernels.py [--repeat 30] [--threads 1]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cnnviz import kernels  # noqa: E402


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
    gray = kernels.prepare_input(img, "gray")[..., 0]
    sobel_x, sobel_y = kernels.PRESETS["sobel_magnitude"].kernels
    rgb = kernels.ConvParams(stride=1, padding=1, padding_mode="zeros", dilation=1, color="rgb")
    one = kernels.ConvParams(stride=1, padding=1, padding_mode="zeros", dilation=1, color="gray")

    def cv_sobel(x, k):
        return cv2.filter2D(x, -1, k, borderType=cv2.BORDER_CONSTANT)

    cases = [   # name, ours, OpenCV; the first is the target
        ("Sobel x, RGB (target ≤ 1.5)",
         lambda: kernels.apply_kernels(img, sobel_x, rgb).output,
         lambda: cv_sobel(img, sobel_x)),
        ("Sobel x, grayscale",
         lambda: kernels.apply_kernels(gray, sobel_x, one).output[..., 0],
         lambda: cv_sobel(gray, sobel_x)),
        ("gradient magnitude, RGB",
         lambda: kernels.apply_kernels(img, np.stack([sobel_x, sobel_y]), rgb, "magnitude").output,
         lambda: cv2.magnitude(cv_sobel(img, sobel_x), cv_sobel(img, sobel_y))),
    ]
    print(f"image 1920×1080 float32, zero padding 1; torch {torch.__version__} "
          f"({torch.get_num_threads()} threads), OpenCV {cv2.__version__} ({cv2.getNumThreads()} threads)")
    print(f"{'case':32s} {'max |diff|':>10s} {'cnnviz ms':>10s} {'OpenCV ms':>10s} {'ratio':>7s}")
    for name, ours, opencv in cases:
        diff = float(np.abs(ours() - opencv()).max())
        if diff > 1e-2:
            sys.exit(f"{name}: outputs differ by {diff}: the comparison would be unfair")
        t_ours = median_ms(ours, args.repeat)
        t_cv = median_ms(opencv, args.repeat)
        print(f"{name:32s} {diff:10.1e} {t_ours:10.2f} {t_cv:10.2f} {t_ours / t_cv:7.2f}")


if __name__ == "__main__":
    main()
