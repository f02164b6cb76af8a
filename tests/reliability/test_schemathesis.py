"""Schemathesis against the app's own OpenAPI document, on every database.

Every operation, with a write key, with valid and invalid data (Hypothesis examples plus
schemathesis's coverage cases: boundaries, wrong types, missing fields); then stateful runs
that follow the spec's links (create an article, then read, edit, translate, publish it).
Each response must: not be a 5xx, have a documented status, the documented content type,
headers and a body that validates against the documented schema; invalid input must get a 4xx.

DOPYS_FUZZ_EXAMPLES sets the examples per operation (CI default below); scripts/fuzz runs
the same checks much deeper.
"""

import os
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    allow_header_conformance,
    content_type_conformance,
    ignored_auth,
    missing_required_header,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
)
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from app.core.config import Settings
from app.main import create_app
from tests.conftest import RecordingClient
from tests.factories import make_article, make_source, make_tag
from tests.reliability import schemathesis_hooks  # noqa: F401 (registers serializers)
from tests.reliability.conftest import FuzzTally, bearer, new_key, reset_database

EXAMPLES = int(os.environ.get("DOPYS_FUZZ_EXAMPLES", "40"))
STATEFUL_SCENARIOS = int(os.environ.get("DOPYS_FUZZ_SCENARIOS", "15"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
    missing_required_header,
    unsupported_method,
    allow_header_conformance,
    ignored_auth,
]
# Reproducible in CI; scripts/fuzz sets DOPYS_FUZZ_RANDOM to explore new ground each run.
DERANDOMIZE = not os.environ.get("DOPYS_FUZZ_RANDOM")
FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=DERANDOMIZE,
    database=None,
    suppress_health_check=list(HealthCheck),
)


@dataclass
class Target:
    """Stored content the generated requests are pointed at, so that editor operations run
    their real rules instead of answering 404 to random ids; also what the spec's examples
    name (slug `news`), so reads find things."""

    client: RecordingClient
    engine: Engine
    sessions: sessionmaker[Session]
    headers: dict[str, str] = field(default_factory=dict)
    article_id: str = ""

    def reset(self) -> None:
        """From an empty database: a key, the `news` tag, source and article, a target."""
        reset_database(self.engine)
        self.headers = bearer(new_key(self.sessions))
        make_tag(self.client, self.headers, "news", uk="Новини", en="News")
        make_source(self.client, self.headers, "news", "agency", en="News agency")
        translation = {"lang": "uk", "title": "Новини", "slug": "news", "body": "<p>Т</p>"}
        make_article(self.client, self.headers, tags=["news"], translations=[translation])
        self.new_article()

    def new_article(self) -> None:
        self.article_id = make_article(
            self.client,
            self.headers,
            tags=["news"],
            citations=[{"source": "news"}],
            translations=[
                {"lang": "uk", "title": "Новини", "body": "<p>Т</p>"},
                {"lang": "en", "title": "News", "body": "<p>T</p>"},
            ],
        )["id"]

    def aim(self, case: schemathesis.Case) -> None:
        """A well-formed `article_id` becomes the stored article's, a well-formed bearer
        credential the test's write key. Malformed or missing ones stay: those cases are
        about the 422 or the 401."""
        value = (case.path_parameters or {}).get("article_id")
        if isinstance(value, str) and _is_uuid(value):
            case.path_parameters["article_id"] = self.article_id  # type: ignore[index]
        credential = (case.headers or {}).get("Authorization")
        if isinstance(credential, str) and credential.startswith("Bearer "):
            case.headers["Authorization"] = self.headers["Authorization"]  # type: ignore[index]

    def after(self, case: schemathesis.Case, status: int) -> None:
        deleted = case.method == "DELETE" and case.path == "/v1/editor/articles/{article_id}"
        if deleted and status == 204:
            self.new_article()


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


@pytest.fixture
def target(
    unlimited_client: RecordingClient, db: Engine, sessions: sessionmaker[Session]
) -> Target:
    # Rate limits off: they are tested on their own, here they would turn writes into 429s.
    target = Target(unlimited_client, db, sessions)
    target.reset()
    return target


# The spec as the app serves it (routes do not depend on settings, so an app on an unused
# in-memory database serves the same document); each call goes to the test's own app.
schema = schemathesis.openapi.from_asgi(
    "/openapi.json",
    create_app(Settings(database_url="sqlite://")),
    config=schemathesis.Config.from_path(Path(__file__).parents[2] / "schemathesis.toml"),
)


@schema.parametrize()
@FUZZ_SETTINGS
def test_every_operation_keeps_its_contract(
    case: schemathesis.Case, target: Target, tally: FuzzTally
) -> None:
    target.aim(case)
    sent = {"app": target.client.app}
    response = case.call(**sent)
    target.after(case, response.status_code)
    tally.validate(case, response, CHECKS, sent)


def test_stateful_scenarios_follow_the_links(target: Target, tally: FuzzTally) -> None:
    """Sequences built from the OpenAPI links: create, then read, edit, translate, publish,
    unpublish and delete what was created, checking every response the same way."""

    class Workflow(schema.as_state_machine()):  # type: ignore[misc]
        def setup(self) -> None:
            # Every scenario from the same state: Hypothesis replays must see the same answers.
            target.reset()

        def before_call(self, case: schemathesis.Case) -> None:
            target.aim(case)

        def get_call_kwargs(self, case: schemathesis.Case) -> dict[str, Any]:
            return {"app": target.client.app}

        def validate_response(self, response: Any, case: schemathesis.Case, **kwargs: Any) -> None:
            tally.validate(case, response, CHECKS, self.get_call_kwargs(case), stateful=True)

    Workflow.run(
        settings=settings(
            max_examples=STATEFUL_SCENARIOS,
            stateful_step_count=8,
            deadline=None,
            derandomize=DERANDOMIZE,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
    )


def test_the_feeds_are_among_the_fuzzed_operations() -> None:
    """Issue 16: the syndication feeds (RSS, Atom, JSON Feed) are in the run, so a feed that
    answers 5xx to any generated language, format, tag or source fails CI."""
    labels = {result.ok().label for result in schema.get_all_operations()}
    # One operation per format (issue 14), each in the run.
    assert {
        f"GET /v1/feeds/{{lang}}{taxonomy}.{fmt}"
        for taxonomy in ("", "/{kind}/{slug}")
        for fmt in ("rss", "atom", "json")
    } <= labels
