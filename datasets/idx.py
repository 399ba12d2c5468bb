"""MNIST-style IDX files: read, write, find on disk, download with checksums, and load as arrays.

Files live in one folder per dataset: the data_dir argument if given, else
$PLAYGROUND_DATA_DIR/<dataset>, else ~/.cache/neural-playground/<dataset>.
Run `python -m datasets mnist [folder]` to fetch a set ahead of time.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import http.client
import math
import os
import struct
import sys
import tempfile
import time
import urllib.error
import urllib.request
import zlib
from pathlib import Path
from typing import BinaryIO, Callable, TextIO

import numpy as np

from .base import DatasetError

ENV_VAR = "PLAYGROUND_DATA_DIR"
CACHE_ROOT = Path("~/.cache/neural-playground")

# IDX type code (3rd magic byte) -> big-endian numpy dtype
IDX_DTYPES: dict[int, str] = {0x08: "u1", 0x09: "i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}

# the four standard files, in the order they are concatenated (train first)
TRAIN_IMAGES, TRAIN_LABELS = "train-images-idx3-ubyte", "train-labels-idx1-ubyte"
TEST_IMAGES, TEST_LABELS = "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"
FILE_STEMS = (TRAIN_IMAGES, TRAIN_LABELS, TEST_IMAGES, TEST_LABELS)

TITLES = {"mnist": "MNIST", "fashion_mnist": "Fashion-MNIST"}

# tried in order; the first is the one we tell people to use by hand
MIRRORS: dict[str, tuple[str, ...]] = {
    "mnist": (
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "http://yann.lecun.com/exdb/mnist/",
    ),
    "fashion_mnist": (
        "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
        "https://github.com/zalandoresearch/fashion-mnist/raw/master/data/fashion/",
    ),
}

# published MD5 and size in bytes of the gzipped files
CHECKSUMS: dict[str, dict[str, tuple[str, int]]] = {
    "mnist": {
        TRAIN_IMAGES: ("f68b3c2dcbeaaa9fbdd348bbdeb94873", 9_912_422),
        TRAIN_LABELS: ("d53e105ee54ea40749a09fcbcd1e9432", 28_881),
        TEST_IMAGES: ("9fb629c4189551a2d022fa330f9573f3", 1_648_877),
        TEST_LABELS: ("ec29112dd5afa0611ce80d1b7f02629c", 4_542),
    },
    "fashion_mnist": {
        TRAIN_IMAGES: ("8d4fb7e6c68d591d4c3dfef9ec88bf0d", 26_421_880),
        TRAIN_LABELS: ("25c81989df183df01b3e8a0aad5dffbe", 29_515),
        TEST_IMAGES: ("bef4ecab320f06d8554ea6380940ec79", 4_422_102),
        TEST_LABELS: ("bb300cfdad3c16e7a12a480ee83cd310", 5_148),
    },
}

TIMEOUT = 30.0  # seconds per connection attempt
CHUNK = 1 << 16
RETRY_AFTER = 60.0  # seconds before load_idx_dataset tries the network again after a failure
_recent_failures: dict[tuple[str, str], tuple[float, DatasetError]] = {}


def _check_dataset(dataset: str) -> None:
    """Reject names that are not IDX sets we know how to fetch."""
    if dataset not in MIRRORS:
        raise DatasetError(f"unknown IDX dataset {dataset!r}; choose one of: {', '.join(MIRRORS)}")


# ---------------------------------------------------------------- file format


# Bounds checked before anything is decompressed or allocated: MNIST's largest file holds 47 MB
# in 3 dimensions. A 2 MB gzip of 2 GiB of zeros once took 4.3 GB and 40 s before it was refused.
MAX_IDX_BYTES = 256 * 2**20
MAX_IDX_DIMS = 8


def _read_exactly(f: BinaryIO, n: int, name: str) -> bytes:
    """Up to n bytes of f (fewer at its end); gzip failures become one readable DatasetError."""
    try:
        return f.read(n)
    except EOFError:
        raise DatasetError(f"{name}: truncated: the gzip data ends early (incomplete download?)") from None
    except (OSError, zlib.error) as e:
        raise DatasetError(f"{name}: corrupt gzip data ({e})") from None


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read an IDX file, gzipped or not, into an array of its native shape and type.

    Streamed, never decompressed whole: the header is read first and its size (at most
    MAX_IDX_DIMS dimensions, MAX_IDX_BYTES of data) checked before the data is read.
    """
    path = Path(path)
    name = path.name
    try:
        f = open(path, "rb")
    except FileNotFoundError:
        raise DatasetError(f"{name}: file not found: {path}") from None
    except OSError as e:
        raise DatasetError(f"{name}: cannot read {path}: {e.strerror or e}") from None
    with f:
        # detect gzip by its magic bytes: people rename and unpack these files freely
        gzipped = f.read(2) == b"\x1f\x8b"
        f.seek(0)
        stream: BinaryIO = gzip.GzipFile(fileobj=f, mode="rb") if gzipped else f
        return _parse_idx(stream, name)


