"""The city's IoT devices and how their data leaves the twin.

This package owns the device fleet (:mod:`sensors.devices`: placement, physics, faults), the
component that runs it in a simulation (:mod:`sensors.component`), the SenML format
(:mod:`sensors.senml`), the MQTT bridge to a real broker (:mod:`sensors.bridge`) and the MQTT
load test (:mod:`sensors.loadtest`).

It may import :mod:`twin` (city, engine, bus, mobility) and reads other components' state
through the twin at run time (population, traffic counts, open incidents); it never imports
``services``, ``ledger`` or ``dash_app``: the city hall reacts to the devices' ``device_state``
events, not the other way round.
"""
