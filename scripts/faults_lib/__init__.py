"""scripts/faults: load against the production shape while faults are injected (docs/reliability.md)."""
