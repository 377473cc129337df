"""Scoring whole conversations (``twin chat eval --dialogues FILE.jsonl``).

One message right is not one citizen helped: a pothole report needs a street the citizen forgot,
a payment needs a "yes", a status check a number. A *dialogue* file scripts such conversations,
one JSON object per line::

    {"id": "pothole-1", "lang": "ro",
     "turns": ["vreau sa raportez o groapa", "pe strada Lunga 5", "da"],
     "goal": {"action": "file_request", "category": "pothole", "street": "Strada Lungă"}}

``turns`` are the citizen's messages, fixed (they do not adapt to the replies); ``goal`` is what
should happen, one of:

====================================================  ===========================================
goal                                                  met by the action
====================================================  ===========================================
``{"action": "file_request", "category", "street"}``  an Open311 request of that category's
                                                      service on that street
``{"action": "pay_tax", "tax_type"}``                 a payment of that tax
``{"action": "request_status", "request_id"}``        a status look-up of that request (found or not)
``{"action": "permit_verify", "permit_id"}``          a permit check of that id
``{"action": "transport_schedule", "line"|"stop"}``   departures of that line / from that stop
``{"action": "handoff"}``                             a place in the operators' queue
``{"action": "emergency"}``                           112 guidance
``{"action": "none"}``                                nothing filed, applied for or paid
====================================================  ===========================================

A dialogue **succeeds** when its goal is met and no *wrong action* happened: a filing, a permit
application or a payment the goal did not ask for (or with other arguments). The report: task
success rate, turns needed (the turn at which the goal was first met), wrong actions, handoffs
and 112 guidance, overall, per language and per goal.
"""
from __future__ import annotations

from pathlib import Path

from services.chatbot.evaluate import EvalFileError, jsonl_lines
from twin.text import fold, street_key

GOALS = {"file_request": ("category", "street"), "pay_tax": ("tax_type",), "request_status": ("request_id",),
         "permit_verify": ("permit_id",), "transport_schedule": (), "handoff": (), "emergency": (), "none": ()}
CHANGES = ("open311_request", "tax_payment", "permit_application")       # actions that change something


def load_dialogues(path: str | Path) -> list[dict]:
    """The dialogues of a JSONL file; :class:`EvalFileError` names the line and field of a bad one."""
    p = Path(path)
    if not p.exists():
        raise EvalFileError(f"{path}: no such file")
    rows = []
    for n, row in jsonl_lines(path):
        if not isinstance(row, dict):
            raise EvalFileError(f"{path}:{n}: a dialogue must be a JSON object")
        turns = row.get("turns")
        if not isinstance(turns, list) or not turns or not all(isinstance(t, str) for t in turns):
            raise EvalFileError(f"{path}:{n}: 'turns' must be a non-empty list of strings")
        if row.get("lang", "ro") not in ("ro", "en"):
            raise EvalFileError(f"{path}:{n}: lang {row.get('lang')!r} must be 'ro' or 'en'")
        goal = row.get("goal")
        if not isinstance(goal, dict) or goal.get("action") not in GOALS:
            raise EvalFileError(f"{path}:{n}: goal.action {goal.get('action') if isinstance(goal, dict) else goal!r} "
                                f"is not one of {list(GOALS)}")
        for k in GOALS[goal["action"]]:
            if not isinstance(goal.get(k), str) or not goal[k]:
                raise EvalFileError(f"{path}:{n}: goal.{k} is required for {goal['action']}")
        if goal["action"] == "transport_schedule" and not (goal.get("line") or goal.get("stop")):
            raise EvalFileError(f"{path}:{n}: goal.line or goal.stop is required for transport_schedule")
        rows.append({"id": str(row.get("id", n)), "lang": row.get("lang", "ro"), "turns": turns, "goal": goal})
    if not rows:
        raise EvalFileError(f"{path}: no dialogues")
    return rows


def _same_id(a, b) -> bool:
    return fold(str(a or "")) == fold(str(b or ""))


