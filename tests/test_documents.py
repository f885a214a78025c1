"""The JSON contract: every ``--json`` document keeps the keys it has today (docs/design.md: a key
is added, never renamed or removed), its builder never mutates its inputs, and the CLI prints
exactly what the builder returns."""
import copy
import json

import pytest
import sympy as sp

from gametheory import Game, Player, classify_game, resolve_game
from gametheory.dynamics.convergence import analyse_report
from gametheory.dynamics.regions import report_regions
from gametheory.dynamics.requests import build_method, simulate_request
from gametheory.render.documents import (STEPSIZE_KEYS, classify_document, json_text, simulation_document,
                                         stepsize_document)
from support.cli_checks import run

CLASSIFY_KEYS = {"game", "description", "source", "params", "players", "constants", "zero_sum", "vector_field",
                 "jacobian", "search", "stationary_points"}
POINT_KEYS = {"point", "point_float", "exact", "stationary", "residual", "jacobian", "characteristic_polynomial",
              "eigenvalues", "eigenvalues_exact", "stability", "stability_method", "stability_reason", "tolerance",
              "lssp", "dne", "nash", "nash_method", "nash_players", "rotation", "max_step_size",
              "max_step_size_exact", "max_step_size_method", "binding_eigenvalue", "step_size_reason"}
SEARCH_KEYS = {"method", "complete", "notes", "residual_bounds", "curves", "given_up", "rejected"}
PLAYER_KEYS = {"name", "params", "loss"}
NASH_PLAYER_KEYS = {"player", "hessian", "meaning", "positive", "negative", "zero"}
REGION_KEYS = {"name", "variables", "condition", "conditions", "set", "interval", "exact", "note"}
FAMILY_KEYS = {"family", "free", "solution"}
STEP_ANALYSIS_KEYS = {"method", "method_parameters", "stable_interval", "stable_intervals", "stable_intervals_exact",
                      "stable_interval_method", "stable_interval_reason", "optimal_step_size",
                      "optimal_spectral_radius"}
SIMULATION_KEYS = {"game", "target", "runs"}
RUN_KEYS = {"method", "verdict", "reason", "rate", "steps", "time", "start", "end", "final_field_norm"}
NON_FINITE_KEYS = {"note", "count", "first"}
EIGEN_KEYS = {"which", "k", "eigenvalues", "residuals", "converged", "method", "products", "shift", "notes", "seed",
              "transform", "resolution"}
NEURAL_CLASSIFY_KEYS = {"grad_norm", "lssp", "lssp_certified", "leftmost_eigenvalue", "dne", "player_min_eigenvalues",
                        "max_rotation_ratio", "stationary", "grad_tol", "stable_linearisation",
                        "stability_certified", "stability_certificate", "leftmost_residual", "dne_certified",
                        "players", "max_imag", "top", "leftmost", "notes", "target"}
CERTIFICATE_KEYS = {"kind", "verdict", "reason", "of"}
NEURAL_PLAYER_KEYS = {"name", "min_eigenvalue", "max_eigenvalue", "residual", "verdict", "certified", "certificate"}
PATH_ANGLE_KEYS = {"alphas", "ends", "clip", "cosine", "path_norm", "grad_norms", "losses", "at"}
ANALYSIS_KEYS = {"run", "at", "at_detail", "start_iteration", "end_iteration", "end_iterations", "score", "selection",
                 "minimisation", "param_count", "param_counts", "grad_norm", "grad_norms", "losses", "stationary", "lssp",
                 "lssp_certified", "stable_linearisation", "stability_certified", "leftmost_eigenvalue",
                 "leftmost_residual", "players", "dne", "dne_certified", "rotation", "eigenvalues", "classification",
                 "hessians", "path_angle", "timeline", "config", "commands", "versions", "timings", "files",
                 "notes"}
ROTATION_KEYS = {"max_rotation_ratio", "max_imag", "share_imag_over_real", "eigenvalues"}
SUMMARY_KEYS = {"median", "q25", "q75"}

x, y = sp.symbols("x y", real=True)


def has(document: dict, keys: set) -> None:
    assert keys <= set(document), f"missing keys: {sorted(keys - set(document))}"


