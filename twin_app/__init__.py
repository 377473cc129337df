"""The composition root: where the layers of SmartCity Twin are wired into a running program.

Everything below this package is a library that knows nothing of how it is put together:
the core :mod:`twin` (city, kernels, engine, event log), the people and devices
(:mod:`agents`, :mod:`sensors`), the city hall, chatbot and analytics (:mod:`services`),
the :mod:`ledger`, and the :mod:`scenarios` that name what to build. This package owns the
code that puts them together and nothing else:

* :mod:`twin_app.run` builds a twin from a scenario, runs it and writes the run directory;
* :mod:`twin_app.batch` wraps a built twin as a Mesa model for batch runs;
* :mod:`twin_app.sweep` runs many scenarios as Dask tasks;
* :mod:`twin_app.cli` is the ``twin`` command (``python -m twin_app`` runs it too).

It may import every package. Only :mod:`twin_app.cli` imports the control room
(:mod:`dash_app`), which in turn may use :mod:`twin_app.run` to build and run twins; nothing
else imports either. ``.importlinter`` states these rules and the test suite checks them.
"""
