"""The console face (/api/console/): hubs, the county platform and administrators."""
from backend.console import audit, cases, catalogue, departments, finance, outbox, people, regions

BLUEPRINTS = (regions.blp, departments.blp, people.blp, audit.blp, catalogue.blp, cases.blp, outbox.blp,
              finance.blp)
