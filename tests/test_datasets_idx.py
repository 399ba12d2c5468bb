"""Tests of the IDX reader/writer, the download path and the MNIST-style generators; never uses the network."""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import struct
import sys
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from datasets import DatasetError, get, idx  # noqa: E402
from datasets.idx import (  # noqa: E402
    FILE_STEMS,
    download_idx,
    load_idx_dataset,
    missing_idx_files,
    read_idx,
    resolve_data_dir,
    stderr_progress,
    write_idx,
)

N_TRAIN, N_TEST = 20, 10


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """Fail loudly if anything tries a real URL; file:// stays allowed for the fake mirrors."""
    real = urllib.request.urlopen
    calls = []

    def guarded(request, *args, **kwargs):
        url = request.full_url if isinstance(request, urllib.request.Request) else request
        calls.append(url)
        if not url.startswith("file:"):
            raise urllib.error.URLError("network disabled in tests")
        return real(request, *args, **kwargs)

    monkeypatch.setattr(urllib.request, "urlopen", guarded)
    monkeypatch.delenv(idx.ENV_VAR, raising=False)
    return calls


def fake_set(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """30 tiny 'digits' whose every pixel encodes the label (label * 25) so pairing can be checked."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 10, N_TRAIN + N_TEST).astype(np.uint8)
    images = np.repeat(labels * 25, 28 * 28).reshape(-1, 28, 28).astype(np.uint8)
    images[:, 0, 0] = np.arange(N_TRAIN + N_TEST)  # a serial number, to check order and uniqueness
    return images, labels


def write_set(folder: Path, gz: bool = True, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Write the four standard files of a fake set into folder."""
    folder.mkdir(parents=True, exist_ok=True)
    images, labels = fake_set(seed)
    ext = ".gz" if gz else ""
    write_idx(folder / f"{FILE_STEMS[0]}{ext}", images[:N_TRAIN])
    write_idx(folder / f"{FILE_STEMS[1]}{ext}", labels[:N_TRAIN])
    write_idx(folder / f"{FILE_STEMS[2]}{ext}", images[N_TRAIN:])
    write_idx(folder / f"{FILE_STEMS[3]}{ext}", labels[N_TRAIN:])
    return images, labels


# ---------------------------------------------------------------- format


@pytest.mark.parametrize("name", ["images-idx3-ubyte", "images-idx3-ubyte.gz"])
def test_round_trip_images_and_labels(tmp_path, name):
    images, labels = fake_set()
    write_idx(tmp_path / name, images)
    write_idx(tmp_path / f"l-{name}", labels)
    back = read_idx(tmp_path / name)
    assert back.dtype == np.uint8 and back.shape == (30, 28, 28)
    np.testing.assert_array_equal(back, images)
    np.testing.assert_array_equal(read_idx(tmp_path / f"l-{name}"), labels)
    back[0, 0, 0] = 255  # the result is an ordinary writable array


def test_standard_header_bytes(tmp_path):
    write_idx(tmp_path / "i", np.zeros((60, 28, 28), np.uint8))
    write_idx(tmp_path / "l", np.zeros(60, np.uint8))
    assert (tmp_path / "i").read_bytes()[:16] == struct.pack(">IIII", 0x00000803, 60, 28, 28)
    assert (tmp_path / "l").read_bytes()[:8] == struct.pack(">II", 0x00000801, 60)
    assert len((tmp_path / "i").read_bytes()) == 16 + 60 * 28 * 28


@pytest.mark.parametrize("dtype", [np.int8, np.int16, np.int32, np.float32, np.float64])
def test_round_trip_other_types(tmp_path, dtype):
    a = (np.arange(24).reshape(2, 3, 4) - 5).astype(dtype)
    write_idx(tmp_path / "a.gz", a)
    back = read_idx(tmp_path / "a.gz")
    assert back.dtype == np.dtype(dtype) and back.dtype.isnative
    np.testing.assert_array_equal(back, a)


def test_gzip_is_detected_by_content_not_name(tmp_path):
    labels = np.arange(10, dtype=np.uint8)
    write_idx(tmp_path / "x.gz", labels)
    (tmp_path / "looks-raw").write_bytes((tmp_path / "x.gz").read_bytes())
    write_idx(tmp_path / "raw", labels)
    (tmp_path / "looks-gz.gz").write_bytes((tmp_path / "raw").read_bytes())
    np.testing.assert_array_equal(read_idx(tmp_path / "looks-raw"), labels)
    np.testing.assert_array_equal(read_idx(tmp_path / "looks-gz.gz"), labels)


def test_truncated_raw_file(tmp_path):
    path = tmp_path / "train-images-idx3-ubyte"
    write_idx(path, np.zeros((20, 28, 28), np.uint8))
    path.write_bytes(path.read_bytes()[: 16 + 1000])
    with pytest.raises(DatasetError) as err:
        read_idx(path)
    assert str(err.value) == (
        "train-images-idx3-ubyte: truncated: header says 20×28×28 = 15680 bytes of data, file has 1000"
    )


def test_truncated_gzip_file(tmp_path):
    path = tmp_path / "train-images-idx3-ubyte.gz"
    write_idx(path, np.random.default_rng(0).integers(0, 255, (20, 28, 28), dtype=np.uint8))
    path.write_bytes(path.read_bytes()[:-200])
    with pytest.raises(DatasetError, match=r"^train-images-idx3-ubyte\.gz: truncated"):
        read_idx(path)


def test_gzip_whose_content_is_truncated(tmp_path):
    path = tmp_path / "t10k-labels-idx1-ubyte.gz"
    path.write_bytes(gzip.compress(struct.pack(">II", 0x801, 10_000) + bytes(10)))
    with pytest.raises(DatasetError, match="truncated: header says 10000 = 10000 bytes of data, file has 10"):
        read_idx(path)


def test_header_cut_short(tmp_path):
    path = tmp_path / "short"
    path.write_bytes(struct.pack(">I", 0x803) + b"\x00\x00")
    with pytest.raises(DatasetError, match="short: truncated"):
        read_idx(path)
    path.write_bytes(b"\x00\x00")
    with pytest.raises(DatasetError, match="truncated"):
        read_idx(path)


@pytest.mark.parametrize("magic", [0x12345678, 0x00000703, 0x00000800, 0x08030000])
def test_wrong_magic(tmp_path, magic):
    path = tmp_path / "train-labels-idx1-ubyte"
    path.write_bytes(struct.pack(">II", magic, 4) + bytes(4))
    with pytest.raises(DatasetError, match=r"^train-labels-idx1-ubyte: not an IDX file: magic number 0x"):
        read_idx(path)


def test_extra_bytes_and_corrupt_gzip(tmp_path):
    path = tmp_path / "labels"
    path.write_bytes(struct.pack(">II", 0x801, 4) + bytes(6))
    with pytest.raises(DatasetError, match="extra bytes"):
        read_idx(path)
    path.write_bytes(b"\x1f\x8b" + b"not really gzip at all")
    with pytest.raises(DatasetError, match="labels: corrupt gzip"):
        read_idx(path)


def test_missing_file_is_a_dataset_error(tmp_path):
    with pytest.raises(DatasetError, match="not found"):
        read_idx(tmp_path / "nope")


def test_write_rejects_unsupported_types(tmp_path):
    with pytest.raises(DatasetError):
        write_idx(tmp_path / "a", np.zeros(3, dtype=np.uint16))


# ---------------------------------------------------------------- folders


def test_data_dir_resolution(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert resolve_data_dir("mnist") == tmp_path / "home/.cache/neural-playground/mnist"
    monkeypatch.setenv("PLAYGROUND_DATA_DIR", str(tmp_path / "shared"))
    assert resolve_data_dir("fashion_mnist") == tmp_path / "shared/fashion_mnist"
    assert resolve_data_dir("mnist", tmp_path / "mine") == tmp_path / "mine"
    with pytest.raises(DatasetError, match="unknown IDX dataset"):
        resolve_data_dir("cifar")


def test_missing_files_offline_names_folder_and_files(tmp_path):
    folder = tmp_path / "digits here"
    folder.mkdir()
    write_idx(folder / "train-labels-idx1-ubyte", np.zeros(3, np.uint8))
    assert missing_idx_files("mnist", folder) == [
        "train-images-idx3-ubyte.gz", "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"
    ]  # fmt: skip
    with pytest.raises(DatasetError) as err:
        load_idx_dataset("mnist", folder, download=False)
    message = str(err.value)
    assert str(folder) in message
    for name in missing_idx_files("mnist", folder):
        assert str(folder / name) in message
    assert "train-labels" not in message  # present, so not asked for
    assert "https://ossci-datasets.s3.amazonaws.com/mnist/" in message


def test_generate_offline_tries_download_once_and_explains(tmp_path, no_network):
    folder = tmp_path / "mnist"
    with pytest.raises(DatasetError) as err:
        get("mnist").generate(10, 0.0, np.random.default_rng(0), data_dir=str(folder))
    message = str(err.value)
    for stem in FILE_STEMS:
        assert str(folder / f"{stem}.gz") in message
    # offline every file fails the same way: one line per mirror, not one per file and mirror
    assert message.count("network disabled in tests") == len(idx.MIRRORS["mnist"])
    tried = len(no_network)
    assert tried == 4 * len(idx.MIRRORS["mnist"])  # every file from every mirror
    # a rerun straight after does not wait for the network again
    with pytest.raises(DatasetError):
        get("mnist").generate(10, 0.0, np.random.default_rng(0), data_dir=str(folder))
    assert len(no_network) == tried
    assert not list(folder.glob("*.part"))


# ---------------------------------------------------------------- download


@pytest.fixture
def mirror(tmp_path, monkeypatch):
    """A local file:// mirror holding gzipped fake MNIST files, registered with their MD5s."""
    source = tmp_path / "mirror"
    write_set(source, gz=True)
    sums = {stem: (hashlib.md5((source / f"{stem}.gz").read_bytes()).hexdigest(), 1000) for stem in FILE_STEMS}
    monkeypatch.setitem(idx.CHECKSUMS, "mnist", sums)
    monkeypatch.setitem(idx.MIRRORS, "mnist", (source.as_uri() + "/",))
    return source


def test_download_from_mirror_with_progress(tmp_path, mirror):
    folder = tmp_path / "data"
    seen = []
    assert download_idx("mnist", folder, lambda done, total: seen.append((done, total))) == folder
    for stem in FILE_STEMS:
        assert (folder / f"{stem}.gz").read_bytes() == (mirror / f"{stem}.gz").read_bytes()
    assert not list(folder.glob("*.part"))
    total_bytes = sum((mirror / f"{stem}.gz").stat().st_size for stem in FILE_STEMS)
    assert seen[0][0] == 0 and seen[-1] == (total_bytes, total_bytes)
    assert all(done <= total for done, total in seen)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)


def test_download_skips_files_already_present(tmp_path, mirror, no_network):
    folder = tmp_path / "data"
    write_set(folder, gz=False)
    download_idx("mnist", folder)
    assert no_network == []


def test_download_checksum_mismatch(tmp_path, mirror, monkeypatch):
    sums = dict(idx.CHECKSUMS["mnist"])
    sums[FILE_STEMS[2]] = ("0" * 32, 1000)
    monkeypatch.setitem(idx.CHECKSUMS, "mnist", sums)
    folder = tmp_path / "data"
    with pytest.raises(DatasetError) as err:
        download_idx("mnist", folder)
    message = str(err.value)
    assert "checksum mismatch" in message and "expected 00000000000000000000000000000000" in message
    assert str(folder / "t10k-images-idx3-ubyte.gz") in message
    assert not (folder / "t10k-images-idx3-ubyte.gz").exists()  # the bad file is not kept
    assert (folder / "t10k-labels-idx1-ubyte.gz").exists()  # the good ones are
    assert not list(folder.glob("*.part"))


def test_download_falls_back_to_the_next_mirror(tmp_path, mirror, monkeypatch):
    monkeypatch.setitem(idx.MIRRORS, "mnist", ((tmp_path / "empty").as_uri() + "/", mirror.as_uri() + "/"))
    folder = tmp_path / "data"
    download_idx("mnist", folder)
    assert missing_idx_files("mnist", folder) == []


def test_download_with_a_patched_opener(tmp_path, monkeypatch):
    # an opener that serves bytes from memory, like a real HTTP response
    payload = {stem: gzip.compress(struct.pack(">II", 0x801, 3) + bytes([1, 2, 3])) for stem in FILE_STEMS}
    monkeypatch.setitem(idx.CHECKSUMS, "fashion_mnist", {s: (hashlib.md5(p).hexdigest(), 1) for s, p in payload.items()})

    class Response(io.BytesIO):
        headers = {}

    def opener(request, timeout=None):
        stem = request.full_url.rsplit("/", 1)[1][: -len(".gz")]
        return Response(payload[stem])

    monkeypatch.setattr(urllib.request, "urlopen", opener)
    folder = download_idx("fashion_mnist", tmp_path / "f")
    np.testing.assert_array_equal(read_idx(folder / "t10k-labels-idx1-ubyte.gz"), [1, 2, 3])


def test_stderr_progress_bar():
    out = io.StringIO()
    bar = stderr_progress("mnist", width=10, stream=out)
    bar(0, 2_000_000)
    bar(1_000_000, 2_000_000)
    bar(2_000_000, 2_000_000)
    text = out.getvalue()
    assert "\rmnist [#####.....]  50%   1.0/2.0 MB" in text
    assert text.endswith("[##########] 100%   2.0/2.0 MB\n")


# ---------------------------------------------------------------- loading and the generators


@pytest.mark.parametrize("gz", [True, False])
def test_load_concatenates_train_then_test(tmp_path, gz):
    images, labels = write_set(tmp_path, gz=gz)
    got_images, got_labels = load_idx_dataset("mnist", tmp_path, download=False)
    np.testing.assert_array_equal(got_images, images)
    np.testing.assert_array_equal(got_labels, labels)
    assert got_labels.dtype == np.int64
    assert not got_images.flags.writeable  # shared through the cache


@pytest.mark.parametrize("name", ["mnist", "fashion_mnist"])
def test_generate_from_local_files(tmp_path, name):
    images, labels = write_set(tmp_path / name)
    X, y = get(name).generate(12, 0.0, np.random.default_rng(0), data_dir=str(tmp_path / name))
    assert X.shape == (12, 1, 28, 28) and X.dtype == np.float32 and y.dtype == np.int64
    assert X.min() >= 0 and X.max() <= 1
    serial = np.round(X[:, 0, 0, 0] * 255).astype(int)
    assert len(set(serial.tolist())) == 12  # without replacement
    np.testing.assert_array_equal(y, labels[serial])  # images stay with their labels
    np.testing.assert_allclose(X[:, 0, 5, 5], images[serial, 5, 5] / 255, atol=1e-6)
    X_all, _ = get(name).generate(1000, 0.0, np.random.default_rng(0), data_dir=str(tmp_path / name))
    assert sorted(np.round(X_all[:, 0, 0, 0] * 255).astype(int).tolist()) == list(range(N_TRAIN + N_TEST))


def test_generate_uses_the_environment_folder(tmp_path, monkeypatch):
    write_set(tmp_path / "fashion_mnist")
    monkeypatch.setenv("PLAYGROUND_DATA_DIR", str(tmp_path))
    X, _ = get("fashion_mnist").generate(5, 0.0, np.random.default_rng(0))
    assert X.shape == (5, 1, 28, 28)


def test_generate_is_deterministic_and_noise_is_clipped(tmp_path):
    write_set(tmp_path)
    run = lambda seed, noise: get("mnist").generate(15, noise, np.random.default_rng(seed), data_dir=tmp_path)  # noqa: E731
    np.testing.assert_array_equal(run(1, 0.2)[0], run(1, 0.2)[0])
    assert not np.array_equal(run(1, 0.0)[1], run(2, 0.0)[1])
    noisy, clean = run(1, 0.2)[0], run(1, 0.0)[0]
    assert noisy.min() >= 0 and noisy.max() <= 1 and np.abs(noisy - clean).mean() > 0.05


def test_decoded_arrays_are_cached_until_files_change(tmp_path, monkeypatch):
    write_set(tmp_path)
    reads = []
    real = idx.read_idx
    monkeypatch.setattr(idx, "read_idx", lambda p: reads.append(p) or real(p))
    idx._decode.cache_clear()
    load_idx_dataset("mnist", tmp_path, download=False)
    load_idx_dataset("mnist", tmp_path, download=False)
    assert len(reads) == 4
    write_set(tmp_path, seed=1)  # new content: must be read again
    path = tmp_path / f"{FILE_STEMS[0]}.gz"
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10**9))
    _, labels = load_idx_dataset("mnist", tmp_path, download=False)
    assert len(reads) == 8
    np.testing.assert_array_equal(labels, fake_set(1)[1])


