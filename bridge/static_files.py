"""Static files under versioned URLs: /static/css/bridge.css?v=<content hash>.

Every url_for('static', ...) gets the file's hash as `v` (a url_defaults hook, so the
templates need nothing special). A request whose `v` is the current hash is cached by
browsers and proxies for a year as immutable: a changed file gets a new URL. Any other
request (no `v`, or an old one asked of a machine that already has the new file, or a
new one asked of a machine still serving the old, during a rolling deploy) gets Flask's
default: revalidate every time.

/favicon.ico is served too: browsers ask for it on their own, whatever the pages link.
"""
import hashlib
import threading
from pathlib import Path

from flask import Flask, request, send_from_directory

ONE_YEAR = 365 * 24 * 3600
ONE_DAY = 24 * 3600

_hashes: dict[tuple[str, str], tuple[tuple[int, int], str]] = {}
_lock = threading.Lock()


def init_app(app: Flask) -> None:
    """Add `v` to static URLs; cache versioned answers for a year."""

    @app.url_defaults
    def add_version(endpoint: str, values: dict) -> None:
        if endpoint == "static" and "filename" in values and "v" not in values:
            version = file_version(app, values["filename"])
            if version:
                values["v"] = version

    @app.get("/favicon.ico", endpoint="favicon")
    def favicon():
        """The icon at the address browsers ask for by themselves (pages link the SVG)."""
        return send_from_directory(app.static_folder, "img/favicon.ico",
                                   mimetype="image/vnd.microsoft.icon", max_age=ONE_DAY)

    @app.after_request
    def cache_versioned(response):
        if request.endpoint == "static" and response.status_code == 200:
            version = request.args.get("v")
            if version and version == file_version(app, request.view_args.get("filename", "")):
                response.cache_control.public = True
                response.cache_control.max_age = ONE_YEAR
                response.cache_control.immutable = True
                response.cache_control.no_cache = None
        return response


def file_version(app: Flask, filename: str) -> str | None:
    """The first 12 hex digits of the file's SHA-256 (recomputed when the file changes)."""
    folder = Path(app.static_folder).resolve()
    path = (folder / filename).resolve()
    if folder not in path.parents or not path.is_file():
        return None
    stat = path.stat()
    stamp, key = (stat.st_mtime_ns, stat.st_size), (str(folder), filename)
    with _lock:
        known = _hashes.get(key)
    if known and known[0] == stamp:
        return known[1]
    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
    with _lock:
        _hashes[key] = (stamp, digest)
    return digest
