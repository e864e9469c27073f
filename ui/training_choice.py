"""The training page's choices beyond the registry: a network designed by the user ("Design your own",
``cnnviz.models.CUSTOM``) and the datasets made on the "Your data" page (``data.USER_PREFIX + name``).

The page calls :func:`choose_dataset` (outside its settings form, so the designer knows the number of
classes while the user edits), :func:`arch_options` / :func:`arch_label` for its architecture box,
:func:`show_design` for the designer, :func:`recommended` for the settings' defaults and
:func:`dataset_sizes` / :func:`dataset_title` for the run's bookkeeping.
"""

from __future__ import annotations

import dataclasses
from typing import NamedTuple

import streamlit as st

from cnnviz import data, models, userdata
from cnnviz import spec as S
from cnnviz.messages import MessageError
from cnnviz.runs import OVERFIT_DEMO, env_limit
from ui.common import md_escape
from ui.designer import design_section
from ui.i18n import t, tm

DESIGN_KEY = "design"   # the designer's widget keys start with this
SIZES = {"embedded": (8000, 2000), "mnist": (60000, 10000), "fashion-mnist": (60000, 10000)}
CUSTOM_DEFAULTS = dataclasses.replace(models.REGISTRY["lenet5"], name=models.CUSTOM, epochs=3)


class UserInfo(NamedTuple):
    classes: list[str]
    n_train: int
    n_test: int


def arch_options() -> list[str]:
    """The eight registry architectures, then "Design your own"."""
    return [*models.names(), models.CUSTOM]


def arch_label(arch: str) -> str:
    return t("train.design_own") if arch == models.CUSTOM else t(f"arch.{arch}.title")


def recommended(arch: str) -> models.ArchSpec:
    """The settings' defaults: the registry's for its architectures, LeNet-5's (3 epochs) for a design."""
    return CUSTOM_DEFAULTS if arch == models.CUSTOM else models.REGISTRY[arch]


@st.cache_data(max_entries=32, show_spinner=False)
def _user_info(name: str, mtime_ns: int) -> UserInfo | None:
    try:
        ds = userdata.load_dataset(name)
    except (MessageError, OSError, ValueError):
        return None
    return UserInfo(list(ds.classes), len(ds.train_y), len(ds.test_y))


def user_info(dataset: str) -> UserInfo | None:
    """Class names and sizes of a stored user dataset (``user:NAME``); None when it cannot be read."""
    name = dataset[len(data.USER_PREFIX):]
    try:
        mtime = userdata.dataset_path(name).stat().st_mtime_ns
    except (MessageError, OSError):
        return None
    return _user_info(name, mtime)


def dataset_options() -> list[str]:
    """The bundled datasets, then every readable dataset made on the "Your data" page."""
    users = [data.USER_PREFIX + n for n in userdata.list_datasets()]
    return [*data.DATASETS, *(u for u in users if user_info(u) is not None)]


def dataset_label(dataset: str, available: dict[str, bool]) -> str:
    """Plain text for a selectbox (no markdown there)."""
    if dataset.startswith(data.USER_PREFIX):
        info = user_info(dataset)
        return t("train.ds_user", name=dataset[len(data.USER_PREFIX):], n=len(info.classes) if info else 0)
    missing = "" if available.get(dataset) else t("train.ds_mnist_missing" if dataset == "mnist"
                                                   else "train.ds_missing")
    return t(f"dataset.{dataset}") + missing


def choose_dataset(available: dict[str, bool]) -> str:
    """The dataset box (outside the settings form: the designer and the layer count follow it at once)."""
    options = dataset_options()
    if st.session_state.get("train_dataset") not in options:   # a deleted dataset, or the first visit
        st.session_state["train_dataset"] = options[0]
    return st.selectbox(t("train.dataset"), options, format_func=lambda d: dataset_label(d, available),
                        key="train_dataset", help=t("train.dataset_help"))


def num_classes(dataset: str) -> int:
    if dataset.startswith(data.USER_PREFIX):
        info = user_info(dataset)
        return len(info.classes) if info else 10
    return 10


