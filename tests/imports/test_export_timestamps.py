"""Export lines write timestamps in UTC with `Z`, as the API does, keeping the stored
fraction of a second (a restore must order same-second articles as they were)."""

import json
import re

from tests.conftest import RecordingClient
from tests.factories import make_article
from tests.imports.helpers import counts, post_import
from tests.webhooks.test_timestamps import timestamps

UTC_Z = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?Z")


def test_export_lines_write_utc_timestamps_with_z(
    client: RecordingClient, editor_headers: dict[str, str]
) -> None:
    article = make_article(client, editor_headers, title="Перша")
    export = client.get("/v1/exports", headers=editor_headers)
    [line] = [json.loads(x) for x in export.text.splitlines()[1:-1]]
    found = timestamps(line)
    assert len(found) == 3  # published_at, updated_at, the translation's updated_at
    assert [t for t in found if not UTC_Z.fullmatch(t)] == []
    public = client.get(f"/v1/articles/{article['translations'][0]['slug']}").json()
    assert line["published_at"][:19] == public["published_at"][:19]
    assert counts(post_import(client, editor_headers, export.content)) == (0, 0, 1, 0)
