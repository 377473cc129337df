"""The adoption funnel of a run, from its event log: stages, conversions, drop-outs, the inclusion gap.

:mod:`agents.adoption` publishes, at the start and after every simulated day, one aggregated
``adoption_state`` row per (service family, persona, district): how many citizens are *now* in
each stage (``n_unaware`` … ``n_dropped``) and how many ever *reached* each stage
(``reached_unaware`` … ``reached_using``); plus ``adoption_changed`` (a citizen started using a
service or dropped out, with the reason and the days since they became aware) and
``support_contact`` (with its wait). From these, :func:`funnel_kpis` gives:

* ``adoption_using_share`` / ``adoption_using_share_start`` — share of citizen × service pairs in
  use at the end / at the start; ``adoption_aware_share`` — share no longer unaware;
* ``inclusion_gap`` — the using share of everybody else minus that of the elderly with low digital
  skills and people with disabilities (``_start`` at the start): smaller is fairer;
* ``adoption_new_users``, ``adoption_dropouts``, ``time_to_adopt_days_median`` (from becoming
  aware during the run to using);
* ``support_contacts``, ``support_wait_h_mean``, ``support_gave_up``;
* tables ``funnel_by_persona.<persona>.<…>`` (stage shares and the conversion into each stage:
  ``conv_considering`` = reached considering / reached aware …), ``funnel_by_family``,
  ``adoption_by_district`` and ``adoption_drop_reasons``.

:func:`funnel_table` gives the funnel per persona for tables and charts, and :func:`funnel_figure`
a plotly funnel chart (one trace per persona) for the HTML report and the control room.
"""
from __future__ import annotations

import json

STAGES = ("unaware", "aware", "considering", "onboarding", "using", "dropped")
LADDER = ("aware", "considering", "onboarding", "using")
VULNERABLE = ("elderly_low_digital", "disability")


def _rows(con, day_sql: str) -> list[dict]:
    rows = con.execute(f"""SELECT payload FROM ev WHERE kind = 'adoption_state'
                           AND (payload->>'day')::INT = ({day_sql})""").fetchall()
    return [json.loads(r[0]) for r in rows]


def _sum(rows, key, where=lambda r: True) -> float:
    return float(sum(r.get(key) or 0 for r in rows if where(r)))


def _total(rows, where=lambda r: True) -> float:
    return sum(_sum(rows, f"n_{s}", where) for s in STAGES)


def _share(num: float, den: float):
    return round(num / den, 4) if den else None


def _persona_row(rows, where) -> dict:
    tot = _total(rows, where)
    out = {f"{s}_share": _share(_sum(rows, f"n_{s}", where), tot) for s in STAGES}
    prev = tot
    for s in LADDER:
        r = _sum(rows, f"reached_{s}", where)
        out[f"conv_{s}"] = _share(r, prev)
        prev = r
    return out


