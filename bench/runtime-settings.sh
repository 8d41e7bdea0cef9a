#!/usr/bin/env bash
# The measured effect of each .NET runtime setting on the server (tuning/dotnet-runtime.md):
# for every variant, RUNS rounds (default 3) of `throughput --pairs 100 --window 16` and
# `idle --conns 5000`, each on a fresh server started with that environment.
# Result lines go to bench/results/runtime/*.jsonl; the charts step renders one bar per variant.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-3}
OUT=${OUT:-bench/results/runtime}
for project in bench/FastChat.Soak bench/FastChat.Charts; do
  dotnet build -c Release -v q -nologo "$project" > /tmp/fastchat-build.log || { cat /tmp/fastchat-build.log; exit 1; }
done
soak() { dotnet bench/FastChat.Soak/bin/Release/net10.0/FastChat.Soak.dll "$@" 2>/dev/null | head -1 | cut -c1-160; }

variants=(
  ""                                          # the shipped settings: workstation, non-concurrent GC, tiered PGO
  "DOTNET_gcServer=1"                         # server GC
  "DOTNET_gcConcurrent=1"                     # background GC
  "DOTNET_GCgen0size=0x4000000"               # 64 MB gen0 budget
  "DOTNET_GCConserveMemory=7"                 # compact harder to keep the heap small
  "DOTNET_TieredPGO=0"                        # no profile-guided recompilation
  "DOTNET_TieredCompilation=0"                # full JIT up front, no tiering
  "DOTNET_ThreadPool_UnfairSemaphoreSpinLimit=0"  # idle pool threads block instead of spinning
)
for round in $(seq "$RUNS"); do
  for v in "${variants[@]}"; do
    env=(); [[ -n $v ]] && env=(--server-env "$v")
    echo "== round $round/$RUNS ${v:-defaults}"
    soak throughput --pairs 100 --window 16 --seconds 10 --size 100 "${env[@]}" --out "$OUT/throughput.jsonl"
    soak idle --conns 5000 "${env[@]}" --out "$OUT/idle.jsonl"
  done
done
dotnet bench/FastChat.Charts/bin/Release/net10.0/FastChat.Charts.dll "$OUT" "$OUT/charts"
