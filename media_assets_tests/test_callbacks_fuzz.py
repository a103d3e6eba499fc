"""Fuzzing the webhook receiver: every bad request gets a clear 4xx, never a 500, and writes nothing.

Each drawn request is a render callback spoiled in one or more ways: the token (wrong, missing, in
the query or the header), the content type, the size (declared or streamed), the body (not JSON,
not an object, nested too deeply, fields missing) or the id (not a UUID, path tricks, not a string).
The answer must be the one the receiver gives for the first fault it checks: the token, then the
content type, then the size, then the body.
"""

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from media_assets.local.receiver import MAX_BODY_BYTES

from .helpers.webserver import callback, receiver

TOKEN = "fuzz-callback-token"
TOKEN_NAMES = {"query": "token", "header": "X-Callback-Token"}
# a faulty request's answer is the first fault the receiver checks; a well-formed callback of another
# type is acknowledged and ignored
FORBIDDEN, UNSUPPORTED, TOO_LARGE, BAD, IGNORED = 403, 415, 413, 400, 202
PRECEDENCE = (FORBIDDEN, UNSUPPORTED, TOO_LARGE, BAD, IGNORED)
# ids a careless receiver could turn into a path outside the inbox, or into more than one line
PATH_TRICKS = [
    "../../etc/passwd",
    "..\\..\\windows\\win.ini",
    "/etc/passwd",
    "%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "{uuid}/../../x",
    "../{uuid}",
    "{uuid}\x00.txt",
    "{uuid}\n{uuid}",
    "{uuid}\r\n",
    " {uuid}",
    "{uuid}.txt",
    "quarantine/{uuid}",
    "\uff5e\uff0f{uuid}",  # fullwidth ~/, which some normalisations fold to ASCII
]


@dataclass
class Call:
    """One request to the receiver, and the answers it may get."""

    headers: dict[str, str] = field(default_factory=dict)
    params: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    chunked: bool = False  # sent without a Content-Length, so the receiver must count while reading
    faults: set[int] = field(default_factory=set)

    @property
    def expected(self) -> int:
        return next(status for status in PRECEDENCE if status in self.faults)

    def data(self) -> bytes | Iterator[bytes]:
        if not self.chunked:
            return self.body
        return (self.body[i : i + 4096] for i in range(0, len(self.body), 4096))


# what an HTTP header value may hold: visible ASCII and Latin-1, no spaces at its ends, no controls
header_text = st.text(
    st.characters(codec="latin-1", exclude_categories=["Cc", "Zs"]), min_size=1, max_size=40
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)


@st.composite
def bad_ids(draw: st.DrawFn) -> object:
    """An id that is not exactly a UUID: a trick around a real one, any text, or not a string."""
    real = str(uuid.uuid4())
    trick = st.sampled_from(PATH_TRICKS).map(lambda t: t.format(uuid=real))
    text = st.text(max_size=60).filter(lambda t: not is_uuid(t))
    other = st.none() | st.integers() | st.lists(st.just(real), max_size=2) | st.just({"id": real})
    return draw(trick | text | other)


def is_uuid(text: str) -> bool:
    try:
        return str(uuid.UUID(text)) == text.lower()
    except ValueError:
        return False


@st.composite
def bodies(draw: st.DrawFn) -> tuple[bytes, set[int]]:
    """A body and its faults: none (a valid callback), another type, a bad id, a bad shape, not JSON."""
    kind = draw(st.sampled_from(["valid", "other type", "bad id", "missing", "shape", "nested", "not json"]))
    if kind == "valid":
        return json.dumps(callback(draw(st.uuids(version=4).map(str)))).encode(), set()
    if kind == "other type":
        body = {**callback(str(uuid.uuid4())), "type": draw(st.sampled_from(["serve", "ingest", ""]))}
        return json.dumps(body).encode(), {IGNORED}
    if kind == "bad id":
        return json.dumps(callback(draw(bad_ids()))).encode(), {BAD}
    if kind == "missing":
        left_out = draw(st.sampled_from(["type", "id", "status"]))
        body = {k: v for k, v in callback(str(uuid.uuid4())).items() if k != left_out}
        return json.dumps(body).encode(), {BAD}
    if kind == "shape":
        value = draw(json_values.filter(lambda v: not isinstance(v, dict)))
        return json.dumps(value).encode(), {BAD}
    if kind == "nested":
        depth = draw(st.integers(2_000, MAX_BODY_BYTES // 2 - 1))
        return b"[" * depth + b"]" * depth, {BAD}
    # random bytes are not JSON, or JSON that is no render callback ("0", "{}")
    return draw(st.binary(max_size=200) | st.text(max_size=200).map(str.encode)), {BAD}


HUGE = [1 << 20, 8 << 20]  # bytes: a client streaming far past the limit is cut off, not read to the end
GOOD_TYPES = ["application/json", "application/json; charset=utf-8", "Application/JSON"]
WRONG_TYPES = [
    None,
    "text/plain",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=x",
    "application/jsonp",
    "text/json",
    "",
]


def faulty(draw: st.DrawFn, one_in: int) -> bool:
    return draw(st.integers(1, one_in)) == 1


@st.composite
def calls(draw: st.DrawFn) -> Call:
    """A callback request with any mix of faults; each of token, type and size is wrong now and then."""
    call = Call()
    body, call.faults = draw(bodies())
    token = TOKEN
    if faulty(draw, 3):
        call.faults.add(FORBIDDEN)
        token = draw(st.none() | st.just("") | header_text.filter(lambda t: t != TOKEN))
    if token is not None:
        where = draw(st.sampled_from(["query", "header"]))
        (call.params if where == "query" else call.headers)[TOKEN_NAMES[where]] = token
    content_type = draw(st.sampled_from(GOOD_TYPES))
    if faulty(draw, 3):
        call.faults.add(UNSUPPORTED)
        content_type = draw(st.sampled_from(WRONG_TYPES))
    if content_type is not None:
        call.headers["Content-Type"] = content_type
    if faulty(draw, 4):
        call.faults.add(TOO_LARGE)
        size = st.integers(MAX_BODY_BYTES - len(body) + 1, 4 * MAX_BODY_BYTES) | st.sampled_from(HUGE)
        body += b" " * draw(size)
    call.body = body
    call.chunked = draw(st.booleans())
    return call


def inbox_files(inbox: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in inbox.rglob("*") if p.is_file()} if inbox.exists() else {}


def test_receiver_answers_bad_requests_with_4xx_and_writes_nothing(tmp_path: Path) -> None:
    """A fixed, derandomized fuzz run: each faulty request gets the 4xx of its first fault (or 202 for a
    well-formed callback of another type), with a JSON message; none gets a 5xx; the inbox stays empty.
    """
    inbox = tmp_path / "inbox"
    with receiver(inbox, TOKEN) as url:

        @settings(
            max_examples=300,
            derandomize=True,
            database=None,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        )
        @given(call=calls().filter(lambda c: c.faults))
        def answered(call: Call) -> None:
            before = inbox_files(inbox)
            response = requests.post(
                url, params=call.params, headers=call.headers, data=call.data(), timeout=10
            )
            assert response.status_code == call.expected, (call.faults, response.text)
            assert response.json()["message"]
            assert inbox_files(inbox) == before

        answered()
    assert inbox_files(inbox) == {}
