"""Every ``--json`` document of the ``neural`` analysis commands, built from the frozen results
without mutating them; serialised by :func:`gametheory.render.documents.json_text`.

The keys pinned in ``tests/test_documents.py`` are the contract: ``neural classify`` documents
lead with ``grad_norm``, ``lssp``, ``lssp_certified``, ``leftmost_eigenvalue``, ``dne``,
``player_min_eigenvalues``, ``max_rotation_ratio``; each document names its ``target``. With
``--certify`` a classify document adds ``certify`` (parameters, products, block, memory_estimate,
max_memory, shift_retries, method); which proof was used is each certificate's ``kind``.
"""
from __future__ import annotations

from neural.analysis.classify import NeuralClassification
from neural.analysis.eigen import EigenResult
from neural.analysis.path_angle import PathAngle


def eigen_document(result: EigenResult, target: str, block: str) -> dict:
    """``neural eigs --json``: the eigenvalues with their residuals, the target and the block
    (``game`` for J, else the player whose Hessian was analysed)."""
    return {**result.to_dict(), "target": target, "block": block}


def classification_document(report: NeuralClassification, target: str) -> dict:
    """``neural classify --json``: the verdicts with their certificates, and the target."""
    return {**report.to_dict(), "target": target}


def path_angle_document(result: PathAngle) -> dict:
    """``neural path-angle --json``: alphas, cosine and path-norm (median and quartiles over end
    states) and each player's gradient norm and loss."""
    return result.to_dict()
