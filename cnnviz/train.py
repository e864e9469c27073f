"""Command-line training with a progress bar; writes a checkpoint.

    python -m cnnviz.train --arch lenet5 --epochs 5 --out checkpoints/
    python -m cnnviz.train --arch all --augment --out checkpoints/     # every architecture

Defaults for optimizer, learning rate, epochs and batch size come from the model
registry (the settings each architecture's seed used or that train it well).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tqdm import tqdm

from . import models
from .checkpoints import CheckpointMeta, safe_name, save_checkpoint
from .data import DATASETS, DatasetUnavailable, load_dataset
from .training import OPTIMIZERS, EndEvent, EpochEvent, StepEvent, TrainConfig, default_device, train


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="python -m cnnviz.train", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--arch", default="lenet5", help=f"one of: {', '.join(models.names())}, or 'all'")
    ap.add_argument("--dataset", default="embedded", choices=list(DATASETS))
    ap.add_argument("--data-dir", type=Path, default=None, help="where full MNIST / Fashion-MNIST live")
    ap.add_argument("--optimizer", choices=list(OPTIMIZERS), help="default: the registry's choice")
    ap.add_argument("--lr", type=float, help="learning rate (default: the registry's choice)")
    ap.add_argument("--batch-size", type=int)
    ap.add_argument("--epochs", type=int)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--augment", action="store_true", help="random affine augmentation (robust to drawings)")
    ap.add_argument("--device", default=None, help="cpu or cuda (default: cuda when present)")
    ap.add_argument("--out", type=Path, default=Path("checkpoints"), help="folder for the checkpoint")
    ap.add_argument("--name", default=None, help="checkpoint file name (default: the architecture)")
    ap.add_argument("--quiet", action="store_true", help="no progress bar")
    return ap


def run_one(arch: str, args: argparse.Namespace, data) -> int:
    overrides = {k: v for k, v in dict(optimizer=args.optimizer, lr=args.lr, batch_size=args.batch_size,
                                       epochs=args.epochs).items() if v is not None}
    cfg = TrainConfig.for_arch(arch, dataset=data.name, seed=args.seed, augment=args.augment,
                               device=args.device, **overrides)
    try:
        cfg.validate()
    except (ValueError, KeyError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    n = len(data.train_y)
    total = -(-n // min(cfg.batch_size, n)) * cfg.epochs
    bar = tqdm(total=total, desc=f"{arch} ({cfg.optimizer}, lr={cfg.lr:g})", unit="step",
               disable=args.quiet, file=sys.stderr, dynamic_ncols=True)

    def on_event(ev) -> None:
        if isinstance(ev, StepEvent):
            bar.update(ev.step - bar.n)
            bar.set_postfix(epoch=f"{ev.epoch}/{cfg.epochs}", loss=f"{ev.loss:.3f}",
                            acc=f"{ev.running_acc:.3f}", sps=f"{ev.samples_per_s:,.0f}")
        elif isinstance(ev, EpochEvent):
            bar.write(f"epoch {ev.epoch}/{cfg.epochs}: train loss {ev.train_loss:.4f}, "
                      f"train acc {ev.train_acc:.4f}, test acc {ev.test_acc:.4f} ({ev.elapsed:.1f}s)")
        elif isinstance(ev, EndEvent):
            bar.close()

    result = train(cfg, data=data, callback=on_event)
    print(f"{arch}: {result.status} - {result.reason}; test accuracy "
          f"{result.test_acc if result.test_acc is None else f'{result.test_acc:.4f}'} "
          f"in {result.elapsed:.1f}s on {cfg.device or default_device()}")
    if result.steps == 0:
        return 1
    meta = CheckpointMeta(arch=arch, dataset=data.name, test_acc=result.test_acc,
                          epochs=result.epochs_completed, mean=data.mean, std=data.std,
                          classes=list(data.classes), optimizer=cfg.optimizer, lr=float(cfg.lr),
                          batch_size=cfg.batch_size, seed=cfg.seed, augment=cfg.augment,
                          train_seconds=round(result.elapsed, 2),
                          note=f"python -m cnnviz.train; {result.status}: {result.reason}")
    path = save_checkpoint(args.out / safe_name(args.name or arch), result.model, meta)
    print(f"saved {path}")
    return 0 if result.status == "done" else 1


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    archs = models.names() if args.arch == "all" else [args.arch]
    for a in archs:
        if a not in models.REGISTRY:
            print(f"error: unknown architecture {a!r}; choose one of {', '.join(models.names())}",
                  file=sys.stderr)
            return 2
    if args.name and len(archs) > 1:
        print("error: --name needs a single --arch", file=sys.stderr)
        return 2
    try:
        data = load_dataset(args.dataset, root=args.data_dir)
    except DatasetUnavailable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(data.note, file=sys.stderr)
    return max(run_one(a, args, data) for a in archs)


if __name__ == "__main__":
    sys.exit(main())
