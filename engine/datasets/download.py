"""Where a MovieLens release's files come from: ``--data-dir``, the per-user cache, or a GroupLens download.

The cache is ``$XDG_CACHE_HOME/gnn-recsys-explorer`` (``~/.cache/gnn-recsys-explorer`` by default). A download
streams the zip with a tqdm progress bar, checks its MD5 against the pinned value (or the ``.md5`` file GroupLens
publishes beside a "latest" release), and unpacks it into the cache. Offline, the error says which URL to fetch
by hand and which flag to pass.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

from tqdm import tqdm

from engine.datasets.validation import DatasetError

CACHE_NAME = "gnn-recsys-explorer"
_TIMEOUT_S = 30
_CHUNK = 1 << 16


def cache_dir() -> Path:
    """The per-user cache folder (not created here)."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / CACHE_NAME


def locate_release(
    name: str, archive: str, url: str, md5: str | None, files: tuple[str, ...], data_dir: str | Path | None
) -> Path:
    """Folder holding all of a release's ``files``.

    Args:
        name (str): Registry name, used in messages.
        archive (str): Folder name inside the zip (``ml-100k``); also accepted as a sub-folder of ``data_dir``.
        url (str): Zip to download when neither ``data_dir`` nor the cache has the files.
        md5 (str, optional): Expected MD5 of the zip; ``None`` reads ``<url>.md5``.
        files (tuple[str, ...]): Files the release must contain.
        data_dir (str | Path, optional): A folder the user points at; never downloaded into.
    """
    if data_dir is not None:
        root = Path(data_dir).expanduser()
        for folder in (root, root / archive):
            if all((folder / file).is_file() for file in files):
                return folder
        missing = [file for file in files if not (root / file).is_file()]
        raise DatasetError(
            f"{root}: {', '.join(missing)} not found for {name}; --data-dir must point at the unpacked "
            f"{archive} folder holding {', '.join(files)} (download it from {url})"
        )
    cached = cache_dir() / archive
    if all((cached / file).is_file() for file in files):
        return cached
    download_release(name, archive, url, md5, cache_dir())
    missing = [file for file in files if not (cached / file).is_file()]
    if missing:
        raise DatasetError(f"{url} unpacked without {', '.join(missing)}; delete {cached} and retry")
    return cached


def download_release(name: str, archive: str, url: str, md5: str | None, target: Path) -> None:
    """Download ``url``, verify its MD5 and unpack it under ``target``."""
    target.mkdir(parents=True, exist_ok=True)
    by_hand = (
        f"fetch {url} by hand, unzip it, and pass --data-dir /path/to/{archive} "
        f"(or load_dataset({name!r}, data_dir=...))"
    )
    try:
        expected = md5 or _published_md5(url)
        with tempfile.NamedTemporaryFile(dir=target, suffix=".zip", delete=False) as partial:
            digest = _stream(url, partial, archive)
        zip_path = Path(partial.name)
    except (urllib.error.URLError, OSError, ValueError) as error:
        raise DatasetError(f"cannot download {name} from {url} ({error}); {by_hand}") from error
    try:
        if digest != expected:
            raise DatasetError(
                f"{url}: checksum mismatch (md5 {digest}, expected {expected}); the download is corrupt or the "
                f"release changed — retry, or {by_hand}"
            )
        _unpack(zip_path, target, url)
    finally:
        zip_path.unlink(missing_ok=True)


def _published_md5(url: str) -> str:
    with urllib.request.urlopen(f"{url}.md5", timeout=_TIMEOUT_S) as response:
        text = response.read().decode("ascii", errors="replace")
    # GroupLens writes "MD5 (ml-latest-small.zip) = <hex>"; md5sum writes "<hex>  <file>".
    words = [word for word in text.replace("=", " ").split() if len(word) == 32]
    if not words:
        raise ValueError(f"no MD5 in {url}.md5")
    return words[0].lower()


def _stream(url: str, sink, label: str) -> str:
    """Copy ``url`` into ``sink`` with a progress bar; return the MD5 of what was written."""
    digest = hashlib.md5()
    with urllib.request.urlopen(url, timeout=_TIMEOUT_S) as response:
        total = int(response.headers.get("Content-Length") or 0) or None
        with tqdm(total=total, unit="B", unit_scale=True, desc=f"downloading {label}") as progress:
            while chunk := response.read(_CHUNK):
                sink.write(chunk)
                digest.update(chunk)
                progress.update(len(chunk))
    return digest.hexdigest()


def _unpack(zip_path: Path, target: Path, url: str) -> None:
    """Extract a zip, refusing members whose paths would escape ``target``."""
    root = target.resolve()
    try:
        with zipfile.ZipFile(zip_path) as bundle:
            for member in bundle.namelist():
                if not (root / member).resolve().is_relative_to(root):
                    raise DatasetError(f"{url}: archive member {member!r} escapes the cache folder; refusing it")
            with tempfile.TemporaryDirectory(dir=target) as staging:
                bundle.extractall(staging)
                for entry in Path(staging).iterdir():
                    destination = target / entry.name
                    if destination.exists():
                        shutil.rmtree(destination)
                    shutil.move(str(entry), destination)
    except zipfile.BadZipFile as error:
        raise DatasetError(f"{url}: not a zip archive ({error}); retry the download") from error
