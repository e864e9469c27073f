"""Home: the CNN pipeline, step by step, with LeNet-5's sizes worked out."""

import pandas as pd
import streamlit as st

from cnnviz import activations, models
from ui.common import embedded_data, shipped_checkpoints

st.title("🧠 cnnviz: see inside a convolutional neural network")
st.markdown(
    "Draw a digit and watch every layer react, train real PyTorch networks on real MNIST digits, "
    "and try convolution kernels and pooling on your own images. Pick a page in the sidebar."
)

st.header("The pipeline")
st.graphviz_chart(
    """
    digraph {
      rankdir=LR; node [shape=box, style="rounded,filled", fillcolor="#eef3fc", fontname="Helvetica"];
      input [label="Input\\n1×28×28"]; conv [label="Convolution\\nsliding weighted sums"];
      relu [label="ReLU\\nmax(0, x)"]; pool [label="Pooling\\nmax / average"];
      flat [label="Flatten\\nmaps → vector"]; fc [label="Fully connected\\nW·x + b"];
      soft [label="Softmax\\n10 probabilities"];
      input -> conv -> relu -> pool -> flat -> fc -> soft;
      pool -> conv [label=" repeat", style=dashed];
    }
    """
)

cols = st.columns(3)
cols[0].markdown(
    "**Convolution.** A small grid of weights, the *kernel*, slides over the image. At each position "
    "it multiplies the pixels under it by its weights and adds them up: one number of the output "
    "*feature map*. Each kernel detects one pattern (an edge, a curve) wherever it appears."
)
cols[1].markdown(
    "**ReLU and pooling.** ReLU keeps positive responses and sets negative ones to zero: "
    "`ReLU(x) = max(0, x)`. Pooling summarizes each small window by its maximum or average, "
    "halving the size with a 2×2 window and stride 2, so later layers see a wider area."
)
cols[2].markdown(
    "**Flatten, fully connected, softmax.** The last maps are flattened into one vector; fully "
    "connected layers combine all of it into 10 scores (*logits*), and softmax turns them into "
    "probabilities that sum to 1. Training lowers the *cross-entropy* loss, −log p(true class)."
)

st.header("The output-size formula")
st.latex(r"W_{out} = \frac{W - F + 2P}{S} + 1")
st.markdown(
    "*W* is the input width, *F* the kernel (filter) size, *P* the padding and *S* the stride "
    "(rounded down when it does not divide). Here it is for every layer of **LeNet-5**, computed by "
    "running a real 1×28×28 input through the model and checked against PyTorch's shapes:"
)
steps = activations.size_walkthrough(models.build("lenet5"))
fmt = lambda s: "×".join(map(str, s))  # noqa: E731
st.dataframe(
    pd.DataFrame(
        [{"layer": s.name, "type": s.kind, "input": fmt(s.in_shape), "output": fmt(s.out_shape),
          "formula": s.formula or "size unchanged"} for s in steps]
    ),
    hide_index=True, width="stretch",
)

st.header("Data and shipped models")
ds = embedded_data()
st.markdown(
    f"Out of the box cnnviz uses **{len(ds.train_y) + len(ds.test_y):,} real MNIST digits** embedded in "
    f"the app ({len(ds.train_y):,} for training, {len(ds.test_y):,} for testing), so it works offline. "
    "Full MNIST and Fashion-MNIST are used when they are available."
)
rows = []
for info in shipped_checkpoints():
    if info.meta is None:
        rows.append({"model": info.name, "architecture": "?", "test accuracy": None, "note": info.error})
        continue
    spec = models.REGISTRY[info.meta.arch]
    rows.append({"model": info.name, "architecture": spec.title,
                 "test accuracy": info.meta.test_acc, "epochs": info.meta.epochs,
                 "seed": spec.seed})
if rows:
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch",
                 column_config={"test accuracy": st.column_config.NumberColumn(format="percent")})
else:
    st.info("No checkpoints found in checkpoints/. Train one with `python -m cnnviz.train --arch lenet5`.")
