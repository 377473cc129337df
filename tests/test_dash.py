"""The control room in a real browser (headless Debian chromium through dash's ``dash_duo``):
every page opens with no console errors, a small scenario runs from the Scenario lab and its KPIs
appear, two runs are compared, the chatbot answers, a receipt verifies, and the City page draws
10,000 moving agents and keeps up with its 1 Hz refresh (figures printed, not asserted)."""
from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
from selenium.common.exceptions import StaleElementReferenceException
from sqlalchemy import create_engine, select

from dash_app.app import Context, create_app
from dash_app.live import LiveTwin
from scenarios import load_scenario
from twin_app.run import run_scenario

SHOTS = Path(os.environ.get("TWIN_SCREENSHOTS", "")) if os.environ.get("TWIN_SCREENSHOTS") else None


@pytest.fixture(scope="module")
def runs(tmp_path_factory, demo_city):
    root = tmp_path_factory.mktemp("runs")
    run_scenario(load_scenario("tax_deadline_rush", population=800, hours=10, sensors={"log_telemetry": True}),
                 root / "rush", city=demo_city)
    return root


@pytest.fixture()
def ctx(runs, demo_city):
    # medical calls at 40 a day per 1,000 (the default is 0.45): a busy demo town, so the City
    # page's event feed fills within the first simulated hours
    live = LiveTwin(load_scenario("baseline", population=1500, hours=1,
                                  incidents={"medical_per_1000_per_day": 40.0}), city=demo_city, speed=120).start()
    c = Context(runs, live=live)
    yield c
    c.close()


def _no_errors(dash_duo):
    logs = [x for x in dash_duo.get_logs() or [] if x.get("level") == "SEVERE"]
    assert logs == [], logs


AXE = Path(__file__).resolve().parents[1] / ".tools" / "node_modules" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def _axe(dash_duo) -> list:
    """The page's WCAG A/AA violations by axe-core (from .tools, injected here; never a CDN):
    ``[(rule, impact, how many nodes, the first targets)]``.

    Dash 4's own dropdown focus proxy (``.dash-dropdown-focus-target``: an ``aria-hidden``
    input that hands focus straight on to the labelled dropdown button) is left out: axe reports
    it as focusable-while-hidden, but focus never rests on it."""
    if not AXE.is_file():
        pytest.fail(f"{AXE} is missing: run scripts/install.sh --dev (it installs axe-core into .tools)")
    drv = dash_duo.driver
    if not drv.execute_script("return !!window.axe"):
        drv.execute_script(AXE.read_text())
    drv.set_script_timeout(60)
    return drv.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run({exclude: [['.dash-dropdown-focus-target']]}, {runOnly: {type: 'tag', values: arguments[0]}, resultTypes: ['violations']})"
        ".then(r => done(r.violations.map(v => [v.id, v.impact, v.nodes.length,"
        " v.nodes.slice(0, 3).map(n => n.target.join(' '))])))"
        ".catch(e => done([['axe failed', String(e), 0, []]]));", AXE_TAGS)


def _shot(dash_duo, name, height=1250):
    """With ``$TWIN_SCREENSHOTS`` set, the page as a PNG in that folder (the README's pictures),
    reduced to 128 colours to stay small."""
    if SHOTS is not None:
        import io

        from PIL import Image

        SHOTS.mkdir(parents=True, exist_ok=True)
        dash_duo.driver.set_window_size(1400, height)
        time.sleep(1.5)
        img = Image.open(io.BytesIO(dash_duo.driver.get_screenshot_as_png())).convert("RGB")
        img.quantize(colors=128).save(SHOTS / f"{name}.png", optimize=True)


def test_every_page_opens_by_keyboard_reachable_links_without_console_errors(dash_duo, ctx):
    dash_duo.start_server(create_app(ctx))
    dash_duo.wait_for_text_to_equal("h1", f"City — {ctx.live.city.name}", timeout=20)
    violations = {}
    for ident, title in [("nav-lab", "Scenario lab"), ("nav-desk", "Service desk"), ("nav-chat", "Chat with the city hall"),
                         ("nav-ledger", "Ledger"), ("nav-sensors", "Sensors"), ("nav-funnel", "Adoption funnel"),
                         ("nav-learn", "Learn: how a digital city platform works"), ("nav-city", "City")]:
        link = dash_duo.find_element(f"#{ident}")
        assert link.tag_name == "a" and link.get_attribute("href")        # focusable, keyboard-followable
        link.click()
        dash_duo.wait_for_contains_text("h1", title, timeout=20)
        assert "active" in dash_duo.find_element(f"#{ident}").get_attribute("class")
        time.sleep(0.5)                                   # the page's first callbacks draw
        violations[title] = _axe(dash_duo)
    assert {k: v for k, v in violations.items() if v} == {}           # WCAG A/AA, by axe-core
    # every form control on the lab page has a label
    dash_duo.find_element("#nav-lab").click()
    dash_duo.wait_for_element("#lab-population")
    labelled = dash_duo.driver.execute_script(
        "return ['lab-population','lab-hours','lab-seed','lab-reps','lab-scenario'].every("
        "id => document.querySelector('label[for=\"' + id + '\"]'))")
    assert labelled
    assert "© OpenStreetMap contributors" in dash_duo.find_element("footer").text
    _no_errors(dash_duo)


