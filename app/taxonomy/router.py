"""Tags and sources: public, localized reads and editor writes."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request, Response, status

from app.core import changes
from app.core.caching import PUBLIC, depending_on, public_responses
from app.core.deps import LangDep, ReadSessionDep, SettingsDep, WriteSessionDep, require_write_key
from app.core.errors import DATABASE_STATUSES, WRITE_STATUSES, problem_responses
from app.core.http import make_locale, set_language_headers, set_next_link
from app.core.inline import public_read
from app.core.pagination import DEFAULT_LIMIT, CursorParam, LimitParam, SignerDep
from app.core.schemas import Page, PageMeta, Slug
from app.taxonomy import service
from app.taxonomy.schemas import (
    AuthorCreate,
    AuthorRead,
    AuthorUpdate,
    SourceCreate,
    SourceRead,
    SourceUpdate,
    TagCreate,
    TagRead,
    TagUpdate,
)
from app.taxonomy.service import AUTHORS, SOURCES, TAGS

router = APIRouter(
    prefix="/v1",
    dependencies=[PUBLIC, depending_on(changes.TAXONOMY)],
    responses={**public_responses(), **problem_responses(422, *DATABASE_STATUSES)},
)
editor_router = APIRouter(
    prefix="/v1/editor",
    tags=["editor"],
    dependencies=[Depends(require_write_key)],
    responses=problem_responses(401, 403, 422, *DATABASE_STATUSES),
)

SlugPath = Annotated[Slug, Path()]


def taxonomy_links(kind: str) -> dict[str, Any]:
    """OpenAPI links from a created tag, source or author (`kind`: tags|sources|authors) to
    its reads and edits."""
    one = kind.removesuffix("s")
    slug = {"slug": "$response.body#/slug"}
    return {
        f"Get{one.title()}": {"operationId": f"{kind}-get_{one}", "parameters": slug},
        f"Update{one.title()}": {"operationId": f"editor-update_{one}", "parameters": slug},
    }


@router.get(
    "/tags", tags=["tags"], responses={**public_responses(link=True), **problem_responses(400)}
)
@public_read
def list_tags(
    request: Request,
    response: Response,
    session: ReadSessionDep,
    settings: SettingsDep,
    lang: LangDep,
    signer: SignerDep,
    cursor: CursorParam = None,
    limit: LimitParam = DEFAULT_LIMIT,
) -> Page[TagRead]:
    """Every tag (section) with its name in the response language, by slug; paged by
    cursor (the next page also as `Link: rel="next"`)."""
    items, next_cursor = service.list_page(session, TAGS, cursor=cursor, limit=limit, signer=signer)
    locale = make_locale(settings, lang)
    set_language_headers(response, lang)
    set_next_link(request, response, next_cursor)
    return Page(
        data=[_tag(service.to_read(TAGS, item, locale)) for item in items],
        meta=PageMeta(next_cursor=next_cursor, limit=limit),
    )


@router.get("/tags/{slug}", tags=["tags"], responses=problem_responses(400, 404))
@public_read
def get_tag(
    slug: SlugPath,
    response: Response,
    session: ReadSessionDep,
    settings: SettingsDep,
    lang: LangDep,
) -> TagRead:
    """One tag by slug, its name in the response language."""
    set_language_headers(response, lang)
    return _tag(
        service.to_read(TAGS, service.get(session, TAGS, slug), make_locale(settings, lang))
    )


@router.get(
    "/sources",
    tags=["sources"],
    responses={**public_responses(link=True), **problem_responses(400)},
)
@public_read
def list_sources(
    request: Request,
    response: Response,
    session: ReadSessionDep,
    settings: SettingsDep,
    lang: LangDep,
    signer: SignerDep,
    cursor: CursorParam = None,
    limit: LimitParam = DEFAULT_LIMIT,
) -> Page[SourceRead]:
    """Every source articles cite, localized, by slug; paged by cursor (the next page also
    as `Link: rel="next"`)."""
    items, next_cursor = service.list_page(
        session, SOURCES, cursor=cursor, limit=limit, signer=signer
    )
    locale = make_locale(settings, lang)
    set_language_headers(response, lang)
    set_next_link(request, response, next_cursor)
    return Page(
        data=[_source(service.to_read(SOURCES, item, locale)) for item in items],
        meta=PageMeta(next_cursor=next_cursor, limit=limit),
    )


@router.get("/sources/{slug}", tags=["sources"], responses=problem_responses(400, 404))
@public_read
def get_source(
    slug: SlugPath,
    response: Response,
    session: ReadSessionDep,
    settings: SettingsDep,
    lang: LangDep,
) -> SourceRead:
    """One source by slug, localized."""
    set_language_headers(response, lang)
    item = service.get(session, SOURCES, slug)
    return _source(service.to_read(SOURCES, item, make_locale(settings, lang)))


@editor_router.post(
    "/tags",
    status_code=status.HTTP_201_CREATED,
    responses={201: {"links": taxonomy_links("tags")}, **problem_responses(*WRITE_STATUSES, 409)},
)
def create_tag(data: TagCreate, session: WriteSessionDep, settings: SettingsDep) -> TagRead:
    """Create a tag, named in one or more languages."""
    item = service.create(session, TAGS, data)
    return _tag(service.to_read(TAGS, item, make_locale(settings, settings.default_lang)))


@editor_router.patch("/tags/{slug}", responses=problem_responses(*WRITE_STATUSES, 404))
def update_tag(
    slug: SlugPath, data: TagUpdate, session: WriteSessionDep, settings: SettingsDep
) -> TagRead:
    """Change a tag: only the fields sent change."""
    item = service.update(session, TAGS, service.get(session, TAGS, slug), data)
    return _tag(service.to_read(TAGS, item, make_locale(settings, settings.default_lang)))


@router.get(
    "/authors",
    tags=["authors"],
    responses={**public_responses(link=True), **problem_responses(400)},
)
@public_read
def list_authors(
    request: Request,
    response: Response,
    session: ReadSessionDep,
    settings: SettingsDep,
    lang: LangDep,
    signer: SignerDep,
    cursor: CursorParam = None,
    limit: LimitParam = DEFAULT_LIMIT,
) -> Page[AuthorRead]:
    """Every author (byline), localized, by slug; paged by cursor (the next page also as
    `Link: rel="next"`)."""
    items, next_cursor = service.list_page(
        session, AUTHORS, cursor=cursor, limit=limit, signer=signer
    )
    locale = make_locale(settings, lang)
    set_language_headers(response, lang)
    set_next_link(request, response, next_cursor)
    return Page(
        data=[_author(service.to_read(AUTHORS, item, locale)) for item in items],
        meta=PageMeta(next_cursor=next_cursor, limit=limit),
    )


@router.get("/authors/{slug}", tags=["authors"], responses=problem_responses(400, 404))
@public_read
def get_author(
    slug: SlugPath,
    response: Response,
    session: ReadSessionDep,
    settings: SettingsDep,
    lang: LangDep,
) -> AuthorRead:
    """One author by slug: name and bio in the response language."""
    set_language_headers(response, lang)
    item = service.get(session, AUTHORS, slug)
    return _author(service.to_read(AUTHORS, item, make_locale(settings, lang)))


@editor_router.post(
    "/sources",
    status_code=status.HTTP_201_CREATED,
    responses={
        201: {"links": taxonomy_links("sources")},
        **problem_responses(*WRITE_STATUSES, 409),
    },
)
def create_source(
    data: SourceCreate, session: WriteSessionDep, settings: SettingsDep
) -> SourceRead:
    """Create a source that articles can cite."""
    item = service.create(session, SOURCES, data)
    return _source(service.to_read(SOURCES, item, make_locale(settings, settings.default_lang)))


@editor_router.patch("/sources/{slug}", responses=problem_responses(*WRITE_STATUSES, 404))
def update_source(
    slug: SlugPath, data: SourceUpdate, session: WriteSessionDep, settings: SettingsDep
) -> SourceRead:
    """Change a source: only the fields sent change."""
    item = service.update(session, SOURCES, service.get(session, SOURCES, slug), data)
    return _source(service.to_read(SOURCES, item, make_locale(settings, settings.default_lang)))


@editor_router.post(
    "/authors",
    status_code=status.HTTP_201_CREATED,
    responses={
        201: {"links": taxonomy_links("authors")},
        **problem_responses(*WRITE_STATUSES, 409),
    },
)
def create_author(
    data: AuthorCreate, session: WriteSessionDep, settings: SettingsDep
) -> AuthorRead:
    """Create an author: slug, names and bios by language, photo and profile links."""
    item = service.create(session, AUTHORS, data)
    return _author(service.to_read(AUTHORS, item, make_locale(settings, settings.default_lang)))


@editor_router.patch("/authors/{slug}", responses=problem_responses(*WRITE_STATUSES, 404))
def update_author(
    slug: SlugPath, data: AuthorUpdate, session: WriteSessionDep, settings: SettingsDep
) -> AuthorRead:
    """Change an author: only the fields sent change; their articles' bylines follow."""
    item = service.update(session, AUTHORS, service.get(session, AUTHORS, slug), data)
    return _author(service.to_read(AUTHORS, item, make_locale(settings, settings.default_lang)))


@editor_router.delete(
    "/authors/{slug}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(*WRITE_STATUSES, 404),
)
def delete_author(slug: SlugPath, session: WriteSessionDep) -> None:
    """Delete an author; their articles keep their other bylines."""
    service.delete(session, AUTHORS, service.get(session, AUTHORS, slug))


def _tag(read: object) -> TagRead:
    assert isinstance(read, TagRead)
    return read


def _source(read: object) -> SourceRead:
    assert isinstance(read, SourceRead)
    return read


def _author(read: object) -> AuthorRead:
    assert isinstance(read, AuthorRead)
    return read
