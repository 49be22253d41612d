"""Recommend page: a user's history, top-K with held-out hits and why; a cold-start user placed on the map."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st
import torch

from dashboard.components import node_picker, run_picker
from dashboard.components.markdown import plain
from dashboard.state import explore_cache, keys, loaders
from engine import CSR, InteractionGraph, NodeError
from engine.analysis import ProjectionError, ProjectionStore, explain_recommendations
from engine.models import InductiveNotSupported
from engine.plots import embedding_view
from engine.ranking import top_k
from engine.sampling import RandomWalkSampler

WHY_WALKS = 300  # walks from each recommended item when looking for the history items they reach
WHY_WALK_LENGTH = 3  # shorter than the sampler's default: evidence should be near the recommended item
WHY_TOP_T = 100
NONE_STANDS_OUT = "no single history item stands out"


def item_label(graph: InteractionGraph, item: int) -> str:
    return node_picker.label(graph, graph.num_users + int(item))


def evidence(graph: InteractionGraph, pairs: list[tuple[int, float]], unit: str) -> str:
    """``Title (34%); Title (21%)`` for shares of the score, ``Title (12 visits)`` for walk counts."""
    return "; ".join(
        f"{graph.item_title(item)} ({value:.0%})" if unit == "share" else f"{graph.item_title(item)} ({value} visits)"
        for item, value in pairs
    )


def pick_user(graph: InteractionGraph) -> int | None:
    activity = graph.user_degree()
    active = np.argsort(-activity, kind="stable")[:500]
    typed = st.text_input("User id (or pick below)", key="recommend_user_typed", placeholder="user:1")
    if typed.strip():
        try:
            node = graph.node_id(typed.strip())
        except NodeError as error:
            st.error(plain(error), icon=":material/error:")
            return None
        if node >= graph.num_users:
            st.error(plain(f"{typed.strip()!r} is an item; recommendations are for users (user:<id>)."))
            return None
        return node
    return int(
        st.selectbox(
            "User (500 most active)",
            active.tolist(),
            format_func=lambda u: f"{graph.node_name(u)} ({activity[u]} interactions)",
            key="recommend_user",
        )
    )


def recommendations_panel(
    loaded, graph: InteractionGraph, user_emb: np.ndarray, item_emb: np.ndarray, user: int, k: int
) -> None:
    train, split = loaded.split.train, loaded.split
    history = train.user_csr.neighbors(user)
    held_out = set(split.test_item[split.test_user == user].tolist())
    items, scores = loaded.model.recommend(np.array([user]), k)
    items, scores = np.asarray(items)[0], np.asarray(scores)[0]
    walker = RandomWalkSampler(train, num_walks=WHY_WALKS, walk_length=WHY_WALK_LENGTH, top_t=WHY_TOP_T)
    walks = walker.sample(items + graph.num_users, seed=0)
    walked = np.where(walks.neighbors >= 0, walks.neighbors - graph.num_users, -1)
    explanations = explain_recommendations(
        item_emb, history, items, scores, user_embedding=user_emb[user], walk_neighbors=walked,
        walk_counts=walks.visit_counts,
    )  # fmt: skip
    hits = sum(int(i) in held_out for i in items)
    st.markdown(f"**Top-{k}** — {hits} of {len(held_out)} held-out items recovered")
    # st.table wraps long titles (in st.dataframe the "why" columns were cut short and the walks column off-screen);
    # it renders its cells as Markdown, so every title reaches it through plain().
    st.table(
        pd.DataFrame(
            {
                "hit": ["✓" if int(i) in held_out else "" for i in items],
                "item": [plain(item_label(graph, i)) for i in items],
                "score": np.round(scores, 3),
                "history items behind this score (share)": [
                    plain(evidence(graph, e.contributions, "share") or NONE_STANDS_OUT) for e in explanations
                ],
                "history items its walks reach": [
                    plain(evidence(graph, e.walk_support, "visits") or "—") for e in explanations
                ],
            }
        ),
        hide_index=True,
    )
    st.caption(
        "Share: the part of what lifts the item's score above the list's mean score that each history item brings "
        "(the user's embedding written as a least-squares combination of their history items' embeddings). "
        "A history item is named only where it stands out: it lifts this item at least as much as it typically "
        "lifts or lowers the items of this list, and brings at least 5% of the lift; a history item that lifts "
        "every recommendation explains none of them. ✓ marks a held-out item."
    )
    with st.expander(f"History ({len(history)} training items)"):
        st.dataframe(pd.DataFrame({"item": [item_label(graph, i) for i in history]}), hide_index=True, key="history")


def cold_start_panel(run, loaded, graph: InteractionGraph, item_emb: np.ndarray, k: int) -> None:
    st.subheader("Cold start")
    model = loaded.model
    if not getattr(model, "supports_inductive", False):
        try:
            model.embed_new_user([0])
        except InductiveNotSupported as error:
            st.warning(plain(f"{run.config.get('model')} cannot place a new user: {error}"), icon=":material/block:")
            return
    popularity = np.argsort(-graph.item_degree(), kind="stable")
    chosen = st.multiselect(
        "Items the new user liked",
        popularity.tolist(),
        format_func=lambda i: item_label(graph, i),
        key=keys.RECOMMEND_COLD_ITEMS,
        placeholder="type to search titles",
        select_all=False,  # "Select 25 matches" was the first option while typing: one click added 25 items
    )
    if not chosen:
        st.info("Pick at least one item to build a cold-start user.", icon=":material/person_add:")
        return
    try:
        vector = model.embed_new_user([int(i) for i in chosen]).detach().cpu().float()  # (d,)
    except (InductiveNotSupported, ValueError) as error:
        st.warning(plain(error), icon=":material/block:")
        return
    if getattr(model, "inductive_is_approximate", False):
        st.caption("This model's inductive embedding is an approximation of what training would learn.")
    liked = CSR(np.array([0, len(chosen)]), np.sort(np.asarray(chosen, dtype=np.int64)))  # the new user's one row
    top, scores = top_k(vector[None], torch.from_numpy(item_emb), [0], min(k, len(item_emb)), exclude=liked)
    top, scores = top[0].numpy(), scores[0].numpy()  # (k,), (k,)
    left, right = st.columns([1, 2])
    left.dataframe(
        pd.DataFrame({"item": [item_label(graph, i) for i in top], "score": np.round(scores, 3)}),
        hide_index=True,
        key="cold_recommendations",
    )
    store = ProjectionStore(run.path)
    epochs = store.epochs()
    epoch = loaded.epoch if loaded.epoch in epochs else epochs[-1]
    try:
        stacked, _ = explore_cache.stacked_embeddings(run.path, epoch)
        method = "umap" if store.state(epoch, "umap") == "ready" else "pca"
        projection = explore_cache.ready_projection(run.path, epoch, method)
        position = projection.transform(vector.numpy(), stacked)  # (1, 2)
    except ProjectionError as error:
        right.warning(plain(f"Cannot place the user on the map: {error}"))
        return
    dataset = (run.config["dataset"], run.config.get("data_dir"))
    figure = embedding_view.map_figure(
        projection,
        explore_cache.categories(*dataset, "genre"),
        explore_cache.hover_texts(*dataset),
        title=f"Cold-start user on the {method.upper()} map of epoch {epoch}",
        highlight={"chosen items": np.asarray(chosen) + graph.num_users},
        extra_points={"cold-start user": position},
        height=520,
    )
    right.plotly_chart(figure, key="cold_map", theme=None)
    if graph.num_nodes > embedding_view.MAX_POINTS:
        right.caption(embedding_view.points_caption(graph.num_users, graph.num_items).capitalize() + ".")
    if method == "pca":
        right.caption("UMAP of this epoch is not cached yet (open the Embeddings page to compute it); PCA is shown.")


st.title("Recommend")
runs = run_picker.runs_with_embeddings()
if not runs:
    run_picker.explain_no_runs()
    st.stop()
run = run_picker.pick_run("Run", keys.RECOMMEND_RUN, runs)
run_picker.warn_if_damaged(run)
if run_picker.dataset_of(run) is None:
    st.stop()
try:
    loaded = loaders.loaded_run(run.path)
except (ValueError, FileNotFoundError, OSError) as error:
    st.error(plain(f"Cannot load run {run.run_id!r}: {error}"), icon=":material/error:")
    st.stop()
graph = loaded.graph
user_emb, item_emb = explore_cache.model_embeddings(str(run.path), run.files.checkpoint_path.stat().st_mtime, loaded)
k = int(st.slider("K", 5, 50, 10, key="recommend_k"))
user = pick_user(graph)
if user is not None:
    if loaded.split.train.user_csr.degree()[user] == 0:
        st.warning(plain(f"{graph.node_name(user)} has no training interactions; use the cold-start section below."))
    else:
        recommendations_panel(loaded, graph, user_emb, item_emb, user, k)
cold_start_panel(run, loaded, graph, item_emb, k)
