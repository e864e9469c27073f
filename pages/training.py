"""Training: pick an architecture, train it in a worker process with live charts, evaluate, save, compare."""

import os

import pandas as pd
import streamlit as st

from cnnviz import data, figures, models
from cnnviz.checkpoints import CheckpointError, safe_name
from cnnviz.evaluation import EvalReport, most_confused
from cnnviz.jobs import compare_rows, format_seconds, plan_logging, save_job_checkpoint
from cnnviz.summary import summary_rows
from cnnviz.training import MAX_BATCH, MAX_EPOCHS, OPTIMIZERS, TrainConfig
from ui.common import user_checkpoint_dir
from ui.i18n import lang, retitle, t, tf
from ui.sidebar import lecture_mode, styled
from ui.training import job_manager, owner_id


def _env_limit(name: str) -> int:
    try:
        return max(0, int(os.environ.get(name, "0")))
    except ValueError:
        return 0


TRAIN_LIMIT = _env_limit("CNNVIZ_TRAIN_LIMIT")  # tests and quick demos cap the data with these
TEST_LIMIT = _env_limit("CNNVIZ_TEST_LIMIT")
SIZES = {"embedded": (8000, 2000), "mnist": (60000, 10000), "fashion-mnist": (60000, 10000)}
STATUS_ICON = {"queued": "⏳", "starting": "🚀", "running": "🏃", "stopping": "✋", "done": "✅",
               "stopped": "⏹️", "failed": "❌"}
TRACE_NAMES = {"raw": "fig.raw", "smoothed": "fig.smoothed", "train (running, this epoch)": "fig.train_running",
               "train": "fig.train", "test": "fig.test"}   # chart legend entries → table keys


@st.cache_data(show_spinner=False)
def layer_table(arch: str) -> tuple[pd.DataFrame, int]:
    rows, total = summary_rows(arch)
    return pd.DataFrame([r.as_dict() for r in rows]), total


def col_names(df: pd.DataFrame, prefix: str = "col.") -> pd.DataFrame:
    """The table's English column names in the reader's language."""
    return df if lang() == "en" else df.rename(columns={c: t(prefix + c) for c in df.columns})


def run_label_t(job, number: int) -> str:
    return f"#{number} {t(f'arch.{job.config.arch}.title')}"


mgr = job_manager()
owner = owner_id()

lecture = lecture_mode()    # lecture mode: bigger charts; the recommended batch size and seed are used
st.title(t("train.title"))
st.markdown(t("train.intro"))
st.markdown(t("train.loss_explainer"))

# ----------------------------------------------------------------------------- 1. architecture
st.subheader(t("train.arch_header"))
arch = st.selectbox(t("train.arch"), models.names(), index=models.names().index("lenet5"),
                    format_func=lambda a: t(f"arch.{a}.title"), key="train_arch")
spec = models.REGISTRY[arch]
table, n_params = layer_table(arch)
left, right = st.columns([2, 3], gap="large")
with left:
    st.markdown(t(f"arch.{arch}.desc"))
    st.caption(t("train.recommended", seed=spec.seed, optimizer=t(f"optimizer.{spec.optimizer}"), lr=spec.lr,
                 batch=spec.batch_size, epochs=spec.epochs))
    st.metric(t("train.parameters"), f"{n_params:,}")
with right:
    st.dataframe(col_names(table, "train.col_"), hide_index=True, width="stretch",
                 height=min(38 + 35 * len(table), 320),
                 column_config={t("train.col_parameters"): st.column_config.NumberColumn(format="localized")})
    st.caption(t("train.layer_caption"))

# ----------------------------------------------------------------------------- 2. settings
st.subheader(t("train.settings_header"))
available = data.available_datasets()


def dataset_label(name: str) -> str:
    label = t(f"dataset.{name}")
    if not available.get(name):
        label += t("train.ds_mnist_missing") if name == "mnist" else t("train.ds_missing")
    return label


