"""Closed-form game field and Jacobian products of the MoG game (paper App. C.1): generator and
discriminator are one-hidden-layer ReLU MLPs and the samples are scalars.

    generator      x = w . relu(W z + beta) + gamma        (latents z: N x L, H hidden units)
    discriminator  D(s) = v . relu(a s + b) + c            (scalar samples s, H' hidden units)

With K1 = [W z + beta > 0] (N x H), h = relu(W z + beta), K the discriminator's activation
pattern on its samples (``neural.fastpath.scalar_relu``, never formed), g = dL_D/dD(s) on every sample
D scored, gG = dL_G/dD(x) on the generated ones and e = dL_G/dx (direct):

    D'(s) = K (v*a),   D(s) = s K(v*a) + K(v*b) + c,   S0 = K^T g,   S1 = K^T (g s)
    dL_D/da = v S1,  dL_D/db = v S0,  dL_D/dv = a S1 + b S0,  dL_D/dc = sum g
    dy = gG D'(x) + e:  dL_G/dw = h^T dy,  dL_G/dgamma = sum dy,
                        [dL_G/dW | dL_G/dbeta] = diag(w) R,  R = (K1 * dy)^T [z | 1]
    (and h^T dy is the row-wise product of R with [W | beta]: no pass over h for it)

A Jacobian-vector product J u differentiates these along u with the activation patterns held
fixed (they are piecewise constant): two products with the latents per J u, everything else is
O(N H) passes or O((N + H) log H) threshold sums, against a double backward through the whole
autograd graph. The loss stays the run's own function: it is evaluated on stand-ins for the
players (the generator returns a leaf standing for x, the discriminator one standing for D(s)),
and autograd on those N-vectors gives g, gG, e and, for J u, their derivatives (the loss's
Hessian in the scores applied to the scores' tangents).

The closed form applies when each player's layers are Linear -> ReLU -> Linear (read from the
module's structure: its children, or its only child's; biases, one output, no hooks,
parametrisations or buffers, every parameter trainable), the discriminator has one input, and
the loss calls the generator on one latent batch and the discriminator only on its output or on
constant samples; anything else raises ``ClosedFormUnsupported`` (callers fall back to
autograd). The roles come from the structure (the discriminator has one input) and, where both
players have one input, from the loss (the assignment under which it runs on the stand-ins).
Whether a module's forward is the MLP its layers describe is not assumed: callers validate the
closed form against autograd before use (``neural.plugins``).
"""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from neural.fastpath.scalar_relu import ReLUThresholds, SamplePositions
from neural.plugins import Unsupported

FirstLayer = Callable[[torch.Tensor], torch.Tensor]  # latents -> pre-activations W z + beta


class ClosedFormUnsupported(Unsupported):
    """The loss uses the players in a way the closed form does not cover."""


def mlp_layers(module: nn.Module) -> tuple[nn.Linear, nn.Linear] | None:
    """``(first, last)`` Linear layers if ``module``'s layers (its children, or those of its
    only child) are Linear -> ReLU -> Linear with biases and one output, its parameters are
    exactly theirs and trainable, and no hook, parametrisation or buffer changes its forward;
    else None."""
    layers = list(module.children())
    if len(layers) == 1:
        layers = list(layers[0].children())
    if not (len(layers) == 3 and isinstance(layers[0], nn.Linear)
            and isinstance(layers[1], nn.ReLU) and isinstance(layers[2], nn.Linear)):
        return None
    first, _, last = layers
    if first.bias is None or last.bias is None or last.out_features != 1:
        return None
    own = (first.weight, first.bias, last.weight, last.bias)
    params = list(module.parameters())
    if len(params) != 4 or any(p is not q for p, q in zip(params, own)):
        return None
    for m in module.modules():
        if (m._forward_hooks or m._forward_pre_hooks or m._backward_hooks
                or getattr(m, "parametrizations", None)):
            return None
    if not all(p.requires_grad for p in params) or list(module.buffers()):
        return None
    return first, last


def output_shape(module: nn.Module, inputs: int) -> tuple[int, ...] | None:
    """The shape of ``module``'s output on a probe batch of two zero inputs, or None where it
    fails there (tells a discriminator returning (N,) from one returning (N, 1))."""
    weight = next(module.parameters())
    try:
        with torch.no_grad():
            out = module(torch.zeros(2, inputs, dtype=weight.dtype, device=weight.device))
    except Exception:  # noqa: BLE001 - a forward that does not take a plain batch: no closed form
        return None
    return tuple(out.shape) if isinstance(out, torch.Tensor) else None