def funnel_kpis(con) -> dict:
    """The funnel KPIs of the log in table ``ev`` (see the module docstring); empty values when
    the run had no adoption funnel."""
    last = _rows(con, "SELECT max((payload->>'day')::INT) FROM ev WHERE kind = 'adoption_state'")
    first = _rows(con, "SELECT min((payload->>'day')::INT) FROM ev WHERE kind = 'adoption_state'")
    out: dict = {}

    def using(rows, where=lambda r: True):
        return _share(_sum(rows, "n_using", where), _total(rows, where))

    vul = lambda r: r["persona"] in VULNERABLE      # noqa: E731
    oth = lambda r: r["persona"] not in VULNERABLE  # noqa: E731

    def gap(rows):
        a, b = using(rows, oth), using(rows, vul)
        return None if a is None or b is None else round(a - b, 4)

    out["adoption_using_share"] = using(last)
    out["adoption_using_share_start"] = using(first)
    out["adoption_aware_share"] = _share(_total(last) - _sum(last, "n_unaware"), _total(last))
    out["inclusion_gap"] = gap(last)
    out["inclusion_gap_start"] = gap(first)
    ch = con.execute("""SELECT count(*) FILTER (WHERE payload->>'stage' = 'using'),
                               count(*) FILTER (WHERE payload->>'stage' = 'dropped'),
                               median((payload->>'days_since_aware')::DOUBLE) FILTER (WHERE payload->>'stage' = 'using')
                        FROM ev WHERE kind = 'adoption_changed'""").fetchall()[0]
    out.update(adoption_new_users=ch[0], adoption_dropouts=ch[1],
               time_to_adopt_days_median=None if ch[2] is None else round(float(ch[2]), 3))
    sc = con.execute("""SELECT count(*), avg((payload->>'wait_h')::DOUBLE),
                               count(*) FILTER (WHERE payload->>'outcome' = 'gave_up')
                        FROM ev WHERE kind = 'support_contact'""").fetchall()[0]
    out.update(support_contacts=sc[0], support_wait_h_mean=None if sc[1] is None else round(float(sc[1]), 3),
               support_gave_up=sc[2])
    personas = sorted({r["persona"] for r in last})
    out["funnel_by_persona"] = {p: _persona_row(last, lambda r, p=p: r["persona"] == p) for p in personas}
    out["funnel_by_family"] = {f: {"using_share": using(last, lambda r, f=f: r["family"] == f),
                                   "using_share_start": using(first, lambda r, f=f: r["family"] == f)}
                               for f in sorted({r["family"] for r in last})}
    out["adoption_by_district"] = {}
    for d in sorted({r["district"] for r in last}):
        w = lambda r, d=d: r["district"] == d          # noqa: E731
        tot = _total(last, w)
        out["adoption_by_district"][d] = {"aware_share": _share(tot - _sum(last, "n_unaware", w), tot),
                                          "using_share": using(last, w)}
    out["adoption_drop_reasons"] = {r: n for r, n in con.execute(
        """SELECT payload->>'reason', count(*) FROM ev WHERE kind = 'adoption_changed'
           AND payload->>'stage' = 'dropped' GROUP BY 1 ORDER BY 1""").fetchall()}
    return out


def funnel_table(kpis: dict) -> list[dict]:
    """Rows ``{persona, <stage>_share …, conv_<stage> …}`` of a run's ``run_kpis`` result, for
    tables (persona ``all`` last is left to the caller)."""
    return [{"persona": p} | row for p, row in (kpis.get("funnel_by_persona") or {}).items()]


def funnel_figure(kpis: dict, title: str = "Adoption funnel by persona"):
    """A plotly funnel: per persona, the share of citizen × service pairs that ever reached each
    stage (aware, considering, onboarding, using), from the conversions of :func:`funnel_kpis`."""
    import plotly.graph_objects as go

    fig = go.Figure()
    for p, row in (kpis.get("funnel_by_persona") or {}).items():
        reached, y = 1.0, []
        for s in LADDER:
            c = row.get(f"conv_{s}")
            reached = reached * (c or 0.0)
            y.append(round(100 * reached, 1))
        fig.add_trace(go.Funnel(name=p.replace("_", " "), y=list(LADDER), x=y, textinfo="value",
                                texttemplate="%{x:.1f} %"))
    fig.update_layout(title=title, margin=dict(l=90, r=20, t=50, b=30), height=420,
                      legend=dict(orientation="h"))
    return fig


def mean_funnel(kpis_list: list[dict]) -> dict:
    """``funnel_by_persona`` averaged over replications (a value missing in one is left out)."""
    out: dict = {}
    for k in kpis_list:
        for p, row in (k.get("funnel_by_persona") or {}).items():
            for name, v in row.items():
                if v is not None:
                    out.setdefault(p, {}).setdefault(name, []).append(v)
    return {p: {n: round(sum(v) / len(v), 4) for n, v in row.items()} for p, row in out.items()}


def funnel_table_html(funnel_a: dict, funnel_b: dict | None = None) -> str:
    """The funnel per persona as an HTML table: the share of citizen × service pairs in each stage
    (``A → B`` when two sides are given)."""
    import html as _h

    def cell(p, s):
        a = (funnel_a.get(p) or {}).get(f"{s}_share")
        b = (funnel_b or {}).get(p, {}).get(f"{s}_share") if funnel_b else None
        fa = "–" if a is None else f"{100 * a:.1f} %"
        return fa if funnel_b is None else f"{fa} → {'–' if b is None else f'{100 * b:.1f} %'}"

    personas = sorted(set(funnel_a) | set(funnel_b or {}))
    head = "".join(f"<th>{s}</th>" for s in STAGES)
    body = "".join(f"<tr><td>{_h.escape(p.replace('_', ' '))}</td>" + "".join(f"<td>{cell(p, s)}</td>" for s in STAGES)
                   + "</tr>" for p in personas)
    return f"<table border=1 cellpadding=4><tr><th>persona</th>{head}</tr>{body}</table>"
