"""The training worker process: ``python -m cnnviz.worker EVENTS_FD PARENT_PID THREADS WARM``.

:class:`cnnviz.jobs.JobManager` starts one per job with :mod:`subprocess` (a fresh interpreter: never a
fork of a server whose torch thread pools run, and nothing of the server's ``__main__`` re-run).
Nothing is shared with the server but pipes and files, so a worker killed at any moment (the
out-of-memory killer's SIGKILL) cannot leave a lock held that the server would wait on:

* the task arrives as one frame on **stdin**; end of file (the server closed it, or died) means "exit";
* events go back as frames on the pipe ``EVENTS_FD``: the trainer's events, then
  ``("started", {...})``, ``("result", {...})`` or ``("error", Msg)``;
* a stop request is the file ``<job dir>/stop``, checked between training steps.

A frame is an 8-byte little-endian length and a pickle.  Both ends are this package's code.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import struct
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

GALLERY_MAX = 64  # misclassified test images sent back per job
STOP_FILE = "stop"
_HEADER = struct.Struct("<Q")


# ----------------------------------------------------------------------------- frames

def write_frame(f: BinaryIO, obj: Any) -> None:
    blob = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    f.write(_HEADER.pack(len(blob)) + blob)
    f.flush()


def read_frame(f: BinaryIO) -> Any:
    """The next frame's object; ``None`` at end of file."""
    head = f.read(_HEADER.size)
    if len(head) < _HEADER.size:
        return None
    (n,) = _HEADER.unpack(head)
    blob = f.read(n)
    return pickle.loads(blob) if len(blob) == n else None


def split_frames(buffer: bytearray) -> list[bytes]:
    """Take the complete frames off the front of ``buffer`` (bytes read so far); the rest stays."""
    out = []
    while len(buffer) >= _HEADER.size:
        (n,) = _HEADER.unpack_from(buffer)
        if len(buffer) < _HEADER.size + n:
            break
        out.append(bytes(buffer[_HEADER.size:_HEADER.size + n]))
        del buffer[:_HEADER.size + n]
    return out


# ----------------------------------------------------------------------------- set-up

def worker_nice() -> int:
    """``CNNVIZ_WORKER_NICE`` (default 10): how much lower than the server's a worker's CPU priority is.

    The server process answers every page rerun; a training that competes with it as an equal makes a
    lecture hall wait (benchmarks/load.py on 2 cores, 50 drawing sessions and one training: p95 0.4 s
    -> 8.7 s). At nice 10 the pages come first and training gets the cores they leave."""
    raw = os.environ.get("CNNVIZ_WORKER_NICE", "").strip()
    try:
        return max(0, min(19, int(raw))) if raw else 10
    except ValueError:
        return 10


def _prepare(threads: int, warm: bool, nice: bool = True) -> None:
    """Threads, priority (``nice``: :func:`worker_nice` below the server) and, with ``warm``, the imports."""
    if nice:
        with contextlib.suppress(AttributeError, OSError):  # not available here: run at the server's priority
            os.nice(worker_nice())
    import torch

    torch.set_num_threads(max(1, threads))
    with contextlib.suppress(RuntimeError):
        torch.set_num_interop_threads(1)
    if warm:  # pay the one-time import costs (torch._dynamo for the first optimizer: ~3 s) before a job
        from . import checkpoints, data, evaluation, models, training  # noqa: F401

        w = torch.zeros(1, requires_grad=True)
        opt = torch.optim.Adam([w], lr=1e-3)
        w.sum().backward()
        opt.step()
        import safetensors.torch  # noqa: F401


def shuffled(data, seed: int = 0):
    """The split with both parts in a fixed random order, so that ``train_limit``/``test_limit``
    (which keep the first N) give a sample of every class."""
    import torch

    from .data import DataSplit

    g = torch.Generator().manual_seed(seed)
    tr = torch.randperm(len(data.train_y), generator=g)
    te = torch.randperm(len(data.test_y), generator=g)
    return DataSplit(data.name, data.train_x[tr], data.train_y[tr], data.test_x[te], data.test_y[te],
                     data.mean, data.std, list(data.classes), data.note)


# ----------------------------------------------------------------------------- one job