@dataclass(frozen=True)
class MLP:
    """One player's tensors (parameters, gradients or tangents) in ``named_parameters`` order:
    first layer weight (H, inputs) and bias (H,), output weight (1, H) and bias (1,)."""

    weight: torch.Tensor
    bias: torch.Tensor
    out_weight: torch.Tensor
    out_bias: torch.Tensor

    def tensors(self) -> tuple[torch.Tensor, ...]:
        return self.weight, self.bias, self.out_weight, self.out_bias

    def flat(self) -> torch.Tensor:
        return torch.cat([t.reshape(-1) for t in self.tensors()])

    def first_layer(self) -> torch.Tensor:
        """[weight | bias] (H, inputs + 1), the first layer acting on [input | 1]."""
        return torch.cat([self.weight, self.bias[:, None]], 1)

    @classmethod
    def from_flat(cls, flat: torch.Tensor, hidden: int, inputs: int) -> MLP:
        weight, bias, out_weight, out_bias = flat.split([hidden * inputs, hidden, hidden, 1])
        return cls(weight.view(hidden, inputs), bias, out_weight.view(1, hidden), out_bias)

    @classmethod
    def from_module(cls, module: nn.Module) -> MLP:
        first, last = mlp_layers(module)
        return cls(first.weight.detach(), first.bias.detach(), last.weight.detach(),
                   last.bias.detach())


@dataclass
class _ScoredSet:
    """Samples the discriminator scored in one call: the call's input, the samples (M,), their
    positions among D's thresholds and D'(s) (float64 numpy), and the leaf standing for the
    scores."""

    source: torch.Tensor
    samples: np.ndarray
    at: SamplePositions
    slope: np.ndarray
    leaf: torch.Tensor
    fake: bool


def _host(t: torch.Tensor) -> np.ndarray:
    return t.detach().double().numpy()


def _gradients(loss: torch.Tensor, leaves: list[torch.Tensor], create_graph: bool) -> list:
    if not loss.requires_grad:
        return [torch.zeros_like(leaf) for leaf in leaves]
    return list(torch.autograd.grad(loss, leaves, retain_graph=True, create_graph=create_graph,
                                    allow_unused=True, materialize_grads=True))


def _hessian_product(grads: list[torch.Tensor], leaves: list[torch.Tensor],
                     tangents: list[torch.Tensor]) -> list[torch.Tensor]:
    """H t for the loss whose gradients in the leaves are ``grads`` (built with create_graph)."""
    live = [(g, t) for g, t in zip(grads, tangents) if g.requires_grad]
    if not live:
        return [torch.zeros_like(leaf) for leaf in leaves]
    return list(torch.autograd.grad([g for g, _ in live], leaves, [t for _, t in live],
                                    retain_graph=True, allow_unused=True, materialize_grads=True))


def _rowwise_dot(m: MLP, r: torch.Tensor) -> torch.Tensor:
    """Row-wise <[W | beta], r> for r (H, L + 1). With r = (K1 * y)^T [z | 1] this is
    ``h^T y`` (``sum_i y_i K1_ij (W z_i + beta)_j``) without a pass over the activations."""
    return (m.first_layer() * r).sum(1)


