"""Baselines for bench_neural_ops.py: the paper's App. B recipe taken literally.

Eigenvalues: build the gradient graph over the data with ``create_graph=True`` (every batch's
graph held at once), then one double-backward product of the retained graph per call from scipy
``eigs`` (``tol=0``), with a host round trip (numpy -> torch -> numpy) per product.
Path-angle: a Python loop over alpha that loads interpolated state dicts into the modules and
runs a forward pass and one backward pass per player.
"""
from __future__ import annotations

import numpy as np
import scipy.sparse.linalg as spla
import torch


def _flat(tensors) -> torch.Tensor:
    return torch.cat([t.reshape(-1) for t in tensors])


def baseline_eigs(players: dict, loss, batches: list, k: int, v0: np.ndarray):
    """Top-k (LM) eigenvalues of J^T by the retained double-backward graph; returns
    (eigenvalues, number of products)."""
    params = {name: [p for p in m.parameters()] for name, m in players.items()}
    field = None
    for batch in batches:  # every batch's graph stays alive
        losses = loss(players, batch)
        part = _flat([g for name in players
                      for g in torch.autograd.grad(losses[name], params[name], create_graph=True)])
        field = part if field is None else field + part
    field = field / len(batches)
    inputs = [p for name in players for p in params[name]]
    count = [0]

    def matvec(x):
        count[0] += 1
        u = torch.from_numpy(np.asarray(x, dtype=np.float32).reshape(-1))
        return _flat(torch.autograd.grad(field, inputs, u, retain_graph=True)).numpy()

    n = field.numel()
    op = spla.LinearOperator((n, n), matvec=matvec, dtype=np.float32)
    values = spla.eigs(op, k=k, which="LM", v0=v0, return_eigenvectors=False)
    return values, count[0]


def baseline_path_angle(players: dict, loss, batch, start: dict, end: dict, alphas) -> np.ndarray:
    """Cosine of eq. (7) at each alpha by loading interpolated state dicts, in the orientation of
    the paper's code and figures (the direction start minus end against v, i.e.
    ``cos(end - start, -v)``); also computes the path-norm and losses as the literal loop would."""
    delta = _flat([end[n][k] - start[n][k] for n in players for k in start[n]])
    cosines = []
    for alpha in alphas:
        for name, module in players.items():
            module.load_state_dict({k: start[name][k] + alpha * (end[name][k] - start[name][k])
                                    for k in start[name]})
        losses = loss(players, batch)
        grads = []
        for name, module in players.items():
            grads += torch.autograd.grad(losses[name], list(module.parameters()), retain_graph=True)
        v = _flat(grads)
        cosines.append(float(-delta @ v / (delta.norm() * v.norm())))
        _ = [float(losses[n].detach()) for n in players]
    return np.array(cosines)
