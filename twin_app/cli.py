"""The ``twin`` command.

``twin run [SCENARIO] --city SRC (--population N | --scale F) --hours H --seed S --out DIR [--json]``
runs a scenario (``--services-url URL --api-key K`` sends the citizens' requests to an Open311
endpoint over HTTP; ``--db URL`` keeps the city hall's store in that database);
``twin city info --city SRC [--json]`` describes a city; ``twin scenarios`` lists the library;
``twin serve [--host H] [--port P] [--db URL] [--city SRC] [--gtfs-rt]`` runs the Open311 API (and,
with ``--gtfs-rt``, the city's buses live and their GTFS-Realtime feeds);
``twin keys create NAME [--role R] [--db URL]`` makes an API key;
``twin loadtest open311 --url URL (--rate R | --events RUN [--speed X]) [--workers N] [--report P]``
load-tests an endpoint with a city's citizens on Locust (``services.loadgen``);
``twin run ... --mqtt mqtt://host:port`` publishes the run to a broker;
``twin loadtest mqtt --url URL --devices N --rate R --duration S --qos Q [--pack K]`` load-tests a broker
(``--per-device [--workers N] [--sinks S] [--commands C]``: one connection per device, on Locust;
``--master --expect-workers N`` with ``twin loadtest mqtt --worker --master-host HOST`` on other machines).

Errors and exit codes
---------------------
This module owns the one place where an error becomes what the user sees: :func:`main` runs a
command and :func:`explain` turns whatever it raised into one line on stderr (``twin: error:
…``, naming the option or field and its value, at most :data:`MAX_MESSAGE` characters) and an
exit code. No traceback is shown unless asked for (``twin --debug …`` or ``TWIN_DEBUG=1``).

====  ==========================================================================================
code  meaning
====  ==========================================================================================
0     success
1     an internal error (a bug): a short message, and how to get the traceback
2     bad input or an unusable environment: a bad option, file or scenario field, a busy
      ``--port``, an unreachable ``--db`` / ``--url`` / ``--mqtt``, an ``--out`` that is a file,
      not writable, someone else's folder, or a finished run, study or sweep (without ``--force``)
3     the Cython kernels are not built — and only that
130   interrupted (Ctrl-C)
141   the reader of the output went away (``twin … | head``), as a shell reports SIGPIPE
====  ==========================================================================================
"""
from __future__ import annotations

import argparse
import errno
import json
import os
import sys

from twin.errors import TwinError

#: environment variable that, set to anything but ``0``, prints the traceback of an error
DEBUG_ENV = "TWIN_DEBUG"
#: longest error message printed (a longer one is cut, saying how much was left out)
MAX_MESSAGE = 600
#: most citizens ``twin run`` simulates without ``--allow-large``
MAX_POPULATION = 2_000_000


