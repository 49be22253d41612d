"""Readable, unique generated titles for synthetic items ("The Silent River", "Iron Harbor of Lisbon")."""

from __future__ import annotations

import numpy as np

_ADJECTIVES = (
    "Silent", "Crimson", "Golden", "Hidden", "Broken", "Electric", "Frozen", "Burning", "Midnight", "Lost",
    "Wandering", "Iron", "Velvet", "Hollow", "Savage", "Gentle", "Final", "Secret", "Distant", "Shattered",
    "Wild", "Quiet", "Restless", "Shadow", "Bright", "Bitter", "Endless", "Forgotten", "Neon", "Scarlet",
    "Silver", "Stolen", "Sudden", "Twisted", "Untold", "Vanishing", "Wicked", "Lonely", "Radiant", "Fearless",
    "Ancient", "Paper", "Glass", "Northern", "Southern", "Sleeping", "Falling", "Rising",
)  # fmt: skip
_NOUNS = (
    "River", "Empire", "Garden", "Horizon", "Machine", "Harbor", "Kingdom", "Signal", "Mirror", "Storm",
    "Frontier", "Orchard", "Voyage", "Lantern", "Circus", "Covenant", "Detective", "Dynasty", "Echo", "Falcon",
    "Fortress", "Galaxy", "Heist", "Island", "Jungle", "Labyrinth", "Legacy", "Meadow", "Monsoon", "Nomad",
    "Oracle", "Outpost", "Pilgrim", "Prophecy", "Requiem", "Saga", "Sentinel", "Serenade", "Summit", "Tide",
    "Tower", "Valley", "Vendetta", "Witness", "Wolf", "Symphony", "Carnival", "Compass",
)  # fmt: skip
_PLACES = (
    "Avalon", "Brighton", "Cairo", "Dover", "Eldoria", "Florence", "Granada", "Havana", "Istanbul", "Jericho",
    "Kyoto", "Lisbon", "Marrakesh", "Nairobi", "Oslo", "Prague", "Quito", "Rio", "Samarkand", "Tangier",
    "Utopia", "Venice", "Warsaw", "Zanzibar",
)  # fmt: skip


def unique_titles(rng: np.random.Generator, count: int) -> np.ndarray:
    """Unique readable titles: "[The] Adjective Noun", "Adjective Noun of Place", then numbered sequels.

    Args:
        rng (np.random.Generator): Source of the random order of word combinations.
        count (int): Number of titles; beyond the ~60k word combinations, titles repeat with " 2", " 3", ...
    """
    adjectives, nouns, places = (np.array(words, dtype=object) for words in (_ADJECTIVES, _NOUNS, _PLACES))
    forms = 2 + len(places)  # "A N", "The A N", and one "A N of P" per place
    space = len(adjectives) * len(nouns) * forms
    code = rng.permutation(space)[np.arange(count) % space]
    sequel = np.arange(count) // space
    form, rest = code % forms, code // forms
    base = adjectives[rest % len(adjectives)] + " " + nouns[rest // len(adjectives)]
    title = np.where(form == 1, "The " + base, base)
    with_place = form >= 2
    title[with_place] = title[with_place] + " of " + places[form[with_place] - 2]
    numbered = sequel > 0
    title[numbered] = title[numbered] + " " + (sequel[numbered] + 1).astype(str).astype(object)
    return title
