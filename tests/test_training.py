"""The trainer: validation, events, stop, divergence, and a check against a plain PyTorch loop."""

import math
import threading

import pytest
import torch
import torch.nn.functional as F

from cnnviz import data, models
from cnnviz.training import EndEvent, EvalEvent, StepEvent, TrainConfig, evaluate, train


@pytest.fixture(scope="module")
def embedded():
    return data.load_embedded()


def small(**kw):
    base = dict(arch="simple_cnn", epochs=1, batch_size=32, train_limit=1280, test_limit=200, device="cpu")
    base.update(kw)
    return TrainConfig(**base)


@pytest.mark.parametrize("kw, msg", [
    (dict(lr=float("nan")), "finite"), (dict(lr=0), "greater than 0"), (dict(lr=-0.1), "greater than 0"),
    (dict(lr=float("inf")), "finite"), (dict(lr="fast"), "number"),
    (dict(batch_size=0), "batch size"), (dict(batch_size=1025), "batch size"), (dict(batch_size=2.5), "batch"),
    (dict(epochs=0), "epochs"), (dict(epochs=51), "epochs"), (dict(optimizer="lbfgs"), "optimizer"),
])
def test_invalid_settings_are_rejected_with_a_clear_message(kw, msg):
    with pytest.raises(ValueError, match=msg):
        TrainConfig(**kw).validate()


def test_unknown_arch_rejected():
    with pytest.raises(KeyError):
        TrainConfig(arch="alexnet").validate()


def test_events_and_learning(embedded):
    events = []
    result = train(small(log_every=20), data=embedded, callback=events.append)
    kinds = [e.kind for e in events]
    assert kinds[-1] == "end" and kinds[-2] == "epoch" and kinds[-3] == "eval"
    steps = [e for e in events if isinstance(e, StepEvent)]
    assert [e.step for e in steps] == [20, 40]  # 1280 / 32 = 40 steps, a StepEvent every 20
    assert all(e.total_steps == 40 and e.samples_per_s > 0 and math.isfinite(e.loss) for e in steps)
    assert steps[-1].loss < steps[0].loss
    end = events[-1]
    assert isinstance(end, EndEvent) and end.status == "done" and end.epochs_completed == 1
    assert result.status == "done" and result.steps == 40 and result.events == events
    ev = [e for e in events if isinstance(e, EvalEvent)][-1]
    acc, _ = evaluate(result.model, embedded.test_x[:200], embedded.test_y[:200], embedded.mean, embedded.std)
    assert ev.test_acc == pytest.approx(acc) == pytest.approx(result.test_acc)
    assert result.test_acc > 0.6  # 40 steps of Adam on real digits: far above chance (0.1)


def test_periodic_evaluation(embedded):
    events = []
    train(small(eval_every=16, log_every=2), data=embedded, callback=events.append)
    evals = [e.step for e in events if isinstance(e, EvalEvent)]
    assert evals == [16, 32, 40]


def test_stop_between_steps_keeps_weights(embedded):
    stop = threading.Event()
    seen = []

    def on_event(e):
        seen.append(e)
        if isinstance(e, StepEvent) and e.step >= 3:
            stop.set()

    result = train(small(log_every=1, epochs=3), data=embedded, callback=on_event, stop=stop)
    assert result.status == "stopped" and "stopped" in result.reason
    assert result.steps == 3 and result.epochs_completed == 0
    assert result.test_acc is not None and seen[-1].status == "stopped"
    assert all(torch.isfinite(p).all() for p in result.model.parameters())


def test_stop_as_callable(embedded):
    result = train(small(), data=embedded, stop=lambda: True)
    assert result.status == "stopped" and result.steps == 0


def test_divergence_stops_with_a_reason_and_keeps_the_last_good_weights(embedded):
    torch.manual_seed(0)
    initial = {k: v.clone() for k, v in models.build("simple_cnn").state_dict().items()}
    result = train(small(optimizer="sgd", lr=1e6, epochs=5), data=embedded)
    assert result.status == "failed" and "diverged" in result.reason and "learning rate" in result.reason
    state = result.model.state_dict()
    assert all(torch.isfinite(v).all() for v in state.values())
    # the snapshot taken before the first step is the only one that gave a sane loss
    for k, v in initial.items():
        torch.testing.assert_close(state[k], v)
    assert result.events[-1].kind == "end" and result.events[-1].status == "failed"


def test_batch_larger_than_the_dataset(embedded):
    result = train(small(batch_size=1024, train_limit=300), data=embedded)
    assert result.status == "done" and result.steps == 1


@pytest.mark.parametrize("opt", ["sgd", "adam", "rmsprop"])
def test_every_optimizer_trains(embedded, opt):
    lr = {"sgd": 0.05, "adam": 1e-3, "rmsprop": 1e-3}[opt]
    result = train(small(optimizer=opt, lr=lr), data=embedded)
    assert result.status == "done" and result.test_acc > 0.5


def test_augmentation_runs(embedded):
    result = train(small(augment=True), data=embedded)
    assert result.status == "done" and result.test_acc > 0.4


def test_same_weights_as_a_plain_pytorch_loop(embedded):
    """The reference: pytorch/examples' loop with the same seed, order and batches gives the same model."""
    cfg = small(optimizer="sgd", lr=0.05, train_limit=320, batch_size=64)
    result = train(cfg, data=embedded)

    d = embedded.subset(320, 200)
    torch.manual_seed(cfg.seed)
    model = models.build("simple_cnn")
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    perm = torch.randperm(320, generator=torch.Generator().manual_seed(cfg.seed))
    model.train()
    for i in range(0, 320, 64):
        idx = perm[i:i + 64]
        x = ((d.train_x[idx].float() / 255 - d.mean) / d.std).unsqueeze(1)
        loss = F.cross_entropy(model(x), d.train_y[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
    for (k, a), b in zip(result.model.state_dict().items(), model.state_dict().values()):
        torch.testing.assert_close(a, b, msg=k)


def test_full_embedded_epoch_reaches_real_accuracy(embedded):
    """One epoch on all 8,000 real training digits: well above 90 % on the 2,000 test digits."""
    result = train(TrainConfig.for_arch("simple_cnn", epochs=1, device="cpu"), data=embedded)
    assert result.status == "done" and result.test_acc > 0.9


def test_for_arch_uses_the_registry_settings():
    cfg = TrainConfig.for_arch("cnn", epochs=2)
    assert cfg.optimizer == "sgd" and cfg.lr == models.REGISTRY["cnn"].lr and cfg.epochs == 2
