"""The lecture tour: a guided sequence of views (a page plus its choices) with a short text in each language.

A lecturer edits the tour as a TOML file (``tour.toml`` at the project root by default; ``CNNVIZ_TOUR``
names another).  :func:`load_tour` reads and validates it: a bad file raises :class:`TourError`, whose
message names the step and the field, so the page can say exactly what to fix.

One step::

    [[step]]
    page = "kernels"                       # one of PAGES
    params = { kernels_preset = "sobel_x" } # widget keys of that page and their values (optional)
    title.en = "Edges"   title.zh = "边缘"
    text.en = "..."      text.zh = "..."
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from .messages import MessageError

PAGES = ("home", "kernels", "pooling", "training", "feature-maps", "your-data")   # the router's url paths ("home" is /)
LANGS = ("en", "zh")
MAX_STEPS = 40
MAX_BYTES = 64_000
MAX_TITLE = 120
MAX_TEXT = 1200
MAX_PARAMS = 12
_PARAM_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
DEFAULT_PATH = Path(__file__).resolve().parents[1] / "tour.toml"


class TourError(MessageError):
    """The tour file cannot be used; the message names the step (1-based) and what is wrong."""


@dataclass(frozen=True)
class Step:
    page: str
    params: dict[str, str]
    title: dict[str, str]
    text: dict[str, str]

    def query_params(self, number: int) -> dict[str, str]:
        """The URL's query parameters for this step: its choices plus ``tour`` = its 1-based number."""
        return {**self.params, "tour": str(number)}


def _texts(raw: dict, field: str, number: int, limit: int) -> dict[str, str]:
    value = raw.get(field)
    if not isinstance(value, dict):
        raise TourError("tour.error.texts", step=number, field=field)
    out = {}
    for lang in LANGS:
        text = value.get(lang)
        if not isinstance(text, str) or not text.strip():
            raise TourError("tour.error.text_missing", step=number, field=field, lang=lang)
        if len(text) > limit:
            raise TourError("tour.error.text_long", step=number, field=field, lang=lang, limit=limit)
        out[lang] = text.strip()
    return out


def _params(raw: dict, number: int) -> dict[str, str]:
    params = raw.get("params", {})
    if not isinstance(params, dict) or len(params) > MAX_PARAMS:
        raise TourError("tour.error.params", step=number, limit=MAX_PARAMS)
    out = {}
    for name, value in params.items():
        if not _PARAM_NAME.match(name) or name == "tour":
            raise TourError("tour.error.param_name", step=number, name=name[:40])
        if isinstance(value, bool):
            value = "true" if value else "false"
        if not isinstance(value, (str, int, float)) or len(str(value)) > 80:
            raise TourError("tour.error.param_value", step=number, name=name)
        out[name] = str(value)
    return out


def parse_step(raw: object, number: int) -> Step:
    """One ``[[step]]`` table, checked; ``number`` is its 1-based position, for the messages."""
    if not isinstance(raw, dict):
        raise TourError("tour.error.not_table", step=number)
    unknown = sorted(set(raw) - {"page", "params", "title", "text"})
    if unknown:
        raise TourError("tour.error.unknown_field", step=number, field=str(unknown[0])[:40])
    page = raw.get("page")
    if page not in PAGES:
        raise TourError("tour.error.page", step=number, page=str(page)[:40], pages=", ".join(PAGES))
    return Step(page, _params(raw, number), _texts(raw, "title", number, MAX_TITLE),
                _texts(raw, "text", number, MAX_TEXT))


def parse_tour(text: str) -> list[Step]:
    """The steps of a tour given as TOML text (see the module docstring)."""
    if len(text.encode("utf-8")) > MAX_BYTES:
        raise TourError("tour.error.too_big", limit=MAX_BYTES // 1000)
    try:
        doc = tomllib.loads(text)
    except (tomllib.TOMLDecodeError, RecursionError) as err:
        raise TourError("tour.error.syntax", detail=str(err)[:200]) from None
    steps = doc.get("step")
    if not isinstance(steps, list) or not steps:
        raise TourError("tour.error.no_steps")
    if len(steps) > MAX_STEPS:
        raise TourError("tour.error.too_many", limit=MAX_STEPS)
    return [parse_step(raw, i + 1) for i, raw in enumerate(steps)]


def load_tour(path: Path | str | None = None) -> list[Step]:
    """The tour in ``path`` (default :data:`DEFAULT_PATH`), validated."""
    path = Path(path or DEFAULT_PATH)
    try:
        return parse_tour(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError):
        raise TourError("tour.error.unreadable", name=path.name) from None
