"""The console face (/api/console/): hubs, the county platform and administrators."""
from backend.console import (
                             audit,
                             cases,
                             catalogue,
                             departments,
                             finance,
                             offerings,
                             orders,
                             outbox,
                             people,
                             providers,
                             regions,
)

BLUEPRINTS = (regions.blp, departments.blp, people.blp, audit.blp, catalogue.blp, cases.blp, outbox.blp,
              providers.blp, offerings.blp, orders.blp, finance.blp)
