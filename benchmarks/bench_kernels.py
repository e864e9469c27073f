"""Sobel x on a 1920×1080 RGB image: cnnviz's convolution vs OpenCV's filter2D, in one run.

Both take the same float32 H×W×3 array (0–255) and return float32 H×W×3 with zero padding of 1
(OpenCV: BORDER_CONSTANT), so they compute the same numbers; the script checks that first.
Prints the median times and the ratio cnnviz / OpenCV (target ≤ 1.5).

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
    sobel = kernels.PRESETS["sobel_x"].kernel
    params = kernels.ConvParams(stride=1, padding=1, padding_mode="zeros", dilation=1, color="rgb")

    def ours():
        return kernels.apply_kernels(img, sobel, params).output

    def opencv():
        return cv2.filter2D(img, -1, sobel, borderType=cv2.BORDER_CONSTANT)

    diff = float(np.abs(ours() - opencv()).max())
    if diff > 1e-3:
        sys.exit(f"outputs differ by {diff}: the comparison would be unfair")
    t_ours = median_ms(ours, args.repeat)
    t_cv = median_ms(opencv, args.repeat)
    print(f"image 1920×1080×3 float32, Sobel x, zero padding 1; torch {torch.__version__} "
          f"({torch.get_num_threads()} threads), OpenCV {cv2.__version__} ({cv2.getNumThreads()} threads)")
    print(f"max |difference|  {diff:.2e}")
    print(f"cnnviz (F.conv2d, channels_last)  {t_ours:8.2f} ms")
    print(f"OpenCV filter2D                   {t_cv:8.2f} ms")
    print(f"ratio cnnviz / OpenCV             {t_ours / t_cv:8.2f}  (target ≤ 1.5)")


if __name__ == "__main__":
    main()
