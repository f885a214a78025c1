"""Benchmark of the neural operators against the paper's App. B recipe (same run, ratios).

Model: the paper's MoG NSGAN (generator 100 -> 100 -> 1, discriminator 1 -> 100 -> 1, ReLU,
10,000 real samples and 10,000 fixed latent vectors; 10,502 parameters), float32, at its
seeded initialisation. Measured over --repeats rounds, ours and the baseline interleaved within
each round (the machine may be shared); times are medians (best-of in the *_best_s keys):

1. top-20 eigenvalues (LM) of J: ours (neural.analysis.eigen.top_eigenvalues on
   neural.operators.spectrum_operator: the closed-form J for this model) vs the baseline
   (bench_neural_ops_baseline.baseline_eigs); same eigenvalues to a relative 1e-3 is checked.
2. leftmost eigenvalue with residual (neural.analysis.eigen.leftmost_eigenvalues, k=1, including
   its spectral-radius estimate and its confirmation on exp(-tJ)) vs our top-20 solve.
3. path-angle with 100 alpha points: neural.analysis.path_angle.path_angle vs a Python loop loading
   interpolated state dicts.
4. peak memory (extra resident memory of a fresh process during the solve: VmHWM minus VmRSS
   before it, Linux) of the top-20 solve with the data split into 10 batches: our streaming operator vs the baseline holding every
   batch's graph.

Usage: python bench/bench_neural_ops.py [--repeats 3] [--threads 1] [--json]
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_neural_ops_baseline import baseline_eigs, baseline_path_angle  # noqa: E402
from neural.analysis.eigen import leftmost_eigenvalues, top_eigenvalues  # noqa: E402
from neural.game import NeuralGame  # noqa: E402
from neural.operators import spectrum_operator  # noqa: E402
from neural.analysis.path_angle import path_angle  # noqa: E402

F = torch.nn.functional
SAMPLES, LATENT, HIDDEN, K = 10_000, 100, 100, 20


def mog_nsgan(batches: int = 1):
    """Players, NSGAN loss and the seeded data (split into ``batches``)."""
    torch.manual_seed(0)
    gen = torch.nn.Sequential(torch.nn.Linear(LATENT, HIDDEN), torch.nn.ReLU(), torch.nn.Linear(HIDDEN, 1))
    disc = torch.nn.Sequential(torch.nn.Linear(1, HIDDEN), torch.nn.ReLU(), torch.nn.Linear(HIDDEN, 1))
    mix = torch.rand(SAMPLES, 1) < 0.5
    real = torch.where(mix, 2 + 0.5 ** 0.5 * torch.randn(SAMPLES, 1), -2 + torch.randn(SAMPLES, 1))
    latent = torch.randn(SAMPLES, LATENT)
    data = [(z, x) for z, x in zip(latent.chunk(batches), real.chunk(batches))]

    def loss(players, batch):
        z, x = batch
        fake = players["D"](players["G"](z))
        return {"G": F.softplus(-fake).mean(),
                "D": F.softplus(-players["D"](x)).mean() + F.softplus(fake).mean()}

    return {"G": gen, "D": disc}, loss, data


def interleaved(repeats: int, *fns):
    """Run ``fns`` in turn, ``repeats`` rounds; per fn: (median time, best time, last output)."""
    times, outs = [[] for _ in fns], [None] * len(fns)
    for _ in range(repeats):
        for i, fn in enumerate(fns):
            start = time.perf_counter()
            outs[i] = fn()
            times[i].append(time.perf_counter() - start)
    return [(float(np.median(t)), min(t), out) for t, out in zip(times, outs)]


def v0_for(n: int) -> np.ndarray:
    return np.random.default_rng(0).standard_normal(n).astype(np.float32)


def same_eigenvalues(ours, theirs, rel=1e-3) -> bool:
    theirs = np.asarray(theirs)
    return all(np.min(np.abs(theirs - l)) <= rel * abs(l) for l in ours)


def _status_mib(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field} in /proc/self/status (Linux only)")


def memory_child(variant: str) -> dict:
    """Run one 10-batch top-20 solve in this fresh process: the peak resident memory during the
    solve (VmHWM, reset just before it through /proc/self/clear_refs) minus the memory before
    (after a warm-up gradient pass common to both variants)."""
    players, loss, data = mog_nsgan(batches=10)
    game = NeuralGame(players, loss, data)
    game.vector_field()  # warm-up outside the window: one-time autograd/allocator start-up
    before = _status_mib("VmRSS")
    Path("/proc/self/clear_refs").write_text("5")  # reset the high-water mark to the current RSS
    if variant == "ours":
        values = top_eigenvalues(spectrum_operator(game), k=K).eigenvalues
    else:
        values, _ = baseline_eigs(players, loss, data, K, v0_for(game.param_count))
    return {"variant": variant, "extra_peak_mib": _status_mib("VmHWM") - before,
            "eigenvalues": [[float(np.real(l)), float(np.imag(l))] for l in values]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--memory-child", choices=["ours", "baseline"])
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    if args.memory_child:
        print(json.dumps(memory_child(args.memory_child)))
        return

    players, loss, data = mog_nsgan()
    game = NeuralGame(players, loss, data)
    n = game.param_count
    results = {"model": f"MoG NSGAN, {n} parameters, float32", "threads": args.threads,
               "repeats": args.repeats, "torch": torch.__version__}

    def base_top():
        return baseline_eigs(players, loss, data, K, v0_for(n))

    def ours_top():
        op = spectrum_operator(game)
        return top_eigenvalues(op, k=K)

    def ours_left():
        return leftmost_eigenvalues(spectrum_operator(game), k=1)

    (base_time, base_best, (base_values, base_products)), (ours_time, ours_best, ours), \
        (left_time, _, left) = interleaved(args.repeats, base_top, ours_top, ours_left)
    results["top20"] = {
        "baseline_s": base_time, "ours_s": ours_time, "speedup": base_time / ours_time,
        "baseline_best_s": base_best, "ours_best_s": ours_best, "speedup_best": base_best / ours_best,
        "baseline_products": base_products, "ours_products": ours.products,
        "same_eigenvalues_rel_1e-3": same_eigenvalues(ours.eigenvalues, base_values),
        "ours_max_residual": ours.max_residual, "largest_modulus": abs(ours.eigenvalues[0])}
    results["leftmost"] = {
        "ours_s": left_time, "ratio_to_top20": left_time / ours_time, "products": left.products,
        "eigenvalue": [left.eigenvalues[0].real, left.eigenvalues[0].imag],
        "residual": left.residuals[0], "converged": left.converged}

    start = game.omega()
    end = start + 0.05 * torch.randn(n, generator=torch.Generator().manual_seed(1))
    alphas = torch.linspace(-0.1, 1.1, 100).tolist()
    states = {name: game.state_dicts(omega) for name, omega in (("start", start), ("end", end))}
    plain = {name: {p: {k: v.clone() for k, v in d.items()} for p, d in s.items()}
             for name, s in states.items()}
    (base_pa_time, base_pa_best, base_cos), (pa_time, pa_best, pa), (vmap_time, _, _) = interleaved(
        args.repeats,
        lambda: baseline_path_angle(players, loss, data[0], plain["start"], plain["end"], alphas),
        lambda: path_angle(game, start, [end], points=100),
        lambda: path_angle(game, start, [end], points=100, chunk=8))
    results["path_angle"] = {
        "baseline_s": base_pa_time, "ours_s": pa_time, "speedup": base_pa_time / pa_time,
        "speedup_best": base_pa_best / pa_best,
        "ours_vmap8_s": vmap_time, "max_cosine_difference": float(np.max(np.abs(pa.cosine[0] - base_cos)))}

    memory = {}
    for variant in ("baseline", "ours"):
        out = subprocess.run([sys.executable, __file__, "--memory-child", variant,
                              "--threads", str(args.threads)], capture_output=True, text=True,
                             check=True)
        memory[variant] = json.loads(out.stdout)
    results["memory_10_batches"] = {
        "baseline_extra_peak_mib": memory["baseline"]["extra_peak_mib"],
        "ours_extra_peak_mib": memory["ours"]["extra_peak_mib"],
        "ratio": memory["ours"]["extra_peak_mib"] / memory["baseline"]["extra_peak_mib"],
        "same_eigenvalues_rel_1e-3": same_eigenvalues(
            [complex(*l) for l in memory["ours"]["eigenvalues"]],
            [complex(*l) for l in memory["baseline"]["eigenvalues"]])}

    if args.json:
        print(json.dumps(results, indent=2))
        return
    t, l, p, m = results["top20"], results["leftmost"], results["path_angle"], results["memory_10_batches"]
    print(f"{results['model']}, {args.threads} thread(s), medians of {args.repeats} interleaved rounds")
    print(f"top-20 LM      baseline {t['baseline_s']:.2f} s ({t['baseline_products']} products)  "
          f"ours {t['ours_s']:.2f} s ({t['ours_products']})  speedup {t['speedup']:.2f}x "
          f"(best-of {t['speedup_best']:.2f}x)  "
          f"same eigenvalues: {t['same_eigenvalues_rel_1e-3']}")
    print(f"leftmost (k=1) ours {l['ours_s']:.2f} s ({l['products']} products) = "
          f"{l['ratio_to_top20']:.2f}x top-20; l = {l['eigenvalue'][0]:.4g}{l['eigenvalue'][1]:+.4g}i, "
          f"residual {l['residual']:.2e}, converged {l['converged']}")
    print(f"path-angle 100 baseline {p['baseline_s']:.2f} s  ours {p['ours_s']:.2f} s  "
          f"speedup {p['speedup']:.2f}x (best-of {p['speedup_best']:.2f}x)  (vmap chunks of 8: {p['ours_vmap8_s']:.2f} s)  "
          f"max |cos diff| {p['max_cosine_difference']:.1e}")
    print(f"10 batches     extra peak memory baseline {m['baseline_extra_peak_mib']:.0f} MiB  "
          f"ours {m['ours_extra_peak_mib']:.0f} MiB  ratio {m['ratio']:.2f}")


if __name__ == "__main__":
    main()
