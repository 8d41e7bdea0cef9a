#!/usr/bin/env bash
# Issue 9 figures: cross-node throughput and latency next to a single node, on this machine.
# A 3-node cluster and its etcd on loopback (ports 25221-25223, etcd 23795); senders homed on node1,
# receivers on node2 (fastchat-soak picks names homed there), server CPU summed over all three nodes.
# Each round runs, interleaved: single node loaded, cross-node loaded, single unloaded, cross unloaded.
#   bench/cluster-throughput.sh            # ROUNDS=3 SECONDS_PER_RUN=10 PAIRS=100 WINDOW=16
# Result lines are appended to bench/results/issue9-mesh/*.jsonl.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${ROUNDS:-3}; secs=${SECONDS_PER_RUN:-10}; pairs=${PAIRS:-100}; window=${WINDOW:-16}
out=bench/results/issue9-mesh
mkdir -p "$out"
command -v etcd >/dev/null || { echo "needs etcd: apt-get install -y etcd-server" >&2; exit 1; }
dotnet build -c Release bench/FastChat.Soak -v quiet -nologo >/dev/null
bin=bench/FastChat.Soak/bin/Release/net10.0
soak=(dotnet "$bin/FastChat.Soak.dll")
root=$(mktemp -d)
pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$root"; }
trap cleanup EXIT INT TERM
etcd --name bench --data-dir "$root/etcd" \
  --listen-client-urls http://127.0.0.1:23795 --advertise-client-urls http://127.0.0.1:23795 \
  --listen-peer-urls http://127.0.0.1:23805 --initial-advertise-peer-urls http://127.0.0.1:23805 \
  --initial-cluster bench=http://127.0.0.1:23805 >"$root/etcd.log" 2>&1 &
pids+=($!)
node_pids=()
for i in 1 2 3; do
  dotnet "$bin/fastchat-server.dll" --FastChat:ListenAddress=127.0.0.1 --FastChat:Port=$((25220 + i)) \
    --FastChat:DataDirectory="$root/node$i" --FastChat:OpenRegistration=true \
    --FastChat:MaxFramesPerSecond=10000000 --FastChat:FrameBurst=10000000 --Logging:LogLevel:Default=Warning \
    --FastChat:Cluster:Etcd=http://127.0.0.1:23795 --FastChat:Cluster:NodeId=node$i --FastChat:Cluster:BootstrapExpect=3 \
    >"$root/node$i.log" 2>&1 &
  pids+=($!); node_pids+=($!)
done
for i in 1 2 3; do
  for _ in $(seq 1 300); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:$((27220 + i))/health/ready)" = 200 ] && break
    sleep 0.1
  done
done
cpu=$(IFS=,; echo "${node_pids[*]}")
cross=(--server 127.0.0.1:25221 --server-pid "${node_pids[0]}" --receivers-at 127.0.0.1:25222 --cpu-pids "$cpu")
for r in $(seq 1 "$rounds"); do
  echo "round $r/$rounds" >&2
  "${soak[@]}" throughput --pairs "$pairs" --window "$window" --seconds "$secs" --out "$out/single-loaded.jsonl" >/dev/null
  "${soak[@]}" throughput --pairs "$pairs" --window "$window" --seconds "$secs" "${cross[@]}" --out "$out/cross-loaded.jsonl" >/dev/null
  "${soak[@]}" throughput --pairs 1 --window 1 --seconds "$secs" --out "$out/single-unloaded.jsonl" >/dev/null
  "${soak[@]}" throughput --pairs 1 --window 1 --seconds "$secs" "${cross[@]}" --user-prefix u --out "$out/cross-unloaded.jsonl" >/dev/null
done
for f in single-loaded cross-loaded single-unloaded cross-unloaded; do
  echo "$f (last $rounds): msgs/s, p50 us, p99 us, server CPU us/msg, lost/dup/reordered"
  tail -n "$rounds" "$out/$f.jsonl" | python3 -c '
import json,sys
for l in sys.stdin:
    r=json.loads(l); print("  ", r["msgs_per_second"], r["latency_p50_us"], r["latency_p99_us"], r["server_cpu_us_per_msg"], r["lost"], r["duplicated"], r["reordered"])'
done