def test_scenario_lab_defaults_are_the_real_city_a_morning_and_a_study(dash_duo, ctx):
    """Opened plainly, the lab proposes the real Brașov of ../shared/data (the tests have it), a
    morning window, thousands of citizens, replications, the ambulance-station study and logged
    telemetry."""
    dash_duo.start_server(create_app(ctx))
    dash_duo.driver.get(dash_duo.server_url + "/lab")
    dash_duo.wait_for_element("#lab-run")
    assert dash_duo.find_element("#lab-city").get_attribute("value").endswith("brasov_all_highways.osm.bz2")
    assert float(dash_duo.find_element("#lab-hours").get_attribute("value")) == 10
    assert int(dash_duo.find_element("#lab-population").get_attribute("value")) >= 3000
    assert int(dash_duo.find_element("#lab-reps").get_attribute("value")) == 3
    assert "new_ambulance_station" in dash_duo.find_element("#lab-scenario").text
    assert dash_duo.find_element("#lab-telemetry").text.startswith("yes")
    dash_duo.wait_for_contains_text("#lab-description", "emergencies_x10", timeout=20)
    _no_errors(dash_duo)


def test_scenario_lab_runs_a_study_and_shows_the_comparison_map_and_cdfs(dash_duo, ctx):
    """The lab's defaults (the ambulance-station study, 10 h from midnight, telemetry), on the demo
    town with 1,000 citizens and 2 replications to stay well under a minute."""
    from dash_app.pages.lab import comparable_options

    dash_duo.start_server(create_app(ctx))
    dash_duo.driver.get(dash_duo.server_url + "/lab?city=demo&population=1000&replications=2")
    dash_duo.wait_for_element("#lab-run").click()
    dash_duo.wait_for_contains_text("#lab-progress", "done", timeout=240)
    t = dash_duo.wait_for_element("#lab-compare-table", timeout=60)
    assert "Emergency response time, 90th percentile" in t.text and "B − A" in t.text
    assert "little_L" not in t.text and "response_min_p90" not in t.text         # labels, not identifiers
    dash_duo.wait_for_element("#lab-compare-map .js-plotly-plot", timeout=30)
    n_districts = dash_duo.driver.execute_script(
        "const el = document.querySelector('#lab-compare-map .js-plotly-plot');"
        "return el.data.filter(t => t.mode === 'markers+text').map(t => t.x.length).reduce((a, b) => a + b, 0);")
    assert n_districts > 0
    cdf = dash_duo.driver.execute_script(
        "const el = document.querySelector('#lab-compare-cdf .js-plotly-plot');"
        "return el.data.map(t => t.x.length);")
    assert len(cdf) == 2 and min(cdf) > 0
    dash_duo.wait_for_element("#lab-compare-resolution .js-plotly-plot", timeout=30)
    # run B is offered only among runs comparable with A: the shipped tax-rush run is disabled
    a = dash_duo.driver.execute_script("return document.querySelector('#lab-a').innerText")
    assert "baseline" in a
    study = next(p for p in ctx.runs_dir.iterdir() if p.name.startswith("study-new_ambulance_station"))
    opts = comparable_options(ctx.runs_dir, str(study / "baseline"))
    by = {o["value"]: o for o in opts}
    assert not by[str(study / "new_ambulance_station")].get("disabled")
    assert by[str(ctx.runs_dir / "rush")]["disabled"] and "differs" in by[str(ctx.runs_dir / "rush")]["label"]
    # telemetry was logged: the Sensors page finds the study's devices
    import duckdb

    from dash_app import data

    log = data.first_run(study / "new_ambulance_station") / "events.parquet"
    assert duckdb.sql(f"SELECT count(*) FROM read_parquet('{log}') WHERE kind = 'telemetry'").fetchall()[0][0] > 0
    _shot(dash_duo, "lab-compare")
    _no_errors(dash_duo)


def test_chat_answers_in_the_language_chosen_and_shows_the_intent(dash_duo, ctx):
    dash_duo.start_server(create_app(ctx))
    dash_duo.driver.get(dash_duo.server_url + "/chat")
    box = dash_duo.wait_for_element("#chat-input", timeout=20)
    box.send_keys("Care este programul de lucru al primăriei?")
    dash_duo.find_element("#chat-send").click()
    dash_duo.wait_for_element(".msg.bot .bot-text", timeout=60)
    assert "intent: office_info" in dash_duo.find_element(".msg.bot .intent").text
    dash_duo.select_dcc_dropdown("#chat-lang", value="English")
    dash_duo.wait_for_contains_text("#chat-lang", "English", timeout=10)
    box.send_keys("I want to talk to a human")
    dash_duo.find_element("#chat-send").click()
    dash_duo.wait_for_contains_text("#chat-log", "intent: human_agent", timeout=60)
    _no_errors(dash_duo)


