"""AUDIT_RETENTION_DAYS: audit records are kept six months at least (等保 2.0 level 3)."""
from __future__ import annotations

import pytest

from config.settings import ConfigError, load


def test_the_trail_is_kept_180_days_by_default():
    assert load({})["AUDIT_RETENTION_DAYS"] == 180
    assert load({"AUDIT_RETENTION_DAYS": "400"})["AUDIT_RETENTION_DAYS"] == 400


@pytest.mark.parametrize("raw", ["179", "30", "0", "-5", "half a year"])
def test_less_than_six_months_is_refused_at_start_up(raw):
    with pytest.raises(ConfigError, match="AUDIT_RETENTION_DAYS"):
        load({"AUDIT_RETENTION_DAYS": raw})
