"""The case at a glance, for the UI's Timeline and Who's who tabs: a Plotly figure of the
casefile's dated events and escaped HTML lists of its events and entities.

Everything here is built from :class:`assistant.casefile.Casefile` records (ingest computes
them from the sources). Text from a source is shown as text: in the HTML through
``render.safe_text``/``safe_url``, in the figure too, because Plotly reads its labels as a
small HTML subset (``<a href>``, ``<b>``, ``<br>``) and decodes character references, so
escaped text shows literally there as well (and a "$…$" label is never typeset as math).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from typing import Any

from .casefile import Casefile, Entity, Event, PassageRef
from .dates import span as period
from .render import highlight, human_date, link, safe_attr, speaker_chip
from .types import speaker_label
from .render import safe_text as _escape

#: A passage's full text by its reference, or None when the index no longer holds it.
PassageLookup = Callable[[PassageRef], "str | None"]

STANCE_COLOURS = {"alleges": "#d9731a", "denies": "#2f6fb3", "states": "#3a8f4a", "reports": "#7a7a7a"}
OTHER_COLOUR = "#9467bd"

#: Plotly's own options: no logo link to plotly.com, no "edit in Chart Studio" link, no math
#: typesetting; the mode bar keeps zoom, pan and reset.
PLOT_CONFIG: dict[str, Any] = {"displaylogo": False, "showLink": False, "showSendToCloud": False,
                               "typesetMath": False, "showTips": False,
                               "modeBarButtonsToRemove": ["toImage", "select2d", "lasso2d"]}


def safe_text(text: str) -> str:
    """``render.safe_text`` on one line: a blank line inside would end Markdown's HTML block
    and let the rest be read as Markdown."""
    return _escape(" ".join((text or "").split()))


# --------------------------------------------------------------------------- dates


def event_span(event: Event) -> tuple[date, date] | None:
    """The days an event covers: from the start of its first period to the end of its last."""
    start, end = period(event.start), period(event.end or event.start)
    if start is None:
        return None
    last = end[1] if end else start[1]
    return start[0], max(last, start[0])


def is_range(event: Event) -> bool:
    """A stretch of days (drawn as a bar) rather than one day (a point): a period, and a date
    known only to its month or year ("2023" covers the year, never its first day)."""
    span = event_span(event)
    return span is not None and span[1] > span[0]


def ordered(events: tuple[Event, ...] | list[Event]) -> list[Event]:
    """Events by date (undatable ones last), then by end, keeping the casefile's order otherwise."""
    def key(e: Event) -> tuple:
        span = event_span(e)
        return (span is None, span or (date.max, date.max))
    return sorted(events, key=key)


def event_speaker(event: Event) -> str:
    """Who asserts it, as the chat tags answers: "Forrest alleges", "GIGAZINE reports"."""
    return speaker_label(event.speaker, event.stance)


# --------------------------------------------------------------------------- the figure


def _hover(event: Event) -> str:
    ref = event.source
    source = " · ".join(x for x in (ref.title, ref.publisher, human_date(ref.date)) if x)
    lines = [f"<b>{safe_text(event.label)}</b>", safe_text(event.when or human_date(event.start)),
             safe_text(event_speaker(event)), safe_text(source)]
    return "<br>".join(x for x in lines if x)


def timeline_figure(casefile: Casefile):
    """The events on a date axis: one row per speaker, a point for a single date, a bar from
    first to last day for a range, coloured by stance; hovering shows the event, who asserts
    it and its source."""
    import plotly.graph_objects as go

    events = [e for e in ordered(casefile.events) if event_span(e) is not None]
    fig = go.Figure()
    rows = list(dict.fromkeys(safe_text(e.speaker or "unattributed") for e in events))
    stances = list(dict.fromkeys(e.stance for e in events))
    for stance in stances:
        colour = STANCE_COLOURS.get(stance, OTHER_COLOUR)
        name = safe_text(stance or "unattributed")
        points = [e for e in events if e.stance == stance and not is_range(e)]
        ranges = [e for e in events if e.stance == stance and is_range(e)]
        if ranges:
            spans = [event_span(e) for e in ranges]
            fig.add_trace(go.Bar(
                orientation="h", name=name, legendgroup=name, showlegend=not points,
                y=[safe_text(e.speaker or "unattributed") for e in ranges],
                base=[s[0].isoformat() for s in spans],
                # Plotly's date axis counts in milliseconds; the last day is included.
                x=[((s[1] - s[0]).days + 1) * 86_400_000 for s in spans],
                marker={"color": colour, "opacity": 0.55}, width=0.35,
                hovertext=[_hover(e) for e in ranges], hoverinfo="text"))
        if points:
            fig.add_trace(go.Scatter(
                mode="markers", name=name, legendgroup=name,
                y=[safe_text(e.speaker or "unattributed") for e in points],
                x=[event_span(e)[0].isoformat() for e in points],
                marker={"color": colour, "size": 12, "line": {"width": 1, "color": "#ffffff"}},
                hovertext=[_hover(e) for e in points], hoverinfo="text"))
    fig.update_layout(
        height=max(300, 160 + 48 * len(rows)), margin={"l": 10, "r": 10, "t": 30, "b": 80},
        barmode="overlay", hovermode="closest", showlegend=bool(events),
        # Under the plot: above it, Plotly's toolbar covers the legend.
        legend={"orientation": "h", "y": -0.18, "yanchor": "top", "x": 0, "title": {"text": "stance"}},
        paper_bgcolor="rgba(0,0,0,0)", plot_bgcolor="rgba(0,0,0,0)", font={"color": "#888888"},
        xaxis={"type": "date", "title": {"text": "date"}, "gridcolor": "rgba(128,128,128,0.25)"},
        yaxis={"type": "category", "categoryorder": "array", "categoryarray": rows[::-1],
               "automargin": True, "gridcolor": "rgba(128,128,128,0.25)"},
    )
    if not events:
        fig.update_layout(xaxis={"visible": False}, yaxis={"visible": False}, annotations=[{
            "text": "No dated events in the sources yet.", "showarrow": False,
            "xref": "paper", "yref": "paper", "x": 0.5, "y": 0.5}])
    return fig


