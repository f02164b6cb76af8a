"""Property-based tests: cursors, slugs, Accept-Language, NDJSON lines."""

import base64
import json
import re
import string
from typing import Any

import orjson
import pytest
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from app.core.errors import BadRequest
from app.core.html import FORBIDDEN_CHARS_RE, plain_text
from app.core.i18n import negotiate_lang, parse_accept_language
from app.core.pagination import decode_cursor, encode_cursor, scope_of
from app.core.slugs import (
    MAX_SLUG_LENGTH,
    SLUG_PATTERN,
    slugify_title,
    with_suffix,
)
from app.core.tokens import TokenSigner
from tests.conftest import RecordingClient
from tests.factories import make_article, make_author, make_source, make_tag
from tests.reliability.conftest import (
    baseline_request,
    bearer,
    new_key,
    public_get_operations,
    reset_database,
)

SIGNER = TokenSigner(lambda: b"k" * 32)

# Hypothesis examples share the test's fixtures (client, database) on purpose.
SHARED = settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def shared(max_examples: int) -> settings:
    return settings(SHARED, max_examples=max_examples)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=8,
)


# ---- cursors --------------------------------------------------------------------------


@settings(max_examples=500)
@given(cursor=st.text(max_size=600), size=st.integers(1, 3))
def test_decoding_any_text_gives_a_position_or_a_400(cursor: str, size: int) -> None:
    try:
        position = decode_cursor(SIGNER, cursor, "scope", size)
    except BadRequest:
        return
    assert isinstance(position, list) and len(position) == size


@pytest.fixture
def listings(
    app: FastAPI, client: RecordingClient, editor_headers: dict[str, str]
) -> dict[str, Any]:
    """Three articles in tag `a`, two in `b`, two pages; every cursor-taking listing, and
    real cursors."""
    for slug in ("a", "b", "c"):
        make_tag(client, editor_headers, slug)
        make_source(client, editor_headers, slug)
        make_author(client, editor_headers, slug)
    for n in range(5):
        make_article(client, editor_headers, tags=["a" if n < 3 else "b"], title=f"Допис {n}")
    for n in range(2):  # /v1/pages pages too
        make_article(client, editor_headers, type="page", title=f"Сторінка {n}")
    queries = [
        baseline_request(path, op, {"q": "Допис"})
        for path, op in public_get_operations(app.openapi())
        if any(p["name"] == "cursor" for p in op.get("parameters", []))
    ]
    assert {"/v1/articles", "/v1/tags", "/v1/sources"} <= {path for path, _ in queries}
    queries += [("/v1/articles", {"tag": "a"}), ("/v1/articles", {"tag": "b"})]
    cursors = []
    for path, params in queries:
        page = client.get(path, params={**params, "limit": 1}).json()
        cursors.append((path, params, page["meta"]["next_cursor"]))
    assert all(cursor for _, _, cursor in cursors)
    return {"queries": queries, "cursors": cursors}


def _mutations(cursor: str) -> st.SearchStrategy[str]:
    truncated = st.integers(1, len(cursor) - 1).map(lambda n: cursor[:n])
    flipped = st.tuples(st.integers(0, len(cursor) - 1), st.sampled_from("AZaz09-_=+/.%")).map(
        lambda p: cursor[: p[0]] + p[1] + cursor[p[0] + 1 :]
    )
    return truncated | flipped | st.just(cursor + "A") | st.just(cursor[::-1])


@shared(100)
@given(data=st.data())
def test_a_forged_truncated_or_foreign_cursor_is_a_400(
    client: RecordingClient, listings: dict[str, Any], data: st.DataObject
) -> None:
    path, params, cursor = data.draw(st.sampled_from(listings["cursors"]))
    target_path, target_params = data.draw(st.sampled_from(listings["queries"]))
    same_listing = (target_path, target_params) == (path, params)
    candidate = data.draw(_mutations(cursor) | st.text(min_size=1, max_size=100) | st.just(cursor))
    response = client.get(target_path, params={**target_params, "cursor": candidate, "limit": 5})
    if cursor.startswith(candidate) and _payload(candidate) != _payload(cursor):
        assert response.status_code == 400, response.text  # truncated: never valid JSON
    if same_listing and response.status_code == 200:
        # A mutation may still decode to a well-formed position in this very listing (the
        # scope is intact): then it pages this listing, and nothing else.
        for item in response.json()["data"]:
            if "tag" in target_params:
                assert [t["slug"] for t in item["tags"]] == [target_params["tag"]]
    else:
        assert response.status_code in (400, 422), response.text
        assert response.headers["content-type"] == "application/problem+json"


