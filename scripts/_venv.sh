# Sourced by the other scripts: make (or reuse) .venv with the project and its dev tools.
# DOPYS_VENV=serve (scripts/serve) installs only what serving needs; a venv with the dev
# tools serves too. Each kind has its stamp, so the test scripts still get their tools.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PYTHON=${PYTHON:-python3}
kind=${DOPYS_VENV:-dev}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
hash=$(sha256sum pyproject.toml | cut -c1-16)
if [ ! -f ".venv/.installed-dev-$hash" ] && [ ! -f ".venv/.installed-$kind-$hash" ]; then
  export PIP_DISABLE_PIP_VERSION_CHECK=1
  if [ "$kind" = serve ]; then
    .venv/bin/python -m pip install --quiet -e .
  else
    .venv/bin/python -m pip install --quiet --upgrade pip
    .venv/bin/python -m pip install --quiet -e '.[dev]'
  fi
  rm -f .venv/.installed-*
  touch ".venv/.installed-$kind-$hash"
fi
export PATH="$PWD/.venv/bin:$PATH"