def _parse_idx(f: BinaryIO, name: str) -> np.ndarray:
    head = _read_exactly(f, 4, name)
    if len(head) < 4:
        raise DatasetError(f"{name}: truncated: {len(head)} bytes is too short for an IDX header")
    zero, code, ndim = struct.unpack(">HBB", head)
    if zero != 0 or code not in IDX_DTYPES or ndim == 0:
        magic = struct.unpack(">I", head)[0]
        raise DatasetError(
            f"{name}: not an IDX file: magic number 0x{magic:08X} "
            "(expected 0x00000803 for images, 0x00000801 for labels)"
        )
    if ndim > MAX_IDX_DIMS:
        raise DatasetError(f"{name}: the header says {ndim} dimensions; at most {MAX_IDX_DIMS} are read "
                           "(images have 3, labels 1)")
    raw_dims = _read_exactly(f, 4 * ndim, name)
    if len(raw_dims) < 4 * ndim:
        raise DatasetError(f"{name}: truncated: the header needs {4 + 4 * ndim} bytes, file has {4 + len(raw_dims)}")
    dims = struct.unpack(f">{ndim}I", raw_dims)
    dtype = np.dtype(IDX_DTYPES[code])
    expected = math.prod(dims) * dtype.itemsize  # Python ints: no int64 overflow
    shape = "×".join(map(str, dims))
    if expected > MAX_IDX_BYTES:
        raise DatasetError(f"{name}: the header says {shape} = {expected:,} bytes of data; "
                           f"at most {MAX_IDX_BYTES:,} are read")
    raw = _read_exactly(f, expected, name)
    have = len(raw)
    if have < expected:
        raise DatasetError(f"{name}: truncated: header says {shape} = {expected} bytes of data, file has {have}")
    if _read_exactly(f, 1, name):
        raise DatasetError(f"{name}: corrupt: extra bytes at the end: header says {shape} = {expected} bytes of data, "
                           "the file has more")
    data = np.frombuffer(raw, dtype=dtype, count=expected // dtype.itemsize)
    # astype copies: the result is writable, native-endian and no longer pins the raw bytes
    return data.astype(dtype.newbyteorder("="), copy=True).reshape(dims)


def write_idx(path: str | os.PathLike, array: np.ndarray) -> None:
    """Write an array as an IDX file, gzipped when the name ends in .gz."""
    array = np.asarray(array)
    codes = {np.dtype(v).newbyteorder("="): k for k, v in IDX_DTYPES.items()}
    code = codes.get(array.dtype.newbyteorder("="))
    if code is None or array.ndim == 0:
        raise DatasetError(f"cannot write a {array.ndim}-D {array.dtype} array as IDX")
    big_endian = array.astype(np.dtype(IDX_DTYPES[code]), copy=False)
    data = struct.pack(f">HBB{array.ndim}I", 0, code, array.ndim, *array.shape) + big_endian.tobytes()
    path = Path(path)
    if path.suffix == ".gz":
        data = gzip.compress(data, mtime=0)
    _write_atomic(path, data)


def _write_atomic(path: Path, data: bytes) -> None:
    """Write via a temp file and rename, so a crash never leaves half a file under the real name."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name + ".", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


# ---------------------------------------------------------------- where the files are


def resolve_data_dir(dataset: str, data_dir: str | os.PathLike | None = None) -> Path:
    """Folder holding this dataset's files: data_dir itself, else $PLAYGROUND_DATA_DIR/<dataset>, else the cache."""
    _check_dataset(dataset)
    if data_dir:
        return Path(data_dir).expanduser()
    # the variable names a root shared by all sets, since their file names are identical
    root = os.environ.get(ENV_VAR)
    return (Path(root) if root else CACHE_ROOT).expanduser() / dataset


def find_idx_files(dataset: str, data_dir: str | os.PathLike | None = None) -> dict[str, Path | None]:
    """Map each standard file to its path on disk (gzipped or not), or None when absent."""
    folder = resolve_data_dir(dataset, data_dir)
    found: dict[str, Path | None] = {}
    for stem in FILE_STEMS:
        candidates = [folder / f"{stem}.gz", folder / stem]
        found[stem] = next((p for p in candidates if p.is_file()), None)
    return found


def missing_idx_files(dataset: str, data_dir: str | os.PathLike | None = None) -> list[str]:
    """Names (.gz form) of the standard files not present in the dataset's folder."""
    return [f"{stem}.gz" for stem, p in find_idx_files(dataset, data_dir).items() if p is None]


def _how_to_fix(dataset: str, folder: Path, missing: list[str]) -> str:
    """Say which files to put where, and where they come from."""
    paths = "\n".join(f"  {folder / name}" for name in missing)
    return (
        f"Put these files there yourself (from {MIRRORS[dataset][0]}):\n{paths}\n"
        f"or pass another folder as data_dir, or set {ENV_VAR} to a folder with a {dataset}/ subfolder."
    )


# ---------------------------------------------------------------- download


class _ChecksumError(Exception):
    """A download arrived complete but with the wrong MD5."""


def _fetch(url: str, dest: Path, md5: str, on_bytes: Callable[[int], None], on_length: Callable[[int], None]) -> None:
    """Stream url into dest through a temp file, checking the MD5 before the rename."""
    request = urllib.request.Request(url, headers={"User-Agent": "neural-playground"})
    fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=dest.name + ".", suffix=".part")
    try:
        digest = hashlib.md5(usedforsecurity=False)
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            length = response.headers.get("Content-Length") if response.headers else None
            if length and length.isdigit():
                on_length(int(length))
            while chunk := response.read(CHUNK):
                out.write(chunk)
                digest.update(chunk)
                on_bytes(len(chunk))
        if digest.hexdigest() != md5:
            raise _ChecksumError(f"MD5 checksum mismatch (got {digest.hexdigest()}, expected {md5})")
        os.replace(tmp, dest)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _describe(e: BaseException) -> str:
    """Short reason for a failed download: 'HTTP Error 404: Not Found', '[Errno -2] Name or service not known'."""
    if isinstance(e, urllib.error.HTTPError):
        return str(e)
    if isinstance(e, urllib.error.URLError):
        return str(e.reason)
    return str(e) or type(e).__name__