with st.form("train_form"):
    c1, c2, c3, c4 = st.columns(4)
    dataset = c1.selectbox(t("train.dataset"), list(data.DATASETS), format_func=dataset_label, key="train_dataset")
    optimizer = c2.selectbox(t("train.optimizer"), list(OPTIMIZERS), index=list(OPTIMIZERS).index(spec.optimizer),
                             format_func=tf("optimizer"), key=f"train_opt_{arch}")
    lr_text = c3.text_input(t("train.lr"), value=f"{spec.lr:g}", key=f"train_lr_{arch}", help=t("train.lr_help"))
    epochs = c4.number_input(t("train.epochs"), 1, MAX_EPOCHS, spec.epochs, key=f"train_epochs_{arch}")
    c5, c6, c7, c8 = st.columns(4)
    limit = c5.number_input(t("train.limit"), 0, 60000, TRAIN_LIMIT, step=500, key="train_limit",
                            help=t("train.limit_help"))
    c6.markdown("&nbsp;")
    augment = c6.checkbox(t("train.augment"), key="train_augment", help=t("train.augment_help"))
    if lecture:   # fewer controls: the architecture's recommended batch size, seed 0
        batch_size, seed = spec.batch_size, 0
        st.caption(t("train.lecture_note"))
    else:
        batch_size = c7.number_input(t("train.batch"), 1, MAX_BATCH, spec.batch_size, key=f"train_bs_{arch}")
        seed = c8.number_input(t("train.seed"), 0, 2**31 - 1, 0, key="train_seed")
    submitted = st.form_submit_button(t("train.start"), type="primary")

if submitted:
    try:
        lr = float(str(lr_text).strip())
    except ValueError:
        st.error(t("train.bad_lr", value=repr(lr_text)))
    else:
        if dataset == "fashion-mnist" and not available.get("fashion-mnist"):
            st.error(t("train.no_fashion"))
        else:
            n_train, n_test = SIZES.get(dataset if available.get(dataset) else "embedded", SIZES["embedded"])
            n_train = min(n_train, int(limit)) if limit else n_train
            n_test = min(n_test, TEST_LIMIT) if TEST_LIMIT else n_test
            log_every, eval_every = plan_logging(n_train, n_test, int(batch_size), int(epochs))
            try:
                config = TrainConfig.for_arch(
                    arch, dataset=dataset, optimizer=optimizer, lr=lr, batch_size=int(batch_size),
                    epochs=int(epochs), seed=int(seed), augment=bool(augment), log_every=log_every,
                    eval_every=eval_every, train_limit=int(limit) or None, test_limit=TEST_LIMIT or None)
                job_id = mgr.submit(config, owner)
            except (ValueError, KeyError) as exc:
                st.error(t("train.cannot_start", error=str(exc).strip(chr(34) + chr(39))))
            else:
                st.session_state["train_selected"] = job_id
                st.toast(t("train.started", title=t(f"arch.{arch}.title")))

# ----------------------------------------------------------------------------- 3. live view
jobs = mgr.jobs_for(owner)
numbers = {j.id: i for i, j in enumerate(jobs, 1)}
st.subheader(t("train.live_header"))
if not jobs:
    st.info(t("train.no_runs"))
    st.stop()

by_id = {j.id: j for j in jobs}
# The options' labels carry each run's status, and Streamlit keeps a selectbox's choice in the browser
# as its label: writing the value back on every run sends the current label (else the box keeps
# showing the status of the moment the run was picked).
_picked = st.session_state.get("train_selected")
st.session_state["train_selected"] = _picked if _picked in by_id else jobs[-1].id
selected = st.selectbox(
    t("train.run"), [j.id for j in reversed(jobs)], key="train_selected",
    format_func=lambda i: t("train.run_option", icon=STATUS_ICON.get(by_id[i].status, ""),
                            label=run_label_t(by_id[i], numbers[i]), optimizer=by_id[i].config.optimizer,
                            lr=by_id[i].config.lr, status=t(f"status.{by_id[i].status}")))
any_active = any(j.active for j in jobs)


