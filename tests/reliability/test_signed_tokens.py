"""Cursors and sync tokens are signed by the server (issue 16, findings 1 and 7): an altered
or forged one is a 400, every field is range-checked, and sync judges what is public by
the server's clock, never by a time a token carries."""

import base64
import string
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest
from fastapi import FastAPI
from hypothesis import given
from hypothesis import strategies as st

from app.core.config import Settings
from app.core.errors import PROBLEM_MEDIA_TYPE
from app.core.pagination import MAX_SEQ, scope_of
from app.core.tokens import MAC_BYTES, TokenSigner
from app.main import create_app
from app.sync.service import TOKEN_SCOPE
from tests.conftest import RecordingClient
from tests.factories import make_article, make_source, make_tag
from tests.reliability.test_properties import shared

EMBARGO = datetime(2031, 1, 1, tzinfo=UTC)


def _unsigned(scope: str, position: list[Any]) -> str:
    """A token as they were before signing: base64url JSON anyone could write."""
    raw = orjson.dumps({"s": scope, "p": position})
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _signed(app: FastAPI, scope: str, position: list[Any]) -> str:
    """A token made with the server's own key: what only the server can make."""
    signer: TokenSigner = app.state.token_signer
    return signer.seal(orjson.dumps({"s": scope, "p": position}))


def _sync_position(
    *,
    seq: Any = 1000,
    since: Any = "2000-01-01T00:00:00+00:00",
    started: Any = None,
    floor: Any = 0,
) -> list[Any]:
    """seq, after_id, since, started, floor, went_live (True: walk the go-lives first)."""
    return [seq, None, since, started or "2099-01-01T00:00:00+00:00", floor, True]


def _assert_400(response: Any) -> None:
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE
    assert (
        "cache-control" not in response.headers
        or "public" not in (response.headers["cache-control"])
    )


@pytest.fixture
def embargoed(client: RecordingClient, editor_headers: dict[str, str]) -> dict[str, Any]:
    """One public article and one scheduled for 2031 (with a body nobody may read yet)."""
    make_article(client, editor_headers, title="Вже вийшло")
    return make_article(
        client, editor_headers, title="Ембарго", body="<p>Секрет</p>", published_at=EMBARGO
    )


def test_a_forged_sync_token_cannot_read_an_embargoed_article(
    client: RecordingClient, embargoed: dict[str, Any]
) -> None:
    """Finding 1: a hand-written token whose `started` is 2099 got the 2031 article with
    its body, 200 and Cache-Control: public."""
    token = _unsigned(TOKEN_SCOPE, _sync_position())
    response = client.get("/v1/sync", params={"token": token, "include": "body"})
    _assert_400(response)
    assert response.json()["detail"] == "The sync token is malformed; sync again without one."
    assert embargoed["id"] not in response.text and "Секрет" not in response.text


def test_sync_judges_visibility_by_the_server_clock_even_for_a_token_of_its_own(
    app: FastAPI, client: RecordingClient, embargoed: dict[str, Any]
) -> None:
    """Defence in depth: even a validly signed token claiming a round that started in
    2099 (no server makes one) yields only what is public now."""
    token = _signed(app, TOKEN_SCOPE, _sync_position())
    response = client.get("/v1/sync", params={"token": token, "include": "body"})
    assert response.status_code == 200, response.text
    assert [item["title"] for item in response.json()["data"]] == ["Вже вийшло"]
    assert "Секрет" not in response.text


OUT_OF_RANGE: list[dict[str, Any]] = [
    {"seq": 2**63},
    {"seq": 2**31},
    {"floor": 2**63},
    {"floor": 2**31},
    {"seq": -1},
    {"seq": 1.5},
    {"since": "0001-01-01T00:00:00+14:00"},
    {"since": "9999-12-31T23:59:59-14:00"},
    {"started": "0001-01-01T00:00:00+14:00"},
    {"started": "9999-12-31T23:59:59-14:00"},
    {"since": "2024-01-01T00:00:00"},  # naive
    {"since": 20240101},
]


