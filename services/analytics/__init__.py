"""Analytics over the twin's event logs: KPIs per run, replications and comparisons.

:mod:`~services.analytics.kpis` computes a run's KPIs from its ``events.parquet`` with DuckDB;
:mod:`~services.analytics.compare` summarises replications (mean, 95 % confidence interval) and
compares two scenarios (paired differences under common random numbers), with an HTML report.
It reads event logs and run manifests only; it never imports the simulation.
"""
