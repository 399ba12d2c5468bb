"""`python -m playground bench`: the engine's speed against a plain PyTorch loop, in one run.

For each task it measures epochs/second (and images/second for convnets) of
  * a plain, hand-written eager PyTorch loop (shuffle, mini-batches, SGD/Adam, one loss
    evaluation per epoch) on the same model, data and batch size, and
  * the playground Trainer as the app runs it (history, accuracies and gradient norms every
    epoch),
plus the time of one full 2-D snapshot (100x100 decision boundary, every neuron's map,
gradient norms, activation statistics) and a simulated live loop: frames of 250 ms that
train, take a snapshot and build every figure the app draws.
"""
from __future__ import annotations

import json
import statistics
import time

import torch

from playground.presets import image_spec
from playground.spec import DatasetSpec, LayerSpec, Spec
from playground.train import Trainer, configure_threads

DEFAULT_TASK = Spec()  # circle, x1 x2, [4, 2] tanh, SGD 0.03, batch 10, 50 % train
SPIRAL_6x8 = Spec(dataset=DatasetSpec(name="spiral"),
                  features=("x1", "x2", "x1_sq", "x2_sq", "x1_x2", "sin_x1", "sin_x2"),
                  layers=tuple(LayerSpec(units=8) for _ in range(6)))
LENET_DIGITS = image_spec("digits")   # the LeNet-like preset: conv8-pool-conv16-pool-dense32, Adam, batch 32
LENET_SHAPES = image_spec("shapes")   # the same on 28×28 procedural shapes


