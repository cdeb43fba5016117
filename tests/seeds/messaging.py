"""The seeds' pub/sub listener and stream consumer, run unchanged against a server.

Usage: python3 messaging.py <port>

Between the SEEDS markers: pubsub.py and streams.py from the seeds' application patterns,
copied unchanged. They use `r`, `json` and `redis` the way the seeds' redis_client.py sets them
up: the imports are here, the driver below the markers connects `r`. The driver checks that
events published with publish_event reach the PSUBSCRIBE listener as dicts, and that every
event added with add_to_stream is handled and acknowledged exactly once, failed ones after a
retry from the pending list or a claim. Exits 0 on success; any failure raises.
"""
import json

import redis

# ---------------------------------------------------------------- SEEDS: pubsub.py (verbatim)
"""pubsub.py — Real-time messaging with Redis pub/sub."""
import threading

def publish_event(channel: str, event: dict):
    """Publish an event to a channel.

    Args:
        channel: Channel name (e.g., "notifications:user:123").
        event: Event data dict — serialized to JSON.
    """
    r.publish(channel, json.dumps(event))

def subscribe_to_events(pattern: str, callback):
    """Subscribe to channels matching a pattern.

    Args:
        pattern: Glob pattern (e.g., "notifications:*").
        callback: Function called with (channel, data) for each message.
    """
    ps = r.pubsub()
    ps.psubscribe(pattern)

    def listener():
        for msg in ps.listen():
            if msg["type"] == "pmessage":
                callback(msg["channel"], json.loads(msg["data"]))

    thread = threading.Thread(target=listener, daemon=True)
    thread.start()
    return ps  # Return for cleanup: ps.punsubscribe()
# --------------------------------------------------------------- SEEDS: streams.py (verbatim)
"""streams.py — Redis Streams for reliable event processing."""

def add_to_stream(stream: str, data: dict, maxlen: int = 10000) -> str:
    """Add an event to a stream with automatic trimming.

    Args:
        stream: Stream name (e.g., "events:orders").
        data: Event data as flat dict (values must be strings).
        maxlen: Approximate max stream length for memory management.

    Returns:
        Message ID (e.g., "1708123456789-0").
    """
    return r.xadd(stream, data, maxlen=maxlen, approximate=True)

def create_consumer_group(stream: str, group: str):
    """Create a consumer group, starting from new messages.

    Args:
        stream: Stream name.
        group: Consumer group name.
    """
    try:
        r.xgroup_create(stream, group, id="$", mkstream=True)
    except redis.ResponseError as e:
        if "BUSYGROUP" not in str(e):  # Group already exists — that's fine
            raise

def consume_stream(stream: str, group: str, consumer: str,
                   handler, batch_size: int = 10):
    """Consume messages from a stream with acknowledgment.

    Args:
        stream: Stream name.
        group: Consumer group name.
        consumer: This consumer's unique name.
        handler: Function called with (message_id, data) for each message.
        batch_size: Messages to read per iteration.
    """
    while True:
        messages = r.xreadgroup(group, consumer, {stream: ">"},
                                count=batch_size, block=5000)  # Block 5s
        if not messages:
            continue
        for _, entries in messages:
            for msg_id, data in entries:
                try:
                    handler(msg_id, data)
                    r.xack(stream, group, msg_id)
                except Exception as e:
                    print(f"Failed to process {msg_id}: {e}")
                    # Message stays pending — will be retried or claimed
# ------------------------------------------------------------------ END OF SEEDS: the driver
import os
import queue
import sys
import time

DEADLINE_S = 60


def wait_for(what, cond, timeout=20.0):
    """Polls cond() until it is true; fails naming `what` after `timeout` seconds."""
    end = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > end:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.01)


def check_pubsub():
    received = queue.Queue()
    ps = subscribe_to_events("notifications:*", lambda channel, data: received.put((channel, data)))
    wait_for("the pattern subscription", lambda: r.pubsub_numpat() == 1)

    sent = {}
    for i in range(50):
        channel = f"notifications:user:{i}"
        event = {"type": "user_created", "id": i, "tags": ["a", "b"],
                 "score": i / 4, "name": f"us\u00e9r {i} \u2713", "nested": {"ok": True, "none": None}}
        publish_event(channel, event)
        sent[channel] = event
    publish_event("orders:created", {"never": "delivered"})
    publish_event("notifications:end", {"last": True})

    got = {}
    while "notifications:end" not in got:
        channel, data = received.get(timeout=20)
        assert channel not in got, f"{channel} delivered twice"
        got[channel] = data
    assert got.pop("notifications:end") == {"last": True}
    assert got == sent, f"pub/sub: {len(got)} events received of {len(sent)}"

    ps.punsubscribe()
    wait_for("the pattern to go", lambda: r.pubsub_numpat() == 0)


