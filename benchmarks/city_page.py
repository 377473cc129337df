"""How fast the City page draws and refreshes, measured in the browser (issue 18).

What it does, step by step:

1. **A live twin** of ``--city`` with ``--scale`` (or ``--population``) citizens is built and
   fast-forwarded to ``--hour`` (08:00), then runs at ``--speed`` simulated seconds per second,
   as ``twin dash`` would run it.
2. **The control room** is served by waitress (the server ``twin dash`` uses) on a free port, and
   the ground picture is painted once beforehand (as the first visit after ``twin dash`` started
   would have).
3. **Headless chromium** (Debian's, with the flags dash's test browser uses: ``--disable-gpu``,
   so WebGL is drawn in software) gets, before the page's own scripts, a small script
   (``Page.addScriptToEvaluateOnNewDocument``) that hooks the map's ``plotly_afterplot`` event
   and records, in the page's own clock (``performance.now()``, milliseconds from the start of
   the navigation — Navigation Timing), when the page's layout was in (``#city-clock``), and
   each time the map finished drawing with the moving citizens in it.
4. **First render** = the first such draw, with the citizens' sample, the density grid, the
   districts and every layer (``first_render_ms``); ``ground_loaded_ms``: when the ground picture
   (fetched once from ``/_ground/``, a layer beneath the plot) had loaded; ``map_complete_ms``:
   the later of the two. Also ``page_ms`` (layout in), ``plotly_ready_ms`` and the first
   payloads' sizes (``_dash-layout``, the page callback's answer, the picture).
5. **Refresh** over ``--seconds`` after that: ``map_draws_per_s``, draws of a new frame (a new
   snapshot of the twin: the frame number the 1 Hz patches put in ``layout.meta``) per second,
   ``draw_gap_ms`` between them and ``seconds_without_a_new_frame``; ``responses_per_s``, the
   frame answers received (resource timings) with their median time and size;
   ``clock_values_per_s``, changes of the clock's text (a ``MutationObserver``), and
   ``clock_steps_s``, simulated seconds from one value shown to the next (``{"1": 10}`` at 1×
   is every second shown once); ``plotly_react_ms_median``, plotly's time per figure handed to
   it; ``main_thread_busy_share``, the share of the window the page's main thread spent in
   tasks over 50 ms (Long Tasks API); ``browser_cpu_s_per_s`` and ``browser_cpu_s_per_frame``,
   the CPU seconds chromium's processes used (:func:`browser_cpu_s`), which do not grow with
   the load: what a frame costs a quiet machine.

Run it on a quiet machine if you can, and say the load average (printed) when you quote it::

    .venv/bin/python benchmarks/city_page.py --city ../shared/data/osm/brasov_all_highways.osm.bz2 --scale 1

Not a pytest-benchmark: a browser's first render has no in-process baseline to pair with; the
script prints what it measured, with the machine's load, as JSON.
"""
from __future__ import annotations

import argparse
import json
import os
import threading
import time
from pathlib import Path

#: Installed into every new document before its scripts: records page-clock times of the page's
#: layout, of each change of the clock's text, of the ground picture's load and of each map draw
#: (with how many citizens it showed and which frame: the 1 Hz patches set ``layout.meta``).
PROBE = """
window.__city = {page: null, plotly: null, ground: null, draws: [], clock: [], react: [], busy: []};
try {
  new PerformanceObserver(l => l.getEntries().forEach(e => window.__city.busy.push([e.startTime, e.duration])))
    .observe({type: 'longtask', buffered: true});
} catch (e) {}
(function watch() {
  const m = window.__city;
  if (window.Plotly && !window.Plotly.__probed) {         // how long plotly takes for each figure it is handed
    const P = window.Plotly, react = P.react;
    P.__probed = true;
    P.react = function () {
      const t = performance.now(), out = react.apply(this, arguments);
      m.react.push([t, performance.now() - t]);
      return out;
    };
  }
  const c = document.querySelector('#city-clock');
  if (c && !c.__probed) {
    c.__probed = true;
    if (m.page === null) m.page = performance.now();
    new MutationObserver(() => m.clock.push({t: performance.now(), text: c.textContent}))
      .observe(c, {childList: true, characterData: true, subtree: true});
  }
  if (m.plotly === null && window.Plotly) m.plotly = performance.now();
  const g = document.querySelector('#city-map .city-ground img');      // the ground picture, loaded
  if (g && !g.__probed && g.getAttribute('src')) {
    g.__probed = true;
    if (g.complete && g.naturalWidth) m.ground = performance.now();
    else g.addEventListener('load', () => { if (m.ground === null) m.ground = performance.now(); });
  }
  const el = document.querySelector('#city-map .js-plotly-plot');
  if (el && el.on && !el.__probed) {
    el.__probed = true;
    el.on('plotly_afterplot', () => {
      const t = (el._fullData || []).find(d => d.name === 'citizens on the move');
      const img = document.querySelector('#city-map .city-ground img');
      const meta = (el.layout || {}).meta || {};
      m.draws.push({t: performance.now(), n: t ? t._length : 0, traces: (el._fullData || []).length,
                    image: !!img, frame: meta.frame === undefined ? null : meta.frame,
                    sim: meta.sim_s === undefined ? null : meta.sim_s,
                    clock: (document.querySelector('#city-clock') || {}).textContent});
    });
  }
  requestAnimationFrame(watch);
})();
"""


