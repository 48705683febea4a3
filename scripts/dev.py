#!/usr/bin/env python3
"""Set up and run Bridge, or its whole test suite, on a fresh machine with only Python.

    python3 scripts/dev.py run     # venv, install, migrate, demo data, Xero sandbox + app
    python3 scripts/dev.py test    # venv, install, Chromium, import contracts, the suite on SQLite and PostgreSQL
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
# Each pass ends with its slowest tests: what to look at when CI nears its 30 minutes.
DURATIONS = "--durations=15"
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
DEMO_EMAIL = "admin@bridge.local"
NEW_PASSWORD = f".venv/bin/flask --app wsgi users set-password --email {DEMO_EMAIL}"


class Stop(Exception):
    """SIGTERM arrived: stop like Ctrl+C does."""


def say(message: str) -> None:
    print(f"==> {message}", flush=True)


def run(*args, **kwargs) -> None:
    subprocess.run([str(a) for a in args], check=True, cwd=ROOT, **kwargs)


def quietly(*args, env=None) -> str:
    """Run a command with its output kept; on failure show that output and stop."""
    done = subprocess.run([str(a) for a in args], cwd=ROOT, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        sys.stdout.write(done.stdout + done.stderr)
        raise SystemExit(f"Failed: {' '.join(str(a) for a in args)}")
    return done.stdout


def ensure_venv() -> None:
    """Create .venv and install requirements.txt, skipping the install when nothing changed."""
    stamp = VENV / ".requirements.sha256"
    digest = hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()
    if PYTHON.exists() and stamp.exists() and stamp.read_text() == digest:
        return
    started = time.monotonic()
    print("==> Installing Bridge into .venv (a minute or two the first time) ...", end="", flush=True)
    if not PYTHON.exists():
        quietly(sys.executable, "-m", "venv", VENV)
    quietly(PYTHON, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--upgrade", "pip")
    quietly(PYTHON, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-r", REQUIREMENTS)
    stamp.write_text(digest)
    print(f" done in {time.monotonic() - started:.0f} s", flush=True)


def flask(*args, env=None) -> None:
    run(PYTHON, "-m", "flask", "--app", "wsgi", *args, env=env)


def port_open(host: str, port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def wait_for_port(port: int, process: subprocess.Popen, seconds: float = 60) -> bool:
    """Whether something listens on `port` within `seconds` while `process` still runs."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and process.poll() is None:
        if port_open("127.0.0.1", port):
            return True
        time.sleep(0.1)
    return False


def serve(args: list, env: dict, log: Path) -> subprocess.Popen:
    """Start a server in a process group of its own, its output going to `log`."""
    with log.open("ab") as out:
        return subprocess.Popen([str(a) for a in args], cwd=ROOT, env=env, stdout=out,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)


