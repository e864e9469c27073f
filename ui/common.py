"""Cached resources and small widgets shared by the pages."""

from __future__ import annotations

import string
import unicodedata
from pathlib import Path

import streamlit as st

from cnnviz import checkpoints, data, settings
from ui.i18n import t


@st.cache_resource(show_spinner=False)
def _embedded_data() -> data.DataSplit:
    return data.load_embedded()


_LOADED: list[bool] = []


def embedded_data() -> data.DataSplit:
    """The embedded 8,000/2,000 split, loaded once per server (read-only: never mutate it)."""
    if _LOADED:
        return _embedded_data()
    with st.spinner(t("common.loading_digits")):   # only the first time, in the reader's language
        split = _embedded_data()
    _LOADED.append(True)
    return split


@st.cache_resource(show_spinner=False)
def load_model(path: str, mtime: float):
    """A checkpoint's model, cached per file version. Callers must not modify it."""
    model, meta = checkpoints.load_checkpoint(path)
    for p in model.parameters():
        p.requires_grad_(False)
    return model, meta


def shipped_checkpoints() -> list[checkpoints.CheckpointInfo]:
    return checkpoints.list_checkpoints(checkpoints.SHIPPED_DIR)


def _folder_state(folder: Path) -> tuple:
    """The folder's checkpoints and their versions (a cheap stat per file): the key of the cached list."""
    try:
        return tuple(sorted((p.name, s.st_mtime_ns, s.st_size)
                            for p, s in ((p, p.stat()) for p in folder.glob(f"*{checkpoints.SUFFIX}"))))
    except OSError:
        return ()


@st.cache_resource(max_entries=16, show_spinner=False)
def _list_checkpoints(folder: str, state: tuple) -> list[checkpoints.CheckpointInfo]:
    return checkpoints.list_checkpoints(folder)


def checkpoint_options() -> dict[str, checkpoints.CheckpointInfo]:
    """Option id ("shipped:lenet5", "user:my_run") -> checkpoint, shipped ones first, then the ones
    saved on the Training page (re-listed whenever the folder changes)."""
    shipped = checkpoints.SHIPPED_DIR
    out = {f"shipped:{i.name}": i for i in _list_checkpoints(str(shipped), _folder_state(shipped))}
    user_dir = user_checkpoint_dir()
    if user_dir.resolve() != shipped.resolve():
        out.update({f"user:{i.name}": i for i in _list_checkpoints(str(user_dir), _folder_state(user_dir))})
    return out


def skipped_note(infos) -> str | None:
    """A sentence for a page (markdown-safe) naming the listed checkpoint files that cannot be used, or None.
    Each one's reason is ``ui.i18n.tm(info.problem, md=True)``."""
    bad = checkpoints.skipped(list(infos))
    if not bad:
        return None
    return t("ckpt.skipped", n=len(bad), names=", ".join(md_escape(i.path.name) for i in bad))


def user_checkpoint_dir() -> Path:
    """Where users' own checkpoints are saved (``CNNVIZ_USER_CHECKPOINTS``, default ``checkpoints/user``)."""
    return settings.read_settings().user_checkpoints


_MD_SPECIAL = frozenset(string.punctuation)   # CommonMark lets a backslash escape any ASCII punctuation
# Streamlit's markdown (remark-gfm) turns bare "www.x.y", "http://…" and "a@b.c" into links after escapes are
# resolved, so an invisible WORD JOINER (U+2060) also goes before every "." and "@" and after every ":".
_NO_AUTOLINK = {".": "\u2060\\.", "@": "\u2060\\@", ":": "\\:\u2060"}


def md_escape(text: object) -> str:
    """``text`` from a file or a user (a checkpoint's class names or file name, an upload's name) made safe
    to put inside markdown: every ASCII punctuation character (all that markdown, HTML, Streamlit's
    ``:color[…]`` directives or LaTeX could act on) is backslash-escaped, and line breaks and other control
    characters become spaces, so a crafted name shows as itself and never loads an image, adds a link,
    starts a block or renders a formula (bare URLs included: see ``_NO_AUTOLINK``)."""
    out = []
    for c in str(text):
        if c in _NO_AUTOLINK:
            out.append(_NO_AUTOLINK[c])
        elif c in _MD_SPECIAL:
            out.append("\\" + c)
        elif unicodedata.category(c)[0] == "C":
            out.append(" ")
        else:
            out.append(c)
    return "".join(out)
