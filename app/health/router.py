"""Liveness and readiness probes for orchestrators and load balancers."""

from fastapi import APIRouter, Request
from pydantic import BaseModel
from sqlalchemy import text

from app.core.errors import ServiceUnavailable, problem_responses

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: str


# The request guard answers any request with a NUL in its path or query with a 422.
@router.get("/healthz", responses=problem_responses(422))
def healthz() -> Health:
    """The process is up (touches nothing else)."""
    return Health(status="ok")


@router.get("/readyz", responses=problem_responses(422, 503))
def readyz(request: Request) -> Health:
    """The database answers."""
    try:
        with request.app.state.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:
        raise ServiceUnavailable(
            "The database is unreachable.", headers={"Retry-After": "5"}
        ) from exc
    return Health(status="ready")
