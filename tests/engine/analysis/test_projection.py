"""Projections: PCA/UMAP maps keep planted clusters apart, align across epochs, place new points, cache safely."""

from __future__ import annotations

import numpy as np
import pytest

from engine.analysis import Projection, ProjectionError, ProjectionStore, fit_projection, procrustes_align
from engine.analysis.store import EmbeddingsMissing
from engine.jobs.process import start_maps


def planted(num_per_cluster: int = 40, clusters: int = 3, dim: int = 16, seed: int = 0):
    """Points around ``clusters`` orthogonal directions; returns (embeddings, labels)."""
    rng = np.random.default_rng(seed)
    centres = np.eye(dim, dtype=np.float32)[:clusters] * 5.0
    labels = np.repeat(np.arange(clusters), num_per_cluster)
    points = centres[labels] + rng.normal(scale=0.3, size=(len(labels), dim)).astype(np.float32)
    return points.astype(np.float32), labels


def separation(coords: np.ndarray, labels: np.ndarray) -> float:
    """Smallest distance between cluster centres over the largest within-cluster spread."""
    centres = np.stack([coords[labels == c].mean(axis=0) for c in np.unique(labels)])
    spread = max(np.linalg.norm(coords[labels == c] - centres[c], axis=1).mean() for c in np.unique(labels))
    gaps = [np.linalg.norm(a - b) for i, a in enumerate(centres) for b in centres[i + 1 :]]
    return min(gaps) / spread


def save_snapshot(run_dir, epoch: int, user: np.ndarray, item: np.ndarray) -> None:
    (run_dir / "embeddings").mkdir(parents=True, exist_ok=True)
    np.savez(run_dir / "embeddings" / f"epoch_{epoch:04d}.npz", user=user, item=item)


@pytest.mark.parametrize("method", ["pca", "umap"])
def test_planted_clusters_stay_apart(method):
    points, labels = planted()
    projection = fit_projection(points, num_users=40, method=method)
    assert projection.coords.shape == (120, 2)
    assert projection.coords.dtype == np.float32
    assert separation(projection.coords, labels) > 2.0


def test_procrustes_recovers_a_rotation_and_reflection():
    rng = np.random.default_rng(1)
    target = rng.normal(size=(50, 2)).astype(np.float32)
    angle = 1.1
    rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]]) @ np.diag([1, -1])
    source = (target - 3.0) @ rotation.T
    found_rotation, shift = procrustes_align(source, target)
    np.testing.assert_allclose(source @ found_rotation + shift, target, atol=1e-4)
    np.testing.assert_allclose(found_rotation @ found_rotation.T, np.eye(2), atol=1e-5)


def test_alignment_undoes_an_arbitrary_flip_between_epochs():
    points, _ = planted()
    first = fit_projection(points, num_users=40, epoch=1)
    flipped = points * -1.0 + 0.01  # PCA of a negated cloud comes out mirrored
    second = fit_projection(flipped, num_users=40, epoch=2, reference=first)
    assert second.aligned_to == 1
    assert np.abs(second.coords - first.coords).mean() < 0.05 * np.abs(first.coords).mean()
    unaligned = fit_projection(flipped, num_users=40, epoch=2)
    assert unaligned.aligned_to == -1
    assert np.abs(unaligned.coords - first.coords).mean() > np.abs(second.coords - first.coords).mean()


@pytest.mark.parametrize("method", ["pca", "umap"])
def test_transform_places_a_new_point_among_its_cluster(method):
    points, labels = planted()
    projection = fit_projection(points, num_users=40, method=method)
    newcomer = points[labels == 2][:5].mean(axis=0)  # (d,) inside cluster 2
    placed = projection.transform(newcomer, points)
    assert placed.shape == (1, 2)
    distances = [np.linalg.norm(placed[0] - projection.coords[labels == c].mean(axis=0)) for c in range(3)]
    assert int(np.argmin(distances)) == 2


def test_pca_transform_of_a_fitted_point_is_its_own_position():
    points, _ = planted()
    projection = fit_projection(points, num_users=40, reference=fit_projection(points[::-1].copy(), num_users=40))
    np.testing.assert_allclose(projection.transform(points[7], points)[0], projection.coords[7], atol=1e-4)


def test_transform_refuses_embeddings_of_another_size():
    points, _ = planted()
    projection = fit_projection(points, num_users=40)
    with pytest.raises(ProjectionError, match="same epoch"):
        projection.transform(points[0], points[:10])


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (np.zeros((2, 4), dtype=np.float32), "at least 3"),
        (np.full((5, 4), np.nan, dtype=np.float32), "NaN"),
    ],
)
def test_bad_embeddings_are_refused_with_a_reason(bad, message):
    with pytest.raises(ProjectionError, match=message):
        fit_projection(bad, num_users=1)


