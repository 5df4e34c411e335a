"""What the processes' logs say: every push they emitted (the workers' relays and the
scheduler's sweeper log one line each, "push case=12 event=submit seq=1 rooms=6"), and the
unhandled errors (the 500s)."""
from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

PUSH = re.compile(r'"message": "push (case|order)=(\d+) event=(\S+) seq=(\d+)')
UNHANDLED = '"message": "unhandled error"'


def pushes(logs: list[Path]) -> Counter:
    """(case|order, id, event, seq) -> how many times it was emitted, over all the logs."""
    emitted: Counter = Counter()
    for log in logs:
        if log.exists():
            for line in log.read_text(errors="replace").splitlines():
                if match := PUSH.search(line):
                    emitted[(match[1], int(match[2]), match[3], int(match[4]))] += 1
    return emitted


def unhandled_errors(logs: list[Path]) -> int:
    return sum(log.read_text(errors="replace").count(UNHANDLED) for log in logs if log.exists())
