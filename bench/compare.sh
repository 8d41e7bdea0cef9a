#!/usr/bin/env bash
# Before/after: the same soak configurations against two checkouts of FastChat, interleaved
# (A B A B ...) so drift on the machine hits both alike; each harness spawns the server built
# beside it. Prints one JSON result line per run into OUT (default bench/results/compare.jsonl).
#   bench/compare.sh /path/to/before /path/to/after [rounds] [out]
set -euo pipefail
before=$(cd "$1" && pwd); after=$(cd "$2" && pwd); rounds=${3:-3}
out=${4:-$(dirname "$0")/results/compare.jsonl}
mkdir -p "$(dirname "$out")"
configs=(
  "idle --conns 10000 --sources 4"
  "throughput --pairs 100 --window 16 --seconds 10 --size 100"
  "throughput --pairs 1000 --window 4 --seconds 10 --size 100"
  "throughput --pairs 1 --window 1 --seconds 10 --size 100"
)
for tree in "$before" "$after"; do
  dotnet build -c Release "$tree/bench/FastChat.Soak" -v q -nologo > /dev/null
done
for round in $(seq 1 "$rounds"); do
  for config in "${configs[@]}"; do
    for tree in "$before" "$after"; do
      label=$([ "$tree" = "$before" ] && echo before || echo after)
      line=$(dotnet "$tree/bench/FastChat.Soak/bin/Release/net10.0/FastChat.Soak.dll" $config 2>/dev/null | grep '^{' | tail -n 1)
      echo "{\"tree\":\"$label\",\"round\":$round,\"config\":\"$config\",\"result\":$line}" | tee -a "$out" | cut -c1-160
    done
  done
done
