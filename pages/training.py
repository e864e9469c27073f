"""Training: pick an architecture, train it in a worker process with live charts, evaluate, save, compare."""

import os

import pandas as pd
import streamlit as st

from cnnviz import data, figures, models
from cnnviz.checkpoints import CheckpointError, safe_name
from cnnviz.evaluation import EvalReport, most_confused
from cnnviz.jobs import compare_rows, format_seconds, plan_logging, run_label, save_job_checkpoint
from cnnviz.summary import summary_rows
from cnnviz.training import MAX_BATCH, MAX_EPOCHS, OPTIMIZERS, TrainConfig
from ui.common import user_checkpoint_dir
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


@st.cache_data(show_spinner=False)
def layer_table(arch: str) -> tuple[pd.DataFrame, int]:
    rows, total = summary_rows(arch)
    return pd.DataFrame([r.as_dict() for r in rows]), total


mgr = job_manager()
owner = owner_id()

st.title("🏋️ Train a network")
st.markdown(
    "Train any of the classic architectures on real digits and watch the loss fall and the accuracy "
    "rise. Training runs in its own process on the server: you can change settings, open other pages "
    "(draw digits on the feature-map page meanwhile) or reload the tab, and come back to it here."
)

# ----------------------------------------------------------------------------- 1. architecture
st.subheader("1 · Architecture")
arch = st.selectbox("Architecture", models.names(), index=models.names().index("lenet5"),
                    format_func=lambda a: models.REGISTRY[a].title, key="train_arch")
spec = models.REGISTRY[arch]
table, n_params = layer_table(arch)
left, right = st.columns([2, 3], gap="large")
with left:
    st.markdown(spec.description)
    st.caption(f"From seed {spec.seed}. Recommended settings: {OPTIMIZERS[spec.optimizer]}, learning rate "
               f"{spec.lr:g}, batch size {spec.batch_size}, {spec.epochs} epochs (the defaults below).")
    st.metric("Parameters", f"{n_params:,}")
with right:
    st.dataframe(table, hide_index=True, width="stretch", height=min(38 + 35 * len(table), 320),
                 column_config={"parameters": st.column_config.NumberColumn(format="localized")})
    st.caption("Layer table from torchinfo for one 1×28×28 input (output shapes leave out the batch).")

# ----------------------------------------------------------------------------- 2. settings
st.subheader("2 · Training settings")
available = data.available_datasets()


def dataset_label(name: str) -> str:
    label = data.DATASETS[name]
    if not available.get(name):
        label += " (not available here: uses the embedded digits)" if name == "mnist" else " (not installed)"
    return label


with st.form("train_form"):
    c1, c2, c3, c4 = st.columns(4)
    dataset = c1.selectbox("Dataset", list(data.DATASETS), format_func=dataset_label, key="train_dataset")
    optimizer = c2.selectbox("Optimizer", list(OPTIMIZERS), index=list(OPTIMIZERS).index(spec.optimizer),
                             format_func=OPTIMIZERS.get, key=f"train_opt_{arch}")
    lr_text = c3.text_input("Learning rate", value=f"{spec.lr:g}", key=f"train_lr_{arch}",
                            help="A positive number such as 0.001 or 1e-3. Try 1e6 to see divergence.")
    batch_size = c4.number_input("Batch size", 1, MAX_BATCH, spec.batch_size, key=f"train_bs_{arch}")
    c5, c6, c7, c8 = st.columns(4)
    epochs = c5.number_input("Epochs", 1, MAX_EPOCHS, spec.epochs, key=f"train_epochs_{arch}")
    limit = c6.number_input("Training examples (0 = all)", 0, 60000, TRAIN_LIMIT, step=500,
                            key="train_limit", help="Train on a random sample only: quicker, and shows "
                            "overfitting on small data.")
    seed = c7.number_input("Seed", 0, 2**31 - 1, 0, key="train_seed")
    c8.markdown("&nbsp;")
    augment = c8.checkbox("Augmentation", key="train_augment",
                          help="Random small rotations, shifts and zooms of every batch: more robust to "
                               "hand-drawn digits, a little slower to learn.")
    submitted = st.form_submit_button("▶ Start training", type="primary")

