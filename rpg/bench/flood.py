"""
A registration flood for C{rpg-bench --register-flood RATE}: new accounts
posted to C{/auth/register} at a steady rate while the bots play, to see what
password hashing takes from the tick.

Requests go out from a thread pool (plain C{http.client}, one connection
each), so a slow server makes requests pile up on the client side exactly as
they would from many real clients.
"""

import http.client
import json
import secrets
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

from rpg.bench.report import LatencyHistogram


class RegistrationFlood:
    """Posts C{rate} registrations a second, with at most C{concurrency} in flight."""

    def __init__(self, base_url, rate, concurrency=64, prefix=None):
        parts = urlsplit(base_url)
        self.host, self.port = parts.hostname, parts.port or 80
        self.rate = rate
        self.prefix = prefix or f"fl{secrets.token_hex(3)}"
        self.latency = LatencyHistogram()
        self.statuses = {}
        self.skipped = 0           # not sent: every worker was busy
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._pool = ThreadPoolExecutor(max_workers=concurrency)
        self._free = threading.Semaphore(concurrency)
        self._thread = None

    def start(self):
        self._thread = threading.Thread(target=self._pace, daemon=True)
        self._thread.start()

    def stop(self):
        """Stop sending and wait for the requests in flight."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self._pool.shutdown(wait=True)

    def summary(self, duration):
        with self._lock:
            count = self.latency.count
            return {"rate": self.rate, "registered": count, "per_second": count / duration,
                    "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
                    "not_sent_all_busy": self.skipped,
                    "p50_ms": _ms(self.latency.percentile(0.5)),
                    "p99_ms": _ms(self.latency.percentile(0.99)),
                    "max_ms": _ms(self.latency.maximum if count else None)}

    def _pace(self):
        interval = 1.0 / self.rate
        due = time.monotonic()
        number = 0
        while not self._stop.is_set():
            due += interval
            if self._free.acquire(blocking=False):
                number += 1
                self._pool.submit(self._register, f"{self.prefix}{number}")
            else:
                with self._lock:
                    self.skipped += 1
            self._stop.wait(max(0.0, due - time.monotonic()))

    def _register(self, username):
        body = json.dumps({"username": username, "password": "flood-password"})
        started = time.monotonic()
        status = "error"
        try:
            connection = http.client.HTTPConnection(self.host, self.port, timeout=60)
            connection.request("POST", "/auth/register", body,
                               {"Content-Type": "application/json"})
            response = connection.getresponse()
            response.read()
            status = response.status
            connection.close()
        except OSError:
            pass
        finally:
            elapsed = time.monotonic() - started
            with self._lock:
                self.statuses[status] = self.statuses.get(status, 0) + 1
                if status == 201:
                    self.latency.add(elapsed)
            self._free.release()


def _ms(seconds):
    return None if seconds is None else round(seconds * 1000, 1)
