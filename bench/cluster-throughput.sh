#!/usr/bin/env bash
# Issue 9 figures: cross-node throughput and latency next to a single node, on this machine.
# A 3-node cluster and its etcd on loopback (ports 25221-25223, etcd 23795); senders homed on node1,
# receivers on node2 (fastchat-soak picks names homed there), server CPU summed over all three nodes.
# Each round runs, interleaved: single node loaded, cross-node loaded, single unloaded, cross unloaded.
#   bench/cluster-throughput.sh            # ROUNDS=3 SECONDS_PER_RUN=10 PAIRS=100 WINDOW=16 REPLICATION=1
# Result lines are appended to bench/results/issue9-mesh/*.jsonl.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${ROUNDS:-3}; secs=${SECONDS_PER_RUN:-10}; pairs=${PAIRS:-100}; window=${WINDOW:-16}
out=bench/results/issue9-mesh
mkdir -p "$out"
# shellcheck source=cluster-lib.sh
source bench/cluster-lib.sh
start_etcd
start_cluster mesh 25220 "${REPLICATION:-1}" # replication factor 1: the issue-9 figures (bench/replication.sh compares 1 and 2)
cpu=$(IFS=,; echo "${node_pids[*]}")
cross=(--server 127.0.0.1:25221 --server-pid "${node_pids[0]}" --receivers-at 127.0.0.1:25222 --cpu-pids "$cpu")
for r in $(seq 1 "$rounds"); do
  echo "round $r/$rounds" >&2
  "${soak[@]}" throughput --pairs "$pairs" --window "$window" --seconds "$secs" --out "$out/single-loaded.jsonl" >/dev/null
  "${soak[@]}" throughput --pairs "$pairs" --window "$window" --seconds "$secs" "${cross[@]}" --out "$out/cross-loaded.jsonl" >/dev/null
  "${soak[@]}" throughput --pairs 1 --window 1 --seconds "$secs" --out "$out/single-unloaded.jsonl" >/dev/null
  "${soak[@]}" throughput --pairs 1 --window 1 --seconds "$secs" "${cross[@]}" --user-prefix u --out "$out/cross-unloaded.jsonl" >/dev/null
done
bench/throughput-summary.sh "$out" "$rounds" single-loaded cross-loaded single-unloaded cross-unloaded