def test_unknown_method_is_refused():
    with pytest.raises(ProjectionError, match="tsne"):
        fit_projection(planted()[0], num_users=40, method="tsne")


def test_store_caches_and_aligns_epochs(tmp_path):
    points, _ = planted()
    save_snapshot(tmp_path, 1, points[:40], points[40:])
    save_snapshot(tmp_path, 3, -points[:40], -points[40:])
    store = ProjectionStore(tmp_path)
    assert store.epochs() == [1, 3]
    assert store.state(1, "pca") == "missing"
    third = store.get_or_compute(3, "pca")  # epoch 1 first, whatever the viewing order
    assert store.state(1, "pca") == "ready"
    first = store.load(1, "pca")
    assert third.aligned_to == 1
    cached = Projection.load(store.path(3, "pca"))
    np.testing.assert_array_equal(cached.coords, third.coords)
    assert np.abs(third.coords - first.coords).mean() < 0.05 * np.abs(first.coords).mean()


def test_store_without_snapshots_says_so(tmp_path):
    with pytest.raises(EmbeddingsMissing, match="no embedding snapshots"):
        ProjectionStore(tmp_path).embeddings(1)
    save_snapshot(tmp_path, 2, np.ones((3, 4), np.float32), np.ones((3, 4), np.float32))
    with pytest.raises(EmbeddingsMissing, match=r"\[2\]"):
        ProjectionStore(tmp_path).embeddings(5)


def test_damaged_projection_file_names_itself(tmp_path):
    store = ProjectionStore(tmp_path)
    store.projection_dir.mkdir()
    store.path(1, "pca").write_bytes(b"not a zip")
    with pytest.raises(ProjectionError, match="delete it to recompute"):
        store.load(1, "pca")


@pytest.mark.slow
def test_background_umap_process_fills_the_cache(tmp_path):
    points, _ = planted()
    save_snapshot(tmp_path, 1, points[:40], points[40:])
    save_snapshot(tmp_path, 2, points[:40] * 2, points[40:] * 2)
    store = ProjectionStore(tmp_path)
    assert start_maps(store, [1, 2], "umap") == [1, 2]
    assert store.state(1, "umap") in ("pending", "ready")
    assert start_maps(store, [1, 2], "umap") == []  # never duplicated while running
    import time

    deadline = time.monotonic() + 240
    while store.state(2, "umap") == "pending" and time.monotonic() < deadline:
        time.sleep(0.5)
    log = (store.projection_dir / "umap.log").read_text()
    assert store.state(1, "umap") == "ready", log
    assert store.state(2, "umap") == "ready", log
    assert store.load(2, "umap").aligned_to == 1


def test_background_failure_is_recorded(tmp_path):
    save_snapshot(tmp_path, 1, np.full((2, 4), np.nan, np.float32), np.full((2, 4), np.nan, np.float32))
    store = ProjectionStore(tmp_path)
    start_maps(store, [1], "pca")
    import time

    deadline = time.monotonic() + 120
    while store.state(1, "pca") == "pending" and time.monotonic() < deadline:
        time.sleep(0.2)
    assert store.state(1, "pca") == "failed"
    assert "NaN" in store.error(1, "pca")


@pytest.mark.parametrize("method", ["pca3d", "umap3d"])
def test_three_component_maps_keep_clusters_apart_and_place_new_points(method):
    points, labels = planted()
    projection = fit_projection(points, num_users=40, method=method)
    assert projection.coords.shape == (120, 3)
    assert separation(projection.coords, labels) > 2.0
    placed = projection.transform(points[:1], points)
    assert placed.shape == (1, 3)


def test_a_3d_map_is_cached_apart_from_the_2d_one_and_aligned_to_its_own_kind(tmp_path):
    rng = np.random.default_rng(0)
    for epoch in (1, 2):
        save_snapshot(tmp_path, epoch, rng.normal(size=(20, 8)), rng.normal(size=(30, 8)))
    store = ProjectionStore(tmp_path)
    flat = store.get_or_compute(2, "pca")
    deep = store.get_or_compute(2, "pca3d")
    assert store.path(2, "pca") != store.path(2, "pca3d")
    assert store.path(2, "pca3d").is_file() and store.path(1, "pca3d").is_file()
    assert flat.coords.shape == (50, 2) and deep.coords.shape == (50, 3)
    assert deep.aligned_to == 1  # onto epoch 1's 3-D map, not onto a 2-D one
    assert store.load(2, "pca3d").coords.shape == (50, 3)