def run_job(job_id: str, cfg: dict, job_dir: str, send: Callable[[Any], None], parent_pid: int,
            stop: Callable[[], bool] | None = None) -> None:
    """Train, then send the test-set predictions and the path of the saved weights.  ``stop``: asked
    between steps whether to stop (default: the stop file in ``job_dir``, or the server died)."""
    from . import models
    from .data import load_dataset
    from .training import TrainConfig, default_device, train

    config = TrainConfig(**cfg)
    data = load_dataset(config.dataset)
    if config.train_limit or config.test_limit:
        data = shuffled(data)
    test = data.subset(None, config.test_limit)
    n_train = len(data.train_y[:config.train_limit]) if config.train_limit else len(data.train_y)
    send(("started", dict(pid=os.getpid(), device=config.device or str(default_device()), dataset=data.name,
                          note=data.note, params=models.count_parameters(config.build_model(len(data.classes))),
                          n_train=n_train, n_test=len(test.test_y))))
    stop_file = Path(job_dir) / STOP_FILE

    def should_stop() -> bool:  # the user pressed Stop, or the server died
        return stop_file.exists() or os.getppid() != parent_pid

    result = train(config, data=data, callback=send, stop=stop or should_stop)
    send(("result", _result_payload(job_id, config, data, test, result, job_dir)))


def _result_payload(job_id: str, config, data, test, result, job_dir: str) -> dict:
    import torch

    from .checkpoints import CheckpointMeta, save_checkpoint
    from .evaluation import misclassified
    from .messages import MessageError, msg
    from .training import predict

    logits, pred = predict(result.model, test.test_x, data.mean, data.std)
    conf = torch.softmax(logits.float(), 1).max(1).values.cpu().numpy().astype(np.float64)
    pred = pred.cpu().numpy().astype(np.int64)
    labels = test.test_y.numpy().astype(np.int64)
    wrong = misclassified(labels, pred, conf, limit=GALLERY_MAX)
    path, ck_error = None, None
    if result.steps == 0:
        ck_error = msg("train.no_steps")
    else:
        meta = CheckpointMeta(arch=config.arch, dataset=data.name, test_acc=result.test_acc,
                              epochs=result.epochs_completed, mean=data.mean, std=data.std,
                              classes=list(data.classes), optimizer=config.optimizer,
                              lr=float(config.lr), batch_size=config.batch_size, seed=config.seed,
                              augment=config.augment, train_seconds=round(result.elapsed, 2), spec=config.spec,
                              test_size=len(test.test_y),
                              note=f"cnnviz training page; {result.status}: {result.reason}"
                              + (f"; dropout {config.dropout:g}" if config.dropout else ""))
        try:
            path = str(save_checkpoint(Path(job_dir) / f"{job_id}.safetensors", result.model.cpu(), meta))
        except (MessageError, ValueError, OSError) as exc:
            ck_error = exc.message if isinstance(exc, MessageError) else msg("train.save.failed_os", error=str(exc))
    images = test.test_x[torch.from_numpy(wrong)].numpy().copy() if len(wrong) else np.zeros((0, 28, 28), np.uint8)
    return dict(checkpoint=path, checkpoint_error=ck_error, labels=labels, preds=pred, confidence=conf,
                wrong_index=wrong, wrong_images=images, classes=list(data.classes))


def error_reason(exc: BaseException):
    """The :class:`~cnnviz.messages.Msg` that tells a person why a run failed with ``exc``."""
    from .messages import MessageError, msg

    return exc.message if isinstance(exc, MessageError) else msg(
        "train.reason.error", error=f"{type(exc).__name__}: {exc}")


# ----------------------------------------------------------------------------- entry point

def main(argv: list[str]) -> int:
    events_fd, parent_pid, threads, warm = int(argv[0]), int(argv[1]), int(argv[2]), argv[3] == "1"
    with os.fdopen(events_fd, "wb") as events:
        def send(obj: Any) -> None:
            write_frame(events, obj)

        try:
            _prepare(threads, warm)
            task = read_frame(sys.stdin.buffer)  # blocks until the server sends a job, or closes stdin
            if task is None:
                return 0
            run_job(*task, send=send, parent_pid=parent_pid)
        except BrokenPipeError:  # the server went away
            return 1
        except BaseException as exc:  # report anything (dataset missing, out of memory, ...) as a reason
            with contextlib.suppress(OSError):
                send(("error", error_reason(exc)))
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