def _number(name: str, cast, minimum, strict: bool):
    """argparse type: a number of type ``cast`` that is > (strict) or >= ``minimum``."""
    words = {int: "a whole number", float: "a number"}[cast]

    def parse(text):
        try:
            v = cast(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{name} must be {words}, got {text!r}") from None
        if v < minimum or (strict and v == minimum):
            raise argparse.ArgumentTypeError(f"{name} must be {'>' if strict else '>='} {minimum}, got {text}")
        return v
    return parse


def _positive_float(name):
    return _number(name, float, 0, strict=True)


def _nonneg_int(name):
    return _number(name, int, 0, strict=False)


def _bounded(name: str, cast, low, high, what: str):
    """argparse type: a number of type ``cast`` in ``(low, high]`` (float) or ``[low, high]``
    (int); the message says why the bound is there (``what``)."""
    def parse(text):
        v = _number(name, cast, low, strict=cast is float)(text)
        if v > high:
            raise argparse.ArgumentTypeError(f"{name} must be at most {high:,}{what}, got {text}")
        return v
    return parse


def _port(name: str):
    """argparse type: a TCP port, 1–65535, or 0 for any free port."""
    def parse(text):
        try:
            v = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{name} must be a whole number, got {text!r}") from None
        if not 0 <= v <= 65535:
            raise argparse.ArgumentTypeError(f"{name} must be from 1 to 65535 (or 0: any free port), got {text}")
        return v
    return parse


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="twin", description="SmartCity Twin: a digital twin of a Romanian city's services.",
                                epilog="exit codes: 0 ok, 1 internal error, 2 bad input, 3 kernels not built, "
                                       "130 interrupted")
    p.add_argument("--debug", action="store_true",
                   help=f"print the traceback of an error (or set {DEBUG_ENV}=1)")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    r = sub.add_parser("run", help="run a scenario and write a run directory")
    r.add_argument("scenario", nargs="?", default="baseline", help="library name or YAML file (default: baseline)")
    r.add_argument("--city", help="'demo', an .osm/.osm.bz2/.osm.pbf/.graphml file, or a place name")
    size = r.add_mutually_exclusive_group()
    size.add_argument("--population", type=_nonneg_int("--population"), help="number of citizens")
    size.add_argument("--scale", type=_positive_float("--scale"), help="fraction of the city's population (1.0 = all)")
    r.add_argument("--hours", type=_positive_float("--hours"), help="simulated hours")
    r.add_argument("--seed", type=_nonneg_int("--seed"), help="random seed")
    r.add_argument("--replications", type=_nonneg_int("--replications"),
                   help="run N replications (seeds seed..seed+N-1, common random numbers) into --out/rep-NN")
    r.add_argument("--out", help="run directory (default: runs/<scenario>-<city>-s<seed>-<time>)")
    r.add_argument("--study", nargs="+", metavar="SETTING",
                   help="study settings instead of the scenario's own (emergencies_x10, reports_x80, fast, "
                        "horizon_x2); give the same to the runs you will compare")
    r.add_argument("--force", action="store_true", help="replace a finished run in --out")
    r.add_argument("--allow-large", action="store_true",
                   help=f"allow a scale above 1 or more than {MAX_POPULATION:,} citizens")
    r.add_argument("--json", action="store_true", help="print a one-line JSON summary last")
    r.add_argument("--no-progress", action="store_true", help="no progress bar")
    r.add_argument("--services-url", help="send citizens' requests to this Open311 endpoint (…/open311/v2)")
    r.add_argument("--api-key", help="API key for --services-url")
    r.add_argument("--staff-key", help="staff API key for --services-url (crews report progress with it)")
    r.add_argument("--db", help="database URL of the city hall's store (default: services.sqlite in the run directory)")
    r.add_argument("--chain-url", help="JSON-RPC node for the ledger (default: the embedded py-evm chain)")
    r.add_argument("--chain-key", help="private key of a funded account on --chain-url (not needed on ganache)")
    r.add_argument("--mqtt", help="publish the run to an MQTT broker: mqtt://[user:pass@]host:port or mqtts://…")
    r.add_argument("--mqtt-qos", type=int, choices=[0, 1], default=1, help="QoS of published messages (default 1)")
    r.add_argument("--mqtt-user", help="broker user name")
    r.add_argument("--mqtt-password", help="broker password")
    r.add_argument("--mqtt-ca", help="CA certificate file for mqtts://")
    r.add_argument("--mqtt-insecure", action="store_true", help="mqtts:// without checking the host name")

    d = sub.add_parser("dash", help="the control room (Dash): watch the city, run and compare scenarios")
    d.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    d.add_argument("--port", type=_port("--port"), default=8050, help="port (default 8050; 0: any free port)")
    d.add_argument("--runs", default="runs", help="folder of runs to list and write (default ./runs)")
    d.add_argument("--live", default="baseline", help="scenario the City page runs live (default baseline)")
    d.add_argument("--no-live", action="store_true", help="no live twin on the City page")
    d.add_argument("--city", default="demo", help="city of the live twin and the chatbot (default demo)")
    d.add_argument("--population", type=_bounded("--population", int, 0, MAX_POPULATION, ""), default=None,
                   help="citizens of the live twin (default: the scenario's)")
    d.add_argument("--speed", type=float, default=60.0, help="live simulated seconds per second (default 60)")
    d.add_argument("--services-url", default=None,
                   help="talk to this Open311 server's /chat (default: the chatbot in this process)")
    d.add_argument("--db", default=None,
                   help="database URL of the live twin's city hall store, e.g. postgresql://user@host:5432/db "
                        "(default: a SQLite file of its own)")

    s = sub.add_parser("serve", help="run the Open311 GeoReport v2 API")
    s.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    s.add_argument("--port", type=_port("--port"), default=8311, help="port (default 8311; 0: any free port)")
    s.add_argument("--db", default=None, help="database URL (default sqlite:///twin-services.sqlite)")
    s.add_argument("--city", default="demo", help="city whose bounds and streets requests are checked against")
    s.add_argument("--jurisdiction", help="jurisdiction_id (default <city-slug>.ro)")
    s.add_argument("--anonymous-rate", type=_nonneg_int("--anonymous-rate"), default=1200,
                   help="requests a minute per address without a key (0: no limit)")
    s.add_argument("--cors-origin", action="append", help="allow browser calls from this origin (repeatable)")
    s.add_argument("--gtfs-rt", action="store_true",
                   help="also run the city's buses live from now and serve their GTFS-Realtime feeds at "
                        "/gtfs-rt/trip-updates.pb and /gtfs-rt/vehicle-positions.pb (needs a city with GTFS)")
    s.add_argument("--gtfs-rt-population", type=_bounded("--gtfs-rt-population", int, 0, MAX_POPULATION, ""),
                   default=2000, help="with --gtfs-rt: citizens riding the live buses (default 2000)")
    s.add_argument("--gtfs-rt-speed", type=_positive_float("--gtfs-rt-speed"), default=1.0,
                   help="with --gtfs-rt: simulated seconds per second (default 1: real time)")

    k = sub.add_parser("keys", help="API keys of the Open311 API")
    ksub = k.add_subparsers(dest="keys_command", metavar="SUBCOMMAND")
    ksub.required = True
    kc = ksub.add_parser("create", help="create a key and print it (only its hash is stored)")
    kc.add_argument("name", help="who the key is for")
    kc.add_argument("--role", default="client", choices=["client", "staff", "admin"])
    kc.add_argument("--rate", type=_nonneg_int("--rate"), default=600, help="requests a minute (0: no limit)")
    kc.add_argument("--db", default=None, help="database URL (default sqlite:///twin-services.sqlite)")

    lt = sub.add_parser("loadtest", help="load-test an endpoint")
    ltsub = lt.add_subparsers(dest="target", metavar="TARGET")
    ltsub.required = True
    lo = ltsub.add_parser("open311", help="drive an Open311 endpoint with a city's citizens, on Locust")
    lo.add_argument("--url", help="endpoint root, e.g. http://127.0.0.1:8311/open311/v2")
    lo.add_argument("--rate", type=_positive_float("--rate"),
                    help="mean arrivals a second (offered; with --events: the day's profile scaled to it)")
    lo.add_argument("--duration", type=_positive_float("--duration"), default=10.0,
                    help="seconds of arrivals; the run then waits at most --timeout for answers (default 10)")
    lo.add_argument("--api-key", help="API key sent with every call (reads too)")
    lo.add_argument("--events", help="a run's events.parquet or run folder: replay its citizens' day")
    lo.add_argument("--speed", type=_positive_float("--speed"), help="city seconds a second with --events (default 60)")
    lo.add_argument("--start-h", type=float, help="city hour where the replay starts (default: the first event)")
    lo.add_argument("--post-share", type=float, default=0.5, help="share of reports without --events (default 0.5)")
    lo.add_argument("--arrivals", choices=["uniform", "poisson"], default="uniform",
                    help="without --events: evenly spaced (default, as ab) or Poisson arrivals")
    lo.add_argument("--connection", choices=["keep-alive", "close"], default="keep-alive",
                    help="reuse each user's connection (default) or open one per call (as ab without -k)")
    lo.add_argument("--city", default="demo", help="city to draw report locations from, without --events")
    lo.add_argument("--max-in-flight", type=_nonneg_int("--max-in-flight"), default=256,
                    help="Locust users: calls in flight at most (default 256)")
    lo.add_argument("--timeout", type=_positive_float("--timeout"), default=10.0, help="seconds a call may take")
    lo.add_argument("--seed", type=_nonneg_int("--seed"), default=0)
    lo.add_argument("--workers", type=_nonneg_int("--workers"), default=0,
                    help="run Locust's master and N local worker processes (default 0: one process)")
    lo.add_argument("--master", action="store_true", help="run a master for workers on other machines")
    lo.add_argument("--expect-workers", type=_nonneg_int("--expect-workers"), default=1,
                    help="with --master: workers to wait for")
    lo.add_argument("--master-bind", default="*", help="with --master: address to listen on (default all)")
    lo.add_argument("--master-port", type=_nonneg_int("--master-port"), default=5557, help="the master's port")
    lo.add_argument("--worker", action="store_true", help="be a Locust worker of a master (--master-host)")
    lo.add_argument("--master-host", help="with --worker: the master's host")
    lo.add_argument("--report", help="write the report to PREFIX.json, PREFIX.csv and PREFIX.html")
    lo.add_argument("--json", action="store_true", help="print JSON")
    lm = ltsub.add_parser("mqtt", help="drive an MQTT broker with a device fleet and measure what arrives")
    lm.add_argument("--url", help="broker, e.g. mqtt://127.0.0.1:1883 (required, but with --worker)")
    lm.add_argument("--devices", type=_nonneg_int("--devices"), default=1000, help="simulated devices (default 1000)")
    lm.add_argument("--rate", type=_positive_float("--rate"), help="messages a second (offered; required, but with "
                                                                  "--worker)")
    lm.add_argument("--duration", type=_positive_float("--duration"), default=10.0, help="seconds (default 10)")
    lm.add_argument("--qos", type=int, choices=[0, 1], default=1)
    lm.add_argument("--pack", type=_nonneg_int("--pack"), default=1, help="SenML readings per message (default 1)")
    lm.add_argument("--user", help="broker user name")
    lm.add_argument("--password", help="broker password")
    lm.add_argument("--json", action="store_true", help="print the JSON report (a one-line summary goes to stderr)")
    lm.add_argument("--per-device", action="store_true",
                    help="one MQTT connection per device, on Locust, measured by --sinks shared-subscription "
                         "processes (services.loadgen)")
    lm.add_argument("--sinks", type=_nonneg_int("--sinks"), default=2, help="with --per-device: measuring processes")
    lm.add_argument("--spawn-rate", type=_positive_float("--spawn-rate"), default=1000.0,
                    help="with --per-device: devices connecting a second (the connect storm)")
    lm.add_argument("--workers", type=_nonneg_int("--workers"), default=1,
                    help="with --per-device: generator processes the devices are spread over (default 1)")
    lm.add_argument("--commands", type=_number("--commands", float, 0, strict=False), default=0.0,
                    help="with --per-device: commands a second sent to devices, whose answers are timed")
    lm.add_argument("--ca-certs", help="with --per-device and mqtts://: CA file to verify the broker with")
    lm.add_argument("--certfile", help="with --per-device and mqtts://: client certificate (PEM) for a broker that "
                                       "requires one; its key too, unless --keyfile")
    lm.add_argument("--keyfile", help="with --certfile: the client certificate's private key (PEM)")
    lm.add_argument("--tls-insecure", action="store_true",
                    help="with --per-device and mqtts://: do not verify the broker's certificate")
    lm.add_argument("--seed", type=_nonneg_int("--seed"), default=0,
                    help="with --per-device: drives back-off jitter and command targets")
    lm.add_argument("--report", help="with --per-device: write PREFIX.json, PREFIX.csv and PREFIX.html")
    lm.add_argument("--master", action="store_true",
                    help="with --per-device: the generators are Locust workers on other machines (--worker); "
                         "the sinks run here and the report merges them")
    lm.add_argument("--expect-workers", type=_nonneg_int("--expect-workers"), default=1,
                    help="with --master: workers to wait for")
    lm.add_argument("--worker-timeout", type=_number("--worker-timeout", float, 0, strict=True), default=60.0,
                    help="with --master: seconds to wait for the --expect-workers workers to connect (default 60); "
                         "fewer by then is an error that says how many came")
    lm.add_argument("--master-bind", default="*", help="with --master: address to listen on (default all)")
    lm.add_argument("--master-port", type=_nonneg_int("--master-port"), default=5557, help="the master's port")
    lm.add_argument("--worker", action="store_true",
                    help="be a Locust worker of a fleet run by twin loadtest mqtt --per-device --master "
                         "(--master-host); the fleet's options come from the master")
    lm.add_argument("--master-host", help="with --worker: the master's host")
    lm.add_argument("--sink-split", choices=["type", "shared"], default="type",
                    help="with --per-device: the sinks split the telemetry by device type (1-4 sinks; "
                         "survives a broker restart) or share one MQTT shared subscription (any number)")

    c = sub.add_parser("city", help="city commands")
    csub = c.add_subparsers(dest="city_command", metavar="SUBCOMMAND")
    csub.required = True
    ci = csub.add_parser("info", help="describe a city: nodes, edges, bbox, POIs, load time")
    ci.add_argument("--city", default="demo", help="'demo', a file, or a place name")
    ci.add_argument("--network", default="all", choices=["all", "drive", "walk"])
    ci.add_argument("--json", action="store_true", help="print JSON")

    sub.add_parser("scenarios", help="list the scenario library")

    sw = sub.add_parser("sweep", help="run a parameter sweep with replications on Dask")
    sw.add_argument("scenario", help="library name or YAML file")
    sw.add_argument("--param", required=True, help="dotted.field=v1,v2,… (e.g. demand.report_multiplier=1,2,4)")
    sw.add_argument("--replications", type=_nonneg_int("--replications"), default=2)
    sw.add_argument("--workers", type=_nonneg_int("--workers"), default=2, help="LocalCluster worker processes")
    sw.add_argument("--scheduler", help="a running Dask scheduler, e.g. tcp://host:8786")
    sw.add_argument("--city", help="override the scenario's city")
    sw.add_argument("--population", type=_bounded("--population", int, 0, MAX_POPULATION, ""))
    sw.add_argument("--hours", type=_positive_float("--hours"))
    sw.add_argument("--out", default="runs/sweep", help="folder for the runs and sweep.json")
    sw.add_argument("--force", action="store_true", help="replace a finished sweep in --out")
    sw.add_argument("--json", action="store_true")

    an = sub.add_parser("analyze", help="a run's KPIs, incident hotspots (Gi*), plausibility, and an open-data export")
    an.add_argument("run", help="run directory")
    an.add_argument("--export", help="write anonymised open-data tables (CSV + Parquet) to this folder")
    an.add_argument("--k", type=_nonneg_int("--k"), default=10, help="suppress cells under k citizens (default 10)")
    an.add_argument("--anomalies", action="store_true",
                    help="detect sensor anomalies and score them against the injected faults "
                         "(needs a run with sensors.log_telemetry: true)")
    an.add_argument("--forecast", type=_nonneg_int("--forecast"), metavar="DAYS",
                    help="forecast requests by category for DAYS days, with a backtest of the last DAYS days")
    an.add_argument("--plausibility", action="store_true",
                    help="compare the run with the figures it was built from: modal split, trips per mode, walk "
                         "legs, emergencies and reports per 1,000 a day, persona shares")
    an.add_argument("--json", action="store_true")

    cp = sub.add_parser("compare", help="compare two runs or replication sets: KPIs with 95%% CIs, checked for "
                                         "confounding (exit 2 when A and B differ in more than the intervention)")
    cp.add_argument("run_a", help="run directory or replications directory (A)")
    cp.add_argument("run_b", help="run directory or replications directory (B)")
    cp.add_argument("--allow-different", nargs="+", default=[], metavar="PARAM",
                    help="parameters (dotted, or a section such as incidents) that may differ besides the "
                         "declared intervention; seed, city and population name the setting")
    cp.add_argument("--html", help="write an HTML report with plotly figures here")
    cp.add_argument("--json", action="store_true", help="print JSON")

    st = sub.add_parser("study", help="run a scenario and its baseline with common random numbers and compare them")
    st.add_argument("scenario", help="library scenario or YAML file that names its baseline: (e.g. new_ambulance_station)")
    st.add_argument("--city", help="'demo', an .osm/.osm.bz2/.osm.pbf/.graphml file, or a place name")
    st_size = st.add_mutually_exclusive_group()
    st_size.add_argument("--population", type=_bounded("--population", int, 0, MAX_POPULATION, ""),
                         help="number of citizens (both sides)")
    st_size.add_argument("--scale", type=_bounded("--scale", float, 0, 1, " (a fraction of the city's population)"),
                         help="fraction of the city's population")
    st.add_argument("--hours", type=_positive_float("--hours"), help="simulated hours")
    st.add_argument("--seed", type=_nonneg_int("--seed"), help="first seed (replication k uses seed+k on both sides)")
    st.add_argument("--replications", type=_number("--replications", int, 1, strict=False), default=5,
                    help="replications per side (default 5)")
    st.add_argument("--study", nargs="+", default=[], metavar="SETTING",
                    help="study settings for both sides besides the scenario's own (emergencies_x10, reports_x80, "
                         "fast, horizon_x2)")
    st.add_argument("--set", nargs="+", default=[], metavar="FIELD=VALUE", dest="sets",
                    help="set a dotted scenario field on both sides, e.g. incidents.medical_per_1000_per_day=20")
    st.add_argument("--target-effect", nargs="+", default=[], metavar="[KPI=]EFFECT",
                    help="suggest the replications needed to detect this difference (in the KPI's unit; "
                         "without KPI= for each KPI the scenario names)")
    st.add_argument("--workers", type=_nonneg_int("--workers"), help="run the replications on a Dask LocalCluster "
                                                                      "of N worker processes")
    st.add_argument("--scheduler", help="run the replications on this Dask scheduler, e.g. tcp://host:8786")
    st.add_argument("--out", help="study folder (default: runs/study-<scenario>-<city>-<time>)")
    st.add_argument("--force", action="store_true",
                    help="replace another study's results in --out, or replications there that cannot be reused "
                         "(other settings or code)")
    st.add_argument("--json", action="store_true", help="print the comparison as one JSON line last")
    st.add_argument("--no-progress", action="store_true", help="no progress bar")

    ch = sub.add_parser("chat", help="talk to the citizen assistant (or: twin chat eval FILE.jsonl | "
                                     "--dialogues FILE.jsonl)")
    ch.add_argument("eval", nargs="?", choices=["eval"], help="score the assistant on a labelled file")
    ch.add_argument("file", nargs="?", help="JSONL file of {text, lang, intent, slots} (for eval)")
    ch.add_argument("--dialogues", metavar="FILE", help="with eval: score scripted conversations "
                                                        "{id, lang, turns, goal} (task success, turns, wrong actions)")
    ch.add_argument("--city", default="demo", help="city whose streets and bus stops the assistant knows")
    ch.add_argument("--json", action="store_true", help="print the evaluation as JSON")
    return p


