"""Bridge under gunicorn and the Xero sandbox as their own processes, on free loopback ports,
as production runs them (tests.live serves apps in threads of the test process instead).

    with SandboxProcess(folder) as sandbox, GunicornServer(env, workers=4) as bridge:
        requests.get(f"{bridge.url}/healthz")
"""
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import requests

from bridge.config import XERO_SANDBOX_PATHS
from tests.live import SANDBOX_CLIENT

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# No limit worth the name: the sandbox's rate limits are tested on their own (tests/sandbox).
UNLIMITED = str(10**9)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def stop_process(popen: subprocess.Popen, sig: int, timeout: float) -> None:
    """Ask a process to stop with `sig`; kill it if it has not after `timeout` seconds."""
    if popen.poll() is not None:
        return
    popen.send_signal(sig)
    try:
        popen.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        popen.kill()
        popen.wait(timeout=10)


class ServerProcess:
    """A command serving HTTP on a free port; its output kept line by line as it comes."""

    def __init__(self, command: list[str], env: dict, port: int, ready_path: str):
        self.command, self.env, self.port, self.ready_path = command, env, port, ready_path
        self.url = f"http://127.0.0.1:{port}"
        self.lines: list[str] = []
        self.popen: subprocess.Popen | None = None

    def __enter__(self):
        self.popen = subprocess.Popen(self.command, cwd=PROJECT_ROOT, env=self.env, text=True,
                                      stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        threading.Thread(target=self._read, daemon=True).start()
        try:
            self._wait_until_up(timeout=60)
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc):
        self.stop()

    def _read(self):
        for line in self.popen.stdout:
            self.lines.append(line.rstrip())

    def _wait_until_up(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.popen.poll() is not None:
                raise RuntimeError(f"{self.command[2:4]} exited:\n" + "\n".join(self.lines[-40:]))
            try:
                if requests.get(self.url + self.ready_path, timeout=5).status_code == 200:
                    return
            except (requests.ConnectionError, requests.Timeout):
                pass  # not listening yet, or its workers are still starting
            time.sleep(0.2)
        raise RuntimeError(f"{self.url} did not come up:\n" + "\n".join(self.lines[-40:]))

    def stop(self) -> None:
        """SIGTERM (a supervisor's stop: gunicorn lets its workers finish), then kill."""
        if self.popen is not None:
            stop_process(self.popen, signal.SIGTERM, timeout=30)


class GunicornServer(ServerProcess):
    """Bridge as `scripts/dev.py serve` runs it: gunicorn with gunicorn.conf.py and wsgi:app.

    `env` is added to this process's environment (DATABASE_URL, SECRET_KEY, XERO_*, ...);
    it is up once /healthz answers 200.
    """

    def __init__(self, env: dict, workers: int = 4, threads: int = 8):
        port = free_port()
        command = [sys.executable, "-m", "gunicorn", "-c", str(PROJECT_ROOT / "gunicorn.conf.py"),
                   "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
                   "--threads", str(threads), "--access-logfile", os.devnull, "wsgi:app"]
        full_env = {k: v for k, v in os.environ.items() if k != "TEST_DATABASE_URL"}
        # Plain http on loopback: cookies must travel without HTTPS.
        # Every simulated person logs in from 127.0.0.1: the per-address login limit (meant
        # for one attacker) would throttle a load test's crowd.
        full_env.update({"SESSION_COOKIE_SECURE": "false", "LOGIN_LIMIT_PER_ADDRESS": "10000 per minute", **env})
        super().__init__(command, full_env, port, "/healthz")

    def worker_pids(self) -> set[int]:
        """The workers gunicorn booted (from its log)."""
        return {int(line.rsplit(" ", 1)[1]) for line in self.lines if "Booting worker with pid:" in line}


class SandboxProcess(ServerProcess):
    """The Xero sandbox as its own process (`flask --app bridge.xero_sandbox run`), with the
    control API on, limits relaxed, a fresh SQLite database in `folder`, and Bridge's test
    client registered with `redirect_uri`."""

    def __init__(self, folder: Path, redirect_uri: str, **env):
        port = free_port()
        command = [sys.executable, "-m", "flask", "--app", "bridge.xero_sandbox", "run",
                   "--host", "127.0.0.1", "--port", str(port), "--with-threads", "--no-reload",
                   "--no-debugger"]
        clients = {SANDBOX_CLIENT["id"]: {"name": "Bridge (tests)", "secret": SANDBOX_CLIENT["secret"],
                                          "redirect_uris": [redirect_uri]}}
        full_env = {k: v for k, v in os.environ.items() if not k.startswith("FLASK_")}
        full_env.update({
            "SANDBOX_DATABASE_URL": f"sqlite:///{folder / 'sandbox.sqlite'}",
            "SANDBOX_CONTROL_ENABLED": "1", "SANDBOX_CLIENTS": json.dumps(clients),
            "SANDBOX_CALLS_PER_MINUTE": UNLIMITED, "SANDBOX_CALLS_PER_DAY": UNLIMITED,
            "SANDBOX_APP_CALLS_PER_MINUTE": UNLIMITED, "SANDBOX_CONCURRENT_LIMIT": UNLIMITED,
            "SANDBOX_REQUEST_LOG_SIZE": "100", **env})
        super().__init__(command, full_env, port, "/_sandbox/clock")

    def bridge_config(self) -> dict:
        """Bridge's settings to talk to this sandbox as the test client."""
        urls = {key: self.url + path for key, path in XERO_SANDBOX_PATHS.items()}
        return {"XERO_CLIENT_ID": SANDBOX_CLIENT["id"], "XERO_CLIENT_SECRET": SANDBOX_CLIENT["secret"], **urls}

    def control(self, verb: str, path: str, **payload):
        """Call the control API (verb: GET, POST, PUT, DELETE); its JSON answer (None when empty)."""
        answer = requests.request(verb, f"{self.url}/_sandbox/{path.lstrip('/')}", json=payload or None,
                                  timeout=30)
        answer.raise_for_status()
        return answer.json() if answer.content else None
