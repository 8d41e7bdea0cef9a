#!/usr/bin/env bash
# Issue 10, re-replication and catch-up speed on this machine (loopback, one disk for all nodes).
# Per round a fresh 3-node cluster (R=2, ports 25271-3), then:
#   fill      — fastchat-soak offline --homed --keep: MSGS messages of SIZE bytes queued for USERS
#               offline users, half homed on node1, half on node2 (each ✓'d: on its primary's disk
#               and its replica's)
#   replicate — kill -9 node2: its partitions fail over to their replicas, and every partition
#               that had a copy on node2 gets one on the other survivor (the nodes' logs: "Synced N
#               partitions to their replica ..."); until both report their replicas in sync
#   return    — node2 starts again on an EMPTY data directory (its disk is lost): its partitions are
#               handed back to it and it becomes a replica again; until no change is under way
#               and all three report their replicas in sync at the final epoch
# Figures from the nodes' own log lines (bytes, ms, MB/s) and the wall clock of the script.
#   bench/catch-up.sh         # ROUNDS=3 USERS=2000 MSGS=100000 SIZE=2000
# Result lines are appended to bench/results/issue10-catchup/catchup.jsonl.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${ROUNDS:-3}; users=${USERS:-2000}; msgs=${MSGS:-100000}; size=${SIZE:-2000}
out=bench/results/issue10-catchup
mkdir -p "$out"
node_args=(--Logging:LogLevel:FastChat.Server.Cluster=Information) # the copies' log lines carry the figures
# shellcheck source=cluster-lib.sh
source bench/cluster-lib.sh
start_etcd
base=25270

epoch_now() { cluster_json "$base" 1 | python3 -c 'import json,sys; print(json.load(sys.stdin)["epoch"])'; }
repaired() { # $1 cluster name, $2 an epoch to be past, rest: live node numbers; no change under way, each reported in sync at the current epoch
  local name=$1 past=$2 epoch; shift 2
  epoch=$(cluster_json "$base" "$1" | python3 -c 'import json,sys; r=json.load(sys.stdin); print(-1 if r["changing"] else r["epoch"])') || return 1
  [ "$epoch" -gt "$past" ] || return 1
  for i in "$@"; do grep -q "Reported in sync: .*insync/$epoch/node$i" "$root/$name-node$i.log" || return 1; done
}
wait_for() { # $1 seconds, rest: command
  local limit=$((SECONDS + $1)); shift
  until "$@"; do [ $SECONDS -lt $limit ] || return 1; sleep 0.2; done
}
lines() { for i in 1 2 3; do wc -l <"$root/$1-node$i.log" 2>/dev/null || echo 0; done | paste -sd, -; }

for r in $(seq 1 "$rounds"); do
  name=cu$r
  echo "round $r/$rounds" >&2
  start_cluster "$name" "$base" 2
  wait_for 60 repaired "$name" 0 1 2 3
  for i in 1 2; do # queues on node1's partitions and on node2's (these fail over, then go back to the new node2)
    "${soak[@]}" offline --server 127.0.0.1:$((base + i)) --server-pid "${node_pids[$((i - 1))]}" --homed --keep \
      --users "$((users / 2))" --msgs "$((msgs / 2))" --size "$size" --window 256 --user-prefix "$name-$i-" --out "$out/fill.jsonl" >/dev/null
  done
  at_kill=$(lines "$name"); epoch=$(epoch_now); killed=$SECONDS
  kill -9 "${node_pids[1]}"
  wait_for 120 repaired "$name" "$epoch" 1 3 || { echo "no repair after the kill" >&2; exit 1; }
  replicate_wall=$((SECONDS - killed))

  rm -rf "$root/$name-node2"
  : >"$root/$name-node2.log"
  at_return=$(lines "$name"); epoch=$(epoch_now); returned=$SECONDS
  start_node "$name" "$base" 2 2
  wait_ready $((base + 2002))
  wait_for 600 repaired "$name" "$epoch" 1 2 3 || { echo "not repaired" >&2; exit 1; }
  catchup_wall=$((SECONDS - returned))
  python3 - "$root/$name" "$at_kill" "$replicate_wall" "$at_return" "$catchup_wall" "$out/catchup.jsonl" <<'PY'
import json, re, sys
prefix, at_kill, replicate_wall, at_return, catchup_wall, out = sys.argv[1:]
sync = re.compile(r"to their replica (\w+): \d+ records, (\d+) bytes acknowledged durable in (\d+) ms")
hand = re.compile(r"Handed \d+ records \((\d+) bytes\) to (\w+) .* in (\d+) ms")
def copies(offsets, until=None):
    """(sync bytes, max sync ms, hand-off bytes, max hand-off ms) logged by the three nodes after the offsets."""
    found = {"sync": [], "hand": []}
    for i, start in zip((1, 2, 3), map(int, offsets.split(","))):
        stop = int(until.split(",")[i - 1]) if until else None
        for line in open(f"{prefix}-node{i}.log").read().splitlines()[start:stop]:
            if m := sync.search(line): found["sync"].append((int(m[2]), int(m[3])))
            if m := hand.search(line): found["hand"].append((int(m[1]), int(m[3])))
    return {k: (sum(b for b, _ in v), max([ms for _, ms in v] or [0])) for k, v in found.items()}
after_kill, after_return = copies(at_kill, at_return), copies(at_return)
mb_s = lambda b, ms: round(b / 1e3 / ms, 1) if ms else 0.0
r = {"replicate_bytes": after_kill["sync"][0], "replicate_ms": after_kill["sync"][1],
     "replicate_mb_s": mb_s(*after_kill["sync"]), "replicate_wall_s": int(replicate_wall),
     "returning_handoff_bytes": after_return["hand"][0], "returning_handoff_ms": after_return["hand"][1],
     "returning_handoff_mb_s": mb_s(*after_return["hand"]),
     "returning_sync_bytes": after_return["sync"][0], "returning_sync_ms": after_return["sync"][1],
     "returning_sync_mb_s": mb_s(*after_return["sync"]), "returning_wall_s": int(catchup_wall)}
print(json.dumps(r))
open(out, "a").write(json.dumps(r) + "\n")
PY
  kill -9 "${pids[@]:1}" 2>/dev/null || true; pids=("${pids[0]}")
done

echo "last $rounds rounds:"
tail -n "$rounds" "$out/catchup.jsonl" | python3 -c '
import json,sys,statistics
runs=[json.loads(l) for l in sys.stdin]
for k in runs[0]:
    v=[r[k] for r in runs]; print(f"  {k:28} {v}  median {statistics.median(v)}")'