def main(argv=None) -> int:
    """Run the ``twin`` command; the exit code (see the module docstring).

    argparse reports a bad option itself (usage, the option and the value, exit 2); everything a
    command raises is turned into one line and a code by :func:`explain`.
    """
    args = build_parser().parse_args(argv)
    debug = args.debug or os.environ.get(DEBUG_ENV, "") not in ("", "0")
    try:
        code = _dispatch(args)
        sys.stdout.flush()                  # a closed pipe is found here, not at interpreter exit
        return code
    except KeyboardInterrupt:
        print("twin: interrupted", file=sys.stderr)
        return 130
    except BaseException as exc:  # noqa: BLE001 - the one place an error becomes a message and a code
        code, message = explain(exc, args)
        if debug and code not in (0, 141):
            import traceback

            traceback.print_exc()
        if code == 141:                     # nobody reads stdout any more: say nothing on exit either
            try:
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            except (OSError, ValueError):
                pass
        if message:
            print(f"twin: error: {_one_line(message)}", file=sys.stderr)
        return code


def explain(exc: BaseException, args) -> tuple[int, str | None]:
    """The exit code and the one-line message for an error raised by a command.

    Parameters
    ----------
    exc
        What the command raised.
    args
        The parsed command line: a message names the option the error is about (``--db``,
        ``--port``) with the value the user gave.

    Returns
    -------
    (int, str or None)
        The exit code (module docstring) and the message (None: print nothing).
    """
    if isinstance(exc, TwinError):          # ours: already names the field and value
        return exc.exit_code, str(exc)      # 2, or 3 for KernelNotBuiltError only
    if isinstance(exc, SystemExit):         # a library gave up and called sys.exit (uvicorn, werkzeug)
        if exc.code in (0, None):
            return 0, None
        if args.command in ("serve", "dash"):
            return 2, (f"--host {args.host} --port {args.port}: the server could not start "
                       f"(its reason is printed above)")
        return 1, f"internal error: a library stopped the command (exit {exc.code}); {_debug_hint()}"
    if isinstance(exc, BrokenPipeError):
        return 141, None
    if getattr(args, "db", None) and _is_database_error(exc):
        return 2, f"--db {_safe_url(args.db)}: {_first_line(exc)}"
    if isinstance(exc, FileNotFoundError) or (
            isinstance(exc, (PermissionError, IsADirectoryError, NotADirectoryError)) and exc.filename):
        # a path the user gave (a run folder, a file) that is missing or unusable
        return 2, f"{exc.filename}: {exc.strerror}" if exc.filename else _first_line(exc)
    if isinstance(exc, MemoryError):
        return 1, "out of memory; try a smaller --population or --scale"
    return 1, f"internal error: {type(exc).__name__}: {_first_line(exc)}; {_debug_hint()}"


