#!/bin/sh
# A stand-in for the engine, used only by the scheduling-lag benchmark: it records when each run's first
# engine process starts (run id from the working directory's path) and answers like terraform would, in
# a few milliseconds, so the measurement is Tide's overhead and not OpenTofu's.
case "$1" in
  version) echo '{"terraform_version":"1.11.4"}' ;;
  init) echo "$(basename "$(dirname "$PWD")") $(date +%s%3N)" >>"$BENCH_SPAWNS_LOG" ;;
  show) echo '{"format_version":"1.2","resource_changes":[]}' ;;
  output) echo '{}' ;;
esac
exit 0
