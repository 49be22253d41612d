"""The field types of ``experiment.json``, checked by :func:`engine.experiments.runner.read_experiment`.

A file that is valid JSON can still lack what its readers index: without ``spec`` the Runs page, ``report`` and
``compare`` raised ``KeyError: 'spec'``, and ``spec.models: 5`` a ``TypeError``. Checked once where the file is read,
such a file is one message naming it, and every reader may index the fields below.
"""

from __future__ import annotations

from typing import Any

from engine.runs.schema import checked

# The fields of experiment.json's "spec" (ExperimentSpec) and of each of its "members" (Member.to_dict), by type.
SPEC_FIELDS: dict[str, Any] = {
    "name": str,
    "dataset": str,
    "models": list[str],
    "seeds": list[int],
    "grid": dict[str, dict[str, list[Any]]],
    "epochs": int | None,
    "base": dict[str, Any],
    "refit": bool,  # absent = False (experiments saved before --refit)
    "tuned": dict[str, dict[str, Any]],
}
MEMBER_FIELDS: dict[str, Any] = {
    "run_id": str,
    "model": str,
    "seed": int,
    "grid_point": int,
    "settings": dict[str, Any] | None,
}


def experiment_problem(document: dict[str, Any]) -> str | None:
    """What makes a readable experiment.json unusable (no ``spec``, ``spec.models: 5``, a member without a run id),
    or ``None``: a reader then finds every field it indexes, of its type."""
    spec = document.get("spec")
    if not isinstance(spec, dict):
        return "it has no 'spec' object" if spec is None else "its 'spec' is not an object"
    missing = [name for name in ("name", "dataset", "models", "seeds") if name not in spec]  # the others have defaults
    unknown = sorted(set(spec) - set(SPEC_FIELDS))
    if missing or unknown:
        return f"its spec {'lacks ' + ', '.join(missing) if missing else 'has unknown ' + ', '.join(unknown)}"
    _, problems = checked(spec, SPEC_FIELDS, "spec")
    if problems:
        return problems[0]
    if not spec["models"] or not spec["seeds"]:
        return "its spec names no models or no seeds"
    members = document.get("members", [])
    if not isinstance(members, list) or not all(isinstance(member, dict) for member in members):
        return "its 'members' is not a list of objects"
    for member in members:
        _, problems = checked(member, MEMBER_FIELDS, "members")
        if problems or not MEMBER_FIELDS.keys() <= member.keys():
            return problems[0] if problems else f"a member lacks {', '.join(sorted(MEMBER_FIELDS.keys() - member))}"
    return None