def cli_json(*args) -> dict:
    result = run(*args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_classify_document_keys_and_the_cli_prints_it():
    report = classify_game(resolve_game("example1"))
    document = classify_document(report)
    has(document, CLASSIFY_KEYS)
    has(document["search"], SEARCH_KEYS)
    has(document["players"][0], PLAYER_KEYS)
    point = next(p for p in document["stationary_points"] if p["point"] == {"theta1": "1", "theta2": "1", "phi": "0"})
    has(point, POINT_KEYS)
    has(point["nash_players"][0], NASH_PLAYER_KEYS)
    assert point["stability"] == "LSSP" and point["max_step_size"] == pytest.approx(0.0751787, rel=1e-5)
    assert json.loads(json_text(document)) == cli_json("classify", "example1")


def test_classify_document_with_regions_leaves_the_regions_alone():
    game = resolve_game("dirac-gan-r1")
    report = classify_game(game)
    regions = report_regions(report, game, {}, ["lssp", "simgd:h=1/2"])
    kept = copy.copy(regions[0])
    document = classify_document(report, regions)
    region = document["stationary_points"][0]["region"]
    has(region["lssp"], REGION_KEYS)
    assert region["lssp"]["condition"] == "0 < gamma" and region["simgd:h=1/2"]["interval"] == [[0.125, 4.0625]]
    has(document["stationary_points"][0], POINT_KEYS)
    assert regions[0] == kept and "region" not in classify_document(report)["stationary_points"][0]


def test_stepsize_document_lemma4_keys_and_no_mutation():
    report = classify_game(resolve_game("example2"))
    method = build_method("simgd")
    analyses = analyse_report(report, method)
    kept = list(analyses)
    document = stepsize_document(report, method, analyses)
    assert analyses == kept and stepsize_document(report, method, analyses) == document
    assert set(document) == {"game", "stationary_points"} and document["game"] == "example2"
    by_phi = {p["point"]["phi"]: p for p in document["stationary_points"]}
    has(by_phi["-1"], set(STEPSIZE_KEYS) | STEP_ANALYSIS_KEYS)
    assert by_phi["-1"]["max_step_size"] == 1.0 and by_phi["-1"]["binding_eigenvalue"][0] == 0.25
    assert by_phi["-1"]["stable_interval"] == [0.0, 1.0] and by_phi["-1"]["method"] == "simgd"
    assert by_phi["1"]["stable_interval"] is None and by_phi["1"]["optimal_step_size"] is None
    assert json.loads(json_text(document)) == cli_json("stepsize", "example2")


def test_stepsize_document_of_another_method_takes_its_stable_interval():
    report = classify_game(resolve_game("bilinear"))
    method = build_method("eg")
    (point,) = stepsize_document(report, method, analyse_report(report, method))["stationary_points"]
    assert point["max_step_size"] == 1.0 == point["stable_interval"][1] and point["max_step_size_exact"] == "1"
    assert point["binding_eigenvalue"] is None and point["step_size_reason"] == point["stable_interval_reason"]
    assert point["method"] == "eg"


def test_a_family_entry_is_kept_whole():
    report = classify_game(Game(Player("P", (x,), (x + y) ** 2 / 2), Player("Q", (y,), (x + y) ** 2 / 2)))
    assert report.points == () and len(report.families) == 1
    method = build_method("simgd")
    (family,) = stepsize_document(report, method, analyse_report(report, method))["stationary_points"]
    assert set(family) == FAMILY_KEYS and family["solution"] == {"x": "-y"}
    assert classify_document(report)["stationary_points"] == [family]


def test_simulation_document_keys():
    game = resolve_game("bilinear")
    done = simulate_request(game, {}, "altgd", "0.5", steps=800, start=["theta=1", "phi=0.5"], beta="-0.5")
    document = simulation_document(done.game.name, done.game.params, list(done.runs), done.target)
    has(document, SIMULATION_KEYS)
    (only,) = document["runs"]
    has(only, RUN_KEYS)
    assert document["target"] == {"theta": 0.0, "phi": 0.0} and only["start"] == {"theta": 1.0, "phi": 0.5}
    assert only["verdict"] == "converged" and only["rate"] == pytest.approx(0.9625, abs=1e-3)
    assert simulation_document("g", (x,), [], None) == {"game": "g", "target": None, "runs": []}


def test_json_text_lists_non_finite_numbers_without_touching_the_document():
    document = {"a": [1.0, float("inf")], "b": {"c": float("nan")}}
    text = json_text(document)
    assert document["a"][1] == float("inf") and "non_finite" not in document
    parsed = json.loads(text)
    assert parsed["a"] == [1.0, None] and parsed["b"] == {"c": None}
    has(parsed["non_finite"], NON_FINITE_KEYS)
    assert parsed["non_finite"]["count"] == 2 and parsed["non_finite"]["first"] == ["$.a[1]: inf", "$.b.c: nan"]
    assert "non_finite" not in json.loads(json_text({"a": 1.0}))


def test_neural_documents_keys():
    torch = pytest.importorskip("torch")
    from neural.analysis.classify import classify_state
    from neural.analysis.eigen import top_eigenvalues
    from neural.analysis.path_angle import path_angle
    from neural.render.documents import classification_document, eigen_document, path_angle_document
    from neural.targets import block_operator, path_request, resolve_target

    target = resolve_target("example1", ["theta1=1", "theta2=1", "phi=0"], device="cpu")
    eigen = eigen_document(top_eigenvalues(block_operator(target.game, "G"), k=2), target.label, "G")
    has(eigen, EIGEN_KEYS | {"target", "block", "at"})
    assert sorted(e[0] for e in eigen["eigenvalues"]) == pytest.approx([-1.0, 2.0], abs=1e-12)
    assert eigen["block"] == "G" and eigen["target"] == target.label
    assert eigen["world_size"] == 1  # one process; N under torchrun (tests/test_neural_ddp.py)

    report = classify_state(target.game)
    classified = classification_document(report, target.label)
    assert list(classified)[:7] == ["grad_norm", "lssp", "lssp_certified", "leftmost_eigenvalue", "dne",
                                    "player_min_eigenvalues", "max_rotation_ratio"]
    has(classified, NEURAL_CLASSIFY_KEYS | {"at"})
    has(classified["stability_certificate"], CERTIFICATE_KEYS)
    has(classified["players"][0], NEURAL_PLAYER_KEYS)
    has(classified["top"], EIGEN_KEYS)
    assert classified["lssp"] is True and classified["dne"] is False and "target" not in report.to_dict()
    assert classified["world_size"] == 1

    states = path_request("theta=2,phi=1", ["theta=0.02,phi=-0.01"], "rotation", device="cpu", dtype="float64")
    assert states.start.dtype == torch.float64 and states.clip == {}
    angle = path_angle_document(path_angle(states.game, states.start, states.ends, a=0.0, b=2.0, points=5))
    has(angle, PATH_ANGLE_KEYS)
    has(angle["cosine"], SUMMARY_KEYS | {"per_end"})
    assert angle["ends"] == 1 and angle["alphas"] == [0.0, 0.5, 1.0, 1.5, 2.0]
    assert angle["world_size"] == 1


def test_neural_analysis_document_keys(tmp_path):
    pytest.importorskip("torch")
    from neural.analysis.report import STEPS, analyze_run
    from neural.render.report import FILES, RENDER_STEPS, write_analysis
    from neural.training.presets import resolve_config
    from neural.training.trainer import start_run

    config = resolve_config("mog", "mog-nsgan-eg", mog_samples=200, batch_size=200, log_every=5, checkpoint_every=5,
                            sample_every=1000, latent_dim=4, width=8, iterations=10)
    start_run(config, tmp_path, "cpu").run()
    report = analyze_run(tmp_path, end_points=2, k=4, points=5)
    kept = copy.deepcopy(report.to_dict())
    document = write_analysis(report, tmp_path / "analysis")
    assert report.to_dict().keys() == kept.keys()
    has(document, ANALYSIS_KEYS)
    has(document["rotation"], ROTATION_KEYS)
    has(document["players"][0], NEURAL_PLAYER_KEYS | {"top_eigenvalues"})
    has(document["classification"], NEURAL_CLASSIFY_KEYS - {"target"})
    has(document["path_angle"], PATH_ANGLE_KEYS - {"at"})
    assert list(document["timings"]) == [*STEPS, *RENDER_STEPS] and sorted(document["files"]) == sorted(FILES)
    assert document["at"] == "iterate" and document["minimisation"] is False and document["timeline"] is None
    assert document["world_size"] == 1
    assert json.loads((tmp_path / "analysis" / "report.json").read_text()) == json.loads(json_text(document))