def dataset_sizes(dataset: str, available: dict[str, bool]) -> tuple[int, int]:
    """(train, test) images the run will see before any limit (to plan its logging)."""
    if dataset.startswith(data.USER_PREFIX):
        info = user_info(dataset)
        return (info.n_train, info.n_test) if info else SIZES["embedded"]
    return SIZES[dataset if available.get(dataset) else "embedded"]


def dataset_title(dataset: str) -> str:
    """The dataset for the run's head line (markdown: a user dataset's name is escaped)."""
    if dataset in data.DATASETS:
        return t(f"dataset.{dataset}")
    if dataset.startswith(data.USER_PREFIX):
        dataset = dataset[len(data.USER_PREFIX):]
    return t("train.ds_user_short", name=md_escape(dataset)) if dataset else ""


def design_problem(key: str = DESIGN_KEY, classes: int = 10) -> str | None:
    """Why the design in the editor cannot be trained (in the reader's language), or None."""
    try:
        S.check_spec(S.parse_text(st.session_state.get(f"{key}_text", "")), classes)
    except S.SpecError as err:
        return tm(err, md=True)
    return None


def show_design(classes: int) -> list[dict] | None:
    """The designer (for ``classes`` outputs) and the settings it trains with; the valid spec or None."""
    st.markdown(t("train.design_intro"))
    spec = design_section(classes, key=DESIGN_KEY)
    d = CUSTOM_DEFAULTS
    st.caption(t("train.design_defaults", optimizer=t(f"optimizer.{d.optimizer}"), lr=d.lr, batch=d.batch_size,
                 epochs=d.epochs))
    return spec


def design_summary(spec: list | None) -> str:
    """A short text of a design for run labels: its activations and layer count (``ReLU · 8 layers``)."""
    if not spec:
        return ""
    acts = [layer.get("kind") for layer in spec if isinstance(layer, dict)
            and layer.get("kind") in ("relu", "sigmoid", "tanh")]
    names = {"relu": "ReLU", "sigmoid": "sigmoid", "tanh": "tanh"}
    act_text = "/".join(names[a] for a in dict.fromkeys(acts)) or t("train.design_no_act")
    return t("train.design_summary", acts=act_text, n=len(spec))


# ----------------------------------------------------------------------------- the settings form's helpers

def planned_train_size(dataset: str, limit: int, available: dict[str, bool]) -> int:
    """Training images a run with these settings gets (the embedded set stands in for a missing one)."""
    n_train = dataset_sizes(dataset, available)[0]
    return min(n_train, limit) if limit else n_train


def seed_form_defaults(arch: str) -> None:
    """Initial values of the widgets that the overfitting demo also sets, kept in the session state
    (the widgets then get no ``value``: Streamlit warns when both set one)."""
    spec = recommended(arch)
    st.session_state.setdefault("train_limit", env_limit("CNNVIZ_TRAIN_LIMIT"))
    st.session_state.setdefault(f"train_epochs_{arch}", spec.epochs)
    st.session_state.setdefault("train_augment", False)
    st.session_state.setdefault("train_dropout", 0.0)


def show_overfitting_clicked(arch: str) -> None:
    """The demo button's callback (before the form is drawn): the form gets the overfitting setting."""
    st.session_state.update({"train_limit": OVERFIT_DEMO["limit"], f"train_epochs_{arch}": OVERFIT_DEMO["epochs"],
                             "train_augment": OVERFIT_DEMO["augment"], "train_dropout": OVERFIT_DEMO["dropout"],
                             "train_overfit_note": True})


def overfitting_demo(arch: str) -> None:
    """The one-click "Show overfitting" setting, and what to look for once it is in the form."""
    st.button(t("train.overfit_demo"), key="train_overfit_demo", on_click=show_overfitting_clicked, args=(arch,),
              help=t("train.overfit_demo_help", limit=OVERFIT_DEMO["limit"], epochs=OVERFIT_DEMO["epochs"]))
    if st.session_state.pop("train_overfit_note", False):
        st.info(t("train.overfit_demo_note", limit=OVERFIT_DEMO["limit"], epochs=OVERFIT_DEMO["epochs"]))
