"""Datasets for Neural Playground: toy 2-D sets, 1-D curves, image sets, sequence tasks and the user's own CSV points.

Pure numpy (scikit-learn for moons and digits); no torch, no streamlit.
Look a set up with get(name) and call info.generate(n, noise, rng, **options)
to get (X, y); generate() never touches global random state, so one seed
always gives the same arrays.
"""

from .base import KINDS, TASKS, DatasetError, DatasetInfo
from .csv_points import MAX_BYTES as MAX_CSV_BYTES
from .csv_points import load_points_csv
from .idx import (
    download_idx,
    find_idx_files,
    load_idx_dataset,
    missing_idx_files,
    read_idx,
    resolve_data_dir,
    stderr_progress,
    write_idx,
)
from .images import MAX_IMAGE_BYTES, load_user_image
from .registry import REGISTRY, get, names
from .sequences import load_series_csv, load_text

_IMPORTING: list = []  # the one background import thread of this process, once started


def import_in_background() -> None:
    """Start importing scikit-learn (moons, digits) in a background thread, once per process.

    The import takes about a second. Lazy, it fell on the app's first page, whose dataset
    pictures need it; begun while the page waits for its trainer process to start, it is done
    by then. A later `import sklearn` waits for this one to finish (Python's import lock).
    """
    if not _IMPORTING:
        import threading

        thread = threading.Thread(target=__import__, args=("sklearn.datasets",), name="import-sklearn", daemon=True)
        _IMPORTING.append(thread)
        thread.start()

__all__ = [
    "DatasetError",
    "DatasetInfo",
    "KINDS",
    "REGISTRY",
    "TASKS",
    "download_idx",
    "find_idx_files",
    "get",
    "import_in_background",
    "load_idx_dataset",
    "load_points_csv",
    "load_user_image",
    "MAX_IMAGE_BYTES",
    "MAX_CSV_BYTES",
    "load_series_csv",
    "load_text",
    "missing_idx_files",
    "names",
    "read_idx",
    "resolve_data_dir",
    "stderr_progress",
    "write_idx",
]
