"""Cached resources and small widgets shared by the pages."""

from __future__ import annotations

import streamlit as st

from cnnviz import checkpoints, data


@st.cache_resource(show_spinner="Loading the embedded MNIST digits…")
def embedded_data() -> data.DataSplit:
    """The embedded 8,000/2,000 split, loaded once per server (read-only: never mutate it)."""
    return data.load_embedded()


@st.cache_resource(show_spinner=False)
def load_model(path: str, mtime: float):
    """A checkpoint's model, cached per file version. Callers must not modify it."""
    model, meta = checkpoints.load_checkpoint(path)
    for p in model.parameters():
        p.requires_grad_(False)
    return model, meta


def shipped_checkpoints() -> list[checkpoints.CheckpointInfo]:
    return checkpoints.list_checkpoints(checkpoints.SHIPPED_DIR)
