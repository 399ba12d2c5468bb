"""Sequence tasks for recurrent networks: memory, counting, forecasting and text.

Every generator has the one signature `generate(n, noise, rng, length=T, ...) -> (X, y)`:

- token sets (`recall`, `brackets`, `text`) return X as int64 token ids (n, T) into the set's
  vocabulary (its `VOCAB`); the engine one-hot encodes them;
- value sets (`adding`, `forecast`) return X as float32 (n, T, features).

y is (n,) for a task read off the last step (recall, adding, brackets) and (n, T) for one
predicted at every step (forecast: the next value; text: the next character). Pure NumPy,
deterministic from the `rng` passed in; no torch, no UI.
"""

from __future__ import annotations

import csv
import io
import math

import numpy as np

from .base import DatasetError, checked

MIN_LENGTH, MAX_LENGTH = 5, 200
DEFAULT_LENGTH = 20

# recall: k keys, distractors and the query mark
RECALL_KEYS = ("A", "B", "C", "D")
RECALL_DISTRACTORS = ("w", "x", "y", "z")
RECALL_VOCAB = RECALL_KEYS + RECALL_DISTRACTORS + ("?",)
# brackets: two kinds, and a blank that pads an odd length at the start
BRACKETS_VOCAB = ("(", ")", "[", "]", "·")
PAIRS = {")": "(", "]": "["}
# text: a toy grammar of sentences (lower-case letters, space and full stop)
TEXT_VOCAB = tuple(" .abcdefghijklmnopqrstuvwxyz")
MAX_TEXT_BYTES = 200_000       # an uploaded text larger than this is refused (a live demo, not a corpus)
MIN_TEXT_CHARS = 50
MAX_TEXT_SYMBOLS = 96          # distinct characters an uploaded text may use
MAX_SERIES_ROWS = 100_000


def check_length(length: int) -> int:
    """The sequence length as an int in [MIN_LENGTH, MAX_LENGTH], or DatasetError."""
    if isinstance(length, bool) or not isinstance(length, (int, np.integer)) or \
            not MIN_LENGTH <= length <= MAX_LENGTH:
        raise DatasetError(f"the sequence length must be a whole number from {MIN_LENGTH} to {MAX_LENGTH}, "
                           f"not {length!r}")
    return int(length)


# -- recall ---------------------------------------------------------------------------------

@checked
def recall(n: int, noise: float, rng: np.random.Generator, length: int = DEFAULT_LENGTH) -> tuple[np.ndarray, np.ndarray]:
    """A key symbol at step 1, T - 2 distractors, then '?': the label is the key (chance 1/4).

    With noise p, each distractor is replaced by a random key with probability p (the network
    must still answer the *first* symbol, not the latest key it saw).
    """
    T = check_length(length)
    k, d = len(RECALL_KEYS), len(RECALL_DISTRACTORS)
    y = rng.integers(0, k, size=n)
    X = np.empty((n, T), dtype=np.int64)
    X[:, 0] = y
    X[:, 1:-1] = k + rng.integers(0, d, size=(n, T - 2))
    if noise > 0:
        confuse = rng.random((n, T - 2)) < min(noise, 1.0)
        X[:, 1:-1] = np.where(confuse, rng.integers(0, k, size=(n, T - 2)), X[:, 1:-1])
    X[:, -1] = len(RECALL_VOCAB) - 1
    return X, y.astype(np.int64)


# -- adding -----------------------------------------------------------------------------------