def test_ledger_page_verifies_a_real_receipt_and_rejects_a_forged_one(dash_duo, ctx, runs):
    eng = create_engine(f"sqlite:///{runs / 'rush' / 'ledger.sqlite'}")
    from ledger.store import payments

    with eng.connect() as conn:
        ref = conn.execute(select(payments.c.ref).where(payments.c.batch_id.is_not(None)).limit(1)).scalar_one()
    eng.dispose()
    from dash_app.data import run_options

    dash_duo.start_server(create_app(ctx))
    dash_duo.driver.get(dash_duo.server_url + "/ledger")
    # the run that paid (other tests may have added newer runs with a ledger)
    label = next(o["label"] for o in run_options(runs, "ledger.sqlite") if o["value"] == str(runs / "rush"))
    dash_duo.wait_for_element("#ledger-run", timeout=20)
    dash_duo.select_dcc_dropdown("#ledger-run", value=label)
    box = dash_duo.wait_for_element("#ledger-receipt", timeout=20)
    box.send_keys(ref)
    dash_duo.find_element("#ledger-verify").click()
    dash_duo.wait_for_contains_text("#ledger-result", "VALID", timeout=30)
    assert dash_duo.find_element("#ledger-result").text.startswith("VALID — in batch")
    box.clear()
    box.send_keys("0x" + "ab" * 32)
    dash_duo.find_element("#ledger-verify").click()
    dash_duo.wait_for_contains_text("#ledger-result", "NOT VALID", timeout=30)
    assert "no such payment" in dash_duo.find_element("#ledger-result").text
    dash_duo.wait_for_element("#ledger-batch-table", timeout=20)
    _no_errors(dash_duo)


def test_desk_and_sensors_pages_show_the_runs_requests_devices_and_topics(dash_duo, ctx):
    from dash_app.data import run_options

    dash_duo.start_server(create_app(ctx))
    dash_duo.driver.get(dash_duo.server_url + "/desk")
    # the live twin is offered first; the finished run is chosen here
    dash_duo.wait_for_contains_text("#desk-run", "Live twin", timeout=20)
    label = next(o["label"] for o in run_options(ctx.runs_dir, "services.sqlite") if o["value"].endswith("rush"))
    dash_duo.select_dcc_dropdown("#desk-run", value=label)
    dash_duo.wait_for_contains_text("#desk-summary", "requests, ", timeout=30)
    dash_duo.wait_for_element("#desk-table .ag-row .ag-cell", timeout=20).click()
    dash_duo.wait_for_contains_text("#desk-history", "Request", timeout=20)
    # times are local and say so: the grid's header and every timeline entry name the zone
    assert "requested (Brașov time)" in dash_duo.find_element("#desk-table .ag-header").text
    import re

    assert re.search(r"\d\d:\d\d EES?T — received", dash_duo.find_element("#desk-history").text)
    dash_duo.driver.get(dash_duo.server_url + "/sensors")
    dash_duo.wait_for_element("#sensors-graph .js-plotly-plot", timeout=30)
    live_points = ("const el = document.querySelector('#sensors-live-graph .js-plotly-plot');"
                   "return el && el.data && el.data.length ? el.data[0].x.length : 0;")
    deadline, n = time.time() + 30, 0
    while time.time() < deadline and n < 2:              # readings arrive as the live twin runs
        n = dash_duo.driver.execute_script(live_points)
        time.sleep(0.25)
    assert n >= 2
    dash_duo.wait_for_contains_text("#sensors-topics", "telemetry", timeout=30)
    dash_duo.wait_for_contains_text("#sensors-anomalies", "precision", timeout=60)
    _no_errors(dash_duo)


def test_control_room_serves_while_the_live_twin_is_prepared_then_desk_and_ledger_read_its_stores(
        dash_duo, demo_city, runs):
    """The control room answers at once while the live twin is built and fast-forwarded in the
    background (the City page says so, then fills in by itself); the Service desk and the Ledger
    then offer the live twin's stores first: its requests with their timelines, its payments,
    a receipt of it verified — with no console errors and no WCAG A/AA violations."""
    from dash_app import data
    from dash_app.pages.desk import source

    import threading

    c = Context(runs)
    built = threading.Event()                       # the twin is built only once the page showed it is being prepared

    def make():
        built.wait(60)
        return LiveTwin(load_scenario("tax_deadline_rush", population=1000, hours=1,
                                      demand={"reports_per_1000_per_day": 90}), city=demo_city, speed=60)

    c.start_live(make, start_hour=9.0)
    try:
        dash_duo.start_server(create_app(c))
        try:
            dash_duo.wait_for_contains_text("#city-preparing", "Preparing the live city", timeout=10)
        finally:
            built.set()
        dash_duo.wait_for_text_to_equal("h1", f"City — {demo_city.name}", timeout=60)     # filled in by itself
        dash_duo.wait_for_contains_text("#city-jump", "Jump to the morning rush", timeout=60)   # at 09:00 now
        assert " 09:0" in dash_duo.find_element("#city-clock").text
        c.live.playing = False                          # hold the stores still while they are read
        dash_duo.find_element("#nav-desk").click()
        dash_duo.wait_for_contains_text("#desk-summary", "Live twin at 09:0", timeout=30)
        rows = data.requests_table(source(c, data.LIVE))
        assert rows and f"{len(rows)} requests" in dash_duo.find_element("#desk-summary").text
        dash_duo.wait_for_element("#desk-table .ag-row .ag-cell", timeout=20).click()
        dash_duo.wait_for_contains_text("#desk-history", "received", timeout=20)
        problems = {"desk": _axe(dash_duo)}
        dash_duo.find_element("#nav-ledger").click()
        dash_duo.wait_for_contains_text("#ledger-summary", "Live twin at 09:0", timeout=30)
        dash_duo.wait_for_element("#ledger-payment-table .ag-row", timeout=20)
        ref = next(p["ref"] for p in data.ledger_tables(source(c, data.LIVE))["payments"] if p["batch_id"])
        dash_duo.find_element("#ledger-receipt").send_keys(ref)
        dash_duo.find_element("#ledger-verify").click()
        dash_duo.wait_for_contains_text("#ledger-result", "VALID — in batch", timeout=30)
        problems["ledger"] = _axe(dash_duo)
        assert {k: v for k, v in problems.items() if v} == {}
        _no_errors(dash_duo)
    finally:
        c.close()


