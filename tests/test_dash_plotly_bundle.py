"""The control room's own plotly.js bundle (``dash_app/assets``, built by
``scripts/plotly_bundle``): the same plotly.js version as the Python plotly package that writes
the figures, and every trace type the control room draws is in it (a trace type missing from
the bundle would draw nothing, silently)."""
from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BUNDLE = ROOT / "dash_app" / "assets" / "plotly-control-room.min.js"
ENTRY = ROOT / "scripts" / "plotly_bundle" / "entry.js"
#: Where the control room's figures are made: its pages, and the lab's comparison figures.
SOURCES = [*sorted((ROOT / "dash_app").rglob("*.py")), ROOT / "services" / "analytics" / "compare.py"]


def test_the_bundle_is_the_plotly_js_version_of_the_python_plotly_package():
    from plotly.offline import get_plotlyjs_version

    header = BUNDLE.read_text(encoding="utf-8")[:300]
    assert f"plotly.js v{get_plotlyjs_version()} " in header, header


def test_every_trace_type_the_control_room_draws_is_in_the_bundle():
    registered = ({"scatter"} | set(re.findall(r"require\('plotly\.js/lib/(\w+)'\)", ENTRY.read_text()))) - {"core"}
    used = {name.lower() for src in SOURCES for name in re.findall(r"\bgo\.([A-Z]\w*)\(", src.read_text())}
    used -= {"figure"}
    assert used and used <= registered, used - registered
    # and what the entry registers is what was built (the bundle knows each type's name)
    text = BUNDLE.read_text(encoding="utf-8")
    assert all(f'name:"{t}"' in text for t in registered), registered
