# Starts a private PostgreSQL cluster for tests and exports ARCA_TEST_POSTGRES_URL.
# Sourced by scripts/test; works as root (runs the server as the postgres user).

pg_bin() {
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  echo "$dir"
}

start_postgres() {
  PG_DIR="$1"
  PG_PORT="${ARCA_TEST_PG_PORT:-55432}"
  local bin; bin=$(pg_bin)
  local run_as=()
  if [ "$(id -u)" = 0 ]; then run_as=(runuser -u postgres --); fi
  if [ -f "$PG_DIR/postmaster.pid" ]; then
    "${run_as[@]}" "$bin/pg_ctl" -D "$PG_DIR" -m immediate stop >/dev/null 2>&1 || true
  fi
  rm -rf "$PG_DIR"
  mkdir -p "$PG_DIR"
  if [ "$(id -u)" = 0 ]; then chown postgres:postgres "$PG_DIR"; fi
  "${run_as[@]}" "$bin/initdb" -D "$PG_DIR" -A trust -U arca >/dev/null
  "${run_as[@]}" "$bin/pg_ctl" -D "$PG_DIR" -l "$PG_DIR/log" -w \
    -o "-p $PG_PORT -k $PG_DIR -c listen_addresses=127.0.0.1 -c fsync=on" start >/dev/null
  ARCA_TEST_POSTGRES_URL="postgres://arca@127.0.0.1:$PG_PORT/postgres"
  export ARCA_TEST_POSTGRES_URL
  echo "postgres up at $ARCA_TEST_POSTGRES_URL"
}

stop_postgres() {
  local bin; bin=$(pg_bin)
  local run_as=()
  if [ "$(id -u)" = 0 ]; then run_as=(runuser -u postgres --); fi
  [ -n "${PG_DIR:-}" ] && "${run_as[@]}" "$bin/pg_ctl" -D "$PG_DIR" -m fast stop >/dev/null 2>&1 || true
}
