"""`python3 scripts/dev.py run` serves Bridge and the sandbox, prints the login last, in a box, and
SIGTERM or Ctrl+C (SIGINT) stops it with every process it started (on free ports, a temporary database and logs)."""
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads child processes from /proc")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def children_of(pid: int) -> set[int]:
    """Every live process descended from `pid`, read from /proc."""
    parents = {}
    for entry in Path("/proc").iterdir():
        try:
            stat = (entry / "stat").read_text()
        except (OSError, ValueError):
            continue
        if entry.name.isdigit():
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, frontier = set(), {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "Ctrl+C"])
def test_run_serves_prints_the_login_last_and_a_stop_leaves_no_process(tmp_path, stop):
    app_port, sandbox_port = free_port(), free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith(("XERO_", "SANDBOX_"))}
    env.update(
        BRIDGE_PORT=str(app_port), BRIDGE_SANDBOX_PORT=str(sandbox_port), BRIDGE_LOG_DIR=str(tmp_path / "logs"),
        DATABASE_URL=f"sqlite:///{tmp_path / 'bridge.sqlite'}",
        SANDBOX_DATABASE_URL=f"sqlite:///{tmp_path / 'sandbox.sqlite'}",
        SECRET_KEY="dev-run-test", XERO_TOKEN_KEY=Fernet.generate_key().decode(),
    )
    output = tmp_path / "output.txt"
    with output.open("w") as out:
        dev = subprocess.Popen([sys.executable, "scripts/dev.py", "run"], cwd=ROOT, env=env,
                               stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120
        while "Ctrl+C stops" not in output.read_text() and time.monotonic() < deadline and dev.poll() is None:
            time.sleep(0.2)
        assert "Ctrl+C stops" in output.read_text(), output.read_text()
        assert listening(app_port) and listening(sandbox_port)
        started = children_of(dev.pid)
        assert len(started) >= 2
    finally:
        dev.send_signal(stop)
        # dev.py gives each server 5 s per signal (INT, TERM, KILL): up to 30 s for two on a busy machine.
        code = dev.wait(timeout=45)
    assert code == 0
    printed = output.read_text()
    lines = printed.splitlines()
    edge = next(line for line in lines if line.startswith("+---"))
    top, bottom = lines.index(edge), len(lines) - 1 - lines[::-1].index(edge)
    assert all(line.startswith("| ") for line in lines[top + 1:bottom])
    assert lines[bottom + 1:] == [] or lines[bottom + 1:] == ["", "==> Stopping Bridge and the Xero sandbox"]
    login = "\n".join(lines[top:bottom])
    assert f"http://127.0.0.1:{app_port}" in login and "admin@bridge.local" in login
    assert "(shown once: keep it)" in login and "users set-password --email admin@bridge.local" in login
    assert "INFO" not in printed and "Running upgrade" not in printed  # installs and migrations stay quiet
    time.sleep(0.5)
    assert [pid for pid in started if alive(pid)] == []
    assert not listening(app_port) and not listening(sandbox_port)
