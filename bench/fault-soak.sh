#!/usr/bin/env bash
# Issue 10, the heavier fault soak outside CI: every history-checking fault scenario of
# tests/FastChat.Tests/Cluster/ReplicationTests (real processes, real etcd, loopback) RUNS times,
# each with a fresh random seed for the fault's moment (FASTCHAT_FAULT_SEED; a failing seed
# replays with `FASTCHAT_FAULT_SEED=N dotnet test --filter ...`). One line per run:
#   bench/fault-soak.sh          # RUNS=5
# → bench/results/issue10-faults/runs.jsonl (scenario, seed, passed, seconds) and a summary.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${RUNS:-5}
out=bench/results/issue10-faults
mkdir -p "$out"
command -v etcd >/dev/null || { echo "needs etcd: apt-get install -y etcd-server" >&2; exit 1; }
scenarios=(
  Killing_a_primary_under_traffic_loses_no_acknowledged_message_and_shows_none_twice
  A_primary_killed_with_its_disk_lost_comes_back_empty_and_nothing_acknowledged_is_lost
  A_node_killed_during_a_hand_off_and_restarted_loses_nothing
  A_primary_cut_off_from_its_peers_and_etcd_is_replaced_acknowledges_nothing_more_and_stops_once_healed
  A_node_killed_and_restarted_on_its_disk_before_its_lease_expires_loses_nothing
  Restarting_etcd_under_traffic_loses_nothing
  A_rolling_restart_of_every_node_under_traffic_loses_nothing_and_shows_nothing_twice
)
dotnet build tests/FastChat.Tests -v quiet -nologo >/dev/null
for r in $(seq 1 "$runs"); do
  for s in "${scenarios[@]}"; do
    seed=$((RANDOM * 32768 + RANDOM))
    started=$SECONDS
    if FASTCHAT_FAULT_SEED=$seed dotnet test tests/FastChat.Tests --no-build --filter "FullyQualifiedName~ReplicationTests.$s" >"$out/last.log" 2>&1
    then passed=true; else passed=false; cp "$out/last.log" "$out/failed-$s-$seed.log"; fi
    echo "{\"scenario\":\"$s\",\"seed\":$seed,\"passed\":$passed,\"seconds\":$((SECONDS - started))}" | tee -a "$out/runs.jsonl"
  done
done
rm -f "$out/last.log"
tail -n $((runs * ${#scenarios[@]})) "$out/runs.jsonl" | python3 -c '
import json,sys,collections
c=collections.defaultdict(lambda:[0,0])
for l in sys.stdin:
    r=json.loads(l); c[r["scenario"]][0 if r["passed"] else 1]+=1
for s,(p,f) in c.items(): print(f"  {p} passed, {f} failed  {s}")'
