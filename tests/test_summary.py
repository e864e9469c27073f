"""cnnviz.summary.size_table: the home page's LeNet-5 table, checked against torch (shapes by running the
model, parameter counts by numel) and against the textbook numbers."""

import pytest
import torch

from cnnviz import activations, models, summary
from cnnviz.messages import Msg


@pytest.mark.parametrize("arch", list(models.REGISTRY))
def test_rows_match_torch_shapes_and_parameter_counts(arch):
    model = models.build(arch).eval()
    rows = summary.size_table(model)
    _, recs = activations.capture(model, torch.randn(1, 1, 28, 28), include_containers=False)
    assert [r.name for r in rows] == [a.name for a in recs]
    for row, rec in zip(rows, recs):
        assert row.out_shape == rec.shape[1:], row.name
        mod = model.get_submodule(row.name)
        assert row.parameters == sum(p.numel() for p in mod.parameters())
        assert isinstance(row.size_rule, (Msg, str))
        assert (row.parameter_rule is None) == (row.parameters == 0)
        if row.parameter_rule is not None:
            assert f"{row.parameters:,}" in str(row.parameter_rule)
    assert sum(r.parameters for r in rows) == models.count_parameters(model)


def test_lenet5_table_tells_the_truth():
    rows = {r.name: r for r in summary.size_table("lenet5")}
    rf = {name: rows[name].receptive_field for name in ("c1", "relu1", "s2", "c3", "s4", "c5")}
    assert rf == {"c1": (5, 5), "relu1": (5, 5), "s2": (6, 6), "c3": (14, 14), "s4": (16, 16), "c5": (32, 32)}
    assert rows["f6"].receptive_field is None and rows["flatten"].receptive_field is None
    assert rows["c1"].parameter_rule == "6·(1·5·5) + 6 = 156"
    assert rows["c3"].parameter_rule == "16·(6·5·5) + 16 = 2,416"
    assert rows["f6"].parameter_rule == "120·84 + 84 = 10,164"
    assert sum(r.parameters for r in rows.values()) == 61_706
    assert models.count_parameters(models.build("mlp")) == 203_530
    # each kind's own size rule: none of the layers that change the size says "unchanged"
    assert rows["f6"].size_rule.key == "summary.size.linear" and rows["f6"].size_rule.args["units"] == 84
    assert rows["flatten"].size_rule == "C·H·W = 120·1·1 = 120"
    assert rows["c1"].size_rule.endswith("= 28") and rows["s2"].size_rule.endswith("= 14")
    for r in rows.values():
        assert (getattr(r.size_rule, "key", "") == "summary.size.unchanged") == (r.kind == "ReLU"), r.name
    assert rows["s4"].out_shape == (16, 5, 5) and rows["flatten"].out_shape == (120,)


def test_inception_and_densenet_rules():
    inc = {r.name: r for r in summary.size_table("inception")}
    assert inc["3.concat"].size_rule.english() == "channels added: 16 + 24 + 24 + 24 = 88"
    assert inc["3.concat"].receptive_field == inc["3.branch3x3.2"].receptive_field == (14, 14)
    dense = {r.name: r for r in summary.size_table("densenet")}
    assert dense["1.0.norm"].parameter_rule.english() == "2·16 = 32 (γ and β)"
    assert dense["1.0.conv"].parameter_rule.english() == "12·(16·3·3) = 1,728 (no bias)"
