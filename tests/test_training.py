"""The trainer: validation, events, stop, divergence, and a check against a plain PyTorch loop."""

import math
import re
import threading

import pytest
import torch
import torch.nn.functional as F

from cnnviz import data, models
from cnnviz.messages import msg
from cnnviz.training import (
    EndEvent,
    EvalEvent,
    StepEvent,
    TrainConfig,
    TrainConfigError,
    add_dropout,
    dropout_layers,
    evaluate,
    make_optimizer,
    train,
)

CJK = re.compile(r"[\u4e00-\u9fff]")


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
    (dict(seed=-1), "seed"), (dict(seed=2**31), "seed"), (dict(device="tpu"), "device"),
    (dict(device="cuda:7"), "device"),
    (dict(dropout=1.0), "dropout"), (dict(dropout=-0.1), "dropout"), (dict(dropout=float("nan")), "dropout"),
    (dict(dropout=True), "dropout"), (dict(dropout="half"), "dropout"),
])
def test_invalid_settings_are_rejected_with_a_clear_message(kw, msg):
    with pytest.raises(TrainConfigError, match=msg) as info:
        TrainConfig(**kw).validate()
    assert isinstance(info.value, ValueError) and info.value.key.startswith("train.error.")
    assert CJK.search(info.value.message.render("zh"))  # a key with a Chinese text, not English prose


def test_unknown_arch_rejected():
    with pytest.raises(TrainConfigError, match="alexnet") as info:
        TrainConfig(arch="alexnet").validate()
    assert info.value.key == "train.error.arch"


@pytest.mark.slow
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


@pytest.mark.slow
def test_periodic_evaluation(embedded):
    events = []
    train(small(eval_every=16, log_every=2), data=embedded, callback=events.append)
    evals = [e.step for e in events if isinstance(e, EvalEvent)]
    assert evals == [16, 32, 40]


@pytest.mark.slow
def test_stop_between_steps_keeps_weights(embedded):
    stop = threading.Event()
    seen = []

    def on_event(e):
        seen.append(e)
        if isinstance(e, StepEvent) and e.step >= 3:
            stop.set()

    result = train(small(log_every=1, epochs=3), data=embedded, callback=on_event, stop=stop)
    assert result.status == "stopped" and result.reason == msg("train.reason.stopped_by_user", step=3)
    assert result.steps == 3 and result.epochs_completed == 0
    assert result.test_acc is not None and seen[-1].status == "stopped"
    assert all(torch.isfinite(p).all() for p in result.model.parameters())


@pytest.mark.slow
def test_stop_as_callable(embedded):
    result = train(small(), data=embedded, stop=lambda: True)
    assert result.status == "stopped" and result.steps == 0


@pytest.mark.slow
def test_divergence_stops_with_a_reason_and_keeps_the_last_good_weights(embedded):
    torch.manual_seed(0)
    initial = {k: v.clone() for k, v in models.build("simple_cnn").state_dict().items()}
    result = train(small(optimizer="sgd", lr=1e6, epochs=5), data=embedded)
    assert result.status == "failed" and result.reason.key == "train.reason.diverged"
    assert result.reason.args["step"] >= 1 and result.reason.args["lr"] == "1e+06"
    assert "learning rate 1e+06 is probably too high" in str(result.reason)
    assert "发散" in result.reason.render("zh")
    state = result.model.state_dict()
    assert all(torch.isfinite(v).all() for v in state.values())
    # the snapshot taken before the first step is the only one that gave a sane loss
    for k, v in initial.items():
        torch.testing.assert_close(state[k], v)
    assert result.events[-1].kind == "end" and result.events[-1].status == "failed"


@pytest.mark.slow
def test_batch_larger_than_the_dataset(embedded):
    result = train(small(batch_size=1024, train_limit=300), data=embedded)
    assert result.status == "done" and result.steps == 1


