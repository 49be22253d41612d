"""2-D maps of user and item embeddings: PCA at once, UMAP cached, both aligned across epochs.

UMAP follows McInnes et al., "UMAP: Uniform Manifold Approximation and Projection for Dimension
Reduction" (2018), with the cosine metric because recommenders score by dot products, so direction
matters more than length. Successive epochs are aligned by orthogonal Procrustes (Schönemann, "A
generalized solution of the orthogonal Procrustes problem", 1966) onto the previous snapshot's map,
so a point moves on the epoch slider only when its embedding moved, not because the projection
flipped or rotated.

A projection is stored at its run's ``RunDir.projection_path(epoch, method)`` (plain arrays, loaded
without pickle). New points (a cold-start user) are placed exactly for PCA and, for UMAP, the way
``umap.UMAP.transform`` initialises them: the similarity-weighted mean position of their nearest
fitted neighbors in the original space.
"""

from __future__ import annotations

import io
import os
import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from engine.analysis.neighbors import unit_rows
from engine.runs.npzio import NpzError, load_npz

METHODS = ("pca", "umap", "pca3d", "umap3d")  # a "3d" method is the same fit with three components (the 3-D view)
TRANSFORM_NEIGHBORS = 15  # fitted points that place a new point on a UMAP map (UMAP's own default)
UMAP_NEIGHBORS = 15  # UMAP's own default
# Up to this many points the cosine neighbors UMAP starts from are found exactly here (chunked matrix products,
# ~2 s for 10k points) instead of by NN-descent, whose numba kernels take ~35 s to compile in every new process.
EXACT_NEIGHBORS_MAX = 50_000
NEIGHBOR_CHUNK = 2048  # rows of the similarity matrix held at once: 2048 x 50k float32 = 400 MB at most
# UMAP's default is 500 layout epochs below 10k points and 200 above; 200 everywhere keeps maps of every size at
# UMAP's large-data quality and makes a 10k-point map ~2x faster.
UMAP_EPOCHS = 200

Progress = Callable[[str], None]  # receives a short line such as "layout epoch 40 of 200"


def components(method: str) -> int:
    """How many coordinates a map of ``method`` has: 3 for ``"pca3d"`` and ``"umap3d"``, else 2."""
    return 3 if method.endswith("3d") else 2


def base_method(method: str) -> str:
    """``"pca"`` or ``"umap"``: how a map of ``method`` is fitted, whatever its number of components."""
    return method.removesuffix("3d")


class ProjectionError(ValueError):
    """A projection that cannot be made or read; the message says why and what to do."""


@dataclass
class Projection:
    """A 2-D (or, for a ``"3d"`` method, 3-D) map of ``num_users`` users followed by the items, already aligned to
    its reference epoch.

    Args:
        method (str): One of :data:`METHODS`.
        epoch (int): Embedding snapshot the map was fitted on.
        coords (np.ndarray): Aligned positions, shape ``(U + I, c)`` float32 (``c`` = :func:`components`), users first.
        num_users (int): How many leading rows of ``coords`` are users.
        rotation (np.ndarray): Orthogonal ``(c, c)`` alignment applied after the raw projection.
        shift (np.ndarray): ``(c,)`` translation applied after ``rotation``.
        aligned_to (int): Epoch of the map this one was aligned onto, ``-1`` when none.
        pca_mean (np.ndarray, optional): ``(d,)`` centre of the PCA fit. (default: ``None``)
        pca_components (np.ndarray, optional): ``(c, d)`` principal axes of the PCA fit. (default: ``None``)
    """

    method: str
    epoch: int
    coords: np.ndarray
    num_users: int
    rotation: np.ndarray
    shift: np.ndarray
    aligned_to: int = -1
    pca_mean: np.ndarray | None = None
    pca_components: np.ndarray | None = None

    def transform(self, points: np.ndarray, fitted_embeddings: np.ndarray) -> np.ndarray:
        """Place new embedding vectors on this map.

        Args:
            points (np.ndarray): New vectors, shape ``(B, d)``.
            fitted_embeddings (np.ndarray): The ``(U + I, d)`` vectors this map was fitted on (users first);
                UMAP placement looks up the new points' neighbors among them.

        Returns:
            np.ndarray: Positions on the aligned map, shape ``(B, c)`` float32.
        """
        points = np.atleast_2d(np.asarray(points, dtype=np.float32))  # (B, d)
        if len(fitted_embeddings) != len(self.coords):
            raise ProjectionError(
                f"this {self.method} map of epoch {self.epoch} has {len(self.coords)} points but "
                f"{len(fitted_embeddings)} fitted embeddings were given; pass the same epoch's embeddings"
            )
        if base_method(self.method) == "pca":
            raw = (points - self.pca_mean) @ self.pca_components.T  # (B, c)
            return (raw @ self.rotation + self.shift).astype(np.float32)
        fitted = unit_rows(fitted_embeddings)  # (N, d)
        similarity = unit_rows(points) @ fitted.T  # (B, N)
        k = min(TRANSFORM_NEIGHBORS, len(fitted))
        nearest = np.argpartition(-similarity, k - 1, axis=1)[:, :k]  # (B, k)
        weights = np.clip(np.take_along_axis(similarity, nearest, axis=1), 1e-6, None)  # (B, k)
        weights /= weights.sum(axis=1, keepdims=True)
        return np.einsum("bk,bkc->bc", weights, self.coords[nearest]).astype(np.float32)

    def save(self, path: Path) -> None:
        """Write atomically, so a reader never sees half a file."""
        arrays = {
            "method": np.array(self.method),
            "epoch": np.array(self.epoch),
            "coords": self.coords,
            "num_users": np.array(self.num_users),
            "rotation": self.rotation,
            "shift": self.shift,
            "aligned_to": np.array(self.aligned_to),
        }
        if self.pca_mean is not None:
            arrays["pca_mean"] = self.pca_mean
            arrays["pca_components"] = self.pca_components
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
        with open(partial, "wb") as handle:
            np.savez(handle, **arrays)
        os.replace(partial, path)

    @classmethod
    def load(cls, path: Path) -> Projection:
        try:
            data = load_npz(path)
            return cls(
                method=str(data["method"]),
                epoch=int(data["epoch"]),
                coords=data["coords"],
                num_users=int(data["num_users"]),
                rotation=data["rotation"],
                shift=data["shift"],
                aligned_to=int(data["aligned_to"]),
                pca_mean=data["pca_mean"] if "pca_mean" in data else None,
                pca_components=data["pca_components"] if "pca_components" in data else None,
            )
        except (NpzError, KeyError, ValueError) as error:
            why = error if isinstance(error, NpzError) else f"{path} lacks {error}"
            raise ProjectionError(f"cannot read projection: {why}; delete it to recompute") from None


