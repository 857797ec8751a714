# Brief coverage-guided fuzzing of the request parsers and the scanner's extractors
# (sourced by scripts/test).
# cargo-fuzz needs nightly flags; RUSTC_BOOTSTRAP lets the stable toolchain use them.
# Each target runs for ARCA_FUZZ_SECONDS (default 10); the corpora are also replayed
# by the ordinary tests.

fuzz_briefly() {
  local seconds="${ARCA_FUZZ_SECONDS:-10}"
  if ! command -v cargo-fuzz >/dev/null 2>&1; then
    cargo install --locked -q cargo-fuzz
  fi
  local dir target
  for spec in arca-sigv4:parse_auth arca-kms:json_request arca-kms:ciphertext_blob arca-scan:extract; do
    dir="crates/${spec%%:*}/fuzz"
    target="${spec##*:}"
    # Fuzz into a scratch copy of the corpus so that new inputs do not dirty the checkout.
    local scratch="target/fuzz-corpus/$target"
    rm -rf "$scratch" && mkdir -p "$scratch" && cp "$dir/corpus/$target"/* "$scratch"/
    echo "fuzz $target for ${seconds}s"
    local log="target/fuzz-$target.log"
    if ! RUSTC_BOOTSTRAP=1 cargo fuzz run --fuzz-dir "$dir" "$target" "$scratch" -- \
        -max_total_time="$seconds" >"$log" 2>&1; then
      tail -n 40 "$log" >&2
      echo "fuzz $target failed (crash inputs in $dir/artifacts/$target)" >&2
      return 1
    fi
    grep -E "^Done [0-9]+ runs" "$log"
  done
}