def _debug_hint() -> str:
    return f"rerun with --debug (twin --debug {' '.join(sys.argv[1:2]) or 'COMMAND'} …) or {DEBUG_ENV}=1 for the traceback"


def _first_line(exc: BaseException) -> str:
    lines = [line for line in str(exc).splitlines() if line.strip()]
    return lines[0].strip() if lines else type(exc).__name__


def _one_line(text: str, limit: int = MAX_MESSAGE) -> str:
    """``text`` on one line, cut to ``limit`` characters saying how much was left out."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(text) - limit:,} more characters)"


def _is_database_error(exc: BaseException) -> bool:
    try:
        from sqlalchemy.exc import SQLAlchemyError
    except ImportError:                     # pragma: no cover - sqlalchemy is a dependency
        return False
    return isinstance(exc, SQLAlchemyError)


def _safe_url(url: str) -> str:
    """A database URL as it may be printed: its password hidden."""
    try:
        from sqlalchemy.engine import make_url

        return repr(make_url(url).render_as_string(hide_password=True))
    except Exception:  # noqa: BLE001 - a URL sqlalchemy cannot parse is shown as given
        return repr(url)


def check_db(url: str) -> None:
    """Exit-2 error (TwinError naming ``--db``) unless the database at ``url`` can be opened.

    Checked before a command starts, so a typo or a database that is down is one clear line
    instead of a traceback after the run directory was made. Nothing is created but an empty
    SQLite file."""
    from services.store import open_store

    shown = _safe_url(url)
    try:
        store = open_store(url, create=False)
    except ValueError as exc:
        raise TwinError(f"--db {shown}: {str(exc).split(': ', 1)[-1]}") from None
    except Exception as exc:  # noqa: BLE001 - any driver or URL error is about --db
        raise TwinError(f"--db {shown}: {_first_line(exc)}") from None
    try:
        with store.engine.connect():
            pass
    except Exception as exc:  # noqa: BLE001 - refused, unknown host, bad password, no such file
        orig = getattr(exc, "orig", None) or exc
        raise TwinError(f"--db {shown}: cannot connect: {_first_line(orig)}") from None
    finally:
        store.close()


def listen_port(host: str, port: int) -> int:
    """The port a server will listen on: ``port``, or a free one if ``port`` is 0.

    Binds a socket once, as the servers do (``SO_REUSEADDR``), so that a busy port, a port
    needing privileges or a ``--host`` that is not this machine's is an exit-2 error naming
    the option and value — before any work starts, and never a library's own exit code.
    """
    import socket

    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except (socket.gaierror, UnicodeError) as exc:
        raise TwinError(f"--host {host!r}: not a name or address of this machine "
                        f"({getattr(exc, 'strerror', None) or exc})") from None
    family, kind, proto, _, addr = infos[0]
    with socket.socket(family, kind, proto) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(addr)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise TwinError(f"--port {port}: already in use on {host}; stop the program listening "
                                f"there or choose another port (--port 0 picks a free one)") from None
            if exc.errno in (errno.EACCES, errno.EPERM):
                raise TwinError(f"--port {port}: permission denied on {host} "
                                f"(ports below 1024 need privileges)") from None
            if exc.errno == errno.EADDRNOTAVAIL:
                raise TwinError(f"--host {host!r}: not an address of this machine") from None
            raise TwinError(f"--host {host!r} --port {port}: cannot listen ({exc.strerror or exc})") from None
        return s.getsockname()[1]


def _dispatch(args) -> int:
    """Run the command named in ``args``; its exit code."""
    if args.command == "run":
        return _run(args)
    if args.command == "city":
        return _city_info(args)
    if args.command == "analyze":
        return _analyze(args)
    if args.command == "sweep":
        return _sweep(args)
    if args.command == "compare":
        return _compare(args)
    if args.command == "study":
        return _study(args)
    if args.command == "chat":
        return _chat(args)
    if args.command == "serve":
        return _serve(args)
    if args.command == "dash":
        from dash_app.app import serve as dash_serve

        if args.db:
            if args.no_live:
                raise TwinError("--db: the live twin's store; there is none with --no-live")
            check_db(args.db)
        port = listen_port(args.host, args.port)
        print(f"twin dash: the control room on http://{args.host}:{port}/ (Ctrl-C stops it)", flush=True)
        dash_serve(args.host, port, args.runs, None if args.no_live else args.live, args.city,
                   args.population, args.speed, args.services_url, db=args.db)
        return 0
    if args.command == "keys":
        return _keys(args)
    if args.command == "loadtest":
        return _loadtest(args)
    if args.command == "scenarios":
        from scenarios import library_names, load_scenario

        for n in library_names():
            print(f"{n:24s} {load_scenario(n).description.strip().splitlines()[0] if load_scenario(n).description else ''}")
        return 0
    return 2


def _run(args) -> int:
    from scenarios import load_scenario
    from twin_app.run import RunFailed, check_out, population_of, run_scenario

    scenario = load_scenario(args.scenario, city=args.city, population=args.population, scale=args.scale,
                             hours=args.hours, seed=args.seed, replications=args.replications, study=args.study)
    if args.db:
        check_db(args.db)
    city = load_city_for(scenario)
    _check_size(args, scenario, population_of(scenario, city), city)
    if args.out is not None:                # a file, unwritable, someone's folder, a finished run
        check_out(args.out, overwrite=args.force)
    update = {k: v for k, v in (("url", args.services_url), ("api_key", args.api_key),
                                ("staff_key", args.staff_key), ("db_url", args.db)) if v}
    if update:
        scenario.services = scenario.services.model_copy(update=update)
    chain = {k: v for k, v in (("chain_url", args.chain_url), ("private_key", args.chain_key)) if v}
    if chain:
        scenario.ledger = scenario.ledger.model_copy(update=chain)
    mqtt = None
    if args.mqtt:
        from sensors.bridge import MqttParams, parse_url

        parse_url(args.mqtt)
        if args.mqtt_ca and not os.path.isfile(args.mqtt_ca):
            raise TwinError(f"--mqtt-ca {args.mqtt_ca!r}: no such file (the CA certificate, PEM)")
        mqtt = MqttParams(url=args.mqtt, qos=args.mqtt_qos, username=args.mqtt_user, password=args.mqtt_password,
                          ca_certs=args.mqtt_ca, tls_insecure=args.mqtt_insecure)
    if scenario.replications > 1:
        from twin_app.run import default_run_dir, run_replications

        out = args.out or default_run_dir(scenario, city)
        summary = run_replications(scenario, out, progress=not args.no_progress and not args.json, mqtt=mqtt,
                                   city=city, overwrite=args.force)
        if args.json:
            print(json.dumps({k: v for k, v in summary.items() if k != "runs"} |
                             {"run_dirs": [r["run_dir"] for r in summary["runs"]]}, ensure_ascii=False, default=str))
        else:
            from services.analytics.compare import summarise

            print(f"SmartCity Twin — {summary['replications']} replications of {scenario.name!r} on {summary['city']} "
                  f"in {out}")
            from services.analytics.kpi_catalogue import Interval, fmt_interval

            for name, v in summarise(out).items():
                if v["mean"] is not None:
                    print(f"  {v['label'] + ' (' + v['unit'] + ')':52s} "
                          f"{fmt_interval(Interval(v['mean'], *v['interval']), v['unit'])}")
        return 0
    try:
        summary = run_scenario(scenario, out=args.out, progress=not args.no_progress and not args.json, mqtt=mqtt,
                               city=city, overwrite=args.force)
    except RunFailed as exc:          # the figures so far still go to a script reading --json
        if args.json and exc.summary is not None:
            print(json.dumps({**exc.summary, "status": "failed", "reason": str(exc)}, ensure_ascii=False,
                             separators=(",", ":"), default=str))
        raise
    if args.json:
        print(json.dumps(summary, ensure_ascii=False, separators=(",", ":"), default=str))
    else:
        _print_summary(summary)
    return 0


def _check_size(args, scenario, population: int, city) -> None:
    """Refuse, without ``--allow-large``, a scale above 1 (more citizens than the city has) or
    more than :data:`MAX_POPULATION` citizens: a typo (``--scale 7``) would otherwise start a
    run of millions of agents that exhausts the machine's memory after minutes."""
    if args.allow_large:
        return
    if args.scale is not None:
        given = f"--scale {args.scale:g}"
    elif args.population is not None:
        given = f"--population {args.population}"
    elif scenario.scale is not None:
        given = f"scenario {args.scenario!r}: scale {scenario.scale:g}"
    else:
        given = f"scenario {args.scenario!r}: population {scenario.population}"
    if scenario.scale is not None and scenario.scale > 1:
        raise TwinError(f"{given} is more than the whole city ({population:,} citizens for "
                        f"{city.population:,} inhabitants); the scale is a fraction, 0 < scale <= 1 — "
                        f"pass --allow-large to run it anyway")
    if population > MAX_POPULATION:
        raise TwinError(f"{given} gives {population:,} citizens, more than {MAX_POPULATION:,}; "
                        f"pass --allow-large to run it anyway")


