"""The demo county and marketplace (config/demo/*.json), loaded idempotently: `flask seed demo`."""
from __future__ import annotations

import json
from pathlib import Path

from backend.demo import county, people, providers

DEMO_FILE = Path(__file__).resolve().parents[2] / "config" / "demo" / "county.json"
PROVIDERS_FILE = DEMO_FILE.with_name("providers.json")


def load(path: Path = DEMO_FILE, providers_path: Path | None = PROVIDERS_FILE) -> dict:
    data = json.loads(path.read_text(encoding="utf-8"))
    counts = {"regions": county.load_regions(data["regions"]),
              "departments": county.load_departments(data["departments"])}
    counts["users"], counts["grants"] = people.load_users(data["users"])
    if providers_path is not None:
        more = providers.load(json.loads(providers_path.read_text(encoding="utf-8")))
        counts |= {k: counts.get(k, 0) + v for k, v in more.items()}
    return counts


def users(path: Path = DEMO_FILE) -> list[tuple[str, str, str]]:
    """(openid, name, "role @ scope, ...") for each demo user, for the README and scripts/run."""
    data = json.loads(path.read_text(encoding="utf-8"))
    names = {r["code"]: r["name"] for r in data["regions"]}
    names.update({d["code"]: d["name"] for d in data["departments"]})
    rows = []
    for user in data["users"]:
        held = ", ".join(
            f"{g['role']} @ {names.get(g.get('region') or g.get('department'), 'everywhere')}"
            for g in user["grants"])
        rows.append((user["openid"], user["name"], held))
    return rows + providers.users(json.loads(PROVIDERS_FILE.read_text(encoding="utf-8")), names)
