"""Read a run's ``.npz`` files (split, per-user results, snapshots, projections) whole, or say in one phrase why not.

A file cut short by a kill or a full disk raises ``zipfile.BadZipFile``, ``EOFError`` or ``zlib.error`` from deep in
numpy, none of them the ``OSError``/``ValueError`` a reader expects, and a file that is not an ``.npz`` at all makes
numpy suggest ``allow_pickle=True``, which would run code from the file: that advice is never passed on.
"""

from __future__ import annotations

import zipfile
import zlib
from pathlib import Path

import numpy as np


class NpzError(ValueError):
    """An ``.npz`` file that cannot be read; the message names the file and what is wrong, in one line."""


def load_npz(path: Path) -> dict[str, np.ndarray]:
    """Every array of the ``.npz`` file at ``path``, read now (a truncated member fails here, not on first use).

    Raises:
        NpzError: The file is missing, truncated, not an ``.npz`` archive, or holds Python objects (never loaded).
    """
    try:
        with np.load(path, allow_pickle=False) as stored:
            return {name: stored[name] for name in stored.files}
    except FileNotFoundError:
        raise NpzError(f"{path} is missing") from None
    except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile, zlib.error) as error:
        raise NpzError(f"{path} {_why(error)}") from None


def _why(error: BaseException) -> str:
    text = str(error)
    if "pickle" in text:
        return "holds Python objects or is not an .npz archive; such files are never loaded (they could run code)"
    if isinstance(error, (zipfile.BadZipFile, EOFError, zlib.error)) or "truncated" in text.lower():
        return "is truncated or damaged (a write cut short by a kill or a full disk)"
    return f"cannot be read ({type(error).__name__}: {text[:120]})"
