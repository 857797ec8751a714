# Brief coverage-guided fuzzing of the request parsers and the scanner's extractors
# (sourced by scripts/test).
# cargo-fuzz needs nightly flags; RUSTC_BOOTSTRAP lets the stable toolchain use them.
#
# CI must judge the change, not the luck of the draw: each target runs a fixed number of
# inputs from a fixed seed (ARCA_FUZZ_SEED, default 1), so a run finds the same inputs on
# every machine. Time caps guard against slow machines: all targets together fuzz for at
# most ARCA_FUZZ_TOTAL_SECONDS (default 90), each target getting an equal share of what
# is left when it starts (time a fast target leaves unused goes to the later ones), and
# at most ARCA_FUZZ_SECONDS if that is set. Building a target does not count against the
# cap. Exploratory campaigns (a random seed, hours) run outside CI; what they find is
# fixed and its input added to the corpus, which the ordinary tests replay.

# All targets live in one cargo-fuzz workspace, `fuzz/` (one build for all of them).
# target:runs, the runs sized to about ten seconds each on the 2-core CI machine.
FUZZ_SPECS=(parse_auth:200000 chunk_decoder:60000 extract:25000 cbor_body:150000
  rest_request:150000 parse_policy:100000 message:200000)
FUZZ_FEATURES=()
# The KMS targets (KMS JSON requests, ciphertext blobs) need arca-kms, so building them
# compiles the store, SQLite and aws-lc with the sanitizer: about nine minutes on the CI
# machine, which the 45-minute budget does not hold. They build and run with
# ARCA_FUZZ_ALL=1 (the `kms` feature of fuzz/); their corpora are replayed by
# `cargo test` (crates/arca-kms/tests/corpus.rs) in every run.
if [ "${ARCA_FUZZ_ALL:-0}" = 1 ]; then
  FUZZ_SPECS+=(json_request:100000 ciphertext_blob:2000000)
  FUZZ_FEATURES=(--features kms)
fi

# The seconds target number `left` (of the remaining ones) may fuzz, given `used`
# seconds of the `total` already spent and an optional per-target `ceiling`; never
# below 1 (libFuzzer reads -max_total_time=0 as "no limit").
fuzz_share() {
  local total=$1 used=$2 left=$3 ceiling=${4:-}
  local share=$(((total - used) / left))
  if [ -n "$ceiling" ] && [ "$share" -gt "$ceiling" ]; then share=$ceiling; fi
  if [ "$share" -lt 1 ]; then share=1; fi
  echo "$share"
}

fuzz_briefly() {
  local total="${ARCA_FUZZ_TOTAL_SECONDS:-90}" ceiling="${ARCA_FUZZ_SECONDS:-}"
  local seed="${ARCA_FUZZ_SEED:-1}"
  # One cargo-fuzz for every machine, so that a CI run does not change with a release.
  local cargo_fuzz_version=0.13.2
  if ! cargo fuzz --version 2>/dev/null | grep -qx "cargo-fuzz $cargo_fuzz_version"; then
    cargo install --locked -q cargo-fuzz --version "$cargo_fuzz_version"
  fi
  local spec target runs dir=fuzz scratch log share began took
  local used=0 left=${#FUZZ_SPECS[@]} build_seconds report=()

  # Build every target first, in one go, so that compiling does not eat the fuzzing time.
  log="target/fuzz-build.log"
  mkdir -p target
  began=$(date +%s)
  if ! RUSTC_BOOTSTRAP=1 cargo fuzz build --target-dir target/fuzz-build --fuzz-dir "$dir" \
      "${FUZZ_FEATURES[@]}" >"$log" 2>&1; then
    tail -n 40 "$log" >&2
    echo "fuzz: build failed" >&2
    return 1
  fi
  build_seconds=$(($(date +%s) - began))
  echo "fuzz: built every target in ${build_seconds}s"

  for spec in "${FUZZ_SPECS[@]}"; do
    target="${spec%%:*}" runs="${spec##*:}"
    log="target/fuzz-$target.log"
    : >"$log"

    # Fuzz into a scratch copy of the corpus so that new inputs do not dirty the checkout.
    scratch="target/fuzz-corpus/$target"
    rm -rf "$scratch" && mkdir -p "$scratch" && cp "$dir/corpus/$target"/* "$scratch"/
    share=$(fuzz_share "$total" "$used" "$left" "$ceiling")
    echo "fuzz $target: $runs runs from seed $seed (at most ${share}s)"
    began=$(date +%s)
    # The same features as the build, or cargo would build the targets again.
    if ! RUSTC_BOOTSTRAP=1 cargo fuzz run --target-dir target/fuzz-build --fuzz-dir "$dir" \
        "${FUZZ_FEATURES[@]}" "$target" "$scratch" -- \
        -seed="$seed" -runs="$runs" -max_total_time="$share" >>"$log" 2>&1; then
      tail -n 40 "$log" >&2
      echo "fuzz $target failed (crash inputs in $dir/artifacts/$target)" >&2
      return 1
    fi
    took=$(($(date +%s) - began))
    used=$((used + took)) left=$((left - 1))
    grep -E "^Done [0-9]+ runs" "$log" || echo "fuzz $target: stopped at the time cap"
    echo "fuzz $target: fuzzed for ${took}s"
    report+=("$(printf '  %-16s %4ss' "$target" "$took")")
  done
  printf 'fuzz: %ss fuzzing (cap %ss), %ss building\n' "$used" "$total" "$build_seconds"
  printf '%s\n' "${report[@]}"
}