@pytest.mark.slow
@pytest.mark.parametrize("opt", ["sgd", "adam", "rmsprop"])
def test_every_optimizer_trains(embedded, opt):
    lr = {"sgd": 0.05, "adam": 1e-3, "rmsprop": 1e-3}[opt]
    result = train(small(optimizer=opt, lr=lr), data=embedded)
    assert result.status == "done" and result.test_acc > 0.5


@pytest.mark.slow
def test_augmentation_runs(embedded):
    result = train(small(augment=True), data=embedded)
    assert result.status == "done" and result.test_acc > 0.4


@pytest.mark.slow
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


@pytest.mark.slow
def test_full_embedded_epoch_reaches_real_accuracy(embedded):
    """One epoch on all 8,000 real training digits: well above 90 % on the 2,000 test digits."""
    result = train(TrainConfig.for_arch("simple_cnn", epochs=1, device="cpu"), data=embedded)
    assert result.status == "done" and result.test_acc > 0.9


def test_for_arch_uses_the_registry_settings():
    cfg = TrainConfig.for_arch("cnn", epochs=2)
    assert cfg.optimizer == "sgd" and cfg.lr == models.REGISTRY["cnn"].lr and cfg.epochs == 2


@pytest.mark.slow
def test_an_error_mid_training_fails_with_a_reason_and_the_last_good_weights(embedded):
    """Any exception (here from the callback, as a broken pipe would be) takes the one failure path."""
    torch.manual_seed(0)
    calls = []

    def on_event(e):
        calls.append(e)
        if isinstance(e, StepEvent) and e.step == 2:
            raise MemoryError("pretend the GPU is full")

    result = train(small(log_every=1, epochs=2), data=embedded, callback=on_event)
    assert result.status == "failed" and result.reason.key == "train.reason.error"
    assert "MemoryError: pretend the GPU is full" in str(result.reason)
    assert result.steps == 2 and result.test_acc is not None
    assert all(torch.isfinite(p).all() for p in result.model.parameters())


@pytest.mark.slow
def test_stop_after_a_diverged_window_reports_the_divergence(embedded):
    """Stop requested while the last (unchecked) window holds a huge loss: the divergence wins."""
    checks = []

    def stop_after_five_steps() -> bool:
        checks.append(1)
        return len(checks) > 5

    result = train(small(optimizer="sgd", lr=1e6, log_every=50), data=embedded, stop=stop_after_five_steps)
    assert result.status == "failed" and result.reason.key == "train.reason.diverged" and result.steps == 5


def test_the_optimizer_texts_state_the_numbers_the_trainer_uses():
    """Review defects 6, 8, 15: the update rules with the numbers torch and TrainConfig really use."""
    from cnnviz import i18n

    adam = make_optimizer("adam", [torch.zeros(1, requires_grad=True)], 1e-3).defaults
    rmsprop = make_optimizer("rmsprop", [torch.zeros(1, requires_grad=True)], 1e-3).defaults
    sgd = make_optimizer("sgd", [torch.zeros(1, requires_grad=True)], 1e-3, TrainConfig().momentum).defaults
    assert adam["betas"] == (0.9, 0.999) and adam["eps"] == 1e-8 and rmsprop["alpha"] == 0.99
    assert rmsprop["eps"] == 1e-8 and sgd["momentum"] == 0.9
    for lang in ("en", "zh"):
        home = i18n.t("home.optimizers", lang)
        for number in ("μ = 0.9", "β₁ = 0.9", "β₂ = 0.999", "α = 0.99", "ε = 10⁻⁸"):
            assert number in home, (lang, number)
        assert "0.9·v + g" in i18n.t("train.loss_explainer", lang)
    for key in ("home.optimizers", "train.loss_explainer"):
        zh = i18n.t(key, "zh")
        assert "去除" not in zh and "把每一步的梯度除以最近梯度的滑动均方根" in zh
    recommended = i18n.t("train.recommended", "en", seed="003", optimizer="Adam", lr=1e-3, batch=64, epochs=5)
    assert "source tutorial 003" in recommended and "seed" not in recommended
    assert "may differ from the tutorial" in recommended   # Adam here; that tutorial trained with SGD