def check_streams():
    stream, group = "events:orders", "order-processors"
    r.delete(stream)
    create_consumer_group(stream, group)
    # The second create answers BUSYGROUP, which the seed swallows.
    create_consumer_group(stream, group)
    assert [g["name"] for g in r.xinfo_groups(stream)] == [group]
    # Other errors are not swallowed.
    r.set("events:not-a-stream", "x")
    try:
        create_consumer_group("events:not-a-stream", group)
        raise AssertionError("XGROUP CREATE on a string did not fail")
    except redis.ResponseError as e:
        assert str(e).startswith("WRONGTYPE"), str(e)
    r.delete("events:not-a-stream")

    events = {}
    for i in range(100):
        data = {"order_id": str(i), "amount": f"{i * 1.25:.2f}", "status": "created"}
        msg_id = add_to_stream(stream, data)
        events[msg_id] = data
    assert len(events) == 100, "add_to_stream returned a duplicate ID"
    ids = list(events)
    assert ids == sorted(ids, key=lambda m: tuple(int(p) for p in m.split("-")))
    assert r.xlen(stream) == 100

    # Every 7th order fails on its first attempt, every 14th on its second too.
    attempts = {}
    handled = {}
    lock = threading.Lock()

    def handler(msg_id, data):
        with lock:
            attempts[msg_id] = attempts.get(msg_id, 0) + 1
            attempt = attempts[msg_id]
        n = int(data["order_id"])
        if (attempt == 1 and n % 7 == 0) or (attempt == 2 and n % 14 == 0):
            raise RuntimeError(f"order {n} failed on attempt {attempt}")
        with lock:
            assert msg_id not in handled, f"{msg_id} handled twice"
            handled[msg_id] = data

    failing_once = [m for m, d in events.items() if int(d["order_id"]) % 7 == 0]
    failing_twice = [m for m, d in events.items() if int(d["order_id"]) % 14 == 0]

    worker = threading.Thread(target=consume_stream, args=(stream, group, "worker-1", handler),
                              daemon=True)
    worker.start()

    def pending():
        return r.xpending(stream, group)["pending"]

    wait_for("the first pass over the stream",
             lambda: len(attempts) == 100 and len(handled) == 100 - len(failing_once)
             and pending() == len(failing_once))

    # Retry: worker-1 reads its own pending entries from the start of its history.
    history = r.xreadgroup(group, "worker-1", {stream: "0"}, count=1000)
    [(name, entries)] = history
    assert name == stream
    assert [m for m, _ in entries] == failing_once
    for msg_id, data in entries:
        assert data == events[msg_id]
        try:
            handler(msg_id, data)
            r.xack(stream, group, msg_id)
        except RuntimeError:
            pass
    assert pending() == len(failing_twice)

    # Claim: worker-2 takes over what is still pending.
    next_id, claimed, deleted = r.xautoclaim(stream, group, "worker-2", min_idle_time=0,
                                             start_id="0-0", count=1000)
    assert next_id == "0-0" and deleted == []
    assert [m for m, _ in claimed] == failing_twice
    for msg_id, data in claimed:
        handler(msg_id, data)
        assert r.xack(stream, group, msg_id) == 1

    assert handled == events, f"{len(handled)} of {len(events)} handled"
    assert all(attempts[m] == 1 for m in events if m not in failing_once)
    assert all(attempts[m] == 2 for m in failing_once if m not in failing_twice)
    assert all(attempts[m] == 3 for m in failing_twice)
    assert pending() == 0
    [info] = r.xinfo_groups(stream)
    assert info["pending"] == 0 and info["last-delivered-id"] == ids[-1], info
    assert sorted(c["name"] for c in r.xinfo_consumers(stream, group)) == ["worker-1", "worker-2"]

    # A new event after all that reaches the consumer loop still running.
    msg_id = add_to_stream(stream, {"order_id": "100", "amount": "0", "status": "late"})
    wait_for("the late event", lambda: msg_id in handled and pending() == 0)
    assert attempts[msg_id] == 1

    # Approximate trimming keeps at least maxlen entries and does trim.
    trimmed = "events:trimmed"
    r.delete(trimmed)
    for i in range(300):
        add_to_stream(trimmed, {"n": str(i)}, maxlen=10)
    assert 10 <= r.xlen(trimmed) < 300, r.xlen(trimmed)
    r.delete(stream, trimmed)


def main():
    global r
    port = int(sys.argv[1])
    watchdog = threading.Timer(DEADLINE_S, lambda: (print("messaging.py: deadline passed",
                                                          file=sys.stderr, flush=True),
                                                    os._exit(2)))
    watchdog.daemon = True
    watchdog.start()
    r = redis.Redis(host="127.0.0.1", port=port, db=0, decode_responses=True)
    assert r.ping() is True
    check_pubsub()
    check_streams()
    print("messaging.py: ok")


if __name__ == "__main__":
    main()