def test_mismatched_files_are_reported(tmp_path):
    write_set(tmp_path)
    write_idx(tmp_path / f"{FILE_STEMS[3]}.gz", np.zeros(N_TEST + 1, np.uint8))
    with pytest.raises(DatasetError, match="test files disagree: 10 images but 11 labels"):
        load_idx_dataset("mnist", tmp_path, download=False)
    write_idx(tmp_path / f"{FILE_STEMS[3]}.gz", np.zeros((N_TEST, 28, 28), np.uint8))
    with pytest.raises(DatasetError, match="swapped"):
        load_idx_dataset("mnist", tmp_path, download=False)


def test_bad_file_in_the_folder_names_it(tmp_path):
    write_set(tmp_path)
    path = tmp_path / f"{FILE_STEMS[0]}.gz"
    path.write_bytes(path.read_bytes()[:50])
    with pytest.raises(DatasetError, match=r"train-images-idx3-ubyte\.gz: truncated"):
        get("mnist").generate(5, 0.0, np.random.default_rng(0), data_dir=tmp_path)


def test_command_line_download(tmp_path, mirror, capsys):
    assert idx.main(["mnist", str(tmp_path / "cli")]) == 0
    captured = capsys.readouterr()
    assert f"MNIST: 30 images of 28×28 in {tmp_path / 'cli'}" in captured.out
    assert "100%" in captured.err
    assert idx.main(["cifar"]) == 2
    assert "usage" in capsys.readouterr().err
