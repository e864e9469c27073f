"""Designed networks (cnnviz.spec): shapes against torch, limits, hostile specs, the text form."""

import json
import re
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from cnnviz import activations, checkpoints, data, featuremaps, models
from cnnviz import spec as S
from cnnviz.messages import MessageError

EX = S.EXAMPLES


def digits(n: int = 16) -> torch.Tensor:
    ds = data.load_embedded()
    return data.normalize(ds.test_x[:n], data.MNIST_MEAN, data.MNIST_STD)


def error_of(spec, num_classes=10) -> S.SpecError:
    with pytest.raises(S.SpecError) as info:
        models.check_spec(spec, num_classes)
    err = info.value
    assert isinstance(err, MessageError)
    for text in (str(err), err.message.render("zh")):   # both languages fill every placeholder
        assert text and not re.search(r"\{[a-z_]+(:,)?\}", text)
    return err


# ----------------------------------------------------------------------------- building, shapes, parameters

@pytest.mark.parametrize("name", list(EX))
def test_rows_match_torch_and_the_built_model(name):
    check = models.check_spec(EX[name])
    model = models.from_spec(EX[name]).eval()
    assert isinstance(model, S.SpecNet) and isinstance(model, nn.Sequential)
    x = digits(4)
    _, acts = activations.capture(model, x)
    top = {a.name: a.shape[1:] for a in acts if a.depth == 0}
    for row in check.rows:   # torchinfo's shape = the shape a real forward pass produces on real digits
        assert top[row.name] == row.output_shape
        assert row.params == sum(p.numel() for p in model.get_submodule(row.name).parameters())
    assert check.total_params == models.count_parameters(model)
    assert check.output_shape == (10,) and model(x).shape == (4, 10)


def test_seed001_relu_spec_is_the_registry_network_and_takes_its_shipped_weights():
    shipped, meta = checkpoints.load_checkpoint(checkpoints.shipped_path("cnn16_32"))
    model = models.from_spec(EX["seed001_relu"]).eval()
    model.load_state_dict(shipped.state_dict())   # strict: the same names and shapes
    x = digits(64)
    torch.testing.assert_close(model(x), shipped(x))
    assert models.check_spec(EX["lenet5_like"]).total_params == models.count_parameters(models.build("lenet5"))


def test_relu_and_sigmoid_pair_builds_with_the_same_shapes():
    relu, sig = models.from_spec(EX["seed001_relu"]), models.from_spec(EX["seed001_sigmoid"])
    assert [t.shape for t in relu.state_dict().values()] == [t.shape for t in sig.state_dict().values()]
    assert sum(isinstance(m, nn.Sigmoid) for m in sig.modules()) == 2
    assert not any(isinstance(m, nn.ReLU) for m in sig.modules())
    sig.load_state_dict(relu.state_dict())
    x = digits(8)
    assert not torch.allclose(relu.eval()(x), sig.eval()(x))   # the activation changes the logits


ALL_KINDS = [
    {"kind": "conv", "out": 8, "kernel": 3, "padding": 1}, {"kind": "batchnorm"}, {"kind": "relu"},
    {"kind": "residual"}, {"kind": "maxpool", "kernel": 2}, {"kind": "inception"},
    {"kind": "conv", "out": 12, "kernel": 3, "stride": 2, "dilation": 2, "padding": 2}, {"kind": "tanh"},
    {"kind": "dense", "layers": 2, "growth": 4}, {"kind": "avgpool", "kernel": 3, "stride": 2, "padding": 1},
    {"kind": "sigmoid"}, {"kind": "dropout", "p": 0.2}, {"kind": "flatten"}, {"kind": "linear", "out": 32},
    {"kind": "batchnorm"}, {"kind": "relu"}, {"kind": "dropout"},
]


def test_every_layer_kind_trains_one_step():
    assert {layer["kind"] for layer in ALL_KINDS} == set(S.KINDS)
    torch.manual_seed(0)
    model = models.from_spec(ALL_KINDS, num_classes=3).train()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    x, y = digits(16), torch.randint(0, 3, (16,))
    opt = torch.optim.SGD(model.parameters(), lr=0.05)
    loss = F.cross_entropy(model(x), y)
    opt.zero_grad()
    loss.backward()
    assert torch.isfinite(loss)
    assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in model.parameters())
    opt.step()
    changed = [k for k, v in model.state_dict().items() if k.endswith("weight") and not torch.equal(v, before[k])]
    assert len(changed) == sum(1 for k in before if k.endswith("weight"))
    # BatchNorm is 2-d on maps and 1-d after the Flatten
    assert isinstance(model[1], nn.BatchNorm2d) and isinstance(model[14], nn.BatchNorm1d)


