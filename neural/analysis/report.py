"""One training run to the paper's evidence (Berard et al. 2020, Figures 3-6 and a verdict).

``analyze_run`` picks the checkpoints, then, at the end point:

- selection: the initial checkpoint (the path's start) and ``end_points`` checkpoints around the
  best score of ``metrics.jsonl`` (:data:`SCORES`: lowest W1 for MoG, highest Inception Score
  for MNIST, lowest FID for CIFAR10), the best one the end point; without a score, the last
  checkpoints, the last one the end point. Each end state at the point ``at``
  (``neural.targets``: iterate, extrapolated look-ahead or parameter average).
- gradient: ``||v||`` and each player's ``||grad_theta_i L_i||`` at the end point.
- classify: ``neural.analysis.classify.classify_state`` with the ``k`` eigenvalues of J of
  largest magnitude (Figure 4) and the leftmost ones (LSSP), each player's Hessian extremes (DNE).
- hessians: the ``k`` eigenvalues of largest magnitude of each player's Hessian (Figures 5-6).
- path-angle: from the start to each end state (Figure 3), ``neural.analysis.path_angle``.
- timeline (with ``every``): the same classification at every ``every``-th checkpoint, each at
  the point ``at`` (``neural.analysis.timeline``).

Each step is timed. Rotation: over the computed eigenvalues of J, the largest |Im l / Re l| and
the share with |Im l| > |Re l|. A one-player run is a minimisation: J is that player's Hessian,
symmetric, and no rotation is expected.
"""
from __future__ import annotations

import json
import math
import platform
import shlex
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from gametheory.errors import OptionError
from neural.analysis.classify import DEFAULT_MAX_MEMORY, NeuralClassification, classify_state
from neural.analysis.dense import checked_estimate
from neural.analysis.eigen import EigenResult, top_eigenvalues
from neural.analysis.path_angle import PathAngle, path_angle
from neural.analysis.timeline import Timeline, check_every, track, tracked_checkpoints
from neural.operators import spectrum_operator

SCORES = {"mog": ("w1", "lower"), "mnist": ("inception_score", "higher"), "cifar10": ("fid", "lower")}
"""The score of a run's data set in ``metrics.jsonl`` and which way is better."""
STEPS = ("selection", "gradient", "classify", "hessians", "path-angle")
"""The steps of :func:`analyze_run`, in order."""
StepProgress = Callable[[str], None]  # called with the name of the step that starts


@dataclass(frozen=True)
class Selection:
    """The checkpoints analysed: the path's start, the end states, the end point among them."""

    start: tuple[int, Path]
    ends: tuple[tuple[int, Path], ...]
    end: tuple[int, Path]
    score: dict | None  # {"name", "better", "value", "iteration"} of the end point, or None
    reason: str

    def to_dict(self) -> dict:
        return {"start_iteration": self.start[0], "end_iteration": self.end[0],
                "end_iterations": [i for i, _ in self.ends], "score": self.score,
                "reason": self.reason}


def metric_series(run_dir: str | Path, name: str) -> dict[int, float]:
    """``{iteration: value}`` of the finite ``name`` values in a run's ``metrics.jsonl``
    (unreadable lines, as a crash may leave, are skipped)."""
    path = Path(run_dir) / "metrics.jsonl"
    if not path.is_file():
        return {}
    scores = {}
    for line in path.read_text().splitlines():
        try:
            record = json.loads(line)
            value = float(record[name])
            iteration = int(record["iteration"])
        except (ValueError, KeyError, TypeError):
            continue
        if math.isfinite(value):
            scores[iteration] = value
    return scores


