"""The one device parser: auto, cpu, cuda, cuda:N; anything else, or CUDA on a machine without
it, is a one-line OptionError, the same from every entry point (analysis, training, torchrun)."""
import pytest
import torch

from gametheory.errors import OptionError
from neural.devices import parse_device, parse_dtype
from support.cli_checks import assert_one_line_error, run


@pytest.fixture
def no_cuda(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)


@pytest.fixture
def two_gpus(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)


def test_valid_devices(two_gpus):
    assert parse_device("cpu") == torch.device("cpu")
    assert parse_device("cuda") == torch.device("cuda")
    assert parse_device("cuda:1") == torch.device("cuda", 1)
    assert parse_device(torch.device("cuda", 0)) == torch.device("cuda", 0)
    assert parse_device("auto") == parse_device(None) == torch.device("cuda")


def test_auto_without_cuda_is_the_cpu(no_cuda):
    assert parse_device("auto") == parse_device(None) == torch.device("cpu")


@pytest.mark.parametrize("text", ["cuda:x", "tpu", "gpu", "cuda:", "CPU", "cuda:0:1", " cpu", "mps", "meta"])
def test_unknown_devices_are_one_line_errors(text):
    with pytest.raises(OptionError, match=r"--device must be auto, cpu, cuda or cuda:N, got") as error:
        parse_device(text)
    assert "\n" not in str(error.value)


def test_cuda_needs_a_gpu(no_cuda):
    for text in ("cuda", "cuda:0", torch.device("cuda")):
        with pytest.raises(OptionError, match="no CUDA device is available"):
            parse_device(text)


def test_cuda_index_must_exist(two_gpus):
    with pytest.raises(OptionError, match="has 2 CUDA device"):
        parse_device("cuda:2", option="--gpu")


def test_dtypes():
    assert parse_dtype("float32") is torch.float32 and parse_dtype("float64") is torch.float64
    assert parse_dtype("auto") is None and parse_dtype(None) is None and parse_dtype(torch.float32) is torch.float32
    with pytest.raises(OptionError, match="--dtype must be auto, float32 or float64, got 'half'"):
        parse_dtype("half")


def test_every_entry_point_uses_the_parser(no_cuda):
    from neural.targets import resolve_target
    from neural.training.distributed import from_environment
    from neural.training.launch import launch_training

    assert from_environment("cpu") == (None, torch.device("cpu")) and from_environment(None)[1].type == "cpu"
    for call in (lambda: from_environment("cuda:x"), lambda: launch_training("mog", device="tpu"),
                 lambda: resolve_target("example2", ["theta=0", "phi=1"], device="cuda")):
        with pytest.raises(OptionError, match="--device"):
            call()


@pytest.mark.parametrize("args", [
    ["neural", "eigs", "example2", "--point", "theta=0", "--point", "phi=1", "--device", "tpu"],
    ["neural", "classify", "example2", "--point", "theta=0", "--point", "phi=1", "--device", "cuda:x"],
    ["neural", "path-angle", "--game", "rotation", "theta=1,phi=0", "theta=0,phi=0", "--device", "gpu"],
    ["neural", "train", "mog", "--device", "cuda:x"],
    ["neural", "train-classifier", "mnist", "--device", "tpu"],
])
def test_the_cli_refuses_bad_devices_in_one_line(args):
    assert_one_line_error(run(*args), "--device must be auto, cpu, cuda or cuda:N")


def test_the_cli_refuses_cuda_without_a_gpu(no_cuda):
    assert_one_line_error(run("neural", "eigs", "example2", "--point", "theta=0", "--point", "phi=1",
                              "--device", "cuda"), "no CUDA device is available")
