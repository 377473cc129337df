"""Learn: a guided tour for students and trainers — what each part of the platform does, a small
scenario to run, and questions to explore."""
from __future__ import annotations

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
A scenario changes one thing — a closed road, a new ambulance station, a heatwave — and the twin
measures the effect with several replications and confidence intervals.
"""

QUESTIONS = """
#### Questions to explore
1. Run `baseline` and `new_ambulance_station` with 3 replications each and compare them. Which
   districts gain the most? Is the change in the median response time significant?
2. Run `road_closure`. Which KPIs move, and which do not? Why might the SLA compliance not change?
3. Run `chatbot_rollout`. What share of conversations does the chatbot solve alone (containment)?
4. Run `heatwave`: when in the day do the ambulances queue? What would you add to cope?
5. On the *Sensors* page, find a device that the analytics flag. Was it really broken?
"""


def layout(ctx):
    return html.Div([
        html.H1("Learn: how a digital city platform works"),
        dcc.Markdown(TOUR),
        html.H2("Try it"),
        html.P("A small scenario runs in a few seconds: 500 citizens of the demo town for 6 hours."),
        html.A("Open the starter scenario in the Scenario lab", id="learn-start",
               href="/lab?scenario=baseline&population=500&hours=6&replications=1", className="button"),
        dcc.Markdown(QUESTIONS),
    ])


def register(app, ctx):
    pass