def test_desk_follows_the_live_twin_a_request_filed_in_it_appears_without_reload(dash_duo, ctx):
    """The Service desk shows the live twin's requests and reads them again by itself (every
    AUTO_S seconds, labelled with the twin's Brașov time): a request filed in the live twin
    appears in the grid, newest first, without a reload and without pressing Refresh."""
    from dash_app.pages.desk import AUTO_S

    dash_duo.start_server(create_app(ctx))
    dash_duo.driver.get(dash_duo.server_url + "/desk")
    dash_duo.wait_for_contains_text("#desk-summary", "Live twin at", timeout=30)
    summary = dash_duo.find_element("#desk-summary").text
    assert "Brașov time, Europe/Bucharest" in summary and f"every {AUTO_S} s" in summary
    assert " EET" in summary or " EEST" in summary
    dash_duo.driver.execute_script("window.__same_page = true;")      # gone if the page reloads
    a = ctx.live.city.arrays
    with ctx.live.lock:
        sub = ctx.live.twin.component("services").hall.submit(
            "streets", lat=float(a["node_lat"][0]), lon=float(a["node_lon"][0]),
            description="Groapă adâncă în carosabil, semnalată de test", attributes={"defect": "pothole"},
            source="api")
    first_id = ("const r = document.querySelector('#desk-table .ag-center-cols-container .ag-row[row-index=\"0\"]');"
                "return r ? r.getAttribute('row-id') : null;")
    deadline, got = time.time() + 3 * AUTO_S + 15, None
    while time.time() < deadline and got != str(sub.id):
        got = dash_duo.driver.execute_script(first_id)
        time.sleep(0.3)
    assert got == str(sub.id)
    assert dash_duo.driver.execute_script("return window.__same_page === true")
    _no_errors(dash_duo)