def test_every_layer_is_a_hookable_module_with_stable_names():
    model = models.from_spec(ALL_KINDS).eval()
    leaves = [n for n, _ in activations.hookable_modules(model, include_containers=False)]
    _, acts = activations.capture(model, digits(2))
    assert sorted(a.name for a in acts if a.is_leaf) == sorted(leaves)
    assert [n for n, _ in model.named_children()] == [str(i) for i in range(len(model))]
    assert "3.conv1" in leaves and "5.branch5x5.1" in leaves and "8.0.conv" in leaves
    rebuilt = models.from_spec(model.spec)   # the stored spec rebuilds the same network
    rebuilt.load_state_dict(model.state_dict())
    assert rebuilt.spec == model.spec


def test_feature_map_analysis_opens_every_layer_of_a_designed_network():
    model = models.from_spec(EX["small_resnet"]).eval()
    result = featuremaps.analyze(model, digits(1))
    assert result.probs.shape[-1] == 10
    names = [layer.name for layer in result.layers]
    assert "0" in names and "3.add" in names and "9" in names


@pytest.mark.parametrize("spec, num_classes, added", [
    ([], 10, ["flatten", "linear"]),
    ([{"kind": "conv", "out": 4, "kernel": 3}], 3, ["flatten", "linear"]),
    ([{"kind": "flatten"}, {"kind": "linear", "out": 120}], 10, ["linear"]),
    ([{"kind": "flatten"}, {"kind": "linear", "out": 10}, {"kind": "relu"}], 10, ["linear"]),
    ([{"kind": "flatten"}, {"kind": "linear", "out": 2}], 2, []),
    ([{"kind": "flatten"}, {"kind": "linear", "out": 10}], 2, ["linear"]),
])
def test_a_final_linear_to_the_classes_is_added_when_missing(spec, num_classes, added):
    check = models.check_spec(spec, num_classes)
    assert [r.kind for r in check.rows if r.added] == added
    assert all(not r.added for r in check.rows[:len(spec)])
    assert check.output_shape == (num_classes,)
    assert check.spec[-1] == {"kind": "linear", "out": num_classes}
    assert models.from_spec(spec, num_classes)(digits(2)).shape == (2, num_classes)


def test_defaults_fill_left_out_settings():
    layers = S.normalize_spec([{"kind": "conv", "out": 4}, {"kind": "maxpool", "kernel": 3}, {"kind": "avgpool"},
                               {"kind": "dropout"}, {"kind": "dense"}, {"kind": " ReLU "},
                               {"kind": "conv", "out": 2.0}])
    assert layers == [
        {"kind": "conv", "out": 4, "kernel": 3, "stride": 1, "padding": 0, "dilation": 1},
        {"kind": "maxpool", "kernel": 3, "stride": 3, "padding": 0},
        {"kind": "avgpool", "kernel": 2, "stride": 2, "padding": 0},
        {"kind": "dropout", "p": 0.5}, {"kind": "dense", "layers": 3, "growth": 12}, {"kind": "relu"},
        {"kind": "conv", "out": 2, "kernel": 3, "stride": 1, "padding": 0, "dilation": 1}]


# ----------------------------------------------------------------------------- errors that name the layer and the sizes

def conv(out=8, kernel=3, **kw):
    return {"kind": "conv", "out": out, "kernel": kernel, **kw}


RELU = {"kind": "relu"}
FLAT = {"kind": "flatten"}


