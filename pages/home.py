"""Home: the CNN pipeline, step by step, with LeNet-5's sizes worked out."""

import pandas as pd
import streamlit as st

from cnnviz import activations, models
from ui.common import embedded_data, shipped_checkpoints
from ui.i18n import t
from ui.sidebar import lecture_mode

st.title(t("home.title"))
st.markdown(t("home.intro"))

st.header(t("home.pipeline"))
st.graphviz_chart(t("home.pipeline_dot", size=18 if lecture_mode() else 14))

cols = st.columns(3)
cols[0].markdown(t("home.conv"))
cols[1].markdown(t("home.relu_pool"))
cols[2].markdown(t("home.fc_softmax"))
st.markdown(t("home.optimizers"))

st.header(t("home.formula_header"))
st.latex(r"W_{out} = \frac{W - F + 2P}{S} + 1")
st.markdown(t("home.formula_text"))
steps = activations.size_walkthrough(models.build("lenet5"))
fmt = lambda s: "×".join(map(str, s))  # noqa: E731
st.dataframe(
    pd.DataFrame(
        [{t("home.col_layer"): s.name, t("home.col_type"): s.kind, t("home.col_input"): fmt(s.in_shape),
          t("home.col_output"): fmt(s.out_shape), t("home.col_formula"): s.formula or t("home.size_unchanged")}
         for s in steps]
    ),
    hide_index=True, width="stretch",
)

st.header(t("home.data_header"))
ds = embedded_data()
st.markdown(t("home.data_text", total=len(ds.train_y) + len(ds.test_y), train=len(ds.train_y), test=len(ds.test_y)))
rows = []
acc_col = t("home.col_test_accuracy")
for info in shipped_checkpoints():
    if info.meta is None:
        rows.append({t("home.col_model"): info.name, t("home.col_architecture"): "?", acc_col: None,
                     t("home.col_note"): info.error})
        continue
    rows.append({t("home.col_model"): info.name, t("home.col_architecture"): t(f"arch.{info.meta.arch}.title"),
                 acc_col: info.meta.test_acc, t("home.col_epochs"): info.meta.epochs,
                 t("home.col_seed"): models.REGISTRY[info.meta.arch].seed})
if rows:
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch",
                 column_config={acc_col: st.column_config.NumberColumn(format="percent")})
else:
    st.info(t("home.no_checkpoints"))
