"""The accuracy-table, latent-ceiling, precision and profile benchmarks run end to end in quick
mode (smoke tests)."""

import json
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import SHARED_DATA

pytest.importorskip("matplotlib")
BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
TABLES = BENCHMARKS / "tables.py"
PROFILE = BENCHMARKS / "profile_m2.py"
PRECISION = BENCHMARKS / "precision.py"
LATENT = BENCHMARKS / "m1m2_latent.py"


def run_quick(script, tmp_path, *args):
    """Run ``script`` in quick mode on the shared MNIST, results into ``tmp_path``."""
    if not (SHARED_DATA / "mnist.npz").exists():
        pytest.skip("no ../shared/data/mnist.npz")
    result = subprocess.run(
        [sys.executable, str(script), "--quick", *args, "--data-home", str(SHARED_DATA),
         "--out", str(tmp_path)],
        capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]


def test_quick_mnist_table(tmp_path):
    run_quick(TABLES, tmp_path, "--dataset", "mnist")
    (json_path,) = tmp_path.glob("tables-mnist-*-quick.json")
    run = json.loads(json_path.read_text())
    methods = {row["method"] for row in run["rows"]}
    assert methods == {"pca_svm", "cnn", "label_spreading", "m1", "m2", "m2_cnnq", "m1m2"}
    for row in run["rows"]:
        # The chosen settings are the best on validation, and were scored on the test set.
        assert row["validation_accuracy"] == max(a for _, a in
                                                 row["validation_accuracy_by_params"])
        assert 0 <= row["test_accuracy"] <= 1
    assert json_path.with_suffix(".md").read_text().startswith("# mnist")
    assert json_path.with_suffix(".png").stat().st_size > 0
    assert {t["method"] for t in run["targets"]} == {"m2", "m2_cnnq", "m1m2"}
    (cnnq,) = [r for r in run["rows"] if r["method"] == "m2_cnnq"]
    assert run["runs"][cnnq["run"]]["plan"]["m2_cnnq"]["classifier_network"] == "cnn"


def test_quick_m1m2_latent_ceiling(tmp_path):
    run_quick(LATENT, tmp_path)
    (json_path,) = tmp_path.glob("m1m2_latent-*-quick.json")
    run = json.loads(json_path.read_text())
    assert 1 <= len(run["latent_dims_kept"]) <= 50
    # N labels, then every fitting row; each input and classifier, scored on validation rows.
    assert sorted({r["n_labelled"] for r in run["rows"]}) == [100, run["n_fit_rows"]]
    assert {r["input"] for r in run["rows"]} == {"z1 (kept dimensions)", "z1 (all dimensions)",
                                                 "pixels"}
    assert all(0 <= r["validation_accuracy"] <= 1 for r in run["rows"])
    assert json_path.with_suffix(".md").read_text().startswith("Machine:")


def test_quick_m2_profile(tmp_path):
    run_quick(PROFILE, tmp_path)
    (json_path,) = tmp_path.glob("profile_m2-*-quick.json")
    profile = json.loads(json_path.read_text())
    assert 0 < profile["matmul_seconds"] < profile["operators_self_seconds"]
    # Both are timings of a few steps (the epoch unprofiled, the ceiling from the profiled
    # matrix products), so only their presence is checked here, not their order.
    assert profile["naive_pct_of_matmul"] > 0 and profile["naive_pct_ceiling_matmul_only"] > 0


def test_quick_precision_comparison(tmp_path):
    run_quick(PRECISION, tmp_path, "--runs", "100:10:0")
    (json_path,) = tmp_path.glob("precision-*-quick.json")
    run = json.loads(json_path.read_text())
    assert [f["precision"] for f in run["fits"]] == ["float32", "bfloat16"]
    assert all(len(f["validation_accuracy"]) == run["epochs"] for f in run["fits"])
    (pair,) = run["summary"]["100"]["pairs"]
    assert pair["test_accuracy_difference"] == pytest.approx(
        run["fits"][1]["test_accuracy"] - run["fits"][0]["test_accuracy"])


