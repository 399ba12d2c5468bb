"""Compare: several runs of one experiment side by side, and how a link or a config holds them.

A compare is a list of up to MAX_RUNS runs (COMPARE_MAX from the Compare button), each a full Spec with an optional label (a Lab
experiment names its runs; otherwise the label is made from what differs between the runs).
A variant starts as a copy of the run it was made from (same data, same seeds), so anything
the user does not change stays equal and the comparison is fair.

The link: run 1 is written exactly as a single experiment's link (so an old single-run link is
a one-run compare), and every other run k only as what differs from run 1:

    ?dataset.name=spiral&...&optimizer.name=sgd          run 1, the whole spec
    &r2=&r2.optimizer.name=adam                          run 2: Adam, everything else as run 1
    &r1.label=SGD&r2.label=Adam                          optional labels
    &lab=optimizers                                      optional: the Lab experiment it opened as

`r<k>=` (empty) declares run k even when it has no difference. The config file is
{"runs": [{"label": ..., "spec": {...}}, ...], "lab": ...}; a plain spec JSON is a one-run
config. No torch, no Streamlit.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Mapping

from playground.spec import Spec, SpecError, parse_json

MAX_RUNS = 6       # runs a link or config may hold (a Lab experiment may compare up to six)
COMPARE_MAX = 4    # runs the Compare button makes, one variant at a time
LAB_PARAM = "lab"
_RUN_KEY = re.compile(r"^r([1-9][0-9]*)(?:\.(.+))?$")
# Short names for the legend ("lr 0.1" rather than "optimizer.lr 0.1").
SHORT_NAMES = {"dataset.name": "data", "dataset.noise": "noise", "dataset.train_ratio": "train share",
               "dataset.n_samples": "samples", "dataset.seed": "data seed", "dataset.classes": "classes",
               "dataset.normalize": "normalisation", "optimizer.name": "optimizer", "optimizer.lr": "lr",
               "optimizer.momentum": "momentum", "optimizer.nesterov": "nesterov", "batch_size": "batch",
               "regularization.kind": "reg", "regularization.rate": "reg rate", "grad_clip": "clip",
               "seed": "seed", "init": "init", "loss": "loss", "features": "features", "hidden": "hidden"}


@dataclass(frozen=True)
class Run:
    """One run of a compare: its whole spec, and the label its legend entry shows ("" = derived)."""

    spec: Spec
    label: str = ""


# -- what differs ------------------------------------------------------------------------------
def _describe_fields(spec: Spec) -> dict[str, str]:
    """The spec as short, human-readable fields: the scalars, plus the layers summarised by field
    ("hidden" = widths or types, "activation" = the common one or each layer's)."""
    out = {key: value for key, value in spec.to_query().items() if key != "layers"}
    out["hidden"] = "-".join(str(layer.units) if layer.type == "dense" else layer.type for layer in spec.layers) \
        or "none"
    layer_fields: dict[str, list[str]] = {}
    for layer in spec.layers:
        for field in layer.kind.fields:  # every field the layer's kind uses, defaults too
            if field.name not in ("type", "units"):
                value = getattr(layer, field.name)
                text = ("yes" if value else "no") if isinstance(value, bool) else str(value)
                layer_fields.setdefault(field.name, []).append(text)
    for name, values in layer_fields.items():
        # A field some layers lack (a conv's kernel) still lines up by the layers that have it.
        out[name] = values[0] if len(set(values)) == 1 and len(values) == len(spec.layers) else _layer_runs(values)
    return out


def _layer_runs(values: list[str]) -> str:
    """Per-layer values, repeats counted: "no, yes ×15" (not fifteen "True"s in a table cell)."""
    groups: list[list] = []
    for value in values:
        if groups and groups[-1][0] == value:
            groups[-1][1] += 1
        else:
            groups.append([value, 1])
    return ", ".join(value if n == 1 else f"{value} ×{n}" for value, n in groups)


def differences(specs: list[Spec]) -> list[str]:
    """The fields (short names) whose values are not the same in every spec, in a stable order."""
    described = [_describe_fields(s) for s in specs]
    keys: list[str] = []
    for d in described:
        keys += [k for k in d if k not in keys]
    return [k for k in keys if len({d.get(k, "—") for d in described}) > 1]


def labels(runs: list[Run]) -> list[str]:
    """Each run's legend label: its own label, else what differs ("optimizer adam, lr 0.1"),
    else "run k"."""
    described = [_describe_fields(r.spec) for r in runs]
    keys = differences([r.spec for r in runs])
    out = []
    for k, (run, d) in enumerate(zip(runs, described), start=1):
        if run.label:
            out.append(run.label)
        elif keys:
            text = ", ".join(f"{SHORT_NAMES.get(key, key)} {d.get(key, '—')}" for key in keys[:3])
            out.append(text + (" …" if len(keys) > 3 else ""))
        else:
            out.append(f"run {k}")
    return out


def variant_of(run: Run) -> Run:
    """A new variant: the same spec (same data and seeds), no label of its own yet."""
    return Run(run.spec)


# -- the link ----------------------------------------------------------------------------------
def to_query(runs: list[Run], lab: str | None = None) -> dict[str, str]:
    """The link's query parameters for all runs (run 1 whole, the others as differences)."""
    if not 1 <= len(runs) <= MAX_RUNS:
        raise ValueError(f"a compare holds 1 to {MAX_RUNS} runs, got {len(runs)}")
    base = runs[0].spec.to_query()
    query = dict(base)
    for k, run in enumerate(runs[1:], start=2):
        query[f"r{k}"] = ""
        flat = run.spec.to_query()
        for key in base.keys() | flat.keys():
            if flat.get(key) != base.get(key):
                query[f"r{k}.{key}"] = flat.get(key, "none")
    for k, run in enumerate(runs, start=1):
        if run.label:
            query[f"r{k}.label"] = run.label
    if lab:
        query[LAB_PARAM] = lab
    return query


def from_query(params: Mapping[str, str | list[str]]) -> tuple[list[Run], str | None]:
    """Inverse of to_query: the runs and the Lab experiment's name. A link without any r<k>
    parameter is one run (the links made before compare existed). Raises SpecError, naming the
    run and the field, for anything that cannot be used."""
    def text(raw: str | list[str]) -> str:
        return raw[-1] if isinstance(raw, list) else raw

    base: dict[str, str] = {}
    overrides: dict[int, dict[str, str]] = {}
    names: dict[int, str] = {}
    lab = None
    for key, raw in params.items():
        match = _RUN_KEY.match(key)
        if key == LAB_PARAM:
            lab = text(raw) or None
        elif match is None:
            base[key] = text(raw)
        else:
            k, field_name = int(match.group(1)), match.group(2)
            if not 1 <= k <= MAX_RUNS:
                raise SpecError(f"r{k}", f"a compare holds at most {MAX_RUNS} runs")
            if field_name == "label":
                names[k] = text(raw)[:80]
            elif field_name is not None:
                if k == 1:
                    raise SpecError(key, "run 1's settings are the link's own parameters, without r1.")
                overrides.setdefault(k, {})[field_name] = text(raw)
            else:
                overrides.setdefault(k, {})
    if lab is not None:
        from playground.lab import EXPERIMENTS

        bare = not base and not overrides and not names
        if bare and lab not in EXPERIMENTS:
            raise SpecError("lab", f"there is no Lab experiment {lab!r}; the Lab has {', '.join(EXPERIMENTS)}")
        if bare:  # a bare "?lab=<name>" link opens that experiment's runs
            return [Run(r.spec, r.label) for r in EXPERIMENTS[lab].runs], lab
        lab = _known_lab(lab)  # the runs of an experiment renamed since still open
    count = max([1, *overrides, *names])
    missing = [k for k in range(2, count + 1) if k not in overrides]
    if missing:
        raise SpecError(f"r{missing[0]}", f"run {missing[0]} is missing (runs are numbered 1 to {count})")
    runs = []
    for k in range(1, count + 1):
        flat = {**base, **overrides.get(k, {})}
        try:
            spec = Spec.from_query(flat) if flat else Spec()
        except SpecError as exc:
            raise SpecError(f"run {k}: {exc.path}" if k > 1 else exc.path, str(exc).split(": ", 1)[-1]) from None
        runs.append(Run(spec, names.get(k, "")))
    return runs, lab


# -- the config file ---------------------------------------------------------------------------
def to_config(runs: list[Run], lab: str | None = None, indent: int | None = 2) -> str:
    """The downloadable config: every run's whole spec (a one-run compare is a plain spec JSON,
    which older versions and `python -m playground train` read as before)."""
    if len(runs) == 1 and not runs[0].label and not lab:
        return runs[0].spec.to_json(indent)
    data: dict[str, Any] = {"runs": [{"label": r.label, "spec": r.spec.to_dict()} for r in runs]}
    if lab:
        data[LAB_PARAM] = lab
    return json.dumps(data, indent=indent)


def from_config(text: str | bytes) -> tuple[list[Run], str | None]:
    """Inverse of to_config; a plain spec JSON is one run. Raises SpecError naming the run and field."""
    data = parse_json(text)  # size, nesting and digits bounded before parsing
    if not isinstance(data, dict):
        raise SpecError("", "the config must be a JSON object {...}")
    if "runs" not in data:
        return [Run(Spec.from_dict(data))], None
    unknown = set(data) - {"runs", LAB_PARAM}
    if unknown:
        raise SpecError(sorted(unknown)[0], "unknown key in a compare config (it holds 'runs' and 'lab')")
    items = data["runs"]
    if not isinstance(items, list) or not 1 <= len(items) <= MAX_RUNS:
        raise SpecError("runs", f"must be a list of 1 to {MAX_RUNS} runs")
    runs = []
    for k, item in enumerate(items, start=1):
        if not isinstance(item, dict) or "spec" not in item or not isinstance(item["spec"], dict):
            raise SpecError(f"runs[{k - 1}]", 'each run is {"label": ..., "spec": {...}}')
        try:
            spec = Spec.from_dict(item["spec"])
        except SpecError as exc:
            raise SpecError(f"runs[{k - 1}].{exc.path}", str(exc).split(": ", 1)[-1]) from None
        label = item.get("label") or ""
        if not isinstance(label, str):
            raise SpecError(f"runs[{k - 1}].label", "must be text")
        runs.append(Run(spec, label[:80]))
    lab = data.get(LAB_PARAM)
    return runs, _known_lab(lab) if isinstance(lab, str) and lab else None


def _known_lab(name: str) -> str | None:
    """`name` if the Lab has that experiment, else None (the runs open without its Lab panel)."""
    from playground.lab import EXPERIMENTS  # torch-free: its measures import torch when they run

    return name if name in EXPERIMENTS else None
