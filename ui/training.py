"""Streamlit glue for training jobs: the server-wide job manager, who owns which job, the run labels.

* One :class:`cnnviz.jobs.JobManager` per server, kept with ``st.cache_resource``.
* A browser tab is identified by an *owner* token kept only in ``st.session_state`` (it survives reruns
  and page switches).  It is never put in the URL: a shared link must not hand over control of a run
  (see it, stop it, save or download its weights).  A reloaded tab is a new session and a new owner;
  its earlier runs are stopped and cleaned up once no session of theirs is connected.
* Liveness: the manager stops the jobs of an owner that has not polled for a while, unless one of the
  owner's Streamlit sessions is still connected (for example the user is drawing on another page while
  the model trains).
"""

from __future__ import annotations

import os
import threading
import uuid

import pandas as pd
import streamlit as st

from cnnviz import data, figures, models
from cnnviz.evaluation import EvalReport, most_confused
from cnnviz.jobs import JobManager, JobState
from cnnviz.messages import MessageError, Msg
from cnnviz.runs import COMPARE_COLUMNS, AccuracyGap, compare_rows
from ui import compat
from ui.common import md_escape
from ui.i18n import lang, retitle, t, tm
from ui.sidebar import styled
from ui.training_choice import design_summary

OWNER_KEY = "cnnviz_owner"
_SESSIONS: dict[str, set[str]] = {}  # owner -> Streamlit session ids that used it
_LOCK = threading.Lock()
TRACE_NAMES = {"raw": "fig.raw", "smoothed": "fig.smoothed", "train (running, this epoch)": "fig.train_running",
               "train": "fig.train", "test": "fig.test"}   # chart legend entries → table keys
STATUS_ICON = {"queued": "⏳", "starting": "🚀", "running": "🏃", "stopping": "✋", "done": "✅",
               "stopped": "⏹️", "failed": "❌"}


def _owner_alive(owner: str) -> bool | None:
    """Whether any Streamlit session of ``owner`` is still connected (None: cannot tell)."""
    try:
        with _LOCK:
            sessions = list(_SESSIONS.get(owner, ()))
        states = {s: compat.is_session_active(s) for s in sessions}
        if any(v is None for v in states.values()):
            return None
        alive = {s for s, active in states.items() if active}
        with _LOCK:
            if alive:
                _SESSIONS[owner] = alive
            else:
                _SESSIONS.pop(owner, None)
        return bool(alive)
    except Exception:
        return None


@st.cache_resource(show_spinner=False)
def job_manager() -> JobManager:
    """The server-wide job manager (limits: ``CNNVIZ_MAX_JOBS``, ``CNNVIZ_MAX_RUNS_PER_OWNER``)."""
    return JobManager(liveness=_owner_alive, prewarm=os.environ.get("CNNVIZ_PREWARM", "1") != "0")


def owner_id() -> str:
    """This browser tab's owner token (kept in the session only); registers the session, sends a heartbeat."""
    owner = st.session_state.get(OWNER_KEY)
    if not owner:
        owner = st.session_state[OWNER_KEY] = uuid.uuid4().hex
    if "owner" in st.query_params:  # a link from an older version: the token never travels in URLs
        del st.query_params["owner"]
    sid = compat.session_id()
    if sid is not None:
        with _LOCK:
            _SESSIONS.setdefault(owner, set()).add(sid)
    job_manager().heartbeat(owner)
    return owner


def run_label(job: JobState, number: int) -> str:
    """``#2 LeNet-5``: the run's number on this page and its architecture, in the reader's language."""
    c = job.config
    if c.arch == models.CUSTOM:   # designs differ by their layers: "#2 Your design (sigmoid, 8 layers)"
        return f"#{number} {t('arch.custom.title')} ({design_summary(c.spec)})"
    return f"#{number} {t(f'arch.{c.arch}.title')}"


def reason_text(reason: Msg | MessageError | str | None) -> str:
    """A stop or failure reason (or any library message) in the reader's language."""
    if reason is None:
        return ""
    if isinstance(reason, Msg | MessageError):
        return tm(reason)
    return str(reason)


def class_label(label: Msg | str) -> str:
    """A class name from :func:`cnnviz.data.class_labels`: translated if bundled, else plain text."""
    return tm(label) if isinstance(label, Msg) else str(label)


def col_names(df: pd.DataFrame, prefix: str = "col.") -> pd.DataFrame:
    """The table's English column names in the reader's language."""
    return df if lang() == "en" else df.rename(columns={c: t(prefix + c) for c in df.columns})


