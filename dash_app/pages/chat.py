"""Chat: talk to the citizen assistant as a citizen would, in Romanian or English, and see the
intent it understood and the actions it took."""
from __future__ import annotations

import json
import uuid

from dash import Input, Output, State, dcc, html


def layout(ctx):
    return html.Div([
        html.H1("Chat with the city hall"),
        html.Div([
            html.Label("Language", htmlFor="chat-lang"),
            # a dropdown, not dcc.RadioItems: Dash 4 renders radio items as an unnamed listbox of
            # options holding inputs, which axe-core reports (no accessible name, nested controls)
            dcc.Dropdown(id="chat-lang", options=[{"label": "Română", "value": "ro"},
                                                  {"label": "English", "value": "en"}], value="ro",
                         clearable=False, searchable=False, style={"width": "160px"}),
        ], className="controls"),
        html.Div(id="chat-log", className="chat-log", role="log", **{"aria-live": "polite"}),
        html.Div([
            html.Label("Your message", htmlFor="chat-input", className="sr-only"),
            dcc.Input(id="chat-input", type="text", placeholder="Scrieți un mesaj… / Type a message…",
                      debounce=False, n_submit=0, style={"width": "60%"}),
            html.Button("Send", id="chat-send", n_clicks=0, className="primary"),
        ], className="controls"),
        dcc.Store(id="chat-session", data=str(uuid.uuid4())),
        dcc.Store(id="chat-history", data=[]),
    ])


def register(app, ctx):
    @app.callback(Output("chat-log", "children"), Output("chat-history", "data"), Output("chat-input", "value"),
                  Input("chat-send", "n_clicks"), Input("chat-input", "n_submit"),
                  State("chat-input", "value"), State("chat-lang", "value"), State("chat-session", "data"),
                  State("chat-history", "data"), prevent_initial_call=True)
    def send(_n, _s, text, lang, session, history):
        if not text or not text.strip():
            return _render(history), history, ""
        r = ctx.chat(session, text, lang)
        history = history + [{"who": "you", "text": text},
                             {"who": "bot", "text": r["text"], "intent": r["intent"],
                              "confidence": r["confidence"], "actions": r["actions"]}]
        return _render(history), history, ""


def _render(history):
    out = []
    for m in history:
        if m["who"] == "you":
            out.append(html.Div([html.B("You: "), m["text"]], className="msg you"))
        else:
            out.append(html.Div([html.B("City hall: "), html.Span(m["text"], className="bot-text"),
                                 html.Div(f"intent: {m['intent']} (confidence {m['confidence']})", className="intent"),
                                 html.Div("actions: " + (json.dumps(m["actions"], ensure_ascii=False)
                                                         if m["actions"] else "none"), className="actions")],
                                className="msg bot"))
    return out