def plot_value(fig) -> Any:
    """The figure as gr.Plot's value, carrying :data:`PLOT_CONFIG` (``Figure.to_json`` has no
    config, and Gradio's front end passes the JSON's ``config`` to ``Plotly.react``)."""
    from gradio.components.plot import PlotData

    spec = json.loads(fig.to_json())
    spec["config"] = dict(PLOT_CONFIG)
    return PlotData(type="plotly", plot=json.dumps(spec))


# --------------------------------------------------------------------------- HTML lists


def source_html(ref: PassageRef) -> str:
    """The source of a passage: its title (linked to the original when it has a web address),
    publisher and date."""
    meta = " · ".join(safe_text(x) for x in (ref.publisher, human_date(ref.date)) if x)
    return f'<span class="source">{link(ref.url, safe_text(ref.title or ref.doc_id))}' + \
        (f" · {meta}" if meta else "") + "</span>"


def passage_html(ref: PassageRef, lookup: PassageLookup | None) -> str:
    """The whole passage behind a quote, opened on demand, its quoted sentence marked."""
    text = lookup(ref) if lookup else None
    if not text:
        return ""
    body = highlight(" ".join(text.split()), [" ".join(ref.quote.split())] if ref.quote else [])
    return (f'<details class="passage" data-passage="{safe_attr(ref.passage_id)}"><summary>Show the passage</summary>'
            f"<blockquote>{body}</blockquote></details>")


def _dates(event: Event) -> str:
    if not event.end or event.end == event.start:
        return human_date(event.start)
    return f"{human_date(event.start)} to {human_date(event.end)}"


def events_html(casefile: Casefile, lookup: PassageLookup | None = None) -> str:
    """Every event by date: when, who asserts it, what, the quote and its source."""
    if not casefile.events:
        return '<p class="timeline-empty">No dated events in the sources yet.</p>'
    items = []
    for e in ordered(casefile.events):
        when = safe_text(e.when or e.start)
        normalised = _dates(e)
        if normalised and not all(part in (e.when or e.start) for part in normalised.split(" to ")):
            # "last year (2023)", not "in 2022 (2022)" nor "June 2024 (June 2024)"
            when += f' <span class="iso">({safe_text(normalised)})</span>'
        who = speaker_chip(e.speaker, e.stance)
        quote = f"<blockquote>{safe_text(e.source.quote)}</blockquote>" if e.source.quote else ""
        items.append(
            f'<li class="event" data-start="{safe_attr(e.start)}" data-end="{safe_attr(e.end)}">'
            f'<span class="when">{when}</span> {who} <strong class="label">{safe_text(e.label)}</strong>'
            f"{quote}{source_html(e.source)}{passage_html(e.source, lookup)}</li>")
    return '<ol class="timeline-events">' + "".join(items) + "</ol>"


def passage_count(entity: Entity) -> int:
    return len({m.passage_id for m in entity.mentions})


def entity_html(entity: Entity, lookup: PassageLookup | None = None) -> str:
    n = passage_count(entity)
    aliases = [a for a in entity.aliases if a != entity.name]
    also = (f'<p class="aliases">Also: {", ".join(safe_text(a) for a in aliases)}</p>' if aliases else "")
    who = speaker_chip(entity.speaker, entity.stance)
    role = f'<p class="role">{who + " " if who else ""}{safe_text(entity.role)}</p>' if entity.role else ""
    mentions = "".join(
        f"<li><blockquote>{safe_text(m.quote)}</blockquote>{source_html(m)}{passage_html(m, lookup)}</li>"
        for m in entity.mentions)
    listed = (f'<details class="mentions-list"><summary>Show where the sources mention {safe_text(entity.name)}</summary>'
              f'<ol class="mentions">{mentions}</ol></details>') if entity.mentions else '<p class="count">0 passages</p>'
    return (f'<section class="entity" data-kind="{safe_attr(entity.kind)}" data-name="{safe_attr(entity.name)}">'
            f'<h4 class="name">{safe_text(entity.name)}</h4> <span class="kind">{safe_text(entity.kind)}</span>'
            f' <span class="count">· {n} passage{"s" if n != 1 else ""}</span>'
            f"{role}{also}{listed}</section>")


def whos_who_html(casefile: Casefile, lookup: PassageLookup | None = None) -> str:
    """Every entity: name, kind, role, how many passages mention it and those passages."""
    if not casefile.entities:
        return '<p class="whos-who-empty">No people or organisations found in the sources yet.</p>'
    return '<div class="whos-who">' + "".join(entity_html(e, lookup) for e in casefile.entities) + "</div>"
