"""Home: the CNN pipeline, step by step, with LeNet-5's sizes, receptive fields and parameters worked out."""

import math

import pandas as pd
import streamlit as st

from cnnviz import models, summary
from cnnviz.messages import Msg
from ui.common import embedded_data, shipped_checkpoints
from ui.i18n import t, tm
from ui.sidebar import lecture_mode


def show_pipeline() -> None:
    st.header(t("home.pipeline"))
    st.graphviz_chart(t("home.pipeline_dot", size=18 if lecture_mode() else 14))
    conv_col, relu_pool_col, fc_col = st.columns(3)
    conv_col.markdown(t("home.conv"))
    relu_pool_col.markdown(t("home.relu_pool"))
    fc_col.markdown(t("home.fc_softmax"))
    st.latex(r"p_i = \frac{e^{z_i}}{\sum_{j} e^{z_j}}")
    st.markdown(t("home.optimizers"))


def _text(rule) -> str:
    """A table cell from the library: a message, or plain math that needs no translation."""
    return tm(rule) if isinstance(rule, Msg) else str(rule)


def _shape(shape: tuple[int, ...]) -> str:
    return "×".join(map(str, shape))


def show_size_table(arch: str = "lenet5", compare_with: str = "mlp") -> None:
    """The layer table of ``arch``: size rule, receptive field and parameter arithmetic per layer, and the
    total against ``compare_with`` (weight sharing in numbers)."""
    st.header(t("home.formula_header"))
    st.latex(r"W_{out} = \left\lfloor \frac{W - F + 2P}{S} \right\rfloor + 1")
    st.markdown(t("home.formula_text"))
    rows = summary.size_table(arch)
    table = pd.DataFrame([
        {t("home.col_layer"): r.name, t("home.col_type"): r.kind, t("home.col_input"): _shape(r.in_shape),
         t("home.col_output"): _shape(r.out_shape), t("home.col_formula"): _text(r.size_rule),
         t("home.col_rf"): _shape(r.receptive_field) if r.receptive_field else "—",
         t("home.col_params"): _text(r.parameter_rule) if r.parameter_rule else "0"}
        for r in rows])
    st.dataframe(table, hide_index=True, width="stretch")
    total = sum(r.parameters for r in rows)
    other = models.count_parameters(models.build(compare_with))
    st.markdown(t("home.rf_note"))
    st.markdown(t("home.params_total", arch=t(f"arch.{arch}.title"), total=total,
                  other=t(f"arch.{compare_with}.title"), other_total=other, ratio=other / total))


def show_data_and_models() -> None:
    st.header(t("home.data_header"))
    ds = embedded_data()
    st.markdown(t("home.data_text", total=len(ds.train_y) + len(ds.test_y), train=len(ds.train_y),
                  test=len(ds.test_y)))
    rows = []
    acc_col = t("home.col_test_accuracy")
    accuracies = []
    for info in shipped_checkpoints():
        if info.meta is None:
            rows.append({t("home.col_model"): info.name, t("home.col_architecture"): "?", acc_col: None,
                         t("home.col_note"): tm(info.problem) if info.problem else str(info.error)})
            continue
        if info.meta.test_acc is not None:
            accuracies.append(info.meta.test_acc)
        rows.append({t("home.col_model"): info.name, t("home.col_architecture"): t(f"arch.{info.meta.arch}.title"),
                     acc_col: info.meta.test_acc, t("home.col_epochs"): info.meta.epochs,
                     t("home.col_seed"): models.REGISTRY[info.meta.arch].seed})
    if not rows:
        st.info(t("home.no_checkpoints"))
        return
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch",
                 column_config={acc_col: st.column_config.NumberColumn(format="percent")})
    if accuracies:
        n = len(ds.test_y)
        worst = min(accuracies)                  # the widest standard error of the shown accuracies
        se = 100 * math.sqrt(worst * (1 - worst) / n)
        st.caption(t("home.acc_basis", n=n, se=se))


st.title(t("home.title"))
st.markdown(t("home.intro"))
show_pipeline()
show_size_table()
show_data_and_models()