def test_quick_table_later_draws_fit_draw_0_choice(tmp_path):
    run_quick(TABLES, tmp_path, "--methods", "m2", "--draws", "2", "--select-on-draw-0")
    (json_path,) = tmp_path.glob("tables-mnist-*-quick.json")
    first = json.loads(json_path.read_text())
    draw_0, draw_1 = sorted(first["rows"], key=lambda r: r["draw"])
    assert len(draw_0["validation_accuracy_by_params"]) == 2 and "chosen_on_draw" not in draw_0
    assert draw_1["chosen_on_draw"] == 0
    assert [p for p, _ in draw_1["validation_accuracy_by_params"]] == [draw_0["chosen_params"]]
    # Redoing draw 1 alone replaces its row and keeps draw 0's, which names the first run.
    run_quick(TABLES, tmp_path, "--methods", "m2", "--draws", "2", "--first-draw", "1",
              "--select-on-draw-0")
    second = json.loads(json_path.read_text())
    assert [(r["draw"], r["run"]) for r in second["rows"]] == [(0, 0), (1, 1)]
    assert second["rows"][1]["test_accuracy"] == draw_1["test_accuracy"]  # same seed, same fit
    assert second["summary"]["m2"]["100"]["draws"] == 2


def test_quick_table_with_a_grid_and_m1_settings_from_the_command_line(tmp_path):
    grid = [{"alpha": 1.0}, {"alpha": 1.0, "learning_rate": 2e-3, "n_labelled_per_batch": 32,
                             "max_epochs": 1}]
    run_quick(TABLES, tmp_path, "--methods", "m1m2", "--grid", "m1m2=" + json.dumps(grid),
              "--m1", json.dumps({"activation": "softplus"}))
    (json_path,) = tmp_path.glob("tables-mnist-*-quick.json")
    result = json.loads(json_path.read_text())
    (row,) = result["rows"]
    assert [p for p, _ in row["validation_accuracy_by_params"]] == grid
    assert row["chosen_params"] in grid
    assert result["runs"][0]["plan"]["vae"]["m1m2"]["activation"] == "softplus"
    runs_line = json_path.with_suffix(".md").read_text().split("Runs:")[1]
    assert "'activation': 'softplus'" in runs_line and "max_epochs overrides" in runs_line


def _tables():
    sys.path.insert(0, str(BENCHMARKS))
    import tables

    return tables


def _row(n, draw, run, alpha, **extra):
    return {"method": "m2", "n_labelled": n, "draw": draw, "run": run, "test_accuracy": 0.9,
            "chosen_params": {"alpha": alpha},
            "validation_accuracy_by_params": [[{"alpha": alpha}, 0.9]], **extra}


def test_the_table_text_names_the_cells_where_nothing_was_chosen():
    tables = _tables()
    searched = _row(100, 0, 0, 10.0, validation_accuracy_by_params=[[{}, 0.9], [{}, 0.8]])
    reused = _row(100, 1, 0, 10.0, validation_accuracy_by_params=[[{}, 0.9]],
                  chosen_on_draw=0)
    single = [{**_row(n, 0, 0, 10.0, validation_accuracy_by_params=[[{}, 0.9]]),
               "method": "m2_cnnq"} for n in (600, 100)]
    assert tables.single_settings([searched, reused]) == ""
    sentence = tables.single_settings([searched, reused, *single])
    assert sentence.endswith("M2, CNN q(y|x) (ours) at N=100, 600.")
    assert "M2 (ours)" not in sentence
    assert tables.reused_choices([searched, reused]).startswith(" For M2 (ours) at N=100, the")


def test_merge_redoing_draw_0_replaces_the_cell_and_a_later_draw_only_itself():
    tables = _tables()
    previous = {"runs": [{"n": 0}], "rows": [
        _row(100, 0, 0, 10.0), _row(100, 1, 0, 10.0, chosen_on_draw=0), _row(600, 0, 0, 10.0)]}
    # Draw 1 alone: draw 0 of N=100 and the N=600 cell are kept.
    runs, rows = tables.merge(previous, {"n": 1}, [_row(100, 1, None, 10.0, chosen_on_draw=0)])
    assert [(r["n_labelled"], r["draw"], r["run"]) for r in rows] == [
        (100, 0, 0), (600, 0, 0), (100, 1, 1)]
    # Draw 0 again: its old draw 1, which rested on the old choice, goes too.
    runs, rows = tables.merge(previous, {"n": 1}, [_row(100, 0, None, 100.0)])
    assert [(r["n_labelled"], r["draw"], r["run"]) for r in rows] == [(600, 0, 0), (100, 0, 1)]


