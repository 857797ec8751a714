# Named, timed stages for scripts/test (sourced): `stage NAME` ends the running stage,
# prints its duration and starts the next; `stages_report STATUS` ends the last one and
# prints every stage with its duration and the total, marking the stage that failed.

STAGE_NAMES=()
STAGE_SECONDS=()
STAGE_CURRENT=""
STAGE_STARTED=0
STAGES_BEGAN=$(date +%s)

# 75 -> "1m15s", 9 -> "9s".
stage_duration() {
  local seconds=$1
  if [ "$seconds" -ge 60 ]; then
    printf '%dm%02ds' $((seconds / 60)) $((seconds % 60))
  else
    printf '%ds' "$seconds"
  fi
}

# Records the running stage's duration (if any) and prints it.
stage_end() {
  [ -n "$STAGE_CURRENT" ] || return 0
  local took=$(($(date +%s) - STAGE_STARTED))
  STAGE_NAMES+=("$STAGE_CURRENT")
  STAGE_SECONDS+=("$took")
  printf -- '--- %s: %s\n' "$STAGE_CURRENT" "$(stage_duration "$took")"
  STAGE_CURRENT=""
}

stage() {
  stage_end
  STAGE_CURRENT="$*"
  STAGE_STARTED=$(date +%s)
  printf '\n=== %s\n' "$STAGE_CURRENT"
}

# Prints the table. With a non-zero STATUS the stage that was running is marked FAILED.
stages_report() {
  local status=${1:-0} failed=""
  if [ "$status" != 0 ] && [ -n "$STAGE_CURRENT" ]; then failed="$STAGE_CURRENT"; fi
  stage_end
  local i width=5
  for i in "${!STAGE_NAMES[@]}"; do
    [ ${#STAGE_NAMES[$i]} -le "$width" ] || width=${#STAGE_NAMES[$i]}
  done
  printf '\n%-*s  %9s\n' "$width" "stage" "time"
  for i in "${!STAGE_NAMES[@]}"; do
    printf '%-*s  %9s%s\n' "$width" "${STAGE_NAMES[$i]}" "$(stage_duration "${STAGE_SECONDS[$i]}")" \
      "$([ "${STAGE_NAMES[$i]}" = "$failed" ] && echo '  FAILED')"
  done
  printf '%-*s  %9s\n' "$width" "total" "$(stage_duration $(($(date +%s) - STAGES_BEGAN)))"
}
