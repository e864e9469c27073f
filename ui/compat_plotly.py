"""The one use of a private plotly/Streamlit behaviour on the feature-map page: sending a figure dict that
is already valid without validating it again.

Why: ``st.plotly_chart`` validates a plain dict by building a ``go.Figure`` from it and converting it back
(``plotly.tools.return_figure_from_figure_or_data(..., validate_figure=True)``).  For the page's six or
so figures that is ~55 ms of a DenseNet page rerun (measured under load on the 2-core dev machine: 57 ms
for six typical specs, against 1.2 ms to serialize them; the page's target is 150 ms).  The page's figure
dicts come from the ``*_spec`` builders of :mod:`cnnviz.figures`, which ``tests/test_feature_map_figures.py``
validates with ``go.Figure``.

How (private): plotly treats any ``BaseFigure`` as validated and calls its ``to_dict()``; an object of a
``go.Figure`` subclass made with ``object.__new__`` (no ``__init__``, hence no validation) whose
``to_dict`` returns the dict passes straight through.  ``tests/test_feature_map_figures.py`` checks that
it still does with the installed versions; if a plotly or Streamlit upgrade breaks it, replace
:func:`prevalidated_figure` by ``go.Figure(spec)``.
"""

from __future__ import annotations

import plotly.graph_objects as go

TESTED_WITH = {"plotly": "7.1", "streamlit": "1.67"}   # the versions the test below was last run with


class _SpecFigure(go.Figure):
    """A figure dict dressed as a validated figure: only :meth:`to_dict` may be used."""

    def to_dict(self):
        return self.__dict__["_spec"]


def prevalidated_figure(spec: dict) -> go.Figure:
    """``spec`` (a valid plotly figure dict) as an object ``st.plotly_chart`` sends as it is."""
    fig = object.__new__(_SpecFigure)
    object.__setattr__(fig, "_spec", spec)
    return fig