def mark_gap(fig, gap: AccuracyGap) -> None:
    """The accuracy chart's overfitting mark: a bracket from the test to the training accuracy at the latest
    evaluation, labelled with the gap in percentage points."""
    fig.add_shape(type="line", x0=gap.step, x1=gap.step, y0=gap.test_acc, y1=gap.train_acc,
                  line=dict(color="#7a3b9c", width=3))
    fig.add_annotation(x=gap.step, y=(gap.train_acc + gap.test_acc) / 2, text=t("fig.gap", gap=gap.points),
                       showarrow=False, xanchor="right", xshift=-6, font=dict(color="#7a3b9c", size=13),
                       bgcolor="rgba(255,255,255,0.8)")


def gap_caption(gap: AccuracyGap) -> str:
    """The numbers of the gap, and what they mean."""
    return t("train.gap_caption", epoch=gap.epoch, train=gap.train_acc, test=gap.test_acc, gap=gap.points) + " " + (
        t("train.gap_overfit") if gap.overfitting else t("train.gap_ok"))


def show_mistakes(job: JobState) -> None:
    res = job.result
    names = [class_label(c) for c in data.class_labels(job.dataset, res.classes)]
    report = EvalReport.from_predictions(res.labels, res.preds, res.confidence, names)
    cm_col, per_class_col = st.columns([3, 2])
    cm_col.plotly_chart(styled(retitle(figures.confusion_matrix_figure(report.cm, names, title=t("fig.cm_title")),
                                       xaxis_title=t("fig.predicted_class"), yaxis_title=t("fig.true_class"))),
                        key=f"cm_{job.id}")
    per_class_col.plotly_chart(styled(retitle(figures.per_class_accuracy_figure(
        report.per_class, names, title=t("fig.per_class_title")),
        xaxis_title=t("fig.accuracy"), yaxis_title=t("fig.true_class"))), key=f"pc_{job.id}")
    confused = most_confused(report.cm)
    if confused:
        st.markdown(t("train.confused", pairs="; ".join(t("train.confused_pair", t=md_escape(names[ti]),
                                                          p=md_escape(names[pi]), n=n) for ti, pi, n in confused)))
    st.markdown(t("train.wrong", wrong=int((report.labels != report.preds).sum()), total=len(report.labels)))
    shown = res.wrong_index[:32]
    if not len(shown):   # nothing misclassified: no gallery (its empty-state text is English)
        return
    gallery = figures.misclassified_gallery_figure(res.wrong_images[:32], report.labels[shown], report.preds[shown],
                                                   report.confidence[shown], names)
    for ann, trace, i in zip(gallery.layout.annotations, gallery.data, shown):   # the titles in the reader's language
        ann.text = t("train.wrong_title", t=names[report.labels[i]], p=names[report.preds[i]]) + (
            f" ({report.confidence[i]:.0%})")
        trace.hovertemplate = ann.text + "<extra></extra>"
    st.plotly_chart(gallery, key=f"wrong_{job.id}")


def compare_runs(finished: list[tuple[int, JobState]]) -> None:
    st.subheader(t("train.compare_header"))
    labels = {n: run_label(j, n) for n, j in finished}
    new = [n for n in labels if n not in st.session_state.get("train_compare_seen", ())]
    st.session_state["train_compare_seen"] = list(labels)
    if "train_compare" in st.session_state:   # a run that finished since: compared too (the last six in all)
        kept = [n for n in st.session_state["train_compare"] if n in labels]
        st.session_state["train_compare"] = (kept + new)[-6:]
    pick = st.multiselect(t("train.compare_pick"), list(labels), format_func=labels.get, key="train_compare",
                          default=None if "train_compare" in st.session_state else list(labels)[-6:])
    chosen = [(n, j) for n, j in finished if n in pick]
    if not chosen:
        return
    runs = [dict(name=t("train.compare_name", label=labels[n], optimizer=j.config.optimizer, lr=j.config.lr),
                 steps=j.steps, losses=j.losses, eval_steps=j.eval_steps, test_acc=j.test_acc,
                 total_steps=j.total_steps) for n, j in chosen]
    loss_col, acc_col = st.columns(2)
    loss_col.plotly_chart(styled(retitle(figures.compare_runs_figure(runs, "loss"), title=t("fig.cmp_loss_title"),
                                         xaxis_title=t("fig.fraction"), yaxis_title=t("fig.cmp_loss"))), key="cmp_loss")
    acc_col.plotly_chart(styled(retitle(figures.compare_runs_figure(runs, "test_acc"), title=t("fig.cmp_acc_title"),
                                        xaxis_title=t("fig.fraction"), yaxis_title=t("fig.accuracy"))), key="cmp_acc")
    table = pd.DataFrame(compare_rows([(labels[n], j) for n, j in chosen]), columns=list(COMPARE_COLUMNS))
    table["status"] = [t(f"status.{s}") for s in table["status"]]
    st.dataframe(col_names(table), hide_index=True, width="stretch",
                 column_config={t("col.test accuracy"): st.column_config.NumberColumn(format="percent"),
                                t("col.parameters"): st.column_config.NumberColumn(format="localized")})
