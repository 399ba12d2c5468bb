"""Headless command line: `train` a config without a browser, `bench` the engine's speed.

    python -m playground train --config FILE.json [--steps N | --epochs N] [--seed S] [--threads T] [--weights W]
    python -m playground export --config FILE.json --format script|notebook|safetensors|onnx|gif --out PATH
    python -m playground bench [--quick]

`train` prints one JSON object with the loss, accuracy and gradient norms after its last step
(for a compare's config, {"runs": [{"label", ...}, ...]}, each run trained in turn);
`export` writes the file(s) and prints what it wrote; a bad config, option or weights file exits
with status 2 and a one-line message that names it.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from dataclasses import replace
from pathlib import Path

DEFAULT_EPOCHS = 100
MAX_THREADS = 64  # more intra-op threads than this is a typo, not a machine


class _OneLineParser(argparse.ArgumentParser):
    """argparse whose errors are one line and exit 2, as a bad config's are (not usage, then the error)."""

    def error(self, message: str):
        self.exit(2, f"error: {self.prog}: {message} (see --help)\n")


def _parser() -> argparse.ArgumentParser:
    parser = _OneLineParser(prog="python -m playground", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    train = sub.add_parser("train", help="train a config headless and print a JSON summary")
    train.add_argument("--config", help="a spec JSON file (the app's 'Download config'); "
                                        "optional with --weights, whose file holds its spec")
    budget = train.add_mutually_exclusive_group()
    budget.add_argument("--steps", type=int, help="mini-batch steps to run")
    budget.add_argument("--epochs", type=int, help=f"epochs to run (default {DEFAULT_EPOCHS})")
    train.add_argument("--seed", type=int, help="override the spec's seed (initial weights, batch order)")
    train.add_argument("--weights", help="start from these trained weights (a .safetensors file the app or "
                                         "`export --format safetensors` wrote)")
    train.add_argument("--data", help="a CSV of points (x1, x2, label|target) for dataset 'custom'")
    train.add_argument("--data-dir", help="folder with the MNIST / Fashion-MNIST IDX files")
    train.add_argument("--threads", type=int, default=None,
                       help=f"torch intra-op threads (torch.set_num_threads) used by every operation, "
                            f"1 to {MAX_THREADS}; default 1, fastest for these small models on a shared machine")
    from playground.export.formats import FORMAT_NAMES

    export = sub.add_parser("export", help="write a config (and weights) as a script, notebook, weights, ONNX or GIF")
    export.add_argument("--config", help="a spec JSON file; optional with --weights, whose file holds its spec")
    export.add_argument("--format", required=True, choices=FORMAT_NAMES)
    export.add_argument("--out", required=True, help="the file to write (a script's data goes beside it as .npz)")
    export.add_argument("--epochs", type=int, help="script/notebook: epochs it trains (default 100); gif: epochs "
                                                   "the film covers (default 100); safetensors/onnx: epochs "
                                                   "to train first (default 0: the initial weights)")
    export.add_argument("--weights", help="safetensors/onnx: export these trained weights")
    export.add_argument("--seconds", type=float, default=6.0, help="gif: its length in seconds (default 6)")
    export.add_argument("--frames", type=int, default=40, help="gif: pictures in it (default 40)")
    export.add_argument("--data", help="a CSV of points (x1, x2, label|target) for dataset 'custom'")
    export.add_argument("--data-dir", help="folder with the MNIST / Fashion-MNIST IDX files")
    bench = sub.add_parser("bench", help="measure trainer vs plain PyTorch, and snapshot time")
    bench.add_argument("--quick", action="store_true", help="shorter runs (for smoke tests)")
    bench.add_argument("--json", action="store_true", help="print the figures as JSON")
    bench.add_argument("--browser", action="store_true",
                       help="measure live training in the real app in headless Chromium (needs playwright)")
    bench.add_argument("--sessions", type=int, metavar="N",
                       help="open up to N playing tabs (1 to 30) on the real app: load time, clicks, memory, "
                            "each session's share of training")
    return parser


def _fail(message: str) -> int:
    print(f"error: {' '.join(message.split(chr(10)))}", file=sys.stderr)  # one line, whatever a key held
    return 2


class _Refused(Exception):
    """A bad config, option or file: main prints `error: <message>` and exits with status 2."""


def _load_experiment(args: argparse.Namespace):
    """(spec, custom data, weights bytes or None) from --config / --weights / --seed / --data."""
    import datasets
    from playground.data import CustomData
    from playground.export.weights import WeightsError, read_spec
    from playground.spec import MAX_CONFIG_BYTES, Spec, SpecError

    if args.data_dir:
        os.environ["PLAYGROUND_DATA_DIR"] = args.data_dir
    weights = None
    if args.weights:
        try:
            weights = Path(args.weights).read_bytes()
        except OSError as exc:
            raise _Refused(f"cannot read weights {args.weights}: {exc.strerror}") from None
    if args.config is None and weights is None:
        raise _Refused("give --config (a spec JSON file) or --weights (a weights file with its spec)")
    try:
        if args.config is not None:
            try:
                with open(args.config, "rb") as f:  # bounded: a 50 MB config is refused unread
                    text = f.read(MAX_CONFIG_BYTES + 1)
            except OSError as exc:
                raise _Refused(f"cannot read config {args.config}: {exc.strerror}") from None
            if len(text) > MAX_CONFIG_BYTES:
                raise _Refused(f"config {args.config}: larger than {MAX_CONFIG_BYTES:,} bytes (a spec is a few KB); "
                               f"not read")
            spec = Spec.from_json(text)
        else:
            spec = read_spec(weights)
            if spec is None:
                raise _Refused(f"weights {args.weights}: the file holds no config; give --config too")
        if getattr(args, "seed", None) is not None:
            try:
                spec = spec.with_changes(seed=args.seed)
            except SpecError as exc:
                raise _Refused(f"--seed {exc.message}") from None
        custom = None
        if args.data:
            with open(args.data, "rb") as f:
                X, y, task = datasets.load_points_csv(f)
            custom = CustomData(X, y, task)
            if spec.dataset.name != "custom":
                spec = replace(spec, dataset=replace(spec.dataset, name="custom"))
    except SpecError as exc:
        raise _Refused(f"config {args.config}: {exc}") from None
    except WeightsError as exc:
        raise _Refused(f"weights {args.weights}: {exc}") from None
    except datasets.DatasetError as exc:
        raise _Refused(str(exc).replace("\n", " ")) from None
    except OSError as exc:
        raise _Refused(f"cannot read data {args.data}: {exc.strerror}") from None
    return spec, custom, weights


def _trainer(args: argparse.Namespace, spec, custom, weights):
    """A Trainer of the spec, with the weights file's tensors in it if given."""
    import datasets
    from playground.export.weights import WeightsError, read_weights, restore_into_trainer
    from playground.spec import SpecError
    from playground.train import Trainer

    try:
        trainer = Trainer(spec, custom)
    except SpecError as exc:
        raise _Refused(f"config {args.config}: {exc}") from None
    except datasets.DatasetError as exc:
        raise _Refused(str(exc).replace("\n", " ")) from None
    if weights is not None:
        try:
            restore_into_trainer(trainer, read_weights(weights)[1])
        except WeightsError as exc:
            raise _Refused(f"weights {args.weights}: {exc}") from None
    return trainer


def _compare_runs(args: argparse.Namespace):
    """The runs of a compare's config ({"runs": [...]}, playground.compare), or None for any other input."""
    from playground import compare
    from playground.spec import MAX_CONFIG_BYTES, SpecError, parse_json

    if args.config is None or args.weights:
        return None
    try:
        with open(args.config, "rb") as f:
            text = f.read(MAX_CONFIG_BYTES + 1)
        data = parse_json(text)
    except (OSError, SpecError):
        return None  # _load_experiment says what is wrong with it
    if not isinstance(data, dict) or "runs" not in data:
        return None
    if args.data:
        raise _Refused("--data applies to one experiment, not to a compare's config")
    try:
        runs, _ = compare.from_config(text)
        if args.seed is not None:
            runs = [replace(run, spec=run.spec.with_changes(seed=args.seed)) for run in runs]
    except SpecError as exc:
        raise _Refused(f"config {args.config}: {exc}") from None
    return runs


def _train_compare(args: argparse.Namespace, runs) -> int:
    """Every run of a compare's config in turn; {"runs": [{"label", ...summary}, ...]}."""
    from playground import compare
    from playground.train import configure_threads, recommended_threads

    results = []
    for run in runs:
        started = time.perf_counter()
        trainer = _trainer(args, run.spec, None, None)
        configure_threads(args.threads if args.threads is not None else recommended_threads(trainer))
        if args.steps is not None:
            trainer.train_steps(args.steps)
        else:
            trainer.train_epochs(DEFAULT_EPOCHS if args.epochs is None else args.epochs)
        results.append({**trainer.summary(), "seconds": round(time.perf_counter() - started, 4)})
    labelled = [{"label": label, **result} for label, result in zip(compare.labels(runs), results)]
    print(json.dumps(strict_json({"runs": labelled}), allow_nan=False))
    return 0


def train_command(args: argparse.Namespace) -> int:
    """Load, validate, train, print the summary (of every run, for a compare's config)."""
    try:
        if args.steps is not None and args.steps < 0 or args.epochs is not None and args.epochs < 0:
            return _fail("--steps and --epochs must not be negative")
        if args.threads is not None and not 1 <= args.threads <= MAX_THREADS:
            return _fail(f"--threads must be between 1 and {MAX_THREADS}, got {args.threads}")
        runs = _compare_runs(args)
        if runs is not None:
            return _train_compare(args, runs)
        spec, custom, weights = _load_experiment(args)
        started = time.perf_counter()
        trainer = _trainer(args, spec, custom, weights)
    except _Refused as exc:
        return _fail(str(exc))
    from playground.train import configure_threads, recommended_threads  # torch: only for a good config

    configure_threads(args.threads if args.threads is not None else recommended_threads(trainer))
    if args.steps is not None:
        trainer.train_steps(args.steps)
    else:
        trainer.train_epochs(DEFAULT_EPOCHS if args.epochs is None else args.epochs)
    seconds = time.perf_counter() - started
    result = trainer.summary()
    result["seconds"] = round(seconds, 4)
    print(json.dumps(strict_json(result), allow_nan=False))
    return 0


def strict_json(result: dict) -> dict:
    """`result` with every NaN or infinity as null, and a `message` saying which and why.

    json.dumps writes them as NaN / Infinity, which is not JSON: jq and JSON.parse refuse it.
    """
    replaced: list[str] = []

    def clean(value, path: str):
        if isinstance(value, float) and not math.isfinite(value):
            replaced.append(f"{path} ({value})")
            return None
        if isinstance(value, dict):
            return {k: clean(v, f"{path}.{k}" if path else k) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [clean(v, f"{path}[{i}]") for i, v in enumerate(value)]
        return value

    out = clean(result, "")
    if replaced:
        why = f"not finite numbers, written as null: {', '.join(replaced)}"
        out["message"] = f"{out['message']} ({why})" if out.get("message") else why[0].upper() + why[1:]
    return out


def export_command(args: argparse.Namespace) -> int:
    """Load, (train or load weights,) export, write the files, print what was written."""
    from playground.export.formats import FORMATS, MAX_EPOCHS, NotExportable, export
    from playground.train import configure_threads

    fmt = FORMATS[args.format]
    if args.epochs is not None and not 0 <= args.epochs <= MAX_EPOCHS:
        return _fail(f"--epochs must be between 0 and {MAX_EPOCHS}, got {args.epochs}")
    if args.weights and not fmt.weights:
        return _fail(f"--weights applies to the formats that carry weights "
                     f"({', '.join(f.name for f in FORMATS.values() if f.weights)}), not {fmt.name}")
    if not 0.5 <= args.seconds <= 60 or not 1 <= args.frames <= 400:
        return _fail("--seconds must be between 0.5 and 60 and --frames between 1 and 400")
    out = Path(args.out)
    try:
        spec, custom, weights = _load_experiment(args)
        started = time.perf_counter()
        trainer = _trainer(args, spec, custom, weights)
        configure_threads(1)
        if fmt.weights and weights is None and args.epochs:
            trainer.train_epochs(args.epochs)
        epochs = args.epochs if args.epochs is not None else 100
        files = export(trainer, fmt.name, out.stem, epochs=max(epochs, 1), seconds=args.seconds, frames=args.frames)
    except _Refused as exc:
        return _fail(str(exc))
    except NotExportable as exc:
        return _fail(f"cannot export {args.format}: {exc}")
    written = []
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        for name, data in files.items():
            path = out if name.endswith(fmt.suffix) else out.with_name(name)
            path.write_bytes(data)
            written.append({"path": str(path), "bytes": len(data)})
    except OSError as exc:
        return _fail(f"cannot write {out}: {exc.strerror}")
    result = {"format": fmt.name, "files": written, "seconds": round(time.perf_counter() - started, 3)}
    if fmt.name == "onnx":
        try:
            from playground.export.onnx_model import max_difference

            result["onnxruntime_max_difference"] = max_difference(files[f"{out.stem}.onnx"], trainer)
        except ImportError:
            pass  # onnxruntime is optional for writing the file
    print(json.dumps(result))
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the process exit status."""
    args = _parser().parse_args(argv)
    if args.command == "train":
        return train_command(args)
    if args.command == "export":
        return export_command(args)
    from playground.bench import run_bench, run_browser_bench

    if args.sessions is not None:
        from playground.bench_sessions import MAX_TABS, run_sessions_bench

        if not 1 <= args.sessions <= MAX_TABS:
            return _fail(f"--sessions: must be 1 to {MAX_TABS}, got {args.sessions}")
        try:
            return run_sessions_bench(args.sessions, as_json=args.json)
        except (ImportError, RuntimeError) as exc:
            return _fail(f"the sessions benchmark needs playwright and Chromium: {exc}")
    if args.browser:
        try:
            return run_browser_bench(5.0 if args.quick else 15.0, quick=args.quick, as_json=args.json)
        except (ImportError, RuntimeError) as exc:
            return _fail(f"the browser benchmark needs playwright and Chromium: {exc}")
    return run_bench(quick=args.quick, as_json=args.json)
