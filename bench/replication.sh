#!/usr/bin/env bash
# Issue 10 figures on this machine, all on loopback:
#  1. throughput and server CPU per message at replication factor 1 and 2: two 3-node clusters
#     (one etcd, two cluster names; ports 25221-3 and 25231-3), senders homed on node1, receivers on
#     node2, CPU summed over the cluster's three nodes; per round, interleaved: R=1 loaded, R=2
#     loaded, R=1 unloaded, R=2 unloaded.
#  2. failover time: FAILOVERS times a fresh 3-node cluster (R=2, default lease TTL 5 s), a sender
#     on node1 writing to a user homed on node3, kill -9 of node3, time until that user's next ✓.
#   bench/replication.sh        # ROUNDS=3 SECONDS_PER_RUN=10 PAIRS=100 WINDOW=16 FAILOVERS=10
# Result lines are appended to bench/results/issue10-replication/*.jsonl.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${ROUNDS:-3}; secs=${SECONDS_PER_RUN:-10}; pairs=${PAIRS:-100}; window=${WINDOW:-16}; failovers=${FAILOVERS:-10}
out=bench/results/issue10-replication
mkdir -p "$out"
# shellcheck source=cluster-lib.sh
source bench/cluster-lib.sh
start_etcd
start_cluster r1 25220 1; r1=("${node_pids[@]}")
start_cluster r2 25230 2; r2=("${node_pids[@]}")
sleep 3 # R=2: the first sync of every partition to its replica, before anything is measured
args_for() { # $1 base port, rest: pids
  local base=$1; shift
  local cpu; cpu=$(IFS=,; echo "$*")
  echo --server 127.0.0.1:$((base + 1)) --server-pid "$1" --receivers-at 127.0.0.1:$((base + 2)) --cpu-pids "$cpu"
}
for r in $(seq 1 "$rounds"); do
  echo "round $r/$rounds" >&2
  # shellcheck disable=SC2046
  "${soak[@]}" throughput --pairs "$pairs" --window "$window" --seconds "$secs" $(args_for 25220 "${r1[@]}") --out "$out/r1-loaded.jsonl" >/dev/null
  "${soak[@]}" throughput --pairs "$pairs" --window "$window" --seconds "$secs" $(args_for 25230 "${r2[@]}") --out "$out/r2-loaded.jsonl" >/dev/null
  "${soak[@]}" throughput --pairs 1 --window 1 --seconds "$secs" $(args_for 25220 "${r1[@]}") --user-prefix u --out "$out/r1-unloaded.jsonl" >/dev/null
  "${soak[@]}" throughput --pairs 1 --window 1 --seconds "$secs" $(args_for 25230 "${r2[@]}") --user-prefix u --out "$out/r2-unloaded.jsonl" >/dev/null
done
kill -9 "${r1[@]}" "${r2[@]}" 2>/dev/null || true

for f in $(seq 1 "$failovers"); do
  echo "failover $f/$failovers" >&2
  start_cluster "fo$f" 25240 2
  sleep 3
  "${soak[@]}" failover --server 127.0.0.1:25241 --server-pid "${node_pids[0]}" --receivers-at 127.0.0.1:25243 \
    --victim-pid "${node_pids[2]}" --user-prefix "f$f" --out "$out/failover.jsonl" >/dev/null
  kill -9 "${node_pids[@]}" 2>/dev/null || true
done

bench/throughput-summary.sh "$out" "$rounds" r1-loaded r2-loaded r1-unloaded r2-unloaded
echo "failover (last $failovers): ms from kill -9 to the next ✓ for the dead node's user"
tail -n "$failovers" "$out/failover.jsonl" | python3 -c '
import json,sys,statistics
v=[json.loads(l)["failover_ms"] for l in sys.stdin]; print("  ", v, "median", statistics.median(v), "max", max(v))'
