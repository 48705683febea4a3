"""requests underneath Bridge's Xero calls, without its per-call costs Bridge does not need.

Transport (bridge.xero.api.transport) sends each request prepared here straight through a
XeroAdapter, with no requests.Session: a Session would add nothing Bridge uses (cookies,
redirects, hooks, ~/.netrc) and would read the environment again on every request (proxies,
no_proxy, the CA bundle: Session.trust_env, merge_environment_settings), with its merging of
settings about a third of the client's CPU on a light call (bench/client_cpu_bench.py).
The environment is read once instead: proxies per scheme and host, the CA bundle once.
Everything still goes through requests.adapters.HTTPAdapter.send, so `responses` and tests
that patch it see every call.
"""
import functools
import os
import time
from typing import Callable, Mapping
from urllib.parse import quote_plus, urlsplit

import requests
from requests.adapters import HTTPAdapter
from requests.structures import CaseInsensitiveDict
from requests.utils import get_encoding_from_headers, get_environ_proxies
from urllib3.util.retry import Retry

# What a requests Session would send by default but Connection: keep-alive, which is HTTP/1.1's
# default anyway (the Accept header is the caller's).
BASE_HEADERS = {"User-Agent": "Bridge-Xero-client", "Accept-Encoding": "gzip, deflate"}


class XeroRetry(Retry):
    """urllib3's Retry, with an injected sleep and a hook before each retry.

    429 is left to Transport, which must tell a minute limit (sleep, retry) from a day
    limit (raise) and urllib3 cannot.
    """

    sleep_function: Callable[[float], None] = staticmethod(time.sleep)
    # Called before each retry with whether the failed try may have reached Xero.
    on_retry: Callable[[bool], None] | None = None

    def new(self, **kw):
        """The next Retry state; urllib3 makes one per attempt, so pass our hooks on."""
        retry = super().new(**kw)
        retry.sleep_function = self.sleep_function
        retry.on_retry = self.on_retry
        return retry

    def is_retry(self, method, status_code, has_retry_after=False):
        """urllib3's rule, except for 429."""
        if status_code == 429:
            return False
        return super().is_retry(method, status_code, has_retry_after)

    def increment(self, method=None, url=None, response=None, error=None, **kwargs):
        """Record a failed attempt, then tell Transport another one is coming, and whether
        the failed one may have reached Xero (anything but a connection that never opened)."""
        retry = super().increment(method, url, response, error, **kwargs)  # raises when exhausted
        if self.on_retry is not None:
            self.on_retry(error is None or not self._is_connection_error(error))
        return retry

    def sleep_for_retry(self, response):
        """Wait out a Retry-After with the injected sleep (urllib3 would call time.sleep)."""
        retry_after = self.get_retry_after(response)
        if retry_after:
            self.sleep_function(retry_after)
            return True
        return False

    def _sleep_backoff(self):
        """Back off with the injected sleep (urllib3 would call time.sleep)."""
        backoff = self.get_backoff_time()
        if backoff > 0:
            self.sleep_function(backoff)


class XeroAdapter(HTTPAdapter):
    """requests' adapter without two costs per call that Bridge never needs: finding the
    connection pool again (kept per scheme, host and CA bundle while the pool is open) and
    reading the answer's cookies (Xero's API is stateless; a Session mounting this adapter,
    Authlib's, still keeps its own cookies)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._pools: dict[tuple, object] = {}

    def get_connection_with_tls_context(self, request, verify, proxies=None, cert=None):
        """The host's connection pool: requests' own, looked up once while it stays open."""
        if proxies or cert:
            return super().get_connection_with_tls_context(request, verify, proxies, cert)
        parts = urlsplit(request.url)
        key = (parts.scheme, parts.netloc, verify)
        pool = self._pools.get(key)
        if pool is None or pool.pool is None:  # a closed pool (urllib3 evicted it) is replaced
            pool = self._pools[key] = super().get_connection_with_tls_context(request, verify)
        return pool

    def request_url(self, request, proxies):
        """The path and query (the full URL only through a proxy, as requests decides)."""
        return request.path_url if not proxies else super().request_url(request, proxies)

    def build_response(self, req, resp):
        """requests' Response of urllib3's answer, as requests builds it but for its cookies,
        and read whole at once (Bridge never streams an answer; requests would read it
        through a chain of generators, chunk by chunk). urllib3's headers are already
        case-insensitive, so they are not copied into another dict."""
        response = requests.Response()
        response.status_code = resp.status
        response.headers = resp.headers
        response.encoding = get_encoding_from_headers(response.headers)
        response.raw, response.reason, response.url = resp, resp.reason, req.url
        response.request, response.connection = req, self
        response._content = resp.read(decode_content=True)  # noqa: SLF001 (what .content fills)
        response._content_consumed = True
        return response


def prepared(method: str, url: str, params: Mapping | None, headers: dict,
             body: bytes | None) -> requests.PreparedRequest:
    """The request as requests prepares it, without a Session.

    The URL is Bridge's own (a configured base, a path whose ids are quoted), so its query is
    appended encoded as requests would encode it (urlencode, doseq: see query_text) rather than
    parsed again.
    The headers are checked once, by http.client as it sends them (a name or value with a line
    break is refused there), not also by requests; requests prepares the body.
    """
    request = requests.PreparedRequest()
    request.prepare_method(method)
    request.url = f"{url}?{query_text(params)}" if params else url
    request.headers = CaseInsensitiveDict({**BASE_HEADERS, **headers})
    request.prepare_body(body, None)
    return request


# quote_plus's escapes of ASCII as a str.translate table: the same text, made in C rather
# than by quote's per-character loop (a `where` of a few names is a few hundred characters).
_PLUS_ESCAPES = {c: f"%{c:02X}" for c in range(128)
                 if chr(c) not in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-~"}
_PLUS_ESCAPES[ord(" ")] = "+"


def query_text(params: Mapping) -> str:
    """urlencode(params, doseq=True), byte for byte, for str and number values."""
    return "&".join(f"{_plus(key)}={_plus(value)}" for key, values in params.items()
                    for value in (values if isinstance(values, (list, tuple)) else (values,)))


def _plus(value) -> str:
    text = str(value)
    return text.translate(_PLUS_ESCAPES) if text.isascii() else quote_plus(text)


@functools.lru_cache(maxsize=1)
def ca_bundle() -> str | bool:
    """The CA bundle requests would use (REQUESTS_CA_BUNDLE, CURL_CA_BUNDLE), else certifi's."""
    return os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True


def proxies_for(url: str) -> dict[str, str]:
    """The proxies the environment sets for url's host (HTTPS_PROXY, NO_PROXY, …), as requests
    would find them, read once per scheme and host for the life of the process."""
    parts = urlsplit(url)
    return _proxies(f"{parts.scheme}://{parts.netloc}")


@functools.lru_cache(maxsize=64)
def _proxies(origin: str) -> dict[str, str]:
    return get_environ_proxies(origin)
