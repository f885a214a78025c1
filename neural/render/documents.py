"""Every ``--json`` document of the ``neural`` analysis commands, built from the frozen results
without mutating them; serialised by :func:`gametheory.render.documents.json_text`.

The keys pinned in ``tests/test_documents.py`` are the contract: ``neural classify`` documents
lead with ``grad_norm``, ``lssp``, ``lssp_certified``, ``leftmost_eigenvalue``, ``dne``,
``player_min_eigenvalues``, ``max_rotation_ratio``; each document names its ``target`` and the
point of a checkpoint analysed (``at``: iterate, extrapolated or average) and how many processes
computed it (``world_size``: 1 for one process, N under ``torchrun --nproc-per-node N``, whose
ranks share the evaluation batches; ``neural.sharding``). With ``--certify`` a classify document
adds ``certify`` (parameters, products, block, memory_estimate, max_memory, shift_retries,
method); which proof was used is each certificate's ``kind``.
"""
from __future__ import annotations

from neural.analysis.classify import NeuralClassification
from neural.analysis.eigen import EigenResult
from neural.analysis.path_angle import PathAngle
from neural.analysis.report import AnalysisReport


def process_count() -> int:
    """The size of this process's torch.distributed group (1 without one)."""
    import torch.distributed as dist

    return dist.get_world_size() if dist.is_available() and dist.is_initialized() else 1


def eigen_document(result: EigenResult, target: str, block: str, at: str = "iterate",
                   world_size: int | None = None) -> dict:
    """``neural eigs --json``: the eigenvalues with their residuals, the target, the block
    (``game`` for J, else the player whose Hessian was analysed), the point ``at`` and the
    ``world_size`` (default: this process's group, :func:`process_count`)."""
    return {**result.to_dict(), "target": target, "block": block, "at": at,
            "world_size": world_size or process_count()}


def classification_document(report: NeuralClassification, target: str, at: str = "iterate",
                            world_size: int | None = None) -> dict:
    """``neural classify --json``: the verdicts with their certificates, the target, ``at``
    and the ``world_size``."""
    return {**report.to_dict(), "target": target, "at": at,
            "world_size": world_size or process_count()}


def path_angle_document(result: PathAngle, at: str = "iterate", world_size: int | None = None) -> dict:
    """``neural path-angle --json``: alphas, cosine and path-norm (median and quartiles over end
    states), each player's gradient norm and loss, the point ``at`` of the end states and the
    ``world_size``."""
    return {**result.to_dict(), "at": at, "world_size": world_size or process_count()}


def analysis_document(report: AnalysisReport, files: dict[str, str], timings: dict[str, float]) -> dict:
    """``neural analyze``'s ``report.json`` (and ``--json``): the report, the files written and
    the wall time of every step, rendering included, and the ``world_size`` (one process)."""
    return {**report.to_dict(), "world_size": process_count(), "timings": dict(timings),
            "files": dict(files)}