def _print_summary(s: dict) -> None:
    k = s["kpis"]
    m = k.get("mobility", {})
    print(f"SmartCity Twin — scenario {s['scenario']!r} on {s['city']} (seed {s['seed']})")
    print(f"  citizens {s['agents']:,}   simulated {s['sim_hours']:g} h in {s['wall_s']:.1f} s   events {s['events']:,}")
    print(f"  trips: {m.get('trips_started', 0):,} started, {m.get('trips_completed', 0):,} completed, "
          f"{m.get('trips_unreachable', 0):,} unreachable, {m.get('in_transit', 0):,} still travelling")
    for mode in ("car", "walk", "bus"):
        d = m.get(mode) or {}
        if d.get("trips"):
            print(f"  {mode:5s} {d['trips']:>8,} trips  {d['km']:>10,.1f} km   trip time mean {d['mean_min']:.1f} min, "
                  f"p50 {d['p50_min']:.1f}, p95 {d['p95_min']:.1f}")
    if m.get("busiest_edges"):
        top = ", ".join(f"{b['street'] or 'unnamed'} ({b['entries']:,})" for b in m["busiest_edges"][:3])
        print(f"  busiest streets: {top}")
    j = k.get("journeys") or {}
    if j.get("boardings"):
        print(f"  buses: {j['boardings']:,} boardings, wait mean {j['wait_mean_min']:.1f} min, "
              f"p95 {j['wait_p95_min']:.1f}")
        tr = j.get("transit") or {}
        if tr.get("journeys_by_transfers"):
            by = ", ".join(f"{n:,} with {k}" for k, n in tr["journeys_by_transfers"].items())
            print(f"  bus journeys by transfers: {by}; missed connections {tr.get('missed_connections', 0):,}")
    if j.get("long_walks"):
        print(f"  long walks (walk legs beyond the limit, no other way): {j['long_walks']:,}, "
              f"median {j['long_walk_km_p50']} km")
    d = k.get("demand") or {}
    if d:
        cats = ", ".join(f"{c} {n}" for c, n in sorted(d["reports_by_category"].items(), key=lambda x: -x[1])[:5])
        print(f"  reports: {d['reports_filed']:,} filed ({cats}); chatbot questions {d['chat_questions']:,}; "
              f"permit applications {sum(d['permit_applications'].values()):,}")
    t = k.get("taxes") or {}
    if t:
        print(f"  tax payments: {t['payments']:,} ({t['amount_ron']:,.2f} RON)")
    i = k.get("incidents") or {}
    if i:
        made = ", ".join(f"{kind} {n}" for kind, n in i["created"].items() if n)
        print(f"  incidents: {i['total']:,} ({made or 'none'})")
    r = (k.get("responders") or {}).get("response_time") or {}
    if r:
        print("  response time p50/p90 (min): " + ", ".join(f"{kind} {v['p50_min']:.1f}/{v['p90_min']:.1f}"
                                                          for kind, v in r.items()))
    cb = k.get("chatbot") or {}
    if cb.get("conversations"):
        print(f"  chatbot: {cb['conversations']:,} conversations, containment {cb['containment_rate']:.0%}, "
              f"{cb['handoffs']:,} handoffs, {cb['wrong_actions']:,} wrong actions, intent accuracy "
              f"{cb['intent_accuracy']:.0%}")
    lg = k.get("ledger") or {}
    if lg:
        print(f"  ledger ({lg['chain']}): {lg['payments_anchored']:,} payments in {lg['batches_anchored']:,} anchored "
              f"batches, {lg['payments_queued']:,} queued; {lg['permits_issued']:,} permits issued")
    sv = k.get("services") or {}
    if sv:
        print(f"  city hall: {sv['received']:,} requests received ({sv['duplicates']:,} duplicates), "
              f"{sv['closed']:,} closed, {sv['open']:,} open, {sv['sla_breached']:,} SLA breaches"
              + (f", {sv['sla_met_share']:.0%} closed within SLA" if sv.get("sla_met_share") is not None else ""))
    print(f"  run directory: {s['run_dir']}")
    print(f"  {k.get('attribution', '')}")


def load_city_for(scenario):
    from twin.city import load_city

    return load_city(scenario.city)


