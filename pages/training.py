"""Training: pick an architecture, train it in a worker process with live charts, evaluate, save, compare."""

from dataclasses import dataclass

import pandas as pd
import streamlit as st

from cnnviz import data, figures, models
from cnnviz.jobs import JobManager, JobState, TooManyRuns
from cnnviz.ray_backend import RayUnavailable
from cnnviz.runs import accuracy_gap, env_limit, format_seconds, plan_logging, step_plan
from cnnviz.summary import summary_rows
from cnnviz.training import MAX_BATCH, MAX_EPOCHS, MAX_SEED, OPTIMIZERS, TrainConfig, TrainConfigError
from ui.common import md_escape
from ui.i18n import retitle, t, tf, tm
from ui.sidebar import lecture_mode, styled
from ui.training import (
    STATUS_ICON,
    TRACE_NAMES,
    col_names,
    compare_runs,
    gap_caption,
    job_manager,
    mark_gap,
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
    overfitting_demo,
    planned_train_size,
    recommended,
    seed_form_defaults,
    show_design,
)
from ui.training_save import import_weights_section, save_section


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
    dropout: float = 0.0
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


def read_settings(arch: str, dataset: str, design: list | None, available: dict[str, bool],
                  lecture: bool) -> Settings | None:
    """The settings form; the settings when Start was pressed, else None."""
    spec = recommended(arch)
    problem = design_problem(classes=num_classes(dataset)) if arch == models.CUSTOM and design is None else None
    st.subheader(t("train.settings_header"))
    overfitting_demo(arch)
    seed_form_defaults(arch)
    # the numbers behind batch, epoch and step, for the settings as they stand (a form updates them on Start)
    state = st.session_state
    plan = step_plan(planned_train_size(dataset, int(state["train_limit"]), available),
                     spec.batch_size if lecture else int(state.get(f"train_bs_{arch}", spec.batch_size)),
                     int(state[f"train_epochs_{arch}"]))
    with st.form("train_form"):
        optimizer_col, lr_col, epochs_col = st.columns(3)   # the dataset is chosen above: the designer follows it
        optimizer = optimizer_col.selectbox(t("train.optimizer"), list(OPTIMIZERS), format_func=tf("optimizer"),
                                            index=list(OPTIMIZERS).index(spec.optimizer), key=f"train_opt_{arch}")
        lr_text = lr_col.text_input(t("train.lr"), value=f"{spec.lr:g}", key=f"train_lr_{arch}",
                                    help=t("train.lr_help"))
        epochs = epochs_col.number_input(t("train.epochs"), 1, MAX_EPOCHS, key=f"train_epochs_{arch}",
                                         help=t("train.epochs_help", **plan.args()))
        limit_col, augment_col, dropout_col, batch_col, seed_col = st.columns(5)
        limit = limit_col.number_input(t("train.limit"), 0, 60000, step=500, key="train_limit",
                                       help=t("train.limit_help"))
        augment_col.markdown("&nbsp;")
        augment = augment_col.checkbox(t("train.augment"), key="train_augment", help=t("train.augment_help"))
        dropout = dropout_col.number_input(t("train.dropout"), 0.0, 0.9, step=0.1, format="%.1f", key="train_dropout",
                                           help=t("train.dropout_help"))
        if lecture:   # fewer controls: the architecture's recommended batch size, seed 0
            batch_size, seed = spec.batch_size, 0
            st.caption(t("train.lecture_note"))
        else:
            batch_size = batch_col.number_input(t("train.batch"), 1, MAX_BATCH, spec.batch_size, key=f"train_bs_{arch}",
                                                help=t("train.batch_help", **plan.args()))
            seed = seed_col.number_input(t("train.seed"), 0, MAX_SEED, 0, key="train_seed")
        st.caption(t("train.steps_caption", **plan.args()))
        started = st.form_submit_button(t("train.start"), type="primary", disabled=problem is not None)
        if problem is not None:
            st.error(t("train.design_fix_first", reason=problem))
        if not started:
            return None
    return Settings(arch, dataset, optimizer, str(lr_text), int(epochs), int(limit), bool(augment), int(batch_size),
                    int(seed), float(dropout), design)


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
    n_train = planned_train_size(s.dataset, s.limit, available)
    n_test = dataset_sizes(s.dataset, available)[1]
    n_test = min(n_test, test_limit) if test_limit else n_test
    log_every, eval_every = plan_logging(n_train, n_test, s.batch_size, s.epochs)
    config = TrainConfig(arch=s.arch, spec=s.spec, dataset=s.dataset, optimizer=s.optimizer, lr=lr,
                         batch_size=s.batch_size, epochs=s.epochs, seed=s.seed, augment=s.augment, dropout=s.dropout,
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
        st.info(t("train.queued", position=job.queue_position, max_jobs=mgr.limit(), running=mgr.running_total()))
    elif job.status == "starting" and job.cluster_wait:
        st.info(t("train.cluster_wait", limit=mgr.limit(), running=mgr.running_total()))
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
    if job.n_train:
        st.caption(t("train.run_steps", **step_plan(job.n_train, c.batch_size, c.epochs).args()))
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
                        augment=t("train.run_head_augment") if c.augment else "")
                        + (t("train.run_head_dropout", p=c.dropout) if c.dropout else ""))
    if job.active and stop_col.button(t("train.stop"), key=f"stop_{job_id}", disabled=job.status == "stopping",
                                      width="stretch"):
        mgr.stop(job_id)
        job = mgr.get(job_id)
    show_progress(mgr, job)
    loss_col, acc_col = st.columns(2)
    loss_col.plotly_chart(styled(retitle(figures.loss_curve_figure(job.steps, job.losses, title=t("fig.loss_title")),
                                         names=TRACE_NAMES, xaxis_title=t("fig.step"), yaxis_title=t("fig.loss"))),
                          key=f"loss_{job_id}")
    acc_fig = styled(retitle(figures.accuracy_curve_figure(
        job.eval_steps, job.train_acc, job.test_acc, job.steps, job.running_acc, title=t("fig.acc_title")),
        names=TRACE_NAMES, xaxis_title=t("fig.step"), yaxis_title=t("fig.accuracy")))
    gap = accuracy_gap(job)
    if gap is not None:   # overfitting: how far the test accuracy lags the training accuracy
        mark_gap(acc_fig, gap)
    acc_col.plotly_chart(acc_fig, key=f"acc_{job_id}")
    if gap is not None:
        acc_col.caption(gap_caption(gap))


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


def show_evaluation(job: JobState, owner: str) -> None:
    st.subheader(t("train.eval_header"))
    acc = job.final_test_acc
    show_outcome(job, f"{acc:.2%}" if acc is not None else "–")
    if job.result is not None and len(job.result.labels):
        show_mistakes(job)
        save_section(job, owner, f"{job.config.arch}-{job.dataset or job.config.dataset}-{(acc or 0) * 100:.1f}")


def main() -> None:
    st.title(t("train.title"))
    try:
        mgr = job_manager()
    except RayUnavailable as exc:   # CNNVIZ_RAY_ADDRESS is set but the cluster cannot be used
        st.error(tm(exc))
        return
    owner = owner_id()
    st.markdown(t("train.intro"))
    st.markdown(t("train.loss_explainer"))
    available = data.available_datasets()
    dataset, arch, design = show_architecture(available)
    settings = read_settings(arch, dataset, design, available, lecture_mode())
    if settings is not None:
        start_run(mgr, owner, settings, available)
    import_weights_section(owner, design)
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
