"""Time the project's trainer against a plain PyTorch loop, per architecture, in one run.

Both train the same model (same seed), on the same uint8 data with per-batch
normalization, the same batch size and optimizer, for one epoch, and evaluate on
the same test digits at the end of the epoch.  The plain loop is pytorch/examples'
mnist ``train()``: it reads ``loss.item()`` every ``log_interval`` = 10 batches to
print progress, as the trainer reports an event every 10 steps.  The runs alternate
(trainer first on even repeats, plain first on odd ones) and the best of each is
compared, which cancels most of the noise of a shared machine.

    python benchmarks/bench_trainer.py                 # all architectures, 4,000 digits
    python benchmarks/bench_trainer.py --arch lenet5 --train 8000 --repeats 5

Target: ratio (trainer / plain) <= 1.05 for every architecture.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cnnviz import data, models  # noqa: E402
from cnnviz.training import TrainConfig, default_device, evaluate, make_optimizer, train  # noqa: E402


def plain_loop(cfg: TrainConfig, d: data.DataSplit, device: torch.device) -> float:
    torch.manual_seed(cfg.seed)
    model = models.build(cfg.arch).to(device).train()
    opt = make_optimizer(cfg.optimizer, model.parameters(), cfg.lr, cfg.momentum)
    x_all, y_all = d.train_x.to(device), d.train_y.to(device)
    gen = torch.Generator().manual_seed(cfg.seed)
    n = len(y_all)
    log = []
    for _epoch in range(cfg.epochs):
        perm = torch.randperm(n, generator=gen).to(device)
        for batch_idx, i in enumerate(range(0, n, cfg.batch_size)):
            idx = perm[i:i + cfg.batch_size]
            x = data.normalize(x_all[idx], d.mean, d.std)
            loss = F.cross_entropy(model(x), y_all[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            if batch_idx % 10 == 0:  # log_interval, as in pytorch/examples
                log.append(loss.item())
        acc, _ = evaluate(model, d.test_x.to(device), d.test_y.to(device), d.mean, d.std)
        model.train()
    return acc


def timed(fn) -> float:
    if torch.cuda.is_available():
        torch.cuda.synchronize()
    t = time.perf_counter()
    fn()
    if torch.cuda.is_available():
        torch.cuda.synchronize()
    return time.perf_counter() - t


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--arch", default="all")
    ap.add_argument("--train", type=int, default=4000, help="training digits per epoch")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--epochs", type=int, default=1, help="epochs per timed run (more: less noise on a GPU)")
    args = ap.parse_args()
    device = default_device()
    full = data.load_embedded()
    d = full.subset(args.train, 2000)
    archs = models.names() if args.arch == "all" else [args.arch]
    print(f"device={device} threads={torch.get_num_threads()} train={len(d.train_y)} test={len(d.test_y)} "
          f"repeats={args.repeats}")
    print(f"{'arch':<12} {'optimizer':<8} {'trainer s':>10} {'plain s':>10} {'ratio':>7}")
    worst = 0.0
    for arch in archs:
        cfg = TrainConfig.for_arch(arch, epochs=args.epochs, device=str(device))
        # warm-up (allocator, kernels) for both paths
        train(TrainConfig.for_arch(arch, epochs=1, device=str(device)), data=d.subset(256, 64))
        plain_loop(cfg, d.subset(256, 64), device)
        t_trainer, t_plain = [], []
        for r in range(args.repeats):
            if r % 2 == 0:
                t_trainer.append(timed(lambda cfg=cfg, d=d: train(cfg, data=d)))
                t_plain.append(timed(lambda cfg=cfg, d=d: plain_loop(cfg, d, device)))
            else:
                t_plain.append(timed(lambda cfg=cfg, d=d: plain_loop(cfg, d, device)))
                t_trainer.append(timed(lambda cfg=cfg, d=d: train(cfg, data=d)))
        ratio = min(t_trainer) / min(t_plain)
        worst = max(worst, ratio)
        print(f"{arch:<12} {cfg.optimizer:<8} {min(t_trainer):>10.3f} {min(t_plain):>10.3f} {ratio:>7.3f}",
              flush=True)
    print(f"worst ratio {worst:.3f} (target <= 1.05)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
