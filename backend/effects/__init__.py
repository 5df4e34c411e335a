"""Delivery of effects after commit: the Socket.IO emitter (sockets), later the relay and
the WeChat notifier."""