def test_merge_redoing_draw_0_keeps_later_draws_fitted_alike_and_says_what_goes(capsys):
    tables = _tables()
    plan = {"grids": {"m2": [{"alpha": 1.0}]}, "epochs": {"m2": 50}, "m2": {},
            "n_validation": 5000, "n_fit_rows": None}
    previous = {"runs": [{"n": 0, "plan": plan}], "rows": [
        _row(100, 0, 0, 1.0), _row(100, 1, 0, 1.0), _row(100, 2, 0, 1.0)]}
    # Draws 1 and 2 made before draw 0 by a run with the same grid and settings stay.
    runs, rows = tables.merge(previous, {"n": 1, "plan": plan}, [_row(100, 0, None, 1.0)])
    assert [(r["draw"], runs[r["run"]]["n"]) for r in rows] == [(1, 0), (2, 0), (0, 1)]
    assert capsys.readouterr().out == ""
    # With another grid they go, and the run says so.
    other = {**plan, "grids": {"m2": [{"alpha": 10.0}]}}
    runs, rows = tables.merge(previous, {"n": 1, "plan": other}, [_row(100, 0, None, 10.0)])
    assert [(r["draw"], runs[r["run"]]["n"]) for r in rows] == [(0, 1)]
    out = capsys.readouterr().out
    assert "m2 at N=100, draw 1 is dropped" in out and "draw 2 is dropped" in out


def test_imported_cells_replace_their_cells_with_every_draw_and_its_run():
    tables = _tables()
    previous = {"runs": [{"n": 0}], "rows": [
        _row(100, 0, 0, 10.0), _row(100, 1, 0, 10.0), _row(600, 0, 0, 10.0)]}
    # A trial file: N=100 in two runs (draw 0, then draw 1), and a cell not imported.
    source = {"runs": [{"n": "a"}, {"n": "b"}, {"n": 0}], "rows": [
        _row(100, 0, 0, 1.0), _row(100, 1, 1, 1.0), _row(1000, 0, 2, 1.0)]}
    runs, rows = tables.import_cells(previous, [source], {("m2", 100)})
    assert [(r["n_labelled"], r["draw"], runs[r["run"]]["n"], r["chosen_params"]["alpha"])
            for r in rows] == [(600, 0, 0, 10.0), (100, 0, "a", 1.0), (100, 1, "b", 1.0)]
    assert runs == [{"n": 0}, {"n": "a"}, {"n": "b"}]
    # A run found in both files is listed once.
    runs, rows = tables.import_cells(previous, [source], {("m2", 1000)})
    assert runs == [{"n": 0}] and {r["run"] for r in rows} == {0}
    with pytest.raises(SystemExit, match="no file has a draw-0 row for m2 at N=600"):
        tables.import_cells(previous, [source], {("m2", 600)})


def _scored(n, draw, run, alpha, validation, test, **extra):
    return _row(n, draw, run, alpha, validation_accuracy=validation, test_accuracy=test,
                validation_accuracy_by_params=[[{"alpha": alpha}, validation]],
                all_candidates_seconds=10.0, **extra)


