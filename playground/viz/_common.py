"""Layout defaults and small numeric helpers shared by the view modules (private)."""

from __future__ import annotations

import contextlib
import contextvars
import functools
import json
import os
import math
import re
from typing import Any, Iterable

import numpy as np

# Validate figures as plotly.py normally does (slow); the tests switch it on, the app does not.
VALIDATE = os.environ.get("PLAYGROUND_VALIDATE_FIGURES") == "1"
import plotly.graph_objects as go
import plotly.io as pio

# One constant for every figure: Streamlit re-creates figures on each live
# refresh, and a stable uirevision tells plotly.js to keep the user's zoom/legend state.
UIREVISION = "neural-playground"

# The page's own font and text colour (Streamlit's), so the live board's charts, which plotly.js
# draws without Streamlit's chart theme, read like the rest of the app.
FONT = dict(family='"Source Sans", "Source Sans Pro", Inter, "Segoe UI", Helvetica, Arial, sans-serif',
            size=12, color="#31333F")

# Margins. Streamlit mounts a new chart (Plotly.newPlot) for every changed figure, i.e. on
# every live frame. When a margin is too small for what sits in it (tick labels, axis
# titles, a colour bar, a wrapped legend), plotly.js's automargin grows it and draws the
# whole figure again: two or three full draws per frame. So each live figure reserves the
# margins its decorations need as the app shows them (Streamlit's plotly theme, headless
# Chromium's fonts, windows 1280-1920 px wide; measured, plus 2 px), which are the margins
# automargin used to end up with. Automargin stays on as the safety net for unusual labels
# or narrow windows. Colour bars sit a fixed pixel gap right of the plot (x=1, xpad) rather
# than plotly's default 2 % of the width, so the margin they need is width-independent.
CB_XPAD = 10  # px between the plot area and a colour bar (plotly's default xpad)


@functools.lru_cache(maxsize=1)
def _template_json() -> str:
    """plotly_white as JSON, serialised once."""
    return json.dumps(pio.templates["plotly_white"].to_plotly_json())


def _apply_template(fig: go.Figure) -> None:
    """Set the registered plotly_white template without re-validating it.

    Validating a template costs ~7 ms per figure (more than building most of these
    figures), and live refreshes build several per frame. plotly.py itself assigns its
    default template the same way; fall back to the public path if internals change.
    """
    layout = getattr(fig, "_layout_obj", None)
    if layout is None or not hasattr(layout, "_validate"):
        fig.update_layout(template="plotly_white")
        return
    previous = layout._validate
    layout._validate = False
    try:
        # A fresh plain dict: assigning the Template object itself deep-copies it (~2 ms).
        layout.template = json.loads(_template_json())
    finally:
        layout._validate = previous


_PLAIN: contextvars.ContextVar[bool] = contextvars.ContextVar("plain_figures", default=False)


@contextlib.contextmanager
def plain_figures():
    """Inside this block make_figure returns the plain figure {"data": [...], "layout": {...}}
    instead of a go.Figure, for a caller that only serialises it (a compare's runs: the Figure's
    construction deep-copies every trace and the template, half of such a frame's time). Its
    dicts are the view function's own and the template is shared: change a figure by replacing
    its top-level keys, never by mutating what they hold. With PLAYGROUND_VALIDATE_FIGURES=1 the
    figures are still go.Figures, validated."""
    token = _PLAIN.set(True)
    try:
        yield
    finally:
        _PLAIN.reset(token)


def figure_json(figure: go.Figure | dict) -> str:
    """A figure as plotly.js reads it (no validation), serialised by orjson through plotly: the
    same JSON as plotly's default encoder (HTML-safe too), in a third of the time (4.8 -> 1.6 ms
    a frame of a 4-run compare's nine charts, measured) on the server's thread, four times a second."""
    return pio.to_json(figure, validate=False, engine="orjson")


def plain(figure: go.Figure | dict) -> dict:
    """A plain figure (as plain_figures makes them), its top-level dicts new. From a go.Figure
    (the tests validate figures): its own dicts, not copied as to_plotly_json does (2 ms a chart)."""
    if isinstance(figure, dict):
        return {"data": list(figure["data"]), "layout": dict(figure["layout"])}
    return {"data": list(figure._data), "layout": dict(figure._layout)}


def restyled(figure: go.Figure | dict, layout: dict, axis_titles: bool = True, title: bool = False) -> dict:
    """A plain copy of `figure` (see `plain`) with `layout` over its own, untitled unless `title`
    (and, unless `axis_titles`, without its axes' titles)."""
    out = plain(figure)
    out["layout"].update(layout)
    if not title:
        out["layout"].pop("title", None)
    if not axis_titles:
        for axis in ("xaxis", "yaxis"):
            if axis in out["layout"]:
                out["layout"][axis] = {k: v for k, v in dict(out["layout"][axis]).items() if k != "title"}
    return out


@functools.lru_cache(maxsize=1)
def _template() -> dict:
    """plotly_white as a plain dict, parsed once (shared by the plain figures: never mutated)."""
    return json.loads(_template_json())


# What the live board gets in place of the template every figure here carries (plotly_white):
# its JavaScript holds that template (live_board.py), 7 KB of each chart's every frame otherwise.
TEMPLATE_MARK = "playground:shared-template"


def shared_template_json() -> str:
    """The template every figure here carries (plotly_white), as JSON."""
    return _template_json()


