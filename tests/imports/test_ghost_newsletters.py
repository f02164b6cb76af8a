"""Ghost's email-only newsletters (`status: sent`): sent to subscribers' inboxes, never on
the website, so never public here: a draft with a remark, absent from every public place."""

from datetime import UTC, datetime
from pathlib import Path

from tests.conftest import RecordingClient
from tests.imports.helpers import counts, exported_articles, import_file

FIXTURES = Path(__file__).parent / "fixtures"
NEWSLETTER = "ghost:d9240f35-3e41-4f88-ad43-624151f8e994"


def test_an_email_only_newsletter_is_a_draft_absent_from_every_public_place(
    client: RecordingClient, editor_headers: dict[str, str]
) -> None:
    report = import_file(client, editor_headers, FIXTURES / "ghost-5-newsletter.json", "ghost")

    assert counts(report) == (2, 0, 0, 0)
    assert [(n["item"], n["source_id"], n["message"]) for n in report["notes"]] == [
        (
            1,
            "6730b1aa2c4d5e0001a0a201",
            "An email-only newsletter (status 'sent', email_only), never on the website: "
            "imported as a draft, not public.",
        )
    ]
    assert client.get("/v1/articles/lyst-biudzhet-hromady").status_code == 404
    listed = client.get("/v1/articles").json()["data"]
    assert [a["slug"] for a in listed] == ["mist-vidkryto"]
    for feed in ("/v1/feeds/uk.rss", "/v1/feeds/uk.atom", "/v1/feeds/uk.json"):
        body = client.get(feed).text
        assert "Міст відкрито" in body
        assert "передплатників" not in body
    assert client.get("/v1/search", params={"q": "кошторис"}).json()["data"] == []
    synced = client.get("/v1/sync").json()["data"]
    assert [item["translations"][0]["slug"] for item in synced] == ["mist-vidkryto"]
    # Kept for the editors, with the date it was sent.
    stored = {
        line["external_id"]: line
        for line in exported_articles(client.get("/v1/exports", headers=editor_headers).text)
    }
    newsletter = stored[NEWSLETTER]
    sent = datetime.fromisoformat(newsletter["published_at"].replace("Z", "+00:00"))
    assert (newsletter["status"], sent) == ("draft", datetime(2024, 11, 10, 18, tzinfo=UTC))