def test_city_page_jumps_to_the_rush_without_stalling_and_its_feed_flies_the_map_to_an_event(dash_duo, ctx):
    """The City page opened at midnight offers the morning rush: one click and the twin
    fast-forwards in its own thread while the page keeps ticking (the clock shows the hours
    racing by), then reads 07:30 Brașov time with citizens on the move. KPI cards carry the
    catalogue's labels and units and a trend sparkline; the map has roads by class, districts
    named, the citizens' density, and devices beneath the people; the event feed fills, and
    clicking an event flies the map there."""
    dash_duo.start_server(create_app(ctx))
    dash_duo.wait_for_contains_text("#city-clock", "EET", timeout=20)
    assert "Brașov time" in dash_duo.find_element(".clock").text
    assert "Emergency response time, median" in dash_duo.find_element(".kpis").text     # catalogue label
    dash_duo.wait_for_contains_text("#kpi-open_requests", "requests", timeout=20)       # value with its unit
    dash_duo.wait_for_element("#city-map .js-plotly-plot", timeout=20)
    fig = ("const el = document.querySelector('#city-map .js-plotly-plot');"
           "return {names: el.data.map(t => t.name), notes: el.layout.annotations.map(a => a.text),"
           "        x: el._fullLayout.xaxis.range, chosen: el.data.find(t => t.name === 'chosen event').x};")
    got = dash_duo.driver.execute_script(fig)
    order = got["names"]
    assert order.index("devices") < order.index("citizens on the move")
    assert {"districts", "citizens on the move (density)"} <= set(order)
    # the roads are painted by class into the ground picture, which comes inside the figure
    assert not [n for n in order if n.startswith("roads")]
    # the ground picture is fetched once from the control room itself, cached for good, and not
    # carried in the page's answer (nor in any 1 Hz patch)
    ground = ("const g = document.querySelector('#city-map .city-ground img');"
              "return g && g.complete && g.naturalWidth ? g.getAttribute('src') : null;")
    deadline, src = time.time() + 20, None
    while time.time() < deadline and not src:           # a layer of its own beneath the plot
        src = dash_duo.driver.execute_script(ground)
        time.sleep(0.2)
    assert src and src.startswith("/_ground/") and src.endswith(".png")
    assert dash_duo.driver.execute_script("return document.querySelector('#city-map .js-plotly-plot')"
                                          ".layout.images || []") == []
    import httpx

    got_png = httpx.get(dash_duo.server_url + src, timeout=10)
    assert got_png.status_code == 200 and got_png.content[:8] == b"\x89PNG\r\n\x1a\n"
    assert "immutable" in got_png.headers["cache-control"] and "max-age=31536000" in got_png.headers["cache-control"]
    assert httpx.get(dash_duo.server_url + "/_ground/manifest.json", timeout=10).status_code == 404    # its pictures only
    assert "streets" in dash_duo.find_element(".map-key").text
    assert "Centrul Istoric" in got["notes"]
    before = dash_duo.find_element("#city-clock").text
    dash_duo.find_element("#city-jump").click()
    seen, deadline = set(), time.time() + 90
    while time.time() < deadline:
        clock = dash_duo.find_element("#city-clock").text
        if " 07:3" in clock:
            break
        seen.add(clock)
        time.sleep(0.05)
    assert " 07:3" in clock
    # the page kept ticking during the jump: a time between 01:00 and 07:30 was shown (a jump
    # that held the twin's lock to the end would let the next tick show 07:30 only; before the
    # click lands the clock only creeps on from midnight at 2 simulated minutes a second)
    during = {c for c in seen if "01:00:00" <= c.split()[4] < "07:30:00"}
    assert len(during) >= 1, seen
    deadline, moving = time.time() + 20, 0
    while time.time() < deadline and not moving:
        moving = int(dash_duo.find_element("#city-moving").text.split()[0])
        time.sleep(0.2)
    assert moving > 0
    drawn = ("const el = document.querySelector('#city-map .js-plotly-plot');"
             "return el._fullData.find(t => t.name === 'citizens on the move')._length;")
    deadline, n = time.time() + 20, 0
    while time.time() < deadline and not n:             # the 1 Hz patches (base64 typed arrays) draw
        n = dash_duo.driver.execute_script(drawn)
        time.sleep(0.2)
    assert n > 0
    # the feed: incidents and dispatches, each a button that flies the map to it
    dash_duo.wait_for_element("#city-feed .feed-item", timeout=30)
    assert "incident" in dash_duo.find_element("#city-feed").text
    for _ in range(8):                                  # the feed may redraw under the click
        try:
            item = dash_duo.find_element("#city-feed .feed-item")
            event = ctx.live.event(json.loads(item.get_attribute("id"))["index"])
            item.click()
        except StaleElementReferenceException:
            time.sleep(0.2)
            continue
        deadline = time.time() + 6
        while time.time() < deadline:
            got = dash_duo.driver.execute_script(fig)
            if got["chosen"] and len(got["chosen"]) == 1:
                break
            time.sleep(0.2)
        if got["chosen"]:
            break
    assert got["chosen"] == [event["lon"]]
    assert got["x"][0] < event["lon"] < got["x"][1] and got["x"][1] - got["x"][0] < 0.05
    # the ground layer beneath followed the map there: its west edge where the x axis puts it
    w = ctx.live.city.bbox[0]
    placed = dash_duo.driver.execute_script(
        "const gd = document.querySelector('#city-map .js-plotly-plot'), fl = gd._fullLayout;"
        "const img = gd.querySelector('.city-ground img'), r = fl.xaxis.range;"
        "return [parseFloat(img.style.left), (arguments[0] - r[0]) / (r[1] - r[0]) * fl._size.w];", w)
    assert abs(placed[0] - placed[1]) < 2, placed
    import base64
    import re

    def spark_points():
        img = dash_duo.find_element("#spark-open_requests")
        svg = base64.b64decode(img.get_attribute("src").split(",", 1)[1]).decode()
        return len(re.findall(r"[\d.]+,[\d.]+", svg)) + svg.count("<circle")

    assert "trend of Open requests now" in dash_duo.find_element("#spark-open_requests").get_attribute("alt")
    deadline, n = time.time() + 20, 0
    while time.time() < deadline and n < 10:
        n = spark_points()
        time.sleep(0.2)
    assert n >= 10                                      # 5-minute samples since midnight
    # the page's clock and frame timer (clientside), driven here with chosen times: the clock reads
    # as the server writes it, counts on at the twin's speed and never goes back while playing;
    # a second whose frame is still on its way is skipped, not queued
    from dash_app.pages.city import CLOCK_JS, FRAME_JS, _time

    snap = ctx.live.snapshot()
    got = dash_duo.driver.execute_script("""
        const clock = eval('(' + arguments[0] + ')'), frame = eval('(' + arguments[1] + ')');
        const t = Object.assign({}, arguments[2]), nu = window.dash_clientside.no_update, out = {};
        t.clock_ms = Math.floor(t.clock_ms / 1000) * 1000;          // on a whole second
        const r = x => x === nu ? 'NO_UPDATE' : x;
        window.__cityClock = undefined;
        out.paused = r(clock(0, Object.assign({}, t, {rate: 0, frame: 1})));
        const real = performance.now;
        let now = real.call(performance);
        performance.now = () => now;
        out.at0 = r(clock(0, Object.assign({}, t, {rate: 1, frame: 2})));
        now += 2400; out.at2 = r(clock(1, Object.assign({}, t, {rate: 1, frame: 2})));
        now += 100; out.behind = r(clock(2, Object.assign({}, t, {rate: 1, frame: 3, clock_ms: t.clock_ms + 500})));
        now += 10000; out.stale = r(clock(3, Object.assign({}, t, {rate: 1, frame: 3, clock_ms: t.clock_ms + 500})));
        performance.now = real;
        const sec = Math.floor(Date.now() / 1000);
        out.waiting = frame(0, {sec: sec - 1, at: Date.now() - 900}, {frame: sec - 2}) === nu;
        out.answered = frame(0, {sec: sec - 1, at: Date.now() - 900}, {frame: sec - 1}).sec >= sec;
        out.lost = frame(0, {sec: sec - 9, at: Date.now() - 9000}, {frame: sec - 10}).sec >= sec;
        out.same = frame(0, {sec: sec, at: Date.now()}, {frame: sec}) === nu;
        return out;""", CLOCK_JS, FRAME_JS, _time(snap, None))
    from datetime import datetime, timedelta

    shown = datetime.strptime(" ".join(snap["clock"].split()[:5]), "%a %d %b %Y %H:%M:%S")

    def at(s):
        return (shown + timedelta(seconds=s)).strftime("%a %d %b %Y %H:%M:%S ") + snap["tz"]

    assert got["paused"] == snap["clock"]
    assert got["at2"] == at(2)                      # 2.4 s later at 1×
    assert got["at0"] == "NO_UPDATE"               # the same second as shown: nothing to redraw
    assert got["behind"] == "NO_UPDATE"            # a frame behind what was shown: held, not set back
    assert got["stale"] == at(3)                    # counted on at most 3 s past its frame
    assert got["waiting"] and got["answered"] and got["lost"] and got["same"]
    _no_errors(dash_duo)


