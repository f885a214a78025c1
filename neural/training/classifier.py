"""Training the LeNet classifier behind the MNIST Inception Score (paper App. C.2).

Adam on the cross-entropy over the 60,000 MNIST training images, test accuracy on the 10,000
test images. The weights are saved as a plain state dict (loadable with weights_only=True).
"""
from __future__ import annotations

from pathlib import Path

import torch
import torch.nn.functional as F

from gametheory.errors import GameError
from neural.training.checkpoint import atomic_write, first_line, load_tensors
from neural.training.data import load_mnist
from neural.training.models import LeNet

CLASSIFIER_FILE = "lenet_mnist.pt"


def default_classifier_path(data_dir: str | Path) -> Path:
    return Path(data_dir) / CLASSIFIER_FILE


@torch.no_grad()
def accuracy(model: torch.nn.Module, images: torch.Tensor, labels: torch.Tensor,
             batch_size: int = 1000) -> float:
    model.eval()
    device = next(model.parameters()).device
    correct = sum(int((model(x.to(device)).argmax(1).cpu() == y).sum())
                  for x, y in zip(images.split(batch_size), labels.split(batch_size)))
    return correct / len(labels)


def train_lenet(images: torch.Tensor, labels: torch.Tensor, epochs: int = 3,
                batch_size: int = 128, lr: float = 1e-3, seed: int = 0, device="cpu",
                progress=None) -> LeNet:
    """A LeNet fitted by Adam on (images in [-1, 1], labels); ``progress(epoch, loss)`` is
    called after each epoch."""
    torch.manual_seed(seed)
    model = LeNet().to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    generator = torch.Generator().manual_seed(seed)
    for epoch in range(epochs):
        model.train()
        order = torch.randperm(len(images), generator=generator)
        total = 0.0
        for index in order.split(batch_size):
            loss = F.cross_entropy(model(images[index].to(device)), labels[index].to(device))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += float(loss.detach()) * len(index)
        if progress is not None:
            progress(epoch + 1, total / len(images))
    return model


def save_classifier(model: LeNet, path: str | Path, test_accuracy: float) -> None:
    state = {"state_dict": model.state_dict(), "test_accuracy": float(test_accuracy)}
    atomic_write(path, lambda handle: torch.save(state, handle))


def load_classifier(path: str | Path, device="cpu") -> LeNet:
    """The LeNet saved by ``gametheory neural train-classifier mnist``."""
    path = Path(path)
    if not path.is_file():
        raise GameError(f"no MNIST classifier at {path}: train one with "
                        "`gametheory neural train-classifier mnist`")
    state = load_tensors(path, "MNIST classifier", map_location="cpu")
    try:
        model = LeNet()
        model.load_state_dict(state["state_dict"])
    except (KeyError, IndexError, TypeError, RuntimeError, ValueError) as error:  # other tensors
        raise GameError(f"{path} is not an MNIST classifier: {first_line(error)}") from None
    return model.to(device).eval()


def train_mnist_classifier(data_dir: str | Path, out: str | Path | None = None, epochs: int = 3,
                           seed: int = 0, device="cpu", progress=None) -> dict:
    """Train on MNIST's training set, measure accuracy on its test set, save; returns a
    summary {"path", "test_accuracy", "epochs"}."""
    train_x, train_y = load_mnist(data_dir, "train", limit=None, with_labels=True)
    test_x, test_y = load_mnist(data_dir, "test", limit=None, with_labels=True)
    model = train_lenet(train_x, train_y, epochs=epochs, seed=seed, device=device,
                        progress=progress)
    test_accuracy = accuracy(model, test_x, test_y)
    path = Path(out) if out is not None else default_classifier_path(data_dir)
    save_classifier(model, path, test_accuracy)
    return {"path": str(path), "test_accuracy": test_accuracy, "epochs": epochs}
