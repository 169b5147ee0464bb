"""python3 bench_vigil_client.py --socket PATH [--events N] [--raw]

Events/s from one thread until durable at the agent (`make bench`, Tests/Benchmarks/ClientBenchmark.swift).
Default: through vigil_client.Client, waiting out a full queue (a dropped event is sent again, not counted).
--raw: the reference beside it - the same lines encoded up front and written by a bare socket, one reader
counting the agent's answers: what the agent's JSON-lines ingest takes when the client costs nothing.
"""
import argparse
import json
import os
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vigil_client  # noqa: E402


def through_client(path, events):
    client = vigil_client.Client(path, service="bench", version="1.0.0")
    attributes = {"route": "/checkout"}
    started = time.monotonic()
    for i in range(events):
        while not client.event("request", outcome="ok", duration_ms=i % 500, attributes=attributes):
            time.sleep(0.0002)
    left = client.flush(timeout=300)
    took = time.monotonic() - started
    client.close(1.0)
    return left, took


def raw(path, events):
    lines = []
    for i in range(events):
        record = {"name": "request", "outcome": "ok", "service": "bench", "version": "1.0.0",
                  "duration_ms": float(i % 500), "attributes": {"route": "/checkout"},
                  "event_id": os.urandom(16).hex(), "time_unix_nano": time.time_ns()}
        lines.append((json.dumps(record, separators=(",", ":")) + "\n").encode())
    payload = b"".join(lines)
    connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    connection.connect(path)
    answered = [0, 0]  # ok, refused

    def read():
        buffer = b""
        while answered[0] + answered[1] < events:
            chunk = connection.recv(1 << 16)
            if not chunk:
                return
            buffer += chunk
            *complete, buffer = buffer.split(b"\n")
            for line in complete:
                answered[0 if line.startswith(b'{"ok":true') else 1] += 1

    reader = threading.Thread(target=read)
    started = time.monotonic()
    reader.start()
    connection.sendall(payload)
    reader.join(300)
    took = time.monotonic() - started
    connection.close()
    return events - answered[0], took


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--socket", required=True)
    parser.add_argument("--events", type=int, default=100000)
    parser.add_argument("--raw", action="store_true")
    arguments = parser.parse_args()
    left, took = (raw if arguments.raw else through_client)(arguments.socket, arguments.events)
    if left:
        print(f"{left} events not durable", file=sys.stderr)
        return 1
    print(f"seconds={took}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
