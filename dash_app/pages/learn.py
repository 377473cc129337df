"""Learn: a guided tour for students and trainers — what each part of the platform does, a small
scenario to run, and questions to explore."""
from __future__ import annotations

from pathlib import Path

from dash import dcc, html

TOUR = """
### 1. The city
The twin loads a real road network from OpenStreetMap (© OpenStreetMap contributors) — Brașov,
Timișoara, or the small demo town — with its districts and points of interest (hospitals, fire
stations, the town hall). Every trip is routed on it.

### 2. The citizens
A synthetic population with households, jobs and schools lives its day: it travels by car, on foot
or by bus (the city's GTFS timetable), files reports about problems it sees, pays local taxes and
asks the chatbot. Each citizen is a pseudonym (`citizen:17`): no names leave the simulation.

### 3. The city hall
Reports arrive through the **Open311 GeoReport v2** API, are validated, de-duplicated and given to
a department with a service-level agreement (SLA). Crews drive to field work; desks have office
hours and queues. Look at the *Service desk* page.

### 4. Emergencies
Medical calls, fires and accidents go to the nearest free ambulance or fire engine **by road
time**. The response time is the time from the call to the unit on scene.

### 5. Sensors and MQTT
Streetlights, air-quality, noise, traffic counters, bins and water-pressure sensors report in
SenML over MQTT. Some fail — the *Sensors* page shows how analytics find them.

### 6. The ledger
Tax payments are batched and their Merkle root is anchored on a blockchain; any citizen can verify
a receipt without trusting the city hall's database. Try it on the *Ledger* page.

### 7. What-if scenarios
A scenario changes one thing — a closed road, a new ambulance station, a heatwave — on a named
baseline, and the twin measures the effect with several replications run on the same random
numbers (a *study*), with 95 % intervals. Every KPI says what it means, in which unit, and which
direction is better: hover a KPI in a report, or read `services/analytics/kpi_catalogue.py`.
Before trusting an answer, check the baseline: `twin analyze RUN --plausibility` sets its modal
split, trip times, walks, emergencies and reports beside the figures it was built from.
"""

QUESTIONS = """
#### Questions to explore
1. Run the starter study: `new_ambulance_station` against `baseline`, 3 replications each. Which
   districts gain the most on the map? Is the change in the city-wide median response time
   significant — and why might it not be, when one district gains a lot?
2. Run `road_closure`. Which KPIs move, and which do not? Why might the SLA compliance not change?
3. Run `chatbot_rollout`. What share of conversations does the chatbot solve alone (containment)?
4. Run `heatwave`: when in the day do the ambulances queue? What would you add to cope?
5. On the *Sensors* page, find a device that the analytics flag. Was it really broken?
"""


def layout(ctx):
    from dash_app.pages.lab import lab_defaults

    d = lab_defaults(ctx)
    city = "the demo town (synthetic)" if d["city"] == "demo" else Path(d["city"]).name
    return html.Div([
        html.H1("Learn: how a digital city platform works"),
        dcc.Markdown(TOUR),
        html.H2("Try it"),
        html.P(f"The starter study: a new ambulance station against the baseline on {city}, "
               f"{d['population']:,} citizens from midnight to {d['hours']:g}:00 (the morning peak), "
               f"{d['replications']} replications each, telemetry logged for the Sensors page. It takes a few "
               "minutes in a real city."),
        html.A("Open the starter study in the Scenario lab", id="learn-start",
               href=f"/lab?scenario=new_ambulance_station&population={d['population']}&hours={d['hours']:g}"
                    f"&replications={d['replications']}", className="button"),
        dcc.Markdown(QUESTIONS),
    ])


def register(app, ctx):
    pass
