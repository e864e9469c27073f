"""Texts for people as data: a message key plus its arguments, translated where it is shown.

The library never hands English prose to a page.  Whatever a person should read (an error, a stop or
failure reason, a note, a layer's description, a class name) travels as a :class:`Msg`, or as an error
that carries one (:class:`MessageError` and its subclasses).  A page translates it with
``ui.i18n.tm(msg)``; the CLI and logs print :meth:`Msg.english`.

An argument may itself be a :class:`Msg` (a reason inside a sentence); it is translated into the same
language before the outer template is filled in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Msg:
    """A translation key (see :mod:`cnnviz.i18n` and :mod:`cnnviz.texts`) and its ``str.format`` arguments."""

    key: str
    args: dict[str, Any] = field(default_factory=dict)

    def render(self, lang: str) -> str:
        """The text in ``lang`` (``"en"`` or ``"zh"``), nested messages included."""
        from . import i18n

        args = {k: (v.render(lang) if isinstance(v, Msg) else v) for k, v in self.args.items()}
        return i18n.template(self.key, lang).format(**args)   # any argument name, "lang" too

    def english(self) -> str:
        """The English text, for the CLI, logs and exception messages."""
        return self.render("en")

    def __str__(self) -> str:
        return self.english()


def msg(key: str, **args: Any) -> Msg:
    """``msg("kern.error.stride", value=0)``: shorthand for :class:`Msg`."""
    return Msg(key, args)


class MessageError(ValueError):
    """An error whose text for a person is :attr:`message` (a :class:`Msg`); ``str(err)`` is its English.

    Subclasses (``KernelError``, ``CheckpointError``, …) keep their own names so callers can catch what
    they expect; each is raised as ``SomeError("key", arg=value)`` or ``SomeError(Msg(...))``.
    """

    def __init__(self, key: str | Msg, **args: Any) -> None:
        self.message = key if isinstance(key, Msg) else Msg(key, args)
        super().__init__(self.message.key)

    @property
    def key(self) -> str:
        return self.message.key

    @property
    def args_dict(self) -> dict[str, Any]:
        return self.message.args

    def __str__(self) -> str:
        return self.message.english()
