"""Property: a real export (the fixtures) with any one value replaced by any other (JSON:
any JSON value; XML: any text or attribute, huge numbers and dates among them) imports as
a 200 whose per-item failures say what went wrong, or a 422 for the document; never a
500. The report accounts for every item, the stored articles are those it says were
written, and a value inside one item costs at most that item."""

import copy
import json
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from app.core.config import Settings
from tests.conftest import RecordingClient
from tests.imports.helpers import exported_articles

FIXTURES = Path(__file__).parent / "fixtures"
FUZZ = settings(
    deadline=None, max_examples=20, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
# Values that were trouble once, and some that look like what they replace.
TRICKY = [
    "9999-12-31T23:59:59-14:00",
    "0001-01-01T00:00:00+14:00",
    "10000-01-01T00:00:00Z",
    "Fri, 31 Dec 9999 23:59:59 -1400",
    "9999-12-31 23:59:59",
    "²",
    "١٢٣",
    "9" * 5000,
    "-1",
    "1e400",
    "https://x y",
    "__GHOST_URL__/x",
    "page",
    "published",
    "members",
    "internal",
    "",
]
TEXT = st.sampled_from(TRICKY) | st.text(
    st.characters(blacklist_categories=("Cs", "Cc", "Cn")), max_size=30
)
JSON_VALUE = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(-(2**63), 2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
    max_leaves=6,
)


# ---- JSON documents ------------------------------------------------------------------------


def _json_paths(node: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every place holding a value (the containers too)."""
    if path:
        yield path
    children = (
        node.items()
        if isinstance(node, dict)
        else enumerate(node)
        if isinstance(node, list)
        else ()
    )
    for key, child in children:
        yield from _json_paths(child, (*path, key))


def _replaced(document: Any, path: tuple[Any, ...], value: Any) -> Any:
    changed = copy.deepcopy(document)
    node = changed
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return changed


GHOST_BYTES = (FIXTURES / "ghost-5-members.json").read_bytes()
GHOST = json.loads(GHOST_BYTES)
GHOST_PATHS = list(_json_paths(GHOST))
FEED_BYTES = (FIXTURES / "feed.json").read_bytes()
JSON_FEED = json.loads(FEED_BYTES)
FEED_PATHS = list(_json_paths(JSON_FEED))


def _ghost_item(path: tuple[Any, ...]) -> bool:
    """Inside one post (a value every other post does without)."""
    return len(path) > 5 and path[3] == "posts"


def _feed_item(path: tuple[Any, ...]) -> bool:
    return len(path) > 2 and path[0] == "items"


# ---- XML documents -------------------------------------------------------------------------


def _register_namespaces(raw: bytes) -> None:
    for _, (prefix, uri) in ET.iterparse(_io(raw), events=("start-ns",)):
        ET.register_namespace(prefix, uri)


def _io(raw: bytes) -> Any:
    import io

    return io.BytesIO(raw)


def _xml_places(root: ET.Element) -> list[tuple[int, str | None]]:
    """(element index in document order, attribute name or None for its text)."""
    places: list[tuple[int, str | None]] = []
    for index, element in enumerate(root.iter()):
        places.append((index, None))
        places += [(index, name) for name in element.attrib]
    return places


def _xml_replaced(raw: bytes, place: tuple[int, str | None], value: str) -> tuple[bytes, bool]:
    """The document with one text or attribute replaced; and whether that was inside an
    item of its own (an Atom entry, a WordPress post or page)."""
    root = ET.fromstring(raw)
    index, attribute = place
    parents = {child: parent for parent in root.iter() for child in parent}
    element = list(root.iter())[index]
    if attribute is None:
        element.text = value
    else:
        element.set(attribute, value)
    inside = False
    node: ET.Element | None = element
    while node is not None:
        local = node.tag.rsplit("}", 1)[-1]
        if local in ("entry", "item") and node is not element:
            kind = next((c.text for c in node if c.tag.endswith("}post_type")), "post")
            identity = element.tag.rsplit("}", 1)[-1] in ("post_id", "post_type", "post_parent")
            inside = kind in ("post", "page") and not identity
        node = parents.get(node)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True), inside


ATOM = (FIXTURES / "newsroom.atom").read_bytes()
WXR = (FIXTURES / "wordpress-wxr-1.0.xml").read_bytes()
for _raw in (ATOM, WXR):
    _register_namespaces(_raw)
ATOM_PLACES = _xml_places(ET.fromstring(ATOM))
WXR_PLACES = _xml_places(ET.fromstring(WXR))


def _first(raw: bytes, local: str) -> tuple[int, None]:
    """The place of the first element named `local` (the cases that once were a 500)."""
    names = [e.tag.rsplit("}", 1)[-1] for e in ET.fromstring(raw).iter()]
    return names.index(local), None


# ---- the property --------------------------------------------------------------------------


@pytest.fixture
def settings(database_url: str) -> Settings:
    """Many imports in a row, one per example: no import rate limit."""
    return Settings(
        database_url=database_url,
        import_rate_limit_per_minute=1_000_000,
        import_rate_limit_per_ip_per_minute=1_000_000,
    )


_BASELINE: dict[tuple[str, str], int] = {}


def _stored(client: RecordingClient, headers: dict[str, str]) -> dict[str, str]:
    """external_id -> the article's export line, for every stored article."""
    text = client.get("/v1/exports", headers=headers).text
    return {line["external_id"]: json.dumps(line) for line in exported_articles(text)}


def _import(client: RecordingClient, headers: dict[str, str], fmt: str, body: bytes) -> Any:
    response = client.post(
        "/v1/imports",
        content=body,
        headers={**headers, "Content-Type": "application/octet-stream"},
        params={"format": fmt},
    )
    return response.status_code, response.json()


def _check(
    client: RecordingClient,
    headers: dict[str, str],
    database_url: str,
    fmt: str,
    original: bytes,
    body: bytes,
    inside_one_item: bool,
) -> None:
    """Each example imports into what the ones before it left (emptying the database
    each time would cost more than the import): what changed is compared."""
    key = (fmt, database_url)
    if key not in _BASELINE:
        status, report = _import(client, headers, fmt, original)
        assert (status, report["failed"]) == (200, 0), report
        _BASELINE[key] = report["created"] + report["updated"] + report["unchanged"]
    before = _stored(client, headers)
    status, answer = _import(client, headers, fmt, body)
    after = _stored(client, headers)
    assert status in (200, 422), answer
    assert not client.server_errors
    if status == 422:
        assert answer["status"] == 422 and answer["detail"]
        assert after == before or "articles were written" in answer["detail"], answer
        return
    written = answer["created"] + answer["updated"] + answer["unchanged"]
    assert answer["items"] == written + answer["failed"] + answer["skipped"], answer
    created = set(after) - set(before)
    updated = {k for k in before if after.get(k) != before[k]}
    assert (len(created), len(updated)) == (answer["created"], answer["updated"]), answer
    assert all(e["kind"] and e["item"] and e["message"] for e in answer["errors"]), answer
    if inside_one_item:
        assert written >= _BASELINE[key] - 1, answer


@FUZZ
@given(path=st.sampled_from(GHOST_PATHS), value=JSON_VALUE)
@example(path=("db", 0, "data", "posts", 0, "published_at"), value="9999-12-31T23:59:59-14:00")
@example(path=("db", 0, "data", "posts", 0, "title"), value=5)
@example(path=("db", 0, "data", "tags", 0), value="x")
def test_a_ghost_export_with_any_value_replaced(
    client: RecordingClient,
    editor_headers: dict[str, str],
    database_url: str,
    path: Any,
    value: Any,
) -> None:
    body = json.dumps(_replaced(GHOST, path, value)).encode()
    _check(client, editor_headers, database_url, "ghost", GHOST_BYTES, body, _ghost_item(path))


@FUZZ
@given(path=st.sampled_from(FEED_PATHS), value=JSON_VALUE)
@example(path=("items", 0, "date_published"), value="0001-01-01T00:00:00+14:00")
@example(path=("items", 0, "language"), value=5)
def test_a_json_feed_with_any_value_replaced(
    client: RecordingClient,
    editor_headers: dict[str, str],
    database_url: str,
    path: Any,
    value: Any,
) -> None:
    body = json.dumps(_replaced(JSON_FEED, path, value)).encode()
    _check(client, editor_headers, database_url, "jsonfeed", FEED_BYTES, body, _feed_item(path))


@FUZZ
@given(place=st.sampled_from(ATOM_PLACES), value=TEXT)
@example(place=_first(ATOM, "published"), value="9999-12-31T23:59:59-14:00")
def test_an_atom_feed_with_any_text_replaced(
    client: RecordingClient,
    editor_headers: dict[str, str],
    database_url: str,
    place: Any,
    value: str,
) -> None:
    body, inside = _xml_replaced(ATOM, place, value)
    _check(client, editor_headers, database_url, "atom", ATOM, body, inside)


@FUZZ
@given(place=st.sampled_from(WXR_PLACES), value=TEXT)
@example(place=_first(WXR, "post_id"), value="²")
def test_a_wordpress_export_with_any_text_replaced(
    client: RecordingClient,
    editor_headers: dict[str, str],
    database_url: str,
    place: Any,
    value: str,
) -> None:
    body, inside = _xml_replaced(WXR, place, value)
    _check(client, editor_headers, database_url, "wxr", WXR, body, inside)
