"""SmartCity Twin core: the city, the Cython kernels, the engine and the command line.

``twin`` owns everything the other packages stand on: loading a road graph from OpenStreetMap
(:mod:`twin.city`), exact routing and movement kernels (:mod:`twin.routing`,
:mod:`twin.movement`), the simulated clock, random streams, event bus and event log
(:mod:`twin.engine`, :mod:`twin.bus`, :mod:`twin.eventlog`), and the ``twin`` command.

It may import only third-party libraries. The other packages import it; it never imports them,
except the CLI and the run driver, which wire the packages together.
"""
__version__ = "0.1.0"

from twin.errors import TwinError  # noqa: E402

__all__ = ["TwinError", "__version__", "load_city"]


def load_city(*args, **kwargs):
    """Load a city; see :func:`twin.city.load_city`."""
    from twin.city import load_city as _load_city

    return _load_city(*args, **kwargs)
