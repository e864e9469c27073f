"""Training: pick an architecture, train it in a worker process with live charts, evaluate, save, compare."""

from dataclasses import dataclass

import pandas as pd
import streamlit as st

from cnnviz import data, figures, models
from cnnviz.checkpoints import CheckpointError, SaveError, safe_name
from cnnviz.jobs import JobManager, JobState, TooManyRuns
from cnnviz.messages import msg
from cnnviz.runs import env_limit, format_seconds, plan_logging
from cnnviz.saving import save_job_checkpoint
from cnnviz.summary import summary_rows
from cnnviz.training import MAX_BATCH, MAX_EPOCHS, MAX_SEED, OPTIMIZERS, TrainConfig, TrainConfigError
from ui.common import md_escape, user_checkpoint_dir
from ui.i18n import retitle, t, tf, tm
from ui.sidebar import lecture_mode, styled
from ui.training import (
    STATUS_ICON,
    TRACE_NAMES,
    col_names,
    compare_runs,
    job_manager,
    owner_id,
    reason_text,
    run_label,
    show_mistakes,
)
from ui.training_choice import (
    arch_label,
    arch_options,
    choose_dataset,
    dataset_sizes,
    dataset_title,
    design_problem,
    num_classes,
    recommended,
    show_design,
)

SAVE_RESULT_KEY = "train_save_result"   # job id -> the outcome of its last Save click (set by a callback)


@dataclass
class Settings:
    arch: str
    dataset: str
    optimizer: str
    lr_text: str
    epochs: int
    limit: int
    augment: bool
    batch_size: int
    seed: int
    spec: list | None = None   # the designed network when arch is models.CUSTOM


@st.cache_data(show_spinner=False)
def layer_table(arch: str) -> tuple[pd.DataFrame, int]:
    rows, total = summary_rows(arch)
    return pd.DataFrame([r.as_dict() for r in rows]), total


def show_architecture(available: dict[str, bool]) -> tuple[str, str, list | None]:
    """The dataset and architecture boxes and the description; (dataset, arch, the designed network or None)."""
    st.subheader(t("train.arch_header"))
    dataset_col, arch_col = st.columns(2)
    with dataset_col:
        dataset = choose_dataset(available)
    arch = arch_col.selectbox(t("train.arch"), arch_options(), index=arch_options().index("lenet5"),
                              format_func=arch_label, key="train_arch")
    if arch == models.CUSTOM:
        return dataset, arch, show_design(num_classes(dataset))
    spec = models.REGISTRY[arch]
    table, n_params = layer_table(arch)
    description_col, table_col = st.columns([2, 3], gap="large")
    description_col.markdown(t(f"arch.{arch}.desc"))
    description_col.caption(t("train.recommended", seed=spec.seed, optimizer=t(f"optimizer.{spec.optimizer}"),
                              lr=spec.lr, batch=spec.batch_size, epochs=spec.epochs))
    description_col.metric(t("train.parameters"), f"{n_params:,}")
    table_col.dataframe(col_names(table, "train.col_"), hide_index=True, width="stretch",
                        height=min(38 + 35 * len(table), 320),
                        column_config={t("train.col_parameters"): st.column_config.NumberColumn(format="localized")})
    table_col.caption(t("train.layer_caption"))
    return dataset, arch, None


