#!/usr/bin/env bash
# Prints the last N fastchat-soak throughput lines of each named result file.
#   bench/throughput-summary.sh DIR N NAME...   (DIR/NAME.jsonl)
set -euo pipefail
dir=$1; n=$2; shift 2
for f in "$@"; do
  echo "$f (last $n): msgs/s, p50 us, p99 us, server CPU us/msg, lost/dup/reordered"
  tail -n "$n" "$dir/$f.jsonl" | python3 -c '
import json,sys
for l in sys.stdin:
    r=json.loads(l); print("  ", r["msgs_per_second"], r["latency_p50_us"], r["latency_p99_us"], r["server_cpu_us_per_msg"], r["lost"], r["duplicated"], r["reordered"])'
done
