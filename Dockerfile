# syntax=docker/dockerfile:1
# Build stage: the dependencies in a virtualenv without pip (pip runs from outside it).
FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
# The dependencies first, from pyproject.toml alone: this layer is rebuilt when they
# change, not when the code does.
# pymorphy3 pulls in its Russian dictionary (16 MB): search reads only the Ukrainian one,
# so it is removed, and the analyser is loaded once to show it works without it.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" > requirements.txt \
 && python -m venv --without-pip /venv \
 && python -m pip --python /venv/bin/python install --requirement requirements.txt \
 && python -m pip --python /venv/bin/python uninstall --yes pymorphy3-dicts-ru \
 && /venv/bin/python -c "import pymorphy3; pymorphy3.MorphAnalyzer(lang='uk')" \
 && printf '#!/venv/bin/python\nfrom app.cli import main\n\nif __name__ == "__main__":\n    main()\n' > /venv/bin/dopys \
 && chmod 755 /venv/bin/dopys

# Runtime stage: the virtualenv, the code and its migrations, an unprivileged user; no
# pip, setuptools or wheel (the base image's are removed).
FROM python:3.11-slim
# PYTHONPATH=/app: `app` is imported from /app, next to /app/migrations that Alembic runs.
ENV PATH=/venv/bin:$PATH PYTHONPATH=/app PYTHONUNBUFFERED=1 \
    DATABASE_URL=sqlite:////data/dopys.sqlite3 \
    HOST=0.0.0.0 PORT=8000 WORKERS=2 DOPYS_DEMO=false
RUN python -m pip uninstall --yes --quiet pip setuptools wheel \
 && useradd --system --uid 10001 --home-dir /app dopys \
 && mkdir -p /data && chown dopys /data
COPY --from=build /venv /venv
WORKDIR /app
COPY LICENSE ./
COPY migrations ./migrations
COPY app ./app
# Compiled now: the unprivileged user cannot write __pycache__, and every worker would
# otherwise compile the code again as it starts.
RUN python -m compileall -q app migrations
USER 10001
VOLUME ["/data"]
EXPOSE 8000
# `dopys serve` migrates (replicas starting together wait for one of them) and listens;
# articles left without a stored rendering by an upgrade are rendered after that, in the
# background. The start period covers a long migration of a large database.
HEALTHCHECK --interval=15s --timeout=3s --start-period=120s --retries=3 \
  CMD ["python", "-c", "import os, sys, urllib.request; sys.exit(urllib.request.urlopen(f\"http://127.0.0.1:{os.environ['PORT']}/healthz\", timeout=2).status != 200)"]
# HOST, PORT, WORKERS and DOPYS_DEMO (true: load the demo content) are read by `dopys serve`.
CMD ["dopys", "serve"]