def _analyze(args) -> int:
    from pathlib import Path

    from services.analytics.kpis import run_kpis
    from services.analytics.safety import incident_hotspots
    from twin.city import load_city

    run = Path(args.run)
    if not (run / "manifest.json").exists():
        raise TwinError(f"{args.run}: not a run directory (no manifest.json)")
    k = run_kpis(run)
    src = json.loads((run / "manifest.json").read_text())["city"]["source"]
    k["incident_hotspots"] = incident_hotspots(run, load_city(src))
    if args.export:
        from services.analytics.opendata import export

        try:
            k["open_data"] = export(run, args.export, k=args.k)
        except ValueError as exc:
            raise TwinError(f"--k: {exc}") from None
    if args.anomalies:
        from services.analytics.anomaly import evaluate

        try:
            k["anomalies"] = evaluate(run)
        except ValueError as exc:
            raise TwinError(f"--anomalies: {exc}") from None
    if args.forecast:
        from services.analytics.forecast import backtest, forecast

        try:
            k["forecast"] = {"next": forecast(run, args.forecast), "backtest": backtest(run, args.forecast)}
        except ValueError as exc:
            raise TwinError(f"--forecast: {exc}") from None
    if args.plausibility:
        from services.analytics.plausibility import plausibility

        k["plausibility"] = plausibility(run)
    if args.json:
        print(json.dumps(k, default=str))
        return 0
    from services.analytics.kpi_catalogue import entry, fmt

    for name, v in k.items():
        if not isinstance(v, (dict, list)):
            try:
                e = entry(name)
                print(f"  {e.label:48s} {fmt(v, e.unit)}")
            except KeyError:
                print(f"  {name:48s} {v}")
    if args.anomalies:
        a = k["anomalies"]
        print(f"  sensor anomalies: {a['alarm_episodes']} alarm episodes, precision {a['precision']}, "
              f"recall {a['recall']} of {a['episodes']} injected faults "
              f"({a['observable']['recall']} of the {a['observable']['episodes']} visible in the data), "
              f"median delay {a['delay_min_median']} min")
    if args.forecast:
        b = k["forecast"]["backtest"]
        print(f"  forecast backtest ({b['history_days']} days -> {b['horizon_days']}): MAE {b['mae']} requests "
              f"per category-day (naive {b['mae_naive']}, MASE {b['mase']}), 90% interval coverage "
              f"{b['interval90_coverage']}")
    print(f"  incident hotspots (Gi*, FDR 5%): {len(k['incident_hotspots'])}"
          + "".join(f"\n    {h['lat']:.5f}, {h['lon']:.5f}  events {h['count']}  z {h['z']}" for h in k["incident_hotspots"][:5]))
    if args.export:
        print(f"  open data ({args.export}, k={args.k}): " + ", ".join(
            f"{n} {r['rows']} rows ({r['suppressed']} suppressed)" for n, r in k["open_data"].items()))
    if args.plausibility:
        from services.analytics.plausibility import to_text

        print(to_text(k["plausibility"]))
    return 0


def _sweep(args) -> int:
    from scenarios import load_scenario
    from twin_app.sweep import parse_values, sweep

    if "=" not in args.param:
        raise TwinError(f"--param {args.param!r}: give dotted.field=v1,v2")
    name, values = args.param.split("=", 1)
    scenario = load_scenario(args.scenario, city=args.city, population=args.population, hours=args.hours)
    try:
        r = sweep(scenario, name, parse_values(values), max(1, args.replications), args.out, workers=max(1, args.workers),
                  scheduler=args.scheduler, overwrite=args.force)
    except ValueError as exc:
        raise TwinError(str(exc)) from None
    if args.json:
        print(json.dumps(r, default=str))
        return 0
    print(f"sweep of {name} over {r['values']} × {r['replications']} replications → {args.out}/sweep.json")
    for v, row in r["table"].items():
        cells = ", ".join(f"{n} {m['mean']:.4g}" + (f"±{m['ci95']:.2g}" if m["ci95"] is not None else "")
                          for n, m in row.items() if m["mean"] is not None and n in (
                              "requests_received", "resolution_h_median", "sla_compliance", "response_min_p50"))
        print(f"  {name}={v}: {cells}")
    return 0


def _compare(args) -> int:
    from scenarios.guard import check, diff_lines, message
    from services.analytics.compare import report_html
    from twin_app.study import compare_runs

    guard = check(args.run_a, args.run_b, args.allow_different)     # TwinError: not a run, a bad PARAM
    if guard["confounded"]:
        if args.json:
            print(json.dumps({"a": args.run_a, "b": args.run_b, "diff": guard["diff"], "paired": guard["paired"],
                              "confounded": guard["confounded"], "declared": guard["declared"]}, default=str,
                             ensure_ascii=False))
        else:
            print(f"A = {args.run_a}   B = {args.run_b}\n  parameters that differ (B vs A):")
            for line in diff_lines(guard):
                print(f"    {line}")
        raise TwinError(message(guard))
    try:
        r = compare_runs(args.run_a, args.run_b, args.allow_different)
    except FileNotFoundError as exc:
        raise TwinError(str(exc)) from None
    if args.html:
        report_html(r, args.html)
    if args.json:
        print(json.dumps(r, default=str, ensure_ascii=False))
        return 0
    print(f"A = {args.run_a}   B = {args.run_b}")
    for line in _comparison_lines(r):
        print(line)
    if args.html:
        print(f"  report: {args.html}")
    return 0


def _fmt_ci(m, h) -> str:
    return "–" if m is None else (f"{m:.4g}" + (f" ± {h:.2g}" if h is not None else ""))


def _comparison_lines(r: dict, district_kpis=("response_min_p90", "response_min_p50")) -> list[str]:
    """The comparison as text: the parameter diff, the KPI table with the minimum detectable
    difference (MDD), trip times, and the districts whose difference is significant."""
    from scenarios.guard import diff_lines

    out = [f"  replications {r['replications']}   "
           f"{'paired (common random numbers)' if r['paired'] else 'independent (seeds differ)'}   "
           f"confounded: {', '.join(r['confounded']) or 'none'}"]
    out += ["  parameters that differ (B vs A):"] + [f"    {line}" for line in diff_lines(r)] if r["diff"] else \
        ["  parameters: A and B differ in nothing but their names"]
    out.append(f"  {'KPI':44s} {'A (mean ± 95% CI)':>18s} {'B (mean ± 95% CI)':>18s} {'B − A':>18s}   {'MDD':>7s}")
    rows = list(r["kpis"].items()) + list((r.get("trips") or {}).items()) + list((r.get("traffic") or {}).items())
    for name, v in rows:
        if v["a"] is None and v["b"] is None:
            continue
        label = f"{v['label']} ({v['unit']})" if v.get("label") else name
        mdd = "–" if v.get("mdd") is None else f"{v['mdd']:.3g}"
        out.append(f"  {label[:44]:44s} {_fmt_ci(v['a'], v['a_ci95']):>18s} {_fmt_ci(v['b'], v['b_ci95']):>18s} "
                   f"{_fmt_ci(v['diff'], v['diff_ci95']):>18s}{' *' if v['significant'] else '  '} {mdd:>7s}")
    out.append("  * the 95% interval of B − A excludes 0.  MDD: the smallest difference these replications detect "
               "with 80% power (5% level)")
    by = r.get("by_district") or {}
    for kpi in district_kpis:
        rows = sorted(((d, row[kpi]) for d, row in by.items() if kpi in row and row[kpi]["diff"] is not None),
                      key=lambda x: x[1]["diff"])
        if rows:
            out.append(f"  {kpi} by district (B − A, largest falls first):")
            out += [f"    {d[:30]:30s} {_fmt_ci(v['a'], v['a_ci95']):>16s} → {_fmt_ci(v['b'], v['b_ci95']):>16s}   "
                    f"{_fmt_ci(v['diff'], v['diff_ci95']):>16s}{' *' if v['significant'] else ''}" for d, v in rows]
    return out


def _target_effects(items, kpis) -> dict:
    out = {}
    for item in items:
        name, _, text = item.rpartition("=")
        try:
            value = float(text)
        except ValueError:
            raise TwinError(f"--target-effect {item!r}: give EFFECT or KPI=EFFECT, a number in the KPI's unit") from None
        for n in ([name] if name else kpis):
            out[n] = value
    if items and not out:
        raise TwinError("--target-effect: the scenario names no KPIs; give KPI=EFFECT")
    return out


