#!/usr/bin/env bash
# Side-by-side benchmark of ferrokv and redis-server, with the settings of issue 2:
# SET and GET, -c 50 -d 64 -r 100000, pipelines 1, 16 and 64, ferrokv --shards 1 and --shards 2.
# redis-server and ferrokv --shards 1 are pinned to core 0 and redis-benchmark to core 1;
# ferrokv --shards 2 is not pinned (it needs both cores).
#
# Prints a markdown table on stdout (progress on stderr). Nothing is written anywhere: copy the
# table into bench/RESULTS.md yourself, with the date, machine and command it prints.
# Run it on a quiet machine: anything else on the two cores shows up in the numbers.
#
#   bench/compare.sh                      # the full run (several minutes)
#   bench/compare.sh --rounds 5 -n 2000000
#
# Extra arguments are passed to `ferrokv-bench compare` (see `ferrokv-bench compare --help`).
set -euo pipefail
cd "$(dirname "$0")/.."

command -v redis-server >/dev/null || { echo "compare.sh: redis-server not found (apt-get install redis-server)" >&2; exit 1; }
command -v redis-benchmark >/dev/null || { echo "compare.sh: redis-benchmark not found (apt-get install redis-tools)" >&2; exit 1; }

cargo build --release -p ferrokv-server -p ferrokv-bench >&2
target_dir="${CARGO_TARGET_DIR:-target}"

exec "$target_dir/release/ferrokv-bench" compare \
  --ferrokv "$target_dir/release/ferrokv-server" \
  --redis redis-server \
  --shards 1,2 \
  --tests set,get \
  --pipelines 1,16,64 \
  -n 1000000 -c 50 -d 64 -r 100000 \
  --rounds 3 \
  "$@"
