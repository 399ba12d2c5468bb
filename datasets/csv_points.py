"""The user's own 2-D points from a CSV file, checked row by row with spreadsheet-style row numbers.

Required header: x1, x2 and either label (classification) or target
(regression); other columns are ignored and names are case-insensitive.
Row numbers count the header as row 1, so they match what a spreadsheet shows.
"""

from __future__ import annotations

import csv
import io
import math
import re
from typing import BinaryIO

import numpy as np

from .base import DatasetError

MIN_ROWS = 4
MAX_ROWS = 20_000
# Bytes read at most: 500 per row of MAX_ROWS, ample for x1,x2,label plus ignored columns. A
# larger file is refused before it is parsed (34 MB of rows once took 17 s and 800 MB).
MAX_BYTES = 10 * 2**20  # 10 MB, as the upload widget counts them
MAX_CLASSES = 10
FLOAT32_MAX = float(np.finfo(np.float32).max)
MAX_REPORTED = 5  # bad rows listed in one message; more would bury the first one


def _decode(data: bytes | str | BinaryIO) -> str:
    """Bytes to text: UTF-8 (with or without BOM), falling back to Latin-1 as old Excel exports are.

    A file is read up to MAX_BYTES (and one byte more, to know it is larger); larger is refused.
    """
    if not isinstance(data, (bytes, str)):
        data = data.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise DatasetError(f"the CSV file is larger than {MAX_BYTES / 2**20:g} MB; at most {MAX_ROWS:,} rows "
                           "of points are used, which fit in far less")
    if isinstance(data, str):
        return data.lstrip("\ufeff")
    if b"\x00" in data:
        raise DatasetError("this does not look like a CSV text file (it contains binary data); save it as CSV")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _show(value: str) -> str:
    """Quote a cell for a message, shortened so a stray paragraph does not flood the UI."""
    return repr(value if len(value) <= 20 else value[:17] + "...")


def _number(cell: str, column: str) -> tuple[float | None, str | None]:
    """Parse one numeric cell; returns (value, None) or (None, problem)."""
    text = cell.strip()
    if not text:
        return None, f"{column} is empty"
    try:
        value = float(text)
    except ValueError:
        return None, f"{column} is {_show(text)}, not a number"
    if not math.isfinite(value):
        return None, f"{column} is {_show(text)}, not a finite number"
    if abs(value) > FLOAT32_MAX:  # would turn into inf in the float32 arrays we return
        return None, f"{column} is {_show(text)}, too large"
    return value, None


def _class_indices(labels: list[str]) -> np.ndarray:
    """Map label values to 0..k-1 in sorted order (numeric order when all are numbers, so -1/+1 -> 0/1)."""
    distinct = sorted(set(labels))
    try:
        numeric = {s: float(s) for s in distinct}
        if not all(math.isfinite(v) for v in numeric.values()):
            raise ValueError
    except ValueError:
        numeric = None
    # "1" and "1.0" are one class when labels are numbers
    keys = numeric if numeric is not None else {s: s for s in distinct}
    order = sorted(set(keys.values()))
    shown = {keys[s]: s for s in distinct}
    if len(order) > MAX_CLASSES:
        examples = ", ".join(_show(shown[k]) for k in order[:5])
        raise DatasetError(
            f"label has {len(order)} different values ({examples}, ...); at most {MAX_CLASSES} classes are allowed. "
            "For a numeric output, name the column 'target' instead."
        )
    if len(order) < 2:
        raise DatasetError(f"label has only one value ({_show(labels[0])}); classification needs at least 2 classes")
    index = {k: i for i, k in enumerate(order)}
    return np.array([index[keys[s]] for s in labels], dtype=np.int64)


