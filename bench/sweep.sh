#!/usr/bin/env bash
# Every soak configuration bench/RESULTS.md and the charts use, RUNS times each (default 3),
# each run on a fresh server. Result lines go to bench/results/soak/*.jsonl (appended), then
# the charts are rendered into bench/results/soak/charts. About 6 minutes per round on 2 cores.
#   bench/sweep.sh [idle|throughput|others|all]   (RUNS=3 by default)
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-3}
OUT=${OUT:-bench/results/soak}
WHAT=${1:-all}
for project in bench/FastChat.Soak bench/FastChat.Charts; do
  dotnet build -c Release -v q -nologo "$project" > /tmp/fastchat-build.log || { cat /tmp/fastchat-build.log; exit 1; }
done
soak() { dotnet bench/FastChat.Soak/bin/Release/net10.0/FastChat.Soak.dll "$@" 2>/dev/null | head -1 | cut -c1-160; }

for round in $(seq "$RUNS"); do
  echo "== round $round/$RUNS"
  if [[ $WHAT == all || $WHAT == idle ]]; then
    # 18,000 connections need two harness processes (20,000 files per process here).
    for n in 1000 5000 10000 18000; do soak idle --conns "$n" --shards 2 --sources 8 --out "$OUT/idle.jsonl"; done
  fi
  if [[ $WHAT == all || $WHAT == throughput ]]; then
    for w in 1 4 16; do
      for p in 1 10 100 1000; do soak throughput --pairs "$p" --window "$w" --seconds 10 --size 100 --out "$OUT/throughput.jsonl"; done
    done
  fi
  if [[ $WHAT == all || $WHAT == others ]]; then
    soak throughput --pairs 100 --window 16 --seconds 10 --size 100 --idle 15000 --sources 8 --out "$OUT/throughput-idle.jsonl"
    soak handshake --conns 5000 --out "$OUT/handshake.jsonl"
    soak offline --users 1000 --msgs 300000 --window 1024 --out "$OUT/offline.jsonl"
  fi
done
dotnet bench/FastChat.Charts/bin/Release/net10.0/FastChat.Charts.dll "$OUT" "$OUT/charts"
