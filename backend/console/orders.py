"""Orders in the console: a provider's staff takes and serves its orders; the county
administrator follows the county's orders and rules on disputes."""
from __future__ import annotations

from backend.api.blueprint import Blueprint
from backend.api.order_routes import add_order_routes

blp = Blueprint("console_orders", __name__, url_prefix="/api/console/orders",
                description="Serve orders (providers) and referee them (the county)")

add_order_routes(blp, mine=False)