@pytest.mark.parametrize("spec, key, args", [
    ([conv(8, 28), {"kind": "maxpool", "kernel": 2}], "spec.error.window_too_big",   # pool 2×2 on a 1×1 map
     {"layer": 2, "kind": "maxpool", "window": 2, "height": 1, "width": 1}),
    ([conv(8, 5), {"kind": "maxpool", "kernel": 2}] * 3, "spec.error.window_too_big",
     {"layer": 5, "kind": "conv", "window": 5, "height": 4}),
    ([conv(8, 4, dilation=10)], "spec.error.window_too_big", {"layer": 1, "window": 31}),
    ([conv(16, 5), {"kind": "linear", "out": 5}], "spec.error.flatten_missing",
     {"layer": 2, "kind": "linear", "shape": "16×24×24"}),
    ([FLAT, conv()], "spec.error.needs_map", {"layer": 2, "kind": "conv", "features": 784}),
    ([FLAT, {"kind": "residual"}], "spec.error.needs_map", {"layer": 2, "kind": "residual"}),
    ([{"kind": "maxpool", "kernel": 2, "padding": 2}], "spec.error.pool_padding", {"layer": 1, "limit": 1}),
    ([RELU] * 41, "spec.error.too_many_layers", {"count": 41, "limit": 40}),
    ([conv(64, 3, padding=1), FLAT, {"kind": "linear", "out": 512}], "spec.error.too_many_params",
     {"layer": 3, "kind": "linear", "params": 640 + 64 * 784 * 512 + 512}),
    ([conv(513)], "spec.error.out_of_range", {"layer": 1, "setting": "out", "value": "513", "high": 512}),
    ([{"kind": "dense", "layers": 8, "growth": 64}], "spec.error.too_many_channels",
     {"layer": 1, "kind": "dense", "channels": 513}),
    ([conv(1, 1, padding=14)] * 2, "spec.error.map_too_large", {"layer": 2, "height": 84}),
    ([conv(128, 3, padding=1)] * 3, "spec.error.too_much_compute", {"layer": 3}),
    ([conv(1, 0)], "spec.error.out_of_range", {"layer": 1, "setting": "kernel", "value": "0"}),
    ([conv(stride=0)], "spec.error.out_of_range", {"setting": "stride"}),
    ([conv(padding=-1)], "spec.error.out_of_range", {"setting": "padding"}),
    ([{"kind": "dropout", "p": 1}], "spec.error.dropout_p", {"value": "1.0"}),
    ([{"kind": "dropout", "p": -0.1}], "spec.error.dropout_p", {"value": "-0.1"}),
    ([{"kind": "dropout", "p": float("nan")}], "spec.error.not_number", {"value": "nan"}),
])
def test_the_first_layer_that_cannot_work_is_named_with_its_sizes(spec, key, args):
    err = error_of(spec)
    assert err.key == key
    assert {k: err.args_dict.get(k) for k in args} == args


def test_pool_on_a_one_pixel_map_reads_well_in_both_languages():
    err = error_of([conv(8, 28), {"kind": "maxpool", "kernel": 2}])
    assert "Layer 2 (maxpool): a 2×2 window does not fit on a 1×1 map" in str(err)
    assert "第 2 层（maxpool）：2×2 的窗口放不进 1×1 的特征图" in err.message.render("zh")


@pytest.mark.parametrize("spec, key, args", [
    ({"kind": "conv"}, "spec.error.not_list", {"value": "{…}"}),
    ("conv 16 5", "spec.error.not_list", {}),
    (None, "spec.error.not_list", {"value": "null"}),
    (7, "spec.error.not_list", {}),
    ([["conv", 16]], "spec.error.layer_not_object", {"layer": 1, "value": "[…]"}),
    ([RELU, "conv"], "spec.error.layer_not_object", {"layer": 2}),
    ([{"out": 3}], "spec.error.no_kind", {"layer": 1}),
    ([{"kind": "__import__('os').system('x')"}], "spec.error.unknown_kind", {"layer": 1}),
    ([{"kind": "Conv2d"}], "spec.error.unknown_kind", {"value": '"Conv2d"'}),
    ([{"kind": 3}], "spec.error.unknown_kind", {"value": "3"}),
    ([{"kind": ["conv"]}], "spec.error.unknown_kind", {"value": "[…]"}),
    ([{"kind": "x" * 10_000}], "spec.error.unknown_kind", {}),
    ([{"kind": "conv", "out": 8, "__class__": 1}], "spec.error.unknown_setting", {"setting": '"__class__"'}),
    ([{"kind": "relu", "inplace": True}], "spec.error.no_settings", {"kind": "relu"}),
    ([{"kind": "conv", "kernel": 3}], "spec.error.missing_setting", {"setting": "out"}),
    ([conv(True)], "spec.error.not_number", {"value": "true"}),
    ([conv("16")], "spec.error.not_number", {"value": '"16"'}),
    ([conv(None)], "spec.error.not_number", {"value": "null"}),
    ([conv([16])], "spec.error.not_number", {"value": "[…]"}),
    ([conv({"a": [[[]]]})], "spec.error.not_number", {"value": "{…}"}),
    ([conv(16.5)], "spec.error.not_whole", {"value": "16.5"}),
    ([conv(float("inf"))], "spec.error.not_number", {"value": "inf"}),
    ([conv(10 ** 100)], "spec.error.out_of_range", {"value": "~10^100"}),
    ([conv(-(10 ** 5000))], "spec.error.out_of_range", {}),
    ([conv(1e300)], "spec.error.out_of_range", {}),
])
def test_hostile_specs_get_a_clear_message(spec, key, args):
    err = error_of(spec)
    assert err.key == key
    assert {k: err.args_dict.get(k) for k in args} == args
    assert len(str(err)) < 400