# ----------------------------------------------------------------------------- dropout (issue 15 §4)

@pytest.mark.parametrize("arch", models.names())
def test_dropout_keeps_the_registry_weights_and_is_torchs_dropout(arch):
    """Dropout goes on the input of the fully connected layers (never on the pixels), adds no module and no
    parameter (the weights load into the plain registry model), is the identity in eval mode, and in
    train mode equals torch's own dropout in front of the layer."""
    torch.manual_seed(0)
    plain = models.build(arch)
    dropped = models.build(arch)
    dropped.load_state_dict(plain.state_dict())
    names = add_dropout(dropped, 0.5)
    linears = [n for n, m in plain.named_modules() if isinstance(m, torch.nn.Linear)]
    assert names and set(names) <= set(linears) and names[-1] == linears[-1]      # always the classifier
    assert names == (linears[1:] if arch == "mlp" else linears)                 # the MLP's pixels: no dropout
    assert list(dropped.state_dict()) == list(plain.state_dict())
    assert [n for n, _ in dropped.named_modules()] == [n for n, _ in plain.named_modules()]
    models.build(arch).load_state_dict(dropped.state_dict())                    # strict: same keys and shapes
    x = torch.randn(4, 1, 28, 28)
    plain.eval()
    dropped.eval()
    with torch.no_grad():
        assert torch.equal(plain(x), dropped(x))
    # train mode: the last layer's input goes through F.dropout with the same random numbers
    last = dict(dropped.named_modules())[names[-1]]
    seen = {}
    hook = last.register_forward_hook(lambda m, args, out: seen.update(inp=args[0], out=out))
    dropped.train()
    torch.manual_seed(7)
    with torch.no_grad():
        dropped(x)
    hook.remove()
    kept = seen["inp"] != 0
    assert 0.2 < kept.float().mean().item() < 0.8                                   # about half dropped
    assert torch.allclose(seen["out"], F.linear(seen["inp"], last.weight, last.bias))
    assert add_dropout(models.build(arch), 0.0) == [] and dropout_layers(plain) == names


@pytest.mark.slow
def test_training_with_dropout_learns_and_saves_plain_weights(embedded):
    cfg = small(dropout=0.5, train_limit=300, epochs=4)      # simple_cnn, batch 32
    events = []
    result = train(cfg, data=embedded, callback=events.append)
    # 300 digits / batch 32 = 10 steps per epoch (the page's help text computes the same)
    from cnnviz.runs import step_plan

    plan = step_plan(300, 32, 4)
    assert (plan.steps, plan.total) == (10, 40)
    assert {e.total_steps for e in events if isinstance(e, StepEvent)} == {plan.total} and result.steps == 40
    assert result.status == "done" and result.test_acc > 0.4                  # it learns (chance: 0.1)
    fresh = models.build("simple_cnn")
    fresh.load_state_dict(result.model.cpu().state_dict())                    # plain registry weights
    # the same run without dropout ends with other weights (dropout changed the training)
    plain = train(small(train_limit=300, epochs=4), data=embedded)
    assert not torch.equal(plain.model.cpu().state_dict()["7.weight"], fresh.state_dict()["7.weight"])


def test_cli_dropout_flag(tmp_path, capsys):
    from cnnviz import train as cli

    args = cli.build_parser().parse_args(["--arch", "lenet5", "--dropout", "0.3", "--epochs", "2"])
    cfg = cli.config_for("lenet5", args, "embedded")
    assert cfg.dropout == 0.3 and cfg.epochs == 2 and cfg.arch == "lenet5"
    assert cli.config_for("lenet5", cli.build_parser().parse_args([]), "embedded").dropout == 0.0
    for bad in ("1", "-0.2", "nan"):
        assert cli.main(["--arch", "lenet5", "--dropout", bad, "--out", str(tmp_path)]) == 2
        assert "dropout probability must be at least 0 and below 1" in capsys.readouterr().err
    assert not list(tmp_path.iterdir())
