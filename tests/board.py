"""AppTest helpers: what the live board (a components-v2 element AppTest cannot read itself) shows.

The board gets its metrics and charts as JSON; these read that JSON from the element's proto.
"""
from __future__ import annotations

import json

from streamlit.testing.v1.element_tree import UnknownElement


def boards(at) -> list[dict]:
    """The data of every live board on the page, in page order."""
    found: list[dict] = []

    def walk(node) -> None:
        for child in getattr(node, "children", {}).values():
            if isinstance(child, UnknownElement) and child.type == "bidi_component":
                found.append(json.loads(child.proto.json))
            walk(child)

    walk(at._tree.main)
    return found


def metrics(at) -> dict[str, str]:
    """{label: value} of the metrics the page shows: the board's row, or Streamlit metrics."""
    shown = {m["label"]: m["value"] for board in boards(at) for m in board.get("metrics", [])}
    shown.update({m.label: m.value for m in at.metric})
    return shown


def metric(at, label: str) -> str:
    """The value shown under `label` (KeyError if the page shows no such metric)."""
    return metrics(at)[label]


def table(at) -> dict[str, list[str]]:
    """{column: cells} of the table under the board (a compare's figures), or of the dataframe
    drawn instead where the board falls back to Streamlit's elements."""
    for board in boards(at):
        if board.get("table"):
            return board["table"]
    frame = at.dataframe[0].value
    return {column: [str(v) for v in frame[column]] for column in frame.columns}
