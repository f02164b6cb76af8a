"""The bench's publish-churn workload and its cache-busting parameter, against `dopys
serve`: what the publisher counts is what a reader sees."""

import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx2
import pytest
from fastapi.testclient import TestClient

from bench import churn
from bench.ceiling import response_key
from bench.dataset import Corpus, Dataset
from bench.load import BUST_PARAM
from tests.processes import serving

PAGE = "/v1/articles?lang=uk&limit=20"


@pytest.fixture
def corpus(shared_data_dir: Path) -> Corpus:
    return Corpus.load(shared_data_dir / "ntrex-en-uk.jsonl")


@pytest.fixture
def tag(client: TestClient, editor_headers: dict[str, str], corpus: Corpus) -> str:
    """Some bench articles imported: the most used tag exists and has articles."""
    dataset = Dataset(corpus, articles=30, seed=1)
    headers = {**editor_headers, "Content-Type": "application/x-ndjson"}
    response = client.post("/v1/imports", content=b"".join(dataset.lines()), headers=headers)
    assert response.status_code == 200, response.text
    slug: str = dataset.tags[0]["slug"]
    return slug


@pytest.fixture
def server(database_url: str, tag: str, tmp_path: Path) -> Iterator[int]:
    with serving(database_url, tmp_path / "server.log") as url:
        port = urlsplit(url).port
        assert port is not None
        yield port


def _key(editor_headers: dict[str, str]) -> str:
    return editor_headers["Authorization"].removeprefix("Bearer ")


def _wait_for(outcome: churn.Outcome, publishes: int) -> None:
    """Until the publisher has started `publishes` (leaving the block waits for the last)."""
    deadline = time.monotonic() + 30
    while outcome.attempted < publishes and time.monotonic() < deadline:
        time.sleep(0.01)


def _leading_ids(port: int, count: int) -> list[str]:
    page = httpx2.get(f"http://127.0.0.1:{port}{PAGE}").json()
    return [item["id"] for item in page["data"][:count]]


def test_drafts_stay_hidden_and_each_publish_is_seen_next(
    server: int, editor_headers: dict[str, str], corpus: Corpus, tag: str
) -> None:
    before = _leading_ids(server, 20)
    drafts = churn.prepare_drafts(server, _key(editor_headers), 3, corpus, tag)
    assert _leading_ids(server, 20) == before

    outcome = churn.Outcome()
    with churn.publishing(server, _key(editor_headers), drafts, PAGE, outcome, every_s=0.05):
        _wait_for(outcome, len(drafts))
    assert outcome.as_dict() | {"publish_p50_ms": 0, "publish_max_ms": 0} == {
        "publishes": 3,
        "visible": 3,
        "non_2xx": 0,
        "publish_p50_ms": 0,
        "publish_max_ms": 0,
        "failures": [],
    }
    assert _leading_ids(server, 3) == [d.id for d in reversed(drafts)]


def test_a_failed_publish_is_counted_and_not_visible(
    server: int, editor_headers: dict[str, str], corpus: Corpus, tag: str
) -> None:
    [draft] = churn.prepare_drafts(server, _key(editor_headers), 1, corpus, tag)
    url = f"http://127.0.0.1:{server}/v1/editor/articles/{draft.id}"
    assert httpx2.delete(url, headers=editor_headers).status_code == 204

    outcome = churn.Outcome()
    with churn.publishing(server, _key(editor_headers), [draft], PAGE, outcome, every_s=0.05):
        _wait_for(outcome, 1)
    assert (outcome.attempted, outcome.visible, outcome.non_2xx) == (1, 0, 1)
    assert outcome.failures[0].startswith(f"publish {draft.id} -> 404")


def test_cache_busting_parameter_is_ignored_also_on_a_path_without_a_query(server: int) -> None:
    """4u adds `?_bench=<n>` to an article's path: the API must answer it as without."""
    slug = httpx2.get(f"http://127.0.0.1:{server}{PAGE}").json()["data"][0]["slug"]
    plain = httpx2.get(f"http://127.0.0.1:{server}/v1/articles/{slug}")
    busted = httpx2.get(f"http://127.0.0.1:{server}/v1/articles/{slug}?{BUST_PARAM}=1-1")
    assert (busted.status_code, busted.content) == (200, plain.content)
    # The HTTP ceiling looks both up under the same key.
    assert response_key(f"/v1/articles/{slug}", f"{BUST_PARAM}=1-1", False) == response_key(
        f"/v1/articles/{slug}", "", False
    )
