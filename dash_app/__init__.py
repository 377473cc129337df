"""The control room: a Dash app to watch the city, run and compare scenarios, and use the services.

It owns the pages (``dash_app.pages``), the background scenario runs (:mod:`dash_app.jobs`), the
live twin it shows (:mod:`dash_app.live`) and what it reads from finished runs
(:mod:`dash_app.data`). It sits at the end of the data flow and may import everything before
it (twin, scenarios, agents, sensors, services, ledger, and :mod:`twin_app.run` to build and run
twins); only the ``twin`` command (:mod:`twin_app.cli`) imports it. Start it with
``twin dash``; maps are drawn from the city graph with no online tiles, credited
"© OpenStreetMap contributors".
"""