@pytest.mark.parametrize("fields", OUT_OF_RANGE, ids=lambda f: "-".join(map(str, f.items())))
def test_a_sync_token_field_out_of_range_is_a_400(
    app: FastAPI, client: RecordingClient, embargoed: dict[str, Any], fields: dict[str, Any]
) -> None:
    """Finding 7: seq/floor >= 2^63 (SQLite) or >= 2^31 (PostgreSQL's int4) and dates that
    overflow in UTC were 500s. Forged, they are now 400s as any forgery; signed (as only
    the server could), the range checks still turn them away before any SQL."""
    position = _sync_position(**fields)
    _assert_400(client.get("/v1/sync", params={"token": _unsigned(TOKEN_SCOPE, position)}))
    _assert_400(client.get("/v1/sync", params={"token": _signed(app, TOKEN_SCOPE, position)}))


def test_the_largest_change_number_is_still_a_valid_position(
    app: FastAPI, client: RecordingClient, embargoed: dict[str, Any]
) -> None:
    token = _signed(app, TOKEN_SCOPE, _sync_position(seq=MAX_SEQ, floor=MAX_SEQ))
    assert client.get("/v1/sync", params={"token": token}).status_code == 200


@pytest.mark.parametrize(
    "moment", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "2024-01-01T00:00:00"]
)
def test_a_feed_or_search_cursor_with_a_date_out_of_range_is_a_400(
    app: FastAPI, client: RecordingClient, embargoed: dict[str, Any], moment: str
) -> None:
    feed = scope_of(kind="feed", tag=None, source=None, only=None)
    position = [moment, embargoed["id"]]
    for param in ("cursor", "newer_than"):
        response = client.get("/v1/articles", params={param: _signed(app, feed, position)})
        _assert_400(response)
    search = scope_of(kind="search", words=["ембарго"], tag=None, source=None, only=None)
    # Ranks are tiers 0-2: 3 and above, or below 0, cannot come from this server.
    for rank in (3, 7, -1):
        cursor = _signed(app, search, [rank, "2024-01-01T00:00:00+00:00", embargoed["id"]])
        response = client.get("/v1/search", params={"q": "Ембарго", "cursor": cursor})
        _assert_400(response)
    cursor = _signed(app, search, [2, moment, embargoed["id"]])
    _assert_400(client.get("/v1/search", params={"q": "Ембарго", "cursor": cursor}))


# ---- the property: any change to any token is a 400 ----------------------------------


@pytest.fixture
def issued(
    client: RecordingClient, editor_headers: dict[str, str]
) -> list[tuple[str, str, dict[str, Any]]]:
    """Every kind of token the API hands out, each with where it goes back:
    (path, parameter, the other query parameters)."""
    for slug in ("a", "b", "c"):
        make_tag(client, editor_headers, slug)
        make_source(client, editor_headers, slug)
    for n in range(3):
        make_article(client, editor_headers, tags=["a"], title=f"Допис {n}")

    def meta(path: str, **params: Any) -> dict[str, Any]:
        response = client.get(path, params=params)
        assert response.status_code == 200, response.text
        return dict(response.json()["meta"])

    feed = meta("/v1/articles", limit=1, tag="a")
    search = meta("/v1/search", q="Допис", limit=1)
    sync_page = meta("/v1/sync", limit=1)
    sync_done = meta("/v1/sync")
    tokens = [
        ("/v1/articles", "cursor", {"tag": "a"}, feed["next_cursor"]),
        ("/v1/articles", "newer_than", {"tag": "a"}, feed["newest_cursor"]),
        ("/v1/search", "cursor", {"q": "Допис"}, search["next_cursor"]),
        ("/v1/tags", "cursor", {}, meta("/v1/tags", limit=1)["next_cursor"]),
        ("/v1/sources", "cursor", {}, meta("/v1/sources", limit=1)["next_cursor"]),
        ("/v1/sync", "token", {}, sync_page["next_sync_token"]),
        ("/v1/sync", "token", {}, sync_done["next_sync_token"]),
    ]
    assert sync_page["has_more"] is True and sync_done["has_more"] is False
    for path, param, params, token in tokens:  # each is valid as issued
        assert isinstance(token, str)
        assert client.get(path, params={**params, param: token}).status_code == 200
    return [(path, param, {**params, "token": token}) for path, param, params, token in tokens]


