"""Vigil's Python client: events to the local agent's socket as JSON lines, standard library only.

    import vigil_client
    vigil = vigil_client.Client("/run/vigil/agent.sock", service="checkout", version="1.4.0")
    vigil.event("import_completed", outcome="ok", duration_ms=830, attributes={"plan": "pro"})
    vigil.flush(timeout=2.0)   # 0 once everything sent so far is durable at the agent

Invariants:
- send() and event() never block and never raise because of the agent: a record goes into a bounded
  in-memory queue and a background thread writes it; when the queue is full the record is dropped and
  counted (`stats()["dropped"]`), never waited for.
- Durable means the agent answered {"ok":true}, which it does only after its group commit. Lines not
  answered when a connection ends are sent again on the next one, in order: at least once to the agent,
  and exactly once at the hub, which drops a second copy by (time_unix_nano, event_id) - both are fixed
  here, when the event is made.
- A record the agent refuses (a bad field) is counted with its reason (`stats()["rejected"]`,
  `stats()["last_rejection"]`) and not sent again.
- The agent being down or restarting is retried with capped exponential backoff; a broken pipe is an
  exception caught here, not a signal (Python ignores SIGPIPE).
"""
import collections
import json
import os
import random
import socket
import threading
import time

__all__ = ["Client"]


class Client:
    def __init__(self, socket_path="/run/vigil/agent.sock", service=None, version=None, queue_size=10000,
                 max_in_flight=1000, backoff_base=0.05, backoff_cap=2.0):
        self._path = socket_path
        self._service = service
        self._version = version
        self._queue_size = queue_size
        self._max_in_flight = max_in_flight
        self._backoff = (backoff_base, backoff_cap)
        self._cond = threading.Condition()
        self._pending = collections.deque()     # (index, line) not yet written on this connection
        self._in_flight = collections.deque()   # (index, line) written, waiting for the answer
        self._next_index = 1
        self._done_through = 0                  # every record up to this index has been answered
        self._counts = {"sent": 0, "durable": 0, "rejected": 0, "dropped": 0, "reconnects": 0}
        self._last_rejection = None
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="vigil-client", daemon=True)
        self._thread.start()

    # The application's side: never blocks on the agent.

    def event(self, name, outcome="ok", duration_ms=None, error_category=None, attributes=None,
              service=None, version=None, event_id=None, time_unix_nano=None):
        """Queues one event; returns False when it had to be dropped (queue full or client closed)."""
        record = {"name": name, "outcome": outcome}
        if service or self._service:
            record["service"] = service or self._service
        if version or self._version:
            record["version"] = version or self._version
        if duration_ms is not None:
            record["duration_ms"] = float(duration_ms)
        if error_category:
            record["error_category"] = error_category
        if attributes:
            record["attributes"] = {str(k): str(v) for k, v in attributes.items()}
        if event_id:
            record["event_id"] = event_id
        if time_unix_nano:
            record["time_unix_nano"] = time_unix_nano
        return self.send(record)

    def send(self, record):
        """Queues a record (a dict in the agent's JSON-lines form); fills event_id and time_unix_nano of an
        event when absent. Returns False when it was dropped."""
        record = dict(record)  # the caller's dict stays as it was (a reused template gets new ids)
        if "metric" not in record:
            record.setdefault("event_id", os.urandom(16).hex())
            record.setdefault("time_unix_nano", time.time_ns())
        line = (json.dumps(record, separators=(",", ":")) + "\n").encode()
        with self._cond:
            if self._closed or len(self._pending) + len(self._in_flight) >= self._queue_size:
                self._counts["dropped"] += 1
                return False
            self._pending.append((self._next_index, line))
            self._next_index += 1
            self._cond.notify_all()
        return True

    def flush(self, timeout=5.0):
        """Waits until every record queued before the call is answered by the agent, at most `timeout`
        seconds; returns how many of them are not (0: all durable or refused)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            target = self._next_index - 1
            while self._done_through < target:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._cond.wait(left)
            return max(0, target - self._done_through)

    def stats(self):
        with self._cond:
            counts = dict(self._counts)
            counts["queued"] = len(self._pending) + len(self._in_flight)
            counts["last_rejection"] = self._last_rejection
            return counts

    def close(self, timeout=5.0):
        """Flushes for at most `timeout` seconds, then stops; returns what flush returned."""
        left = self.flush(timeout)
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        self._thread.join(1.0)
        return left

    # The background thread: one connection at a time, resending what was not answered.

    def _run(self):
        failures = 0
        while True:
            with self._cond:
                while not self._closed and not self._pending and not self._in_flight:
                    self._cond.wait()
                if self._closed:
                    return
            connection = self._connect()
            if connection is None:
                failures += 1
                base, cap = self._backoff
                time.sleep(random.uniform(0, min(cap, base * (2 ** min(failures, 16)))))
                continue
            failures = 0
            self._serve(connection)
            with self._cond:
                # Unanswered lines go first on the next connection, in their order.
                self._pending.extendleft(reversed(self._in_flight))
                self._in_flight.clear()
                self._counts["reconnects"] += 1

    def _connect(self):
        try:
            connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            connection.settimeout(2.0)
            connection.connect(self._path)
            connection.settimeout(None)
            return connection
        except OSError:
            return None

    def _serve(self, connection):
        dead = threading.Event()
        reader = threading.Thread(target=self._read, args=(connection, dead), daemon=True)
        reader.start()
        try:
            while not dead.is_set():
                with self._cond:
                    while not self._closed and not dead.is_set() and (
                            not self._pending or len(self._in_flight) >= self._max_in_flight):
                        self._cond.wait(0.5)
                    if self._closed or dead.is_set():
                        break
                    lines = []
                    while self._pending and len(self._in_flight) < self._max_in_flight and len(lines) < 256:
                        item = self._pending.popleft()
                        self._in_flight.append(item)
                        lines.append(item[1])
                        self._counts["sent"] += 1
                connection.sendall(b"".join(lines))
        except OSError:
            pass
        finally:
            dead.set()
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            reader.join()
            connection.close()

    def _read(self, connection, dead):
        buffer = b""
        try:
            while not dead.is_set():
                chunk = connection.recv(65536)
                if not chunk:
                    break
                buffer += chunk
                while b"\n" in buffer:
                    line, buffer = buffer.split(b"\n", 1)
                    self._answered(line)
        except OSError:
            pass
        finally:
            dead.set()
            with self._cond:
                self._cond.notify_all()

    def _answered(self, line):
        try:
            answer = json.loads(line)
        except ValueError:
            answer = {"ok": False, "error": "unreadable answer from the agent"}
        with self._cond:
            if not self._in_flight:
                return
            index, _ = self._in_flight.popleft()
            if answer.get("ok"):
                self._counts["durable"] += 1
            else:
                self._counts["rejected"] += 1
                self._last_rejection = answer.get("error")
            self._done_through = index
            self._cond.notify_all()
