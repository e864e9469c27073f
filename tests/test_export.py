"""Export: ONNX Runtime reproduces torch's logits on real digits; the state_dict download loads back."""

import io

import numpy as np
import pytest
import torch

from cnnviz import checkpoints, data, export, models, training
from cnnviz import spec as S


def real_digits(mean: float, std: float, n: int = 64) -> torch.Tensor:
    return data.normalize(data.load_embedded().test_x[:n], mean, std)


def onnx_logits(blob: bytes, x: torch.Tensor) -> np.ndarray:
    import onnxruntime as ort

    session = ort.InferenceSession(blob, providers=["CPUExecutionProvider"])
    assert [i.name for i in session.get_inputs()] == [export.INPUT_NAME]
    return session.run([export.OUTPUT_NAME], {export.INPUT_NAME: x.numpy()})[0]


def assert_onnx_matches_torch(model: torch.nn.Module, mean: float, std: float) -> None:
    import onnx

    was_training = model.training
    blob = export.to_onnx(model)
    assert model.training == was_training   # a copy was exported: the caller's mode is kept
    graph = onnx.load_from_string(blob).graph
    onnx.checker.check_model(onnx.load_from_string(blob))
    dims = [d.dim_param or d.dim_value for d in graph.input[0].type.tensor_type.shape.dim]
    assert dims[1:] == [1, 28, 28] and isinstance(dims[0], str)   # a dynamic batch dimension
    x = real_digits(mean, std)
    with torch.no_grad():
        expected = model.eval()(x).numpy()
    got = onnx_logits(blob, x)
    np.testing.assert_allclose(got, expected, atol=1e-4, rtol=0)
    np.testing.assert_allclose(onnx_logits(blob, x[:1]), expected[:1], atol=1e-4, rtol=0)   # batch 1 too
    assert (got.argmax(1) == expected.argmax(1)).all()


@pytest.mark.slow
@pytest.mark.parametrize("arch", models.names())
def test_onnx_runtime_gives_torch_logits_for_every_shipped_checkpoint(arch):
    model, meta = checkpoints.load_checkpoint(checkpoints.shipped_path(arch))
    before = {k: v.clone() for k, v in model.state_dict().items()}
    assert_onnx_matches_torch(model, meta.mean, meta.std)
    # the shipped models really classify these digits (the comparison is not between two random nets)
    ds = data.load_embedded()
    _, pred = training.predict(model, ds.test_x[:64], meta.mean, meta.std)
    assert (pred == ds.test_y[:64]).float().mean() > 0.8
    assert all(torch.equal(v, before[k]) for k, v in model.state_dict().items())   # the caller's model unchanged


@pytest.mark.slow
def test_onnx_runtime_gives_torch_logits_for_a_designed_network():
    torch.manual_seed(0)
    every_kind = S.parse_text("conv 8 3 pad=1\nbatchnorm\nrelu\nresidual\nmaxpool 2\ninception\n"
                              "conv 12 3 stride=2 pad=2 dilation=2\ntanh\ndense 2 4\navgpool 3 stride=2 pad=1\n"
                              "sigmoid\ndropout 0.2\nflatten\nlinear 32\nbatchnorm\nrelu\n")
    assert {layer["kind"] for layer in every_kind} == set(S.KINDS)
    model = models.from_spec(every_kind, num_classes=3)
    model.train()
    model(real_digits(data.MNIST_MEAN, data.MNIST_STD, 32))   # BatchNorm running statistics that are not 0/1
    assert_onnx_matches_torch(model, data.MNIST_MEAN, data.MNIST_STD)


def test_state_dict_bytes_load_back_with_weights_only():
    model, _ = checkpoints.load_checkpoint(checkpoints.shipped_path("lenet5"))
    blob = export.to_state_dict_bytes(model)
    state = torch.load(io.BytesIO(blob), weights_only=True, map_location="cpu")
    fresh = models.build("lenet5")
    fresh.load_state_dict(state)
    x = real_digits(data.MNIST_MEAN, data.MNIST_STD, 16)
    torch.testing.assert_close(fresh.eval()(x), model.eval()(x))
