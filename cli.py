"""The ``gametheory`` command line: parse arguments, call the library, render.

Importing this module is cheap: the analysis (sympy, the zoo, and torch under ``neural``) is
imported inside the commands, so ``--help`` never pays for it and symbolic commands never load
torch. User-caused errors (``gametheory.errors.GameError``) print one line and exit 2; Ctrl-C
prints one line and exits 130.
"""
from __future__ import annotations

import functools
import sys

import typer
from typer.core import TyperArgument, TyperCommand, TyperGroup, TyperOption


# --- help that shows what to type: flags as flags, placeholders in capitals -----------------

class PlainArgument(TyperArgument):
    """An argument shown by its placeholder alone (``GAME``; optional ones in brackets)."""

    def display_type_rich(self, ctx):
        return None

    def _usage_display_name(self) -> str:
        name = self.display_name_raw + ("..." if self.metavar is None and self.nargs != 1 else "")
        return name if self.required else f"[{name}]"


class PlainOption(TyperOption):
    """An option shown with its placeholder (``FILE``, ``NAME=VALUE``), a flag with none."""

    def display_type_rich(self, ctx):
        if self.is_flag:
            return None
        if self.metavar is not None:
            return self.metavar
        return {"int": "INTEGER", "float": "NUMBER"}.get(self.bare_type(), "TEXT")


def plain_params(params: list) -> list:
    """``params`` drawn as :class:`PlainArgument` and :class:`PlainOption` in help and usage."""
    for param in params:
        if type(param) is TyperArgument:
            param.__class__ = PlainArgument
        elif type(param) is TyperOption:
            param.__class__ = PlainOption
    return params


class Command(TyperCommand):
    """A command whose help shows flags as flags and readable placeholders."""

    def get_params(self, ctx):
        return plain_params(super().get_params(ctx))


class Group(TyperGroup):
    """A command group whose help shows flags as flags."""

    def get_params(self, ctx):
        return plain_params(super().get_params(ctx))


def package_version() -> str:
    """The installed distribution's version; in a source checkout that is not installed, the
    version in pyproject.toml next to this file."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("gametheory")
    except PackageNotFoundError:
        pass
    import tomllib
    from pathlib import Path

    project = Path(__file__).with_name("pyproject.toml")
    try:
        return tomllib.loads(project.read_text())["project"]["version"] + " (source checkout, not installed)"
    except (OSError, KeyError, tomllib.TOMLDecodeError):
        return "unknown (not installed)"


def show_version(value: bool) -> None:
    if value:
        typer.echo(f"gametheory {package_version()}")
        raise typer.Exit()


# --- shell completion (typer's: gametheory --install-completion) ----------------------------

def complete_game(incomplete: str) -> list[str]:
    """Built-in game names and game files (``*.toml``) that start with ``incomplete``."""
    from pathlib import Path

    from gametheory import zoo

    folder, _, stem = incomplete.rpartition("/")
    files = sorted(p.name for p in Path(folder or ".").glob(f"{stem}*.toml"))
    return [name for name in zoo.names() if name.startswith(incomplete)] + \
        [f"{folder}/{name}" if folder else name for name in files]


def complete_kind(incomplete: str) -> list[str]:
    """Figure kinds of ``plot`` that start with ``incomplete``."""
    from gametheory.render.plots import KINDS

    return [kind for kind in KINDS if kind.startswith(incomplete)]


def complete_preset(incomplete: str) -> list[str]:
    """Training presets that start with ``incomplete``."""
    from neural.training.presets import PRESETS

    return [name for name in PRESETS if name.startswith(incomplete)]


app = typer.Typer(
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    cls=Group,
)
neural_app = typer.Typer(
    help="Numeric analysis and training of GANs whose players are PyTorch modules.",
    no_args_is_help=True,
    cls=Group,
)
app.add_typer(neural_app, name="neural")


@app.callback()
def main(version: bool = typer.Option(False, "--version", is_eager=True, callback=show_version,
                                      help="Print the version and exit.")) -> None:
    """Explore differentiable games: stationary points, LSSP/DNE, rotation, step sizes."""


def user_errors(func):
    """Turn a GameError into one line on stderr and exit code 2, Ctrl-C into one line and 130."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except KeyboardInterrupt:
            typer.echo("interrupted (Ctrl-C)", err=True)
            raise typer.Exit(130) from None
        except Exception as error:
            from gametheory.errors import GameError

            if not isinstance(error, GameError):
                raise
            typer.echo(f"error: {error}", err=True)
            raise typer.Exit(2) from None

    return wrapper


# --- symbolic commands: list, classify, stepsize -------------------------------------------

GAME_HELP = "A built-in game (see `gametheory list`) or a game file (*.toml)."
POINT_HELP = "Analyse this point instead of searching for stationary points: NAME=VALUE, one per parameter."
SET_HELP = "Override a constant of the game: NAME=VALUE (exact values such as 1/2 are kept exact)."
# game-dynamics options, shared by stepsize, simulate and plot
METHOD_HELP = ("Training method: simgd, altgd, eg, ogd, momentum or consensus (aliases: gd, extragradient, "
               "optimistic); compose with + (altgd+eg).")