@pytest.mark.parametrize("n", [0, 1, True, 2.0, 10 ** 6, "10"])
def test_the_number_of_classes_is_checked(n):
    assert error_of([RELU], n).key == "spec.error.num_classes"


def test_spec_code_never_evaluates_unpickles_or_imports_user_text():
    source = Path(S.__file__).read_text()
    assert not re.search(r"(?<![.\w])(eval|exec|compile|getattr)\(", source)
    assert not re.search(r"\b(pickle|import_module|__import__|torch\.load)\b", source)


# ----------------------------------------------------------------------------- JSON

def test_json_round_trip_writes_every_setting():
    text = S.to_json(EX["lenet5_like"])
    assert S.parse_json(text) == S.normalize_spec(EX["lenet5_like"])
    assert S.parse_json(text.encode("utf-8-sig")) == S.parse_json(text)
    assert models.check_spec(S.parse_json(text)).total_params == 61706


@pytest.mark.parametrize("text, key", [
    ("[" * 30_000 + "]" * 30_000, "spec.error.too_deep"),      # json.loads alone would hit RecursionError
    ('[{"kind": "conv", "out": {"a": {"b": [1]}}}]', "spec.error.too_deep"),
    (" " * (S.MAX_JSON_BYTES + 1), "spec.error.too_big"),
    ('[{"kind": "dropout", "p": NaN}]', "spec.error.not_finite"),
    ('[{"kind": "conv", "out": Infinity}]', "spec.error.not_finite"),
    ('[{"kind": "conv", "out": 8, "out": 500}]', "spec.error.duplicate_setting"),
    ('[{"kind": "conv",\n "out": 8,,}]', "spec.error.not_json"),
    (b"\xff\xfe[]", "spec.error.not_text"),
    ("", "spec.error.not_json"),
])
def test_json_that_cannot_be_a_spec(text, key):
    with pytest.raises(S.SpecError) as info:
        S.parse_json(text)
    assert info.value.key == key


def test_json_error_names_line_and_column():
    with pytest.raises(S.SpecError) as info:
        S.parse_json('[{"kind": "relu"},\n {"kind": "conv" "out": 3}]')
    assert info.value.args_dict == {"line": 2, "column": 18}


def test_parsed_json_that_is_wrong_is_caught_by_the_check():
    assert error_of(S.parse_json('{"layers": []}')).key == "spec.error.not_list"
    assert error_of(S.parse_json('[{"kind": "conv", "out": true}]')).key == "spec.error.not_number"


# ----------------------------------------------------------------------------- text form

def test_text_form_reads_the_issue_examples():
    text = """
    # a LeNet-like network
    conv 16 5 pad=2
    relu
    maxpool 2
    conv 32 k=3 stride=1 padding=1 dil=1   # aliases
    avgpool 2 stride=1
    dropout 0.5
    flatten
    linear 120
    dense 2 8
    """
    spec = S.parse_text(text.replace("    dense 2 8\n", ""))
    assert spec[0] == {"kind": "conv", "out": 16, "kernel": 5, "stride": 1, "padding": 2, "dilation": 1}
    assert spec[3] == {"kind": "conv", "out": 32, "kernel": 3, "stride": 1, "padding": 1, "dilation": 1}
    assert spec[4] == {"kind": "avgpool", "kernel": 2, "stride": 1, "padding": 0}
    assert spec[5] == {"kind": "dropout", "p": 0.5} and spec[-1] == {"kind": "linear", "out": 120}
    assert S.spec_to_text(spec).splitlines()[:5] == ["conv 16 5 pad=2", "relu", "maxpool 2", "conv 32 3 pad=1",
                                                    "avgpool 2 stride=1"]
    err = error_of(S.parse_text(text))   # the dense block after the linear layer
    assert err.key == "spec.error.needs_map" and err.args_dict["layer"] == 9


