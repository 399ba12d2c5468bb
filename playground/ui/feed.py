"""The live board's feed: while training plays, the board fetches its frames over HTTP from a
route of the app's own server, instead of a Streamlit rerun of the live fragment per frame.

Why: any rerun, even of a fragment, changes the script-run state that every element of the page
reads in the browser, so the whole page went through React four times a second (~200 ms of the
browser's CPU a second in a 4-run compare: React, emotion and Streamlit's bundle, V8 profile),
CPU the training processes then did not get on a 2-core machine. A frame from the feed is the
same board data the fragment would send (live_board.board_data), built by the same code under
the session's frame lock; only its way to the browser differs.

The route is added to the Starlette app Streamlit serves (Streamlit 1.67 runs on Starlette and
keeps its routes in a list that is read per request). Where there is no such app (AppTest, a
server that is not Streamlit's Starlette one) `install()` says so and the fragment reruns every
frame as before. Each feed is a random token of one session; it is dropped when training stops,
when its session ends, or after IDLE_SECONDS without a request (a closed tab).
"""
from __future__ import annotations

import asyncio
import contextvars
import gc
import gzip
import logging
import secrets
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

import orjson
import streamlit as st
from streamlit.runtime import Runtime
from streamlit.runtime.scriptrunner import add_script_run_ctx, get_script_run_ctx
from streamlit.runtime.scriptrunner_utils.script_run_context import SCRIPT_RUN_CONTEXT_ATTR_NAME

ROUTE = "_playground/feed"
IDLE_SECONDS = 30.0   # a feed nobody asked for this long belongs to a closed tab: dropped
_LOG = logging.getLogger(__name__)


class Stale(Exception):
    """Raised by a frame that the feed cannot serve (training stopped, a new error to show): the
    board then asks Streamlit to rerun the live views, which draw the page as it now is."""


@dataclass
class _Feed:
    build: Callable[[], None]        # draws the next frame: live_board() inside it is captured
    ctx: Any                         # the session's ScriptRunContext (its st.session_state)
    lock: threading.RLock            # the session's frame lock, shared with the live fragment
    seen: float = field(default_factory=time.monotonic)


_feeds: dict[str, _Feed] = {}
_feeds_lock = threading.Lock()
_installed: str | None = None        # the route's URL prefix once added to the server
_tried = False
_install_lock = threading.Lock()
# Frames are built on threads of their own: the event loop only waits for them.
_executor = ThreadPoolExecutor(max_workers=2, thread_name_prefix="board-feed")
# Set while a frame is built for the feed: live_board() then hands its data here instead of
# drawing an element (see capture()).
_capture: contextvars.ContextVar[dict | None] = contextvars.ContextVar("board_feed_capture", default=None)
# Set while the live fragment draws a frame that a feed serves next: live_board() names it in
# the board's data, and the board follows it (live_board.js).
_serving: contextvars.ContextVar[dict | None] = contextvars.ContextVar("board_feed", default=None)
_SHOWN = "_live_errors_shown"  # session state: the errors the live views show now


def _streamlit_app() -> Any:
    """The Starlette app this process serves Streamlit with, or None. Streamlit keeps no handle
    on it, so it is found among the live objects: once per process, ~70 ms at the first Play."""
    try:
        from starlette.applications import Starlette
    except ImportError:
        return None
    for obj in gc.get_objects():
        # type(), not isinstance(): that reads __class__, which some lazy proxies answer with a warning.
        if issubclass(type(obj), Starlette) and any(getattr(r, "path", "").endswith("_stcore/stream")
                                              for r in obj.router.routes):
            return obj
    return None


def install() -> str | None:
    """Add the feed's route to the server (once per process); its URL prefix, or None where
    the app is not served by Streamlit's Starlette server."""
    global _installed, _tried
    with _install_lock:  # two sessions' first Play at once add one route
        if not _tried:
            _tried = True
            _installed = _add_route()
    return _installed


def _add_route() -> str | None:
    try:
        from starlette.routing import Route

        app = _streamlit_app()
        if app is None:
            return None
        base = (st.get_option("server.baseUrlPath") or "").strip("/")
        prefix = f"/{base}/{ROUTE}" if base else f"/{ROUTE}"
        # First in the list: Streamlit's last route serves its page for any other path.
        app.router.routes.insert(0, Route(prefix + "/{token}", _endpoint, methods=["GET"]))
        threading.Thread(target=_sweep, name="board-feed-sweep", daemon=True).start()
        return prefix
    except Exception:  # noqa: BLE001 - without the route the fragment reruns every frame, as before
        _LOG.exception("the live board's feed could not be installed")
        return None


