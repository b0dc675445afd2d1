"""redis-py against jupiter: the routing examples, a 1,000-command pipeline(transaction=False),
MGET/DEL across nodes, scan_iter() over the whole cluster, transactions, BLPOP and Pub/Sub.

Usage: /usr/bin/python3 check_redis_py.py PORT
Prints {"client": "redis-py", "version": ...}, then one JSON line per check; exits 1 if any failed.
"""
import collections
import json
import sys

import redis

failed = False


def check(name):
    def run(fn):
        global failed
        try:
            fn()
            line = {"check": name, "ok": True}
        except Exception as e:  # report every failure as a line, keep going
            failed = True
            line = {"check": name, "ok": False, "detail": f"{type(e).__name__}: {e}"}
        print(json.dumps(line), flush=True)
        return fn

    return run


def expect(what, got, want):
    if got != want:
        raise AssertionError(f"{what}: got {got!r}, want {want!r}")


port = int(sys.argv[1])
r = redis.Redis(host="127.0.0.1", port=port, decode_responses=True, socket_timeout=10)
print(json.dumps({"client": "redis-py", "version": redis.__version__}), flush=True)


@check("PING hash=sample/hashkey answers PONG")
def _():
    expect("PING", r.execute_command("PING", "hash=sample/hashkey"), True)
    expect("PING", r.ping(), True)


@check("SET/GET with hash=somekey")
def _():
    expect("SET", r.execute_command("SET", "hello", "world", "hash=somekey"), True)
    expect("GET", r.execute_command("GET", "hello", "hash=somekey"), "world")


@check("SET/GET without hash=")
def _():
    expect("SET", r.set("plain:hello", "plain world"), True)
    expect("GET", r.get("plain:hello"), "plain world")
    expect("GET missing", r.get("plain:missing"), None)


@check("MSET hash=somekey then SCAN 0 MATCH key* hash=somekey returns cursor 0 and the three keys")
def _():
    expect("MSET", r.execute_command("MSET", "key1", "val1", "key2", "val2", "key3", "val3", "hash=somekey"), True)
    cursor, keys = r.execute_command("SCAN", 0, "MATCH", "key*", "hash=somekey")
    expect("cursor", cursor, 0)
    expect("keys", sorted(keys), ["key1", "key2", "key3"])


@check("pipeline(transaction=False) of 1,000 commands answers in order")
def _():
    pipe = r.pipeline(transaction=False)
    for i in range(500):
        pipe.set(f"pipe:{i}", f"value-{i}")
        pipe.get(f"pipe:{i}")
    replies = pipe.execute()
    expect("reply count", len(replies), 1000)
    for i in range(500):
        expect(f"reply {2 * i}", replies[2 * i], True)
        expect(f"reply {2 * i + 1}", replies[2 * i + 1], f"value-{i}")


@check("MGET across nodes returns values in request order, None for a missing key")
def _():
    keys = [f"mget:{i}" for i in range(30)]
    r.mset({k: f"m{i}" for i, k in enumerate(keys)})
    asked = keys[:15] + ["mget:missing"] + keys[15:]
    want = [f"m{i}" for i in range(15)] + [None] + [f"m{i}" for i in range(15, 30)]
    expect("MGET", r.mget(asked), want)


@check("DEL and EXISTS across nodes answer summed counts")
def _():
    keys = [f"mget:{i}" for i in range(10)]
    expect("EXISTS", r.exists(*keys, "mget:missing", keys[0]), 11)
    expect("DEL", r.delete("mget:missing", *keys), 10)


@check("scan_iter() over the whole cluster yields every key exactly once")
def _():
    r.flushdb()
    pipe = r.pipeline(transaction=False)
    want = {f"scan:{i}" for i in range(2000)}
    for k in want:
        pipe.set(k, "x")
    pipe.execute()
    expect("DBSIZE", r.dbsize(), len(want))
    seen = collections.Counter(r.scan_iter())
    dupes = [k for k, n in seen.items() if n != 1]
    expect("keys seen more than once", dupes, [])
    expect("keys", set(seen), want)
    matched = collections.Counter(r.scan_iter(match="scan:1*", count=100))
    expect("scan_iter(match=...)", set(matched), {k for k in want if k.startswith("scan:1")})
    expect("scan_iter(match=...) duplicates", [k for k, n in matched.items() if n != 1], [])


@check("pipeline() (a MULTI/EXEC transaction) with hash tags runs atomically on one node")
def _():
    pipe = r.pipeline()  # transaction=True, redis-py's default
    pipe.set("{cart}:items", 3).incrby("{cart}:items", 2).get("{cart}:items")
    expect("EXEC", pipe.execute(), [True, 5, "5"])


@check("transaction() with WATCH retries until no other client changed the key")
def _():
    other = redis.Redis(host="127.0.0.1", port=port, decode_responses=True)
    r.set("{acct}:balance", 100)
    tries = []

    def move(pipe):
        tries.append(1)
        balance = int(pipe.get("{acct}:balance"))
        if len(tries) == 1:
            other.incrby("{acct}:balance", 50)  # changes the watched key once: the first EXEC fails
        pipe.multi()
        pipe.set("{acct}:balance", balance - 10)

    r.transaction(move, "{acct}:balance")
    other.close()
    expect("tries", len(tries), 2)
    expect("balance", r.get("{acct}:balance"), "140")


@check("BLPOP waits for a push and returns it; with a timeout it returns None")
def _():
    other = redis.Redis(host="127.0.0.1", port=port, decode_responses=True)
    import threading

    threading.Timer(0.3, lambda: other.rpush("jobs", "job-1")).start()
    expect("BLPOP", r.blpop("jobs", timeout=5), ("jobs", "job-1"))
    expect("BLPOP timeout", r.blpop("jobs:empty", timeout=1), None)
    other.close()


@check("pubsub(): subscribe and psubscribe hear messages published by another client")
def _():
    p = r.pubsub()
    p.subscribe("py-news")
    p.psubscribe("py-*")
    for _ in range(2):  # the two confirmations
        p.get_message(timeout=5)
    expect("PUBLISH", r.publish("py-news", "hello"), 2)  # one client, heard as channel and as pattern, as on one Redis
    got = [p.get_message(timeout=5) for _ in range(2)]
    expect("message", sorted((m["type"], m["channel"], m["data"]) for m in got), [("message", "py-news", "hello"), ("pmessage", "py-news", "hello")])
    p.close()


sys.exit(1 if failed else 0)