def _payload(cursor: str) -> bytes | None:
    try:
        return base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
    except ValueError:
        return None


def _scope(path: str, params: dict[str, str]) -> str:
    if path == "/v1/articles":
        return scope_of(kind="feed", tag=params.get("tag"), source=None, only=None)
    return scope_of(kind=path.rsplit("/", 1)[1].removesuffix("s"))


@shared(60)
@given(position=st.lists(JSON, max_size=3), tag=st.sampled_from(["a", "b"]))
def test_a_cursor_forged_with_the_right_scope_never_errs_or_leaves_its_listing(
    client: RecordingClient, listings: dict[str, Any], position: list[Any], tag: str
) -> None:
    """Scopes are no secret (a hash of the filters): a forger can make a well-scoped cursor
    with any position. It gets a 400, or items of that very listing, never a 500."""
    for path, params in (("/v1/articles", {"tag": tag}), ("/v1/tags", {}), ("/v1/sources", {})):
        raw = json.dumps({"s": _scope(path, params), "p": position}).encode()
        cursor = base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
        response = client.get(path, params={**params, "cursor": cursor})
        assert response.status_code in (200, 400, 422), response.text
        if response.status_code == 200 and path == "/v1/articles":
            for item in response.json()["data"]:
                assert [t["slug"] for t in item["tags"]] == [tag]


def test_a_cursor_is_bound_to_its_listing() -> None:
    cursor = encode_cursor(
        SIGNER, scope_of(kind="feed", tag="a", source=None, only=None), ["x", "y"]
    )
    assert decode_cursor(SIGNER, cursor, scope_of(kind="feed", tag="a", source=None, only=None), 2)
    for other in (
        scope_of(kind="feed", tag="b", source=None, only=None),
        scope_of(kind="feed", tag=None, source=None, only=None),
        scope_of(kind="tag"),
    ):
        with pytest.raises(BadRequest):
            decode_cursor(SIGNER, cursor, other, 2)
    raw = SIGNER.open(cursor)
    assert raw is not None and orjson.loads(raw)["p"] == ["x", "y"]


# ---- slugs ------------------------------------------------------------------------------


@settings(max_examples=1000)
@given(title=st.text(max_size=400), n=st.integers(2, 10**9 - 1))
def test_any_title_gives_a_valid_slug_and_suffixes_keep_it_valid(title: str, n: int) -> None:
    slug = slugify_title(title)
    assert re.fullmatch(SLUG_PATTERN, slug) and len(slug) <= MAX_SLUG_LENGTH
    suffixed = with_suffix(slug, n)
    assert re.fullmatch(SLUG_PATTERN, suffixed) and len(suffixed) <= MAX_SLUG_LENGTH
    assert suffixed.endswith(f"-{n}")


