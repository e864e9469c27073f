"""Training throughput through the UI's job path vs a plain PyTorch loop, in one run.

    .venv/bin/python benchmarks/bench_jobs.py [--arch lenet5] [--epochs 1] [--rounds 3]

Job path = what the training page does: JobManager.submit -> worker process (python -m cnnviz.worker)
running cnnviz.training.train -> events over a pipe -> chart-ready lists in the
manager -> test predictions and a checkpoint at the end.  The page's log_every/eval_every
come from cnnviz.runs.plan_logging, as on the page.

Plain loop = the same data (embedded MNIST, uint8 -> normalized per batch), model, batch
size, optimizer, seed and thread count, trained in this process with a bare loop, plus one
test evaluation at the end.

Rounds alternate plain / job so that load from other processes hits both alike; the best
round of each is compared.  Prints samples/s and the ratio job/plain time (target <= 1.10).
Two job times are shown: the trainer's own time (from its EndEvent) and the wall time from
submit to weights-and-predictions-back with a pre-warmed worker (what a user waits).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from cnnviz import models  # noqa: E402
from cnnviz.data import load_dataset, normalize  # noqa: E402
from cnnviz.jobs import JobManager  # noqa: E402
from cnnviz.runs import plan_logging  # noqa: E402
from cnnviz.training import TrainConfig, evaluate, make_optimizer  # noqa: E402


def plain_loop(cfg: TrainConfig, data) -> float:
    torch.manual_seed(cfg.seed)
    model = models.build(cfg.arch).train()
    opt = make_optimizer(cfg.optimizer, model.parameters(), cfg.lr, cfg.momentum)
    gen = torch.Generator().manual_seed(cfg.seed)
    n = len(data.train_y)
    t0 = time.perf_counter()
    for _ in range(cfg.epochs):
        perm = torch.randperm(n, generator=gen)
        for i in range(0, n, cfg.batch_size):
            idx = perm[i:i + cfg.batch_size]
            loss = F.cross_entropy(model(normalize(data.train_x[idx], data.mean, data.std)), data.train_y[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
        evaluate(model, data.test_x, data.test_y, data.mean, data.std)
        model.train()
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--arch", default="lenet5")
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()

    data = load_dataset("embedded")
    n_train, n_test = len(data.train_y), len(data.test_y)
    spec = models.get(args.arch)
    log_every, eval_every = plan_logging(n_train, n_test, spec.batch_size, args.epochs)
    cfg = TrainConfig.for_arch(args.arch, epochs=args.epochs, log_every=log_every, eval_every=eval_every)
    mgr = JobManager(max_jobs=1, prewarm=True)
    torch.set_num_threads(mgr.threads_per_job)  # the worker uses the same count
    samples = n_train * args.epochs
    print(f"{spec.title}: {n_train:,} train / {n_test:,} test, batch {cfg.batch_size}, {cfg.optimizer} "
          f"lr={cfg.lr:g}, {args.epochs} epoch(s), {mgr.threads_per_job} thread(s), "
          f"log_every={log_every}, eval_every={eval_every} (page settings), {os.cpu_count()} cores")
    plain_loop(TrainConfig.for_arch(args.arch, epochs=1), data.subset(512, 256))  # warm up this process
    plain, job_train, job_wall = [], [], []
    try:
        for r in range(args.rounds):
            deadline = time.monotonic() + 60
            while mgr._spare is None and time.monotonic() < deadline:  # a warm worker, as on the page
                time.sleep(0.1)
            time.sleep(1.0)
            t0 = time.perf_counter()
            st = mgr.wait(mgr.submit(cfg, "bench"), timeout=1800)
            job_wall.append(time.perf_counter() - t0)
            assert st.status == "done", st.reason
            job_train.append(st.train_seconds)
            plain.append(plain_loop(cfg, data))
            print(f"round {r + 1}: plain {plain[-1]:.2f}s | job: trainer {job_train[-1]:.2f}s, "
                  f"submit->results {job_wall[-1]:.2f}s ({len(st.steps)} chart points, "
                  f"{len(st.eval_steps)} evaluations, test acc {st.final_test_acc:.4f})")
    finally:
        mgr.close()
    bp, bt, bw = min(plain), min(job_train), min(job_wall)
    print(f"\nplain PyTorch loop : {samples / bp:8,.0f} samples/s ({bp:.2f}s)")
    print(f"job path (trainer) : {samples / bt:8,.0f} samples/s ({bt:.2f}s)  ratio {bt / bp:.3f}")
    print(f"job path (wall)    : {samples / bw:8,.0f} samples/s ({bw:.2f}s)  ratio {bw / bp:.3f}  "
          f"(includes handing the job to the worker, test predictions and the checkpoint)")
    print("target: ratio <= 1.10")


if __name__ == "__main__":
    main()
