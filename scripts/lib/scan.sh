# Setup for the `arca scan` suites (sourced by scripts/test): an S3 API server (moto)
# on a free loopback port, exported as ARCA_TEST_S3_ENDPOINT, stopped by stop_scan_s3.

start_scan_s3() {
  local port
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  moto_server -H 127.0.0.1 -p "$port" >"$1/moto-scan.log" 2>&1 &
  SCAN_MOTO_PID=$!
  for _ in $(seq 1 100); do
    if python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), timeout=0.2)" 2>/dev/null; then
      export ARCA_TEST_S3_ENDPOINT="http://127.0.0.1:$port"
      return 0
    fi
    sleep 0.1
  done
  echo "moto_server did not start (see $1/moto-scan.log)" >&2
  return 1
}

stop_scan_s3() {
  if [ -n "${SCAN_MOTO_PID:-}" ]; then
    kill "$SCAN_MOTO_PID" 2>/dev/null || true
    wait "$SCAN_MOTO_PID" 2>/dev/null || true
  fi
}