def _study(args) -> int:
    from scenarios import load_scenario
    from twin_app.study import run_study

    targets = _target_effects(args.target_effect, load_scenario(args.scenario).kpis)
    r = run_study(args.scenario, out=args.out, workers=args.workers, scheduler=args.scheduler, target_effect=targets,
                  overwrite=args.force,
                  progress=not args.no_progress and not args.json, city=args.city, population=args.population,
                  scale=args.scale, hours=args.hours, seed=args.seed, replications=args.replications,
                  study=args.study, sets=args.sets)
    st = r["study"]
    if args.json:
        print(json.dumps(r, default=str, ensure_ascii=False))
    else:
        print(f"SmartCity Twin — study of {st['scenario']!r} against {st['baseline']!r} on {st['city']}: "
              f"{st['population']:,} citizens, {st['hours']:g} h from {st['start']}, "
              f"study settings {', '.join(st['study_settings']) or 'none'}")
        if st["question"]:
            print(f"  question: {st['question']}")
        if st["intervention"]:
            print(f"  intervention: {st['intervention']}")
        for x in st["placed"]:
            print(f"  placed: {x.get('name')} in {x.get('district') or '?'} ({x['lat']:.5f}, {x['lon']:.5f})")
        if st["closed_districts"]:
            print(f"  closed roads run through: {', '.join(st['closed_districts'])}")
        for line in _comparison_lines(r):
            print(line)
        if st["expected"]:
            print(f"  expected: {' '.join(st['expected'].split())}")
        for name, v in (r.get("replications_needed") or {}).items():
            print(f"  to detect {name} {v['effect']:+g}: {v['replications'] or 'more pilot'} replications per side")
        print(f"  study folder: {st['folder']} (compare.json, report.html)")
    if r["confounded"]:
        raise TwinError(f"the study's sides differ in {', '.join(r['confounded'])}; this is a bug in twin study")
    return 0


def _chat(args) -> int:
    from services.chatbot.evaluate import EvalFileError, evaluate, load_jsonl
    from services.geo import CityArea
    from services.server import make_chatbot
    from twin.city import load_city

    if args.dialogues and not args.eval:
        raise TwinError("twin chat: --dialogues goes with eval (twin chat eval --dialogues FILE.jsonl)")
    city = load_city(args.city)
    if args.eval and args.dialogues:
        return _chat_dialogues(args, city)
    if args.eval:
        if not args.file:
            raise TwinError("twin chat eval: give the labelled FILE.jsonl (or --dialogues FILE.jsonl)")
        try:
            rows = load_jsonl(args.file)
        except EvalFileError as exc:
            raise TwinError(str(exc)) from None
        except UnicodeDecodeError as exc:
            raise TwinError(f"{args.file}: not UTF-8 text (byte 0x{exc.object[exc.start]:02x} at offset "
                            f"{exc.start}); give a JSONL file") from None
        except OSError as exc:
            raise TwinError(f"{args.file}: cannot read it ({exc.strerror or exc})") from None
        bot = make_chatbot(city, area=CityArea(city), ledger=False)
        r = evaluate(bot, rows)
        if args.json:
            print(json.dumps(r, ensure_ascii=False, default=str))
            return 0
        print(f"chatbot evaluation on {args.file}: {r['n']} messages ({city.name})")
        for name, m in [("all", r)] + [(k, v) for k, v in r["by_language"].items()]:
            print(f"  {name:4s} n={m['n']:<5} intent accuracy {m['intent_accuracy']:.1%}  macro-F1 {m['macro_f1']:.3f}  "
                  f"out_of_scope recall {m['out_of_scope_recall'] if m['out_of_scope_recall'] is not None else '-'}  "
                  f"slots P {m['slot_precision']:.3f} R {m['slot_recall']:.3f} F1 {m['slot_f1']:.3f}  "
                  f"latency p50 {m['latency_ms']['p50']:.2f} ms p95 {m['latency_ms']['p95']:.2f} ms")
        print("  per-intent recall: " + ", ".join(f"{k} {v:.2f}" for k, v in sorted(r["per_intent_recall"].items())))
        return 0
    from services.hall import CityHall
    from services.store import open_store, sqlite_url
    import tempfile

    area = CityArea(city)
    hall = CityHall(open_store(sqlite_url(f"{tempfile.mkdtemp(prefix='twin-chat-')}/chat.sqlite")), area)
    bot = make_chatbot(city, hall, area)
    print(f"SmartCity Twin assistant for {city.name} (Romanian or English; empty line or Ctrl-D to quit)")
    while True:
        try:
            line = input("> ")
        except EOFError:
            break
        if not line.strip():
            break
        r = bot.reply("cli", line)
        print(r["text"])
    return 0


def _chat_dialogues(args, city) -> int:
    """``twin chat eval --dialogues FILE``: scripted conversations against a bot with a scratch
    city hall and ledger (temporary SQLite files), so filings and payments really happen."""
    import tempfile

    from ledger.ledger import Ledger
    from services.chatbot.dialogues import evaluate_dialogues, load_dialogues
    from services.chatbot.evaluate import EvalFileError
    from services.geo import CityArea
    from services.hall import CityHall
    from services.server import make_chatbot
    from services.store import open_store, sqlite_url

    try:
        rows = load_dialogues(args.dialogues)
    except EvalFileError as exc:
        raise TwinError(str(exc)) from None
    tmp = tempfile.mkdtemp(prefix="twin-dialogues-")
    area = CityArea(city)
    bot = make_chatbot(city, CityHall(open_store(sqlite_url(f"{tmp}/hall.sqlite")), area), area, ledger=False)
    bot.ledger = Ledger.open(None, f"sqlite:///{tmp}/ledger.sqlite")
    r = evaluate_dialogues(bot, rows)
    if args.json:
        print(json.dumps(r, ensure_ascii=False, default=str))
        return 0
    print(f"dialogue evaluation on {args.dialogues}: {r['n']} conversations ({city.name})")
    for name, m in [("all", r)] + list(r["by_language"].items()) + list(r["by_goal"].items()):
        print(f"  {name:18s} n={m['n']:<4} task success {m['task_success']:.1%}  turns needed "
              f"{m['turns_needed_mean'] if m['turns_needed_mean'] is not None else '-'} (scripted "
              f"{m['turns_scripted_mean']})  wrong actions {m['wrong_actions']}  handoffs {m['handoffs']}")
    return 0


def _serve(args) -> int:
    from services.server import DEFAULT_DB, build_app, serve

    port = listen_port(args.host, args.port)
    check_db(args.db or DEFAULT_DB)
    live = None
    if args.gtfs_rt:
        from twin.city import load_city
        from twin_app.realtime import LiveTransit

        live = LiveTransit(load_city(args.city), population=args.gtfs_rt_population, speed=args.gtfs_rt_speed)
    app = build_app(args.db or DEFAULT_DB, args.city, jurisdiction_id=args.jurisdiction,
                    anonymous_rate_per_min=args.anonymous_rate, cors_origins=args.cors_origin, realtime=live)
    print(f"twin serve: Open311 GeoReport v2 at http://{args.host}:{port}/open311/v2/ "
          f"(docs /open311/v2/docs) — store {args.db or DEFAULT_DB}", flush=True)
    if live is not None:
        live.start()
        print(f"twin serve: GTFS-Realtime at http://{args.host}:{port}/gtfs-rt/trip-updates.pb and "
              f"/gtfs-rt/vehicle-positions.pb — the buses of {live.twin.city.name} from "
              f"{live.twin.start:%Y-%m-%d %H:%M:%S} at {args.gtfs_rt_speed:g}x", flush=True)
    serve(app, args.host, port)
    return 0


def _keys(args) -> int:
    from services.errors import RequestError
    from services.hall import CityHall
    from services.server import DEFAULT_DB
    from services.store import open_store

    check_db(args.db or DEFAULT_DB)
    store = open_store(args.db or DEFAULT_DB)
    try:
        key = CityHall(store).create_key(args.name, args.role, args.rate)
    except RequestError as exc:
        raise TwinError(str(exc)) from None
    finally:
        store.close()
    print(key)
    return 0


