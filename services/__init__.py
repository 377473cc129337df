"""The city hall platform: the services citizens and staff use, run for real.

This package owns

* the **service catalogue** (:mod:`services.catalogue`): report categories, permits and local
  taxes, each with a department, an SLA and a priority, named in Romanian and English;
* the **store** (:mod:`services.store`): SQLAlchemy 2 tables on SQLite (embedded default) or
  PostgreSQL; personal data in its own table with a retention rule;
* the **city hall** (:mod:`services.hall`): validation, de-duplication, assignment, status
  changes, feedback — the one place requests are created and changed;
* the **Open311 GeoReport v2 API** (:mod:`services.open311`, FastAPI) with its security
  (:mod:`services.security`), the server (``twin serve``) and an HTTP client
  (:mod:`services.client`) the twin and ``twin loadtest open311`` use;
* the **work** behind requests: field crews (:mod:`services.crews`), back-office desks
  (:mod:`services.desks`), emergency dispatch (:mod:`services.dispatch`), SLA monitoring
  (:mod:`services.monitor`) and notifications (:mod:`services.notify`), tied into a run by the
  :class:`services.component.CityServices` component.

It may import :mod:`twin` (the city, the engine's bus and mobility), :mod:`agents.categories`
(the MyCluj table) and :mod:`ledger`. The city hall modules never import the chatbot, the ledger,
analytics or the dashboard: they act on it through its API and its events
(``city/<slug>/services/...``); :mod:`services.server` alone assembles the HTTP app of ``twin
serve`` from the city hall, the chatbot and the ledger. ``lint-imports`` holds these rules.
"""
