#!/usr/bin/env python3
"""Drives realistic request traffic into Vigil agents' ingest sockets (JSON lines, DESIGN §3).

Each socket gets its own version's behaviour: durations are lognormal around a per-version median,
errors happen at a per-version rate with categories, and a few `feedback` events carry a score.
Every line's answer is read, so the script reports exactly how many events the agents made durable.

Before the live traffic, --backfill-minutes M sends M minutes of history at once: events and host samples
(cpu.utilization, memory.utilization, queue.depth) carrying their own past timestamps, as an agent's
buffer would after an outage. The hub judges versions on per-(host, minute) points, so the demo needs
this history to reach the judge's 50 points per metric in about a minute of wall time.

usage: demo-traffic.py --seconds N --rate R [--backfill-minutes M] SOCKET:VERSION [SOCKET:VERSION ...]
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
# version: (cpu mean, memory mean, queue depth mean) for the backfilled host samples
RESOURCES = {
    "1.4.0": (0.42, 0.55, 4.0),
    "1.5.0": (0.51, 0.63, 7.0),
}
BACKFILL_EVENTS_PER_MINUTE = 60
CATEGORIES = ["timeout", "upstream_5xx", "validation", "db_conflict"]
ROUTES = ["/api/cart", "/api/checkout", "/api/items", "/api/session"]


def request(rng, version):
    median, sigma, error_rate = PROFILES.get(version, (50.0, 0.5, 0.02))
    error = rng.random() < error_rate
    event = {
        "name": "request",
        "outcome": "error" if error else "ok",
        "duration_ms": round(math.exp(rng.gauss(math.log(median), sigma)) * (3 if error else 1), 3),
        "attributes": {"route": rng.choice(ROUTES)},
    }
    if error:
        event["error_category"] = rng.choice(CATEGORIES)
    return event


def feedback(rng, version):
    score = rng.choice([10, 9, 9, 8, 7, 6, 3] if version == "1.4.0" else [10, 9, 8, 7, 6, 5, 2])
    return {"name": "feedback", "outcome": "ok", "attributes": {"score": str(score)}}


def send(conn, reader, lines):
    """Sends lines in chunks and reads every answer; returns (ok, rejected)."""
    ok = rejected = 0
    for start in range(0, len(lines), 500):
        chunk = lines[start:start + 500]
        conn.sendall(("\n".join(chunk) + "\n").encode())
        for _ in chunk:
            if json.loads(reader.readline()).get("ok"):
                ok += 1
            else:
                rejected += 1
    return ok, rejected


def backfill(rng, version, minutes):
    """History: events and samples over the last `minutes` minutes, with their own timestamps."""
    now_ns = time.time_ns()
    cpu, memory, queue = RESOURCES.get(version, (0.4, 0.5, 5.0))
    lines = []
    for minute in range(minutes, 0, -1):
        start = now_ns - minute * 60_000_000_000
        for i in range(BACKFILL_EVENTS_PER_MINUTE):
            event = request(rng, version)
            event["time_unix_nano"] = start + i * (60_000_000_000 // BACKFILL_EVENTS_PER_MINUTE)
            lines.append(json.dumps(event))
            if rng.random() < 0.05:
                note = feedback(rng, version)
                note["time_unix_nano"] = event["time_unix_nano"] + 1
                lines.append(json.dumps(note))
        for i in range(6):
            at = start + i * 10_000_000_000
            for metric, mean, spread in (
                ("cpu.utilization", cpu, 0.06),
                ("memory.utilization", memory, 0.03),
                ("queue.depth", queue, queue * 0.4),
            ):
                value = rng.gauss(mean, spread)
                value = min(max(value, 0.0), 1.0) if metric != "queue.depth" else max(0, round(value))
                lines.append(json.dumps({"metric": metric, "value": value, "time_unix_nano": at}))
    return lines


def drive(path, version, seconds, rate, backfill_minutes, totals, lock, seed):
    rng = random.Random(seed)
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    conn.connect(path)
    reader = conn.makefile("rb")
    ok, rejected = send(conn, reader, backfill(rng, version, backfill_minutes)) if backfill_minutes else (0, 0)
    deadline = time.time() + seconds
    interval = 0.05
    per_tick = max(1, int(rate * interval))
    while time.time() < deadline:
        tick = time.time()
        lines = []
        for _ in range(per_tick):
            lines.append(json.dumps(request(rng, version)))
            if rng.random() < 0.01:
                lines.append(json.dumps(feedback(rng, version)))
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
    parser.add_argument("--backfill-minutes", type=int, default=0, help="minutes of history to send first")
    parser.add_argument("targets", nargs="+", help="SOCKET:VERSION")
    args = parser.parse_args()
    totals = {"durable": 0, "rejected": 0}
    lock = threading.Lock()
    threads = []
    for index, target in enumerate(args.targets):
        path, _, version = target.rpartition(":")
        thread = threading.Thread(
            target=drive,
            args=(path, version, args.seconds, args.rate, args.backfill_minutes, totals, lock, index),
        )
        thread.start()
        threads.append(thread)
    for thread in threads:
        thread.join()
    print(f"traffic: {totals['durable']} records durable, {totals['rejected']} rejected")
    return 0 if totals["rejected"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
