"""One place for every setting; read from the environment (prefix-free, 12-factor)."""

import json
import os
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from app.core.i18n import is_valid_lang, normalize_lang


def default_sqlite_path() -> Path:
    """Where the database lives when DATABASE_URL names none: the user's data directory
    (XDG Base Directory: $XDG_DATA_HOME, else ~/.local/share), the same file whatever the
    current directory, so that a command run elsewhere cannot start a second database."""
    data_home = Path(os.environ.get("XDG_DATA_HOME") or "~/.local/share").expanduser()
    if not data_home.is_absolute():  # the specification says to ignore a relative one
        data_home = Path.home() / ".local" / "share"
    return data_home / "dopys" / "dopys.sqlite3"


def default_database_url() -> str:
    return f"sqlite:///{default_sqlite_path()}"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    database_url: str = Field(
        default_factory=default_database_url,
        description="SQLAlchemy URL: by default a SQLite file in the user's data directory "
        "($XDG_DATA_HOME/dopys/dopys.sqlite3); postgresql+psycopg://... in production",
    )
    database_read_url: str | None = Field(
        default=None, description="Optional read replica used for public reads."
    )
    default_lang: str = Field(default="uk", description="Site language when a client names none.")
    site_languages: Annotated[list[str], NoDecode] = Field(
        default=["uk", "en"],
        # SUPPORTED_LANGS: the setting's former name, still read.
        validation_alias=AliasChoices("site_languages", "supported_langs"),
        description="The site's languages, comma-separated (`uk,en`): what `lang=` and "
        "Accept-Language can select; any other explicit `lang=` is a 400, and an imported "
        "article in another language is an error on its line.",
    )
    frontend_url_template: str = Field(
        default="https://example.com/{lang}/{slug}",
        description="Where a front end renders an article; used in feeds and alternates.",
    )
    site_title: str = Field(
        default="Dopys", description="The site's name: feed titles and the schema.org publisher."
    )
    # ---- schema.org data (app.articles.structured) ----
    publisher_url: str | None = Field(
        default=None, description="The publisher's home page, in the schema.org publisher."
    )
    publisher_logo_url: str | None = Field(
        default=None,
        description="The publisher's logo (Google: a raster or SVG image, at least 112 px "
        "wide), in the schema.org publisher; unset, the publisher has no logo.",
    )
    frontend_author_url_template: str = Field(
        default="https://example.com/{lang}/author/{slug}",
        description="Where a front end shows an author's page: listed in the sitemaps, and "
        "each schema.org author's `url`.",
    )
    paywall_css_selector: str = Field(
        default=".paywall",
        description="CSS selector of the element a front end puts a restricted article's "
        "members-only part in: the schema.org `hasPart` Google reads paywalls by.",
    )
    public_base_url: str | None = Field(
        default=None,
        description="Origin the API is reached at (https://api.example.com), for absolute links "
        "such as feed self-links; unset, each request's own base URL is used.",
    )
    max_body_bytes: int = Field(default=2_000_000, description="Largest JSON request body.")
    max_import_bytes: int = Field(
        default=20_000_000_000,
        description="Largest import body (streamed, so memory stays flat whatever its size; "
        "a million full bilingual articles is about 7 GB).",
    )
    import_check_workers: int | None = Field(
        default=None,
        ge=0,
        le=8,
        description="Processes a large import checks its lines on (validation, sanitizing, "
        "search analysis) while the server writes; started per import, stopped after it. "
        "0 checks them in the server process; unset: 1 on SQLite (written by this process), "
        "0 on PostgreSQL (whose own process indexes what is written, and needs the core).",
    )
    import_batch_size: int = Field(
        default=500,
        ge=1,
        le=10_000,
        description="Lines an import writes per transaction (and an import job reports "
        "progress at).",
    )
    cache_control_public: str = Field(
        default="public, max-age=30, stale-while-revalidate=300",
        description="Cache-Control of public GET responses (feed, articles, tags, sync...).",
    )
    cache_control_private: str = Field(
        default="private, no-store",
        description="Cache-Control of responses to authenticated requests (editor API).",
    )
    response_cache_bytes: int = Field(
        # 16 MB holds about 1,500 article or feed pages per worker (a news site's hot set;
        # ~10 KB each as counted: body, key and 512 B). The Python objects of an entry
        # weigh ~1.25x its count (measured), so a full cache is ~20 MB of a worker's RSS.
        default=16 * 1024 * 1024,
        ge=0,
        description="Per-process cache of rendered public responses; 0 turns it off.",
    )
    response_cache_entry_bytes: int = Field(
        default=2 * 1024 * 1024, ge=0, description="Largest response the cache keeps."
    )
    response_cache_version_max_age: float = Field(
        default=0.0,
        ge=0,
        description="Seconds a data-version reading may be reused. 0 (default): every "
        "request checks, so a publish shows on the next request; >0 allows that much staleness.",
    )
    compression_min_bytes: int = Field(
        default=1000, ge=0, description="Smaller responses are sent uncompressed."
    )
    cors_origins: list[str] = Field(
        default=[], description='Browser origins allowed by CORS, e.g. ["https://example.com"].'
    )
    cors_max_age: int = Field(default=600, ge=0, description="Seconds a preflight is cached.")
    database_connect_timeout: int = Field(
        default=5, ge=1, description="Seconds to wait for a PostgreSQL connection before a 503."
    )
    opentelemetry: bool = Field(
        default=False,
        description="Let FastAPI's native OpenTelemetry trace requests (needs an OTel SDK "
        "configured in the process); off, it costs nothing per request.",
    )
    redis_url: str | None = Field(
        default=None,
        description="Shared rate-limit store for several workers; in-process counters if unset.",
    )
    write_rate_limit_per_minute: int = Field(
        default=600, ge=0, description="Writes per API key per minute (0: unlimited)."
    )
    write_rate_limit_per_ip_per_minute: int = Field(
        default=1200, ge=0, description="Writes per client IP per minute (0: unlimited)."
    )
    import_rate_limit_per_minute: int = Field(
        default=30, ge=0, description="Imports per API key per minute (0: unlimited)."
    )
    import_rate_limit_per_ip_per_minute: int = Field(
        default=60, ge=0, description="Imports per client IP per minute (0: unlimited)."
    )
    rate_limit_prefix: str = Field(
        default="dopys:ratelimit", description="Prefix of the rate-limit keys in Redis."
    )
    token_secret: SecretStr | None = Field(
        default=None,
        description="Key (32+ characters) that signs cursors and sync tokens. Unset: the "
        "one `dopys db upgrade` generated and stored in the database. Changing it "
        "invalidates every outstanding cursor and token.",
    )
    forwarded_allow_ips: str = Field(
        default="",
        description="Comma-separated proxy addresses (or `*`) whose X-Forwarded-For/Proto/"
        "Host `dopys serve` believes. Empty (default): none, the peer address is the client.",
    )
    http_header_timeout: float = Field(
        default=10.0,
        gt=0,
        description="Seconds `dopys serve` waits for a request's complete headers (from the "
        "connection's first byte, or the end of the previous response) before closing it.",
    )
    http_body_timeout: float = Field(
        default=30.0,
        gt=0,
        description="Seconds the API waits for a request body (408 and the connection closed "
        "past it), plus one for every `http_body_min_rate` bytes received: a small body "
        "must come within it, a long upload must keep up that rate on average.",
    )
    http_body_min_rate: int = Field(
        default=65_536,
        gt=0,
        description="Bytes a second a long upload must average (see `http_body_timeout`).",
    )
    http_keep_alive_timeout: int = Field(
        default=5, ge=1, description="Seconds an idle keep-alive connection stays open."
    )
    search_time_budget_ms: int = Field(
        default=2000,
        ge=1,
        description="Milliseconds one search's statements may run; past it the search is "
        "stopped and answered 503 with Retry-After.",
    )

    @field_validator("site_languages", mode="before")
    @classmethod
    def _split_languages(cls, value: Any) -> Any:
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):  # the JSON list the former setting took
                return json.loads(text)
            return [part.strip() for part in text.split(",") if part.strip()]
        return value

    @field_validator("site_languages")
    @classmethod
    def _check_languages(cls, value: list[str]) -> list[str]:
        langs = list(dict.fromkeys(normalize_lang(lang) for lang in value))
        if not langs or not all(is_valid_lang(lang) for lang in langs):
            raise ValueError("give one or more BCP 47 language tags, e.g. uk,en")
        return langs

    @field_validator("token_secret")
    @classmethod
    def _long_enough(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < 32:
            raise ValueError("use at least 32 characters (e.g. `openssl rand -hex 32`)")
        return value

    @model_validator(mode="after")
    def _default_is_a_site_language(self) -> "Settings":
        if self.default_lang.lower() not in self.site_languages:
            raise ValueError(f"DEFAULT_LANG {self.default_lang!r} is not in SITE_LANGUAGES")
        return self

    @property
    def supported_langs(self) -> list[str]:
        """The former name of `site_languages`."""
        return self.site_languages

    webhooks_allow_private: bool = Field(
        default=False,
        description="Allow webhook targets on loopback, private and link-local addresses.",
    )
    webhooks_worker: bool = Field(
        default=True, description="Run a webhook delivery worker inside each server process."
    )
    webhooks_poll_seconds: float = Field(
        default=1.0, gt=0, description="How often an idle delivery worker looks for work."
    )
    webhooks_retry_schedule: list[float] = Field(
        # Standard Webhooks' example schedule: retries for about a day.
        default=[5, 300, 1800, 7200, 18000, 36000, 36000],
        description="Seconds before each retry of a failed delivery (then it has failed).",
    )
    webhooks_retry_jitter: float = Field(
        default=0.2, ge=0, le=1, description="Each delay is stretched by up to ± this share."
    )
    webhooks_timeout_seconds: float = Field(
        default=10.0,
        gt=0,
        description="Deadline of one delivery: lookup, connect, send and the whole answer.",
    )
    webhooks_max_response_bytes: int = Field(
        default=64 * 1024, ge=0, description="How much of a receiver's answer is read."
    )
    webhooks_retention_days: float = Field(
        default=30, gt=0, description="Days finished deliveries (and their events) are kept."
    )
    webhooks_concurrency: int = Field(
        default=16, ge=1, le=256, description="Deliveries a worker sends at once."
    )
    webhooks_concurrency_per_target: int = Field(
        default=2,
        ge=1,
        le=256,
        description="Deliveries a worker sends at once to one webhook (a slow one holds no more).",
    )

    # ---- behind a CDN (app.cdn; README "Behind a CDN") ----
    cdn_key_header: Literal["", "Surrogate-Key", "Cache-Tag"] = Field(
        default="",
        description="Response header naming the keys a public response depends on: "
        "`Surrogate-Key` (Fastly, Varnish xkey; space-separated) or `Cache-Tag` (Cloudflare, "
        "Akamai; comma-separated). Empty (the default): none.",
    )
    cdn_cache_control_header: Literal["", "Surrogate-Control", "CDN-Cache-Control"] = Field(
        default="",
        description="Header with the CDN's own caching rule (`CDN_CACHE_CONTROL`), which may be "
        "long since purges keep it fresh; browsers keep `CACHE_CONTROL_PUBLIC`. Empty: none.",
    )
    cdn_cache_control: str = Field(
        default="max-age=3600, stale-if-error=86400",
        description="The CDN's caching rule, sent in `CDN_CACHE_CONTROL_HEADER`.",
    )
    cdn_purge: Literal["", "fastly", "cloudflare", "varnish"] = Field(
        default="",
        description="Where the keys each committed write changed are purged. Empty: nowhere.",
    )
    cdn_purge_url: str | None = Field(
        default=None,
        description="Varnish: the URL purges are sent to. Fastly and Cloudflare: their API's "
        "base URL (default https://api.fastly.com, https://api.cloudflare.com/client/v4).",
    )
    cdn_purge_method: str = Field(
        default="PURGE", pattern=r"^[A-Z]{1,20}$", description="Varnish: the purge method."
    )
    cdn_purge_key_header: str = Field(
        default="xkey-purge",
        pattern=r"^[A-Za-z0-9-]{1,64}$",
        description="Varnish: the request header carrying the keys (space-separated).",
    )
    cdn_service_id: str | None = Field(
        default=None, description="Fastly: the service id. Cloudflare: the zone id."
    )
    cdn_purge_token: SecretStr | None = Field(
        default=None, description="Fastly: the API token (Fastly-Key). Cloudflare: a Bearer token."
    )
    cdn_purge_batch: int = Field(
        default=30,
        ge=1,
        le=256,
        description="Keys per purge request (Cloudflare takes 30 tags a call, Fastly 256 keys).",
    )
    cdn_purge_allow_private: bool | None = Field(
        default=None,
        description="Allow purge targets on loopback and private addresses. Unset: allowed "
        "for Varnish (usually local), refused for the Fastly and Cloudflare APIs.",
    )
    cdn_purge_poll_seconds: float = Field(
        default=1.0, gt=0, description="How often the purge worker looks for changes."
    )
    cdn_purge_retry_schedule: list[float] = Field(
        default=[1, 5, 30, 120, 600, 1800, 3600],
        description="Seconds before each retry of a failed purge (then it has failed).",
    )
    cdn_purge_timeout_seconds: float = Field(
        default=10.0, gt=0, description="Deadline of one purge request."
    )

    @model_validator(mode="after")
    def _purges_have_a_target(self) -> "Settings":
        needed = {
            "varnish": ["cdn_purge_url"],
            "fastly": ["cdn_service_id", "cdn_purge_token"],
            "cloudflare": ["cdn_service_id", "cdn_purge_token"],
        }.get(self.cdn_purge, [])
        missing = [name.upper() for name in needed if not getattr(self, name)]
        if missing:
            raise ValueError(f"CDN_PURGE={self.cdn_purge} needs {' and '.join(missing)}")
        return self

    # ---- sitemaps (app.sitemaps)
    frontend_section_url_template: str = Field(
        default="https://example.com/{lang}/section/{slug}",
        description="Where a front end renders a section's page; listed in the sitemaps.",
    )
    frontend_tag_url_template: str = Field(
        default="https://example.com/{lang}/tag/{slug}",
        description="Where a front end renders a tag's page; listed in the sitemaps.",
    )
    news_publication_name: str | None = Field(
        default=None,
        description="The name Google News knows the site by (`news:name` in the News "
        "sitemaps); unset, SITE_TITLE.",
    )


@lru_cache
def get_settings() -> Settings:
    return Settings()
