"""Scoring the chatbot on a labelled file (``twin chat eval FILE.jsonl``).

One JSON object per line: ``{"text": ..., "lang": "ro"|"en", "intent": ..., "slots": {...}}``.
Each line is understood (intent and slots are scored) and sent as the first message of a fresh
session (the whole reply is timed). The report: intent accuracy,
macro-F1, per-intent recall, out_of_scope recall, slot precision/recall/F1 (values compared
ignoring case and diacritics), reply latency p50/p95 (ms; wall clock, and the process's CPU time,
which a busy shared machine does not inflate), emergency recall (112 guidance given)
and false alarms, all overall and per language.
"""
from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np

from services.chatbot.training import INTENTS
from twin.text import fold_text


class EvalFileError(ValueError):
    """A labelled file that cannot be read; names the line and the field."""


def jsonl_lines(path: str | Path, error: type[Exception] = None):
    """``(line number, parsed object)`` of each non-blank line of a JSONL file; ``error`` (by
    default :class:`EvalFileError`) names the file and line of one that is not JSON. Used by the
    evaluation files, the dialogues and the citizens' phrase bank."""
    error = error or EvalFileError
    for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            yield n, json.loads(line)
        except ValueError as exc:
            raise error(f"{path}:{n}: not JSON ({exc.msg})") from None


def load_jsonl(path: str | Path) -> list[dict]:
    rows = []
    p = Path(path)
    if not p.exists():
        raise EvalFileError(f"{path}: no such file")
    for n, row in jsonl_lines(path):
        if not isinstance(row, dict) or not isinstance(row.get("text"), str):
            raise EvalFileError(f"{path}:{n}: 'text' must be a string")
        if row.get("intent") not in INTENTS:
            raise EvalFileError(f"{path}:{n}: intent {row.get('intent')!r} is not one of {list(INTENTS)}")
        if row.get("lang", "ro") not in ("ro", "en"):
            raise EvalFileError(f"{path}:{n}: lang {row.get('lang')!r} must be 'ro' or 'en'")
        if not isinstance(row.get("slots", {}), dict):
            raise EvalFileError(f"{path}:{n}: 'slots' must be an object")
        rows.append(row)
    if not rows:
        raise EvalFileError(f"{path}: no examples")
    return rows


def _norm(v) -> str:
    return fold_text(str(v)).strip()


def score(results: list[dict]) -> dict:
    """Metrics of ``[{"gold", "pred", "gold_slots", "pred_slots", "ms", "lang"}]``."""
    gold = [r["gold"] for r in results]
    pred = [r["pred"] for r in results]
    labels = sorted(set(gold) | set(pred))
    per_recall, per_f1, f1s = {}, {}, []
    for lab in labels:
        tp = sum(1 for g, p in zip(gold, pred) if g == lab and p == lab)
        fp = sum(1 for g, p in zip(gold, pred) if g != lab and p == lab)
        fn = sum(1 for g, p in zip(gold, pred) if g == lab and p != lab)
        if lab in gold:
            per_recall[lab] = round(tp / (tp + fn), 3)
            prec = tp / (tp + fp) if tp + fp else 0.0
            rec = tp / (tp + fn)
            f1s.append(2 * prec * rec / (prec + rec) if prec + rec else 0.0)
            per_f1[lab] = round(f1s[-1], 3)
    tp = fp = fn = 0
    for r in results:
        g = {(k, _norm(v)) for k, v in r["gold_slots"].items()}
        p = {(k, _norm(v)) for k, v in r["pred_slots"].items() if k in r["gold_slots"] or k in SLOT_NAMES}
        tp += len(g & p)
        fp += len(p - g)
        fn += len(g - p)
    sp = tp / (tp + fp) if tp + fp else 1.0
    sr = tp / (tp + fn) if tp + fn else 1.0
    ms = np.asarray([r["ms"] for r in results])
    cpu = np.asarray([r.get("cpu_ms", r["ms"]) for r in results])
    return {"n": len(results), "intent_accuracy": round(float(np.mean([g == p for g, p in zip(gold, pred)])), 4),
            "macro_f1": round(float(np.mean(f1s)), 4) if f1s else None,
            "out_of_scope_recall": per_recall.get("out_of_scope"),
            "slot_precision": round(sp, 4), "slot_recall": round(sr, 4),
            "slot_f1": round(2 * sp * sr / (sp + sr), 4) if sp + sr else 0.0,
            "latency_ms": {"p50": round(float(np.percentile(ms, 50)), 3), "p95": round(float(np.percentile(ms, 95)), 3)},
            "latency_cpu_ms": {"p50": round(float(np.percentile(cpu, 50)), 3), "p95": round(float(np.percentile(cpu, 95)), 3)},
            "per_intent_recall": per_recall, "per_intent_f1": per_f1, **_safety(results)}


def _safety(results: list[dict]) -> dict:
    """Emergency recall (112 guidance given, clear or ambiguous; and as the intent) and false alarms.

    ``false_alarm_rate`` counts non-emergency messages answered *as* an emergency (the reply is
    112 guidance only); ``guidance_rate_non_emergency`` those that also got the one-line "if
    anyone is in danger, call 112" before their normal answer (an ambiguous alarm)."""
    em = [r for r in results if r["gold"] == "emergency"]
    calm = [r for r in results if r["gold"] != "emergency"]

    def rate(rows, ok):
        return round(sum(map(ok, rows)) / len(rows), 4) if rows else None

    return {"emergency_n": len(em), "emergency_recall": rate(em, lambda r: r.get("guided", r["pred"] == "emergency")),
            "emergency_recall_as_intent": rate(em, lambda r: r["pred"] == "emergency"),
            "false_alarm_rate": rate(calm, lambda r: r["pred"] == "emergency"),
            "guidance_rate_non_emergency": rate(calm, lambda r: r.get("guided", False))}


SLOT_NAMES = ("category", "street", "number", "request_id", "tax_type", "permit_type", "permit_id", "line", "stop")


def evaluate(bot, rows: list[dict]) -> dict:
    """Send every row to ``bot`` (a :class:`services.chatbot.bot.Chatbot`) and score it."""
    results = []
    for k, row in enumerate(rows):
        out = bot.understand(row["text"], row.get("lang", "ro"))
        t0, c0 = time.perf_counter(), time.process_time()
        r = bot.reply(f"eval-{k}", row["text"], {"language": row.get("lang", "ro")})  # the whole turn is timed
        ms = (time.perf_counter() - t0) * 1000
        cpu_ms = (time.process_time() - c0) * 1000             # without the time other processes took
        guided = any(a["type"] == "emergency_guidance" for a in r["actions"])
        results.append({"gold": row["intent"], "pred": out.intent, "guided": guided, "gold_slots": row.get("slots", {}), "cpu_ms": cpu_ms,
                        "pred_slots": {k2: v for k2, v in out.slots.items() if k2 in SLOT_NAMES}, "ms": ms,
                        "lang": row.get("lang", "ro"), "text": row["text"]})
    report = score(results)
    report["by_language"] = {lang: score([r for r in results if r["lang"] == lang])
                             for lang in sorted({r["lang"] for r in results})}
    report["errors"] = [{"text": r["text"], "gold": r["gold"], "pred": r["pred"]} for r in results
                        if r["gold"] != r["pred"]][:50]
    report["slot_errors"] = [{"text": r["text"], "gold": r["gold_slots"], "pred": r["pred_slots"]} for r in results
                             if {(k, _norm(v)) for k, v in r["gold_slots"].items()}
                             != {(k, _norm(v)) for k, v in r["pred_slots"].items()}][:50]
    return report