RATIO_HELP = "Step-size ratio r: players after the first step with r*h (two-time-scale, h_D = r h_G)."
BETA_HELP = "Heavy-ball momentum beta in (-1, 1), with any method (altgd: alternating momentum, Gidel et al. 2019b)."
GAMMA_HELP = "Consensus weight gamma >= 0 (w = v + gamma J^T v), with any method."
ORDER_HELP = "altgd player order, e.g. D,G (default: first to last)."


def console(stderr: bool = False):
    from rich.console import Console

    return Console(stderr=stderr, highlight=False)


def load_game_options(game: str, sets: list[str] | None, points: list[str] | None):
    """Resolve GAME, parse ``--set`` against its constants and ``--point`` against its parameters."""
    from gametheory import parsing, resolve_game

    resolved = resolve_game(game)
    constants = parsing.parse_assignments(sets or [], {s.name: s for s in resolved.constants}, "--set")
    point = parsing.parse_point(points, resolved) if points else None
    return resolved, constants, point


def emit_json(document: dict) -> None:
    """Print one JSON document on stdout (the only place the CLI writes JSON), serialised by
    ``gametheory.render.documents.json_text`` (non-finite numbers become null, listed under
    ``non_finite``)."""
    from gametheory.render.documents import json_text

    typer.echo(json_text(document))


@app.command("list", cls=Command)
@user_errors
def list_games() -> None:
    """The built-in games, one line each."""
    from gametheory import zoo

    width = max(len(name) for name in zoo.names())
    for entry in zoo.ENTRIES:
        typer.echo(f"{entry.name:<{width}}  {entry.description}  [{entry.source}]")


