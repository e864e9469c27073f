"""The "Design your own" section: a network written one layer per line, checked on every edit.

``design_section(num_classes)`` shows the editor (with examples and a JSON upload), the layer table from
:func:`cnnviz.spec.check_spec` (each layer's output shape and parameters, and the totals) or the message
naming the first layer that cannot work, and a download of the spec as JSON.  It returns the spec when
it is valid, else ``None``; the caller trains ``cnnviz.models.from_spec(spec, num_classes)``.
"""

from __future__ import annotations

import streamlit as st

from cnnviz import spec as S
from ui.i18n import t, tm

DEFAULT_EXAMPLE = "lenet5_like"


@st.cache_data(max_entries=64, show_spinner=False)
def _checked(text: str, num_classes: int) -> tuple[list[dict], S.SpecCheck]:
    """The parsed spec and its check (raises :class:`cnnviz.spec.SpecError`, which is not cached)."""
    spec = S.parse_text(text)
    return spec, S.check_spec(spec, num_classes)


def _use_example(key: str) -> None:
    name = st.session_state.get(f"{key}_example")
    if name in S.EXAMPLES:
        st.session_state[f"{key}_text"] = S.spec_to_text(S.EXAMPLES[name])
        st.session_state[f"{key}_upload_error"] = None


def _use_upload(key: str) -> None:
    upload = st.session_state.get(f"{key}_upload")
    if upload is None:
        return
    try:
        text = S.spec_to_text(S.parse_json(upload.getvalue()))
    except S.SpecError as err:
        st.session_state[f"{key}_upload_error"] = err.message
        return
    st.session_state[f"{key}_text"] = text
    st.session_state[f"{key}_upload_error"] = None


def _clear_upload_error(key: str) -> None:
    st.session_state[f"{key}_upload_error"] = None


def _layer_table(check: S.SpecCheck) -> list[dict]:
    return [{t("design.col_number"): row.number,
             t("design.col_layer"): row.text + (f"  ({t('design.added')})" if row.added else ""),
             t("design.col_type"): row.type,
             t("design.col_shape"): "×".join(str(s) for s in row.output_shape),
             t("design.col_params"): row.params} for row in check.rows]


def design_section(num_classes: int = 10, key: str = "design") -> list[dict] | None:
    """The editor, its live check and the spec download; the valid spec, or ``None``."""
    text_key = f"{key}_text"
    if text_key not in st.session_state:
        st.session_state[text_key] = S.spec_to_text(S.EXAMPLES[DEFAULT_EXAMPLE])
    example_col, upload_col = st.columns(2)
    example_col.selectbox(t("design.example"), list(S.EXAMPLES), index=None, key=f"{key}_example",
                          format_func=lambda name: t(f"design.example.{name}"), on_change=_use_example,
                          args=(key,), placeholder=t("design.example_placeholder"))
    upload_col.file_uploader(t("design.upload"), type=["json"], key=f"{key}_upload", on_change=_use_upload,
                             args=(key,))
    upload_error = st.session_state.get(f"{key}_upload_error")
    if upload_error is not None:
        st.error(tm(upload_error))
    st.text_area(t("design.editor"), key=text_key, height=260, help=t("design.syntax"),
                 on_change=_clear_upload_error, args=(key,))
    st.caption(t("design.syntax_short", kinds=", ".join(S.KINDS), layers=S.MAX_LAYERS, params=S.MAX_PARAMS,
                 channels=S.MAX_CHANNELS))
    try:
        spec, check = _checked(st.session_state[text_key], num_classes)
    except S.SpecError as err:
        st.error(tm(err))
        return None
    st.dataframe(_layer_table(check), hide_index=True)
    st.markdown(t("design.totals", params=check.total_params, mult_adds=check.mult_adds,
                  shape="×".join(str(s) for s in check.output_shape), classes=num_classes))
    st.download_button(t("design.download"), data=S.to_json(spec), file_name="cnnviz-network.json",
                       mime="application/json", key=f"{key}_download", on_click="ignore")
    return spec
