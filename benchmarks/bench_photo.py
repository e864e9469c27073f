"""Photos of digits on paper: the shipped LeNet-5's accuracy on synthetic phone photos vs plain 28x28 input.

The embedded MNIST test digits (``cnnviz.data.load_embedded().test_x``) are rendered as a phone sees them
(:func:`cnnviz.photo.synthetic_photo`: dark, blue or pencil ink on white, tinted or ruled paper, some
light ink on a dark surface, a light fall-off and a soft shadow of up to 50 %, blur, noise, JPEG at quality
30-80, rotations of +-10 degrees, the digit anywhere at 20-70 % of the frame's height; each condition's
strength drawn at random from a fixed seed).  Each photo is read by :func:`cnnviz.photo.analyze_photo`
and classified by the shipped LeNet-5, normalized with its checkpoint's mean and std
(:func:`cnnviz.training.predict`); the same digits as plain 28x28 input are the reference.  A photo in
which no digit is found counts as wrong.  Target: photo accuracy within 3 points of plain.

Also: the time to read one photo (median, ms), and ``--zip``: the time from a zip of generated digit
images (``--per-class`` images in each of 10 classes) to a dataset ready to train
(:func:`cnnviz.userdata.dataset_from_zip`), against decoding the same PNGs alone with Pillow.

    python benchmarks/bench_photo.py [--n 2000] [--seed 0] [--zip] [--per-class 1500]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cnnviz import checkpoints, data, photo  # noqa: E402
from cnnviz.training import predict  # noqa: E402


def bench_photos(n: int, seed: int) -> None:
    split = data.load_embedded()
    xs, ys = split.test_x[:n], split.test_y[:n].numpy()
    model, meta = checkpoints.load_checkpoint(checkpoints.shipped_path("lenet5"))
    rng = np.random.default_rng(seed)
    read, conds, times, found = [], [], [], []
    for i in range(len(xs)):
        img, c = photo.synthetic_photo(xs[i].numpy(), rng)
        t0 = time.perf_counter()
        r = photo.analyze_photo(img)
        times.append(time.perf_counter() - t0)
        found.append(r.pre is not None)
        read.append(r.pre.uint8 if r.pre is not None else np.zeros((28, 28), np.uint8))
        conds.append(c)
    with torch.no_grad():
        _, pred_photo = predict(model, torch.from_numpy(np.stack(read)), meta.mean, meta.std)
        _, pred_plain = predict(model, xs, meta.mean, meta.std)
    ok_photo = (pred_photo.cpu().numpy() == ys) & np.array(found)
    ok_plain = pred_plain.cpu().numpy() == ys
    print(f"{len(xs)} embedded test digits, seed {seed}")
    print(f"  plain 28x28 input : {100 * ok_plain.mean():6.2f} %")
    print(f"  synthetic photos  : {100 * ok_photo.mean():6.2f} %   (digit found in {100 * np.mean(found):.1f} %)")
    print(f"  difference        : {100 * (ok_plain.mean() - ok_photo.mean()):+6.2f} points (target <= 3)")
    print(f"  reading one photo : {1000 * statistics.median(times):.0f} ms median, "
          f"{1000 * max(times):.0f} ms max")
    groups = defaultdict(list)
    for c, okp, okl in zip(conds, ok_photo, ok_plain):
        groups["light on dark" if c["light_on_dark"] else "dark on light"].append((okp, okl))
        groups[f"ink {c['ink']}"].append((okp, okl))
        groups["ruled" if c["ruled"] else "plain paper"].append((okp, okl))
        groups["height 20-45 %" if c["height"] < 0.45 else "height 45-70 %"].append((okp, okl))
        groups["shadow >= 0.3" if c["shadow"] >= 0.3 else "shadow < 0.3"].append((okp, okl))
        groups["JPEG q < 50" if c["quality"] < 50 else "JPEG q >= 50"].append((okp, okl))
    print("  by condition (photo / plain on the same digits):")
    for k in sorted(groups):
        v = np.array(groups[k])
        print(f"    {k:16s} n={len(v):5d}  {100 * v[:, 0].mean():6.2f} % / {100 * v[:, 1].mean():6.2f} %")


def bench_zip(per_class: int) -> None:
    import io
    import zipfile

    from PIL import Image

    from cnnviz import userdata

    split = data.load_embedded()
    x, y = split.train_x.numpy(), split.train_y.numpy()
    buf = io.BytesIO()
    pngs = []
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for c in range(10):
            idx = np.flatnonzero(y == c)
            for k in range(per_class):
                img = 255 - x[idx[k % len(idx)]]           # dark digit on white, as scanned
                b = io.BytesIO()
                Image.fromarray(img).resize((64, 64)).save(b, format="PNG")
                pngs.append(b.getvalue())
                z.writestr(f"digits/{c}/{k:05d}.png", pngs[-1])
    data_bytes = buf.getvalue()
    t0 = time.perf_counter()
    for p in pngs:
        np.asarray(Image.open(io.BytesIO(p)).convert("L"))
    t_decode = time.perf_counter() - t0
    t0 = time.perf_counter()
    ds = userdata.dataset_from_zip(data_bytes, "bench")
    t_ready = time.perf_counter() - t0
    print(f"zip of {len(pngs)} PNGs (64x64, {len(data_bytes) / 2**20:.1f} MB), 10 classes")
    print(f"  ready to train    : {t_ready:6.1f} s  ({len(ds.train_x)} train / {len(ds.test_x)} test)")
    print(f"  Pillow decode only: {t_decode:6.1f} s  (ratio {t_ready / t_decode:.1f})")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=2000, help="how many test digits (at most 2,000)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--zip", action="store_true", help="also time a zip import (see --per-class)")
    ap.add_argument("--per-class", type=int, default=1500)
    ap.add_argument("--no-photos", action="store_true", help="skip the photo benchmark")
    args = ap.parse_args()
    torch.set_num_threads(max(1, min(2, torch.get_num_threads())))
    if not args.no_photos:
        bench_photos(args.n, args.seed)
    if args.zip:
        bench_zip(args.per_class)


if __name__ == "__main__":
    main()
