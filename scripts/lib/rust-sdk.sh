# The AWS SDK for Rust compat suite (compat/rust-sdk) against a live arca server.
# Sourced by scripts/test after it has built the server and exported ARCA_BIN.
#
# run_rust_sdk_compat starts `$ARCA_BIN server --dev` on a free port with a temporary
# data dir, waits for /health, exports ARCA_ENDPOINT and the credentials the server
# wrote, runs `cargo test` in compat/rust-sdk, stops the server and returns the suite's
# exit status. The SDK builds into compat/rust-sdk/target (debug: it is only called).

rust_sdk_free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Reads KEY from the [default] section of an AWS shared credentials file.
rust_sdk_credential() {
  awk -F' *= *' -v key="$2" '
    /^\[/ { in_default = ($0 == "[default]") }
    in_default && $1 == key { print $2; exit }' "$1"
}

run_rust_sdk_compat() {
  local root; root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
  if [ -z "${ARCA_BIN:-}" ] || [ ! -x "$ARCA_BIN" ]; then
    echo "run_rust_sdk_compat: ARCA_BIN must name a built arca binary" >&2
    return 2
  fi
  local scratch; scratch=$(mktemp -d "${TMPDIR:-/tmp}/arca-rust-sdk.XXXXXX")
  local port; port=$(rust_sdk_free_port)
  local endpoint="http://127.0.0.1:$port"
  "$ARCA_BIN" server --dev --data-dir "$scratch/data" --listen "127.0.0.1:$port" \
    >"$scratch/server.log" 2>&1 &
  local server_pid=$!

  local ready=0
  for _ in $(seq 1 300); do
    if ! kill -0 "$server_pid" 2>/dev/null; then break; fi
    if curl -fsS -o /dev/null "$endpoint/health" 2>/dev/null; then ready=1; break; fi
    sleep 0.1
  done
  if [ "$ready" != 1 ]; then
    echo "run_rust_sdk_compat: arca server did not become healthy; its log:" >&2
    tail -n 50 "$scratch/server.log" >&2
    kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true
    return 1
  fi

  local status=0
  (
    export ARCA_ENDPOINT="$endpoint"
    export AWS_ACCESS_KEY_ID; AWS_ACCESS_KEY_ID=$(rust_sdk_credential "$scratch/data/credentials" aws_access_key_id)
    export AWS_SECRET_ACCESS_KEY; AWS_SECRET_ACCESS_KEY=$(rust_sdk_credential "$scratch/data/credentials" aws_secret_access_key)
    export AWS_REGION=us-east-1
    unset AWS_SESSION_TOKEN AWS_PROFILE AWS_ENDPOINT_URL
    # The suite must see only this server's files, never a developer's ~/.aws.
    export AWS_CONFIG_FILE="$scratch/data/config" AWS_SHARED_CREDENTIALS_FILE="$scratch/data/credentials"
    cargo test --manifest-path "$root/compat/rust-sdk/Cargo.toml" --no-fail-fast
  ) || status=$?

  kill "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  if [ "$status" = 0 ]; then
    rm -rf "$scratch"
  else
    echo "run_rust_sdk_compat: failed (status $status); server log in $scratch/server.log" >&2
  fi
  return "$status"
}