def test_sensors_page_plots_a_library_run_without_telemetry_and_explains_what_is_missing(
        dash_duo, demo_city, tmp_path):
    """A library scenario run as `twin run` runs it (no per-device telemetry logged): the Sensors
    page plots the hourly fleet summary and says how to get a device's readings, instead of an
    empty chart; without a live twin it says how to get one."""
    run_scenario(load_scenario("baseline", population=300, hours=3), tmp_path / "runs" / "plain", city=demo_city)
    c = Context(tmp_path / "runs")
    dash_duo.start_server(create_app(c))
    dash_duo.driver.get(dash_duo.server_url + "/sensors")
    dash_duo.wait_for_contains_text("#sensors-no-telemetry", "Scenario lab", timeout=30)
    points = ("const el = document.querySelector('#sensors-graph .js-plotly-plot');"
              "return el && el.data ? el.data.reduce((a, t) => a + t.x.length, 0) : 0;")
    deadline, n = time.time() + 20, 0
    while time.time() < deadline and not n:            # plotly draws after the callback returns
        n = dash_duo.driver.execute_script(points)
        time.sleep(0.2)
    assert n > 0
    assert "no live twin" in dash_duo.find_element("main").text.lower()
    _no_errors(dash_duo)
    c.close()


@pytest.mark.slow
@pytest.mark.brasov
def test_city_page_on_brasov_draws_the_city_from_its_own_extract(dash_duo, brasov, tmp_path):
    """On Brașov the map lies on the city's ground painted from ../shared/data/osm/brasov.osm.pbf
    (land use, water, parks, buildings, rail, and every road by class: main roads, streets,
    footways and service roads; fetched from the control room, never the internet), with the districts outlined
    and named, the citizens' density and the OSM credit."""
    import io

    import numpy as np
    from PIL import Image

    from dash_app.ground import BUILDING, PAINTED_ROADS
    from dash_app.landuse import CLASSES

    live = LiveTwin(load_scenario("baseline", population=2000, hours=1, gtfs="none"), city=brasov, speed=60)
    live.jump_to(7.75)
    c = Context(tmp_path / "runs", live=live.start())
    try:
        dash_duo.start_server(create_app(c))
        dash_duo.wait_for_element("#city-map .js-plotly-plot", timeout=60)
        dash_duo.wait_for_element("#city-map .city-ground img", timeout=60)
        lay = dash_duo.driver.execute_script(
            "const el = document.querySelector('#city-map .js-plotly-plot');"
            "const g = document.querySelector('#city-map .city-ground img');"
            "return {names: el.data.map(t => t.name), images: g ? [g.getAttribute('src')] : [],"
            "        notes: el.layout.annotations.map(a => a.text)};")
        assert {"districts", "citizens on the move (density)", "citizens on the move"} <= set(lay["names"])
        assert not [n for n in lay["names"] if n.startswith("roads")]     # painted into the ground
        assert {"Astra", "Tractorul", "Centrul Nou"} <= set(lay["notes"])
        assert "© OpenStreetMap contributors" in lay["notes"]
        [src] = lay["images"]
        assert src.startswith("/_ground/")                                # from the control room, not the internet
        import httpx

        png = httpx.get(dash_duo.server_url + src, timeout=30).content
        px = np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).reshape(-1, 3)

        def share(hex_colour):
            rgb = np.array([int(hex_colour[k:k + 2], 16) for k in (1, 3, 5)])
            return float((np.abs(px - rgb).sum(axis=1) < 6).mean())

        shares = {name: share(CLASSES[name][0]) for name in ("water", "parks and sports", "residential", "woods")}
        shares["buildings"] = share(BUILDING[0])
        shares.update({name: share(colour) for name, (colour, _) in PAINTED_ROADS.items()})
        assert all(v > 1e-4 for v in shares.values()), shares
        assert shares["buildings"] > 0.01, shares
        _no_errors(dash_duo)
    finally:
        c.close()


@pytest.mark.slow
@pytest.mark.brasov
def test_city_page_on_brasov_at_full_scale_at_8_shows_10000_moving_and_its_refresh_rate(dash_duo, tmp_path):
    """Brașov at 1:1 (253,200 citizens, every road and path), fast-forwarded to 08:00 and then
    running in real time: the City page draws ≥ 10,000 citizens on the move, the event feed has
    filled; the first render and the refresh rate, measured in the browser by
    ``benchmarks/city_page.py``'s probe (Navigation Timing: from the start of the navigation to
    the map drawn with the citizens, the ground and every layer), are printed with the load
    average, not asserted (they depend on the machine)."""
    from benchmarks.city_page import measure
    from tests.conftest import shared_file
    from twin.city import load_city

    src = str(shared_file("osm/brasov_all_highways.osm.bz2"))
    city = load_city(src)
    t0 = time.perf_counter()
    live = LiveTwin(load_scenario("baseline", scale=1.0, hours=1, city=src), city=city, speed=1)
    built_s = time.perf_counter() - t0
    live.jump_to(8.0)
    jump_s = time.perf_counter() - t0 - built_s
    c = Context(tmp_path / "runs", live=live.start())
    try:
        app = create_app(c)
        from dash_app.pages.city import layout
        layout(c)                                          # paint the ground once, as twin dash's first visit would
        dash_duo.start_server(app)
        got = measure(dash_duo.server_url + "/", 10.0, drv=dash_duo.driver)
        moving = int(dash_duo.find_element("#city-moving").text.split()[0])
        feed = dash_duo.find_elements("#city-feed .feed-item")
        t1 = time.perf_counter()
        for _ in range(5):
            live.snapshot()
        snapshot_ms = (time.perf_counter() - t1) / 5 * 1000
        _shot(dash_duo, "city-brasov", height=1420)
        got.pop("first_payloads")
        print("\nCITY PAGE BRASOV 1:1:", json.dumps({
            "build_s": round(built_s, 1), "jump_to_8_s": round(jump_s, 1), **got, "moving": moving,
            "snapshot_ms": round(snapshot_ms, 1), "feed": len(feed),
            "loadavg": [round(x, 2) for x in os.getloadavg()]}))
        assert got["points"] == 10_000 and moving >= 10_000
        assert got["image_drawn"]
        assert len(feed) >= 3
        _no_errors(dash_duo)
    finally:
        c.close()


