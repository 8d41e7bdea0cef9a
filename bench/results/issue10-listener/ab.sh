#!/bin/bash
# before/after the listener fix, interleaved: single node, history (SDK ✓ latency) and throughput.
# As run for bench/RESULTS.md (issue #10, the non-blocking listener): /tmp/before-bin = the server
# built at 0d8a1b2, /tmp/after-bin = at 2309f31; the harness of 2309f31's tree; results here.
soak="dotnet /work/main/bench/FastChat.Soak/bin/Release/net10.0/FastChat.Soak.dll"
for r in 1 2 3; do for v in before after; do
  d=$(mktemp -d)
  dotnet /tmp/$v-bin/fastchat-server.dll --FastChat:Port=27001 --FastChat:ListenAddress=127.0.0.1 --FastChat:DataDirectory=$d --FastChat:OpenRegistration=true --FastChat:MaxFramesPerSecond=10000000 --FastChat:FrameBurst=10000000 --Logging:LogLevel:Default=Warning > $d/log 2>&1 & pid=$!
  until curl -s -o /dev/null http://127.0.0.1:29001/health/ready; do sleep 0.1; done
  $soak history --server 127.0.0.1:27001 --server-pid $pid --pairs 20 --rate 20 --seconds 10 --user-prefix h$r --out /tmp/ab/$v-history.jsonl >/dev/null 2>&1
  $soak throughput --server 127.0.0.1:27001 --server-pid $pid --pairs 100 --window 16 --seconds 10 --user-prefix t$r --out /tmp/ab/$v-throughput.jsonl >/dev/null 2>&1
  kill $pid; wait $pid 2>/dev/null; rm -rf $d
done; done
