# Brief coverage-guided fuzzing of the request parsers and the scanner's extractors
# (sourced by scripts/test).
# cargo-fuzz needs nightly flags; RUSTC_BOOTSTRAP lets the stable toolchain use them.
#
# CI must judge the change, not the luck of the draw: each target runs a fixed number of
# inputs from a fixed seed (ARCA_FUZZ_SEED, default 1), so a run finds the same inputs on
# every machine, capped at ARCA_FUZZ_SECONDS (default 20) for slow ones. Exploratory
# campaigns (a random seed, hours) run outside CI; what they find is fixed and its input
# added to the corpus, which the ordinary tests replay.

fuzz_briefly() {
  local seconds="${ARCA_FUZZ_SECONDS:-20}" seed="${ARCA_FUZZ_SEED:-1}"
  if ! command -v cargo-fuzz >/dev/null 2>&1; then
    cargo install --locked -q cargo-fuzz
  fi
  local spec crate rest target runs dir
  # crate:target:runs, the runs sized to about ten seconds on the 2-core CI machine.
  for spec in arca-sigv4:parse_auth:200000 arca-kms:json_request:100000 \
      arca-kms:ciphertext_blob:2000000 arca-scan:extract:25000; do
    crate="${spec%%:*}" rest="${spec#*:}"
    target="${rest%%:*}" runs="${rest##*:}"
    dir="crates/$crate/fuzz"
    # Fuzz into a scratch copy of the corpus so that new inputs do not dirty the checkout.
    local scratch="target/fuzz-corpus/$target"
    rm -rf "$scratch" && mkdir -p "$scratch" && cp "$dir/corpus/$target"/* "$scratch"/
    echo "fuzz $target: $runs runs from seed $seed (at most ${seconds}s)"
    local log="target/fuzz-$target.log"
    if ! RUSTC_BOOTSTRAP=1 cargo fuzz run --fuzz-dir "$dir" "$target" "$scratch" -- \
        -seed="$seed" -runs="$runs" -max_total_time="$seconds" >"$log" 2>&1; then
      tail -n 40 "$log" >&2
      echo "fuzz $target failed (crash inputs in $dir/artifacts/$target)" >&2
      return 1
    fi
    grep -E "^Done [0-9]+ runs" "$log"
  done
}
