#!/usr/bin/env python3
"""Tests of vigil_client.py against a real vigil-agent process; prints "N passed, M failed".

usage: test_vigil_client.py --agent PATH/vigil-agent --certs DIR   (DIR from deploy/certs.sh --agent web-01)
"""
import argparse
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vigil_client  # noqa: E402


class Agent:
    def __init__(self, binary, certs, directory):
        self.binary, self.directory = binary, directory
        self.socket = os.path.join(directory, "agent.sock")
        self.database = os.path.join(directory, "agent.db")
        self.config = os.path.join(directory, "agent.yaml")
        with open(self.config, "w") as f:
            f.write(
                "agent_id: web-01\n"
                'endpoints: ["127.0.0.1:1"]\n'
                f"tls: {{ ca: {certs}/ca.pem, cert: {certs}/agent-web-01.pem, key: {certs}/agent-web-01.key }}\n"
                f"ingest: {{ socket: {self.socket} }}\n"
                f"buffer: {{ path: {self.database} }}\n"
                "sampling: { interval: 1h }\n"
                "shutdown: { drain_timeout: 100ms }\n")
        self.process = None

    def start(self):
        if os.path.exists(self.socket):
            os.unlink(self.socket)
        log = open(os.path.join(self.directory, "agent.log"), "a")
        self.process = subprocess.Popen([self.binary, "run", "--config", self.config], stdout=log, stderr=log)
        deadline = time.monotonic() + 20
        while not os.path.exists(self.socket):
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise RuntimeError("the agent did not start")
            time.sleep(0.02)

    def stop(self, sig=signal.SIGTERM):
        if self.process and self.process.poll() is None:
            self.process.send_signal(sig)
            self.process.wait(20)

    def stored_ids(self, ids):
        """Which of `ids` (hex) the agent's buffer holds, by their 16 bytes inside the stored records."""
        db = sqlite3.connect(self.database)
        try:
            blob = b"".join(row[0] for row in db.execute("SELECT bytes FROM records"))
        finally:
            db.close()
        return {i for i in ids if bytes.fromhex(i) in blob}


def ids_of(count, tag):
    return [f"{tag:02x}" + os.urandom(15).hex() for _ in range(count)]


def test_durable(binary, certs, root):
    agent = Agent(binary, certs, root)
    agent.start()
    client = vigil_client.Client(agent.socket, service="checkout", version="1.4.0")
    ids = ids_of(2000, 1)
    for i, event_id in enumerate(ids):
        assert client.event("request", duration_ms=i % 300, event_id=event_id)
    assert client.flush(10) == 0, client.stats()
    stats = client.stats()
    assert stats["durable"] == 2000 and stats["dropped"] == 0 and stats["rejected"] == 0, stats
    client.close()
    agent.stop()
    missing = set(ids) - agent.stored_ids(ids)
    assert not missing, f"{len(missing)} acknowledged events missing from the agent's buffer"


def test_agent_down(binary, certs, root):
    agent = Agent(binary, certs, root)
    client = vigil_client.Client(agent.socket, service="checkout", version="1.4.0")
    small = vigil_client.Client(agent.socket, service="checkout", queue_size=50)
    started = time.monotonic()
    ids = ids_of(100, 2)
    for event_id in ids:
        assert client.event("while_down", event_id=event_id)
        small.event("while_down")
    assert time.monotonic() - started < 1.0, "send blocked while the agent was down"
    assert client.flush(0.3) == 100, "nothing can be durable while the agent is down"
    assert small.stats()["dropped"] == 50, small.stats()
    agent.start()
    assert client.flush(15) == 0, client.stats()
    client.close()
    small.close()
    agent.stop()
    assert agent.stored_ids(ids) == set(ids)


def test_restart_mid_stream(binary, certs, root):
    agent = Agent(binary, certs, root)
    agent.start()
    client = vigil_client.Client(agent.socket, service="checkout", version="1.4.0")
    ids = ids_of(3000, 3)

    def produce():
        for event_id in ids:
            client.event("streamed", event_id=event_id)
            time.sleep(0.0005)

    producer = threading.Thread(target=produce)
    producer.start()
    time.sleep(0.6)
    agent.stop(signal.SIGKILL)
    time.sleep(0.3)
    agent.start()
    producer.join()
    assert client.flush(20) == 0, client.stats()
    assert client.stats()["reconnects"] >= 1, client.stats()
    client.close()
    agent.stop()
    missing = set(ids) - agent.stored_ids(ids)
    assert not missing, f"{len(missing)} events lost across the agent's kill -9"


def test_refused(binary, certs, root):
    agent = Agent(binary, certs, root)
    agent.start()
    client = vigil_client.Client(agent.socket, service="checkout", version="1.4.0")
    good = ids_of(2, 4)
    template = {"service": "checkout", "version": "1.4.0", "name": "templated", "outcome": "ok"}
    client.send(template)
    client.send(template)
    assert template == {"service": "checkout", "version": "1.4.0", "name": "templated", "outcome": "ok"}, "send changed the caller's dict"
    client.event("before", event_id=good[0])
    client.send({"service": "checkout", "name": "bad", "outcome": "maybe"})
    client.event("after", event_id=good[1])
    assert client.flush(10) == 0
    stats = client.stats()
    assert stats["rejected"] == 1 and stats["durable"] == 4, stats
    assert "outcome" in (stats["last_rejection"] or ""), stats
    client.close()
    agent.stop()
    assert agent.stored_ids(good) == set(good)


def test_flush_timeout(binary, certs, root):
    agent = Agent(binary, certs, root)
    agent.start()
    client = vigil_client.Client(agent.socket, service="checkout", version="1.4.0")
    assert client.event("warm") and client.flush(10) == 0
    agent.process.send_signal(signal.SIGSTOP)
    try:
        for _ in range(10):
            client.event("slow")
        started = time.monotonic()
        left = client.flush(0.5)
        took = time.monotonic() - started
        assert left == 10, f"flush said {left} not durable"
        assert 0.4 < took < 2.0, f"flush took {took:.2f} s for a 0.5 s timeout"
    finally:
        agent.process.send_signal(signal.SIGCONT)
    assert client.flush(10) == 0
    client.close()
    agent.stop()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--agent", required=True)
    parser.add_argument("--certs", required=True)
    args = parser.parse_args()
    tests = [test_durable, test_agent_down, test_restart_mid_stream, test_refused, test_flush_timeout]
    passed = failed = 0
    for test in tests:
        with tempfile.TemporaryDirectory(prefix="vigil-py-") as root:
            try:
                test(args.agent, args.certs, root)
                passed += 1
                print(f"ok {test.__name__}")
            except Exception:
                failed += 1
                print(f"FAILED {test.__name__}")
                traceback.print_exc(file=sys.stdout)
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