def read_settings(arch: str, dataset: str, design: list | None, lecture: bool) -> Settings | None:
    """The settings form; the settings when Start was pressed, else None."""
    spec = recommended(arch)
    problem = design_problem(classes=num_classes(dataset)) if arch == models.CUSTOM and design is None else None
    st.subheader(t("train.settings_header"))
    with st.form("train_form"):
        optimizer_col, lr_col, epochs_col = st.columns(3)   # the dataset is chosen above: the designer follows it
        optimizer = optimizer_col.selectbox(t("train.optimizer"), list(OPTIMIZERS), format_func=tf("optimizer"),
                                            index=list(OPTIMIZERS).index(spec.optimizer), key=f"train_opt_{arch}")
        lr_text = lr_col.text_input(t("train.lr"), value=f"{spec.lr:g}", key=f"train_lr_{arch}",
                                    help=t("train.lr_help"))
        epochs = epochs_col.number_input(t("train.epochs"), 1, MAX_EPOCHS, spec.epochs, key=f"train_epochs_{arch}")
        limit_col, augment_col, batch_col, seed_col = st.columns(4)
        default_limit = env_limit("CNNVIZ_TRAIN_LIMIT")
        limit = limit_col.number_input(t("train.limit"), 0, 60000, default_limit, step=500,
                                       key="train_limit", help=t("train.limit_help"))
        augment_col.markdown("&nbsp;")
        augment = augment_col.checkbox(t("train.augment"), key="train_augment", help=t("train.augment_help"))
        if lecture:   # fewer controls: the architecture's recommended batch size, seed 0
            batch_size, seed = spec.batch_size, 0
            st.caption(t("train.lecture_note"))
        else:
            batch_size = batch_col.number_input(t("train.batch"), 1, MAX_BATCH, spec.batch_size, key=f"train_bs_{arch}")
            seed = seed_col.number_input(t("train.seed"), 0, MAX_SEED, 0, key="train_seed")
        started = st.form_submit_button(t("train.start"), type="primary", disabled=problem is not None)
        if problem is not None:
            st.error(t("train.design_fix_first", reason=problem))
        if not started:
            return None
    return Settings(arch, dataset, optimizer, str(lr_text), int(epochs), int(limit), bool(augment), int(batch_size),
                    int(seed), design)


def start_run(mgr: JobManager, owner: str, s: Settings, available: dict[str, bool]) -> None:
    """Validate the settings and queue the run; every refusal is a message in the reader's language."""
    try:
        lr = float(s.lr_text.strip())
    except ValueError:
        st.error(t("train.bad_lr", value=md_escape(repr(s.lr_text))))
        return
    if s.dataset == "fashion-mnist" and not available.get("fashion-mnist"):
        st.error(tm(data.fashion_missing()))
        return
    test_limit = env_limit("CNNVIZ_TEST_LIMIT")
    n_train, n_test = dataset_sizes(s.dataset, available)
    n_train = min(n_train, s.limit) if s.limit else n_train
    n_test = min(n_test, test_limit) if test_limit else n_test
    log_every, eval_every = plan_logging(n_train, n_test, s.batch_size, s.epochs)
    config = TrainConfig(arch=s.arch, spec=s.spec, dataset=s.dataset, optimizer=s.optimizer, lr=lr,
                         batch_size=s.batch_size, epochs=s.epochs, seed=s.seed, augment=s.augment,
                         log_every=log_every, eval_every=eval_every, train_limit=s.limit or None,
                         test_limit=test_limit or None)
    try:
        job_id = mgr.submit(config, owner)
    except (TrainConfigError, TooManyRuns) as exc:
        st.error(t("train.cannot_start", error=tm(exc)))
        return
    st.session_state["train_selected"] = job_id
    st.toast(t("train.started", title=arch_label(s.arch)))


def pick_run(jobs: list[JobState], numbers: dict[str, int]) -> str:
    """The run to show. The options' labels carry each run's status, and Streamlit keeps a selectbox's choice
    as its label: writing the value back on every run sends the current label."""
    by_id = {j.id: j for j in jobs}
    picked = st.session_state.get("train_selected")
    st.session_state["train_selected"] = picked if picked in by_id else jobs[-1].id
    return st.selectbox(t("train.run"), [j.id for j in reversed(jobs)], key="train_selected", format_func=lambda i: t(
        "train.run_option", icon=STATUS_ICON.get(by_id[i].status, ""), label=run_label(by_id[i], numbers[i]),
        optimizer=by_id[i].config.optimizer, lr=by_id[i].config.lr, status=t(f"status.{by_id[i].status}")))


def show_progress(mgr: JobManager, job: JobState) -> None:
    c = job.config
    if job.status == "queued":
        st.info(t("train.queued", position=job.queue_position, max_jobs=mgr.max_jobs, running=mgr.running_count()))
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
    if job.data_note is not None:
        st.caption(t("train.data_note", note=reason_text(job.data_note), n_train=job.n_train, n_test=job.n_test,
                     params=job.params, device=job.device))