def test_a_row_in_several_files_is_chosen_on_validation_as_one_grid_would_choose_it():
    tables = _tables()
    plan = {"grids": {"m2": [{"alpha": 1.0}]}, "epochs": {"m2": 50}, "m2": {},
            "n_validation": 5000, "n_fit_rows": None}
    run_a, run_b = {"n": "a", "plan": plan}, {"n": "b", "plan": {
        **plan, "grids": {"m2": [{"alpha": 10.0}]}}}
    a = {"runs": [run_a], "rows": [_scored(100, 0, 0, 1.0, 0.95, 0.90),
                                   _scored(100, 1, 0, 1.0, 0.93, 0.91)]}
    # b wins draw 0 on validation though a's test score is better; a wins draw 1 on a tie.
    b = {"runs": [run_b], "rows": [_scored(100, 0, 0, 10.0, 0.96, 0.80),
                                   _scored(100, 1, 0, 10.0, 0.93, 0.99)]}
    runs, rows = tables.import_cells({"runs": [], "rows": []}, [a, b], {("m2", 100)})
    draw_0, draw_1 = rows
    assert (runs[draw_0["run"]], draw_0["test_accuracy"]) == (run_b, 0.80)
    assert (runs[draw_1["run"]], draw_1["test_accuracy"]) == (run_a, 0.91)
    assert draw_0["validation_accuracy_by_params"] == [[{"alpha": 1.0}, 0.95],
                                                       [{"alpha": 10.0}, 0.96]]
    assert [runs[i] for i in draw_0["candidate_runs"]] == [run_a]
    assert draw_0["all_candidates_seconds"] == 20.0
    # Two candidates: the table no longer calls the cell a grid of one setting, and the run
    # whose setting lost is named as such.
    assert tables.single_settings(rows) == ""
    assert tables.rows_of_run(rows, runs.index(run_a)) == (
        "its rows in the table: M2 (ours) at N=100 (draw 1). Its settings lost on validation "
        "to another run's (whose rows list them) in: M2 (ours) at N=100 (draw 0)")
    # Imported again beside a third run, whose candidate wins draw 0: the runs that lost
    # before stay named, the same run found in two files counts once, and the table's own
    # runs and rows outside the cell are kept.
    table = {"runs": runs + [{"n": 0}], "rows": [_row(600, 0, len(runs), 10.0)] + rows}
    run_c = {"n": "c", "plan": plan}
    c = {"runs": [run_c], "rows": [_scored(100, 0, 0, 3.0, 0.97, 0.85),
                                   _scored(100, 1, 0, 3.0, 0.90, 0.85)]}
    # (a's own rows come before the table's joined copies of them: the joined ones count.)
    runs, rows = tables.import_cells(table, [c, a, table], {("m2", 100)})
    by_draw = {r["draw"]: r for r in rows if r["n_labelled"] == 100}
    assert runs[by_draw[0]["run"]] == run_c
    assert {runs[i]["n"] for i in by_draw[0]["candidate_runs"]} == {"a", "b"}
    assert len(by_draw[0]["validation_accuracy_by_params"]) == 3
    assert [runs[r["run"]] for r in rows if r["n_labelled"] == 600] == [{"n": 0}]
    assert tables.rows_of_run(rows, runs.index(run_b)) == (
        "its settings lost on validation to another run's (whose rows list them) in: M2 (ours) "
        "at N=100 (draws 0, 1)")
    # Runs that fitted the method otherwise but for its grid are not one grid's candidates.
    b["runs"][0] = {**run_b, "plan": {**run_b["plan"], "epochs": {"m2": 20}}}
    with pytest.raises(SystemExit, match="N=100: its runs fitted it with another epochs"):
        tables.import_cells({"runs": [], "rows": []}, [a, b], {("m2", 100)})
    b["runs"][0] = run_b
    b["rows"][1]["chosen_on_draw"] = 0
    with pytest.raises(SystemExit, match="N=100: a row fitted draw 0's choice"):
        tables.import_cells({"runs": [], "rows": []}, [a, b], {("m2", 100)})
    # The same setting from two runs is not a grid of two.
    del b["rows"][1]["chosen_on_draw"]
    twin = {"runs": [{**run_b, "n": "twin"}], "rows": [dict(r) for r in b["rows"]]}
    with pytest.raises(SystemExit, match="a setting was fitted by more than one run"):
        tables.import_cells({"runs": [], "rows": []}, [b, twin], {("m2", 100)})
    # A draw that fewer runs made would have searched a smaller grid.
    del b["rows"][1]
    with pytest.raises(SystemExit, match="draws searched different settings"):
        tables.import_cells({"runs": [], "rows": []}, [a, b], {("m2", 100)})