def board_json(figure: go.Figure | dict) -> str:
    """`figure_json` of the figure as the live board gets it: the shared template as TEMPLATE_MARK,
    any other template as it is. (to_plotly_json, as plotly's to_json did: it keeps numpy arrays
    typed.)"""
    fig = figure if isinstance(figure, dict) else figure.to_plotly_json()
    layout = fig.get("layout") or {}
    if layout.get("template") == _template():
        fig = {**fig, "layout": {**layout, "template": TEMPLATE_MARK}}
    return figure_json(fig)


def make_figure(
    data: list,
    layout: dict[str, Any] | None = None,
    title: str | None = None,
    height: int | None = None,
    margin: dict[str, int] | None = None,
) -> go.Figure | dict:
    """Build a figure in one validation pass with the shared look (template, margins, uirevision).

    Traces and layout are plain dicts: constructing once is ~3× faster than
    add_trace/update_layout calls, which matters at several figures per live frame.
    """
    m = dict(l=48, r=12, t=40 if title else 16, b=40)
    if margin:
        m.update(margin)
    base: dict[str, Any] = dict(
        # Transparent paper so the figure sits on whatever page theme hosts it.
        paper_bgcolor="rgba(0,0,0,0)",
        margin=m,
        font=FONT,
        uirevision=UIREVISION,
        hoverlabel=dict(font=dict(size=12)),
    )
    if title:
        base["title"] = dict(text=title, x=0.0, xanchor="left", y=1.0, yanchor="top",
                             pad=dict(t=8, l=4), font=dict(size=14))
    if height is not None:
        base["height"] = int(height)
    base.update(layout or {})
    if _PLAIN.get() and not VALIDATE:
        return {"data": data, "layout": {**base, "template": _template()}}  # see plain_figures
    if not VALIDATE:
        # The live path: plotly.py's property validation was ~45 % of the server's frame time.
        # The tests build every figure validated (PLAYGROUND_VALIDATE_FIGURES=1), so a wrong
        # property still fails there.
        fig = go.Figure(dict(data=data, layout={**base, "template": json.loads(_template_json())}),
                        _validate=False)
        return fig
    data, colour_lists = _split_colour_lists(data)
    fig = go.Figure(data=data, layout=base)
    _apply_template(fig)
    for i, colours in colour_lists:
        _set_unvalidated(fig.data[i].marker, "color", colours)
    return fig


_HEX_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")


def _split_colour_lists(data: list) -> tuple[list, list[tuple[int, list[str]]]]:
    """Take long per-point lists of '#rrggbb' marker colours out of the trace dicts.

    plotly.py validates such a list one colour at a time (~11 µs each: ~3 ms for a
    250-point scatter, several per live frame); these are checked here with one regex
    each and set afterwards without plotly's validation. Input dicts are not modified.
    """
    out, lists = [], []
    for i, trace in enumerate(data):
        marker = trace.get("marker") if isinstance(trace, dict) else None
        colours = marker.get("color") if isinstance(marker, dict) else None
        if (isinstance(colours, (list, tuple)) and len(colours) > 16
                and all(isinstance(c, str) and _HEX_COLOUR.fullmatch(c) for c in colours)):
            trace = dict(trace, marker={k: v for k, v in marker.items() if k != "color"})
            lists.append((i, list(colours)))
        out.append(trace)
    return out, lists


def _set_unvalidated(obj: Any, prop: str, value: Any) -> None:
    """obj[prop] = value without plotly.py's validation (value already checked)."""
    if not hasattr(obj, "_validate"):
        obj[prop] = value
        return
    previous = obj._validate
    obj._validate = False
    try:
        obj[prop] = value
    finally:
        obj._validate = previous


def empty_figure(message: str, title: str | None = None, height: int = 240) -> go.Figure:
    """A blank, labelled figure for 'nothing to show yet' states."""
    note = dict(text=message, x=0.5, y=0.5, xref="paper", yref="paper", showarrow=False,
                font=dict(size=13, color="#777"))
    return make_figure([], dict(annotations=[note], xaxis=dict(visible=False),
                                yaxis=dict(visible=False)), title=title, height=height)


def to_float_list(values: Iterable[Any]) -> list[float | None]:
    """Floats with None for missing / non-finite entries (plotly draws gaps for None)."""
    out: list[float | None] = []
    for v in values:
        try:
            f = float(v)
        except (TypeError, ValueError):
            out.append(None)
            continue
        out.append(f if math.isfinite(f) else None)
    return out


def finite_abs_max(*arrays: Any, default: float = 1.0) -> float:
    """Largest finite |value| over the arrays; `default` if there is none or it is 0."""
    best = 0.0
    for a in arrays:
        if a is None:
            continue
        arr = np.asarray(a, dtype=float)
        arr = arr[np.isfinite(arr)]
        if arr.size:
            best = max(best, float(np.abs(arr).max()))
    return best if best > 0 else default


def fmt(v: float | None, digits: int = 3) -> str:
    """Compact number for hover/labels ('nan' for missing)."""
    if v is None or not math.isfinite(v):
        return "nan" if v is None or math.isnan(v) else ("inf" if v > 0 else "-inf")
    if v != 0 and (abs(v) >= 1e4 or abs(v) < 1e-3):
        return f"{v:.{max(digits - 1, 1)}e}"
    return f"{v:.{digits}g}"
