"""
``twistd rpg`` as a separate process, as an operator runs it.
"""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


TWISTD = [sys.executable, "-c", "from twisted.scripts.twistd import run; run()"]


def twistd_command(*args):
    """C{twistd rpg ARGS}, run by this Python from this checkout."""
    return [*TWISTD, "rpg", *args]


def environment(**extra):
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    env.update(extra)
    return env


class TwistdServer:
    """
    Start C{twistd -n rpg} with options; C{stop()} sends SIGTERM and waits.
    """

    def __init__(self, workdir, *options, port=None, env=None):
        self.port = port or free_port()
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.log_path = self.workdir / f"twistd-{self.port}.log"
        if "--metrics-listen" not in options:
            # Several servers run side by side: no fight over the default port.
            options = ("--metrics-listen", "tcp:0:interface=127.0.0.1", *options)
        args = ["-n", "--pidfile=", "--logfile", str(self.log_path), "rpg",
                "--listen", f"tcp:{self.port}:interface=127.0.0.1", *options]
        self.process = subprocess.Popen(
            [*TWISTD, *args], cwd=self.workdir,
            env=environment(**(env or {})), stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.ws_url = f"ws://127.0.0.1:{self.port}/ws"

    def wait_ready(self, timeout=20.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"twistd exited with {self.process.returncode}:\n{self.log()}")
            try:
                with urllib.request.urlopen(self.base_url + "/health", timeout=1) as r:
                    if r.status == 200:
                        return self
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"twistd did not answer /health in {timeout}s:\n{self.log()}")

    def log(self):
        return self.log_path.read_text() if self.log_path.exists() else ""

    def stop(self, timeout=20.0):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode

    def kill(self):
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