def publish(token: str | None, build: Callable[[], None], lock: threading.RLock) -> tuple[str, str] | None:
    """Serve `build` (called under `lock`, in this session's context) at a feed; returns its
    (token, URL), or None where there is no feed. `token`: the session's previous one, reused."""
    prefix = install()
    if prefix is None:
        return None
    ctx = get_script_run_ctx()
    if ctx is None:
        return None
    token = token or secrets.token_urlsafe(18)
    with _feeds_lock:
        _feeds[token] = _Feed(build, ctx, lock)
    return token, f"{prefix}/{token}"


def withdraw(token: str | None) -> None:
    """Stop serving a feed (training paused, or the page no longer feedable)."""
    if token is not None:
        with _feeds_lock:
            _feeds.pop(token, None)


@contextmanager
def capture() -> Iterator[dict]:
    """While open, live_board() puts its data in the yielded dict (under "data") and draws nothing."""
    out: dict = {}
    reset = _capture.set(out)
    try:
        yield out
    finally:
        _capture.reset(reset)


def captured() -> dict | None:
    """The dict of the enclosing capture(), or None when a frame is drawn by Streamlit."""
    return _capture.get()


@contextmanager
def serving(url: str | None, every: float) -> Iterator[None]:
    """While open, the board drawn is told to fetch a frame from `url` every `every` seconds
    (None: from no feed)."""
    reset = _serving.set({"url": url, "every": round(every * 1000)} if url else None)
    try:
        yield
    finally:
        _serving.reset(reset)


def followed() -> dict | None:
    """The feed the board drawn now should follow ({"url", "every": ms}), if any."""
    return _serving.get()


def error(text: str, **kwargs: Any) -> None:
    """st.error in a frame Streamlit draws; in a feed's frame, an error the page does not show
    yet makes the frame Stale (a rerun shows it). `reset_errors()` starts each fragment run."""
    shown = st.session_state.setdefault(_SHOWN, set())
    if captured() is None:
        shown.add(text)
        st.error(text, **kwargs)
    elif text not in shown:
        raise Stale(text)


def reset_errors() -> None:
    """A new draw of the live views: the errors it shows are those it draws."""
    st.session_state[_SHOWN] = set()


def _alive(feed: _Feed) -> bool:
    try:
        return Runtime.exists() and Runtime.instance().is_active_session(feed.ctx.session_id)
    except Exception:  # noqa: BLE001
        return False


STALE = b'{"stale": true}'
BUSY = b'{"busy": true}'  # no frame this time: the live views are being drawn by a rerun


def _pull(token: str) -> bytes | None:
    """The feed's next frame as JSON, STALE when the page must rerun, BUSY while a rerun draws
    the live views, None if the feed is unknown."""
    with _feeds_lock:
        feed = _feeds.get(token)
    if feed is None or not _alive(feed):
        withdraw(token)
        return None
    feed.seen = time.monotonic()
    # A rerun of the live views (a click) is drawing a frame now: this one would only follow it
    # the next moment, and would hold up the click's next rerun while it is built.
    if not feed.lock.acquire(blocking=False):
        return BUSY
    thread = threading.current_thread()
    add_script_run_ctx(thread, feed.ctx)  # st.session_state is the session's
    try:
        with capture() as out:
            feed.build()
        return orjson.dumps(out["data"])
    except Stale:
        withdraw(token)
        return STALE
    except Exception:  # noqa: BLE001 - the board hands over to a rerun, which shows the error
        _LOG.exception("a live board frame failed")
        withdraw(token)
        return STALE
    finally:
        setattr(thread, SCRIPT_RUN_CONTEXT_ATTR_NAME, None)
        feed.lock.release()


def _response(token: str, gzipped: bool) -> tuple[int, bytes, dict[str, str]]:
    """(status, body, headers) of a request for a feed's frame."""
    body = _pull(token)
    if body is None:
        return 404, b'{"gone": true}', {}
    headers = {"Cache-Control": "no-store"}
    if gzipped and body not in (STALE, BUSY):
        # Compressed here at level 1 (2 ms for a 4-run compare's 185 KB frame, to 58 KB) rather
        # than by Streamlit's middleware at level 9 (6 ms, to 55 KB), four times a second: the
        # middleware leaves a body that is encoded already as it is.
        body, headers["Content-Encoding"] = gzip.compress(body, compresslevel=1), "gzip"
    return 200, body, headers


async def _endpoint(request: Any) -> Any:
    from starlette.responses import Response

    gzipped = "gzip" in request.headers.get("accept-encoding", "")
    status, body, headers = await asyncio.get_running_loop().run_in_executor(
        _executor, _response, request.path_params["token"], gzipped)
    return Response(body, status_code=status, media_type="application/json", headers=headers)


def _sweep() -> None:
    """Drop the feeds of closed tabs (no request for IDLE_SECONDS, or their session ended)."""
    while True:
        time.sleep(IDLE_SECONDS / 3)
        now = time.monotonic()
        with _feeds_lock:
            items = list(_feeds.items())
        for token, feed in items:
            if now - feed.seen > IDLE_SECONDS or not _alive(feed):
                withdraw(token)
