"""Saving a finished run from the training page: the Save form, its callback and the download."""

from __future__ import annotations

import streamlit as st

from cnnviz import models
from cnnviz.checkpoints import CheckpointError, CheckpointMeta, SaveError, safe_name
from cnnviz.jobs import JobState
from cnnviz.messages import msg
from cnnviz.saving import save_job_checkpoint, save_model
from ui.common import md_escape, user_checkpoint_dir
from ui.i18n import t
from ui.model_io import DESIGNED, import_section
from ui.training import job_manager, reason_text

SAVE_RESULT_KEY = "train_save_result"   # job id -> the outcome of its last Save click (set by a callback)


def save_clicked(job_id: str, owner: str) -> None:
    """The Save button's callback: it runs before the page script, so no rerun can lose the click."""
    job = job_manager().get(job_id)
    name = st.session_state.get(f"name_{job_id}", "")
    try:
        if job is None:   # cleaned up meanwhile
            raise SaveError("train.save.nothing", why=msg("train.save.no_weights"))
        path = save_job_checkpoint(job, user_checkpoint_dir(), name, owner,
                                   overwrite=bool(st.session_state.get(f"overwrite_{job_id}")))
    except CheckpointError as exc:
        st.session_state.setdefault(SAVE_RESULT_KEY, {})[job_id] = ("error", exc)
    else:
        st.session_state.setdefault(SAVE_RESULT_KEY, {})[job_id] = ("saved", path.stem)


def save_section(job: JobState, owner: str, default_name: str) -> None:
    st.markdown(t("train.save_intro"))
    res = job.result
    if res.checkpoint is None:
        st.info(t("train.nothing_to_save", why=reason_text(res.checkpoint_error) or t("train.no_weights")))
        return
    with st.form(f"save_{job.id}"):
        name_col, overwrite_col = st.columns([3, 1], vertical_alignment="bottom")
        name_col.text_input(t("train.ckpt_name"), value=default_name, key=f"name_{job.id}")
        overwrite_col.checkbox(t("train.overwrite"), key=f"overwrite_{job.id}", help=t("train.overwrite_help"))
        st.form_submit_button(t("train.save"), on_click=save_clicked, args=(job.id, owner))
    outcome = st.session_state.get(SAVE_RESULT_KEY, {}).get(job.id)
    if outcome and outcome[0] == "saved":
        st.success(t("train.saved_as", name=md_escape(outcome[1])))
    elif outcome:
        st.error(t("train.save_error", error=reason_text(outcome[1])))
    try:
        blob = res.checkpoint.read_bytes()
    except OSError:
        blob = None
    if blob:
        try:
            file_name = safe_name(default_name)
        except CheckpointError:
            file_name = job.config.arch
        st.download_button(t("train.download"), blob, file_name=f"{file_name}.safetensors",
                           mime="application/octet-stream", on_click="ignore", key=f"dl_{job.id}")


def import_weights_section(owner: str, design: list | None) -> None:
    """Weights trained elsewhere (a registry architecture, or the network designed above), checked, and saved
    as one of this user's checkpoints: then every page opens them like a trained run."""
    with st.expander(t("train.import_header")):
        st.caption(t("train.import_intro"))
        model = import_section(spec=design, key="train_import")
        if model is None:
            return
        target = st.session_state.get("train_import_target")
        arch = models.CUSTOM if target == DESIGNED else str(target)
        meta = CheckpointMeta(arch=arch, spec=design if arch == models.CUSTOM else None,
                              note="imported on the training page")
        with st.form("train_import_save"):
            name = st.text_input(t("train.ckpt_name"), value=f"imported-{arch}")
            saved = st.form_submit_button(t("train.save"))
        if saved:
            try:
                path = save_model(model, meta, user_checkpoint_dir(), name, owner)
            except CheckpointError as exc:
                st.error(t("train.save_error", error=reason_text(exc)))
            else:
                st.success(t("train.saved_as", name=md_escape(path.stem)))