def live_view(mgr: JobManager, owner: str, job_id: str, number: int, shown_active: bool) -> None:
    """The selected run's head, progress and curves, refreshed every second while it trains.
    ``shown_active``: the page around it was drawn while the run was active; when it ends, the page
    is redrawn once to show the evaluation (a Save click survives this: it is handled by a callback)."""
    mgr.heartbeat(owner)
    job = mgr.get(job_id)
    if job is None:
        st.warning(t("train.gone"))
        return
    if shown_active and job.is_finished:
        st.rerun(scope="app")
    c = job.config
    head_col, stop_col = st.columns([5, 1], vertical_alignment="center")
    ds_name = job.dataset or c.dataset
    head_col.markdown(t("train.run_head", label=run_label(job, number), optimizer=t(f"optimizer.{c.optimizer}"),
                        dataset=dataset_title(c.dataset if c.dataset.startswith(data.USER_PREFIX) else ds_name),
                        lr=c.lr,
                        batch=c.batch_size, epochs=c.epochs, seed=c.seed,
                        augment=t("train.run_head_augment") if c.augment else ""))
    if job.active and stop_col.button(t("train.stop"), key=f"stop_{job_id}", disabled=job.status == "stopping",
                                      width="stretch"):
        mgr.stop(job_id)
        job = mgr.get(job_id)
    show_progress(mgr, job)
    loss_col, acc_col = st.columns(2)
    loss_col.plotly_chart(styled(retitle(figures.loss_curve_figure(job.steps, job.losses, title=t("fig.loss_title")),
                                         names=TRACE_NAMES, xaxis_title=t("fig.step"), yaxis_title=t("fig.loss"))),
                          key=f"loss_{job_id}")
    acc_col.plotly_chart(styled(retitle(figures.accuracy_curve_figure(
        job.eval_steps, job.train_acc, job.test_acc, job.steps, job.running_acc, title=t("fig.acc_title")),
        names=TRACE_NAMES, xaxis_title=t("fig.step"), yaxis_title=t("fig.accuracy"))), key=f"acc_{job_id}")


def show_outcome(job: JobState, acc_text: str) -> None:
    if job.status == "done":
        st.success(t("train.finished", epochs=len(job.epochs), time=format_seconds(job.train_seconds),
                     acc=acc_text, n_test=job.n_test or 0))
    elif job.status == "stopped":
        reason = reason_text(job.reason)
        st.warning(t("train.stopped", reason=reason[:1].upper() + reason[1:], acc=acc_text))
    else:
        st.error(t("train.failed", reason=reason_text(job.reason)))
    accuracy_col, time_col, epochs_col, params_col = st.columns(4)
    accuracy_col.metric(t("train.test_accuracy"), acc_text)
    time_col.metric(t("train.time"), format_seconds(job.train_seconds))
    epochs_col.metric(t("train.epochs_done"), f"{len(job.epochs)}/{job.config.epochs}")
    params_col.metric(t("train.parameters"), f"{job.params:,}" if job.params else "–")


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


def show_evaluation(job: JobState, owner: str) -> None:
    st.subheader(t("train.eval_header"))
    acc = job.final_test_acc
    show_outcome(job, f"{acc:.2%}" if acc is not None else "–")
    if job.result is not None and len(job.result.labels):
        show_mistakes(job)
        save_section(job, owner, f"{job.config.arch}-{job.dataset or job.config.dataset}-{(acc or 0) * 100:.1f}")


def main() -> None:
    mgr, owner = job_manager(), owner_id()
    st.title(t("train.title"))
    st.markdown(t("train.intro"))
    st.markdown(t("train.loss_explainer"))
    available = data.available_datasets()
    dataset, arch, design = show_architecture(available)
    settings = read_settings(arch, dataset, design, lecture_mode())
    if settings is not None:
        start_run(mgr, owner, settings, available)
    jobs = mgr.jobs_for(owner)
    st.subheader(t("train.live_header"))
    if not jobs:
        st.info(t("train.no_runs"))
        return
    numbers = {j.id: i for i, j in enumerate(jobs, 1)}
    selected = pick_run(jobs, numbers)
    shown = next(j for j in jobs if j.id == selected)
    # refreshed every second while any run is active
    st.fragment(run_every=1.0 if any(j.active for j in jobs) else None)(live_view)(
        mgr, owner, selected, numbers[selected], shown.active)
    if shown.is_finished:
        show_evaluation(shown, owner)
    finished = [(numbers[j.id], j) for j in jobs if j.is_finished and j.steps]
    if finished:
        compare_runs(finished)


main()
