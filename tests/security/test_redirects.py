"""No open redirect: login's `next` (the only redirect that takes user input; every other
redirect is built with url_for) never sends the browser off the site, whatever it holds.

The Location header is read the way a browser's URL parser reads it (WHATWG URL: leading
and trailing controls and spaces dropped, tabs and newlines removed, backslashes taken as
slashes), so "/\\evil" or "/\\t/evil" count as the other site they would open."""
import re
from urllib.parse import urljoin, urlsplit

from hypothesis import example, given, strategies as st

from tests.conftest import ADMIN

SITE = "http://localhost"
TRICKS = ["//", "/\\", "\\\\", "/\t/", "/\r\n/", " //", "\x00//", "https://", "http:", "javascript:",
          "JaVaScRiPt:", "data:text/html,", "/%2F", "//@", "/\\/", "\\/", "///", "/.//"]
targets = st.one_of(
    st.text(max_size=40),
    st.tuples(st.sampled_from(TRICKS), st.text(max_size=20)).map("".join),
    st.tuples(st.sampled_from(TRICKS), st.sampled_from(["evil.example", "evil.example/x?y=1"])).map("".join),
)


def where_a_browser_goes(location: str) -> str:
    cleaned = location.strip("".join(map(chr, range(0x21))))
    cleaned = re.sub(r"[\t\n\r]", "", cleaned).replace("\\", "/")
    return urljoin(SITE + "/login", cleaned)


@given(target=targets)
@example(target="/\r\nSet-Cookie: stolen=1")
@example(target="/\t/evil.example")
@example(target="//[")  # urlsplit raises on it (Hypothesis found it): home, not a 500
def test_login_next_never_leaves_the_site(admin, target):
    response = admin.get("/login", query_string={"next": target})
    assert response.status_code == 302
    landing = urlsplit(where_a_browser_goes(response.headers["Location"]))
    assert (landing.scheme, landing.netloc) == ("http", "localhost"), response.headers["Location"]


OFF_SITE = [t for t in TRICKS if t not in ("/%2F", "/.//")]  # those two stay on the site


@given(target=st.tuples(st.sampled_from(OFF_SITE), st.just("evil.example")).map("".join))
def test_logging_in_with_a_hostile_next_lands_home(client, users, target):
    client.post("/logout")
    response = client.post("/login", query_string={"next": target},
                           data={"email": ADMIN["email"], "password": ADMIN["password"]})
    assert response.headers["Location"] == "/"
