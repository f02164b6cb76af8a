"""Admin keys, and the settings of a server behind a fast-purging CDN."""

from tests.webhooks.conftest import admin_headers

__all__ = ["admin_headers"]

CDN_ENV = {
    "CDN_KEY_HEADER": "Surrogate-Key",
    "CDN_CACHE_CONTROL_HEADER": "Surrogate-Control",
    "CDN_CACHE_CONTROL": "max-age=3600, stale-if-error=86400",
    "CDN_PURGE": "varnish",
    "CDN_PURGE_POLL_SECONDS": "0.05",
    "CDN_PURGE_TIMEOUT_SECONDS": "3",
    "CDN_PURGE_RETRY_SCHEDULE": "[0.2, 0.2, 0.2, 0.2]",
    "WEBHOOKS_WORKER": "false",
}
