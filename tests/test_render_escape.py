"""User text in rich output prints verbatim: brackets and trailing backslashes survive."""
import pytest
from rich.console import Console

from gametheory.render.text import escape


@pytest.mark.parametrize("text", ["end\\", "end\\\\", "a[b]\\", "see [link] and [red]x[/red]\\\\\\", "\\", "[/]"])
@pytest.mark.parametrize("template", ["{}", "[bold]a[/]: {}", "[dim]({})[/] z", "[dim]{}[/]"])
def test_escaped_text_prints_verbatim_wherever_it_is_placed(text, template):
    console = Console(record=True, width=200)
    console.print(template.format(escape(text)), soft_wrap=True)
    plain = template.replace("[bold]", "").replace("[dim]", "").replace("[/]", "")
    assert console.export_text() == plain.format(text) + "\n"


def test_a_description_ending_in_a_backslash_prints_verbatim(tmp_path):
    from cli import app
    from support.cli_checks import runner

    path = tmp_path / "slash.toml"
    path.write_text("name = \"slash\"\ndescription = 'see [link] end\\'\n[players.P]\nparams = [\"x\"]\nloss = \"x**2\"\n")
    result = runner.invoke(app, ["classify", str(path)], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == "slash: see [link] end\\"
