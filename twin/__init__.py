"""SmartCity Twin core: the city, the Cython kernels and the engine.

``twin`` owns everything the other packages stand on: loading a road graph from OpenStreetMap
(:mod:`twin.city`), exact routing and movement kernels (:mod:`twin.routing`,
:mod:`twin.movement`), the simulated clock, random streams, event bus and event log
(:mod:`twin.engine`, :mod:`twin.bus`, :mod:`twin.eventlog`), and the small shared helpers every
layer uses: text folding and street names (:mod:`twin.text`), database URLs and SQLite pragmas
(:mod:`twin.storage`), parsing untrusted input.

It may import only third-party libraries. The other packages import it; it never imports them
(the ``twin`` command and the run driver, which wire the packages together, live in
:mod:`twin_app`). ``lint-imports`` holds this (see ``docs/architecture.md``).
"""
__version__ = "0.1.0"

from twin.errors import TwinError  # noqa: E402

__all__ = ["TwinError", "__version__", "load_city"]


def load_city(*args, **kwargs):
    """Load a city; see :func:`twin.city.load_city`."""
    from twin.city import load_city as _load_city

    return _load_city(*args, **kwargs)
