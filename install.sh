#!/usr/bin/env bash
# install.sh — install coder-agents for production use.
#
# Builds the CLI in this checkout (npm ci + npm run build), installs a self-contained copy with
# production dependencies only into PREFIX/lib/coder-agents, puts a `coder-agents` wrapper in
# PREFIX/bin, writes systemd service + timer units (oneshot services started by timers) and checks
# the connection to Coder when credentials are set. Safe to run again: every step replaces what an
# earlier run installed. It never enables or starts units itself; it prints the commands.
set -euo pipefail
# Whatever the caller's umask (000 under some provisioning tools), nothing installed is writable by
# group or others: installed code that anyone can change runs as the service account.
umask 022

readonly MIN_NODE="20.18.0"
readonly MIN_NPM="9.0.0"

PREFIX="/usr/local"
SYSTEMD_DIR="/etc/systemd/system"
WRITE_SYSTEMD=1
SERVICE_USER="coder-agents"
CONFIG_PATH="/etc/coder-agents/agents_config.json"
ENV_FILE="/etc/coder-agents/coder-agents.env"
SKIP_BUILD=0
CHECK_CONNECTION=1
NODE_BIN="${NODE:-}"

usage() {
  cat <<'EOF'
Usage: ./install.sh [options]

Install coder-agents for production use: build, install into PREFIX, write systemd units.

Options:
  --prefix DIR         install into DIR/lib/coder-agents and DIR/bin/coder-agents (default /usr/local)
  --systemd-dir DIR    where to write the systemd units (default /etc/systemd/system)
  --no-systemd         do not write systemd units
  --user NAME          the account the units run as (default coder-agents)
  --config PATH        config file the units use (default /etc/coder-agents/agents_config.json)
  --env-file PATH      file with CODER_URL and the token for the units (default /etc/coder-agents/coder-agents.env)
  --node PATH          the node binary to use (default: node on PATH, or $NODE)
  --skip-build         use the dist/ already built in this checkout (no npm ci / npm run build here)
  --no-check           do not check the connection to Coder after installing
  -h, --help           show this help

Requirements: Node.js >= 20.18 and npm >= 9.

The connection check runs `coder-agents workspaces` when CODER_URL and a token
(CODER_SESSION_TOKEN, CODER_TOKEN or the Coder CLI's login) are available.

Examples:
  sudo ./install.sh
  ./install.sh --prefix "$HOME/.local" --systemd-dir "$HOME/.config/systemd/user" --user "$USER"
  ./install.sh --prefix /opt/coder-agents --no-systemd
EOF
}

say() { printf '%s\n' "$*"; }
warn() { printf 'warning: %s\n' "$*" >&2; }
die() {
  printf 'install.sh: error: %s\n' "$*" >&2
  exit 1
}

need_arg() {
  if [[ $# -lt 2 || -z "$2" ]]; then
    printf 'install.sh: error: %s needs a value\n' "$1" >&2
    exit 2
  fi
}

while [[ $# -gt 0 ]]; do
  case "$1" in
    --prefix) need_arg "$@"; PREFIX="$2"; shift 2 ;;
    --prefix=*) PREFIX="${1#*=}"; shift ;;
    --systemd-dir) need_arg "$@"; SYSTEMD_DIR="$2"; shift 2 ;;
    --systemd-dir=*) SYSTEMD_DIR="${1#*=}"; shift ;;
    --no-systemd) WRITE_SYSTEMD=0; shift ;;
    --user) need_arg "$@"; SERVICE_USER="$2"; shift 2 ;;
    --user=*) SERVICE_USER="${1#*=}"; shift ;;
    --config) need_arg "$@"; CONFIG_PATH="$2"; shift 2 ;;
    --config=*) CONFIG_PATH="${1#*=}"; shift ;;
    --env-file) need_arg "$@"; ENV_FILE="$2"; shift 2 ;;
    --env-file=*) ENV_FILE="${1#*=}"; shift ;;
    --node) need_arg "$@"; NODE_BIN="$2"; shift 2 ;;
    --node=*) NODE_BIN="${1#*=}"; shift ;;
    --skip-build) SKIP_BUILD=1; shift ;;
    --no-check) CHECK_CONNECTION=0; shift ;;
    -h | --help) usage; exit 0 ;;
    *)
      printf 'install.sh: error: unknown option %s (see --help)\n' "$1" >&2
      exit 2
      ;;
  esac