@st.fragment(run_every=1.0 if any_active else None)
def live_view(job_id: str) -> None:
    mgr.heartbeat(owner)
    job = mgr.get(job_id)
    if job is None:
        st.warning(t("train.gone"))
        return
    seen = st.session_state.setdefault("train_seen_active", set())
    if job.active:
        seen.add(job_id)
    elif job_id in seen:  # it just finished: rerun the page to show the evaluation and stop polling
        seen.discard(job_id)
        # ... unless this page run already started with it finished (then it shows the evaluation below,
        # and a rerun would drop what the user just did in this run, e.g. a click on "Save checkpoint")
        snapshot = by_id.get(job_id)
        if snapshot is None or snapshot.active:
            st.rerun(scope="app")
    c = job.config
    head, button = st.columns([5, 1], vertical_alignment="center")
    ds_name = job.dataset or c.dataset
    head.markdown(t("train.run_head", label=run_label_t(job, numbers.get(job_id, 0)),
                    dataset=t(f"dataset.{ds_name}") if ds_name in data.DATASETS else "",
                    optimizer=t(f"optimizer.{c.optimizer}"), lr=c.lr, batch=c.batch_size, epochs=c.epochs,
                    augment=t("train.run_head_augment") if c.augment else "", seed=c.seed))
    if job.active and button.button(t("train.stop"), key=f"stop_{job_id}", disabled=job.status == "stopping",
                                    width="stretch"):
        mgr.stop(job_id)
        job = mgr.get(job_id)
    if job.status == "queued":
        st.info(t("train.queued", position=job.queue_position, max_jobs=mgr.max_jobs,
                  running=mgr.running_count()))
    elif job.status == "starting":
        st.info(t("train.starting"))
    if job.status in ("running", "stopping") or job.steps:
        text = t("train.progress", epoch=max(job.epoch, 1), epochs=c.epochs, step=job.step, total=job.total_steps,
                 speed=job.samples_per_s or 0, elapsed=format_seconds(job.elapsed))
        if job.active:
            text += t("train.eta", eta=format_seconds(job.eta) if job.steps else "…")
        st.progress(job.progress, text=text)
    if job.status == "stopping":
        st.caption(t("train.stopping"))
    if job.data_note:
        st.caption(t("train.data_note", note=job.data_note, n_train=job.n_train, n_test=job.n_test,
                     params=job.params, device=job.device))
    g1, g2 = st.columns(2)
    g1.plotly_chart(styled(retitle(figures.loss_curve_figure(job.steps, job.losses, title=t("fig.loss_title")),
                                   names=TRACE_NAMES, xaxis_title=t("fig.step"), yaxis_title=t("fig.loss"))),
                    key=f"loss_{job_id}")
    g2.plotly_chart(styled(retitle(figures.accuracy_curve_figure(
        job.eval_steps, job.train_acc, job.test_acc, job.steps, job.running_acc, title=t("fig.acc_title")),
        names=TRACE_NAMES, xaxis_title=t("fig.step"), yaxis_title=t("fig.accuracy"))), key=f"acc_{job_id}")


live_view(selected)