def load_points_csv(data: bytes | str | BinaryIO) -> tuple[np.ndarray, np.ndarray, str]:
    """Parse CSV content (or a binary file) into X float32 (n, 2), y (int64 classes or float32 targets)
    and the task name. Bounded: at most MAX_BYTES are read and parsing stops past MAX_ROWS rows."""
    text = _decode(data)
    first = re.search(r"[^\r\n]+", text)
    if first is None or not text.strip():
        raise DatasetError("the CSV file is empty")
    first_line = first.group()
    # European spreadsheets save with ';' and some tools with tabs
    delimiter = next((d for d in ",;\t" if d in first_line), ",")
    # strict, so a stray quote is reported instead of silently swallowing the rest of the file
    rows = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)

    header: list[str] | None = None
    body: list[tuple[int, list[str]]] = []
    while True:
        start = rows.line_num + 1  # a quoted cell may span lines; blame the line the record starts on
        try:
            row = next(rows)
        except StopIteration:
            break
        except csv.Error as e:
            reason = "a quote (\") is never closed" if "end of data" in str(e) else str(e)
            raise DatasetError(f"row {start}: {reason}") from None
        if not any(cell.strip() for cell in row):
            continue  # blank lines are harmless; the row numbers still count them
        if header is None:
            header = row
        else:
            body.append((start, row))
            if len(body) > MAX_ROWS:  # stop reading here: the rest is never parsed
                raise DatasetError(f"the CSV has more than {MAX_ROWS:,} data rows (row {start:,} is one too many); "
                                   f"at most {MAX_ROWS:,} are allowed")
    if header is None:  # only separators, e.g. ",,,"
        raise DatasetError("the CSV file is empty")

    names = [h.strip().lower() for h in header]
    target_col = "label" if "label" in names else "target"
    if "x1" not in names or "x2" not in names or target_col not in names:
        found = ", ".join(h.strip() for h in header) or "nothing"
        hint = ""
        if all(_number(h, "")[1] is None for h in header):
            hint = " (the first row must be a header such as: x1,x2,label)"
        raise DatasetError(f"the CSV needs columns x1, x2 and label or target; found: {found}{hint}")
    if "label" in names and "target" in names:
        raise DatasetError("the CSV has both a label and a target column; keep label for classes or target for numbers")
    for name in ("x1", "x2", target_col):
        if names.count(name) > 1:
            raise DatasetError(f"the CSV has more than one {name} column")
    task = "classification" if target_col == "label" else "regression"

    if len(body) < MIN_ROWS:
        raise DatasetError(f"the CSV has {len(body)} data row(s); at least {MIN_ROWS} are needed")

    cols = {name: names.index(name) for name in ("x1", "x2", target_col)}
    X = np.empty((len(body), 2), dtype=np.float64)
    targets = np.empty(len(body), dtype=np.float64)
    labels: list[str] = []
    bad: list[str] = []
    for i, (line, row) in enumerate(body):
        problems = []
        for j, name in enumerate(("x1", "x2")):
            cell = row[cols[name]] if cols[name] < len(row) else None
            if cell is None:
                problems.append(f"{name} is missing")
                continue
            value, problem = _number(cell, name)
            if problem:
                problems.append(problem)
            else:
                X[i, j] = value
        cell = row[cols[target_col]] if cols[target_col] < len(row) else None
        if cell is None:
            problems.append(f"{target_col} is missing")
        elif task == "classification":
            if not cell.strip():
                problems.append("label is empty")
            labels.append(cell.strip())
        else:
            value, problem = _number(cell, "target")
            if problem:
                problems.append(problem)
            else:
                targets[i] = value
        if problems:
            bad.append(f"row {line}: " + "; ".join(problems))

    if bad:
        shown = "\n".join(bad[:MAX_REPORTED])
        more = f"\n... and {len(bad) - MAX_REPORTED} more bad row(s)" if len(bad) > MAX_REPORTED else ""
        lead = "" if len(bad) == 1 else f"{len(bad)} rows have bad values:\n"
        raise DatasetError(f"{lead}{shown}{more}")

    if task == "classification":
        return X.astype(np.float32), _class_indices(labels), task
    return X.astype(np.float32), targets.astype(np.float32), task
