"""Headless command line: `train` a config without a browser, `bench` the engine's speed.

    python -m playground train --config FILE.json [--steps N | --epochs N] [--seed S] [--threads T]
    python -m playground bench [--quick]

`train` prints one JSON object with the loss, accuracy and gradient norms after its last step;
a bad config or option exits with status 2 and a one-line message that names it.
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
    train.add_argument("--config", required=True, help="a spec JSON file (the app's 'Download config')")
    budget = train.add_mutually_exclusive_group()
    budget.add_argument("--steps", type=int, help="mini-batch steps to run")
    budget.add_argument("--epochs", type=int, help=f"epochs to run (default {DEFAULT_EPOCHS})")
    train.add_argument("--seed", type=int, help="override the spec's seed (initial weights, batch order)")
    train.add_argument("--data", help="a CSV of points (x1, x2, label|target) for dataset 'custom'")
    train.add_argument("--data-dir", help="folder with the MNIST / Fashion-MNIST IDX files")
    train.add_argument("--threads", type=int, default=None,
                       help=f"torch intra-op threads (torch.set_num_threads) used by every operation, "
                            f"1 to {MAX_THREADS}; default 1, fastest for these small models on a shared machine")
    bench = sub.add_parser("bench", help="measure trainer vs plain PyTorch, and snapshot time")
    bench.add_argument("--quick", action="store_true", help="shorter runs (for smoke tests)")
    bench.add_argument("--json", action="store_true", help="print the figures as JSON")
    bench.add_argument("--browser", action="store_true",
                       help="measure live training in the real app in headless Chromium (needs playwright)")
    return parser


def _fail(message: str) -> int:
    print(f"error: {' '.join(message.split(chr(10)))}", file=sys.stderr)  # one line, whatever a key held
    return 2


def train_command(args: argparse.Namespace) -> int:
    """Load, validate, train, print the summary."""
    import datasets
    from playground.data import CustomData
    from playground.spec import MAX_CONFIG_BYTES, Spec, SpecError

    if args.data_dir:
        os.environ["PLAYGROUND_DATA_DIR"] = args.data_dir
    try:
        with open(args.config, "rb") as f:  # bounded: a 50 MB config is refused unread
            text = f.read(MAX_CONFIG_BYTES + 1)
    except OSError as exc:
        return _fail(f"cannot read config {args.config}: {exc.strerror}")
    if len(text) > MAX_CONFIG_BYTES:
        return _fail(f"config {args.config}: larger than {MAX_CONFIG_BYTES:,} bytes (a spec is a few KB); not read")
    try:
        spec = Spec.from_json(text)
        if args.seed is not None:
            try:
                spec = spec.with_changes(seed=args.seed)
            except SpecError as exc:
                return _fail(f"--seed {exc.message}")
        custom = None
        if args.data:
            with open(args.data, "rb") as f:
                X, y, task = datasets.load_points_csv(f)
            custom = CustomData(X, y, task)
            if spec.dataset.name != "custom":
                spec = replace(spec, dataset=replace(spec.dataset, name="custom"))
    except SpecError as exc:
        return _fail(f"config {args.config}: {exc}")
    except datasets.DatasetError as exc:
        return _fail(str(exc).replace("\n", " "))
    except OSError as exc:
        return _fail(f"cannot read data {args.data}: {exc.strerror}")
    if args.steps is not None and args.steps < 0 or args.epochs is not None and args.epochs < 0:
        return _fail("--steps and --epochs must not be negative")
    if args.threads is not None and not 1 <= args.threads <= MAX_THREADS:
        return _fail(f"--threads must be between 1 and {MAX_THREADS}, got {args.threads}")
    from playground.train import Trainer, configure_threads, recommended_threads  # torch: only for a good config

    try:
        started = time.perf_counter()
        trainer = Trainer(spec, custom)
        configure_threads(args.threads if args.threads is not None else recommended_threads(trainer))
        if args.steps is not None:
            trainer.train_steps(args.steps)
        else:
            trainer.train_epochs(DEFAULT_EPOCHS if args.epochs is None else args.epochs)
        seconds = time.perf_counter() - started
    except SpecError as exc:
        return _fail(f"config {args.config}: {exc}")
    except datasets.DatasetError as exc:
        return _fail(str(exc).replace("\n", " "))
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


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the process exit status."""
    args = _parser().parse_args(argv)
    if args.command == "train":
        return train_command(args)
    from playground.bench import run_bench, run_browser_bench

    if args.browser:
        try:
            return run_browser_bench(5.0 if args.quick else 15.0, quick=args.quick, as_json=args.json)
        except (ImportError, RuntimeError) as exc:
            return _fail(f"the browser benchmark needs playwright and Chromium: {exc}")
    return run_bench(quick=args.quick, as_json=args.json)
