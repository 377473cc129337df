"""Realistic city load for vendors, on Locust (issue 17).

The twin is a *source* of load, not another load-testing framework: this package turns a
simulated day (a run's ``events.parquet``) or a plain target rate into an **open-loop arrival
schedule** (:mod:`services.loadgen.schedule`), plays it with Locust user classes against an
Open311 endpoint (:mod:`services.loadgen.open311_users`, gathered in the locustfile
:mod:`services.loadgen.locustfile` so that ``locust -f`` works as well), measures honestly with
HDR histograms from the *scheduled* send time (:mod:`services.loadgen.measure`) and writes one
report as JSON, CSV and an HTML page (:mod:`services.loadgen.report`).
:mod:`services.loadgen.runner` is what ``twin loadtest open311`` runs: Locust's local runner,
or its master with N local worker processes, or one side of a run over several machines.

Only the modules that need it import Locust (whose import monkey-patches the standard library
with gevent); the schedule, the measurements and the report do not.
"""