def browser():
    """Headless chromium as dash's test browser starts it (software WebGL: ``--disable-gpu``)."""
    from selenium import webdriver

    o = webdriver.ChromeOptions()
    for arg in ("--headless", "--disable-dev-shm-usage", "--no-sandbox", "--disable-gpu", "--window-size=1400,1000"):
        o.add_argument(arg)
    o.set_capability("goog:loggingPrefs", {"browser": "SEVERE"})
    return webdriver.Chrome(options=o)


def browser_cpu_s(drv) -> float:
    """CPU seconds (user + system) used so far by the browser ``drv`` drives: every process under
    its chromedriver (the browser, its renderer, and the GPU process that draws WebGL in software).
    Unlike the page's own timings, this does not grow with the machine's load: the CPU a frame
    costs, which a quiet machine must find once a second."""
    import psutil

    total = 0.0
    for proc in psutil.Process(drv.service.process.pid).children(recursive=True):
        try:
            t = proc.cpu_times()
            total += t.user + t.system
        except psutil.Error:                            # a process that ended meanwhile
            pass
    return total


def measure(url: str, seconds: float, drv=None, timeout: float = 120.0) -> dict:
    """Open ``url`` (the City page) in ``drv`` (chromium; a fresh one of :func:`browser` when
    ``None``) and measure as the module docstring says; the dict printed under ``"runs"``."""
    own = drv is None
    drv = drv or browser()
    try:
        drv.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": PROBE})
        drv.get(url)
        deadline, first = time.time() + timeout, None
        while time.time() < deadline and first is None:
            draws = drv.execute_script("return window.__city.draws")
            first = next((d for d in draws if d["n"] > 0), None)
            time.sleep(0.05)
        if first is None:
            raise RuntimeError(f"the map drew no citizens within {timeout:.0f} s")
        page_ms, plotly_ms = drv.execute_script("return [window.__city.page, window.__city.plotly]")
        nav = drv.execute_script("const n = performance.getEntriesByType('navigation')[0];"
                                 "return {response_end: n.responseEnd, dom_loaded: n.domContentLoadedEventEnd};")
        drv.execute_script("performance.setResourceTimingBufferSize(100000);")
        deadline = time.time() + 30                      # the ground picture, fetched once
        while time.time() < deadline and drv.execute_script("return window.__city.ground") is None:
            time.sleep(0.05)
        ground_ms = drv.execute_script("return window.__city.ground")
        sizes = drv.execute_script(
            "return performance.getEntriesByType('resource').filter(e => (e.name.includes('_dash-') && !e.name.includes('component-suites')) "
            "|| e.name.includes('plotly') || e.name.includes('_ground')).slice(0, 12).map(e => [e.name.split('/').pop(), "
            "e.encodedBodySize, Math.round(e.responseEnd)])")
        cpu0 = browser_cpu_s(drv)
        t0 = drv.execute_script("return performance.now()")
        time.sleep(seconds)
        t1 = drv.execute_script("return performance.now()")
        cpu1 = browser_cpu_s(drv)
        draws = [d for d in drv.execute_script("return window.__city.draws") if t0 <= d["t"] <= t1]
        clock = [c for c in drv.execute_script("return window.__city.clock") if t0 <= c["t"] <= t1]
        react = sorted(d for t, d in drv.execute_script("return window.__city.react") if t0 <= t <= t1)
        busy = sum(d for t, d in drv.execute_script("return window.__city.busy") if t0 <= t <= t1)
        ticks = drv.execute_script(
            "return performance.getEntriesByType('resource').filter(e => e.name.includes('_dash-update-component')"
            " && e.responseEnd >= arguments[0] && e.responseEnd <= arguments[1]).map(e => [e.duration, e.encodedBodySize])",
            t0, t1)
        span = (t1 - t0) / 1000
        severe = [x for x in drv.get_log("browser") if x.get("level") == "SEVERE"]
        return {"page_ms": round(page_ms or -1), "plotly_ready_ms": round(plotly_ms or -1),
                "first_render_ms": round(first["t"]), "ground_loaded_ms": None if ground_ms is None else round(ground_ms),
                "map_complete_ms": round(max(first["t"], ground_ms or 0)), "points": first["n"],
                "image_drawn": ground_ms is not None, "response_end_ms": round(nav["response_end"]),
                "dom_loaded_ms": round(nav["dom_loaded"]), "first_payloads": sizes,
                "window_s": round(span, 1), **refresh(draws, clock, ticks, span, t0),
                "plotly_react_ms_median": round(react[len(react) // 2]) if react else None,
                "browser_cpu_s_per_s": round((cpu1 - cpu0) / span, 2),
                "browser_cpu_s_per_frame": round((cpu1 - cpu0) / max(1, len({d["frame"] for d in draws})), 2),
                "main_thread_busy_share": round(busy / (t1 - t0), 2),
                "console_errors": len(severe)}
    finally:
        if own:
            drv.quit()


def refresh(draws: list[dict], clock: list[dict], ticks: list, span: float, t0: float) -> dict:
    """The refresh figures of a window of ``span`` seconds from page time ``t0``: map draws of a
    new frame (each a new snapshot of the twin) per second and the gaps between them; the
    seconds of the window in which no new frame was drawn; the server's answers per second, their
    median time and size; the clock's changes per second and its steps (simulated seconds from
    one value shown to the next: ``{"1": 9}`` is nine one-second steps)."""
    from collections import Counter
    from datetime import datetime

    seen, new = set(), []
    for d in draws:
        key = d["frame"] if d["frame"] is not None else d["clock"]
        if key not in seen:
            seen.add(key)
            new.append(d["t"])
    gaps = sorted(b - a for a, b in zip(new, new[1:]))
    empty = sum(1 for k in range(int(span)) if not any(t0 + k * 1000 <= t < t0 + (k + 1) * 1000 for t in new))

    def when(text):
        try:
            return datetime.strptime(" ".join(text.split()[:5]), "%a %d %b %Y %H:%M:%S")
        except (ValueError, AttributeError):
            return None

    times = [when(c["text"]) for c in clock]
    steps = Counter(str(round((b - a).total_seconds())) for a, b in zip(times, times[1:]) if a and b)
    pct = lambda xs, q: round(xs[min(len(xs) - 1, int(q * len(xs)))]) if xs else None    # noqa: E731
    return {"map_draws_per_s": round(len(new) / span, 2), "draw_gap_ms": {"median": pct(gaps, 0.5),
                                                                           "p95": pct(gaps, 0.95),
                                                                           "max": pct(gaps, 1.0)},
            "seconds_without_a_new_frame": empty,
            "responses_per_s": round(len(ticks) / span, 2),
            "response_ms_median": pct(sorted(x[0] for x in ticks), 0.5),
            "response_bytes_median": pct(sorted(x[1] for x in ticks), 0.5),
            "clock_values_per_s": round(len(clock) / span, 2), "clock_steps_s": dict(sorted(steps.items()))}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--city", default="demo")
    ap.add_argument("--scale", type=float, default=None, help="share of the city's population (1 = 1:1)")
    ap.add_argument("--population", type=int, default=None)
    ap.add_argument("--hour", type=float, default=8.0, help="local time to fast-forward to (default 08:00)")
    ap.add_argument("--speed", type=float, default=1.0, help="simulated seconds per second afterwards")
    ap.add_argument("--seconds", type=float, default=10.0, help="how long to count refreshes")
    ap.add_argument("--repeat", type=int, default=1, help="first renders measured (fresh browser each)")
    ap.add_argument("--runs", default=None, help="runs folder (default: a temporary one)")
    args = ap.parse_args(argv)

    import tempfile

    from dash_app.app import Context, create_app, wsgi_server
    from dash_app.live import LiveTwin
    from dash_app.pages.city import figure
    from scenarios import load_scenario
    from twin.city import load_city

    t = time.perf_counter()
    city = load_city(args.city)
    kw = {"scale": args.scale} if args.scale is not None else {"population": args.population}
    live = LiveTwin(load_scenario("baseline", hours=1, city=args.city, **kw), city=city, speed=args.speed)
    built = time.perf_counter() - t
    t = time.perf_counter()
    live.jump_to(args.hour)
    jumped = time.perf_counter() - t
    live.start()
    figure(live, live.snapshot())                  # the ground painted once, as after the first visit
    runs = Path(args.runs or tempfile.mkdtemp(prefix="city-page-runs-"))
    ctx = Context(runs, live=live, city=args.city)
    server = wsgi_server(create_app(ctx), "127.0.0.1", 0)
    th = threading.Thread(target=server.run, daemon=True)
    th.start()
    url = f"http://127.0.0.1:{server.effective_port}/"
    try:
        results = [measure(url, args.seconds) for _ in range(args.repeat)]
        snap = live.snapshot()
    finally:
        server.close()
        ctx.close()
    print(json.dumps({"city": city.name, "population": snap["population"],
                      "moving": snap["moving_total"], "build_s": round(built, 1),
                      "jump_s": round(jumped, 1), "loadavg": [round(x, 2) for x in os.getloadavg()],
                      "runs": results}, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
