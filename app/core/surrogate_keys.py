"""The change journal's keys (app.core.changes) as a CDN knows them.

A public response names, in CDN_KEY_HEADER, the keys it was rendered from (a route's
`depends_on`) and `all` (a write that changed everything, `*`, purges just that); one that
declares nothing depends on everything and says `any-change`, which every purge includes.

A key that is a plain token (ASCII letters, digits, `:._-`, at most MAX_KEY_CHARS) is sent
as it is, so it can be read in a CDN's logs; any other (a Cyrillic slug, a long one) as
`h:` and a short hash of it, so headers stay ASCII and within Fastly's and Cloudflare's
limits (a key of at most 1,024 bytes; a header of at most 16 KB). A response whose keys
would not fit in MAX_HEADER_CHARS says `any-change` instead: purged by any write, which is
what it must not miss.
"""

import hashlib
import re
from collections.abc import Iterable

from app.core.changes import EVERYTHING

ALL = "all"  # on every response
ANY_CHANGE = "any-change"  # on those that depend on everything: purged by every write
MAX_KEY_CHARS = 100
MAX_HEADER_CHARS = 8_000
_PLAIN = re.compile(r"[A-Za-z0-9][A-Za-z0-9:._-]*")


def cdn_key(key: str) -> str:
    if len(key) <= MAX_KEY_CHARS and _PLAIN.fullmatch(key) and not key.startswith("h:"):
        return key
    return "h:" + hashlib.blake2b(key.encode(), digest_size=10).hexdigest()


def separator(header: str) -> str:
    """Cache-Tag lists are comma-separated; Surrogate-Key (and xkey) ones space-separated."""
    return "," if header.lower() == "cache-tag" else " "


def response_header(depends: frozenset[str] | None, header: str) -> str:
    """The header value of a response that depends on `depends` (None: everything)."""
    sep = separator(header)
    if depends is None or EVERYTHING in depends:
        return f"{ALL}{sep}{ANY_CHANGE}"
    value = sep.join([ALL, *sorted({cdn_key(k) for k in depends})])
    return value if len(value) <= MAX_HEADER_CHARS else f"{ALL}{sep}{ANY_CHANGE}"


def purge_keys(changed: Iterable[str]) -> list[str]:
    """What to purge after writes that changed `changed`: their keys, and `any-change`
    (the responses that depend on everything). A write that changed everything: `all`."""
    keys = set(changed)
    if EVERYTHING in keys:
        return [ALL]
    return sorted({ANY_CHANGE, *(cdn_key(k) for k in keys)})
