# Sourced by the wrappers of the benchmarks on PostgreSQL (audit, billing,
# reports), after scripts/lib/toolchain.sh and `cd "$root"`:
#   bench_on_postgres scripts/bench/<bench>.ts "$@"
# runs the bench on a throwaway PostgreSQL (scripts/lib/postgres.sh) with
# fsync on (--fsync on|off; default on, as in production), passing it
# --pg URL --own-postgres; directly with --pg, -h or --help (or a bad
# --fsync, which the bench reports). Exits with the bench's status.

bench_on_postgres() {
  local script="$1"
  shift
  local run=(node --require "$root/node_modules/@backstage/cli/config/nodeTransform.cjs" "$script")
  local fsync=on prev= arg exec_direct=
  for arg in "$@"; do
    case "$arg" in
      --pg | -h | --help) exec_direct=1 ;;
    esac
    [ "$prev" = --fsync ] && fsync="$arg"
    prev="$arg"
  done
  if [ -n "$exec_direct" ]; then
    "${run[@]}" "$@"
    exit $?
  fi
  case "$fsync" in on | off) ;; *) "${run[@]}" "$@"; exit $? ;; esac # the bench reports the bad value

  . "$root/scripts/lib/postgres.sh"
  echo "starting a throwaway PostgreSQL (scripts/lib/postgres.sh), fsync=$fsync" >&2
  pg_start
  trap pg_stop EXIT
  trap 'exit 130' INT TERM
  if [ "$fsync" = on ]; then
    # pg_start runs the server with -c fsync=off (fine for tests); a command-line
    # setting beats ALTER SYSTEM, so restart it with the same options minus that
    (cd / && ${DEZKY_PG_AS:-} "$DEZKY_PG_BIN/pg_ctl" -D "$DEZKY_PG_DIR/data" -l "$DEZKY_PG_DIR/pg.log" \
      -o "-p $DEZKY_PG_PORT -h 127.0.0.1 -k $DEZKY_PG_DIR -c max_connections=300" -w restart >/dev/null)
  fi
  local status=0
  "${run[@]}" --pg "$BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING" --own-postgres "$@" || status=$?
  exit "$status"
}