@app.command(cls=Command)
@user_errors
def classify(
    game: str = typer.Argument(..., metavar="GAME", help=GAME_HELP, autocompletion=complete_game),
    point: list[str] = typer.Option(None, "--point", metavar="NAME=VALUE", help=POINT_HELP),
    set_: list[str] = typer.Option(None, "--set", metavar="NAME=VALUE", help=SET_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON document on stdout."),
    latex: bool = typer.Option(False, "--latex", help="Print LaTeX instead of the table."),
    region: list[str] = typer.Option(None, "--region", metavar="SPEC", help="Exact set of constant values (and h, r) where each point "
                                     "is: lssp, dne, or a method converges (simgd[:h=H,ratio=R|r], eg, ...)."),
) -> None:
    """Vector field, Jacobian and every stationary point: LSSP, DNE, rotation, Lemma 4 step size."""
    from gametheory import classify_game
    from gametheory.render import text as render
    from gametheory.render.documents import classify_document
    from gametheory.dynamics.regions import report_regions

    resolved, constants, at = load_game_options(game, set_, point)
    report = classify_game(resolved, constants, at)
    regions = report_regions(report, resolved, constants, region) if region else None
    if as_json:
        emit_json(classify_document(report, regions))
    elif latex:
        typer.echo(render.game_report_latex(report))
    else:
        render.print_game_report(report, console())
        if regions:
            from gametheory.render import dynamics as render_dynamics

            render_dynamics.print_regions(report, regions, console())


@app.command(cls=Command)
@user_errors
def stepsize(
    game: str = typer.Argument(..., metavar="GAME", help=GAME_HELP, autocompletion=complete_game),
    point: list[str] = typer.Option(None, "--point", metavar="NAME=VALUE", help=POINT_HELP),
    set_: list[str] = typer.Option(None, "--set", metavar="NAME=VALUE", help=SET_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON document on stdout."),
    method: str = typer.Option("simgd", "--method", metavar="METHOD", help=METHOD_HELP),
    ratio: str = typer.Option("1", "--ratio", metavar="R", help=RATIO_HELP),
    beta: str = typer.Option(None, "--beta", metavar="BETA", help=BETA_HELP),
    gamma: str = typer.Option(None, "--gamma", metavar="GAMMA", help=GAMMA_HELP),
    order: str = typer.Option(None, "--order", metavar="PLAYERS", help=ORDER_HELP),
) -> None:
    """Step sizes h for which a method converges at each stationary point (SimGD: Lemma 4), the optimal h and its rate."""
    from gametheory.render import text as render
    from gametheory.render import dynamics as render_dynamics
    from gametheory.render.documents import stepsize_document
    from gametheory.dynamics.requests import stepsize_request

    resolved, constants, at = load_game_options(game, set_, point)
    found = stepsize_request(resolved, constants, at, method, ratio, beta, gamma, order)
    if as_json:
        emit_json(stepsize_document(found.report, found.method, found.analyses))
    else:
        if found.method.plain and found.report.points:
            render.print_stepsize(found.report, console())
        render_dynamics.print_step_analyses(found.report, found.method, found.analyses, console())


# --- game dynamics commands: simulate, plot ------------------------------------------------


@app.command(cls=Command)
@user_errors
def simulate(
    game: str = typer.Argument(..., metavar="GAME", help=GAME_HELP, autocompletion=complete_game),
    method: str = typer.Option("simgd", "--method", metavar="METHOD", help=METHOD_HELP + " Or flow: the continuous flow up to time h*steps."),
    h: str = typer.Option(..., "--h", metavar="H", help="Step size h > 0 (for flow: the time between samples)."),
    steps: int = typer.Option(1000, "--steps", help="Number of updates (flow: samples)."),
    start: list[str] = typer.Option(None, "--start", metavar="NAME=VALUE", help="Start point NAME=VALUE, one per parameter "
                                    "(default: seeded random starts near the first stationary point)."),
    random: int = typer.Option(1, "--random", help="Number of random starts when --start is not given."),
    radius: float = typer.Option(0.5, "--radius", help="Half-width of the box of random starts."),
    seed: int = typer.Option(0, "--seed", help="Seed of the random starts."),
    ratio: str = typer.Option("1", "--ratio", metavar="R", help=RATIO_HELP),
    beta: str = typer.Option(None, "--beta", metavar="BETA", help=BETA_HELP),
    gamma: str = typer.Option(None, "--gamma", metavar="GAMMA", help=GAMMA_HELP),
    order: str = typer.Option(None, "--order", metavar="PLAYERS", help=ORDER_HELP),
    set_: list[str] = typer.Option(None, "--set", metavar="NAME=VALUE", help=SET_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON document on stdout."),
    plot_file: str = typer.Option(None, "--plot", metavar="FILE", help="Write ||v|| and the distance to the point along the runs."),
) -> None:
    """Run a training method (or the continuous flow) from given or random starts; say whether and how fast it converges."""
    from gametheory.render import dynamics as render_dynamics
    from gametheory.render.documents import simulation_document
    from gametheory.dynamics.requests import simulate_request

    resolved, constants, _ = load_game_options(game, set_, None)
    done = simulate_request(resolved, constants, method, h, steps=steps, start=start, random=random,
                            radius=radius, seed=seed, ratio=ratio, beta=beta, gamma=gamma, order=order)
    played, runs, target = done.game, list(done.runs), done.target
    if plot_file:
        from gametheory.render import figures

        figures.trajectory(runs, target, f"{played.name}: {runs[0].method}, h = {h}", plot_file)
    if as_json:
        emit_json(simulation_document(played.name, played.params, runs, target))
    else:
        render_dynamics.print_simulation(played.name, played.params, runs, target, console())
    if plot_file:
        typer.echo(f"wrote {plot_file}", err=True)


@app.command(cls=Command)
@user_errors
def plot(
    game: str = typer.Argument(..., metavar="GAME", help=GAME_HELP, autocompletion=complete_game),
    kind: str = typer.Argument(..., metavar="KIND", help="portrait, landscape, eigs, radius or path-angle.",
                              autocompletion=complete_kind),
    output: str = typer.Option(..., "-o", "--output", metavar="FILE", help="Figure file (.png, .pdf or .svg)."),
    point: list[str] = typer.Option(None, "--point", metavar="NAME=VALUE", help="Draw around this stationary point (default: the first LSSP)."),
    set_: list[str] = typer.Option(None, "--set", metavar="NAME=VALUE", help=SET_HELP),
    x: str = typer.Option(None, "--x", metavar="NAME", help="portrait/landscape: parameter on the horizontal axis."),
    y: str = typer.Option(None, "--y", metavar="NAME", help="portrait/landscape: parameter on the vertical axis."),
    fix: list[str] = typer.Option(None, "--fix", metavar="NAME=VALUE", help="portrait/landscape: NAME=VALUE for a coordinate off the plotted axes."),
    xlim: str = typer.Option(None, "--xlim", metavar="LO,HI", help="portrait: LO,HI."),
    ylim: str = typer.Option(None, "--ylim", metavar="LO,HI", help="portrait: LO,HI."),
    grid: int = typer.Option(30, "--grid", help="portrait: arrows per axis."),
    trajectories: int = typer.Option(10, "--trajectories", help="portrait: number of random flow trajectories."),
    player: str = typer.Option(None, "--player", metavar="PLAYER", help="landscape: whose loss (default: the first player)."),
    method: str = typer.Option("simgd", "--method", metavar="METHOD", help="eigs: " + METHOD_HELP),
    methods: str = typer.Option("simgd,altgd,eg,ogd,momentum,consensus", "--methods", metavar="M1,M2,...",
                                help="radius: comma-separated methods, one curve each (momentum with --beta, "
                                "default 1/2; consensus with --gamma, default 1)."),
    h: str = typer.Option(None, "--h", metavar="H", help="eigs: step size (default: the optimal one)."),
    h_max: float = typer.Option(None, "--h-max", metavar="H", help="radius: largest step size shown."),
    ratio: str = typer.Option("1", "--ratio", metavar="R", help=RATIO_HELP),
    beta: str = typer.Option(None, "--beta", metavar="BETA", help=BETA_HELP),
    gamma: str = typer.Option(None, "--gamma", metavar="GAMMA", help=GAMMA_HELP),
    start: list[str] = typer.Option(None, "--start", metavar="NAME=VALUE", help="path-angle: start point NAME=VALUE, one per parameter."),
    alpha: str = typer.Option("0,1.5", "--alpha", metavar="LO,HI", help="path-angle: range of alpha, LO,HI (HI > 1 extrapolates)."),
    ends: int = typer.Option(20, "--ends", help="path-angle: number of end points near the stationary point."),
    seed: int = typer.Option(0, "--seed", help="Seed of random starts and end points."),
) -> None:
    """Draw a figure of a small game: portrait, landscape, eigs, radius or path-angle."""
    from gametheory.render.requests import plot_request

    resolved, constants, at = load_game_options(game, set_, point)
    written = plot_request(kind, resolved, output, constants=constants, point=at, x=x, y=y, fix=fix, xlim=xlim,
                           ylim=ylim, grid=grid, trajectories=trajectories, player=player, method=method,
                           methods=methods, h=h, h_max=h_max, ratio=ratio, beta=beta, gamma=gamma, start=start,
                           alpha=alpha, ends=ends, seed=seed)
    typer.echo(f"wrote {written}", err=True)


# --- neural analysis commands: neural eigs, neural classify, neural path-angle -------------

TARGET_HELP = ("A built-in game or game file (*.toml), analysed at --point; or a checkpoint "
               "(a training run directory or a .pt file).")
NEURAL_POINT_HELP = ("State of a built-in game or game file: NAME=VALUE, one per parameter "
                     "(default: its stationary point, if it has exactly one).")
DEVICE_HELP = "auto (CUDA when available), cpu, cuda or cuda:N."
DTYPE_HELP = "auto (float64 for symbolic games, the checkpoint's dtype otherwise), float32 or float64."


AT_HELP = ("Which point of a checkpoint: iterate (the stored parameters), extrapolated (the "
           "extragradient look-ahead omega - eta v(omega), Adam's direction for ExtraAdam runs) or "
           "average (the run's ema parameter average).")
EXP_BUDGET_HELP = ("Products with J spent confirming the leftmost eigenvalues on exp(-tJ) beyond the "
                   "dense budget (default 10000); a spectrum it cannot resolve is reported undecided.")


MAX_MEMORY_HELP = "Refuse --certify when its arrays need more than SIZE (e.g. 4G, 500M)."
MAX_PRODUCTS_HELP = ("Products after which each Krylov solve stops with what converged (default 20000; "
                     "a verdict it cannot reach is undecided).")


def torchrun(func):
    """Under ``torchrun --nproc-per-node N`` (``neural.sharding``): the command runs in a process
    group on this rank's device (``--device``), every rank holds a share of the evaluation
    batches, rank 0 analyses and prints, the other ranks serve its products. Otherwise as is."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        from neural.sharding import analysis_group, launched

        if not launched():
            return func(*args, **kwargs)
        with analysis_group(kwargs.get("device")) as device:
            return func(*args, **{**kwargs, "device": device})

    return wrapper


def given(**options) -> dict:
    """The options the user set (None means: the library's default)."""
    return {name: value for name, value in options.items() if value is not None}


@neural_app.command("eigs", cls=Command)
@user_errors
@torchrun
def neural_eigs(
    target: str = typer.Argument(..., metavar="TARGET", help=TARGET_HELP, autocompletion=complete_game),
    point: list[str] = typer.Option(None, "--point", metavar="NAME=VALUE", help=NEURAL_POINT_HELP),
    k: int = typer.Option(20, "--k", help="Number of eigenvalues."),
    which: str = typer.Option("LM", "--which", metavar="LM|LI|SR", help="LM: largest magnitude; LI: largest imaginary "
                              "part; SR: smallest real part (leftmost, decides LSSP; shifted solve)."),
    block: str = typer.Option("game", "--block", metavar="game|PLAYER", help="game: the Jacobian J; a player name: that "
                              "player's Hessian of its own loss (diagonal block of J)."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON document on stdout."),
    plot: str = typer.Option(None, "--plot", metavar="FILE", help="Write the eigenvalues in the complex plane to FILE (png/pdf/svg)."),
    device: str = typer.Option("auto", "--device", metavar="DEVICE", help=DEVICE_HELP),
    dtype: str = typer.Option("auto", "--dtype", metavar="DTYPE", help=DTYPE_HELP),
    dense_budget: int = typer.Option(None, "--dense-budget", min=0, help="Dense eigenvalues up to N parameters "
                                     "(default 512 for LM/LI, 2048 for SR; memory 8 N^2 bytes)."),
    exp_budget: int = typer.Option(None, "--exp-budget", min=0, help=EXP_BUDGET_HELP),
    at: str = typer.Option("iterate", "--at", metavar="WHICH", help=AT_HELP),
    max_products: int = typer.Option(None, "--max-products", min=1, metavar="N", help=MAX_PRODUCTS_HELP),
) -> None:
    """Top-k eigenvalues of the game Jacobian (or of a player's Hessian), matrix-free.

    Each eigenvalue comes with its residual ||A u - l u|| (unit u, computed on the cheaper of J
    and J^T, which have the same eigenvalues); a solve that did not converge returns what
    converged with converged=false.
    """
    import warnings

    from neural.render import text as render
    from neural.render.figures import eigen_figure
    from neural.render.documents import eigen_document
    from neural.analysis.eigen import top_eigenvalues
    from neural.sharding import lead
    from neural.targets import block_operator, resolve_target

    which = which.upper()
    resolved = resolve_target(target, point, device=device, dtype=dtype, at=at)
    if not lead(resolved.game):  # a serving rank under torchrun, done
        return
    op = block_operator(resolved.game, block)
    with warnings.catch_warnings(), render.progress_bar(f"eigs {which}: products", console(stderr=True)) as advance:
        warnings.simplefilter("ignore", RuntimeWarning)
        result = top_eigenvalues(op, k=k, which=which, progress=advance,
                                 **given(dense_below=dense_budget, exp_budget=exp_budget,
                                         max_products=max_products))
    if plot:
        eigen_figure(result.eigenvalues, f"{resolved.label}: {block}, {which}", plot)
        typer.echo(f"wrote {plot}", err=True)
    if as_json:
        emit_json(eigen_document(result, resolved.label, block, resolved.at))
    else:
        render.print_eigen(result, resolved.label, block, console())


@neural_app.command("classify", cls=Command)
@user_errors
@torchrun
def neural_classify(
    target: str = typer.Argument(..., metavar="TARGET", help=TARGET_HELP, autocompletion=complete_game),
    point: list[str] = typer.Option(None, "--point", metavar="NAME=VALUE", help=NEURAL_POINT_HELP),
    grad_tol: float = typer.Option(1e-6, "--grad-tol", help="A state is stationary when ||v|| <= this."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON document on stdout."),
    device: str = typer.Option("auto", "--device", metavar="DEVICE", help=DEVICE_HELP),
    dtype: str = typer.Option("auto", "--dtype", metavar="DTYPE", help=DTYPE_HELP),
    dense_budget: int = typer.Option(None, "--dense-budget", min=0, help="Use the dense Jacobian (all "
                                     "eigenvalues, Lyapunov/Cholesky proofs) up to N parameters (default "
                                     "2048; memory 8 N^2 bytes); beyond, Krylov solves, at most indicative."),
    exp_budget: int = typer.Option(None, "--exp-budget", min=0, help=EXP_BUDGET_HELP),
    at: str = typer.Option("iterate", "--at", metavar="WHICH", help=AT_HELP),
    max_products: int = typer.Option(None, "--max-products", min=1, metavar="N", help=MAX_PRODUCTS_HELP),
    certify: bool = typer.Option(False, "--certify", help="Prove the verdicts on the dense Jacobian whatever "
                                 "its size (built from products in blocks; prints a memory estimate first)."),
    max_memory: str = typer.Option("4G", "--max-memory", metavar="SIZE", help=MAX_MEMORY_HELP),
) -> None:
    """Is the state a stationary point, an LSSP (leftmost eigenvalue of J), a DNE (each player's
    smallest Hessian eigenvalue)? How much rotation? Each verdict says certified or indicative."""
    import warnings

    from neural.render import text as render
    from neural.render.documents import classification_document
    from neural.analysis.classify import classify_state
    from neural.sharding import lead
    from neural.targets import resolve_target

    resolved = resolve_target(target, point, device=device, dtype=dtype, at=at)
    if not lead(resolved.game):  # a serving rank under torchrun, done
        return
    if certify:
        from neural.analysis.dense import checked_estimate
        typer.echo(checked_estimate(resolved.game.param_count, max_memory).describe(), err=True)
    with warnings.catch_warnings(), render.progress_bar("classify: products", console(stderr=True)) as advance:
        warnings.simplefilter("ignore", RuntimeWarning)
        report = classify_state(resolved.game, grad_tol=grad_tol, progress=advance, certify=certify,
                                max_memory=max_memory, **given(dense_budget=dense_budget, exp_budget=exp_budget,
                                                                max_products=max_products))
    if as_json:
        emit_json(classification_document(report, resolved.label, resolved.at))
    else:
        render.print_classification(report, resolved.label, console())


@neural_app.command("path-angle", cls=Command)
@user_errors
@torchrun
def neural_path_angle(
    start: str = typer.Argument(..., metavar="START", help="Start state: a checkpoint, or NAME=VALUE,... with --game."),
    ends: list[str] = typer.Argument(..., metavar="END...", help="End state(s), same form as START; several give the median and IQR."),
    game: str = typer.Option(None, "--game", metavar="GAME", autocompletion=complete_game, help="A built-in game or game file: then START and END are "
                             "points written NAME=VALUE,NAME=VALUE,... (e.g. theta=1,phi=-0.5)."),
    alpha_range: tuple[float, float] = typer.Option((-0.1, 1.1), "--range", metavar="A B", help="Alpha interval A B (extrapolation allowed)."),
    points: int = typer.Option(100, "--points", help="Number of alpha points."),
    clip: list[str] = typer.Option(None, "--clip", metavar="PLAYER=C", help="WGAN weight clipping of a player, PLAYER=C: "
                                   "drop gradient coordinates a clipped step cannot move (eq. 24)."),
    chunk: int = typer.Option(None, "--chunk", help="Alpha points per vmap pass (default 1 on CPU, 16 on CUDA)."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON document on stdout."),
    plot: str = typer.Option(None, "--plot", metavar="FILE", help="Write the path-angle/path-norm figure to FILE."),
    device: str = typer.Option("auto", "--device", metavar="DEVICE", help=DEVICE_HELP),
    dtype: str = typer.Option("auto", "--dtype", metavar="DTYPE", help=DTYPE_HELP),
    at: str = typer.Option("iterate", "--at", metavar="WHICH",
                           help=AT_HELP + " Applies to the END checkpoints; START stays as stored."),
) -> None:
    """Path-angle (eq. 7 of Berard et al.): cosine between the vector field and the straight path
    from START to END, with the path-norm and each player's gradient norm and loss.

    START and END are checkpoints of one run, or, with --game, points of a symbolic game.
    """
    from neural.render import text as render
    from neural.render.figures import path_angle_figure
    from neural.render.documents import path_angle_document
    from neural.analysis.path_angle import path_angle
    from neural.sharding import lead
    from neural.targets import path_request

    states = path_request(start, ends, game, clip, device=device, dtype=dtype, at=at)
    if not lead(states.game):  # a serving rank under torchrun, done
        return
    total = points * len(states.ends)
    with render.progress_bar("path-angle: alpha points", console(stderr=True), total) as advance:
        result = path_angle(states.game, states.start, states.ends, a=alpha_range[0], b=alpha_range[1],
                            points=points, chunk=chunk, clip=states.clip, progress=advance)
    if plot:
        more = f" and {len(ends) - 1} more end states" if len(ends) > 1 else ""
        path_angle_figure(result, f"path-angle: {start} -> {ends[0]}{more}", plot)
        typer.echo(f"wrote {plot}", err=True)
    if as_json:
        emit_json(path_angle_document(result, at))
    else:
        render.print_path_angle(result, console())


@neural_app.command("analyze")
@user_errors
@torchrun
def neural_analyze(
    run_dir: str = typer.Argument(..., help="A training run directory (written by `neural train`)."),
    out: str = typer.Option(None, "--out", help="Folder for the figures and reports (default RUN_DIR/analysis)."),
    end_points: int = typer.Option(5, "--end-points", help="End checkpoints of the path-angle, around the best score."),
    k: int = typer.Option(20, "--k", help="Eigenvalues of J and of each player's Hessian drawn (largest magnitude)."),
    at: str = typer.Option("iterate", "--at", metavar="WHICH", help=AT_HELP),
    every: int = typer.Option(None, "--every", metavar="K", help="Also track the landscape over "
                              "training: classify every checkpoint whose iteration is a multiple "
                              "of K (and the first and last); timeline.png and report.json's timeline."),
    as_json: bool = typer.Option(False, "--json", help="Print report.json on stdout too."),
    device: str = typer.Option("auto", "--device", help=DEVICE_HELP),
    dtype: str = typer.Option("auto", "--dtype", help=DTYPE_HELP),
    max_products: int = typer.Option(None, "--max-products", min=1, metavar="N", help=MAX_PRODUCTS_HELP),
    certify: bool = typer.Option(False, "--certify", help="Prove the verdicts at the end point (and at "
                                 "each tracked checkpoint) on the dense Jacobian whatever its size."),
    max_memory: str = typer.Option("4G", "--max-memory", metavar="SIZE", help=MAX_MEMORY_HELP),
) -> None:
    """From a training run to the paper's evidence: path-angle, eigenvalues of J, the players'
    Hessians (figures), and report.md/report.json with the verdicts (LSSP, DNE, rotation).

    Launch under `torchrun --nproc-per-node N` to share the evaluation batches over N processes."""
    import shlex
    import warnings
    from pathlib import Path

    from neural.analysis.dense import parse_size
    from neural.analysis.report import analysis_steps, analyze_run
    from neural.render import text as render
    from neural.render.report import RENDER_STEPS, write_analysis
    from neural.sharding import serving_rank

    folder = out or str(Path(run_dir) / "analysis")
    options = {**given(max_products=max_products), **({"certify": True, "max_memory": parse_size(max_memory)}
                                                      if certify else {})}
    command = shlex.join(["gametheory", "neural", "analyze", run_dir, "--out", folder, "--end-points",
                          str(end_points), "--k", str(k), "--at", at]
                         + ([] if every is None else ["--every", str(every)])
                         + ([] if max_products is None else ["--max-products", str(max_products)])
                         + (["--certify", "--max-memory", max_memory] if certify else []))
    shown = console(stderr=True)
    shown.quiet = serving_rank()
    with warnings.catch_warnings(), render.step_bar("analyze", shown,
                                                    analysis_steps(run_dir, every) + RENDER_STEPS) as start:
        warnings.simplefilter("ignore", RuntimeWarning)
        report = analyze_run(run_dir, end_points=end_points, k=k, at=at, device=device, dtype=dtype,
                             command=command, every=every, classify_options=options, progress=start,
                             notify=shown.print)
        if report is None:  # a serving rank under torchrun, done
            return
        document = write_analysis(report, folder, progress=start)
    if as_json:
        emit_json(document)
    else:
        render.print_analysis(document, folder, console())


# --- neural training commands: neural train, neural train-classifier ----------------------

DATA_DIR_HELP = ("The directory that holds the data set's files themselves, not a folder above "
                 "them (MNIST: its four IDX files; CIFAR10: data_batch_1 ... data_batch_5); "
                 "--download puts them there")


class TrainCommand(Command):
    """``neural train``: its help lists the presets and shows every option's default, read from
    the presets and ``TrainConfig`` when the help is shown (so that starting the CLI stays cheap)."""

    def format_help(self, ctx, formatter):
        import dataclasses

        from neural.training.config import TrainConfig
        from neural.training.presets import DEFAULT_PRESET, PRESETS

        config = {f.name: f.default for f in dataclasses.fields(TrainConfig)}
        for param in self.params:
            if isinstance(param, TyperOption) and param.default is None and param.name in config \
                    and "default" not in param.help:
                values = {repr(p.get(param.name, config[param.name])) for p in PRESETS.values()}
                shown = ("from the preset" if len(values) > 1 else
                         "the paper's size" if param.name == "width" else values.pop())
                param.help += f" Default: {shown}."
        defaults = set(DEFAULT_PRESET.values())
        rows = [f"{name + ('*' if name in defaults else ''):<26}{p['dataset']:<9}{p['loss']:<8}"
                f"{p['method']:<16}{p['iterations']:>9,}" for name, p in PRESETS.items()]
        header = f"{'preset (* default)':<26}{'dataset':<9}{'loss':<8}{'method':<16}{'iterations':>9}"
        self.epilog = "Presets (option values override them):\n\n" + "\n".join([header, *rows])
        return super().format_help(ctx, formatter)


@neural_app.command("train", cls=TrainCommand)
@user_errors
def neural_train(
    dataset: str = typer.Argument(..., metavar="DATASET", help="Data set: mog, mnist or cifar10."),
    preset: str = typer.Option(None, metavar="PRESET", autocompletion=complete_preset,
                               help="Named setup with the paper's App. C values, listed below "
                               "(default: mog-nsgan-eg, mnist-nsgan-extraadam, "
                               "cifar10-wgangp-extraadam)."),
    loss: str = typer.Option(None, help="nsgan, saturating, wgan (weight clipping) or wgangp."),
    method: str = typer.Option(None, help="simgd, eg, ogd, adam, extraadam or optimistic-adam "
                               "(aliases: gd, extragradient, optimistic)."),
    alternating: bool = typer.Option(None, "--alternating/--simultaneous",
                                     help="Generator steps after the discriminator "
                                     "(default: simultaneous)."),
    iterations: int = typer.Option(None, help="Generator updates in total."),
    lr_g: float = typer.Option(None, help="Generator learning rate."),
    lr_d: float = typer.Option(None, help="Discriminator learning rate."),
    beta1: float = typer.Option(None, help="Adam beta1 (both players)."),
    beta2: float = typer.Option(None, help="Adam beta2 (both players)."),
    n_critic: int = typer.Option(None, help="Discriminator steps per generator step."),
    gp_weight: float = typer.Option(None, help="Gradient-penalty weight (wgangp)."),
    gp_at: str = typer.Option(None, metavar="POINTS", help="Where the penalty is evaluated: "
                              "interpolates (Gulrajani et al., default) or data (the paper's "
                              "released MoG code)."),
    clip: float = typer.Option(None, help="Weight-clipping bound (wgan)."),
    consensus: float = typer.Option(None, help="Consensus regulariser gamma (0 = off)."),
    batch_size: int = typer.Option(None, help="Global batch size (MoG full batch: 10000)."),
    latent_dim: int = typer.Option(None, help="Latent dimension."),
    width: int = typer.Option(None, help="Hidden units (MoG) or base channels (images)."),
    mog_samples: int = typer.Option(None, help="Size of the fixed MoG sample."),
    mog_mixture: str = typer.Option(None, metavar="MIXTURE", help="paper: 1/2 N(2, 0.5) + 1/2 "
                                    "N(-2, 1) (App. C.1, default); published: both variances 1 "
                                    "(the paper's released code)."),
    ema_beta: float = typer.Option(None, help="Decay of the exponential parameter average."),
    seed: int = typer.Option(None, help="Random seed."),
    checkpoint_every: int = typer.Option(None, help="Checkpoint every N iterations."),
    keep_checkpoints: int = typer.Option(None, help="Keep only the newest N checkpoints (and "
                                         "the initial state); 0 keeps all."),
    log_every: int = typer.Option(None, help="Log metrics every N iterations."),
    sample_every: int = typer.Option(None, help="Save samples (and IS/FID) every N iterations."),
    data_dir: str = typer.Option(None, metavar="DIR", help=DATA_DIR_HELP + " (default: data/mnist or data/cifar10)."),
    players: str = typer.Option(None, metavar="WHO", help="both (the GAN, default) or D: the discriminator "
                                "alone minimises its loss against fixed samples of the initial "
                                "generator (the minimisation control; needs --n-critic 1, "
                                "simultaneous)."),
    download: bool = typer.Option(False, "--download", help="Fetch the standard data files "
                                  "and verify their checksums."),
    out: str = typer.Option(None, metavar="DIR", help="Run directory (default: runs/<preset>-<time>)."),
    resume: str = typer.Option(None, metavar="DIR", help="Continue the run in this directory."),
    device: str = typer.Option(None, metavar="DEVICE", help="cpu, cuda or cuda:N (default: cuda when available)."),
    classifier: str = typer.Option(None, metavar="FILE", help="MNIST LeNet for the Inception Score "
                                   "(default: DATA_DIR/lenet_mnist.pt when present)."),
    inception: str = typer.Option(None, metavar="FILE", help="TorchScript Inception network for CIFAR10 "
                                  "FID/IS."),
    quiet: bool = typer.Option(False, "--quiet", help="No progress bar."),
) -> None:
    """Train a GAN of the paper's appendix C; checkpoints go to the run directory.

    Launch under `torchrun --nproc-per-node N` for data-parallel training."""
    from neural.training.launch import launch_training
    from neural.render.training import RichReporter

    overrides = dict(loss=loss, method=method, alternating=alternating, iterations=iterations,
                     lr_g=lr_g, lr_d=lr_d, beta1=beta1, beta2=beta2, n_critic=n_critic,
                     gp_weight=gp_weight, gp_at=gp_at, clip=clip, consensus=consensus,
                     batch_size=batch_size, latent_dim=latent_dim, width=width,
                     mog_samples=mog_samples, mog_mixture=mog_mixture,
                     ema_beta=ema_beta, seed=seed, checkpoint_every=checkpoint_every,
                     keep_checkpoints=keep_checkpoints, log_every=log_every,
                     sample_every=sample_every, data_dir=data_dir, players=players)
    summary = launch_training(
        dataset, preset, overrides, out=out, resume=resume, device=device, download=download,
        classifier=classifier, inception=inception,
        reporter=None if quiet else RichReporter(f"{dataset} " + ("D alone" if players == "D" else "GAN")),
        notify=lambda text: typer.echo(f"note: {text}", err=True))
    if not summary["is_main"]:
        return
    last = summary["last"] or {}
    shown = "  ".join(f"{k} {v:.4g}" for k, v in last.items()
                      if k.startswith("loss_") or k in ("w1", "ks"))
    typer.echo(f"iteration {summary['iteration']} on {summary['device']}: {shown}")
    typer.echo(f"checkpoint: {summary['checkpoint']}")
    if summary["interrupted"]:
        typer.echo(f"interrupted; continue with --resume {summary['run_dir']}", err=True)
        raise typer.Exit(130)


@neural_app.command("train-classifier", cls=Command)
@user_errors
def neural_train_classifier(
    dataset: str = typer.Argument(..., metavar="DATASET", help="Only mnist: the LeNet behind the Inception Score."),
    data_dir: str = typer.Option(None, metavar="DIR", help=DATA_DIR_HELP + " (default: data/mnist)."),
    download: bool = typer.Option(False, "--download", help="Fetch the MNIST files into DATA_DIR first."),
    out: str = typer.Option(None, metavar="FILE", help="Weights file (default: DATA_DIR/lenet_mnist.pt)."),
    epochs: int = typer.Option(3, min=1, help="Training epochs."),
    seed: int = typer.Option(0, help="Random seed."),
    device: str = typer.Option(None, metavar="DEVICE", help="cpu, cuda or cuda:N (default: cuda when available)."),
) -> None:
    """Train the LeNet classifier used for the MNIST Inception Score; reports test accuracy."""
    from gametheory.errors import OptionError

    if dataset != "mnist":
        raise OptionError(f"train-classifier supports mnist only, not {dataset!r}")
    from neural.training.data import data_directory
    from neural.training.data import download as fetch_data
    from neural.training.classifier import train_mnist_classifier
    from neural.devices import parse_device

    chosen = parse_device(device)
    data_dir = data_directory("mnist", data_dir)
    if download:
        fetch_data("mnist", data_dir)
    summary = train_mnist_classifier(
        data_dir, out, epochs=epochs, seed=seed, device=chosen,
        progress=lambda epoch, loss: typer.echo(f"epoch {epoch}: training loss {loss:.4f}"))
    typer.echo(f"test accuracy {summary['test_accuracy']:.4f}; saved to {summary['path']}")


if __name__ == "__main__":
    sys.exit(app(prog_name="gametheory"))
