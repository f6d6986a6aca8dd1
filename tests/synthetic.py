"""A synthetic corpus for crash, load and speed checks: deterministic, any size.

Each document is a short made-up report (about 18 sentences in paragraphs of three), with
one unique fact per document so tests can ask about it.
"""

from __future__ import annotations

import random
from pathlib import Path

SUBJECTS = ["The regulator", "A spokesperson", "The committee", "An analyst", "The tribunal", "A supplier",
            "The auditor", "A former manager", "The ministry", "An engineer", "The board", "A consultant"]
VERBS = ["reviewed", "questioned", "described", "approved", "rejected", "examined", "published", "disputed",
         "summarised", "confirmed", "challenged", "documented"]
OBJECTS = ["the licensing terms", "the billing records", "the export controls", "the data retention policy",
           "the cloud contract", "the procurement rules", "the audit trail", "the internal memo",
           "the compliance report", "the customer list", "the security review", "the service agreement"]
TAILS = ["in a statement on Monday", "during the hearing", "after a lengthy review", "before the deadline",
         "without further comment", "in its annual filing", "at the request of investors", "in a letter to staff"]
CODENAMES = ["Amber", "Basalt", "Cedar", "Delta", "Ember", "Falcon", "Granite", "Harbor", "Indigo", "Juniper",
             "Kestrel", "Lantern", "Meridian", "Nimbus", "Onyx", "Pioneer", "Quartz", "Raven", "Sierra", "Tundra"]


def codename(i: int) -> str:
    return f"{CODENAMES[i % len(CODENAMES)]}-{i:04d}"


def fact(i: int, version: int = 1) -> str:
    return f"Project {codename(i)} was audited in city number {100 + i + 1000 * (version - 1)}."


def document(i: int, sentences: int = 18, version: int = 1) -> str:
    rng = random.Random(i * 7919 + version)
    lines = [fact(i, version)]
    while len(lines) < sentences:
        lines.append(f"{rng.choice(SUBJECTS)} {rng.choice(VERBS)} {rng.choice(OBJECTS)} "
                     f"of project {codename(i)} {rng.choice(TAILS)}.")
    paragraphs = [" ".join(lines[k:k + 3]) for k in range(0, len(lines), 3)]
    return f"---\ntitle: Report {codename(i)}\npublisher: Synthetic Wire\ndate: 2024-06-{1 + i % 28:02d}\n---\n\n" + \
        "\n\n".join(paragraphs) + "\n"


def write_corpus(folder: Path, count: int, sentences: int = 18, start: int = 0) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(start, start + count):
        path = folder / f"report-{i:04d}.md"
        path.write_text(document(i, sentences))
        paths.append(path)
    return paths
