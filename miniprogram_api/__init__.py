"""The mini-program face (/api/mp/): residents, grid workers and field staff on phones."""
from miniprogram_api import auth, cases, categories, locate, me, orders, photos

BLUEPRINTS = (auth.blp, me.blp, locate.blp, categories.blp, photos.blp, cases.blp, orders.blp)