BASE64URL = string.ascii_letters + string.digits + "-_"
# Any character but NUL (the guard's 422 for every parameter) and lone surrogates (not
# sendable): mostly the token's own alphabet, where a change is hardest to notice.
REPLACEMENT = st.sampled_from(BASE64URL + "=+/.~ %&#") | st.characters(
    exclude_categories=("Cs",), exclude_characters="\x00"
)


@shared(400)
@given(data=st.data())
def test_any_token_or_cursor_with_any_character_changed_is_a_400(
    client: RecordingClient, issued: list[tuple[str, str, dict[str, Any]]], data: st.DataObject
) -> None:
    path, param, params = data.draw(st.sampled_from(issued))
    params = dict(params)
    token = params.pop("token")
    index = data.draw(st.integers(0, len(token) - 1))
    replacement = data.draw(REPLACEMENT.filter(lambda c: c != token[index]))
    altered = data.draw(
        st.sampled_from(
            [
                token[:index] + replacement + token[index + 1 :],  # one character changed
                token[:index],  # cut short
                token + replacement,  # one more
            ]
        ).filter(bool)
    )
    response = client.get(path, params={**params, param: altered})
    _assert_400(response)


def test_a_token_is_bound_to_its_kind_and_listing(
    client: RecordingClient, issued: list[tuple[str, str, dict[str, Any]]]
) -> None:
    """A genuine token sent where another kind belongs is a 400 too (it names its scope)."""
    for path, param, params in issued:
        for other_path, other_param, other_params in issued:
            if (other_path, other_param) == (path, param) or other_path == path:
                continue
            query = {k: v for k, v in other_params.items() if k != "token"}
            response = client.get(other_path, params={**query, other_param: params["token"]})
            _assert_400(response)


def test_a_token_from_another_secret_is_a_400(
    client: RecordingClient, issued: list[tuple[str, str, dict[str, Any]]]
) -> None:
    """What rotating TOKEN_SECRET does to the tokens in clients' hands."""
    other = TokenSigner(lambda: b"another server's secret, 32 bytes+")
    for path, param, params in issued:
        query = {k: v for k, v in params.items() if k != "token"}
        payload = base64.urlsafe_b64decode(params["token"] + "=" * (-len(params["token"]) % 4))
        forged = other.seal(payload[:-MAC_BYTES])  # the same payload, the other key
        _assert_400(client.get(path, params={**query, param: forged}))


def test_scheduled_articles_still_reach_sync_when_they_go_live(
    client: RecordingClient, editor_headers: dict[str, str]
) -> None:
    """The server clock decides: a go-live between two syncs is delivered by the next."""
    soon = datetime.now(UTC) + timedelta(seconds=2)
    article = make_article(client, editor_headers, published_at=soon)
    first = client.get("/v1/sync").json()
    assert first["data"] == []
    time.sleep(max(0.0, (soon - datetime.now(UTC)).total_seconds()) + 0.2)
    later = client.get("/v1/sync", params={"token": first["meta"]["next_sync_token"]}).json()
    assert [item["id"] for item in later["data"]] == [article["id"]]


def test_the_secret_is_shared_through_the_database_unless_token_secret_is_set(
    database_url: str, client: RecordingClient, issued: list[tuple[str, str, dict[str, Any]]]
) -> None:
    """Another worker or process on the database accepts the tokens (the migration's
    secret); setting TOKEN_SECRET rotates it: the old tokens are 400s, new ones work."""

    def statuses(other: RecordingClient) -> list[int]:
        codes = []
        for path, param, params in issued:
            query = {k: v for k, v in params.items() if k != "token"}
            codes.append(other.get(path, params={**query, param: params["token"]}).status_code)
        return codes

    with RecordingClient(create_app(Settings(database_url=database_url))) as worker:
        assert statuses(worker) == [200] * len(issued)
    rotated = Settings(database_url=database_url, token_secret="r" * 32)
    with RecordingClient(create_app(rotated)) as after_rotation:
        assert statuses(after_rotation) == [400] * len(issued)
        page = after_rotation.get("/v1/tags", params={"limit": 1}).json()
        again = after_rotation.get("/v1/tags", params={"cursor": page["meta"]["next_cursor"]})
        assert again.status_code == 200
        old_key = client.get("/v1/tags", params={"cursor": page["meta"]["next_cursor"]})
        assert old_key.status_code == 400