def select_checkpoints(run_dir: str | Path, end_points: int, dataset: str | None) -> Selection:
    """The start and ``end_points`` end checkpoints of a run (module docstring)."""
    from neural.training.checkpoint import CheckpointError, list_checkpoints

    run_dir = Path(run_dir)
    if end_points < 1:
        raise OptionError(f"--end-points must be at least 1, got {end_points}")
    if not run_dir.is_dir():
        raise CheckpointError(f"{run_dir} is not a run directory (analyze takes the directory "
                              "that `neural train` wrote)")
    found = list_checkpoints(run_dir)
    need = "analyze needs the initial state and at least one later checkpoint"
    if not found:
        raise CheckpointError(f"{run_dir} holds no checkpoints: {need}")
    if len(found) == 1:
        raise CheckpointError(f"{run_dir} holds one checkpoint ({found[0][1].name}): {need}")
    start, later = found[0], found[1:]
    count = min(end_points, len(later))
    name, better = SCORES.get(dataset, (None, None))
    scores = metric_series(run_dir, name) if name else {}
    scored = [j for j, (iteration, _) in enumerate(later) if iteration in scores]
    if not scored:
        ends = later[-count:]
        why = f"no {name} score in metrics.jsonl" if name else "no score for this run"
        return Selection(start, tuple(ends), ends[-1], None,
                         f"{why}: the last {count} checkpoint(s) are the path's end states, the last "
                         "one the end point")
    pick = min if better == "lower" else max
    best = pick(scored, key=lambda j: scores[later[j][0]])
    first = min(max(best - (count - 1) // 2, 0), len(later) - count)
    iteration = later[best][0]
    score = {"name": name, "better": better, "value": scores[iteration], "iteration": iteration}
    return Selection(start, tuple(later[first:first + count]), later[best], score,
                     f"{'lowest' if better == 'lower' else 'highest'} {name} at iteration "
                     f"{iteration}; the {count} checkpoint(s) around it are the path's end states")


@dataclass(frozen=True)
class AnalysisReport:
    """Everything ``neural analyze`` found, from frozen results; ``to_dict`` for JSON."""

    run_dir: str
    at: str
    at_detail: dict
    selection: Selection
    config: dict
    param_counts: dict[str, int]
    grad_norm: float
    grad_norms: dict[str, float]
    losses: dict[str, float]
    classification: NeuralClassification
    hessians: dict[str, EigenResult]
    path: PathAngle
    timings: dict[str, float]
    commands: tuple[str, ...]
    versions: dict[str, str]
    notes: tuple[str, ...] = field(default=())
    timeline: Timeline | None = None  # with ``every``: the landscape over training

    @property
    def minimisation(self) -> bool:
        """A one-player run: plain minimisation, J is a (symmetric) Hessian."""
        return len(self.param_counts) == 1

    @property
    def eigenvalues(self) -> tuple[complex, ...]:
        """The distinct eigenvalues of J computed: the largest in magnitude, then the leftmost."""
        seen: dict[complex, None] = {}
        for value in (*self.classification.top.eigenvalues, *self.classification.leftmost.eigenvalues):
            seen.setdefault(complex(value), None)
        return tuple(seen)

    @property
    def rotation_share(self) -> float:
        """Share of the computed eigenvalues of J with |Im l| > |Re l|."""
        values = self.eigenvalues
        return sum(abs(l.imag) > abs(l.real) for l in values) / len(values) if values else math.nan

    def to_dict(self) -> dict:
        c = self.classification
        left = c.leftmost_eigenvalue
        hessian_top = {name: [l.real for l in result.eigenvalues] for name, result in self.hessians.items()}
        return {
            "run": self.run_dir,
            "at": self.at,
            "at_detail": self.at_detail,
            **self.selection.to_dict(),
            "selection": self.selection.reason,
            "minimisation": self.minimisation,
            "param_count": sum(self.param_counts.values()),
            "param_counts": dict(self.param_counts),
            "grad_norm": self.grad_norm,
            "grad_norms": dict(self.grad_norms),
            "losses": dict(self.losses),
            "stationary": c.stationary,
            "lssp": c.lssp,
            "lssp_certified": c.lssp_certified,
            "stable_linearisation": c.stable_linearisation,
            "stability_certified": c.stability_certified,
            "leftmost_eigenvalue": [left.real, left.imag],
            "leftmost_residual": c.leftmost.residuals[0],
            "players": [{**p.to_dict(), "top_eigenvalues": hessian_top[p.name]} for p in c.players],
            "dne": c.dne,
            "dne_certified": c.dne_certified,
            "rotation": {"max_rotation_ratio": None if math.isinf(c.max_rotation_ratio) else c.max_rotation_ratio,
                         "max_imag": c.max_imag, "share_imag_over_real": self.rotation_share,
                         "eigenvalues": len(self.eigenvalues)},
            "eigenvalues": [[l.real, l.imag] for l in self.eigenvalues],
            "classification": c.to_dict(),
            "hessians": {name: result.to_dict() for name, result in self.hessians.items()},
            "path_angle": self.path.to_dict(),
            "timeline": None if self.timeline is None else self.timeline.to_dict(),
            "config": self.config,
            "commands": list(self.commands),
            "versions": dict(self.versions),
            "timings": dict(self.timings),
            "notes": list(self.notes),
        }


def package_versions() -> dict[str, str]:
    """Versions of Python and of the packages the analysis ran on."""
    from importlib import metadata

    versions = {"python": platform.python_version()}
    for package in ("gametheory", "torch", "numpy", "scipy", "matplotlib", "sympy"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = "source checkout" if package == "gametheory" else "not installed"
    return versions


def analysis_steps(run_dir: str | Path, every: int | None = None) -> tuple[str, ...]:
    """The progress steps of :func:`analyze_run`: :data:`STEPS`, then with ``every`` one step
    per tracked checkpoint."""
    from neural.training.checkpoint import list_checkpoints

    if every is None:
        return STEPS
    return STEPS + tuple(f"timeline {i}" for i, _ in tracked_checkpoints(list_checkpoints(run_dir), every))


def separate_commands(selection: Selection, players, k: int, at: str) -> tuple[str, ...]:
    """The separate CLI commands that compute what the analysis reports."""
    end, start = str(selection.end[1]), str(selection.start[1])
    suffix = "" if at == "iterate" else f" --at {at}"
    quoted = shlex.quote(end)
    return (f"gametheory neural classify {quoted}{suffix}",
            f"gametheory neural eigs {quoted} --k {k}{suffix}",
            *(f"gametheory neural eigs {quoted} --block {p} --k {k}{suffix}" for p in players),
            f"gametheory neural path-angle {shlex.quote(start)} "
            + " ".join(shlex.quote(str(p)) for _, p in selection.ends) + suffix)


def analyze_run(run_dir: str | Path, *, end_points: int = 5, k: int = 20, at: str = "iterate",
                points: int = 100, alpha_range: tuple[float, float] = (-0.1, 1.1),
                grad_tol: float = 1e-6, device=None, dtype=None, command: str | None = None,
                every: int | None = None, classify_options: dict | None = None,
                progress: StepProgress | None = None,
                notify: Callable[[str], None] | None = None) -> AnalysisReport | None:
    """The analysis of a training run (module docstring); ``command``: the command line that
    asked for it (recorded), ``every``: track the landscape over every ``every``-th checkpoint,
    ``classify_options``: further keywords of ``classify_state`` (its budgets), at the end point
    and at every tracked checkpoint alike, ``progress``: told the name of each step as it
    starts (:func:`analysis_steps`), ``notify``: told, before the long steps, what the user should
    know first (the memory estimate of ``certify``; refused here when it exceeds ``max_memory``).
    Under torchrun (``neural.sharding``) rank 0 analyses and
    returns the report; every other rank serves its products and returns None."""
    from neural.sharding import lead
    from neural.targets import check_at, device_and_dtype, load_checkpoint_game, same_game, state_omega
    from neural.training.checkpoint import list_checkpoints, load_checkpoint

    check_at(at)
    if k < 1:
        raise OptionError(f"--k must be at least 1, got {k}")
    if every is not None:
        check_every(every)
    options = {"top_k": k, "grad_tol": grad_tol, **(classify_options or {})}
    timings: dict[str, float] = {}
    running = ["", 0.0]  # the step under way and when it started

    def step(name: str | None, tell: bool = True) -> None:
        now = time.perf_counter()
        if running[0]:
            timings[running[0]] = now - running[1]
        running[:] = [name, now]
        if name and progress and tell:
            progress(name)

    step("selection")
    device, dtype = device_and_dtype(device, dtype)
    config_path = Path(run_dir) / "config.json"
    try:
        dataset = json.loads(config_path.read_text()).get("dataset") if config_path.is_file() else None
    except (ValueError, OSError):
        dataset = None
    selection = select_checkpoints(run_dir, end_points, dataset)
    game, meta = load_checkpoint_game(str(selection.end[1]), device, dtype)
    if not lead(game):  # a serving rank under torchrun: the driver has finished the analysis
        return None
    if options.get("certify"):
        estimate = checked_estimate(game.param_count, options.get("max_memory", DEFAULT_MAX_MEMORY))
        if notify:
            notify(estimate.describe())

    def state_of(path: Path, point: str):
        state = load_checkpoint(path)
        differ = same_game(meta["config"], state["config"])
        if differ:
            raise OptionError(f"{path} is not a state of the same game as {selection.end[1]} "
                              f"(they differ in {', '.join(differ)})")
        return state_omega(game, state, point)

    states, details = {}, {}
    for iteration, path in {selection.start, *selection.ends}:
        point = "iterate" if (iteration, path) == selection.start else at
        states[iteration], details[iteration] = state_of(path, point)
    omega = states[selection.end[0]]
    game.set_omega(omega)

    step("gradient")  # field and losses in one pass over the batches
    field_, mean_losses = game.mean_field_and_losses(omega)
    losses = dict(zip(game.player_names, mean_losses.tolist()))
    grad_norms = {name: float(field_[part].norm()) for name, part in game.slices.items()}

    step("classify")
    classification = classify_state(game, omega, **options)

    step("hessians")
    hessians = {}
    for name in game.player_names:
        op = spectrum_operator(game, omega, player=name)
        hessians[name] = top_eigenvalues(op, k=min(k, game.slices[name].stop - game.slices[name].start),
                                         which="LM")
        op.release()

    step("path-angle")
    ends = [states[i] for i, _ in selection.ends]
    path = path_angle(game, states[selection.start[0]], ends, a=alpha_range[0], b=alpha_range[1],
                      points=points)
    timeline = None
    if every is not None:
        step("timeline", tell=False)  # progress: one step per tracked checkpoint
        timeline = track(game, list_checkpoints(run_dir), every, lambda path: state_of(path, at)[0],
                         known={selection.end[0]: classification}, progress=progress, **options)
    step(None)
    notes = []
    if selection.start[0] != 0:
        notes.append(f"the run's first kept checkpoint is iteration {selection.start[0]}, not the "
                     "initial state: the path starts there")
    commands = ((command,) if command else ()) + separate_commands(selection, game.player_names, k, at)
    return AnalysisReport(str(run_dir), at, details[selection.end[0]], selection, meta["config"],
                          {n: s.stop - s.start for n, s in game.slices.items()},
                          float(field_.norm()), grad_norms, losses, classification, hessians, path,
                          timings, commands, package_versions(), tuple(notes), timeline)
