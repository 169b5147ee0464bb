#!/usr/bin/env python3
"""Drives realistic request traffic into Vigil agents' ingest sockets (JSON lines, DESIGN §3).

Each socket gets its own version's behaviour: durations are lognormal around a per-version median,
errors happen at a per-version rate with categories, and a few `feedback` events carry a score.
Every line's answer is read, so the script reports exactly how many events the agents made durable.

usage: demo-traffic.py --seconds N --rate R SOCKET:VERSION [SOCKET:VERSION ...]
"""
import argparse
import json
import math
import random
import socket
import sys
import threading
import time

PROFILES = {
    # version: (median ms, sigma, error rate)
    "1.4.0": (42.0, 0.45, 0.010),
    "1.5.0": (61.0, 0.55, 0.045),
}
CATEGORIES = ["timeout", "upstream_5xx", "validation", "db_conflict"]
ROUTES = ["/api/cart", "/api/checkout", "/api/items", "/api/session"]


def drive(path, version, seconds, rate, totals, lock, seed):
    rng = random.Random(seed)
    median, sigma, error_rate = PROFILES.get(version, (50.0, 0.5, 0.02))
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    conn.connect(path)
    reader = conn.makefile("rb")
    ok = rejected = 0
    deadline = time.time() + seconds
    interval = 0.05
    per_tick = max(1, int(rate * interval))
    while time.time() < deadline:
        tick = time.time()
        lines = []
        for _ in range(per_tick):
            error = rng.random() < error_rate
            event = {
                "name": "request",
                "outcome": "error" if error else "ok",
                "duration_ms": round(math.exp(rng.gauss(math.log(median), sigma)) * (3 if error else 1), 3),
                "attributes": {"route": rng.choice(ROUTES)},
            }
            if error:
                event["error_category"] = rng.choice(CATEGORIES)
            lines.append(json.dumps(event))
            if rng.random() < 0.01:
                score = rng.choice([10, 9, 9, 8, 7, 6, 3] if version == "1.4.0" else [10, 9, 8, 7, 6, 5, 2])
                lines.append(json.dumps({"name": "feedback", "outcome": "ok", "attributes": {"score": str(score)}}))
        conn.sendall(("\n".join(lines) + "\n").encode())
        for _ in lines:
            reply = json.loads(reader.readline())
            if reply.get("ok"):
                ok += 1
            else:
                rejected += 1
        time.sleep(max(0.0, interval - (time.time() - tick)))
    conn.close()
    with lock:
        totals["durable"] += ok
        totals["rejected"] += rejected


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--rate", type=float, default=200, help="events per second per socket")
    parser.add_argument("targets", nargs="+", help="SOCKET:VERSION")
    args = parser.parse_args()
    totals = {"durable": 0, "rejected": 0}
    lock = threading.Lock()
    threads = []
    for index, target in enumerate(args.targets):
        path, _, version = target.rpartition(":")
        thread = threading.Thread(target=drive, args=(path, version, args.seconds, args.rate, totals, lock, index))
        thread.start()
        threads.append(thread)
    for thread in threads:
        thread.join()
    print(f"traffic: {totals['durable']} events durable, {totals['rejected']} rejected")
    return 0 if totals["rejected"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
