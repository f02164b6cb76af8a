# Sourced by the client scripts: the TypeScript SDK's pinned dev tools (openapi-typescript,
# tsc, Redocly, Spectral) in clients/typescript/node_modules, installed with `npm ci` when
# missing or older than package-lock.json (the only step that needs the npm registry).
SDK_DIR="$PWD/clients/typescript"
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "node and npm are needed (Debian: apt-get install nodejs npm)" >&2
  exit 2
fi
_lock_stamp="$SDK_DIR/node_modules/.dopys-$(sha256sum "$SDK_DIR/package-lock.json" | cut -c1-16)"
if [ ! -f "$_lock_stamp" ]; then
  (cd "$SDK_DIR" && npm ci --no-audit --no-fund --loglevel=error)
  touch "$_lock_stamp"
fi