if submitted:
    try:
        lr = float(str(lr_text).strip())
    except ValueError:
        st.error(f"The learning rate must be a number such as 0.001 or 1e-3, not {lr_text!r}.")
    else:
        if dataset == "fashion-mnist" and not available.get("fashion-mnist"):
            st.error("Fashion-MNIST is not installed on this server (Debian package dataset-fashion-mnist).")
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
                st.error(f"Cannot start: {str(exc).strip(chr(34) + chr(39))}.")
            else:
                st.session_state["train_selected"] = job_id
                st.toast(f"Started {spec.title}")

# ----------------------------------------------------------------------------- 3. live view
jobs = mgr.jobs_for(owner)
numbers = {j.id: i for i, j in enumerate(jobs, 1)}
st.subheader("3 · Live view")
if not jobs:
    st.info("No runs yet. Choose the settings above and press **Start training**.")
    st.stop()

by_id = {j.id: j for j in jobs}
if st.session_state.get("train_selected") not in by_id:
    st.session_state["train_selected"] = jobs[-1].id
selected = st.selectbox(
    "Run", [j.id for j in reversed(jobs)], key="train_selected",
    format_func=lambda i: f"{STATUS_ICON.get(by_id[i].status, '')} {run_label(by_id[i], numbers[i])} · "
                          f"{by_id[i].config.optimizer} lr={by_id[i].config.lr:g} · {by_id[i].status}")
any_active = any(j.active for j in jobs)


@st.fragment(run_every=1.0 if any_active else None)
def live_view(job_id: str) -> None:
    mgr.heartbeat(owner)
    job = mgr.get(job_id)
    if job is None:
        st.warning("This run is no longer available (it was cleaned up).")
        return
    seen = st.session_state.setdefault("train_seen_active", set())
    if job.active:
        seen.add(job_id)
    elif job_id in seen:  # it just finished: rerun the page to show the evaluation and stop polling
        seen.discard(job_id)
        st.rerun(scope="app")
    c = job.config
    head, button = st.columns([5, 1], vertical_alignment="center")
    head.markdown(f"**{run_label(job, numbers.get(job_id, 0))}** · {data.DATASETS.get(job.dataset or c.dataset, '')}"
                  f" · {OPTIMIZERS[c.optimizer]}, lr {c.lr:g}, batch {c.batch_size}, {c.epochs} epoch(s)"
                  f"{', augmentation' if c.augment else ''}, seed {c.seed}")
    if job.active and button.button("⏹ Stop", key=f"stop_{job_id}", disabled=job.status == "stopping",
                                    width="stretch"):
        mgr.stop(job_id)
        job = mgr.get(job_id)
    if job.status == "queued":
        st.info(f"⏳ Waiting in the queue: position **{job.queue_position}**. This server trains at most "
                f"{mgr.max_jobs} model(s) at a time; {mgr.running_count()} running now.")
    elif job.status == "starting":
        st.info("🚀 Starting a worker process…")
    if job.status in ("running", "stopping") or job.steps:
        text = (f"Epoch {max(job.epoch, 1)}/{c.epochs} · step {job.step:,}/{job.total_steps:,} · "
                f"{job.samples_per_s or 0:,.0f} samples/s · elapsed {format_seconds(job.elapsed)}")
        if job.active:
            text += f" · ETA {format_seconds(job.eta) if job.steps else '…'}"
        st.progress(job.progress, text=text)
    if job.status == "stopping":
        st.caption("Stopping after the current step…")
    if job.data_note:
        st.caption(f"{job.data_note} Training on {job.n_train:,} examples, testing on {job.n_test:,}"
                   f" · {job.params:,} parameters · device: {job.device}.")
    g1, g2 = st.columns(2)
    g1.plotly_chart(figures.loss_curve_figure(job.steps, job.losses), key=f"loss_{job_id}")
    g2.plotly_chart(figures.accuracy_curve_figure(job.eval_steps, job.train_acc, job.test_acc, job.steps,
                                                  job.running_acc), key=f"acc_{job_id}")


live_view(selected)

