# syntax=docker/dockerfile:1
# Build stage: the project's dependencies (and the `dopys` command) in a virtualenv.
FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
RUN python -m venv /venv
COPY pyproject.toml README.md ./
COPY app ./app
RUN /venv/bin/pip install .

# Runtime stage: the virtualenv, the code and its migrations, an unprivileged user.
FROM python:3.11-slim
# PYTHONPATH=/app: `app` is imported from /app, next to /app/migrations that Alembic runs.
ENV PATH=/venv/bin:$PATH PYTHONPATH=/app PYTHONUNBUFFERED=1 \
    DATABASE_URL=sqlite:////data/dopys.sqlite3
RUN useradd --system --uid 10001 --home-dir /app dopys && mkdir -p /data && chown dopys /data
COPY --from=build /venv /venv
WORKDIR /app
COPY migrations ./migrations
COPY app ./app
USER dopys
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s --retries=3 \
  CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2).status != 200)"]
# `dopys serve` applies pending migrations, then starts uvicorn.
CMD ["dopys", "serve", "--host", "0.0.0.0", "--port", "8000", "--workers", "2"]
