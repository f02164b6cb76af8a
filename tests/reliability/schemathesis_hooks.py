"""Schemathesis extensions for this API, loaded by the suite and by scripts/fuzz
(SCHEMATHESIS_HOOKS): NDJSON import bodies go out as the raw bytes generated for them."""

import schemathesis

schemathesis.serializer.alias("application/x-ndjson", "application/octet-stream")
