"""The Timeline and Who's who views, from a made-up casefile (no model, no index, no server)."""

from __future__ import annotations

import html
import json
from datetime import date

from assistant.casefile import Casefile, Entity, Event, PassageRef
from assistant.views import (events_html, event_span, is_range, period, plot_value, timeline_figure,
                             whos_who_html)

HOSTILE = "<img src=x onerror=alert(1)> **bold** [x](http://evil.invalid) $x^2$"


def ref(n: int, quote: str, url: str = "https://example.org/a", title: str = "Case article") -> PassageRef:
    return PassageRef(passage_id=f"p{n}", doc_id="case-article.md", sentence_id=f"s{n}", title=title,
                      publisher="GIGAZINE", url=url, date="2024-06", quote=quote)


FILED = Event("2024-06", "2024-06", "Forrest filed a claim", "June 2024", "Forrest", "alleges",
              ref(1, "In June 2024, Forrest filed a claim with the tribunal."))
ACCESS = Event("2022-11", "2023-05", "VisionLabs kept access to Rekognition",
               "between November 2022 and May 2023", "Forrest", "alleges",
               ref(2, "Between November 2022 and May 2023 VisionLabs had access."))
DENIAL = Event("2024-06-07", "2024-06-07", "Amazon denied the allegations", "7 June 2024", "Amazon", "denies",
               ref(3, "An Amazon spokesperson denied the allegations."))
BAD = Event("2023", "2023", HOSTILE, HOSTILE, HOSTILE, "states",
            ref(4, HOSTILE, url="javascript:alert(1)", title=HOSTILE))
FORREST = Entity("Charles Forrest", "person", "former AWS employee who brought the claim",
                 aliases=("Forrest", "Charles Forrest"),
                 mentions=(FILED.source, ACCESS.source, ACCESS.source))
CASE = Casefile(events=(FILED, ACCESS, DENIAL, BAD), entities=(FORREST,
                Entity(HOSTILE, "organisation", HOSTILE, mentions=(BAD.source,))), built_at="2026-11-29")


def test_parse_period_iso_prefixes():
    assert period("2022") == (date(2022, 1, 1), date(2022, 12, 31))
    assert period("2024-02") == (date(2024, 2, 1), date(2024, 2, 29))
    assert period("2024-06-07") == (date(2024, 6, 7), date(2024, 6, 7))
    assert period("June 2024") is None and period("2024-13") is None and period("") is None
    assert event_span(ACCESS) == (date(2022, 11, 1), date(2023, 5, 31))
    assert is_range(ACCESS) and not is_range(DENIAL)
    # A date known to the month or the year covers it: never drawn on its first day.
    assert is_range(FILED) and event_span(FILED) == (date(2024, 6, 1), date(2024, 6, 30))
    assert is_range(BAD) and event_span(BAD) == (date(2023, 1, 1), date(2023, 12, 31))


def test_build_timeline_figure_points_and_bars():
    fig = timeline_figure(CASE)
    kinds = {(t.type, t.name) for t in fig.data}
    assert ("bar", "alleges") in kinds and ("scatter", "denies") in kinds and ("scatter", "alleges") not in kinds
    assert fig.layout.xaxis.type == "date"
    bar = next(t for t in fig.data if t.type == "bar" and t.name == "alleges")
    assert bar.base[0] == "2022-11-01" and bar.orientation == "h"
    assert bar.x[0] == (date(2023, 5, 31) - date(2022, 11, 1)).days * 86_400_000 + 86_400_000
    assert bar.base[1] == "2024-06-01" and bar.x[1] == 30 * 86_400_000  # "June 2024": the month
    assert fig.layout.legend.y < 0  # under the plot, clear of Plotly's toolbar
    hovers = [h for t in fig.data for h in t.hovertext]
    assert any("Forrest alleges" in h and "Case article" in h for h in hovers)
    assert any("Amazon denies" in h for h in hovers)
    # Plotly reads labels as a small HTML subset: source text reaches it escaped.
    text = json.dumps([list(t.hovertext) + list(t.y) for t in fig.data])
    assert "<img" not in text and "<a " not in text and "$x" not in text and "&#60;img" in text


def test_build_timeline_figure_empty_casefile_says_so():
    fig = timeline_figure(Casefile())
    assert not fig.data and "No dated events" in fig.layout.annotations[0].text
    assert "No dated events" in events_html(Casefile())
    assert "No people" in whos_who_html(Casefile())


def test_build_plot_value_carries_config_without_cdn():
    value = plot_value(timeline_figure(CASE))
    spec = json.loads(value.plot)
    assert value.type == "plotly" and spec["config"]["displaylogo"] is False
    assert spec["config"]["typesetMath"] is False
    assert "cdn" not in value.plot.lower() and "mathjax" not in value.plot.lower()


def test_render_events_html_escaped_ordered_with_sources():
    out = events_html(CASE, lambda r: "Before. " + r.quote + " After." if r.passage_id != "p4" else None)
    shown = html.unescape(out)  # as a browser reads it: every value of ours is escaped, attributes too
    assert shown.index("2022-11") < shown.index("2023") < shown.index("June 2024") < shown.index("7 June 2024")
    assert '<span class="speaker alleges">Forrest alleges</span>' in out
    assert '<span class="speaker denies">Amazon denies</span>' in out
    # the link's address is escaped like any text of ours (a browser reads it back whole)
    assert '<a href="https://example.org/a" target="_blank" rel="noopener noreferrer">Case article</a>' in shown
    assert "<blockquote>In June 2024, Forrest filed a claim with the tribunal.</blockquote>" in out
    assert "<summary>Show the passage</summary>" in out and "<mark>In June 2024" in out
    assert "<img" not in out and "javascript:" not in out and "**bold**" not in out and "](http" not in out


def test_render_whos_who_html_role_count_quotes():
    out = whos_who_html(CASE)
    assert '<h4 class="name">Charles Forrest</h4>' in out
    assert "former AWS employee who brought the claim" in out
    assert "2 passages" in out and "Also: Forrest" in out  # two distinct passages, three mentions
    assert "Between November 2022 and May 2023 VisionLabs had access." in out
    assert "<img" not in out and "javascript:" not in out


def test_render_views_html_blank_lines_stay_one_html_block():
    odd = Event("2024", "2024", "one\n\ntwo", "2024", "X", "states", ref(9, "line one\n\n    **line two**"))
    out = events_html(Casefile(events=(odd,)), lambda r: "para one\n\npara two " + r.quote)
    assert "\n" not in out and "**" not in out
    assert "<mark>line one **line two**</mark>".replace("**", "&#42;&#42;") in out