def test_import_cells_takes_another_results_file_of_this_machine_only(tmp_path):
    tables = _tables()
    args = tables.parse_args(["--methods", "m2", "--n-labelled", "100", "--out",
                              str(tmp_path / "table"), "--import-cells", "x.json"])
    p, info = tables.plan(args), tables.machine()
    name = tables.results_file(args, info).name
    for source in [tmp_path / "other.json", tmp_path / "table" / name]:
        args.import_cells = [str(source)]
        with pytest.raises(SystemExit, match="is not another"):
            tables.import_main(args, p, info)
    trial = tmp_path / "trial" / name
    trial.parent.mkdir()
    run = {"command": "tables.py --out trial", "git_commit": "abc", "methods": ["m2"],
           "plan": json.loads(json.dumps(p)), "n_fit_rows": 1, "n_test_rows": 1,
           "wall_seconds": 1.0}
    recorded = {**info, "cpu": "the machine of the trial"}
    trial.write_text(json.dumps({"machine": recorded, "runs": [run],
                                 "rows": [_row(100, 0, 0, 1.0)]}))
    args.import_cells = [str(trial)]
    tables.import_main(args, p, info)
    table = json.loads((tmp_path / "table" / name).read_text())
    assert table["runs"] == [run] and table["summary"]["m2"]["100"]["draws"] == 1
    assert table["machine"] == recorded  # the trial's, not the importer's
    assert "`tables.py --out trial` at commit abc" in (
        tmp_path / "table" / name).with_suffix(".md").read_text()
    # With a second trial whose setting loses on validation, the table names that run too.
    trial.write_text(json.dumps({"machine": recorded, "runs": [run],
                                 "rows": [_scored(100, 0, 0, 1.0, 0.95, 0.90)]}))
    other = tmp_path / "other-trial" / name
    other.parent.mkdir()
    other.write_text(json.dumps({"machine": info, "runs": [{**run, "command": "other"}],
                                 "rows": [_scored(100, 0, 0, 10.0, 0.94, 0.99)]}))
    args.import_cells = [str(other), str(trial)]
    tables.import_main(args, p, info)
    text = (tmp_path / "table" / name).with_suffix(".md").read_text()
    assert "| M2 (ours) | 0.9000 ± 0.0000 (1) |" in text
    other_line = next(line for line in text.splitlines() if "`other` at commit abc" in line)
    assert other_line.endswith("test rows; its settings lost on validation to another run's "
                               "(whose rows list them) in: M2 (ours) at N=100 (draw 0).")
    assert "nothing was chosen" not in text
    args.import_cells = [str(trial), str(trial)]
    with pytest.raises(SystemExit, match="named twice"):
        tables.import_main(args, p, info)


def test_rewrite_writes_the_markdown_again_and_keeps_the_machine(tmp_path):
    tables = _tables()
    args = tables.parse_args(["--rewrite", "--out", str(tmp_path)])
    info = tables.machine()
    with pytest.raises(SystemExit, match="no results file"):
        tables.rewrite_main(args, info)
    path = tables.results_file(args, info)
    run = {"command": "tables.py", "git_commit": "abc", "methods": ["m2"],
           "plan": json.loads(json.dumps(tables.plan(args))), "n_fit_rows": 1,
           "n_test_rows": 1, "wall_seconds": 1.0}
    recorded = {**info, "cpu": "the machine of the run"}
    path.write_text(json.dumps({"machine": recorded, "runs": [run],
                                "rows": [_row(100, 0, 0, 1.0)]}))
    tables.rewrite_main(args, info)
    assert json.loads(path.read_text())["machine"] == recorded
    text = path.with_suffix(".md").read_text()
    assert "| M2 (ours) | 0.9000 ± 0.0000 (1) |" in text
    assert "nothing was chosen on their validation rows" in text
    assert "its rows in the table: M2 (ours) at N=100 (draw 0)." in text


def test_import_cells_needs_the_cells_named(capsys):
    with pytest.raises(SystemExit):
        _tables().parse_args(["--import-cells", "x.json", "--methods", "m2"])
    assert "name the cells" in capsys.readouterr().err


def test_a_draw_0_choice_fitted_with_other_settings_is_refused():
    tables = _tables()
    p = {"grids": {"m2": [{"alpha": 10.0}, {"alpha": 100.0}]}, "epochs": {"m2": 50},
         "m2": {"latent_dim": 50}, "n_validation": 5000, "n_fit_rows": None}
    searched = [[{"alpha": 10.0}, 0.8], [{"alpha": 100.0}, 0.9]]
    earlier = {"runs": [{"plan": {**p, "epochs": {"m2": 20}}}], "rows": [
        _row(100, 0, 0, 100.0, validation_accuracy_by_params=searched)]}
    with pytest.raises(SystemExit, match="another epochs"):
        tables.draw_0_choice([], earlier, p, "m2", 100)
    earlier["runs"][0]["plan"]["epochs"] = {"m2": 50}
    assert tables.draw_0_choice([], earlier, p, "m2", 100) == {"alpha": 100.0}
    with pytest.raises(SystemExit, match="no draw-0 row"):
        tables.draw_0_choice([], earlier, p, "m2", 600)
    # The grid is what draw 0 searched, which an import may have joined from several runs.
    searched.append([{"alpha": 1.0}, 0.7])
    with pytest.raises(SystemExit, match="another grid"):
        tables.draw_0_choice([], earlier, p, "m2", 100)
    p["grids"]["m2"].append({"alpha": 1.0})
    assert tables.draw_0_choice([], earlier, p, "m2", 100) == {"alpha": 100.0}


