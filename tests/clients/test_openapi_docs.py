"""Acceptance 6: the spec documents every parameter and header clients rely on."""

from typing import Any

import pytest

from app.openapi_export import current_spec

CACHING_HEADERS = {"ETag", "Last-Modified", "Cache-Control", "Vary", "Content-Language"}


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    return current_spec()


def _params(operation: dict[str, Any], where: str) -> set[str]:
    return {p["name"] for p in operation.get("parameters", []) if p["in"] == where}


def test_the_feed_documents_its_parameters_and_headers(spec: dict[str, Any]) -> None:
    feed = spec["paths"]["/v1/articles"]["get"]
    assert _params(feed, "query") == {
        "lang", "cursor", "limit", "tag", "source", "only_translated",
        "newer_than", "fields", "include", "type", "author", "section", "featured",
    }  # fmt: skip
    assert _params(feed, "header") == {"accept-language", "if-none-match", "if-modified-since"}
    ok = feed["responses"]["200"]
    assert set(ok["headers"]) == CACHING_HEADERS | {"Link", "Content-Encoding"}
    assert ok["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/FeedPage"}
    assert set(feed["responses"]["304"]["headers"]) == {
        "ETag", "Last-Modified", "Cache-Control", "Vary",
    }  # fmt: skip
    assert "content" not in feed["responses"]["304"]
    assert {"400", "404", "422"} <= set(feed["responses"])


def test_list_items_are_whole_unless_projected_by_fields(spec: dict[str, Any]) -> None:
    schemas = spec["components"]["schemas"]
    always = [
        "id", "lang", "slug", "title", "excerpt", "published_at", "updated_at",
        "primary_tag", "tags", "sources", "translations", "cover_image", "visibility",
        "authors", "featured",
    ]  # fmt: skip
    assert schemas["ArticleListItem"]["required"] == always  # `body` only with include=body
    assert schemas["SearchHit"]["required"] == [*always, "rank"]
    # `fields=` answers its own media type, whose items may lack any field.
    for name in ("ArticleListItemSparse", "SearchHitSparse"):
        assert "required" not in schemas[name]
        assert {"id", "title", "body"} <= set(schemas[name]["properties"])
    for path, page in (
        ("/v1/articles", "FeedPage"),
        ("/v1/search", "SearchResults"),
        ("/v1/sync", "SyncPage"),
    ):
        content = spec["paths"][path]["get"]["responses"]["200"]["content"]
        assert content == {
            "application/json": {"schema": {"$ref": f"#/components/schemas/{page}"}},
            "application/vnd.dopys.sparse+json": {
                "schema": {"$ref": f"#/components/schemas/{page}Sparse"}
            },
        }, path
    assert "newest_cursor" in schemas["FeedMeta"]["properties"]
    assert "required" in schemas["ArticleRead"]  # a single article is always whole


def test_every_public_get_documents_conditional_requests(spec: dict[str, Any]) -> None:
    public = [
        (path, item["get"])
        for path, item in spec["paths"].items()
        if path.startswith("/v1/") and "get" in item and not item["get"]["security"]
    ]
    assert len(public) >= 7
    for path, operation in public:
        assert {"if-none-match", "if-modified-since"} <= _params(operation, "header"), path
        assert set(operation["responses"]["200"]["headers"]) >= CACHING_HEADERS, path
        assert "304" in operation["responses"], path


def test_sync_documents_its_token_and_shape(spec: dict[str, Any]) -> None:
    sync = spec["paths"]["/v1/sync"]["get"]
    assert _params(sync, "query") == {"lang", "token", "limit", "fields", "include"}
    page = spec["components"]["schemas"]["SyncPage"]
    assert set(page["properties"]) == {"data", "deleted", "meta"}
    meta = spec["components"]["schemas"]["SyncMeta"]
    assert set(meta["properties"]) == {"next_sync_token", "has_more", "limit"}
    reasons = spec["components"]["schemas"]["RemovalReason"]["enum"]
    assert reasons == ["unpublished", "archived", "scheduled", "deleted"]


def test_editor_writes_document_if_match_412_and_the_etag(spec: dict[str, Any]) -> None:
    article = spec["paths"]["/v1/editor/articles/{article_id}"]
    assert "ETag" in article["get"]["responses"]["200"]["headers"]
    for method in ("patch", "delete"):
        assert "if-match" in _params(article[method], "header"), method
        assert "412" in article[method]["responses"], method
    assert "ETag" in article["patch"]["responses"]["200"]["headers"]
    translation = spec["paths"]["/v1/editor/articles/{article_id}/translations/{lang}"]["put"]
    assert "if-match" in _params(translation, "header")
    assert {"ETag", "Cache-Control"} <= set(translation["responses"]["201"]["headers"])
    created = spec["paths"]["/v1/editor/articles"]["post"]["responses"]["201"]
    assert {"ETag", "Location"} <= set(created["headers"])