TITLES = st.one_of(
    # What a title may hold: no control characters, more than markup (else a 422).
    st.text(min_size=1, max_size=300).filter(
        lambda t: not FORBIDDEN_CHARS_RE.search(t) and plain_text(t).strip()
    ),
    st.sampled_from(["Новини", "новини!", "НОВИНИ", "Hello, World", "hello-world", "№ 1", "…"]),
    st.integers(110, 300).map(lambda n: "Довга назва " * (n // 12)),
)


@shared(15)
@given(titles=st.lists(TITLES, min_size=2, max_size=6), repeats=st.integers(1, 3))
def test_repeated_and_colliding_titles_get_unique_valid_slugs(
    client: RecordingClient,
    db: Engine,
    sessions: sessionmaker[Session],
    titles: list[str],
    repeats: int,
) -> None:
    reset_database(db)
    headers = bearer(new_key(sessions))
    slugs = []
    for title in titles * repeats:
        title = title.strip()[:1000] or "x"
        article = make_article(client, headers, title=title)
        slugs.append(article["translations"][0]["slug"])
    assert len(set(slugs)) == len(slugs)
    assert all(re.fullmatch(SLUG_PATTERN, s) and len(s) <= MAX_SLUG_LENGTH for s in slugs)


def test_three_articles_with_one_long_title_get_three_slugs(
    client: RecordingClient, editor_headers: dict[str, str]
) -> None:
    title = "Дуже довгий заголовок новини " * 10  # its slug needs shortening for a suffix
    slugs = [make_article(client, editor_headers, title=title)["translations"][0]["slug"]
             for _ in range(4)]  # fmt: skip
    stem = slugs[0]
    assert len(stem + "-2") > MAX_SLUG_LENGTH  # so a suffix must shorten it
    assert slugs == [stem, with_suffix(stem, 2), with_suffix(stem, 3), with_suffix(stem, 4)]


# ---- Accept-Language ------------------------------------------------------------------

HEADER_TEXT = st.text(alphabet=string.printable.replace("\n", "").replace("\r", ""), max_size=300)
TAGS = st.sampled_from(["uk", "en", "en-GB", "de", "fr-CA", "pl", "*", "zh-Hant-TW", "UK"])


@settings(max_examples=1000)
@given(header=HEADER_TEXT | st.text(max_size=300))
def test_parsing_any_accept_language_never_raises(header: str) -> None:
    ranges = parse_accept_language(header)
    assert all(tag == "*" or re.fullmatch(r"[a-z]{1,8}(-[a-z0-9]{1,8})*", tag) for tag in ranges)
    assert negotiate_lang(None, header, ["uk", "en"], "uk") in {"uk", "en"}


@settings(max_examples=500)
@given(
    weighted=st.lists(
        st.tuples(TAGS, st.integers(0, 1000)), unique_by=lambda t: t[0], min_size=1, max_size=6
    ),
    spaces=st.booleans(),
)
def test_q_values_order_the_ranges_and_q0_excludes(
    weighted: list[tuple[str, int]], spaces: bool
) -> None:
    sep = ", " if spaces else ","
    header = sep.join(
        f"{tag};q={q // 1000}.{q % 1000:03d}" if q < 1000 else f"{tag};q=1" for tag, q in weighted
    )
    expected = [
        tag.lower()
        for _, _, tag in sorted((-q, i, tag) for i, (tag, q) in enumerate(weighted) if q > 0)
    ]
    assert parse_accept_language(header) == expected
    first_supported = next(
        (t for t in expected if t == "*" or t.split("-")[0] in {"uk", "en"}), None
    )
    wanted = "uk" if first_supported in (None, "*") else first_supported.split("-")[0]
    assert negotiate_lang(None, header, ["uk", "en"], "uk") == wanted


@shared(100)
@given(header=HEADER_TEXT)
def test_the_response_language_follows_accept_language(
    client: RecordingClient, header: str
) -> None:
    response = client.get("/v1/tags", headers={"Accept-Language": header})
    assert response.status_code == 200
    assert response.headers["Content-Language"] == negotiate_lang(None, header, ["uk", "en"], "uk")


# ---- NDJSON lines (imports) -------------------------------------------------------------

BOM = b"\xef\xbb\xbf"
LINES = st.one_of(
    JSON.map(lambda v: json.dumps(v).encode()),
    st.binary(max_size=200).filter(lambda b: b"\n" not in b),
    st.builds(
        lambda key, title, lang, status: json.dumps(
            {
                "external_id": key,
                "status": status,
                "original_lang": lang,
                "translations": [{"lang": lang, "title": title, "body": title}],
            }
        ).encode(),
        st.text(max_size=20) | st.none(),
        st.text(max_size=50),
        st.sampled_from(["uk", "en", "xx-", ""]),
        st.sampled_from(["draft", "published", "archived", "live"]),
    ),
)


@shared(100)
@given(lines=st.lists(LINES, min_size=1, max_size=20))
def test_ndjson_import_reports_every_bad_line_and_never_fails_whole(
    unlimited_client: RecordingClient, editor_headers: dict[str, str], lines: list[bytes]
) -> None:
    """Any mix of lines (malformed JSON, invalid UTF-8, wrong shapes) gets a report whose
    counts add up to the lines sent, each failure naming its line; never a 5xx."""
    response = unlimited_client.post(
        "/v1/imports",
        content=b"\n".join(lines) + b"\n",
        headers={**editor_headers, "Content-Type": "application/x-ndjson"},
    )
    assert response.status_code == 200, response.text
    report = response.json()
    # Blank lines (a byte-order mark may open the first) are skipped, not counted.
    sent = [n for n, line in enumerate(lines, 1) if line.strip().removeprefix(BOM * (n == 1))]
    counted = sum(report[k] for k in ("created", "updated", "unchanged", "failed"))
    assert counted == len(sent)
    assert {e["line"] for e in report["errors"]} <= set(sent)
    assert len({e["line"] for e in report["errors"]}) == report["failed"]
