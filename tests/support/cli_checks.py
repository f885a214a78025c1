"""Checks shared by the CLI tests: running the app, the one-line user error, lazy imports."""
import subprocess
import sys

from typer.testing import CliRunner

from cli import app

runner = CliRunner()


def run(*args):
    return runner.invoke(app, list(args))


def assert_one_line_error(result, fragment: str) -> None:
    """A user error: exit code 2 and one line on stderr naming ``fragment``, no traceback."""
    assert result.exit_code == 2, result.output
    assert fragment in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr


def imported_after(args: list[str], modules: list[str]) -> list[bool]:
    """In a fresh interpreter, run the CLI with ``args`` (it must succeed), then report which of
    ``modules`` got imported."""
    code = ("import sys; from typer.testing import CliRunner; from cli import app; "
            f"r = CliRunner().invoke(app, {args!r}); assert r.exit_code == 0, r.output; "
            f"print(*[m in sys.modules for m in {modules!r}])")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    return [word == "True" for word in done.stdout.split()]
