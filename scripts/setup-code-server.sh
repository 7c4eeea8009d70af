#!/usr/bin/env bash
# Installs code-server (a real VS Code workbench, served to a browser) for the end-to-end tests.
#
# It goes into a cache directory outside the clone and is reused when already installed:
#   ${PROVENANT_CACHE:-$HOME/.cache/provenant}/code-server-4.100.3
# Prints that directory on stdout; progress goes to stderr.
#
# Needs (Debian): build-essential pkg-config python3 libkrb5-dev ripgrep.
# Works offline against the npm registry only: the ripgrep binary that @vscode/ripgrep would
# download from GitHub is provided from Debian's /usr/bin/rg instead.
set -euo pipefail

CODE_SERVER_VERSION=4.100.3
# @vscode/ripgrep bundled with this code-server and the archive name its postinstall looks for.
VSCODE_RIPGREP_VERSION=1.15.11
RIPGREP_ARCHIVE=ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz

CACHE_ROOT="${PROVENANT_CACHE:-$HOME/.cache/provenant}"
DIR="$CACHE_ROOT/code-server-$CODE_SERVER_VERSION"
MARKER="$DIR/.installed"
ENTRY="$DIR/node_modules/code-server/out/node/entry.js"

log() { echo "setup-code-server: $*" >&2; }

if [[ -f "$MARKER" && -f "$ENTRY" ]]; then
  log "code-server $CODE_SERVER_VERSION already installed"
  echo "$DIR"
  exit 0
fi

command -v node >/dev/null || { log "node is required"; exit 1; }
command -v npm >/dev/null || { log "npm is required"; exit 1; }
RG="$(command -v rg || true)"
if [[ -z "$RG" ]]; then
  log "ripgrep is required (apt-get install ripgrep)"
  exit 1
fi

# The ripgrep archive, in the cache folder @vscode/ripgrep checks before downloading (os.tmpdir()).
TMP_ROOT="$(node -p 'require("os").tmpdir()')"
RG_CACHE="$TMP_ROOT/vscode-ripgrep-cache-$VSCODE_RIPGREP_VERSION"
if [[ ! -s "$RG_CACHE/$RIPGREP_ARCHIVE" ]]; then
  mkdir -p "$RG_CACHE"
  staging="$(mktemp -d)"
  cp "$RG" "$staging/rg"
  chmod 755 "$staging/rg"
  tar -czf "$RG_CACHE/$RIPGREP_ARCHIVE.partial" -C "$staging" rg
  mv "$RG_CACHE/$RIPGREP_ARCHIVE.partial" "$RG_CACHE/$RIPGREP_ARCHIVE"
  rm -rf "$staging"
  log "ripgrep archive prepared from $RG"
fi

log "installing code-server $CODE_SERVER_VERSION into $DIR (takes a minute or two)"
rm -rf "$DIR"
mkdir -p "$DIR"
cat >"$DIR/package.json" <<EOF
{
  "name": "provenant-code-server",
  "private": true,
  "description": "code-server for the Provenant end-to-end tests"
}
EOF

started=$SECONDS
(
  cd "$DIR"
  # unsafe_perm: code-server's postinstall refuses to run as root otherwise.
  # yes: node-pty's postinstall runs `npx node-gyp`, which would prompt.
  npm_config_unsafe_perm=true \
  npm_config_yes=true \
  npm_config_fund=false \
  npm_config_audit=false \
  npm_config_update_notifier=false \
  npm_config_progress=false \
    npm install --no-save --loglevel=error "code-server@$CODE_SERVER_VERSION" </dev/null >&2
)

if [[ ! -f "$ENTRY" ]]; then
  log "install finished but $ENTRY is missing"
  exit 1
fi

date -u +%Y-%m-%dT%H:%M:%SZ >"$MARKER"
log "installed in $((SECONDS - started)) s"
echo "$DIR"