@pytest.mark.parametrize("text, line, reason", [
    ("relu\n\n# c\nconvolution 3", 4, "spec.error.text_unknown_kind"),
    ("conv 16 5 pad=two", 1, "spec.error.text_bad_token"),
    ("relu\nrelu 3", 2, "spec.error.text_too_many_values"),
    ("conv 16 5 stride=1 stride=2", 1, "spec.error.duplicate_setting"),
    ("conv 0 5", 1, "spec.error.out_of_range"),
    ("conv 16 5.5", 1, "spec.error.not_whole"),
    ("relu\nlinear 10 colour=3", 2, "spec.error.unknown_setting"),
    ("relu\ndropout 1.5", 2, "spec.error.dropout_p"),
    ("conv 16 5 eval('1')", 1, "spec.error.text_bad_token"),
    ("relu\n" * 41, 41, "spec.error.too_many_layers"),
])
def test_text_errors_name_the_line(text, line, reason):
    with pytest.raises(S.SpecError) as info:
        S.parse_text(text)
    err = info.value
    assert err.key == "spec.error.line" and err.args_dict["line"] == line
    assert err.args_dict["reason"].key == reason
    assert str(err).startswith(f"Line {line}: ") and err.message.render("zh").startswith(f"第 {line} 行：")


def test_text_form_is_capped():
    with pytest.raises(S.SpecError) as info:
        S.parse_text("relu\n" * 20_000)
    assert info.value.key == "spec.error.too_big"


def _layer_strategy():
    def ints(name, lo, hi):
        return st.dictionaries(st.just(name), st.integers(lo, hi), max_size=1)

    def kind(k, *parts):
        return st.tuples(*parts).map(lambda ds: {"kind": k, **{key: v for d in ds for key, v in d.items()}}) \
            if parts else st.just({"kind": k})

    conv_ = kind("conv", st.fixed_dictionaries({"out": st.integers(1, 512)}), ints("kernel", 1, 28),
                 ints("stride", 1, 28), ints("padding", 0, 14), ints("dilation", 1, 10))
    pools = [kind(k, ints("kernel", 1, 28), ints("stride", 1, 28), ints("padding", 0, 14))
             for k in ("maxpool", "avgpool")]
    drop = kind("dropout", st.dictionaries(st.just("p"), st.floats(0, 1, exclude_max=True), max_size=1))
    lin = kind("linear", st.fixed_dictionaries({"out": st.integers(1, 512)}))
    dense = kind("dense", ints("layers", 1, 8), ints("growth", 1, 64))
    plain = [kind(k) for k in ("relu", "sigmoid", "tanh", "batchnorm", "flatten", "residual", "inception")]
    return st.one_of(conv_, *pools, drop, lin, dense, *plain)


@settings(max_examples=150, deadline=None)
@given(st.lists(_layer_strategy(), max_size=12))
def test_text_form_round_trips(spec):
    normalized = S.normalize_spec(spec)
    text = S.spec_to_text(spec)
    assert S.parse_text(text) == normalized
    assert S.spec_to_text(S.parse_text(text)) == text
    assert S.parse_json(json.dumps(spec)) == spec


def test_the_training_pages_walkthrough_and_gradcam_work_on_a_designed_network():
    model = models.from_spec(EX["lenet5_like"])
    steps = activations.size_walkthrough(model)
    check = models.check_spec(EX["lenet5_like"])
    assert [s.out_shape for s in steps] == [r.output_shape for r in check.rows]
    assert steps[0].formula == "(28 − 5 + 2×2)/1 + 1 = 28"
    assert featuremaps.gradcam_layer(model.eval())[0] == "5"   # the last map of at least 4×4: the 16×5×5 pool
