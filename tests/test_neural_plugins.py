"""The fast-path registry (neural.plugins): discovery, registration, the agreement check."""
import pytest
import torch

from neural import plugins


def test_the_closed_form_is_discovered_and_registered_once():
    from neural.fastpath import PROVIDER

    assert plugins.providers().count(PROVIDER) == 1
    plugins.register(PROVIDER)
    assert plugins.providers().count(PROVIDER) == 1


def test_a_missing_plugin_is_skipped_and_a_broken_one_raises(tmp_path, monkeypatch):
    plugins.discover(["neural.no_such_plugin"])  # not installed: autograd, no error
    (tmp_path / "broken_plugin.py").write_text("import no_such_dependency\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(ModuleNotFoundError, match="no_such_dependency"):
        plugins.discover(["broken_plugin"])


def test_agrees_is_relative_to_the_reference_and_its_dtype():
    ref = torch.tensor([100.0, -1.0], dtype=torch.float64)
    assert plugins.agrees(ref + 0.9e-6, ref)  # 1e-8 of the largest entry, 100
    assert not plugins.agrees(ref + 1.1e-6, ref)
    single = ref.float()
    assert plugins.agrees(single + 0.09, single) and not plugins.agrees(single + 0.11, single)
    assert not plugins.agrees(ref[:1], ref)  # shapes differ
    assert not plugins.agrees(torch.tensor([float("nan"), -1.0], dtype=torch.float64), ref)