def stop(process: subprocess.Popen) -> None:
    """Stop a server and everything it started: SIGINT (a clean stop), then SIGTERM, then SIGKILL."""
    for sig, grace in ((signal.SIGINT, 5), (signal.SIGTERM, 5), (signal.SIGKILL, 5)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            break
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            continue
        try:  # the leader is gone; make sure nothing it started lingers in its group
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        break


def prepare_database(env: dict) -> str | None:
    """Migrate, and seed the demo into an empty database: the admin's new password, or None."""
    output = quietly(PYTHON, "-m", "flask", "--app", "wsgi", "demo", "seed", "--migrate", "--if-empty", env=env)
    marker = "Password (shown once, keep it): "
    return next((line[len(marker):].strip() for line in output.splitlines() if line.startswith(marker)), None)


def login_box(url: str, sandbox_url: str | None, password: str | None, logs: Path) -> str:
    """The login, framed, to print last."""
    rows = [f"Bridge is running at {url}", "", f"  Email:     {DEMO_EMAIL}"]
    if password:
        rows.append(f"  Password:  {password}   (shown once: keep it)")
    else:
        rows.append("  Password:  the one shown when the demo was created")
    rows += [f"  Forgot it? A new one: {NEW_PASSWORD}", ""]
    if sandbox_url:
        rows.append(f"Xero sandbox (the Xero side of the demo): {sandbox_url}/_ui/")
    rows += [f"Server logs: {logs}", "Ctrl+C stops Bridge and the sandbox."]
    width = max(len(row) for row in rows)
    edge = "+" + "-" * (width + 2) + "+"
    return "\n".join([edge, *(f"| {row.ljust(width)} |" for row in rows), edge])


def on_sigterm(signum, frame):
    """SIGTERM handler: unwind command_run as Ctrl+C does, so its servers are stopped."""
    raise Stop()


def command_run() -> int:
    """Install, migrate, seed demo data when the database is empty, and serve beside the sandbox."""
    signal.signal(signal.SIGTERM, on_sigterm)
    # Ctrl+C stops it even when it was started with SIGINT ignored (as a shell's background job is).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    app_port = int(os.environ.get("BRIDGE_PORT", "5000"))
    sandbox_port = int(os.environ.get("BRIDGE_SANDBOX_PORT", "5050"))
    logs = Path(os.environ.get("BRIDGE_LOG_DIR") or ROOT / "instance" / "logs")
    logs.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    # The demo is served on plain http: cookies must not be HTTPS-only here.
    env.setdefault("SESSION_COOKIE_SECURE", "false")
    env.setdefault("XERO_SANDBOX_URL", f"http://127.0.0.1:{sandbox_port}")
    servers: list[subprocess.Popen] = []
    try:
        ensure_venv()
        sandbox_url = None
        if port_open("127.0.0.1", sandbox_port):
            say(f"Something already listens on port {sandbox_port}; using it as the Xero sandbox")
            sandbox_url = f"http://127.0.0.1:{sandbox_port}"
        elif (ROOT / "bridge" / "xero_sandbox" / "__init__.py").exists():
            say("Starting the Xero sandbox and preparing the database ...")
            servers.append(serve([PYTHON, "-m", "flask", "--app", "bridge.xero_sandbox", "run", "--host",
                                  "127.0.0.1", "--port", sandbox_port], env, logs / "xero-sandbox.log"))
            sandbox_url = f"http://127.0.0.1:{sandbox_port}"
        password = prepare_database(env)
        app = serve([PYTHON, "-m", "flask", "--app", "wsgi", "run", "--host", "127.0.0.1", "--port", app_port],
                    env, logs / "bridge.log")
        servers.append(app)
        if not wait_for_port(app_port, app) or (servers[0] is not app and not wait_for_port(sandbox_port, servers[0])):
            say(f"A server did not start: see {logs}")
            return 1
        print("\n" + login_box(f"http://127.0.0.1:{app_port}", sandbox_url, password, logs), flush=True)
        while all(server.poll() is None for server in servers):
            time.sleep(0.5)
        say(f"A server stopped: see {logs}")
        return 1
    except (KeyboardInterrupt, Stop):
        print("\n==> Stopping Bridge and the Xero sandbox", flush=True)
        return 0
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        for server in reversed(servers):
            stop(server)


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
    """The whole suite on SQLite and, at the same time, on PostgreSQL (mandatory in CI)."""
    ensure_venv()
    ensure_chromium()
    env = dict(os.environ)
    env.pop("TEST_DATABASE_URL", None)
    say("Import contracts (.importlinter): no cycles, the layers, the sandbox apart")
    if subprocess.run([str(BIN / "lint-imports"), "--no-cache"], cwd=ROOT).returncode != 0:
        say("The import contracts are broken (see above): fix the imports first")
        return 1
    postgres = postgres_reachable()
    if not postgres:
        if IN_CI:
            say("PostgreSQL is not reachable on 127.0.0.1:5432, and CI requires it")
            return 1
        say("PostgreSQL is not reachable on 127.0.0.1:5432: skipping the PostgreSQL run")
        say("Test suite on SQLite")
        return subprocess.run([str(PYTHON), "-m", "pytest", *pytest_args], cwd=ROOT, env=env).returncode
    # The two passes run at once: each is one Python process that keeps about one core busy
    # (the sandbox and the servers under test are threads of it), so on two cores together
    # they take about as long as the SQLite pass alone (CI stays under 30 minutes).
    # Run once, in the SQLite pass: the browser tests (they drive the same views the rest of
    # the suite checks on both databases), the sandbox's own tests and the run command's test
    # (they never touch this database). postgres_only tests run once, in the PostgreSQL pass
    # (they use a PostgreSQL schema of their own in either).
    pg_env = {**env, "TEST_DATABASE_URL": os.environ.get("TEST_POSTGRES_URL", POSTGRES_URL)}
    log = ROOT / "instance" / "logs" / "test-postgres.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    say(f"Test suite on PostgreSQL, started in the background (its output follows; meanwhile: {log})")
    with log.open("w") as out:
        on_postgres = subprocess.Popen(
            [str(PYTHON), "-m", "pytest", DURATIONS, "--ignore=tests/browser", "--ignore=tests/sandbox",
             "--ignore=tests/test_dev_run.py", *pytest_args],
            cwd=ROOT, env=pg_env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        try:
            say("Test suite on SQLite (the postgres_only tests run in the PostgreSQL pass)")
            sqlite = subprocess.run([str(PYTHON), "-m", "pytest", DURATIONS, "-m", "not postgres_only",
                                     *pytest_args], cwd=ROOT, env=env)
            postgres_code = on_postgres.wait()
        finally:
            if on_postgres.poll() is None:
                on_postgres.kill()
    say("Test suite on PostgreSQL (the browser and sandbox tests ran in the SQLite pass)")
    print(log.read_text(), flush=True)
    # Exit code 5: nothing collected (the arguments named only tests of the other pass).
    sqlite_code = 0 if sqlite.returncode == 5 else sqlite.returncode
    postgres_code = 0 if postgres_code == 5 else postgres_code
    say("SQLite pass: " + ("passed" if not sqlite_code else f"FAILED ({sqlite_code})") +
        "; PostgreSQL pass: " + ("passed" if not postgres_code else f"FAILED ({postgres_code})"))
    return sqlite_code or postgres_code


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
