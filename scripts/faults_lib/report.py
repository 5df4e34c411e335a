"""The tables scripts/faults prints (Markdown, so they paste into docs/reliability.md)."""
from __future__ import annotations

from collections import Counter

from .audit import Findings
from .injections import Fault
from .phones import Journal

OK = (200, 201)


def label(status: int | None) -> str:
    return "network" if status is None else str(status)


def measure_recovery(faults: list[Fault], journal: Journal) -> None:
    """Fill in each fault's recovery (first 200/201 to a request sent after it was back) and
    the failed attempts between its start and that recovery."""
    attempts = sorted(journal.attempts, key=lambda a: a.started)
    for fault in faults:
        if fault.recovered is None:
            first = next((a for a in attempts if a.started >= fault.back and a.status in OK), None)
            fault.recovered = None if first is None else first.ended - fault.back
        until = fault.back + (fault.recovered if fault.recovered is not None else 0)
        failed = Counter(label(a.status) for a in attempts
                         if fault.started <= a.started <= until and a.status not in OK)
        fault.errors = dict(sorted(failed.items()))


def table(header: tuple[str, ...], lines: list[tuple]) -> str:
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(str(cell) for cell in line) + " |" for line in lines]
    return "\n".join(out)


def faults_table(faults: list[Fault], start: float) -> str:
    lines = [(f.name, f"{f.started - start:.0f}", f.note,
              "never" if f.recovered is None else f"{f.recovered:.2f}",
              ", ".join(f"{k}: {v}" for k, v in f.errors.items()) or "-") for f in faults]
    return table(("fault", "at (s)", "what", "recovered after (s)", "failed attempts meanwhile"), lines)


def results_table(found: Findings) -> str:
    lines = [(name, value, "") for name, value in found.figures.items()]
    lines += [(name, value, "0" + ("" if value == 0 else "  **FAILED**")) for name, value in found.goals.items()]
    return table(("measure", "value", "goal"), lines)


def answers_table(journal: Journal) -> str:
    """Every attempt's answer by request kind: how the service said no (503 or 500)."""
    counts = Counter((a.what, label(a.status)) for a in journal.attempts)
    kinds = sorted({w for w, _ in counts})
    statuses = sorted({s for _, s in counts}, key=lambda s: (s == "network", s))
    return table(("request", *statuses), [(w, *(counts.get((w, s), 0) for s in statuses)) for w in kinds])


def render(faults: list[Fault], found: Findings, journal: Journal, start: float, extra: dict) -> str:
    parts = ["## Faults", faults_table(faults, start), "", "## Results", results_table(found), "",
             "## Answers to the phones' attempts", answers_table(journal)]
    if journal.unanswered:
        parts += ["", "Given up after a minute of retries: " + ", ".join(
            f"{k} {v}" for k, v in sorted(journal.unanswered.items()))]
    if journal.samples:
        parts += ["", "Refusals (first answer of each kind):", *(
            f"- {k} (x{journal.refused[k]}): `{v}`" for k, v in sorted(journal.samples.items()))]
    if extra:
        parts += ["", *(f"- {k}: {v}" for k, v in extra.items())]
    if found.examples:
        parts += ["", "Examples of what failed a goal:", *(f"- {k}: {v}" for k, v in found.examples.items())]
    return "\n".join(parts)
