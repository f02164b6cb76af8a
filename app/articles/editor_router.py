"""Editor endpoints for articles (write-scope API key)."""

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Response, status

from app.articles import editing
from app.articles.schemas import (
    ArticleCreate,
    ArticleEditorRead,
    ArticleUpdate,
    PublishRequest,
    ScheduleRequest,
    TranslationIn,
)
from app.core.caching import versioned_responses
from app.core.deps import WriteSessionDep, require_write_key
from app.core.errors import DATABASE_STATUSES, WRITE_STATUSES, BadRequest, problem_responses
from app.core.schemas import Lang
from app.models import Article

router = APIRouter(
    prefix="/v1/editor/articles",
    tags=["editor"],
    dependencies=[Depends(require_write_key)],
    responses=problem_responses(401, 403, 422, *DATABASE_STATUSES),
)


def _versioned(status: int, *, location: bool = False) -> dict[int | str, dict[str, Any]]:
    responses = versioned_responses(status)
    if location:
        responses[status]["headers"]["Location"] = {
            "description": "Where the new article is.",
            "schema": {"type": "string"},
        }
    return responses


def _link(operation: str) -> dict[str, Any]:
    return {
        "operationId": f"editor-{operation}",
        "parameters": {"article_id": "$response.body#/id"},
    }


# OpenAPI links: what a client (or a stateful test) can do next with the article it created.
ARTICLE_LINKS = {
    name: _link(operation)
    for name, operation in (
        ("GetArticle", "get_article"),
        ("UpdateArticle", "update_article"),
        ("DeleteArticle", "delete_article"),
        ("PutTranslation", "put_translation"),
        ("DeleteTranslation", "delete_translation"),
        ("PublishArticle", "publish_article"),
        ("ScheduleArticle", "schedule_article"),
        ("UnpublishArticle", "unpublish_article"),
    )
}


def _if_match(
    if_match: Annotated[
        str | None,
        Header(description="The ETag (version) you read; 412 if the article changed since."),
    ] = None,
) -> int | None:
    if if_match is None or if_match.strip() == "*":
        return None
    value = if_match.strip().removeprefix("W/").strip('"')
    if not value.isdigit() or len(value) > 18:
        raise BadRequest('If-Match must be the ETag of the article, such as "3".')
    return int(value)


IfMatchDep = Annotated[int | None, Depends(_if_match)]


def _load(session: WriteSessionDep, article_id: uuid.UUID) -> Article:
    return editing.get_article(session, article_id, for_update=True)


ArticleDep = Annotated[Article, Depends(_load)]


def _respond(response: Response, article: Article) -> ArticleEditorRead:
    response.headers["ETag"] = f'"{article.version}"'
    response.headers["Cache-Control"] = "private, no-store"
    return editing.editor_view(article)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    responses={
        201: {**_versioned(201, location=True)[201], "links": ARTICLE_LINKS},
        **problem_responses(*WRITE_STATUSES, 409),
    },
)
def create_article(
    data: ArticleCreate, response: Response, session: WriteSessionDep
) -> ArticleEditorRead:
    """Create an article (a draft unless `status` says otherwise) with its translations;
    slugs are made from the titles when omitted."""
    article = editing.create_article(session, data)
    response.headers["Location"] = f"/v1/editor/articles/{article.id}"
    return _respond(response, article)


@router.get("/{article_id}", responses={**_versioned(200), **problem_responses(404)})
def get_article(article: ArticleDep, response: Response) -> ArticleEditorRead:
    """Any article, drafts and scheduled ones included."""
    return _respond(response, article)


@router.patch(
    "/{article_id}",
    responses={**_versioned(200), **problem_responses(*WRITE_STATUSES, 404, 409, 412)},
)
def update_article(
    article: ArticleDep,
    data: ArticleUpdate,
    response: Response,
    session: WriteSessionDep,
    if_match: IfMatchDep,
) -> ArticleEditorRead:
    """Change an article: only the fields sent change; `tags` and `citations` replace the
    lists. Send the version you read as `If-Match`."""
    editing.check_version(article, if_match)
    return _respond(response, editing.update_article(session, article, data))


@router.delete(
    "/{article_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(*WRITE_STATUSES, 404, 412),
)
def delete_article(article: ArticleDep, session: WriteSessionDep, if_match: IfMatchDep) -> None:
    """Delete an article and its translations; sync reports it as deleted if it was public."""
    editing.check_version(article, if_match)
    editing.delete_article(session, article)


@router.put(
    "/{article_id}/translations/{lang}",
    responses={
        **_versioned(200),
        201: {"model": ArticleEditorRead, **_versioned(201)[201]},
        **problem_responses(*WRITE_STATUSES, 404, 409, 412),
    },
)
def put_translation(
    article: ArticleDep,
    lang: Lang,
    data: TranslationIn,
    response: Response,
    session: WriteSessionDep,
    if_match: IfMatchDep,
) -> ArticleEditorRead:
    """Create (201) or replace (200) the article's translation in `lang`."""
    editing.check_version(article, if_match)
    if editing.put_translation(session, article, lang, data):
        response.status_code = status.HTTP_201_CREATED
    return _respond(response, article)


@router.delete(
    "/{article_id}/translations/{lang}",
    responses={**_versioned(200), **problem_responses(*WRITE_STATUSES, 404, 409, 412)},
)
def delete_translation(
    article: ArticleDep,
    lang: Lang,
    response: Response,
    session: WriteSessionDep,
    if_match: IfMatchDep,
) -> ArticleEditorRead:
    """Delete one translation (not the original language's)."""
    editing.check_version(article, if_match)
    editing.delete_translation(session, article, lang)
    return _respond(response, article)


@router.post(
    "/{article_id}/publish",
    responses={**_versioned(200), **problem_responses(*WRITE_STATUSES, 404)},
)
def publish_article(
    article: ArticleDep,
    response: Response,
    session: WriteSessionDep,
    data: PublishRequest | None = None,
) -> ArticleEditorRead:
    """Publish now, or at `published_at` (a future time schedules it)."""
    published_at = data.published_at if data else None
    return _respond(response, editing.publish(session, article, published_at))


@router.post(
    "/{article_id}/schedule",
    responses={**_versioned(200), **problem_responses(*WRITE_STATUSES, 404)},
)
def schedule_article(
    article: ArticleDep, data: ScheduleRequest, response: Response, session: WriteSessionDep
) -> ArticleEditorRead:
    """Publish at a future `published_at`: public from then on, with no job to run."""
    return _respond(response, editing.schedule(session, article, data.published_at))


@router.post(
    "/{article_id}/unpublish",
    responses={**_versioned(200), **problem_responses(*WRITE_STATUSES, 404)},
)
def unpublish_article(
    article: ArticleDep, response: Response, session: WriteSessionDep
) -> ArticleEditorRead:
    """Back to draft: gone from every public endpoint at once."""
    return _respond(response, editing.unpublish(session, article))
