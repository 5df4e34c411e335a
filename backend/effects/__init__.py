"""Effects delivered after commit: delivery (hooks, worker), the relay (handed its handler
map by backend/app.py), one handler module per channel, and the console's view (admin)."""
