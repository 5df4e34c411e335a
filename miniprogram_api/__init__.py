"""The mini-program face (/api/mp/): residents, grid workers and field staff on phones."""
from miniprogram_api import auth, locate, me

BLUEPRINTS = (auth.blp, me.blp, locate.blp)
