"""Models in and out: ONNX and state_dict downloads, and an upload of weights for an architecture or a spec.

``export_buttons(model, name)`` offers the model as ONNX (made only when the button is clicked: the export
takes seconds) and as a plain PyTorch state_dict.  ``import_section(...)`` reads an uploaded
``.safetensors`` / ``.pt`` / ``.pth`` file with :func:`cnnviz.importing.import_weights` and returns the
loaded model, or ``None``.
"""

from __future__ import annotations

import functools

import streamlit as st
from torch import nn

from cnnviz import checkpoints, export, importing, models
from cnnviz.messages import MessageError
from ui.common import md_escape
from ui.i18n import t, tm

DESIGNED = "__designed__"


def _file_stem(name: str) -> str:
    try:
        return checkpoints.safe_name(name)
    except (checkpoints.CheckpointError, ValueError):
        return "model"


def export_buttons(model: nn.Module, name: str, key: str = "export") -> None:
    """Two downloads for ``model``: ONNX (input ``image``, output ``logits``) and a state_dict (``.pt``)."""
    stem = _file_stem(name)
    onnx_col, state_col = st.columns(2)
    onnx_col.download_button(t("modelio.onnx"), data=functools.partial(export.to_onnx, model),
                             file_name=f"{stem}.onnx", mime="application/octet-stream", key=f"{key}_onnx",
                             on_click="ignore")
    state_col.download_button(t("modelio.state_dict"), data=functools.partial(export.to_state_dict_bytes, model),
                              file_name=f"{stem}.pt", mime="application/octet-stream", key=f"{key}_state",
                              on_click="ignore")
    st.caption(t("modelio.netron", input=export.INPUT_NAME, output=export.OUTPUT_NAME))


def _import(blob: bytes, filename: str, target: str, spec: list | None,
            num_classes: int) -> importing.ImportedWeights:
    if target == DESIGNED:
        return importing.import_weights(blob, filename, spec=spec, num_classes=num_classes)
    return importing.import_weights(blob, filename, arch=target, num_classes=num_classes)


def import_section(spec: list | None = None, num_classes: int = 10, key: str = "import") -> nn.Module | None:
    """Choose the target (a registry architecture, or the designed network when ``spec`` is given), upload
    weights, see what was checked; returns the model with the weights (eval mode) or ``None``."""
    targets = ([DESIGNED] if spec is not None else []) + models.names()
    target = st.selectbox(t("modelio.target"), targets, key=f"{key}_target",
                          format_func=lambda a: t("modelio.target_designed") if a == DESIGNED
                          else models.REGISTRY[a].title)
    upload = st.file_uploader(t("modelio.upload"), type=["safetensors", "pt", "pth"], key=f"{key}_file",
                              help=t("modelio.upload_help", limit=importing.MAX_BYTES // 2 ** 20))
    if upload is None:
        return None
    try:
        result = _import(upload.getvalue(), upload.name, target, spec, num_classes)
    except importing.WeightsImportError as err:
        st.error(tm(err))
        if err.shapes:
            st.dataframe([{t("modelio.col_name"): name, t("modelio.col_expected"): "×".join(map(str, want)),
                           t("modelio.col_got"): "×".join(map(str, got))} for name, want, got in err.shapes],
                         hide_index=True)
        return None
    except MessageError as err:   # a bad spec as the target
        st.error(tm(err))
        return None
    st.success(t("modelio.imported", name=md_escape(upload.name), params=models.count_parameters(result.model)))
    if result.matched_by_order:
        st.info(t("modelio.by_order"))
    return result.model