@pytest.mark.parametrize("argv, message", [
    (["--grid", "m2=[{alpha: 1}]"], "argument --grid: m2's grid is not JSON"),
    (["--grid", "m2={}"], "argument --grid: m2's grid must be a non-empty JSON list"),
    (["--m1", "{activation}"], "argument --m1: the value is not JSON"),
    (["--m1", "[1]"], "argument --m1: must be a JSON object of settings"),
])
def test_settings_that_are_not_json_are_refused_naming_the_option(argv, message, capsys):
    with pytest.raises(SystemExit):
        _tables().parse_args(argv)
    assert message in capsys.readouterr().err


def test_each_method_gets_its_vae_settings_and_equal_settings_share_one_fit(monkeypatch):
    import numpy as np

    tables, fits = _tables(), []

    class RecordingM1:
        def __init__(self, **settings):
            self.settings = settings

        def fit(self, X, y):
            fits.append(self.settings)
            return self

    monkeypatch.setattr(tables, "M1Classifier", RecordingM1)
    X, y = np.zeros((20, 4)), np.repeat(np.arange(10), 2)
    p = tables.plan(tables.parse_args(["--methods", "m1", "m1m2"]))
    vaes = tables.fit_vaes(p, X, y, 0, "cpu")
    assert vaes["m1"][0].settings["activation"] == "softplus"  # the dataset's vae_of
    assert "activation" not in vaes["m1m2"][0].settings
    assert vaes["m1m2"][0].settings["augment"] == "binarize"
    assert len(fits) == 2
    relu = ["--m1", '{"activation": "relu", "augment": "binarize"}']
    p = tables.plan(tables.parse_args(["--methods", "m1", "m1m2", *relu]))
    vaes = tables.fit_vaes(p, X, y, 0, "cpu")
    assert vaes["m1"][0] is vaes["m1m2"][0] and len(fits) == 3
    assert vaes["m1"][0].settings["max_epochs"] == 50  # MNIST's m1 epochs
    longer = ["--m1", '{"max_epochs": 300}', "--epochs", "7"]
    p = tables.plan(tables.parse_args(["--methods", "m1m2", *longer]))
    assert tables.fit_vaes(p, X, y, 0, "cpu")["m1m2"][0].settings["max_epochs"] == 300


def test_a_draw_0_choice_from_a_plan_with_one_vae_for_both_methods():
    # Results files written before VAE settings were per method hold one, "m1", for both.
    tables = _tables()
    p = tables.plan(tables.parse_args(["--methods", "m1", "m1m2"]))
    old = {**p, "m1": p["vae"]["m1m2"]}
    del old["vae"]
    rows = [{**_row(100, 0, 0, None), "method": m, "chosen_params": {"C": 1.0},
             "validation_accuracy_by_params": [[params, 0.9] for params in p["grids"][m]]}
            for m in ("m1", "m1m2")]
    earlier = {"runs": [{"plan": json.loads(json.dumps(old))}], "rows": rows}
    # The old VAE was m1m2's: what m1m2 still fits, not m1's softplus VAE.
    assert tables.draw_0_choice([], earlier, p, "m1m2", 100) == {"C": 1.0}
    with pytest.raises(SystemExit, match="another settings"):
        tables.draw_0_choice([], earlier, p, "m1", 100)