def procrustes_align(source: np.ndarray, target: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Orthogonal map (rotation or reflection) and shift that bring ``source`` closest to ``target``.

    Args:
        source (np.ndarray): Points to move, shape ``(N, c)``.
        target (np.ndarray): Where they should land, shape ``(N, c)``.

    Returns:
        tuple: ``rotation (c, c)`` and ``shift (c,)`` with ``source @ rotation + shift ≈ target``.
    """
    source_mean, target_mean = source.mean(axis=0), target.mean(axis=0)
    u, _, vt = np.linalg.svd((source - source_mean).T @ (target - target_mean))  # (c, c) cross-covariance
    rotation = u @ vt
    return rotation.astype(np.float32), (target_mean - source_mean @ rotation).astype(np.float32)


def fit_projection(
    embeddings: np.ndarray,
    num_users: int,
    method: str = "pca",
    *,
    epoch: int = 0,
    reference: Projection | None = None,
    seed: int = 0,
    progress: Progress | None = None,
) -> Projection:
    """Project ``(U + I, d)`` embeddings (users first) to 2-D (3-D for a ``"3d"`` method) and align the map onto
    ``reference``.

    Args:
        embeddings (np.ndarray): User rows then item rows, shape ``(U + I, d)``.
        num_users (int): Number of leading user rows.
        method (str): One of :data:`METHODS`. (default: ``"pca"``)
        epoch (int): Snapshot epoch recorded with the map. (default: ``0``)
        reference (Projection, optional): Earlier map of the same points to align onto. (default: ``None``)
        seed (int): Random state of UMAP. (default: ``0``)
        progress (callable, optional): Called with a line on each stage of a UMAP fit (neighbors, then layout
            epochs). (default: ``None``)
    """
    if method not in METHODS:
        raise ProjectionError(f"unknown projection method {method!r}; choose one of {', '.join(METHODS)}")
    embeddings = np.asarray(embeddings, dtype=np.float32)
    if embeddings.ndim != 2 or len(embeddings) < 3:
        raise ProjectionError(f"need at least 3 embedding rows of shape (N, d) to project (got {embeddings.shape})")
    if not np.isfinite(embeddings).all():
        raise ProjectionError(f"epoch {epoch} embeddings contain NaN or inf values; the run diverged at this epoch")
    dims = components(method)
    mean = axes = None
    if base_method(method) == "pca":
        mean = embeddings.mean(axis=0)  # (d,)
        centred = embeddings - mean  # (N, d)
        # Eigenvectors of the (d, d) covariance: the SVD of the (N, d) matrix costs far more for the same axes.
        _, vectors = np.linalg.eigh((centred.T @ centred).astype(np.float64))  # ascending eigenvalues
        axes = np.zeros((dims, embeddings.shape[1]), dtype=np.float32)
        top = vectors[:, ::-1][:, :dims].T  # (min(c, d), d)
        axes[: len(top)] = top  # an embedding of fewer dimensions than the map gets flat last axes
        raw = centred @ axes.T  # (N, c)
    else:
        raw = _umap(embeddings, seed, progress or (lambda line: None), dims)
    rotation, shift = np.eye(dims, dtype=np.float32), np.zeros(dims, dtype=np.float32)
    aligned_to = -1
    if reference is not None and reference.coords.shape == raw.shape:
        rotation, shift = procrustes_align(raw, reference.coords)
        aligned_to = reference.epoch
    return Projection(
        method=method,
        epoch=epoch,
        coords=(raw @ rotation + shift).astype(np.float32),
        num_users=num_users,
        rotation=rotation,
        shift=shift,
        aligned_to=aligned_to,
        pca_mean=mean,
        pca_components=axes,
    )


def _umap(embeddings: np.ndarray, seed: int, progress: Progress, dims: int = 2) -> np.ndarray:
    # Imported here: importing umap compiles numba kernels for seconds, which pages that never ask for it skip.
    import umap

    neighbors = min(UMAP_NEIGHBORS, len(embeddings) - 1)
    known = None
    if len(embeddings) <= EXACT_NEIGHBORS_MAX:
        progress(f"nearest neighbors of {len(embeddings):,} points (exact)")
        indices, distances = cosine_neighbors(embeddings, neighbors)
        known = (indices, distances, None)
    else:
        progress(f"nearest neighbors of {len(embeddings):,} points (NN-descent)")
    # PCA initialisation: on 10k points the default spectral one takes ~100 s here against ~23 s, and starting
    # from the principal axes keeps successive epochs' maps close before Procrustes alignment.
    reducer = umap.UMAP(
        n_components=dims,
        metric="cosine",
        n_neighbors=neighbors,
        init="pca",
        n_epochs=UMAP_EPOCHS,
        random_state=seed,
        n_jobs=1,
        precomputed_knn=known or (None, None, None),
        tqdm_kwds={"disable": False, "file": _LayoutProgress(progress), "bar_format": "{n}/{total}", "mininterval": 1},
    )
    with warnings.catch_warnings():
        # Without an NN-descent index UMAP cannot transform() new data; Projection.transform places them instead.
        warnings.filterwarnings("ignore", message=".*knn_search_index.*", category=UserWarning)
        warnings.filterwarnings("ignore", message=".*n_jobs value 1 overridden.*", category=UserWarning)
        return reducer.fit_transform(embeddings).astype(np.float32)  # (N, c)


def cosine_neighbors(points: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Each point's ``k`` nearest points by cosine distance, itself first: ``(N, k)`` int64 indices, float32 distances.

    Exact, in chunks of :data:`NEIGHBOR_CHUNK` rows, sorted by distance (the layout UMAP's own search returns).
    """
    unit = unit_rows(np.asarray(points, dtype=np.float32))  # (N, d)
    indices = np.empty((len(unit), k), dtype=np.int64)
    distances = np.empty((len(unit), k), dtype=np.float32)
    for start in range(0, len(unit), NEIGHBOR_CHUNK):
        similarity = unit[start : start + NEIGHBOR_CHUNK] @ unit.T  # (C, N)
        rows = np.arange(len(similarity))
        similarity[rows, rows + start] = np.inf  # a point is its own nearest neighbor, even among duplicates
        nearest = np.argpartition(-similarity, k - 1, axis=1)[:, :k]  # (C, k), unordered
        order = np.argsort(-np.take_along_axis(similarity, nearest, axis=1), axis=1, kind="stable")
        nearest = np.take_along_axis(nearest, order, axis=1)
        indices[start : start + len(similarity)] = nearest
        chosen = np.take_along_axis(similarity, nearest, axis=1)
        chosen[:, 0] = 1.0  # itself
        distances[start : start + len(similarity)] = np.clip(1.0 - chosen, 0.0, 2.0)
    return indices, distances


def warm_up() -> None:
    """Import umap-learn and compile the kernels a fit runs (a tiny fit), so the next real fit starts at once."""
    points = np.random.default_rng(0).normal(size=(64, 8)).astype(np.float32)
    _umap(points, 0, lambda line: None)


class _LayoutProgress(io.TextIOBase):
    """The stream UMAP's tqdm bar writes ``n/total`` of its layout epochs to; reports each as a line."""

    def __init__(self, progress: Progress) -> None:
        super().__init__()
        self.progress = progress

    def write(self, text: str) -> int:
        counts = re.findall(r"(\d+)/(\d+)", text)
        if counts:
            done, total = counts[-1]
            self.progress(f"layout epoch {done} of {total}")
        return len(text)
