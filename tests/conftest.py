"""Shared test set-up: the repo root on sys.path, one torch thread, thread-mode runners for AppTest."""
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# App tests run the script in-process; a worker thread avoids spawning a process per test.
os.environ.setdefault("PLAYGROUND_WORKER", "thread")
# Every figure the tests build goes through plotly's full validation (the app skips it for speed).
os.environ.setdefault("PLAYGROUND_VALIDATE_FIGURES", "1")

import torch  # noqa: E402

torch.set_num_threads(1)

# tests/browser.py, board.py and pools.py are helper modules, importable by name from the tests.
sys.path.insert(0, str(ROOT / "tests"))

import pytest  # noqa: E402


@pytest.fixture(scope="module")
def browser():
    """One headless Chromium per end-to-end test module (skipped, or failed in CI, without one)."""
    from browser import launched_browser

    yield from launched_browser()


@pytest.fixture
def thread_pool(request):
    """A pool of thread hosts, shut down after the test: one host, or the test module's
    THREAD_HOSTS."""
    from playground.pool import Pool

    pool = Pool("thread", size=getattr(request.module, "THREAD_HOSTS", 1))
    yield pool
    pool.shutdown()