done

# version_ge A B: true when version A >= version B (numeric, dot-separated).
version_ge() {
  local IFS=.
  local -a a b
  read -r -a a <<<"${1%%-*}"
  read -r -a b <<<"${2%%-*}"
  local i
  for i in 0 1 2; do
    local x="${a[i]:-0}" y="${b[i]:-0}"
    if ((10#$x > 10#$y)); then return 0; fi
    if ((10#$x < 10#$y)); then return 1; fi
  done
  return 0
}

SRC_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
[[ -f "$SRC_DIR/package.json" && -f "$SRC_DIR/bin/coder-agents.js" ]] || die "run install.sh from a coder-agents checkout (package.json and bin/coder-agents.js not found in $SRC_DIR)"
[[ "$PREFIX" = /* ]] || PREFIX="$(pwd)/$PREFIX"
[[ "$SYSTEMD_DIR" = /* ]] || SYSTEMD_DIR="$(pwd)/$SYSTEMD_DIR"

say "🚀 Installing coder-agents from $SRC_DIR into $PREFIX"

# 1. Node.js and npm.
if [[ -z "$NODE_BIN" ]]; then
  NODE_BIN="$(command -v node || true)"
fi
[[ -n "$NODE_BIN" && -x "$NODE_BIN" ]] || die "Node.js >= $MIN_NODE is required (node not found; install it or pass --node PATH)"
NODE_VERSION="$("$NODE_BIN" -p 'process.versions.node' 2>/dev/null || true)"
[[ -n "$NODE_VERSION" ]] || die "could not run $NODE_BIN"
version_ge "$NODE_VERSION" "$MIN_NODE" || die "Node.js >= $MIN_NODE is required ($NODE_BIN is $NODE_VERSION)"
NPM_BIN="$(command -v npm || true)"
[[ -n "$NPM_BIN" ]] || die "npm >= $MIN_NPM is required (npm not found)"
NPM_VERSION="$("$NPM_BIN" --version 2>/dev/null | tail -n 1)"
version_ge "$NPM_VERSION" "$MIN_NPM" || die "npm >= $MIN_NPM is required (found $NPM_VERSION)"
say "✅ Node.js $NODE_VERSION ($NODE_BIN), npm $NPM_VERSION"

# 2. Build in the checkout.
if [[ "$SKIP_BUILD" -eq 1 ]]; then
  [[ -f "$SRC_DIR/dist/cli/main.js" ]] || die "--skip-build: $SRC_DIR/dist is not built (run npm ci && npm run build)"
  say "✅ Using the existing build in $SRC_DIR/dist"
else
  say "📦 npm ci"
  (cd "$SRC_DIR" && "$NPM_BIN" ci --no-audit --no-fund --loglevel=error)
  say "🔨 npm run build"
  (cd "$SRC_DIR" && "$NPM_BIN" run build --silent)
fi

# 3. A self-contained copy with production dependencies only, swapped into place.
LIB_DIR="$PREFIX/lib/coder-agents"
BIN_DIR="$PREFIX/bin"
SHARE_DIR="$PREFIX/share/coder-agents"
mkdir -p "$PREFIX/lib" "$BIN_DIR" "$SHARE_DIR"
STAGE="$(mktemp -d "$PREFIX/lib/.coder-agents.XXXXXX")"
cleanup() { rm -rf "$STAGE"; }
trap cleanup EXIT
for item in package.json package-lock.json bin dist scenarios schema agents_config.json README.md AGENTS.md cron-examples.txt deploy; do
  if [[ -e "$SRC_DIR/$item" ]]; then
    cp -R "$SRC_DIR/$item" "$STAGE/"
  fi
done
say "📦 Installing production dependencies into $LIB_DIR"
(cd "$STAGE" && "$NPM_BIN" ci --omit=dev --ignore-scripts --no-audit --no-fund --prefer-offline --loglevel=error)
# Readable by all, writable only by the installing user, even for files copied from a checkout
# whose modes are looser.
chmod -R u+rwX,go+rX,go-w "$STAGE"
if [[ -d "$LIB_DIR" ]]; then
  OLD="$PREFIX/lib/.coder-agents.old.$$"
  mv "$LIB_DIR" "$OLD"
  mv "$STAGE" "$LIB_DIR"
  rm -rf "$OLD"
else
  mv "$STAGE" "$LIB_DIR"
fi
trap - EXIT

# 4. The command: a wrapper that pins the node binary checked above (cron and systemd run with a
#    minimal PATH, and version managers put node where they do not look).
WRAPPER="$BIN_DIR/coder-agents"
TMP_WRAPPER="$(mktemp "$BIN_DIR/.coder-agents.XXXXXX")"
cat >"$TMP_WRAPPER" <<EOF
#!/bin/sh
# coder-agents wrapper written by install.sh; re-run install.sh to update it.
exec "$NODE_BIN" "$LIB_DIR/bin/coder-agents.js" "\$@"
EOF
chmod 0755 "$TMP_WRAPPER"
mv -f "$TMP_WRAPPER" "$WRAPPER"
"$WRAPPER" --version >/dev/null || die "the installed command does not run: $WRAPPER --version failed"
say "✅ Installed $WRAPPER ($("$WRAPPER" --version))"

# 5. Examples with the real paths.
sed -e "s#coder-agents quiet-hours#$WRAPPER quiet-hours#; s#coder-agents autostop#$WRAPPER autostop#; s#coder-agents prune#$WRAPPER prune#; s#coder-agents ttl-monitor#$WRAPPER ttl-monitor#g" \
  "$SRC_DIR/cron-examples.txt" >"$SHARE_DIR/cron-examples.txt"
cp "$SRC_DIR/agents_config.json" "$SHARE_DIR/agents_config.example.json"
say "✅ Examples in $SHARE_DIR (cron-examples.txt, agents_config.example.json)"

# 6. systemd units: oneshot services started by timers.
if [[ "$WRITE_SYSTEMD" -eq 1 ]]; then
  mkdir -p "$SYSTEMD_DIR"
  written=()
  for unit in "$SRC_DIR"/deploy/systemd/*.service "$SRC_DIR"/deploy/systemd/*.timer; do
    name="$(basename "$unit")"
    sed -e "s#@BIN@#$WRAPPER#g; s#@USER@#$SERVICE_USER#g; s#@CONFIG@#$CONFIG_PATH#g; s#@ENV_FILE@#$ENV_FILE#g; s#@LIBDIR@#$LIB_DIR#g" \
      "$unit" >"$SYSTEMD_DIR/$name.tmp"
    chmod 0644 "$SYSTEMD_DIR/$name.tmp"
    mv -f "$SYSTEMD_DIR/$name.tmp" "$SYSTEMD_DIR/$name"
    written+=("$name")
  done
  say "✅ systemd units in $SYSTEMD_DIR: ${written[*]}"
fi

# 7. Connection check, when credentials are available.
if [[ "$CHECK_CONNECTION" -eq 1 ]]; then
  if [[ -n "${CODER_URL:-}" && (-n "${CODER_SESSION_TOKEN:-}" || -n "${CODER_TOKEN:-}") ]]; then
    if check_out="$("$WRAPPER" workspaces --quiet 2>&1 >/dev/null)"; then
      say "✅ Connected to $CODER_URL"
    else
      warn "the connection check failed (coder-agents workspaces): ${check_out:-no output}"
      warn "fix CODER_URL / the token, then run: $WRAPPER workspaces"
    fi
  else
    say "ℹ️  Connection not checked: set CODER_URL and CODER_SESSION_TOKEN, then run: $WRAPPER workspaces"
  fi
fi

say ""
say "Next steps:"
say "  1. Configuration: copy $SHARE_DIR/agents_config.example.json to $CONFIG_PATH and edit it."
say "  2. Credentials: put CODER_URL=... and CODER_SESSION_TOKEN=... in $ENV_FILE (chmod 600)."
say "  3. Try it: $WRAPPER quiet-hours --execute --dry-run"
if [[ "$WRITE_SYSTEMD" -eq 1 ]]; then
  say "  4. Schedule it: id $SERVICE_USER || useradd --system --no-create-home $SERVICE_USER"
  say "     systemctl daemon-reload && systemctl enable --now coder-agents-quiet-hours.timer"
  say "     (also coder-agents-autostop.timer, coder-agents-ttl-report.timer)"
else
  say "  4. Schedule it: see $SHARE_DIR/cron-examples.txt"
fi
say "  Operator's guide: $LIB_DIR/AGENTS.md"
