"""Dependency aliases shared by the routers (`Annotated`, so signatures stay short)."""

from collections.abc import AsyncIterator, Iterator
from typing import Annotated

from fastapi import Depends, Header, Query, Request
from fastapi.dependencies.models import Dependant
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Connection, event
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker
from starlette.types import Scope

from app.core import caching
from app.core.config import Settings
from app.core.errors import AppError, BadRequest, FieldError, Forbidden, Unauthorized
from app.core.i18n import LANG_PATTERN, joined_header, negotiate_lang
from app.core.inline import end_read, ended, run_read
from app.keys.service import bearer_key, find_active_key, grants
from app.models import ApiKey, KeyScope


async def get_settings_dep(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]


def _session_from(factory: sessionmaker[Session]) -> Iterator[Session]:
    # Commit before the response goes out (scope="function"), roll back on any error.
    with factory() as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


async def get_read_session(request: Request) -> AsyncIterator[Session]:
    """A read session. It opens no connection until its first query; a public response is
    stamped by that query's transaction (`_stamp_first`). Ended where app.core.inline says
    (in place on SQLite), unless the endpoint ended it already (`public_read`)."""
    session: Session = request.app.state.read_sessions()
    if caching.wants_stamp(request):
        session.info[_STAMP_KEY] = request
    try:
        yield session
    except BaseException:
        if not ended(session):
            await run_read(session, end_read, session, commit=False)
        raise
    if not ended(session):
        await run_read(session, end_read, session, commit=True)


_STAMP_KEY = "dopys.stamp"


@event.listens_for(Session, "after_begin")
def _stamp_first(session: Session, _transaction: object, connection: Connection) -> None:
    """A public response is stamped with the data version as the first query of the
    transaction it reads in (caching.stamp), in whatever thread that query runs."""
    request: Request | None = session.info.pop(_STAMP_KEY, None)
    if request is not None:
        caching.stamp(request, connection)


def get_write_session(request: Request) -> Iterator[Session]:
    yield from _session_from(request.app.state.write_sessions)


ReadSessionDep = Annotated[Session, Depends(get_read_session, scope="function")]
WriteSessionDep = Annotated[Session, Depends(get_write_session, scope="function")]

_bearer = HTTPBearer(auto_error=False, description="An API key made with `dopys keys create`.")


def _authenticate(request: Request, needed: KeyScope) -> ApiKey:
    checked: ApiKey | None = request.scope.get(_CHECKED_KEY)
    if checked is not None and grants(checked, needed):
        return checked  # authenticate_first found it for this very request
    lines = request.headers.getlist("authorization")
    if not lines:
        raise Unauthorized(
            "Send an API key as `Authorization: Bearer <key>`.",
            headers={"WWW-Authenticate": "Bearer"},
        )
    secret = bearer_key(lines)
    key = None
    if secret is not None:
        with request.app.state.read_sessions() as session:
            key = find_active_key(session, secret)
    if key is None:
        raise Unauthorized(
            "The API key is unknown or revoked.",
            headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
        )
    if not grants(key, needed):
        raise Forbidden(f"This API key has scope '{key.scope}'; '{needed}' is needed.")
    return key


def require_write_key(
    request: Request,
    # Declares the scheme in OpenAPI; the key itself is read by bearer_key (as the rate
    # limiter reads it), not by HTTPBearer, which strips Unicode spaces.
    _scheme: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> ApiKey:
    return _authenticate(request, KeyScope.WRITE)


EditorKeyDep = Annotated[ApiKey, Depends(require_write_key)]


def require_admin_key(
    request: Request,
    _scheme: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> ApiKey:
    return _authenticate(request, KeyScope.ADMIN)


_CHECKED_KEY = "dopys.checked_key"


def required_scopes(dependant: Dependant | None) -> list[KeyScope]:
    """The key scopes a route's dependencies (its router's included) require."""
    needed: list[KeyScope] = []
    pending = [dependant] if dependant is not None else []
    while pending:
        current = pending.pop()
        for dependency in current.dependencies:
            if dependency.call is require_write_key:
                needed.append(KeyScope.WRITE)
            elif dependency.call is require_admin_key:
                needed.append(KeyScope.ADMIN)
            pending.append(dependency)
    return needed


async def authenticate_first(scope: Scope, needed: list[KeyScope]) -> AppError | None:
    """The 401 or 403 of a request whose route needs a key, found from its headers alone:
    FastAPI reads a body before it runs dependencies, so a stranger's upload would be
    taken in whole before its 401. The key found is kept for the route's own check. If the
    database cannot say, the route's check answers (its 503) once the body is in."""
    request = Request(scope)
    engine = request.app.state.read_engine
    try:
        for scope_needed in needed:
            scope[_CHECKED_KEY] = await run_read(engine, _authenticate, request, scope_needed)
    except (Unauthorized, Forbidden) as error:
        return error
    except SQLAlchemyError:
        scope.pop(_CHECKED_KEY, None)
    return None


async def get_lang(
    request: Request,
    settings: SettingsDep,
    lang: Annotated[
        str | None,
        Query(
            pattern=LANG_PATTERN,
            max_length=35,
            description="Response language (BCP 47, looked up among the site's languages: "
            "`uk-UA` gives `uk`); one outside them is a 400. Defaults to Accept-Language, "
            "then the site's.",
        ),
    ] = None,
    accept_language: Annotated[
        str | None,
        # No length limit: the header is read leniently (bad ranges skipped, the first 50
        # used), as the response cache reads it too; a 422 would depend on a cache miss.
        Header(
            description="Preferred languages (RFC 9110), every line of the header; "
            "malformed ranges are ignored."
        ),
    ] = None,
) -> str:
    # Every line of the header, as the cache key reads it (`accept_language` is the first).
    header = joined_header(request.headers.getlist("accept-language"))
    found = negotiate_lang(lang, header, settings.site_languages, settings.default_lang)
    if found is None:
        allowed = ", ".join(settings.site_languages)
        raise BadRequest(
            f"lang '{lang}' is not one of this site's languages: {allowed}.",
            errors=[FieldError(field="lang", message=f"Allowed: {allowed}.")],
        )
    return found


LangDep = Annotated[str, Depends(get_lang)]


async def explicit_lang(request: Request) -> bool:
    """Whether the client named a language with `lang=` (LangDep has checked it)."""
    return request.query_params.get("lang") is not None


ExplicitLangDep = Annotated[bool, Depends(explicit_lang)]