def _loadtest(args) -> int:
    if args.target == "mqtt" and args.worker:
        if not args.master_host:
            raise TwinError("--worker needs --master-host (the machine running twin loadtest mqtt --per-device --master)")
        import subprocess

        from services.loadgen.mqtt_runner import worker_command

        return subprocess.run(worker_command(args.master_host, args.master_port)).returncode
    if args.target == "mqtt":
        for opt, v in (("--url", args.url), ("--rate", args.rate)):
            if v is None:
                raise TwinError(f"{opt} is required (but with --worker)")
    if args.target == "mqtt" and (args.per_device or args.master):
        return _loadtest_mqtt_devices(args)
    if args.target == "mqtt":
        return _loadtest_mqtt(args)
    from services.loadgen import runner

    if args.worker:
        if not args.master_host:
            raise TwinError("--worker needs --master-host (the machine running twin loadtest open311 --master)")
        import subprocess

        return subprocess.run(runner.worker_command(args.master_host, args.master_port)).returncode
    if not args.url:
        raise TwinError("--url is required (the endpoint root, e.g. http://127.0.0.1:8311/open311/v2)")
    if not 0 <= args.post_share <= 1:
        raise TwinError(f"--post-share must be in [0, 1], got {args.post_share}")
    if args.events is None and args.rate is None:
        raise TwinError("--rate is required without --events (arrivals a second)")
    try:
        cfg, _ = runner.prepare(args.url, api_key=args.api_key, events=args.events, speed=args.speed,
                                rate=args.rate, duration_s=args.duration, post_share=args.post_share,
                                city=args.city, seed=args.seed, start_h=args.start_h, timeout_s=args.timeout,
                                max_in_flight=max(1, args.max_in_flight), arrivals=args.arrivals,
                                connection=args.connection)
        s = runner.run(cfg, workers=args.workers, master=args.master, expect_workers=args.expect_workers,
                       master_bind_host=args.master_bind if args.master else "127.0.0.1",
                       master_port=args.master_port if args.master else 0, report=args.report)
    except ValueError as exc:
        text = str(exc)
        raise TwinError(f"--{text}" if text.startswith(("rate", "duration", "speed", "max-in-flight")) else text) from None
    except OSError as exc:
        raise TwinError(f"--url {args.url}: {exc}") from None
    if args.json:
        print(json.dumps(s))
        return 0
    print(f"load test of {s['url']}: offered {s['offered_rate']:g}/s for {s['duration_s']:g} s "
          f"({s['schedule']['source']}, {s['workers'] or 1} process(es), users {s.get('users')})")
    print(f"  sent {s['sent']:,} (not sent, client limit: {s['not_sent']:,}), completed {s['completed']:,}, "
          f"ok {s['ok']:,}, lost {s['lost']:,} — achieved {s['achieved_rate']:,.1f}/s ({s['ok_rate']:,.1f}/s ok)")
    lat = s["latency_ms"]
    print(f"  latency from the scheduled time (ms): p50 {lat['p50']}  p90 {lat['p90']}  p99 {lat['p99']}  "
          f"p99.9 {lat['p99_9']}  max {lat['max']}")
    for op, o in s["operations"].items():
        print(f"  {op:20s} n={o['n']:>6,}  p50 {o['p50_ms']} ms  p95 {o['p95_ms']} ms  p99 {o['p99_ms']} ms  "
              f"status {o['status']}")
    if s["errors"]:
        print(f"  errors: {s['errors']}")
    if s.get("report"):
        print(f"  report: {s['report']['html']}")
    return 0


def _loadtest_mqtt_devices(args) -> int:
    from pathlib import Path

    from services.loadgen.mqtt_runner import run_mqtt

    for opt, path in (("--ca-certs", args.ca_certs), ("--certfile", args.certfile), ("--keyfile", args.keyfile)):
        if path and not Path(path).is_file():
            raise TwinError(f"{opt} {path!r}: no such file")
    if args.keyfile and not args.certfile:
        raise TwinError("--keyfile needs --certfile (the client certificate it belongs to)")
    try:
        r = run_mqtt(args.url, devices=max(1, args.devices), rate=args.rate, duration_s=args.duration, qos=args.qos,
                     pack=max(1, args.pack), sinks=max(1, args.sinks), spawn_rate=args.spawn_rate,
                     workers=max(1, args.workers), commands=args.commands, seed=args.seed, ca_certs=args.ca_certs,
                     tls_insecure=args.tls_insecure, username=args.user, password=args.password,
                     sink_split=args.sink_split, certfile=args.certfile, keyfile=args.keyfile, master=args.master,
                     expect_workers=max(1, args.expect_workers), master_bind=args.master_bind,
                     master_port=args.master_port, worker_timeout_s=args.worker_timeout)
        if args.report:
            from services.loadgen.mqtt_report import write_mqtt_report

            r["report"] = write_mqtt_report(r, args.report)
    except ValueError as exc:
        raise TwinError(f"--{exc}") from None
    except TwinError as exc:
        text = str(exc)
        raise TwinError(f"--url {text.removeprefix('--mqtt ')}" if text.startswith("--mqtt ") else text) from None
    line = (f"{r['devices']:,} devices ({r['connections']['connected']:,} connected, {r['connections']['failed']:,} "
            f"failed, {r['connections']['reconnects']:,} reconnects), QoS {r['qos']}: sent {r['sent']:,} "
            f"(not sent {r['not_sent']:,}), acknowledged {r['acknowledged']:,}, delivered {r['delivered']:,}, "
            f"lost {r['lost']:,} {r['loss_by_stage']}, {r['delivered_rate']:,.0f} msg/s delivered, "
            f"latency p50 {r['latency_ms']['p50']} ms p99 {r['latency_ms']['p99']} ms, "
            f"sustained {r['sustained_delivered_rate']:,.0f} msg/s over {r['delivered_span_s']} s")
    if "commands" in r:
        c = r["commands"]
        line += (f"; commands {c['sent']:,} sent, {c['answered']:,} answered, round trip p50 "
                 f"{c['round_trip_ms']['p50']} ms p99 {c['round_trip_ms']['p99']} ms")
    if args.json:
        print(json.dumps(r))
        print(line, file=sys.stderr)
    else:
        print(line)
    return 0


def _loadtest_mqtt(args) -> int:
    from sensors.loadtest import run_mqtt_loadtest, summary_line

    try:
        r = run_mqtt_loadtest(args.url, devices=args.devices, rate=args.rate, duration_s=args.duration, qos=args.qos,
                              pack=max(1, args.pack), username=args.user, password=args.password)
    except ValueError as exc:
        raise TwinError(f"--{exc}" if str(exc).startswith(("devices", "rate", "qos")) else str(exc)) from None
    except TwinError as exc:                # the bridge's errors are about `twin run --mqtt`
        text = str(exc)
        raise TwinError(f"--url {text.removeprefix('--mqtt ')}" if text.startswith("--mqtt ") else text) from None
    if args.json:
        print(json.dumps(r))
        print(summary_line(r), file=sys.stderr)
    else:
        print(summary_line(r))
    return 0


def _city_info(args) -> int:
    from twin.city import load_city

    city = load_city(args.city, network=args.network)
    info = city.info()
    if args.json:
        print(json.dumps(info, ensure_ascii=False))
        return 0
    print(f"{info['name']}  ({'SYNTHETIC' if info['synthetic'] else info['source']})")
    print(f"  nodes {info['nodes']:,}   edges {info['edges']:,} (drive {info['drive_edges']:,}, walk {info['walk_edges']:,})")
    print(f"  streets {info['streets']:,}   population {info['population'] or 'unknown'}   crs {info['crs']}")
    print(f"  bbox (W,S,E,N) {info['bbox']}")
    print(f"  districts ({len(info['districts'])}): {', '.join(info['districts'][:12])}{' …' if len(info['districts']) > 12 else ''}")
    print(f"  POIs: {', '.join(f'{k} {v}' for k, v in info['poi_counts'].items()) or 'none'}")
    print(f"  content hash {info['content_hash']}   loaded in {info['load_s']:.3f} s")
    print(f"  {info['attribution']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
