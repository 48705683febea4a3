#!/usr/bin/env python3
"""Set up and run Bridge, or its whole test suite, on a fresh machine with only Python.

    python3 scripts/dev.py run     # venv, install, migrate, demo data, Xero sandbox + app
    python3 scripts/dev.py test    # venv, install, Chromium, import contracts, the suite on SQLite then PostgreSQL
    python3 scripts/dev.py serve   # production: venv, install, migrate, gunicorn (gunicorn.conf.py)

Arguments after `test` go to pytest, after `serve` to gunicorn (e.g. --bind 0.0.0.0:8000).

Standard library only: it runs before anything is installed.
"""
import hashlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / "python"
REQUIREMENTS = ROOT / "requirements.txt"
CHROMIUM = "/usr/bin/chromium"
POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
APP_PORT = 5000
SANDBOX_PORT = 5050
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def say(message: str) -> None:
    print(f"==> {message}", flush=True)


def run(*args, **kwargs) -> None:
    subprocess.run([str(a) for a in args], check=True, cwd=ROOT, **kwargs)


def ensure_venv() -> None:
    """Create .venv and install requirements.txt, skipping the install when nothing changed."""
    if not PYTHON.exists():
        say("Creating the virtual environment in .venv")
        run(sys.executable, "-m", "venv", VENV)
    stamp = VENV / ".requirements.sha256"
    digest = hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()
    if stamp.exists() and stamp.read_text() == digest:
        return
    say("Installing requirements")
    run(PYTHON, "-m", "pip", "install", "--quiet", "--upgrade", "pip")
    run(PYTHON, "-m", "pip", "install", "--quiet", "-r", REQUIREMENTS)
    stamp.write_text(digest)


def flask(*args, env=None) -> None:
    run(PYTHON, "-m", "flask", "--app", "wsgi", *args, env=env)


def port_open(host: str, port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def start_sandbox(env: dict) -> subprocess.Popen | None:
    """Serve the local Xero sandbox beside the app, so the demo needs no second terminal."""
    if not (ROOT / "bridge" / "xero_sandbox" / "__init__.py").exists():
        return None
    if port_open("127.0.0.1", SANDBOX_PORT):
        say(f"Something already listens on port {SANDBOX_PORT}; using it as the Xero sandbox")
        return None
    say(f"Starting the Xero sandbox on http://127.0.0.1:{SANDBOX_PORT}")
    return subprocess.Popen(
        [str(PYTHON), "-m", "flask", "--app", "bridge.xero_sandbox", "run",
         "--host", "127.0.0.1", "--port", str(SANDBOX_PORT)],
        cwd=ROOT, env=env,
    )


def command_run() -> int:
    """Install, migrate, seed demo data when the database is empty, and serve."""
    ensure_venv()
    env = dict(os.environ)
    # The demo is served on plain http: cookies must not be HTTPS-only here.
    env.setdefault("SESSION_COOKIE_SECURE", "false")
    say("Applying database migrations")
    flask("db", "upgrade", env=env)
    flask("demo", "seed", "--if-empty", env=env)
    sandbox = start_sandbox(env)
    say(f"Bridge runs on http://127.0.0.1:{APP_PORT}  (Ctrl+C stops it)")
    try:
        flask("run", "--host", "127.0.0.1", "--port", str(APP_PORT), env=env)
    except (KeyboardInterrupt, subprocess.CalledProcessError):
        pass
    finally:
        if sandbox is not None:
            sandbox.send_signal(signal.SIGINT)
            sandbox.wait(timeout=10)
    return 0


def command_serve(gunicorn_args: list[str]) -> int:
    """Production: install, apply the migrations, then gunicorn with gunicorn.conf.py."""
    ensure_venv()
    env = dict(os.environ)
    if not env.get("DATABASE_URL"):
        say("DATABASE_URL is not set: serving the SQLite file in instance/ (set it to PostgreSQL "
            "for production)")
    for name in ("SECRET_KEY", "XERO_TOKEN_KEY"):
        if not env.get(name):
            say(f"{name} is not set: using the one generated in instance/ (set it, the same on "
                "every machine, when several serve one database)")
    say("Applying database migrations")
    flask("db", "upgrade", env=env)
    say("Starting gunicorn (gunicorn.conf.py)")
    command = [str(BIN / "gunicorn"), "-c", str(ROOT / "gunicorn.conf.py"), *gunicorn_args, "wsgi:app"]
    try:
        return subprocess.run(command, cwd=ROOT, env=env).returncode
    except KeyboardInterrupt:
        return 0


def ensure_chromium() -> None:
    """Install Debian's chromium for the browser tests when it is missing and we can."""
    if Path(CHROMIUM).exists():
        return
    if shutil.which("apt-get") and os.geteuid() == 0:
        say("Installing Chromium for the browser tests (apt-get install chromium)")
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        run("apt-get", "update", "-qq", env=env)
        run("apt-get", "install", "-y", "-qq", "chromium", env=env)
        return
    message = "Chromium is missing and cannot be installed here (needs root and apt-get)"
    if IN_CI:
        raise SystemExit(message)
    say(message + "; browser tests will be skipped")


def postgres_reachable() -> bool:
    return port_open("127.0.0.1", 5432)


def command_test(pytest_args: list[str]) -> int:
    """The whole suite on SQLite, then again on PostgreSQL (mandatory in CI)."""
    ensure_venv()
    ensure_chromium()
    env = dict(os.environ)
    env.pop("TEST_DATABASE_URL", None)
    say("Import contracts (.importlinter): no cycles, the layers, the sandbox apart")
    if subprocess.run([str(BIN / "lint-imports"), "--no-cache"], cwd=ROOT).returncode != 0:
        say("The import contracts are broken (see above): fix the imports first")
        return 1
    postgres = postgres_reachable()
    say("Test suite on SQLite" + (" (the postgres_only tests run in the PostgreSQL pass)" if postgres else ""))
    # postgres_only tests use a PostgreSQL schema of their own in either pass: once is enough.
    only_sqlite = ["-m", "not postgres_only"] if postgres else []
    sqlite = subprocess.run([str(PYTHON), "-m", "pytest", *only_sqlite, *pytest_args], cwd=ROOT, env=env)
    # Exit code 5: nothing collected, as when the arguments name postgres_only tests alone.
    sqlite_code = 0 if only_sqlite and sqlite.returncode == 5 else sqlite.returncode
    if not postgres:
        if IN_CI:
            say("PostgreSQL is not reachable on 127.0.0.1:5432, and CI requires it")
            return 1
        say("PostgreSQL is not reachable on 127.0.0.1:5432: skipping the PostgreSQL run")
        return sqlite_code
    say("Test suite on PostgreSQL")
    env["TEST_DATABASE_URL"] = os.environ.get("TEST_POSTGRES_URL", POSTGRES_URL)
    on_postgres = subprocess.run([str(PYTHON), "-m", "pytest", *pytest_args], cwd=ROOT, env=env)
    return sqlite_code or on_postgres.returncode


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in {"run", "test", "serve"}:
        print(__doc__)
        return 2
    if argv[0] == "run":
        return command_run()
    if argv[0] == "serve":
        return command_serve(argv[1:])
    started = time.monotonic()
    code = command_test(argv[1:])
    say(f"Tests finished in {time.monotonic() - started:.0f} s")
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
