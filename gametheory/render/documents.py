"""Every ``--json`` document of the symbolic commands, built from the frozen results.

Builders never mutate their inputs and never recompute: each returns a new dict of JSON-able
values (exact values as sympy strings next to their floats). :func:`json_text` is the one
serialiser: JSON has no NaN or infinity, so such a number is written as ``null`` and the
document gains ``non_finite`` (count, note, the first paths). The keys pinned in
``tests/test_documents.py`` are the contract: a key is added, never renamed or removed.
"""
from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import sympy as sp

if TYPE_CHECKING:  # the results are only read: importing this module stays cheap
    from ..analysis.classify import GameReport
    from ..dynamics.convergence import StepAnalysis
    from ..dynamics.methods import Method
    from ..dynamics.regions import Region
    from ..dynamics.simulate import Trajectory

#: The keys of a point in the ``stepsize`` document (a family entry is kept whole).
STEPSIZE_KEYS = ("point", "point_float", "exact", "stationary", "stability", "stability_method", "eigenvalues",
                 "max_step_size", "max_step_size_exact", "max_step_size_method", "binding_eigenvalue",
                 "step_size_reason")

#: How many non-finite numbers a document lists by path.
NON_FINITE_SHOWN = 10


def classify_document(report: GameReport, regions: Sequence[Mapping[str, Region | str]] | None = None) -> dict:
    """``classify --json``: the report, each point extended by ``region`` (spec -> region, or
    the one-line reason it is out of reach) when regions were asked for."""
    document = report.to_dict()
    if regions:
        entries = document["stationary_points"]
        for i, found in enumerate(regions[:len(entries)]):
            entries[i] = {**entries[i], "region": {spec: r if isinstance(r, str) else r.to_dict()
                                                   for spec, r in found.items()}}
    return document


def _lemma4_entries(report: GameReport) -> list[dict]:
    """Each point's Lemma 4 keys (``STEPSIZE_KEYS``); a family entry whole."""
    return [entry if "family" in entry else {k: entry[k] for k in STEPSIZE_KEYS}
            for entry in report.to_dict()["stationary_points"]]


def _with_analysis(entry: dict, method: Method, analysis: StepAnalysis | None) -> dict:
    """A point's entry extended by the method's step-size analysis; for a method other than
    plain SimGD, ``max_step_size`` becomes the upper end of the first stable interval."""
    entry = {**entry, "method": method.label}
    if analysis is None:
        return {**entry, "stable_interval": None, "optimal_step_size": None, "optimal_spectral_radius": None}
    entry = {**entry, **analysis.to_dict(), "method": method.label}
    if method.plain:
        return entry  # Lemma 4 already fills max_step_size, its exact value and the binding eigenvalue
    interval, exact = analysis.stable_interval, analysis.intervals_exact
    return {**entry, "max_step_size": None if interval is None else interval[1],
            "max_step_size_exact": sp.sstr(exact[0][1]) if exact else None,
            "binding_eigenvalue": None, "step_size_reason": analysis.how}


def stepsize_document(report: GameReport, method: Method, analyses: Sequence[StepAnalysis | None]) -> dict:
    """``stepsize --json``: each point's Lemma 4 analysis extended by ``method``'s stable step
    sizes (``analyses``, one per point of ``report``); family entries are kept as they are."""
    entries = _lemma4_entries(report)
    extended = [_with_analysis(entry, method, analysis) for entry, analysis in zip(entries, analyses)]
    return {"game": report.game.name, "stationary_points": extended + entries[len(extended):]}


def simulation_document(game_name: str, params: Sequence[sp.Symbol], runs: Sequence[Trajectory], target) -> dict:
    """``simulate --json``: the target point (NAME -> float, or null) and every run."""
    return {"game": game_name,
            "target": None if target is None else dict(zip([s.name for s in params], map(float, target))),
            "runs": [r.to_dict(params) for r in runs]}


def finite(value, path: str, found: list[str]):
    """``value`` with every NaN or infinite float replaced by None; ``found`` collects
    ``path: value`` for each replaced number, ``path`` in JSONPath style (``$.a[0]``)."""
    if isinstance(value, float) and not math.isfinite(value):
        found.append(f"{path}: {value}")
        return None
    if isinstance(value, dict):
        return {key: finite(item, f"{path}.{key}", found) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite(item, f"{path}[{i}]", found) for i, item in enumerate(value)]
    return value


def json_text(document: dict) -> str:
    """The document as indented JSON, non-finite numbers written as null and listed under
    ``non_finite`` (count, note, the first ``NON_FINITE_SHOWN`` paths)."""
    found: list[str] = []
    document = finite(document, "$", found)
    if found:
        document["non_finite"] = {
            "note": "JSON has no NaN or infinity: these numbers are written as null",
            "count": len(found), "first": found[:NON_FINITE_SHOWN]}
    return json.dumps(document, indent=2, allow_nan=False)
