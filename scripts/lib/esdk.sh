# Setup and extra suites for the Encryption SDK (arca-esdk), sourced by scripts/test.
# Expects $root (the checkout) and $ARCA_BIN (the arca binary).

# Installs @aws-crypto/client-node into target/esdk-js (once) and runs the JavaScript
# interop script against $ARCA_BIN.
esdk_js_interop() {
  local dir="$root/target/esdk-js"
  if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    echo "esdk: installing nodejs and npm"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq nodejs npm >/dev/null
  fi
  mkdir -p "$dir"
  if [ ! -d "$dir/node_modules/@aws-crypto/client-node" ]; then
    (cd "$dir" && npm init -y >/dev/null && npm install --no-audit --no-fund --silent @aws-crypto/client-node)
  fi
  NODE_PATH="$dir/node_modules" node "$root/compat/esdk/js_interop.cjs"
}

# Builds bench/esdk (its own workspace) with the official Rust SDK, aws-esdk, and runs
# the interop tests both ways. aws-esdk is a large generated crate: a debug build takes
# several minutes, so this runs last and keeps its target dir under target/.
esdk_rust_interop() {
  CARGO_TARGET_DIR="$root/target/bench-esdk" \
    cargo test -q --manifest-path "$root/bench/esdk/Cargo.toml" --test aws_esdk_interop --no-fail-fast
}
