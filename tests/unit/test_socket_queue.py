"""The socket queue's listener (backend.realtime.push.RedisQueue): whenever it subscribes
after failing to (Redis away, at start or later), this worker's sockets are told to resync,
since what was published meanwhile never reached them."""
from __future__ import annotations

import redis

from backend.realtime import push


class FakePubSub:
    def subscribe(self, channel):
        self.channel = channel

    def listen(self):
        yield {"type": "subscribe", "channel": b"shaobao", "data": 1}
        yield {"type": "message", "channel": b"shaobao", "data": b"{}"}


class FakeRedis:
    def pubsub(self, ignore_subscribe_messages):
        return FakePubSub()


class FakeServer:
    def __init__(self):
        self.emitted = []

    def emit(self, event, data, **kwargs):
        self.emitted.append(event)


def queue_reaching_redis_after(failures: int) -> push.RedisQueue:
    queue = push.RedisQueue.__new__(push.RedisQueue)   # no real Redis: the listener alone
    queue.channel, queue.server, attempts = "shaobao", FakeServer(), []

    def connect():
        attempts.append(1)
        if len(attempts) <= failures:
            raise redis.exceptions.ConnectionError("refused")
        queue.redis = FakeRedis()
    queue._redis_connect = connect
    return queue


def test_a_worker_that_met_redis_away_at_start_tells_its_sockets_to_resync(monkeypatch):
    monkeypatch.setattr(push.time, "sleep", lambda seconds: None)
    queue = queue_reaching_redis_after(failures=1)
    assert next(queue._redis_listen_with_retries())["type"] == "message"
    assert queue.server.emitted == [push.RESYNC_NEEDED]


def test_a_first_subscription_that_never_failed_asks_no_resync(monkeypatch):
    monkeypatch.setattr(push.time, "sleep", lambda seconds: None)
    queue = queue_reaching_redis_after(failures=0)
    assert next(queue._redis_listen_with_retries())["type"] == "message"
    assert queue.server.emitted == []