class MoGPoint:
    """The MoG game at one state on one batch: the forward quantities, the players' losses, the
    field (``gradients``) and, when built with ``second_order``, Jacobian-vector products
    (``jvp``). ``first_layer`` replaces the computation of ``W z + beta`` (path-angle passes
    ``A0 + alpha A1``); the point overwrites what it returns. The discriminator's part is
    computed on the host in float64 (``neural.fastpath.scalar_relu``); CPU games only."""

    def __init__(self, form: MoGClosedForm, g: MLP, d: MLP, batch, *, second_order: bool = False,
                 first_layer: FirstLayer | None = None):
        self.form, self.g, self.d, self.second_order = form, g, d, second_order
        self.dtype = g.weight.dtype
        self._first_layer = first_layer
        self.a, self.b, self.v = _host(d.weight[:, 0]), _host(d.bias), _host(d.out_weight[0])
        if not (np.isfinite(self.a).all() and np.isfinite(self.b).all()):
            raise ClosedFormUnsupported("non-finite discriminator weights")  # no threshold order
        self.thresholds = ReLUThresholds(self.a, self.b)
        self._score_weights = np.stack([self.v * self.a, self.v * self.b])  # D = s K(va) + K(vb)
        self.z = self._fake_leaf = None
        self._sets: list[_ScoredSet] = []
        values = form.loss({form.generator: self._generate, form.discriminator: self._score},
                           batch)
        losses = []
        for name in (form.generator, form.discriminator):
            value = values.get(name) if isinstance(values, Mapping) else None
            if not isinstance(value, torch.Tensor) or value.numel() != 1:
                raise ClosedFormUnsupported(f"no scalar loss for {name!r}")
            losses.append(value.reshape(()))
        if self.z is None:
            raise ClosedFormUnsupported("the loss never calls the generator")
        self.losses = {name: l.detach() for name, l in zip((form.generator, form.discriminator),
                                                           losses)}
        self._leaves = [self._fake_leaf] + [s.leaf for s in self._sets]
        self._grads = [_gradients(l, self._leaves, second_order) for l in losses]
        fake = [i for i, s in enumerate(self._sets) if s.fake]
        self._fake_set = fake[0] if fake else None
        self.dy = self._grads[0][0].detach().reshape(-1)  # dL_G/dx directly ...
        if self._fake_set is not None:  # ... and through D(x)
            self.dy = self.dy + self._grads[0][1 + self._fake_set].detach().reshape(-1) * \
                self._torch(self._sets[self._fake_set].slope)
        self._sizes = [len(s.samples) for s in self._sets]
        if self._sets:
            self.samples = np.concatenate([s.samples for s in self._sets])
            self.slope = np.concatenate([s.slope for s in self._sets])
            self.at = SamplePositions.cat([s.at for s in self._sets])
            self.score_grad = np.concatenate([_host(t).reshape(-1) for t in self._grads[1][1:]])
        self._sums = self._g_grad = self._r = self._mask = None

    def _torch(self, values: np.ndarray) -> torch.Tensor:
        return torch.from_numpy(values).to(self.dtype)

    # --- the players, as the loss sees them ---------------------------------------------------
    def _generate(self, z):
        if not torch.is_grad_enabled():  # autograd would treat this output as a constant
            raise ClosedFormUnsupported("the generator is called under no_grad")
        if self.z is not None:
            if z is self.z:
                return self._fake_leaf
            raise ClosedFormUnsupported("the generator is called on two latent batches")
        g = self.g
        if not (isinstance(z, torch.Tensor) and not z.requires_grad and z.dim() == 2
                and z.shape[1] == g.weight.shape[1]):
            raise ClosedFormUnsupported("the generator's input is not a constant latent batch")
        self.z = z
        pre = (self._first_layer(z) if self._first_layer is not None
               else torch.addmm(g.bias, z, g.weight.t()))
        self.hidden = pre.relu_()
        self.fake = torch.addmv(g.out_bias, self.hidden, g.out_weight[0])
        self._fake_leaf = self.fake.detach()[:, None].requires_grad_()
        return self._fake_leaf

    def _score(self, x):
        for scored in self._sets:
            if scored.source is x:
                return scored.leaf
        if self._fake_leaf is not None and x is self._fake_leaf:
            samples, order, fake = _host(self.fake), None, True
        elif (isinstance(x, torch.Tensor) and not x.requires_grad and x.dim() == 2
              and x.shape[1] == 1):
            samples, order = self.form.sorted_samples(x)
            fake = False
        else:
            raise ClosedFormUnsupported("the discriminator is called on a transformed sample")
        if not np.isfinite(samples).all():
            raise ClosedFormUnsupported("non-finite samples")
        at = self.thresholds.locate(samples, order)
        slope, offset = self.thresholds.rows(at, self._score_weights)
        score = self._torch(samples * slope + offset + float(self.d.out_bias))
        leaf = (score if self.form.squeeze else score[:, None]).requires_grad_()
        self._sets.append(_ScoredSet(x, samples, at, slope, leaf, fake))
        return leaf

    # --- the field ----------------------------------------------------------------------------
    def _d_sums(self) -> np.ndarray:
        """(S0, S1) = K^T [g, g s]."""
        if self._sums is None:
            g = self.score_grad
            self._sums = self.thresholds.cols(self.at, np.stack([g, g * self.samples]))
        return self._sums

    def _latents(self) -> torch.Tensor:
        return self.form.latents_with_ones(self.z)

    def _mask1(self) -> torch.Tensor:
        """K1 = [W z + beta > 0] as 0/1 of the hidden activations' dtype."""
        if self._mask is None:
            self._mask = torch.sign(self.hidden)
        return self._mask

    def _d_gradient(self, sums: np.ndarray, dc: np.ndarray) -> MLP:
        """D's parameters' partials from (S0, S1)-type sums and the output bias partial."""
        s0, s1 = sums
        return MLP(self._torch(self.v * s1)[:, None], self._torch(self.v * s0),
                   self._torch(self.a * s1 + self.b * s0)[None], self._torch(dc).reshape(1))

    def gradients(self, players: Sequence[str] | None = None) -> dict[str, MLP]:
        """Each chosen player's gradient of its own loss (default both)."""
        players = (self.form.generator, self.form.discriminator) if players is None else players
        out = {}
        if self.form.discriminator in players:
            if self._sets:
                out[self.form.discriminator] = self._d_gradient(
                    self._d_sums(), np.asarray(self.score_grad.sum()))
            else:
                out[self.form.discriminator] = MLP(*(torch.zeros_like(t) for t in self.d.tensors()))
        if self.form.generator in players:
            out[self.form.generator] = self._generator_gradient()
        return out

    def _generator_gradient(self) -> MLP:
        if self._g_grad is None:
            g, dy = self.g, self.dy
            if self.second_order:
                scaled = self._mask1() * dy[:, None]
            else:  # the hidden activations are not needed again: mask and scale them in place
                scaled = self.hidden.sign_().mul_(dy[:, None])
            self._r = r = scaled.t() @ self._latents()  # (H, L + 1)
            w = g.out_weight[0][:, None]
            self._g_grad = MLP(w * r[:, :-1], w[:, 0] * r[:, -1], _rowwise_dot(g, r)[None],
                               dy.sum().reshape(1))
        return self._g_grad

    # --- Jacobian-vector products -------------------------------------------------------------
    def jvp(self, tangent_g: MLP | None, tangent_d: MLP | None, rows: Sequence[str]
            ) -> dict[str, MLP]:
        """Rows ``rows`` of J u for u = (tangent_g, tangent_d) (None: a zero tangent)."""
        if not self.second_order:
            raise RuntimeError("a MoGPoint needs second_order=True for Jacobian products")
        form = self.form
        dx = ds = dslope = None
        if tangent_g is not None:
            dh = (self._latents() @ tangent_g.first_layer().t()).mul_(self._mask1())
            dx = dh @ self.g.out_weight[0] + self.hidden @ tangent_g.out_weight[0] + \
                tangent_g.out_bias
        tangents = [dx[:, None] if dx is not None else torch.zeros_like(self._fake_leaf)]
        if self._sets:
            if dx is not None and self._fake_set is not None:
                ds = np.concatenate([_host(dx) if s.fake else np.zeros(len(s.samples))
                                     for s in self._sets])
            dscore = ds * self.slope if ds is not None else np.zeros(len(self.samples))
            if tangent_d is not None:
                da, db, dv = (_host(t) for t in (tangent_d.weight[:, 0], tangent_d.bias,
                                                 tangent_d.out_weight[0]))
                dslope, doffset = self.thresholds.rows(
                    self.at, np.stack([self.v * da + dv * self.a, self.v * db + dv * self.b]))
                dscore = dscore + self.samples * dslope + doffset + float(tangent_d.out_bias)
            tangents += [self._torch(t).view_as(s.leaf)
                         for t, s in zip(np.split(dscore, np.cumsum(self._sizes)[:-1]), self._sets)]
        out = {}
        if form.discriminator in rows:
            out[form.discriminator] = self._d_jvp(tangent_d, ds, tangents)
        if form.generator in rows:
            out[form.generator] = self._g_jvp(tangent_g, dslope, tangents)
        return out

    def _d_jvp(self, tangent_d: MLP | None, ds: np.ndarray | None, tangents) -> MLP:
        if not self._sets:
            return MLP(*(torch.zeros_like(t) for t in self.d.tensors()))
        dgrads = _hessian_product(self._grads[1], self._leaves, tangents)
        dg = np.concatenate([_host(t).reshape(-1) for t in dgrads[1:]])
        moved = dg * self.samples
        if ds is not None:
            moved += self.score_grad * ds
        sums = self.thresholds.cols(self.at, np.stack([dg, moved]))
        if tangent_d is None:
            return self._d_gradient(sums, np.asarray(dg.sum()))
        # the partials' own dependence on D's parameters: dv S, and (da, db) in dL/dv
        s0, s1 = self._d_sums()
        da, db, dv = (_host(t) for t in (tangent_d.weight[:, 0], tangent_d.bias,
                                         tangent_d.out_weight[0]))
        part = self._d_gradient(sums, np.asarray(dg.sum()))
        return MLP(part.weight + self._torch(dv * s1)[:, None],
                   part.bias + self._torch(dv * s0),
                   part.out_weight + self._torch(da * s1 + db * s0)[None], part.out_bias)

    def _g_jvp(self, tangent_g, dslope, tangents) -> MLP:
        self._generator_gradient()  # R = (K1 * dy)^T [z | 1]
        dgrads = _hessian_product(self._grads[0], self._leaves, tangents)
        ddy = dgrads[0].reshape(-1)
        if self._fake_set is not None:
            k = self._fake_set
            ddy = ddy + dgrads[1 + k].reshape(-1) * self._torch(self._sets[k].slope)
            if dslope is not None:
                fake_dslope = np.split(dslope, np.cumsum(self._sizes)[:-1])[k]
                ddy = ddy + self._grads[0][1 + k].detach().reshape(-1) * self._torch(fake_dslope)
        dr = (self._mask1() * ddy[:, None]).t() @ self._latents()
        grad_w = _rowwise_dot(self.g, dr)
        grad_big = self.g.out_weight[0][:, None] * dr
        if tangent_g is not None:
            grad_w = grad_w + _rowwise_dot(tangent_g, self._r)
            grad_big = grad_big + tangent_g.out_weight[0][:, None] * self._r
        return MLP(grad_big[:, :-1], grad_big[:, -1], grad_w[None], ddy.sum().reshape(1))


