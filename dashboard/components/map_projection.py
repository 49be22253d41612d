"""The Embeddings page's maps: PCA at once, UMAP from the background queue, in 2-D or 3-D, and their titles."""

from __future__ import annotations

import uuid

import streamlit as st

from dashboard.components.markdown import plain
from dashboard.state import explore_cache, keys
from engine.analysis import ProjectionStore
from engine.jobs.process import start_maps
from engine.runs.rundir import RunInfo

UMAP, PCA = "UMAP (cosine)", "PCA"
MAP_HEIGHT = 600  # pixels, legend rows included


def methods(choice: str, three_d: bool) -> tuple[str, str]:
    """The stored method names a Projection choice asks for and falls back to: ``("umap3d", "pca3d")`` in 3-D."""
    suffix = "3d" if three_d else ""
    return ("pca" if choice == PCA else "umap") + suffix, "pca" + suffix


def requester(slot: str) -> str:
    """Who asks for a map in the UMAP queue: this browser session's ``slot`` (the main map or the compare map).

    The queue lets each requester's newest request supersede its older ones, so the epochs the slider passed
    on the way are dropped instead of computed one after another.
    """
    session = st.session_state.setdefault(keys.EMBEDDINGS_SESSION, uuid.uuid4().hex)
    return f"{session}:{slot}"


def projection_for(store: ProjectionStore, epoch: int, choice: str, three_d: bool = False, slot: str = "map"):
    """The requested map, or PCA with a note while UMAP is computed in the background."""
    method, pca = methods(choice, three_d)
    umap = method.replace("pca", "umap")
    if store.run.outside and method != pca:  # read-only: nothing, a UMAP least of all, is written into it
        note = (
            f"Run {store.run_dir.name} is a link to a run outside the runs directory, shown read-only: UMAP is not "
            "computed for it (it would be written there) — showing PCA. Copy the run into the runs directory for UMAP."
        )
        return explore_cache.ready_projection(store.run_dir, epoch, pca), note
    if method == pca:
        start_maps(store, [], umap, requester(slot))  # the UMAP this map asked for before is not wanted
        return explore_cache.ready_projection(store.run_dir, epoch, pca), None
    failed = store.state(epoch, umap) == "failed"  # shown as such, not retried on every rerun
    start_maps(store, [] if failed else [epoch], umap, requester(slot))  # withdraws its older requests too
    status = store.state(epoch, umap)
    if status == "ready":
        return explore_cache.ready_projection(store.run_dir, epoch, umap), None
    view = "3-D UMAP" if three_d else "UMAP"
    if status == "failed":
        note = f"{view} failed for epoch {epoch}: {store.error(epoch, umap)} — showing PCA."
    else:
        note = f"{view} of epoch {epoch} is being computed in the background: this map is its PCA until then."
    return explore_cache.ready_projection(store.run_dir, epoch, pca), note


def pending(store: ProjectionStore, epoch: int, three_d: bool) -> bool:
    """Whether the UMAP this map waits for is being computed."""
    return store.state(epoch, methods(UMAP, three_d)[0]) == "pending"


@st.fragment(run_every=1)
def wait_for_umap(waiting: list[tuple[ProjectionStore, int]], three_d: bool = False) -> None:
    """Poll the background jobs of every map drawn (the compare map's too); rerun the page once none is pending."""
    umap = methods(UMAP, three_d)[0]
    if all(store.state(epoch, umap) != "pending" for store, epoch in waiting):
        st.rerun()
    for store, epoch in waiting:
        progress = store.progress(epoch, umap) or "waiting for its turn (one map at a time)"
        # The bundled icon font, not an emoji: the ⏳ glyph is missing from the fonts Chromium has on Debian.
        st.caption(":material/hourglass_top: " + plain(f"UMAP of {store.run_dir.name}, epoch {epoch}: {progress}."))


def readable(figure):
    """The map with its legend in rows under it: on the right, the legend took a quarter of the map's width."""
    return figure.update_layout(
        legend={"orientation": "h", "yanchor": "top", "y": -0.02, "xanchor": "left", "x": 0, "title": None},
        height=MAP_HEIGHT,
    )


def map_title(run: RunInfo, epoch: int, projection) -> str:
    """``lightgcn · epoch 5 · UMAP``: short enough for half the page (the run id goes in the caption below)."""
    kind = "UMAP" if projection.method.startswith("umap") else "PCA"
    return f"{run.config.get('model')} · epoch {epoch} · {kind}" + (" · 3-D" if projection.coords.shape[1] == 3 else "")