def test_the_recorded_command_gives_back_its_arguments():
    sys.path.insert(0, str(BENCHMARKS))
    from _common import command_line

    argv = ["--m1", '{"activation": "softplus"}', "--grid", "m2=[{\"alpha\": 1}]"]
    assert shlex.split(command_line(argv))[2:] == argv
    assert shlex.split(command_line([]))[2:] == []


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_a_run_is_dirty_for_code_changes_not_for_results_files(tmp_path):
    sys.path.insert(0, str(BENCHMARKS))
    from _machine import git_commit

    def git(*args):
        subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *args],
                       cwd=tmp_path, check=True, capture_output=True)

    (tmp_path / "benchmarks" / "results").mkdir(parents=True)
    (tmp_path / "benchmarks" / "tables.py").write_text("code\n")
    (tmp_path / "benchmarks" / "results" / "table.md").write_text("rows\n")
    git("init", "-q")
    git("add", ".")
    git("commit", "-q", "-m", "start")
    commit = git_commit(tmp_path)
    assert len(commit) == 40
    (tmp_path / "benchmarks" / "results" / "table.md").write_text("more rows\n")
    assert git_commit(tmp_path) == commit
    (tmp_path / "benchmarks" / "tables.py").write_text("changed code\n")
    assert git_commit(tmp_path) == commit + "+dirty"


def test_outside_git_the_commit_is_the_one_the_sender_names(tmp_path, monkeypatch):
    sys.path.insert(0, str(BENCHMARKS))
    from _machine import git_commit

    monkeypatch.delenv("BENCHMARK_GIT_COMMIT", raising=False)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))  # no repository above
    assert git_commit(tmp_path) is None
    monkeypatch.setenv("BENCHMARK_GIT_COMMIT", "abc+dirty")
    assert git_commit(tmp_path) == "abc+dirty"


def test_machine_description_names_the_cpu_instructions_where_recorded():
    sys.path.insert(0, str(BENCHMARKS))
    from _machine import describe

    old = {"cpu": "AMD EPYC", "cpu_cores": 2, "gpu": None, "torch": "2.13.0+cpu"}
    assert describe(old) == "AMD EPYC, 2 cores, torch 2.13.0+cpu"
    new = {**old, "cpu_capability": "AVX2", "cpu_native_bfloat16": False}
    assert describe(new) == ("AMD EPYC, 2 cores (CPU: AVX2, no native CPU bfloat16), "
                             "torch 2.13.0+cpu")
    tables = _tables()
    assert tables.on_machine({"command": "..."}) == ""
    assert tables.on_machine({"machine": new}) == f" on {describe(new)}"


def test_a_method_not_set_up_for_the_dataset_is_refused(capsys):
    tables = _tables()
    with pytest.raises(SystemExit):
        tables.parse_args(["--dataset", "cifar10", "--methods", "m1m2"])
    assert "m1m2: not set up for cifar10" in capsys.readouterr().err


def test_quick_and_epochs_replace_a_default_grids_epochs_but_not_the_command_lines():
    tables = _tables()
    full = tables.plan(tables.parse_args(["--methods", "m1m2"]))["grids"]["m1m2"]
    assert any(point.get("max_epochs") == 300 for point in full)
    without_epochs = [{k: v for k, v in point.items() if k != "max_epochs"} for point in full]
    for flag in (["--quick"], ["--epochs", "3"]):
        grid = tables.plan(tables.parse_args(["--methods", "m1m2", *flag]))["grids"]["m1m2"]
        assert all("max_epochs" not in point for point in grid)
        # Each setting once, in the grid's order: 300 epochs at alpha 0.1 on all dimensions
        # is then the 100-epoch setting already there.
        assert grid == [point for i, point in enumerate(without_epochs)
                        if point not in without_epochs[:i]]
    given = tables.plan(tables.parse_args(
        ["--methods", "m1m2", "--quick", "--grid", 'm1m2=[{"alpha": 1, "max_epochs": 5}]']))
    assert given["grids"]["m1m2"] == [{"alpha": 1, "max_epochs": 5}]


def test_a_dataset_grid_replaces_the_method_grid_and_the_command_line_replaces_both():
    tables = _tables()
    cifar = tables.plan(tables.parse_args(["--dataset", "cifar10", "--methods", "m2_cnnq", "cnn"]))
    assert cifar["grids"]["m2_cnnq"] == [{"alpha": 10.0}]
    assert cifar["grids"]["cnn"] == tables.GRIDS["cnn"]  # no CIFAR-10 grid of its own
    mnist = tables.plan(tables.parse_args(["--methods", "m2_cnnq"]))
    assert mnist["grids"]["m2_cnnq"] == tables.GRIDS["m2_cnnq"]
    given = tables.plan(tables.parse_args(
        ["--dataset", "cifar10", "--methods", "m2_cnnq", "--grid", 'm2_cnnq=[{"alpha": 1}]']))
    assert given["grids"]["m2_cnnq"] == [{"alpha": 1}]