# ----------------------------------------------------------------------------- 4. evaluation
job = mgr.get(selected)
if job is not None and job.is_finished:
    st.subheader("4 · Evaluation")
    acc = job.final_test_acc
    acc_text = f"{acc:.2%}" if acc is not None else "–"
    if job.status == "done":
        st.success(f"Finished {len(job.epochs)} epoch(s) in {format_seconds(job.train_seconds)}: "
                   f"test accuracy **{acc_text}** on {job.n_test or 0:,} test images.")
    elif job.status == "stopped":
        st.warning(f"⏹️ {job.reason[:1].upper() + job.reason[1:]}. The weights and the charts so far are "
                   f"kept (test accuracy {acc_text}).")
    else:
        st.error(f"❌ {job.reason}")
    m1, m2, m3, m4 = st.columns(4)
    m1.metric("Test accuracy", acc_text)
    m2.metric("Training time", format_seconds(job.train_seconds))
    m3.metric("Epochs completed", f"{len(job.epochs)}/{job.config.epochs}")
    m4.metric("Parameters", f"{job.params:,}" if job.params else "–")
    res = job.result
    if res is not None and len(res.labels):
        report = EvalReport.from_predictions(res.labels, res.preds, res.confidence, res.classes)
        e1, e2 = st.columns([3, 2])
        e1.plotly_chart(figures.confusion_matrix_figure(report.cm, report.classes), key=f"cm_{selected}")
        e2.plotly_chart(figures.per_class_accuracy_figure(report.per_class, report.classes),
                        key=f"pc_{selected}")
        confused = most_confused(report.cm)
        if confused:
            st.markdown("**Most often confused:** " + "; ".join(
                f"true {report.classes[t]} read as {report.classes[p]} ({n}×)" for t, p, n in confused))
        n_wrong = int((report.labels != report.preds).sum())
        st.markdown(f"**Misclassified test images** ({n_wrong:,} of {len(report.labels):,}; the most "
                    f"confident mistakes first)")
        shown = res.wrong_images[:32]
        st.plotly_chart(figures.misclassified_gallery_figure(
            shown, report.labels[res.wrong_index[:32]], report.preds[res.wrong_index[:32]],
            report.confidence[res.wrong_index[:32]], report.classes), key=f"wrong_{selected}")

        st.markdown("**Save the model**: saved checkpoints appear on the feature-map and kernels pages.")
        default_name = f"{job.config.arch}-{job.dataset or job.config.dataset}-{(acc or 0) * 100:.1f}"
        if res.checkpoint is None:
            st.info(f"Nothing to save: {res.checkpoint_error or 'no weights came back'}.")
        else:
            with st.form(f"save_{selected}"):
                s1, s2 = st.columns([3, 1], vertical_alignment="bottom")
                name = s1.text_input("Checkpoint name", value=default_name, key=f"name_{selected}")
                overwrite = s2.checkbox("Overwrite", key=f"overwrite_{selected}")
                if st.form_submit_button("💾 Save checkpoint"):
                    try:
                        path = save_job_checkpoint(job, user_checkpoint_dir(), name, overwrite=overwrite)
                    except CheckpointError as exc:
                        st.error(str(exc))
                    else:
                        st.success(f"Saved as **{path.stem}** in `{path.parent}`.")
            try:
                blob = res.checkpoint.read_bytes()
            except OSError:
                blob = None
            if blob:
                try:
                    fname = safe_name(default_name)
                except CheckpointError:
                    fname = job.config.arch
                st.download_button("⬇ Download checkpoint (.safetensors)", blob, file_name=f"{fname}.safetensors",
                                   mime="application/octet-stream", on_click="ignore", key=f"dl_{selected}")

# ----------------------------------------------------------------------------- 5. compare runs
finished = [(numbers[j.id], j) for j in jobs if j.is_finished and j.steps]
if finished:
    st.subheader("5 · Compare runs")
    pick = st.multiselect("Runs to compare", [n for n, _ in finished], default=[n for n, _ in finished][-6:],
                          format_func=lambda n: run_label(jobs[n - 1], n), key="train_compare")
    chosen = [(n, j) for n, j in finished if n in pick]
    if chosen:
        runs = [dict(name=f"{run_label(j, n)} ({j.config.optimizer}, lr {j.config.lr:g})", steps=j.steps,
                     losses=j.losses, eval_steps=j.eval_steps, test_acc=j.test_acc, total_steps=j.total_steps)
                for n, j in chosen]
        k1, k2 = st.columns(2)
        k1.plotly_chart(figures.compare_runs_figure(runs, "loss"), key="cmp_loss")
        k2.plotly_chart(figures.compare_runs_figure(runs, "test_acc"), key="cmp_acc")
        st.dataframe(pd.DataFrame(compare_rows(chosen)), hide_index=True, width="stretch",
                     column_config={"test accuracy": st.column_config.NumberColumn(format="percent"),
                                    "parameters": st.column_config.NumberColumn(format="localized")})
