"""gunicorn settings for Bridge in production: `gunicorn -c gunicorn.conf.py wsgi:app`
(or `python3 scripts/dev.py serve`, which applies the migrations first).

Each worker builds its own app, and with it its own scheduler (so no preload: a scheduler
thread started in the master would not survive the fork); the poller lease in the database
lets one of them poll Xero. Environment: GUNICORN_BIND, WEB_CONCURRENCY (workers),
GUNICORN_THREADS; FORWARDED_ALLOW_IPS (read by gunicorn itself) for the load balancer's
address, so X-Forwarded-Proto makes Bridge's absolute URLs https.
"""
import logging
import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "4"))
# Threads: a request waiting on Xero (retries, a rate-limit wait) does not hold a worker.
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "8"))
preload_app = False
# gthread workers report alive from their main thread, so a long call to Xero is not cut
# short by this; it bounds a worker that hangs entirely.
timeout = 60
graceful_timeout = 30
accesslog = "-"
errorlog = "-"
# gunicorn's own control socket sits at one path per user: several servers on a machine
# would fight over it, and Bridge does not use it.
control_socket_disable = True

# Bridge's own log lines (the scheduler says which worker holds the poller lease) on stderr.
logging.basicConfig(level=os.environ.get("LOG_LEVEL", "INFO"),
                    format="[%(asctime)s] [%(process)d] %(name)s %(levelname)s %(message)s")
for noisy in ("apscheduler", "alembic"):
    logging.getLogger(noisy).setLevel(logging.WARNING)


def worker_exit(server, worker):
    """Stop this worker's scheduler and hand the poller lease back, so another polls at once."""
    from bridge.xero.scheduling import scheduler

    poller = scheduler.running()
    if poller is not None:
        poller.shutdown()