# ----------------------------------------------------------------------------- 4. evaluation
job = mgr.get(selected)
if job is not None and job.is_finished:
    st.subheader(t("train.eval_header"))
    acc = job.final_test_acc
    acc_text = f"{acc:.2%}" if acc is not None else "–"
    if job.status == "done":
        st.success(t("train.finished", epochs=len(job.epochs), time=format_seconds(job.train_seconds),
                     acc=acc_text, n_test=job.n_test or 0))
    elif job.status == "stopped":
        st.warning(t("train.stopped", reason=job.reason[:1].upper() + job.reason[1:], acc=acc_text))
    else:
        st.error(t("train.failed", reason=job.reason))
    m1, m2, m3, m4 = st.columns(4)
    m1.metric(t("train.test_accuracy"), acc_text)
    m2.metric(t("train.time"), format_seconds(job.train_seconds))
    m3.metric(t("train.epochs_done"), f"{len(job.epochs)}/{job.config.epochs}")
    m4.metric(t("train.parameters"), f"{job.params:,}" if job.params else "–")
    res = job.result
    if res is not None and len(res.labels):
        report = EvalReport.from_predictions(res.labels, res.preds, res.confidence, res.classes)
        e1, e2 = st.columns([3, 2])
        cm_fig = retitle(figures.confusion_matrix_figure(report.cm, report.classes, title=t("fig.cm_title")),
                         xaxis_title=t("fig.predicted_class"), yaxis_title=t("fig.true_class"))
        e1.plotly_chart(styled(cm_fig), key=f"cm_{selected}")
        pc_fig = retitle(figures.per_class_accuracy_figure(report.per_class, report.classes,
                                                           title=t("fig.per_class_title")),
                         xaxis_title=t("fig.accuracy"), yaxis_title=t("fig.true_class"))
        e2.plotly_chart(styled(pc_fig), key=f"pc_{selected}")
        confused = most_confused(report.cm)
        if confused:
            st.markdown(t("train.confused", pairs="; ".join(
                t("train.confused_pair", t=report.classes[ti], p=report.classes[pi], n=n) for ti, pi, n in confused)))
        n_wrong = int((report.labels != report.preds).sum())
        st.markdown(t("train.wrong", wrong=n_wrong, total=len(report.labels)))
        shown = res.wrong_images[:32]
        wrong_fig = figures.misclassified_gallery_figure(
            shown, report.labels[res.wrong_index[:32]], report.preds[res.wrong_index[:32]],
            report.confidence[res.wrong_index[:32]], report.classes)
        if lang() != "en":   # "true 3 → <b>5</b> (97%)": translate the words, keep the numbers
            for ann in wrong_fig.layout.annotations:
                if ann.text and ann.text.startswith("true "):
                    ann.text = ann.text.replace("true ", t("fig.true_class") + " ", 1)
        st.plotly_chart(wrong_fig, key=f"wrong_{selected}")

        st.markdown(t("train.save_intro"))
        default_name = f"{job.config.arch}-{job.dataset or job.config.dataset}-{(acc or 0) * 100:.1f}"
        if res.checkpoint is None:
            st.info(t("train.nothing_to_save", why=res.checkpoint_error or t("train.no_weights")))
        else:
            with st.form(f"save_{selected}"):
                s1, s2 = st.columns([3, 1], vertical_alignment="bottom")
                name = s1.text_input(t("train.ckpt_name"), value=default_name, key=f"name_{selected}")
                overwrite = s2.checkbox(t("train.overwrite"), key=f"overwrite_{selected}")
                if st.form_submit_button(t("train.save")):
                    try:
                        path = save_job_checkpoint(job, user_checkpoint_dir(), name, overwrite=overwrite)
                    except CheckpointError as exc:
                        st.error(t("train.save_error", error=exc))
                    else:
                        st.success(t("train.saved", name=path.stem, folder=path.parent))
            try:
                blob = res.checkpoint.read_bytes()
            except OSError:
                blob = None
            if blob:
                try:
                    fname = safe_name(default_name)
                except CheckpointError:
                    fname = job.config.arch
                st.download_button(t("train.download"), blob, file_name=f"{fname}.safetensors",
                                   mime="application/octet-stream", on_click="ignore", key=f"dl_{selected}")

# ----------------------------------------------------------------------------- 5. compare runs
# a fresh look at the runs: `jobs` was read at the top of this run, and one may have finished since
# (the evaluation above already shows it)
finished = [(numbers[j.id], j) for j in mgr.jobs_for(owner) if j.id in numbers and j.is_finished and j.steps]
if finished:
    st.subheader(t("train.compare_header"))
    pick = st.multiselect(t("train.compare_pick"), [n for n, _ in finished], default=[n for n, _ in finished][-6:],
                          format_func=lambda n: run_label_t(jobs[n - 1], n), key="train_compare")
    chosen = [(n, j) for n, j in finished if n in pick]
    if chosen:
        runs = [dict(name=t("train.compare_name", label=run_label_t(j, n), optimizer=j.config.optimizer,
                            lr=j.config.lr), steps=j.steps,
                     losses=j.losses, eval_steps=j.eval_steps, test_acc=j.test_acc, total_steps=j.total_steps)
                for n, j in chosen]
        k1, k2 = st.columns(2)
        k1.plotly_chart(styled(retitle(figures.compare_runs_figure(runs, "loss"), title=t("fig.cmp_loss_title"),
                                       xaxis_title=t("fig.fraction"), yaxis_title=t("fig.cmp_loss"))),
                        key="cmp_loss")
        k2.plotly_chart(styled(retitle(figures.compare_runs_figure(runs, "test_acc"), title=t("fig.cmp_acc_title"),
                                       xaxis_title=t("fig.fraction"), yaxis_title=t("fig.accuracy"))),
                        key="cmp_acc")
        rows = compare_rows(chosen)
        for r, (n, j) in zip(rows, chosen):
            r["run"], r["status"] = run_label_t(j, n), t(f"status.{r['status']}")
        st.dataframe(col_names(pd.DataFrame(rows)), hide_index=True, width="stretch",
                     column_config={t("col.test accuracy"): st.column_config.NumberColumn(format="percent"),
                                    t("col.parameters"): st.column_config.NumberColumn(format="localized")})