@checked
def adding(n: int, noise: float, rng: np.random.Generator, length: int = DEFAULT_LENGTH) -> tuple[np.ndarray, np.ndarray]:
    """Hochreiter & Schmidhuber's adding problem: T pairs (value in [0, 1], marker in {0, 1}).

    One marker in the first half, one in the second; the target is the sum of the two marked
    values (plus N(0, noise)). Predicting 1 everywhere scores an MSE of about 1/6.
    """
    T = check_length(length)
    values = rng.random((n, T))
    first = rng.integers(0, T // 2, size=n)
    second = rng.integers(T // 2, T, size=n)
    markers = np.zeros((n, T))
    rows = np.arange(n)
    markers[rows, first] = 1.0
    markers[rows, second] = 1.0
    X = np.stack([values, markers], axis=2).astype(np.float32)
    y = X[rows, first, 0].astype(np.float64) + X[rows, second, 0]
    if noise > 0:
        y = y + rng.normal(0.0, noise, size=n)
    return X, y.astype(np.float32)


# -- brackets ---------------------------------------------------------------------------------

def balanced(tokens: list[str] | str) -> bool:
    """The stack check: every closer matches the latest open bracket, none left open (blanks skipped)."""
    stack: list[str] = []
    for t in tokens:
        if t in PAIRS.values():
            stack.append(t)
        elif t in PAIRS:
            if not stack or stack.pop() != PAIRS[t]:
                return False
    return not stack


def _balanced_string(m: int, rng: np.random.Generator) -> list[str]:
    """A random balanced string of m pairs of two kinds (nesting depth drawn as it goes)."""
    out: list[str] = []
    stack: list[str] = []
    opened = 0
    while len(out) < 2 * m:
        can_open = opened < m
        if can_open and (not stack or rng.random() < 0.5):
            b = "(" if rng.random() < 0.5 else "["
            stack.append(b)
            out.append(b)
            opened += 1
        else:
            out.append(")" if stack.pop() == "(" else "]")
    return out


def _corrupt(s: list[str], rng: np.random.Generator) -> list[str]:
    """One small change that usually unbalances: flip a bracket's kind, its direction, or swap two."""
    s = list(s)
    i = int(rng.integers(len(s)))
    how = rng.integers(3)
    if how == 0:
        s[i] = {"(": "[", "[": "(", ")": "]", "]": ")"}[s[i]]
    elif how == 1:
        s[i] = {"(": ")", ")": "(", "[": "]", "]": "["}[s[i]]
    else:
        j = int(rng.integers(len(s)))
        s[i], s[j] = s[j], s[i]
    return s


@checked
def brackets(n: int, noise: float, rng: np.random.Generator, length: int = DEFAULT_LENGTH) -> tuple[np.ndarray, np.ndarray]:
    """Strings of ( ) [ ]: balanced (label 1) or not (label 0), by the stack check.

    Half are balanced strings, half are balanced strings with one small change; the label is
    always the stack check's verdict. An odd length gets one blank '·' at the start. With
    noise p, a fraction p of the labels is flipped.
    """
    T = check_length(length)
    m = T // 2
    index = {t: i for i, t in enumerate(BRACKETS_VOCAB)}
    X = np.full((n, T), index["·"], dtype=np.int64)
    y = np.empty(n, dtype=np.int64)
    for r in range(n):
        s = _balanced_string(m, rng)
        if r % 2:
            s = _corrupt(s, rng)
        X[r, T - 2 * m:] = [index[t] for t in s]
        y[r] = balanced(s)
    if noise > 0:
        flip = rng.random(n) < min(noise, 1.0)
        y = np.where(flip, 1 - y, y)
    order = rng.permutation(n)  # the corrupted rows were every other one
    return X[order], y[order]


# -- forecast -----------------------------------------------------------------------------------

SINES = ((1.0, 0.11), (0.5, 0.29), (0.3, 0.53))  # (amplitude, radians per step)


def sum_of_sines(steps: int, rng: np.random.Generator) -> np.ndarray:
    """A clean series of `steps` values: three sines of fixed frequencies and random phases."""
    t = np.arange(steps)
    phases = rng.uniform(0, 2 * math.pi, size=len(SINES))
    return sum(a * np.sin(w * t + p) for (a, w), p in zip(SINES, phases)) / 1.8


def windows(series: np.ndarray, n: int, T: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """n windows of T values (n, T, 1) from random places of `series`, each with the next value at every step (n, T)."""
    series = np.asarray(series, dtype=np.float64)
    if len(series) < T + 1:
        raise DatasetError(f"the series has {len(series)} values; a window of length {T} needs at least {T + 1}")
    starts = rng.integers(0, len(series) - T, size=n)
    idx = starts[:, None] + np.arange(T + 1)[None, :]
    w = series[idx]
    return w[:, :T, None].astype(np.float32), w[:, 1:].astype(np.float32)


@checked
def forecast(n: int, noise: float, rng: np.random.Generator, length: int = DEFAULT_LENGTH,
             series: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Windows of a noisy sum of sines (or of `series`, e.g. a CSV column); y is the next value at every step.

    The noise N(0, noise) is added to the series itself, so inputs and targets share it.
    """
    T = check_length(length)
    if series is None:
        series = sum_of_sines(max(2000, 4 * T), rng)
    series = np.asarray(series, dtype=np.float64)
    if noise > 0:
        series = series + rng.normal(0.0, noise, size=series.shape)
    return windows(series, n, T, rng)


def load_series_csv(data: bytes | str) -> np.ndarray:
    """One numeric column (the first; a header row is optional) as a float array; errors name the row."""
    from .csv_points import _decode, _number

    text = _decode(data)
    values: list[float] = []
    rows = list(csv.reader(io.StringIO(text)))
    if not rows:
        raise DatasetError("the CSV file is empty")
    start = 0
    try:
        float(rows[0][0]) if rows[0] else None
    except ValueError:
        start = 1  # a header
    for r, row in enumerate(rows[start:], start=start + 1):
        if not row or not "".join(row).strip():
            continue
        value, problem = _number(row[0], "the value")
        if problem:
            raise DatasetError(f"row {r}: {problem}")
        values.append(value)
        if len(values) > MAX_SERIES_ROWS:
            raise DatasetError(f"the series has more than {MAX_SERIES_ROWS:,} values; shorten it")
    if len(values) < MIN_LENGTH + 1:
        raise DatasetError(f"the series needs at least {MIN_LENGTH + 1} values, it has {len(values)}")
    series = np.asarray(values)
    scale = series.std() or 1.0
    return (series - series.mean()) / scale  # standardised: the network sees values near [-2, 2]


# -- text -----------------------------------------------------------------------------------------

_SUBJECTS = ("the cat", "a dog", "the bird", "my friend", "a small fox", "the old man", "she", "he")
_VERBS = ("sees", "likes", "chases", "finds", "hears", "follows")
_OBJECTS = ("the ball", "a red box", "the moon", "a fish", "the river", "some bread", "the tree")
_ENDINGS = ("", " today", " at night", " again", " in the park")


def grammar_text(chars: int, rng: np.random.Generator) -> str:
    """At least `chars` characters of sentences from a toy grammar: subject verb object [ending]."""
    parts: list[str] = []
    total = 0
    while total < chars:
        s = f"{rng.choice(_SUBJECTS)} {rng.choice(_VERBS)} {rng.choice(_OBJECTS)}{rng.choice(_ENDINGS)}. "
        parts.append(s)
        total += len(s)
    return "".join(parts)


def load_text(data: bytes | str) -> str:
    """An uploaded plain text, checked: UTF-8, at most MAX_TEXT_BYTES, enough characters, few distinct symbols."""
    if isinstance(data, bytes):
        if len(data) > MAX_TEXT_BYTES:
            raise DatasetError(f"the text is {len(data):,} bytes; the playground takes at most {MAX_TEXT_BYTES:,}")
        if b"\x00" in data:
            raise DatasetError("this does not look like plain text (it contains binary data)")
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise DatasetError("the text is not UTF-8; save it as plain UTF-8 text") from None
    text = " ".join(data.split())  # line breaks and runs of spaces as one space
    if len(text.encode()) > MAX_TEXT_BYTES:
        raise DatasetError(f"the text is over {MAX_TEXT_BYTES:,} bytes; the playground takes at most that")
    if len(text) < MIN_TEXT_CHARS:
        raise DatasetError(f"the text has {len(text)} characters; give at least {MIN_TEXT_CHARS}")
    symbols = set(text)
    if len(symbols) > MAX_TEXT_SYMBOLS:
        raise DatasetError(f"the text uses {len(symbols)} different characters; at most {MAX_TEXT_SYMBOLS} "
                           "(a character-level model needs one output per character)")
    return text


def text_vocab(text: str) -> tuple[str, ...]:
    """The characters of a text in sorted order (the token ids)."""
    return tuple(sorted(set(text)))


@checked
def text(n: int, noise: float, rng: np.random.Generator, length: int = DEFAULT_LENGTH,
         corpus: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """n windows of T characters of the toy-grammar text (or `corpus`); y is the next character at every step.

    Token ids index TEXT_VOCAB for the grammar's text, text_vocab(corpus) for an uploaded one.
    `noise` is unused (the text is what it is).
    """
    T = check_length(length)
    if corpus is None:
        corpus, vocab = grammar_text(max(5000, 20 * T), rng), TEXT_VOCAB
    else:
        vocab = text_vocab(corpus)
    if len(corpus) < T + 1:
        raise DatasetError(f"the text has {len(corpus)} characters; windows of length {T} need at least {T + 1}")
    index = {c: i for i, c in enumerate(vocab)}
    ids = np.fromiter((index[c] for c in corpus), dtype=np.int64, count=len(corpus))
    starts = rng.integers(0, len(ids) - T, size=n)
    w = ids[starts[:, None] + np.arange(T + 1)[None, :]]
    return w[:, :T], w[:, 1:]
