"""Ending a headless Locust run that has no ``--run-time``: the locustfiles' common last step.

A load test driven by a twin schedule knows when it is over (the schedule's time plus the
answers' timeout), so the locustfiles stop Locust themselves. On a master the workers'
measurements arrive as messages after their users stop, so the master waits for them (at most
15 s) before it quits; a local runner measured in this process and quits at once.
"""
from __future__ import annotations

import time

import gevent
from locust.runners import MasterRunner

#: longest wait for the workers' measurements after the stop (seconds)
WAIT_S = 15.0


def stop_when_measured(runner, measured: list) -> None:
    """Stop ``runner``; on a master, wait until ``measured`` holds one entry per worker (or
    :data:`WAIT_S` passed); then quit. Called on the master or the local runner only."""
    runner.stop()
    if isinstance(runner, MasterRunner):
        end = time.time() + WAIT_S
        while len(measured) < runner.worker_count and time.time() < end:
            gevent.sleep(0.1)
    runner.quit()