class MoGClosedForm:
    """The closed form for a game whose players ``generator`` and ``discriminator`` are MoG MLPs
    and whose loss is ``loss`` (``candidates`` finds them)."""

    def __init__(self, generator: str, discriminator: str, squeeze: bool, loss: Callable):
        self.generator, self.discriminator, self.squeeze, self.loss = (
            generator, discriminator, squeeze, loss)
        self._cache: dict[int, tuple] = {}

    @classmethod
    def candidates(cls, players: Mapping[str, nn.Module], loss: Callable) -> list[MoGClosedForm]:
        """The closed forms these two players admit, one per role assignment: the
        discriminator has one input and returns (N,) or (N, 1), the generator returns (N, 1).
        Two candidates where both players have one input (the loss tells them apart: the wrong
        one raises ``ClosedFormUnsupported`` on the stand-ins)."""
        if len(players) != 2 or not all(isinstance(m, nn.Module) for m in players.values()):
            return []
        layers = {name: mlp_layers(m) for name, m in players.items()}
        if any(found is None for found in layers.values()):
            return []
        shapes = {name: output_shape(players[name], first.in_features)
                  for name, (first, _) in layers.items()}
        forms = []
        for d_name, (first, _) in layers.items():
            (g_name,) = [name for name in players if name != d_name]
            if first.in_features == 1 and shapes[g_name] == (2, 1) and shapes[d_name] in ((2,), (2, 1)):
                forms.append(cls(g_name, d_name, shapes[d_name] == (2,), loss))
        return forms

    def sorted_samples(self, x: torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
        """Constant samples (M, 1) as float64 and their argsort, cached like the latents."""
        def make():
            samples = _host(x[:, 0]).copy()
            return samples, np.argsort(samples)

        return self._cached(x, make)

    def _cached(self, key: torch.Tensor, make: Callable):
        """``make()`` cached for the tensors seen last (a game's fixed batches, or the trainer's
        full batch); an entry holds its tensor, so the id is not reused, and is renewed when
        torch's version counter shows an in-place change (writes through ``.numpy()`` views
        bypass the counter: batches are not to be written that way)."""
        hit = self._cache.get(id(key))
        if hit is None or hit[0] is not key or hit[1] != key._version:
            if len(self._cache) >= 16:
                self._cache.clear()
            hit = (key, key._version, make())
            self._cache[id(key)] = hit
        return hit[2]

    def latents_with_ones(self, z: torch.Tensor) -> torch.Tensor:
        """[z | 1], cached."""
        return self._cached(z, lambda: torch.cat([z, z.new_ones(len(z), 1)], dim=1))

    def point(self, g: MLP, d: MLP, batch, **options) -> MoGPoint:
        return MoGPoint(self, g, d, batch, **options)


class FlatClosedForm:
    """The closed form on a flat joint parameter vector, as a ``neural.plugins.FastPath``:
    ``slices`` and ``dims`` (hidden units, inputs) of each player in omega, players in ``order``
    (``NeuralGame``'s layout)."""

    name = "closed-form"

    def __init__(self, form: MoGClosedForm, order: Sequence[str], slices: Mapping[str, slice],
                 dims: Mapping[str, tuple[int, int]]):
        self.form, self.order, self.slices, self.dims = form, tuple(order), dict(slices), dict(dims)

    @classmethod
    def for_game(cls, game) -> FlatClosedForm | None:
        """The closed form of a ``NeuralGame`` on the CPU whose players and loss admit it (the
        first candidate the loss runs with on the first batch), else None."""
        if game.device.type != "cpu":
            return None
        modules = game.modules()
        forms = MoGClosedForm.candidates(modules, game.loss_fn)
        if not forms:
            return None
        firsts = {name: mlp_layers(module)[0] for name, module in modules.items()}
        dims = {name: (first.out_features, first.in_features) for name, first in firsts.items()}
        flats = [cls(form, game.player_names, game.slices, dims) for form in forms]
        for flat in flats[:-1]:  # ambiguous roles: keep the first the loss runs with
            try:
                flat.field_and_losses(game.omega(), game.batches[0])
                return flat
            except Exception:  # noqa: BLE001 - any failure of the stand-ins: the next roles
                pass
        return flats[-1]

    def split(self, omega: torch.Tensor) -> dict[str, MLP]:
        return {name: MLP.from_flat(omega[self.slices[name]], *self.dims[name])
                for name in self.order}

    def point(self, omega: torch.Tensor, batch, **options) -> MoGPoint:
        parts = self.split(omega)
        return self.form.point(parts[self.form.generator], parts[self.form.discriminator], batch,
                               **options)

    @torch.enable_grad()
    def field_and_losses(self, omega: torch.Tensor, batch, players: Sequence[str] | None = None,
                         **options) -> tuple[torch.Tensor, torch.Tensor]:
        """``(v, losses)`` like ``NeuralGame.field_and_losses`` (v over ``players``, default
        all, in player order; losses of all players); ``options`` go to ``MoGPoint``."""
        point = self.point(omega, batch, **options)
        chosen = self.order if players is None else tuple(players)
        grads = point.gradients(chosen)
        return (torch.cat([grads[name].flat() for name in chosen]),
                torch.stack([point.losses[name] for name in self.order]))

    @torch.enable_grad()
    def linearize(self, omega: torch.Tensor, batch) -> Callable:
        """``(u, cols, rows) -> rows`` of ``J u`` at omega on one batch (``jvp`` at one point
        built once)."""
        point = self.point(omega, batch, second_order=True)

        @torch.enable_grad()
        def product(tangent, cols, rows):
            return self.jvp(point, tangent, cols, rows)

        return product

    def jvp(self, point: MoGPoint, tangent: torch.Tensor, cols: Sequence[str],
            rows: Sequence[str]) -> torch.Tensor:
        """Rows ``rows`` of ``J u`` at ``point`` for the tangent u (omega's size) that is zero
        outside the players ``cols``."""
        parts = self.split(tangent)
        g, d = self.form.generator, self.form.discriminator
        out = point.jvp(parts[g] if g in cols else None, parts[d] if d in cols else None, rows)
        return torch.cat([out[name].flat() for name in rows])

    def line(self, start: torch.Tensor, delta: torch.Tensor
             ) -> Callable[[float, object], tuple[torch.Tensor, torch.Tensor]]:
        """``(alpha, batch) -> (v, losses)`` at ``start + alpha delta``. The generator's
        pre-activations are linear in alpha, ``A0 + alpha A1`` with ``A0 = [z|1] [W|beta]^T`` at
        the start and ``A1`` the same along delta: two products with the latents per batch for
        the whole path instead of one per point."""
        generator = self.form.generator
        start_g, delta_g = self.split(start)[generator], self.split(delta)[generator]
        # per latent batch: (z, A0, A1, a buffer the points write their pre-activations into)
        lines: dict[int, tuple[torch.Tensor, ...]] = {}

        def evaluate(alpha: float, batch):
            def first_layer(z):
                if id(z) not in lines or lines[id(z)][0] is not z:
                    latents = self.form.latents_with_ones(z)
                    at_start, along = (latents @ m.first_layer().t() for m in (start_g, delta_g))
                    lines[id(z)] = (z, at_start, along, torch.empty_like(at_start))
                _, at_start, along, buffer = lines[id(z)]
                return torch.add(at_start, along, alpha=alpha, out=buffer)

            return self.field_and_losses(start + alpha * delta, batch, first_layer=first_layer)

        return evaluate
