"""The mini-program face (/api/mp/): residents, grid workers and field staff on phones."""
from miniprogram_api import auth, cases, catalogue, categories, locate, me, orders, photos, providers

BLUEPRINTS = (auth.blp, me.blp, locate.blp, categories.blp, photos.blp, cases.blp,
              providers.blp, catalogue.blp, orders.blp)
