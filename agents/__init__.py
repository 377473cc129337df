"""Agents: the people of the city and the trips and demands they make.

Owns the synthetic population (struct-of-arrays) and the processes that make citizens act.
May import :mod:`twin` (city, engine, mobility) and third-party libraries; never ``services``,
``sensors``, ``ledger`` or ``dash_app`` (they consume the agents' events instead).
"""
