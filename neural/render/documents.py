"""Every ``--json`` document of the ``neural`` analysis commands, built from the frozen results
without mutating them; serialised by :func:`gametheory.render.documents.json_text`.

The keys pinned in ``tests/test_documents.py`` are the contract: ``neural classify`` documents
lead with ``grad_norm``, ``lssp``, ``lssp_certified``, ``leftmost_eigenvalue``, ``dne``,
``player_min_eigenvalues``, ``max_rotation_ratio``; each document names its ``target`` and the
point of a checkpoint analysed (``at``: iterate, extrapolated or average).
"""
from __future__ import annotations

from neural.analysis.classify import NeuralClassification
from neural.analysis.eigen import EigenResult
from neural.analysis.path_angle import PathAngle
from neural.analysis.report import AnalysisReport


def eigen_document(result: EigenResult, target: str, block: str, at: str = "iterate") -> dict:
    """``neural eigs --json``: the eigenvalues with their residuals, the target, the block
    (``game`` for J, else the player whose Hessian was analysed) and the point ``at``."""
    return {**result.to_dict(), "target": target, "block": block, "at": at}


def classification_document(report: NeuralClassification, target: str, at: str = "iterate") -> dict:
    """``neural classify --json``: the verdicts with their certificates, the target and ``at``."""
    return {**report.to_dict(), "target": target, "at": at}


def path_angle_document(result: PathAngle, at: str = "iterate") -> dict:
    """``neural path-angle --json``: alphas, cosine and path-norm (median and quartiles over end
    states), each player's gradient norm and loss, and the point ``at`` of the end states."""
    return {**result.to_dict(), "at": at}


def analysis_document(report: AnalysisReport, files: dict[str, str], timings: dict[str, float]) -> dict:
    """``neural analyze``'s ``report.json`` (and ``--json``): the report, the files written and
    the wall time of every step, rendering included."""
    return {**report.to_dict(), "timings": dict(timings), "files": dict(files)}
