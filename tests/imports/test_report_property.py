"""Property: whatever a WordPress export, a feed or an NDJSON file holds, the articles an
import writes are exactly those its report says it wrote, every item is counted once
under its kind, and a second run writes nothing."""

import uuid
from html import escape
from typing import Any

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import RecordingClient
from tests.imports.helpers import exported_articles

SHARED = settings(
    deadline=None, max_examples=12, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
WORDS = st.sampled_from(["Київ", "місто", "news", "bridge", "тиждень", "water", "", "  "])
TEXT = st.lists(WORDS, max_size=6).map(" ".join)

WXR_ITEM = st.fixed_dictionaries(
    {
        "title": TEXT,
        "body": TEXT,
        "type": st.sampled_from(["post", "post", "post", "page", "attachment", "nav_menu_item"]),
        "status": st.sampled_from(["publish", "draft", "pending", "private", "trash", "future"]),
        "password": st.sampled_from(["", "", "secret"]),
        "guid": st.integers(0, 3),  # few values: shared guids
        "tags": st.integers(0, 30),
        "lang": st.sampled_from(["", "", "uk", "en", "ru"]),  # Polylang language term
    }
)
FEED_ITEM = st.fixed_dictionaries(
    {
        "title": TEXT,
        "body": TEXT,
        "guid": st.sampled_from([None, "a", "b", "c"]),
        "link": st.sampled_from([None, "/episode/", "/x/episode/", "/watch?v=1"]),
    }
)
NDJSON_ITEM = st.fixed_dictionaries(
    {
        "key": st.integers(0, 6),
        "title": TEXT,
        "status": st.sampled_from(["published", "draft", "gone"]),
        "lang": st.sampled_from(["uk", "en", "ru"]),
    }
)


def _wxr(prefix: str, items: list[dict[str, Any]]) -> bytes:
    body = []
    for n, item in enumerate(items, 1):
        terms = "".join(
            f'<category domain="post_tag" nicename="t-{i}"><![CDATA[T {i}]]></category>'
            for i in range(item["tags"])
        )
        if item["lang"]:
            terms += f'<category domain="language" nicename="{item["lang"]}">L</category>'
        body.append(
            f"<item><title>{escape(item['title'])}</title>"
            f"<guid>https://{prefix}.example/?p={item['guid']}</guid>"
            f"<content:encoded><![CDATA[{item['body']}]]></content:encoded>"
            f"<wp:post_id>{n}</wp:post_id><wp:post_date_gmt>2024-01-0{1 + n % 9} 10:00:00"
            f"</wp:post_date_gmt><wp:status>{item['status']}</wp:status>"
            f"<wp:post_type>{item['type']}</wp:post_type>"
            f"<wp:post_password>{item['password']}</wp:post_password>{terms}</item>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/" '
        'xmlns:wp="https://wordpress.org/export/1.2/"><channel><language>uk</language>'
        f"<wp:base_site_url>https://{prefix}.example</wp:base_site_url>"
        + "".join(body)
        + "</channel></rss>"
    ).encode()


def _rss(prefix: str, items: list[dict[str, Any]]) -> bytes:
    body = []
    for n, item in enumerate(items, 1):
        guid = f"<guid>{prefix}-{item['guid']}</guid>" if item["guid"] else ""
        link = f"<link>https://{prefix}.example{item['link']}</link>" if item["link"] else ""
        body.append(
            f"<item><title>{escape(item['title'])}</title>{guid}{link}"
            f"<pubDate>Mon, 0{1 + n % 9} Jan 2024 10:00:00 +0000</pubDate>"
            f"<description>{escape(item['body'])}</description></item>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
        f"<title>{prefix}</title><language>uk</language>" + "".join(body) + "</channel></rss>"
    ).encode()


def _ndjson(prefix: str, items: list[dict[str, Any]]) -> bytes:
    lines = [
        orjson.dumps(
            {
                "external_id": f"{prefix}-{item['key']}",
                "status": item["status"],
                "translations": [
                    {"lang": item["lang"], "title": item["title"], "body": item["title"]}
                ],
            }
        )
        for item in items
    ]
    return b"\n".join(lines)


def _stored(client: RecordingClient, headers: dict[str, str]) -> dict[str, str]:
    """external_id -> the article's version, for every stored article."""
    text = client.get("/v1/exports", headers=headers).text
    return {line["external_id"]: line["updated_at"] for line in exported_articles(text)}


def _check(
    client: RecordingClient, headers: dict[str, str], fmt: str, body: bytes, prefix: str
) -> None:
    def run() -> dict[str, Any] | None:
        """The report; None for a converted file that imported nothing (a 422 saying so)."""
        response = client.post(
            "/v1/imports",
            content=body,
            headers={**headers, "Content-Type": "application/octet-stream"},
            params={} if fmt == "ndjson" else {"format": fmt},
        )
        if fmt != "ndjson" and response.status_code == 422:
            detail = response.json()["detail"]
            assert detail.startswith(("No items found", "Nothing imported")), detail
            return None
        assert response.status_code == 200, response.text
        return dict(response.json())

    before = _stored(client, headers)
    report = run()
    if report is None:
        assert _stored(client, headers) == before
        return
    after = _stored(client, headers)
    kinds = report["kinds"].values()
    for outcome in ("created", "updated", "unchanged", "failed"):
        assert sum(k[outcome] for k in kinds) == report[outcome]
    assert sum(k["skipped"] for k in kinds) == report["skipped"]
    created = set(after) - set(before)
    updated = {key for key in before if after[key] != before[key]}
    assert (len(created), len(updated)) == (report["created"], report["updated"])
    if fmt != "ndjson":
        stored = report["created"] + report["updated"] + report["unchanged"]
        assert report["items"] >= stored + report["failed"] + report["skipped"]
    again = run()
    assert again is not None
    assert (again["created"], again["updated"]) == (0, 0)
    assert again["unchanged"] == report["created"] + report["updated"] + report["unchanged"]
    assert _stored(client, headers) == after


@SHARED
@given(items=st.lists(WXR_ITEM, max_size=8))
def test_wordpress_exports_write_what_the_report_says(
    client: RecordingClient, editor_headers: dict[str, str], items: list[dict[str, Any]]
) -> None:
    prefix = f"wp{uuid.uuid4().hex[:10]}"
    _check(client, editor_headers, "wxr", _wxr(prefix, items), prefix)


@SHARED
@given(items=st.lists(FEED_ITEM, max_size=8))
def test_feeds_write_what_the_report_says(
    client: RecordingClient, editor_headers: dict[str, str], items: list[dict[str, Any]]
) -> None:
    prefix = f"rss{uuid.uuid4().hex[:10]}"
    _check(client, editor_headers, "rss", _rss(prefix, items), prefix)


@SHARED
@given(items=st.lists(NDJSON_ITEM, max_size=8))
def test_ndjson_files_write_what_the_report_says(
    client: RecordingClient, editor_headers: dict[str, str], items: list[dict[str, Any]]
) -> None:
    prefix = f"nd{uuid.uuid4().hex[:10]}"
    _check(client, editor_headers, "ndjson", _ndjson(prefix, items), prefix)
