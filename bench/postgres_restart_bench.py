"""The load benchmark (bench/load_bench.py) with PostgreSQL restarted in the middle of it:
requests during the outage must get a clean 503 page ("The database is not answering"), none
may fail after it, and no copy may be duplicated or lost (the reconciliation at the end).

PostgreSQL here is a private cluster (initdb into a temporary folder, on a free port, run as
the `postgres` user), never the shared server: it is stopped (`pg_ctl stop -m fast`, every
connection cut) --restart-at seconds into the run and started again --outage seconds later.

    .venv/bin/python bench/postgres_restart_bench.py [--people 50] [--seconds 300] [--restart-at 60]
"""
import argparse
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path

from cryptography.fernet import Fernet

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.load_bench import print_report, scenario_arguments, scenario_settings  # noqa: E402
from tests.production import load  # noqa: E402
from tests.servers import SandboxProcess, free_port  # noqa: E402
from tests.xero.consent import REDIRECT  # noqa: E402

BIN = next(Path("/usr/lib/postgresql").glob("*/bin"), Path("/usr/lib/postgresql/15/bin"))


def as_postgres(*command: str) -> None:
    subprocess.run(["runuser", "-u", "postgres", "--", *command], check=True, capture_output=True, timeout=120)


class Cluster:
    """A throwaway PostgreSQL cluster in `folder`, on a free loopback port."""

    def __init__(self, folder: Path):
        self.folder, self.data, self.port = folder, folder / "data", free_port()
        shutil.chown(folder, "postgres")
        as_postgres(str(BIN / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync")

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def start(self) -> None:
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300"
        as_postgres(str(BIN / "pg_ctl"), "-D", str(self.data), "-o", options, "-l", str(self.folder / "log"),
                    "-w", "start")

    def stop(self, mode: str = "fast") -> None:
        as_postgres(str(BIN / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop")


@contextmanager
def cluster():
    with tempfile.TemporaryDirectory() as folder:
        running = Cluster(Path(folder))
        running.start()
        try:
            yield running
        finally:
            running.stop("immediate")


def restart_later(db: Cluster, at: float, outage: float, window: dict) -> threading.Thread:
    """Stop PostgreSQL `at` seconds from now, start it `outage` seconds later; note when."""
    def restart():
        time.sleep(at)
        window["stopped"] = time.monotonic()
        db.stop("fast")
        time.sleep(outage)
        db.start()
        window["started"] = time.monotonic()
        print(f"==> PostgreSQL stopped at {at:.0f} s and back {window['started'] - window['stopped']:.1f} s later",
              flush=True)

    thread = threading.Thread(target=restart, daemon=True)
    thread.start()
    return thread


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    scenario_arguments(parser, people=50, seconds=300)
    parser.add_argument("--restart-at", type=float, default=60,
                        help="seconds from the start of the run (the preparation excluded)")
    parser.add_argument("--outage", type=float, default=5, help="seconds PostgreSQL stays down")
    args = parser.parse_args()
    window: dict = {}
    with cluster() as db, tempfile.TemporaryDirectory() as folder, \
            SandboxProcess(Path(folder), REDIRECT) as sandbox:
        settings = scenario_settings(args)

        def say(line: str) -> None:
            print(f"==> {line}", flush=True)
            if line.startswith("Running"):
                restart_later(db, args.restart_at, args.outage, window)

        report = load.run(settings, db.url, sandbox, Fernet.generate_key().decode(), say=say)
    print_report(report)
    print_outage(report["server_errors_at"], window)


def print_outage(errors: list, window: dict) -> None:
    """The 5xx answers: 503 during the outage (and the few seconds a worker needs to notice it
    is over) is what must happen; anything else, or later, is a failure."""
    if "started" not in window:
        print("PostgreSQL was not restarted (the run ended first).")
        return
    settled = window["started"] + 10
    during = [(kind, status) for at, kind, status in errors if at <= settled]
    after = [(kind, status) for at, kind, status in errors if at > settled]
    clean = all(status == 503 for _, status in during)
    print(f"During the outage: {len(during)} answers 5xx, {sum(s == 503 for _, s in during)} of them a clean 503"
          f"{'' if clean else ' (OTHER 5xx: ' + str([e for e in during if e[1] != 503]) + ')'}; "
          f"after it (from 10 s after PostgreSQL was back): {len(after)} 5xx {after[:5]}")


if __name__ == "__main__":
    main()