def meets(goal: dict, action: dict) -> bool:
    """Whether ``action`` (one of a reply's actions) is what ``goal`` asked for."""
    from services.chatbot.bot import CATEGORY_SERVICE

    kind, t = goal["action"], action.get("type")
    if kind == "file_request":
        return t == "open311_request" and action.get("service_code") == CATEGORY_SERVICE.get(goal["category"]) \
            and street_key(action.get("street") or "") == street_key(goal["street"])
    if kind == "pay_tax":
        return t == "tax_payment" and action.get("tax_type") == goal["tax_type"]
    if kind == "request_status":
        return (t == "request_status" or (t == "error" and action.get("intent") == "request_status")) \
            and _same_id(action.get("service_request_id") or action.get("request_id"), goal["request_id"])
    if kind == "permit_verify":
        return (t == "permit_verification" or (t == "error" and action.get("intent") == "permit_verify")) \
            and _same_id(action.get("permit_id"), goal["permit_id"])
    if kind == "transport_schedule":
        if t == "journey":                  # a planned itinerary: boarding at the stop, on the line
            rides = {g.get("route") for j in action.get("journeys", [])[:1] + action.get("journeys", [])[-1:]
                     for g in j.get("legs", []) if g.get("kind") == "ride"}
            return (not goal.get("line") or _same_id(action.get("line"), goal["line"]) or
                    any(_same_id(r, goal["line"]) for r in rides)) and \
                (not goal.get("stop") or fold(action.get("stop") or "") == fold(goal["stop"]))
        if t != "departures":
            return False
        return (not goal.get("line") or _same_id(action.get("line"), goal["line"])
                or any(_same_id(d.get("route"), goal["line"]) for d in action.get("departures", []))) and \
            (not goal.get("stop") or fold(action.get("stop") or "") == fold(goal["stop"]))
    if kind == "handoff":
        return t == "handoff"
    if kind == "emergency":
        return t == "emergency_guidance"
    return False


def run_dialogue(bot, d: dict, session: str) -> dict:
    """Play one dialogue against ``bot``; what happened, turn by turn."""
    goal, met_at, wrong, guided, handoffs = d["goal"], None, [], False, 0
    for k, text in enumerate(d["turns"], 1):
        r = bot.reply(session, text, {"language": d["lang"]})
        for a in r["actions"]:
            guided |= a["type"] == "emergency_guidance"
            handoffs += a["type"] == "handoff"
            if meets(goal, a):
                met_at = met_at or k
            elif a["type"] in CHANGES:
                wrong.append(a["type"])
        if any(a["type"] == "handoff" for a in r["actions"]):
            bot.release_operator()                      # an operator takes the call; the queue stays short
    if goal["action"] == "none":
        met_at = len(d["turns"]) if not wrong else None
    return {"id": d["id"], "lang": d["lang"], "goal": goal["action"], "success": met_at is not None and not wrong,
            "met_at": met_at, "turns": len(d["turns"]), "wrong_actions": wrong, "handoffs": handoffs,
            "guided": guided}


def _summary(rs: list[dict]) -> dict:
    ok = [r for r in rs if r["success"]]
    return {"n": len(rs), "task_success": round(len(ok) / len(rs), 4) if rs else None,
            "turns_needed_mean": round(sum(r["met_at"] for r in ok) / len(ok), 2) if ok else None,
            "turns_scripted_mean": round(sum(r["turns"] for r in rs) / len(rs), 2) if rs else None,
            "wrong_actions": sum(len(r["wrong_actions"]) for r in rs),
            "dialogues_with_wrong_actions": sum(bool(r["wrong_actions"]) for r in rs),
            "handoffs": sum(r["handoffs"] for r in rs)}


def evaluate_dialogues(bot, rows: list[dict]) -> dict:
    """Play every dialogue in a fresh session and score them (see the module docstring)."""
    results = [run_dialogue(bot, d, f"dialogue-{k}-{d['id']}") for k, d in enumerate(rows)]
    report = _summary(results)
    report["by_language"] = {lang: _summary([r for r in results if r["lang"] == lang])
                             for lang in sorted({r["lang"] for r in results})}
    report["by_goal"] = {g: _summary([r for r in results if r["goal"] == g])
                         for g in sorted({r["goal"] for r in results})}
    report["failures"] = [{k: r[k] for k in ("id", "goal", "met_at", "wrong_actions")}
                          for r in results if not r["success"]][:50]
    return report