def download_idx(
    dataset: str,
    data_dir: str | os.PathLike | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Path:
    """Download the missing standard files into the dataset's folder, verifying MD5s; returns the folder."""
    folder = resolve_data_dir(dataset, data_dir)
    title = TITLES.get(dataset, dataset)
    missing = [name[: -len(".gz")] for name in missing_idx_files(dataset, folder)]
    if not missing:
        return folder
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise DatasetError(
            f"{title}: cannot create the folder {folder} ({e.strerror or e}).\n"
            + _how_to_fix(dataset, folder, [f"{s}.gz" for s in missing])
        ) from None

    # one bar for all files: start from the published sizes, correct with Content-Length
    sizes = {stem: CHECKSUMS[dataset][stem][1] for stem in missing}
    state = {"done": 0, "total": sum(sizes.values())}

    def report() -> None:
        if progress is not None:
            progress(state["done"], max(state["total"], state["done"]))

    report()
    failed: dict[str, list[tuple[str, str]]] = {}
    for stem in missing:
        md5 = CHECKSUMS[dataset][stem][0]
        errors: list[tuple[str, str]] = []
        for mirror in MIRRORS[dataset]:
            url = f"{mirror}{stem}.gz"
            got = 0

            def on_length(length: int, stem: str = stem) -> None:
                state["total"] += length - sizes[stem]
                sizes[stem] = length

            def on_bytes(k: int) -> None:
                nonlocal got
                got += k
                state["done"] += k
                report()

            try:
                _fetch(url, folder / f"{stem}.gz", md5, on_bytes, on_length)
            except (_ChecksumError, urllib.error.URLError, http.client.HTTPException, OSError, ValueError) as e:
                errors.append((mirror, _describe(e)))
                state["done"] -= got  # these bytes will be fetched again from the next mirror
                report()
                continue
            break
        else:
            failed[stem] = errors
    if failed:
        raise DatasetError(
            f"{title}: could not download {len(failed)} file(s) into {folder}:\n{_summarise(failed)}\n"
            + _how_to_fix(dataset, folder, missing_idx_files(dataset, folder))
        )
    return folder


def _summarise(failed: dict[str, list[tuple[str, str]]]) -> str:
    """One line per mirror and reason; offline, every file fails the same way and one line says it all."""
    by_reason: dict[tuple[str, str], list[str]] = {}
    for stem, errors in failed.items():
        for mirror, reason in errors:
            by_reason.setdefault((mirror, reason), []).append(stem)
    lines = []
    for (mirror, reason), stems in by_reason.items():
        if len(stems) == len(failed) > 1:
            lines.append(f"  {mirror}: {reason}")
        else:
            lines.extend(f"  {mirror}{stem}.gz: {reason}" for stem in stems)
    return "\n".join(lines)


def stderr_progress(label: str = "downloading", width: int = 30, stream: TextIO | None = None) -> Callable[[int, int], None]:
    """Make a download_idx progress callback that draws a one-line text bar on stderr."""
    out = stream if stream is not None else sys.stderr
    last = {"text": ""}

    def report(done: int, total: int) -> None:
        frac = min(done / total, 1.0) if total > 0 else 0.0
        filled = int(frac * width)
        text = f"\r{label} [{'#' * filled}{'.' * (width - filled)}] {frac:4.0%} {done / 1e6:5.1f}/{total / 1e6:.1f} MB"
        # redraw only when the visible text changes: the callback fires every 64 KiB
        if text != last["text"]:
            out.write(text)
            if total > 0 and done >= total:
                out.write("\n")
            out.flush()
            last["text"] = text

    return report


# ---------------------------------------------------------------- load


@functools.lru_cache(maxsize=2)
def _decode(dataset: str, paths: tuple[str, ...], stamp: tuple[tuple[int, int], ...]) -> tuple[np.ndarray, np.ndarray]:
    """Decode and check the four files; cached because decoding 70k images takes about a second.

    stamp (mtime, size per file) is only part of the key, so replaced files are read again.
    """
    title = TITLES.get(dataset, dataset)
    train_x, train_y, test_x, test_y = (read_idx(p) for p in paths)
    for images, labels, split in ((train_x, train_y, "training"), (test_x, test_y, "test")):
        if images.ndim != 3 or labels.ndim != 1:
            raise DatasetError(
                f"{title}: the {split} files have shapes {images.shape} and {labels.shape}; "
                "expected (count, height, width) images and (count,) labels — are the files swapped?"
            )
        if len(images) != len(labels):
            raise DatasetError(f"{title}: the {split} files disagree: {len(images)} images but {len(labels)} labels")
    if train_x.shape[1:] != test_x.shape[1:]:
        raise DatasetError(f"{title}: training images are {train_x.shape[1:]} but test images are {test_x.shape[1:]}")
    images = np.concatenate([train_x, test_x]).astype(np.uint8, copy=False)
    labels = np.concatenate([train_y, test_y]).astype(np.int64)
    if labels.size and (labels.min() < 0 or labels.max() > 9):
        raise DatasetError(f"{title}: labels must be 0..9, found {labels.min()}..{labels.max()}")
    # shared by every caller through the cache, so nobody may write into them
    images.flags.writeable = False
    labels.flags.writeable = False
    return images, labels


def load_idx_dataset(
    dataset: str,
    data_dir: str | os.PathLike | None = None,
    download: bool = True,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Train + test images (uint8, N×H×W, read-only) and labels (int64), downloading missing files once."""
    folder = resolve_data_dir(dataset, data_dir)
    title = TITLES.get(dataset, dataset)
    if missing_idx_files(dataset, folder):
        if not download:
            raise DatasetError(
                f"{title} is not in {folder}.\n" + _how_to_fix(dataset, folder, missing_idx_files(dataset, folder))
            )
        key = (dataset, str(folder))
        recent = _recent_failures.get(key)
        # Streamlit reruns the script on every click; do not wait for a dead network each time
        if recent is not None and time.monotonic() - recent[0] < RETRY_AFTER:
            raise recent[1]
        try:
            download_idx(dataset, folder, progress)
        except DatasetError as e:
            _recent_failures[key] = (time.monotonic(), e)
            raise
        _recent_failures.pop(key, None)
    found = find_idx_files(dataset, folder)
    paths = tuple(str(found[stem]) for stem in FILE_STEMS)
    stats = [os.stat(p) for p in paths]
    return _decode(dataset, paths, tuple((s.st_mtime_ns, s.st_size) for s in stats))


def main(argv: list[str] | None = None) -> int:
    """Command line: python -m datasets {mnist,fashion_mnist} [folder]."""
    args = sys.argv[1:] if argv is None else argv
    if not args or args[0] not in MIRRORS or len(args) > 2:
        print(f"usage: python -m datasets {{{','.join(MIRRORS)}}} [folder]", file=sys.stderr)
        return 2
    try:
        folder = download_idx(args[0], args[1] if len(args) > 1 else None, stderr_progress(args[0]))
        images, _ = load_idx_dataset(args[0], folder, download=False)
    except DatasetError as e:
        print(f"\n{e}", file=sys.stderr)  # the newline ends an unfinished progress bar
        return 1
    print(f"{TITLES[args[0]]}: {len(images)} images of {images.shape[1]}×{images.shape[2]} in {folder}")
    return 0