def plain_loop_epochs_per_second(spec: Spec, seconds: float) -> tuple[float, float]:
    """(epochs/s, samples/s) of a hand-written loop on the model, data and batch size of `spec`."""
    trainer = Trainer(spec)  # only to build the same model and tensors
    model, loss_fn = trainer.model, trainer.loss_fn
    x, y = trainer._x_train, trainer._y_train
    opt = torch.optim.SGD(model.parameters(), lr=spec.optimizer.lr) if spec.optimizer.name == "sgd" \
        else torch.optim.Adam(model.parameters(), lr=spec.optimizer.lr)
    n, bs = len(x), spec.batch_size
    epochs, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        model.train()
        perm = torch.randperm(n)
        for i in range(0, n, bs):
            idx = perm[i:i + bs]
            loss = loss_fn(model(x[idx]), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
        model.eval()
        with torch.no_grad():
            loss_fn(model(x), y).item()
        epochs += 1
    elapsed = time.perf_counter() - start
    return epochs / elapsed, epochs * n / elapsed


def trainer_epochs_per_second(spec: Spec, seconds: float) -> tuple[float, float]:
    """(epochs/s, samples/s) of the playground Trainer with its per-epoch probes."""
    trainer = Trainer(spec)
    start = time.perf_counter()
    epochs = 0
    while time.perf_counter() - start < seconds:
        trainer.train_epochs(1)
        epochs += 1
    elapsed = time.perf_counter() - start
    return epochs / elapsed, epochs * len(trainer._x_train) / elapsed


def snapshot_ms(spec: Spec, repeats: int = 20) -> float:
    """Median time of one full 2-D snapshot (100×100 grid) in milliseconds."""
    from playground.probes import snapshot

    trainer = Trainer(spec)
    trainer.train_epochs(2)
    snapshot(trainer)  # warm-up
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        snapshot(trainer)
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def time_to_accuracy(spec: Spec, target: float, budget: float) -> dict:
    """Train whole epochs for up to `budget` seconds of CPU; when was `target` test accuracy reached?"""
    trainer = Trainer(spec)
    start = time.perf_counter()
    reached = None
    while time.perf_counter() - start < budget:
        trainer.train_epochs(1)
        if reached is None and trainer.history.last("test_accuracy") >= target:
            reached = time.perf_counter() - start
    return {"epochs": trainer.epoch, "seconds": round(time.perf_counter() - start, 2),
            "test_accuracy": round(trainer.history.last("test_accuracy"), 4),
            "best_test_accuracy": round(max(a for a in trainer.history.as_dict()["test_accuracy"] if a is not None), 4),
            f"seconds_to_{target:.0%}": None if reached is None else round(reached, 2)}


def image_views_ms(spec: Spec, repeats: int = 20) -> dict:
    """Median time of the views for one selected image: all feature maps + the three attributions."""
    from playground.interpret import inspect_image

    trainer = Trainer(spec)
    trainer.train_epochs(1)
    inspect_image(trainer, index=0)  # warm-up (imports Captum)
    times, parts = [], []
    for i in range(repeats):
        t0 = time.perf_counter()
        result = inspect_image(trainer, index=i)
        times.append((time.perf_counter() - t0) * 1000)
        parts.append(result.timings)
    median = {k: round(statistics.median(p[k] for p in parts) * 1000, 2) for k in parts[0]}
    return {"median_ms": round(statistics.median(times), 2), "parts_ms": median}


def live_loop_epochs_per_second(spec: Spec, seconds: float, frame: float = 0.25) -> tuple[float, float]:
    """Simulated live loop: each frame trains, then takes a snapshot and builds all figures.

    Returns (epochs/s, frames/s). The browser's own drawing happens in another process.
    """
    from playground.probes import snapshot
    from playground.viz.dashboard import build_figures

    trainer = Trainer(spec)
    start = time.perf_counter()
    frames = 0
    while time.perf_counter() - start < seconds:
        frame_start = time.perf_counter()
        snap = snapshot(trainer)
        build_figures(trainer.data, snap)
        spent = time.perf_counter() - frame_start
        trainer.train_for(max(0.0, frame - spent))
        frames += 1
    elapsed = time.perf_counter() - start
    return trainer.epoch / elapsed, frames / elapsed


def browser_live_epochs_per_second(spec: Spec, seconds: float, viewport: tuple[int, int] = (1440, 900)) -> dict:
    """Live training speed as a user sees it: the real app in headless Chromium, Play pressed.

    Records every change of the page's Epoch metric over `seconds` while the views refresh:
    epochs/s from the first to the last change, and how often the counter changed on screen.
    Needs playwright and a Chromium (PLAYGROUND_CHROMIUM or `chromium` on the PATH).
    """
    import sys
    from pathlib import Path
    from urllib.parse import urlencode

    from playwright.sync_api import sync_playwright

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    from browser import CHROMIUM_ARGS, chromium_path, open_page, running_app  # the e2e helpers

    path = chromium_path()
    if path is None:
        raise RuntimeError("no Chromium found; set PLAYGROUND_CHROMIUM")
    with running_app() as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        page = open_page(browser, f"{url}/?{urlencode(spec.to_query())}", *viewport)
        page.locator(".st-key-live_board [data-chart=network_chart] .js-plotly-plot").wait_for(timeout=60_000)
        page.get_by_role("button", name="Play").click()
        time.sleep(3)  # let the first frames settle
        # The page records each change of the Epoch metric itself (a MutationObserver reading
        # textContent). Polling it from here (innerText, 10 times a second) forced extra layouts
        # in the page being measured: on one build it read 98-99.5 epochs/s where this reads 116-119.
        page.evaluate(_RECORD_EPOCHS)
        time.sleep(seconds)
        changes = page.evaluate("window.__epochChanges")
        # Pause: how long until the page shows Play again, and does the counter then stand still?
        clicked = time.perf_counter()
        page.get_by_role("button", name="Pause").click()
        page.get_by_role("button", name="Play").wait_for(timeout=30_000)
        pause_ms = (time.perf_counter() - clicked) * 1000
        shown = page.evaluate("window.__epochChanges.length")
        time.sleep(1.0)
        moved_after_pause = page.evaluate("window.__epochChanges.length") - shown
        browser.close()
    if len(changes) < 2:
        raise RuntimeError("the Epoch counter did not change while training played")
    (t0, e0), (t1, e1) = changes[0], changes[-1]
    seconds_seen = (t1 - t0) / 1000
    return {"epochs_per_s": round((e1 - e0) / seconds_seen, 1),
            "epoch_changes_per_s": round((len(changes) - 1) / seconds_seen, 1),
            "pause_to_play_shown_ms": round(pause_ms), "epoch_changes_after_pause": moved_after_pause}


_RECORD_EPOCHS = """() => {
    const read = () => {
        for (const m of document.querySelectorAll('[data-testid="stMetric"]')) {
            const label = m.querySelector('[data-testid="stMetricLabel"]');
            if (label && label.textContent.trim().startsWith('Epoch')) {
                return Number(m.querySelector('[data-testid="stMetricValue"]').textContent.replace(/,/g, ''));
            }
        }
        return null;
    };
    window.__epochChanges = [];
    let last = null;
    const note = () => {
        const value = read();
        if (value !== null && value !== last) { last = value; window.__epochChanges.push([performance.now(), value]); }
    };
    note();
    new MutationObserver(note).observe(document.body, { subtree: true, childList: true, characterData: true });
}"""


def run_browser_bench(seconds: float = 15.0) -> int:
    """`bench --browser`: live epochs/s in the real app for the default task and the 6x8 spiral.

    Measured in a laptop-sized window (1440×900) and a tall one (1600×2000) that shows every
    view at once: headless Chromium paints in software, so the visible area costs CPU.
    """
    for viewport in ((1440, 900), (1600, 2000)):
        for label, spec in (("default task", DEFAULT_TASK), ("6x8 spiral, 7 features", SPIRAL_6x8)):
            result = browser_live_epochs_per_second(spec, seconds, viewport)
            print(f"live in headless Chromium {viewport[0]}x{viewport[1]}, {label}: {result['epochs_per_s']:.1f} "
                  f"epochs/s; the Epoch counter changed on screen {result['epoch_changes_per_s']:.1f} "
                  f"times/s; Pause -> Play shown in {result['pause_to_play_shown_ms']} ms, Epoch changes in the "
                  f"next second: {result['epoch_changes_after_pause']}")
    return 0


def run_bench(quick: bool = False, as_json: bool = False) -> int:
    """Run every measurement and print a table (or JSON); returns the exit status."""
    seconds = 1.0 if quick else 4.0
    configure_threads(1)
    results: dict[str, dict] = {}
    rows = []
    for label, spec in (("default task (circle, [4,2] tanh, batch 10)", DEFAULT_TASK),
                        ("6x8 spiral, 7 features", SPIRAL_6x8),
                        ("LeNet-like, digits 8x8, batch 32", LENET_DIGITS),
                        ("LeNet-like, shapes 28x28, batch 32", LENET_SHAPES)):
        plain_eps, plain_sps = plain_loop_epochs_per_second(spec, seconds)
        ours_eps, ours_sps = trainer_epochs_per_second(spec, seconds)
        results[label] = {"plain_epochs_per_s": round(plain_eps, 2), "trainer_epochs_per_s": round(ours_eps, 2),
                          "plain_samples_per_s": round(plain_sps), "trainer_samples_per_s": round(ours_sps),
                          "ratio": round(ours_eps / plain_eps, 3)}
        rows.append((label, plain_eps, ours_eps, ours_eps / plain_eps, plain_sps, ours_sps))
    snap = snapshot_ms(SPIRAL_6x8, 5 if quick else 30)
    results["snapshot_ms_6x8"] = {"median_ms": round(snap, 2)}
    accuracy = {"digits": time_to_accuracy(LENET_DIGITS, 0.97, 1.5 if quick else 5.0),
                "shapes": time_to_accuracy(LENET_SHAPES, 0.95, 3.0 if quick else 30.0)}
    results["accuracy"] = accuracy
    views = image_views_ms(LENET_SHAPES, 5 if quick else 30)
    results["image_views_shapes_28x28"] = views
    live = {}
    for label, spec in (("default task", DEFAULT_TASK), ("6x8 spiral", SPIRAL_6x8)):
        eps, fps = live_loop_epochs_per_second(spec, seconds)
        live[label] = (eps, fps)
        results[f"live_{label}"] = {"epochs_per_s": round(eps, 1), "frames_per_s": round(fps, 2)}
    if as_json:
        print(json.dumps(results, indent=2))
        return 0
    print(f"torch {torch.__version__}, cpu, 1 intra-op thread, {seconds:.0f} s per measurement\n")
    print(f"{'task':42} {'plain ep/s':>11} {'trainer ep/s':>13} {'ratio':>6} {'plain smp/s':>12} {'trainer smp/s':>14}")
    for label, pe, te, ratio, ps, ts in rows:
        print(f"{label:42} {pe:>11.2f} {te:>13.2f} {ratio:>6.2f} {ps:>12.0f} {ts:>14.0f}")
    print(f"\none full 2-D snapshot, 6x8 spiral net, 100x100 grid: {snap:.1f} ms (median)")
    for name, a in accuracy.items():
        key = [k for k in a if k.startswith("seconds_to_")][0]
        print(f"{name} (LeNet-like): {a['test_accuracy']:.1%} test accuracy after {a['epochs']} epochs in "
              f"{a['seconds']:.1f} s (best {a['best_test_accuracy']:.1%}); {key.replace('_', ' ')}: {a[key]}")
    print(f"views for one image (feature maps + saliency + IG + Grad-CAM), shapes 28x28: "
          f"{views['median_ms']:.1f} ms median; parts {views['parts_ms']}")
    for label, (eps, fps) in live.items():
        print(f"simulated live loop, {label}: {eps:.1f} epochs/s at {fps:.1f} frames/s "
              f"(one process: train + snapshot + all figures each 250 ms frame)")
    return 0
