"""The control room's pages, one module each: ``layout(ctx)`` builds it, ``register(app, ctx)``
adds its callbacks. ``PAGES`` lists them in navigation order."""
from dash_app.pages import chat, city, desk, funnel, lab, learn, ledger, sensors

PAGES = [("/", "City", city), ("/lab", "Scenario lab", lab), ("/desk", "Service desk", desk),
         ("/chat", "Chat", chat), ("/ledger", "Ledger", ledger), ("/sensors", "Sensors", sensors),
         ("/funnel", "Adoption", funnel),
         ("/learn", "Learn", learn)]
