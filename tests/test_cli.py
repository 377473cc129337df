"""The ``twin`` command as a script would use it: JSON summary, exit codes, clear errors."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def twin(*args, cwd=None):
    env = dict(os.environ)
    return subprocess.run([sys.executable, "-m", "twin_app", *args], capture_output=True, text=True,
                          cwd=cwd or ROOT, env=env, timeout=600)


def test_run_json_summary_is_the_last_line(tmp_path):
    r = twin("run", "--city", "demo", "--population", "300", "--hours", "24", "--seed", "3",
             "--out", str(tmp_path / "run"), "--json")
    assert r.returncode == 0, r.stderr
    summary = json.loads(r.stdout.strip().splitlines()[-1])
    assert {"events", "agents", "sim_hours", "wall_s", "run_dir", "kpis"} <= set(summary)
    assert summary["agents"] == 300 and summary["sim_hours"] == 24
    assert summary["kpis"]["mobility"]["trips_completed"] > 0
    assert (tmp_path / "run" / "events.parquet").exists() and (tmp_path / "run" / "kpis.json").exists()


def test_run_text_summary_credits_its_data(tmp_path):
    r = twin("run", "--population", "150", "--hours", "8", "--out", str(tmp_path / "r"), "--no-progress")
    assert r.returncode == 0, r.stderr
    assert "trips:" in r.stdout and "Valea Verde" in r.stdout and "Synthetic" in r.stdout


@pytest.mark.parametrize("args, code, message", [
    (["run", "--city", "nowhere/missing.osm.pbf"], 2, "city file not found: nowhere/missing.osm.pbf"),
    (["run", "--population", "-5"], 2, "--population must be >= 0, got -5"),
    (["run", "--scale", "0"], 2, "--scale must be > 0, got 0"),
    (["run", "--hours", "abc"], 2, "--hours must be a number, got 'abc'"),
    (["run", "no_such_scenario"], 2, "unknown scenario 'no_such_scenario'; the library has: "),
    (["run", "--population", "5", "--scale", "1"], 2, "not allowed with argument"),
    (["city", "info", "--city", "x.graphml"], 2, "city file not found: x.graphml"),
])
def test_bad_input_gives_clear_errors_and_exit_codes(args, code, message, tmp_path):
    r = twin(*args, "--out", str(tmp_path / "o")) if args[0] == "run" else twin(*args)
    assert r.returncode == code
    assert message in r.stderr
    assert "Traceback" not in r.stderr


def test_bad_scenario_file_names_the_field_and_value(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: bad\npopulation: -12\nhours: 5\ncolour: blue\n")
    r = twin("run", str(bad), "--out", str(tmp_path / "o"))
    assert r.returncode == 2
    assert "population: -12" in r.stderr and "colour: 'blue'" in r.stderr and "Traceback" not in r.stderr


def test_out_must_not_clobber_a_foreign_folder(tmp_path):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "thesis.txt").write_text("precious")
    r = twin("run", "--population", "10", "--hours", "1", "--out", str(tmp_path / "mine"))
    assert r.returncode == 2 and "not a run directory" in r.stderr
    assert (tmp_path / "mine" / "thesis.txt").read_text() == "precious"


def test_city_info_json():
    r = twin("city", "info", "--city", "demo", "--json")
    assert r.returncode == 0, r.stderr
    info = json.loads(r.stdout)
    assert info["nodes"] > 500 and info["edges"] > info["nodes"]
    assert info["poi_counts"]["hospital"] >= 1 and len(info["bbox"]) == 4 and "load_s" in info


def test_scenarios_lists_the_library():
    r = twin("scenarios")
    assert r.returncode == 0 and "baseline" in r.stdout


@pytest.mark.brasov
@pytest.mark.slow          # a whole Brașov day through the CLI (~22 s); Brașov runs stay in the default run
                           # (test_agents, test_plausibility, test_study, the chatbot's phrase-bank run)
def test_brasov_run_24h(tmp_path, brasov_drive_path):
    r = twin("run", "--city", str(brasov_drive_path), "--hours", "24", "--scale", "0.005",
             "--out", str(tmp_path / "bv"), "--json")
    assert r.returncode == 0, r.stderr
    s = json.loads(r.stdout.strip().splitlines()[-1])
    assert s["city"] == "Brașov" and s["agents"] == round(253_200 * 0.005)
    m = s["kpis"]["mobility"]
    assert m["trips_completed"] > 3000 and m["trips_unreachable"] == 0
    assert "© OpenStreetMap contributors" in s["kpis"]["attribution"]


def test_missing_kernel_fails_with_build_instructions(tmp_path):
    code = ("import sys; sys.modules['twin._movement'] = None; from twin_app.cli import main; "
            f"sys.exit(main(['run', '--population', '5', '--hours', '1', '--out', {str(tmp_path / 'o')!r}]))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert r.returncode == 3
    assert "twin._movement is not built" in r.stderr and "pip install -e ." in r.stderr
    assert "Traceback" not in r.stderr


def test_help_documents_force_allow_large_debug_and_exit_codes():
    r = twin("run", "--help")
    assert r.returncode == 0 and "--force" in r.stdout and "--allow-large" in r.stdout
    r = twin("--help")
    assert r.returncode == 0 and "--debug" in r.stdout
    assert "exit codes: 0 ok, 1 internal error, 2 bad input, 3 kernels not built" in " ".join(r.stdout.split())
