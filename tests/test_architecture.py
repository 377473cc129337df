"""The layers hold by contract, and the map of them in docs/architecture.md is current."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LINT = Path(sys.executable).parent / "lint-imports"
PACKAGES = ("twin", "twin_app", "agents", "sensors", "services", "ledger", "scenarios", "dash_app")


def _lint(cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(LINT), "--no-cache"], cwd=cwd, capture_output=True, text=True, timeout=120)


def test_the_layer_contracts_hold():
    out = _lint(ROOT)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "0 broken" in out.stdout
    # every top-level package is covered by the layers contract
    cfg = (ROOT / "pyproject.toml").read_text()
    for p in PACKAGES:
        assert f'"{p}' in cfg.split("[tool.importlinter]", 1)[1], p


def _copy_sources(dst: Path) -> None:
    for p in PACKAGES:
        shutil.copytree(ROOT / p, dst / p, ignore=lambda d, names: [
            n for n in names if not (n.endswith(".py") or (Path(d) / n).is_dir()) or n == "__pycache__"])
    shutil.copy(ROOT / "pyproject.toml", dst / "pyproject.toml")


def test_a_core_module_importing_a_higher_layer_breaks_the_contract(tmp_path):
    _copy_sources(tmp_path)
    assert _lint(tmp_path).returncode == 0             # the copy is analysed, not the installed tree
    (tmp_path / "twin" / "engine_extra.py").write_text("def f():\n    from services.hall import CityHall\n")
    out = _lint(tmp_path)
    assert out.returncode == 1
    assert "twin is not allowed to import services" in out.stdout
    assert "twin.engine_extra -> services.hall" in out.stdout


def test_the_city_hall_may_not_import_the_chatbot(tmp_path):
    _copy_sources(tmp_path)
    hall = tmp_path / "services" / "hall.py"
    hall.write_text(hall.read_text() + "\n\ndef _x():\n    import services.chatbot.bot\n")
    out = _lint(tmp_path)
    assert out.returncode == 1 and "services.hall -> services.chatbot.bot" in out.stdout


def test_the_architecture_picture_is_drawn_from_the_current_code():
    out = subprocess.run([sys.executable, str(ROOT / "scripts" / "architecture.py"), "--check"],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
