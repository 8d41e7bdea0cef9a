#!/usr/bin/env bash
# Issue 10, rolling restart under load, on this machine (loopback): a 3-node cluster (R=2, ports
# 25251-3), PAIRS sender→receiver pairs through the real SDK (fastchat-soak history, seeds: all
# three nodes) each sending RATE msgs/s for SECONDS_PER_RUN s. Per round, interleaved:
#   steady   — the same traffic, nothing else happening (the baseline p99)
#   rolling  — meanwhile every node in turn: `fastchat-server drain`, start again on its disk and
#              port, wait until it owns partitions again and no change is under way
# Then each run's history: ✓'d messages lost, shown twice, reordered; ✓ latency p99 over the run.
#   bench/rolling-restart.sh    # ROUNDS=3 SECONDS_PER_RUN=60 PAIRS=50 RATE=20
# Result lines are appended to bench/results/issue10-rolling/{steady,rolling}.jsonl.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${ROUNDS:-3}; secs=${SECONDS_PER_RUN:-60}; pairs=${PAIRS:-50}; rate=${RATE:-20}
out=bench/results/issue10-rolling
mkdir -p "$out"
# shellcheck disable=SC2206
node_args=(${NODE_ARGS:-}) # e.g. NODE_ARGS="--Logging:LogLevel:FastChat.Server.Cluster=Information" KEEP_LOGS=/tmp/logs
# shellcheck source=cluster-lib.sh
source bench/cluster-lib.sh
start_etcd
base=25250
seeds=127.0.0.1:$((base + 1)),127.0.0.1:$((base + 2)),127.0.0.1:$((base + 3))

owns_again() { # $1 node index: it owns partitions and no ownership change is under way
  cluster_json "$base" "$1" | python3 -c '
import json,sys
r=json.load(sys.stdin); me=[m for m in r["members"] if m["id"]==r["self"]][0]
sys.exit(0 if me["owns"]>0 and not r["changing"] else 1)' 2>/dev/null
}

roll() { # $1 cluster name: drain, restart, wait — node3, node2, node1
  local started=$SECONDS
  for i in 3 2 1; do
    dotnet "$bin/fastchat-server.dll" drain --http "http://127.0.0.1:$((base + 2000 + i))" >&2
    start_node "$1" "$base" 2 "$i"
    wait_ready $((base + 2000 + i))
    for _ in $(seq 1 600); do owns_again "$i" && break; sleep 0.1; done
    owns_again "$i" || { echo "node$i took no partitions back" >&2; exit 1; }
    echo "node$i back at $((SECONDS - started)) s" >&2
  done
  echo "rolling restart took $((SECONDS - started)) s" >&2
}

for r in $(seq 1 "$rounds"); do
  for kind in steady rolling; do
    echo "round $r/$rounds: $kind" >&2
    start_cluster "$kind$r" "$base" 2
    sleep 3 # the first sync of every partition to its replica
    "${soak[@]}" history --server 127.0.0.1:$((base + 1)) --server-pid "${node_pids[0]}" --seeds "$seeds" \
      --pairs "$pairs" --rate "$rate" --seconds "$secs" --user-prefix "$kind$r" --out "$out/$kind.jsonl" >/dev/null &
    soak_pid=$!
    if [ "$kind" = rolling ]; then sleep 5; roll "$kind$r"; fi
    wait "$soak_pid"
    kill -9 "${pids[@]:1}" 2>/dev/null || true; pids=("${pids[0]}") # every node of this round; etcd stays
  done
done

for kind in steady rolling; do
  echo "$kind (last $rounds runs):"
  tail -n "$rounds" "$out/$kind.jsonl" | python3 -c '
import json,sys,statistics
runs=[json.loads(l) for l in sys.stdin]
for k in ["acknowledged","lost","duplicates_shown","reordered","send_errors","disconnects","p50_us","p99_us","max_us","worst_second_p99_us"]:
    v=[r[k] for r in runs]; print(f"  {k:22} {v}  median {statistics.median(v)}")'
done
