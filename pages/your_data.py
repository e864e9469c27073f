"""Your data: make a dataset of 2-10 classes (a zip of class folders, camera shots or drawings per class),
see every image as the network will see it (28x28), save it, and list or delete saved ones."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from cnnviz import images, userdata
from cnnviz.userdata import UserDataError
from ui.canvas import read_canvas
from ui.common import md_escape
from ui.i18n import t, tm
from ui.image_source import upscale_nearest

METHODS = ("zip", "camera", "draw")
CANVAS_SIZE = 280
DEFAULT_CLASSES = {"camera": "A, B", "draw": "circle, triangle, square"}
ss = st.session_state


def show_dataset(ds: userdata.DataSplit) -> None:
    """Counts, the notes on what was skipped or looks unbalanced, and a preview strip per class."""
    st.markdown(t("ud.summary", n=len(ds.train_x) + len(ds.test_x), k=len(ds.classes), train=len(ds.train_x),
                  test=len(ds.test_x)))
    for note in getattr(ds, "warnings", []):
        st.warning(md_escape(tm(note)))
    for name, count, strip in userdata.preview(ds):
        st.caption(t("ud.class_count", cls=md_escape(name), n=count))
        st.image(upscale_nearest(strip, 2 * strip.shape[1]))


def import_zip() -> userdata.UserDataset | None:
    """A zip upload, read once per file with a progress bar; the dataset or None after saying why."""
    upload = st.file_uploader(t("ud.zip_label"), type=["zip"], key="ud_zip",
                              help=t("ud.zip_help", n=userdata.MAX_IMAGES))
    if upload is None:
        st.info(t("ud.zip_prompt"))
        return None
    if ss.get("ud_zip_id") != upload.file_id:
        ss.ud_zip_id = upload.file_id
        ss.pop("ud_built", None)
        bar = st.progress(0.0, text=t("ud.reading"))
        try:
            ss.ud_built = userdata.dataset_from_zip(
                upload.getvalue(), Path(upload.name).stem,
                progress=lambda done, total: bar.progress(done / total, text=t("ud.progress", done=done,
                                                                                 total=total)))
        except UserDataError as exc:
            ss.ud_zip_error = exc
        else:
            ss.pop("ud_zip_error", None)
        bar.empty()
    if ss.get("ud_zip_error") is not None:
        st.error(md_escape(tm(ss.ud_zip_error)), icon="🚫")
        return None
    return ss.get("ud_built")


def class_names(method: str) -> list[str]:
    raw = st.text_input(t("ud.classes"), DEFAULT_CLASSES[method], key=f"ud_classes_{method}",
                        help=t("ud.classes_help"))
    return [c.strip() for c in raw.split(",") if c.strip()][:userdata.MAX_CLASSES]


def take_example(method: str, n: int):
    """One camera shot (RGB) or drawing (RGBA canvas) from the widget, or None."""
    if method == "camera":
        shot = st.camera_input(t("ud.camera_label"), key=f"ud_camera_{n}")
        if shot is None:
            return None
        try:
            return images.decode(shot.getvalue(), shot.name).data
        except images.ImageLoadError as exc:
            st.error(t("img.upload_error", error=tm(exc)), icon="🚫")
            return None
    try:   # read safely: PNG only, its size checked before decoding (ui.canvas)
        read = read_canvas(CANVAS_SIZE, 18, key=f"ud_canvas_{n}", counter="ud_widget_n")
    except ImportError as exc:  # the component failed to load
        st.warning(t("fm.no_canvas", error=exc))
        return None
    return None if read is None else read[1]


def collect_examples(method: str) -> userdata.UserDataset | None:
    """Camera shots or drawings added one by one to the class chosen; the dataset once built."""
    names = class_names(method)
    examples: dict[str, list] = ss.setdefault(f"ud_examples_{method}", {})
    if not names:
        return None
    current = st.radio(t("ud.current_class"), names, horizontal=True, key=f"ud_current_{method}")
    n = ss.setdefault("ud_widget_n", 0)
    example = take_example(method, n)
    add_col, clear_col = st.columns(2)
    if add_col.button(t("ud.add"), key="ud_add", disabled=example is None):
        examples.setdefault(current, []).append(example.copy())
        ss.ud_widget_n = n + 1                  # a fresh camera / canvas for the next example
        st.rerun()
    if clear_col.button(t("ud.clear_examples"), key="ud_clear_examples"):
        examples.clear()
        ss.pop("ud_built", None)
        st.rerun()
    st.markdown(" · ".join(t("ud.class_count", cls=md_escape(c), n=len(examples.get(c, []))) for c in names))
    if st.button(t("ud.build"), key="ud_build"):
        try:
            ss.ud_built = userdata.dataset_from_images({c: examples.get(c, []) for c in names}, method)
        except UserDataError as exc:
            ss.pop("ud_built", None)
            st.error(md_escape(tm(exc)), icon="🚫")
    return ss.get("ud_built")


def save_form(ds: userdata.UserDataset) -> None:
    name_col, overwrite_col = st.columns([3, 2], vertical_alignment="bottom")
    name = name_col.text_input(t("ud.name"), ds.name, key="ud_name", max_chars=60)
    overwrite = overwrite_col.checkbox(t("ud.overwrite"), key="ud_overwrite")
    if st.button(t("ud.save"), key="ud_save", type="primary"):
        try:
            path = userdata.save_dataset(ds, name, overwrite=overwrite)
        except UserDataError as exc:
            st.error(md_escape(tm(exc)), icon="🚫")
        else:
            st.success(t("ud.saved", name=md_escape(path.stem)))


def stored_datasets() -> None:
    """The saved datasets: pick one to preview it; delete it after a confirmation."""
    st.subheader(t("ud.stored"))
    names = userdata.list_datasets()
    if not names:
        st.caption(t("ud.none"))
        return
    pick = st.selectbox(t("ud.pick"), names, key="ud_pick")
    try:
        show_dataset(userdata.load_dataset(pick))
    except UserDataError as exc:
        st.error(md_escape(tm(exc)), icon="🚫")
    if st.button(t("ud.delete"), key="ud_delete"):
        ss.ud_confirm_delete = pick
    if ss.get("ud_confirm_delete") == pick:
        st.warning(t("ud.confirm_delete", name=md_escape(pick)))
        yes_col, no_col = st.columns(2)
        if yes_col.button(t("ud.delete_yes"), key="ud_delete_yes", type="primary"):
            userdata.delete_dataset(pick)
            ss.pop("ud_confirm_delete", None)
            st.rerun()
        if no_col.button(t("ud.delete_no"), key="ud_delete_no"):
            ss.pop("ud_confirm_delete", None)
            st.rerun()


st.title(t("ud.title"))
st.markdown(t("ud.intro"))
chosen_method = st.radio(t("ud.method"), METHODS, horizontal=True, key="ud_method",
                         format_func=lambda m: t(f"ud.method_{m}"))
if ss.get("ud_built_method") != chosen_method:      # a dataset built another way is not this one
    for stale in ("ud_built", "ud_zip_id", "ud_zip_error"):
        ss.pop(stale, None)
    ss.ud_built_method = chosen_method
built = import_zip() if chosen_method == "zip" else collect_examples(chosen_method)
if built is not None:
    st.subheader(t("ud.result"))
    show_dataset(built)
    save_form(built)
st.divider()
stored_datasets()
