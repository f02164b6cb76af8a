"""GET /v1/exports: every article, drafts included, streamed as NDJSON."""

from fastapi import APIRouter, Depends, Request
from fastapi.responses import StreamingResponse

from app.core.deps import require_write_key
from app.core.errors import problem_responses
from app.exports.service import export_lines
from app.imports.schemas import EXPORT_DOC, NDJSON_MEDIA_TYPE

router = APIRouter(prefix="/v1/exports", tags=["exports"])


@router.get(
    "",
    dependencies=[Depends(require_write_key)],
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "One article per line, in the format POST /v1/imports takes, "
            f"between a header and a trailer line. {EXPORT_DOC}",
            "content": {NDJSON_MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}}},
        },
        **problem_responses(401, 403, 503),
    },
)
def export_articles(request: Request) -> StreamingResponse:
    """Every article (drafts and scheduled ones too) as NDJSON, ordered by id. Importing the
    result into an empty database reproduces what the public API serves."""
    return StreamingResponse(
        export_lines(request.app.state.read_sessions),
        media_type=NDJSON_MEDIA_TYPE,
        headers={
            "Cache-Control": "private, no-store",
            "Content-Disposition": 'attachment; filename="dopys-export.ndjson"',
        },
    )