@pytest.mark.slow
def test_city_page_with_10000_moving_agents_renders_and_keeps_up_at_1hz(dash_duo, demo_city, tmp_path):
    # (citizens without a bus line drive when their household has a car, and work starts are
    # spread over the morning (sd 1.5 h), so fewer are on the road at once: 120,000 peaked at
    # about 9,200 moving around 07:45; 170,000 keep more than 10,000 moving)
    sc = load_scenario("baseline", population=170_000, hours=1, gtfs="none",
                       sensors={"density": {"streetlight": 1.0}})
    live = LiveTwin(sc, city=demo_city, speed=10, max_points=10_000)
    live.twin.run(7.7)                                 # the morning rush: more than 10,000 on the move
    live.start()
    c = Context(tmp_path / "runs", live=live)
    try:
        dash_duo.start_server(create_app(c))
        t0 = time.perf_counter()
        dash_duo.driver.get(dash_duo.server_url + "/")
        js = ("const el = document.querySelector('#city-map .js-plotly-plot');"
              "const t = el && el._fullData ? el._fullData.find(d => d.name === 'citizens on the move') : null;"
              "return t ? t.x.length : 0;")
        deadline = time.time() + 30
        points = 0
        while time.time() < deadline and not points:
            points = dash_duo.driver.execute_script(js)
            time.sleep(0.02)
        first_render_s = time.perf_counter() - t0
        assert points == 10_000
        clocks = []
        end = time.time() + 8
        while time.time() < end:
            clocks.append(dash_duo.find_element("#city-clock").text)
            time.sleep(0.1)
        updates = len(set(clocks)) - 1
        moving = dash_duo.find_element("#city-moving").text
        _shot(dash_duo, "city", height=1420)
        result = {"first_render_s": round(first_render_s, 2), "points": points, "updates_in_8s": updates,
                  "moving": moving}
        print("\nCITY PAGE:", json.dumps(result))
        assert updates >= 4                                 # the page refreshes while the twin runs
        assert int(moving.split()[0]) >= 10_000
        _no_errors(dash_duo)
    finally:
        c.close()


def test_stored_utc_times_are_shown_in_brasov_time_with_the_zone_named():
    """The stores keep naive UTC; the control room shows Brașov time and says which (EET in
    winter, UTC+2; EEST in summer, UTC+3) — the Service desk showed bare UTC before."""
    from datetime import UTC, datetime

    from dash_app.data import local

    assert local(datetime(2026, 3, 1, 22, 0)) == "2026-03-02 00:00 EET"           # the day after, in Brașov
    assert local(datetime(2027, 3, 29, 4, 37)) == "2027-03-29 07:37 EEST"
    assert local(datetime(2026, 7, 1, 5, 0, tzinfo=UTC)) == "2026-07-01 08:00 EEST"
    assert local(None) is None


def test_tables_are_ag_grids_served_from_this_server_not_a_cdn(dash_duo, ctx):
    """The deprecated DataTable is gone: the Service desk's table is an AG Grid, and every
    script the page loads (AG Grid's included) comes from the control room itself."""
    dash_duo.start_server(create_app(ctx))
    dash_duo.driver.get(dash_duo.server_url + "/desk")
    dash_duo.wait_for_element("#desk-table .ag-root", timeout=30)
    srcs = dash_duo.driver.execute_script(
        "return [...document.scripts].map(s => s.src).concat("
        "[...document.querySelectorAll('link[href]')].map(l => l.href)).filter(Boolean)")
    assert any("dash_ag_grid" in u for u in srcs)
    assert [u for u in srcs if not u.startswith(dash_duo.server_url)] == []
    assert dash_duo.driver.find_elements("css selector", ".dash-spreadsheet") == []
    _no_errors(dash_duo)


