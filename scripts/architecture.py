"""Draw the layers of SmartCity Twin from the code: ``python scripts/architecture.py [--check]``.

The picture in ``docs/architecture.md`` is not drawn by hand. This script builds the import
graph of the project's packages with grimp (the library import-linter checks the contracts
with), collapses it to one node per package (``services.chatbot``, ``services.analytics`` and
``services.server`` apart from the rest of ``services``; ``twin_app.cli`` apart from the rest
of ``twin_app``),
and writes it as a Mermaid flowchart between the markers in ``docs/architecture.md``.
``--check`` writes nothing and exits 1 when the document is out of date (a test runs it).
"""
from __future__ import annotations

import sys
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "architecture.md"
PACKAGES = ("twin", "agents", "sensors", "ledger", "services", "scenarios", "twin_app", "dash_app")
# drawn as boxes of their own (the rest of a package is one box)
GROUPS = {"services.chatbot": "services.chatbot", "services.analytics": "services.analytics",
          "services.server": "services.server", "twin_app.cli": "twin_app.cli",
          "twin_app.__main__": "twin_app.cli"}
LABELS = {
    "twin": "twin<br/>core: city, kernels, engine, event log",
    "agents": "agents<br/>population, trips, demand, incidents",
    "sensors": "sensors<br/>devices, SenML, MQTT bridge",
    "ledger": "ledger<br/>Vyper contracts, receipts",
    "services": "services<br/>city hall, Open311, crews, dispatch",
    "services.chatbot": "services.chatbot<br/>bilingual assistant",
    "services.analytics": "services.analytics<br/>KPIs, comparisons",
    "services.server": "services.server<br/>the HTTP app of twin serve",
    "scenarios": "scenarios<br/>schema and library",
    "twin_app": "twin_app<br/>build and run a twin (composition root)",
    "dash_app": "dash_app<br/>control room",
    "twin_app.cli": "twin_app.cli<br/>the twin command",
}
START, END = "<!-- graph:start (scripts/architecture.py writes this) -->", "<!-- graph:end -->"


def group(module: str) -> str:
    """The box a module is drawn in."""
    for prefix, box in GROUPS.items():
        if module == prefix or module.startswith(prefix + "."):
            return box
    return module.split(".")[0]


def edges() -> list[tuple[str, str]]:
    """Package-level imports (importer, imported), sorted; lazy imports inside functions count."""
    sys.path.insert(0, str(ROOT))
    graph = grimp.build_graph(*PACKAGES, cache_dir=None)
    found = set()
    for module in graph.modules:
        for imported in graph.find_modules_directly_imported_by(module):
            a, b = group(module), group(imported)
            if a != b:
                found.add((a, b))
    return sorted(found)


def mermaid() -> str:
    ids = {name: name.replace(".", "_") for name in LABELS}
    lines = ["```mermaid", "flowchart BT"]
    lines += [f'  {ids[n]}["{label}"]' for n, label in LABELS.items()]
    lines += [f"  {ids[a]} --> {ids[b]}" for a, b in edges()]
    lines.append("```")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    text = DOC.read_text(encoding="utf-8")
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    new = f"{head}{START}\n{mermaid()}\n{END}{tail}"
    if "--check" in argv:
        if new != text:
            print("docs/architecture.md is out of date: run python scripts/architecture.py", file=sys.stderr)
            return 1
        return 0
    DOC.write_text(new, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
