"""Command-line training with a progress bar; writes a checkpoint.

    python -m cnnviz.train --arch lenet5 --epochs 5 --out my-checkpoints/
    python -m cnnviz.train --arch all --augment --out checkpoints/ --force   # every architecture, replacing

Defaults for optimizer, learning rate, epochs and batch size come from the model
registry (the settings each architecture's source tutorial used or that train it well).

Nothing is lost by accident: an existing checkpoint is replaced only with --force, a run that
fails (diverges) is saved only with --save-failed and then as <name>-failed, and every setting
(--device, --seed, --name, --out) is checked before training starts.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from tqdm import tqdm

from . import models
from .checkpoints import SUFFIX, CheckpointMeta, safe_name, save_checkpoint
from .data import DATASETS, DatasetUnavailable, load_dataset
from .messages import MessageError
from .training import OPTIMIZERS, EndEvent, EpochEvent, StepEvent, TrainConfig, default_device, train

FAILED_SUFFIX = "-failed"


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
    ap.add_argument("--dropout", type=float, default=0.0,
                    help="dropout probability in the fully connected part, 0 <= p < 1 (default 0: off)")
    ap.add_argument("--device", default=None, help="cpu or cuda (default: cuda when present)")
    ap.add_argument("--out", type=Path, default=Path("checkpoints"), help="folder for the checkpoint")
    ap.add_argument("--name", default=None, help="checkpoint file name (default: the architecture)")
    ap.add_argument("--force", action="store_true", help="replace an existing checkpoint of the same name")
    ap.add_argument("--save-failed", action="store_true",
                    help=f"save the last good weights of a failed (diverged) run, as <name>{FAILED_SUFFIX}")
    ap.add_argument("--quiet", action="store_true", help="no progress bar")
    return ap


class UsageError(Exception):
    """A setting that is refused before any training (exit code 2)."""


def config_for(arch: str, args: argparse.Namespace, dataset: str) -> TrainConfig:
    overrides = {k: v for k, v in dict(optimizer=args.optimizer, lr=args.lr, batch_size=args.batch_size,
                                       epochs=args.epochs).items() if v is not None}
    try:
        if arch not in models.REGISTRY:
            TrainConfig(arch=arch).validate()  # says which architectures there are
        cfg = TrainConfig.for_arch(arch, dataset=dataset, seed=args.seed, augment=args.augment, device=args.device,
                                   dropout=args.dropout, **overrides)
        return cfg.validate()
    except MessageError as exc:
        raise UsageError(str(exc)) from None


def check_out_folder(folder: Path) -> None:
    """``folder`` exists (or can be made) and a file can be written in it."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        raise UsageError(f"cannot write checkpoints to {folder}: {exc.strerror or exc}") from None


def target_path(arch: str, args: argparse.Namespace, failed: bool = False) -> Path:
    try:
        stem = safe_name(args.name or arch)
    except MessageError as exc:
        raise UsageError(str(exc)) from None
    return args.out / f"{stem}{FAILED_SUFFIX if failed else ''}{SUFFIX}"


def check_targets(archs: list[str], args: argparse.Namespace) -> None:
    """Refuse before training: a name that is not usable, an existing file without --force."""
    for arch in archs:
        paths = [target_path(arch, args)] + ([target_path(arch, args, failed=True)] if args.save_failed else [])
        for path in paths:
            if path.exists() and not args.force:
                raise UsageError(f"{path} already exists; use --force to replace it, or --name to choose another")


def run_one(arch: str, args: argparse.Namespace, data) -> int:
    cfg = config_for(arch, args, data.name)
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
    failed = result.status != "done"
    if result.steps == 0:
        return 1
    if failed and not args.save_failed:
        print(f"{arch}: not saved, because the run did not finish (use --save-failed to keep its last good "
              f"weights as {target_path(arch, args, failed=True).name})")
        return 1
    meta = CheckpointMeta(arch=arch, dataset=data.name, test_acc=result.test_acc, test_size=len(data.test_y),
                          epochs=result.epochs_completed, mean=data.mean, std=data.std,
                          classes=list(data.classes), optimizer=cfg.optimizer, lr=float(cfg.lr),
                          batch_size=cfg.batch_size, seed=cfg.seed, augment=cfg.augment,
                          train_seconds=round(result.elapsed, 2),
                          note=f"python -m cnnviz.train; {result.status}: {result.reason}"
                          + (f"; dropout {cfg.dropout:g}" if cfg.dropout else ""))
    try:
        path = save_checkpoint(target_path(arch, args, failed), result.model, meta, exclusive=not args.force)
    except FileExistsError:  # created by someone else while this one trained
        print(f"error: {target_path(arch, args, failed)} appeared during training; not replaced (use --force)",
              file=sys.stderr)
        return 1
    print(f"saved {path}")
    return 1 if failed else 0


def check_settings(archs: list[str], args: argparse.Namespace) -> None:
    """Everything that can be refused, refused before the data is loaded and anything is trained."""
    if args.name and len(archs) > 1:
        raise UsageError("--name needs a single --arch")
    for a in archs:
        config_for(a, args, args.dataset)  # architecture, optimizer, lr, batch size, epochs, seed, device
    check_out_folder(args.out)
    check_targets(archs, args)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    archs = models.names() if args.arch == "all" else [args.arch]
    try:
        check_settings(archs, args)
        data = load_dataset(args.dataset, root=args.data_dir)
    except (UsageError, DatasetUnavailable) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(data.note, file=sys.stderr)
    return max(run_one(a, args, data) for a in archs)


if __name__ == "__main__":
    sys.exit(main())