def test_twin_dash_command_serves_the_control_room(tmp_path):
    """`twin dash` as the README gives it starts the app behind waitress: no "development
    server" warning and no log line per request (the City page polls every second); bad options
    get a clear error."""
    import subprocess
    import sys

    import httpx

    from tests.serving import free_port

    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "twin_app", "dash", "--port", str(port), "--no-live",
                             "--runs", str(tmp_path / "runs")], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        body, deadline = "", time.time() + 60
        while time.time() < deadline and "SmartCity Twin" not in body:
            try:
                body = httpx.get(f"http://127.0.0.1:{port}/", timeout=2).text
            except httpx.HTTPError:
                time.sleep(0.3)
        assert "SmartCity Twin — control room" in body
        layout = httpx.get(f"http://127.0.0.1:{port}/_dash-layout", timeout=10).json()
        assert "© OpenStreetMap contributors" in json.dumps(layout, ensure_ascii=False)
        for _ in range(5):                                  # as the 1 Hz poll would
            httpx.get(f"http://127.0.0.1:{port}/_dash-layout", timeout=10)
    finally:
        proc.terminate()
        out, err = proc.communicate(timeout=20)
    assert "development server" not in out + err and "WARNING" not in out + err
    assert "_dash-layout" not in out + err and "GET /" not in out + err      # no per-request log lines
    assert f"http://127.0.0.1:{port}/" in out
    bad = subprocess.run([sys.executable, "-m", "twin_app", "dash", "--port", "-3"], capture_output=True, text=True)
    assert bad.returncode != 0 and "--port" in bad.stderr and "Traceback" not in bad.stderr


def test_twin_dash_serves_at_once_and_opens_the_live_city_at_the_morning_rush(tmp_path):
    """`twin dash` (live twin on) answers before its live twin is ready — the City page says it
    is preparing the city (building it, then "Preparing 07:30 …" while it fast-forwards) — and
    then opens at 07:30 Brașov time with citizens on the move, not at midnight when nothing
    moves for minutes."""
    import re
    import subprocess
    import sys

    import httpx

    from tests.serving import free_port

    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "twin_app", "dash", "--port", str(port), "--population", "1000",
                             "--runs", str(tmp_path / "runs")], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    try:
        url, deadline, ok = f"http://127.0.0.1:{port}", time.time() + 90, False
        while time.time() < deadline and not ok:
            try:
                ok = httpx.get(url + "/", timeout=2).status_code == 200
            except httpx.HTTPError:
                time.sleep(0.3)
        deps = httpx.get(url + "/_dash-dependencies", timeout=10).json()
        route = next(d for d in deps if "page.children" in d["output"])
        outs = [{"id": o.split(".")[0], "property": o.split(".")[1]} for o in route["output"].strip(".").split("...")]

        def city_page() -> str:
            return httpx.post(url + "/_dash-update-component", timeout=30, json={
                "output": route["output"], "outputs": outs, "changedPropIds": ["url.pathname"], "state": [],
                "inputs": [{"id": "url", "property": "pathname", "value": "/"},
                           {"id": "url", "property": "search", "value": ""}]}).text

        first = city_page()
        pages, deadline = [first], time.time() + 120
        while time.time() < deadline and ("Preparing" in pages[-1] or "EET" not in pages[-1]):
            time.sleep(0.5)
            pages.append(city_page())
        clock = re.search(r"\d\d:\d\d:\d\d EES?T", pages[-1]).group(0)
        moving = int(re.search(r"(\d+) moving of \d+", pages[-1]).group(1))
    finally:
        proc.terminate()
        proc.communicate(timeout=20)
    assert "Preparing the live city" in first or "Preparing 07:30" in first     # served before the twin was ready
    assert clock.startswith("07:3") and moving > 0, (clock, moving)


def test_the_live_twin_keeps_its_city_hall_on_postgresql_and_the_desk_reads_it(demo_city, tmp_path):
    """`twin dash --db postgresql://…` keeps the live twin's city hall store in PostgreSQL (here the
    real local server, in a schema of its own); the Service desk reads the live requests from
    there, the same rows the city hall holds."""
    import uuid

    from sqlalchemy import func, text

    from dash_app import data
    from dash_app.pages.desk import source
    from services.store import service_requests
    from tests.services_fixtures import PG_URL

    schema = f"t_{uuid.uuid4().hex[:12]}"
    live = LiveTwin(load_scenario("baseline", population=300, hours=1, demand={"reports_per_1000_per_day": 300},
                                  services={"db_url": PG_URL, "db_schema": schema}), city=demo_city, speed=60)
    c = Context(tmp_path / "runs", live=live)
    store = live.twin.component("services").store
    try:
        assert store.dialect == "postgresql"
        live.jump_to(4.0)
        src = source(c, data.LIVE)
        assert src["services.sqlite"].drivername.startswith("postgresql") and src["services.schema"] == schema
        rows = data.requests_table(src)
        with store.engine.connect() as conn:
            held = conn.execute(func.count().select().select_from(service_requests)).scalar_one()
        assert len(rows) == held > 0
        assert rows[0]["requested_at"].endswith(("EET", "EEST"))
    finally:
        c.close()
        with store.engine.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        store.engine.dispose()


def test_twin_dash_db_names_the_option_when_the_database_is_unusable(tmp_path):
    """`twin dash --db` is checked before the control room starts: an unreachable database, or a
    store with no live twin to keep, is a one-line error naming --db, exit 2."""
    import subprocess
    import sys

    bad = subprocess.run([sys.executable, "-m", "twin_app", "dash", "--port", "0", "--runs", str(tmp_path / "runs"),
                          "--db", "postgresql://postgres@127.0.0.1:1/test"], capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and "--db" in bad.stderr and "Traceback" not in bad.stderr, bad.stderr
    none = subprocess.run([sys.executable, "-m", "twin_app", "dash", "--no-live", "--port", "0",
                           "--db", "postgresql://postgres@127.0.0.1:5432/test"], capture_output=True, text=True,
                          timeout=120)
    assert none.returncode == 2 and "--no-live" in none.stderr and "Traceback" not in none.stderr, none.stderr
