#!/bin/bash
# bench/wal-bytes.sh TREE [PEERS=/tmp/peers]: write-ahead-log bytes per message for one peer-kit loadgen run
# (P=100 W=16, 10 s) against TREE's Release server on a fresh data directory, compaction off, server stopped
# with SIGTERM before the WAL directory is measured. Needs the peer kit's loadgen built (see bench/RESULTS.md).
TREE=$1; DATA=$(mktemp -d); PORT=15222
ulimit -n 20000
dotnet $TREE/src/FastChat.Server/bin/Release/net10.0/fastchat-server.dll --FastChat:Port=$PORT --FastChat:ListenAddress=127.0.0.1 --FastChat:DataDirectory=$DATA --FastChat:OpenRegistration=true --Logging:LogLevel:Default=Warning --FastChat:MaxFramesPerSecond=10000000 --FastChat:FrameBurst=10000000 --FastChat:CompactionThresholdMegabytes=100000 > /tmp/walbytes-server.log 2>&1 &
SRV=$!
for i in $(seq 300); do ss -ltn | grep -q ":$PORT " && break; sleep 0.1; done; sleep 1
OUT=$(dotnet ${PEERS:-/tmp/peers}/loadgen/bin/Release/net10.0/loadgen.dll throughput --peer fastchat --port $PORT --server-pid $SRV --pairs 100 --seconds 10 --size 100 --window 16 --no-append | tail -1)
kill -TERM $SRV; wait $SRV
BYTES=$(du -sb $DATA/store/wal | cut -f1)
python3 -c "
import json; d=json.loads('''$OUT'''); n=d.get('received_total') or d.get('sent_total')
print('$TREE', 'msgs', n, 'wal bytes', $BYTES, 'per msg', round($BYTES/n,1), 'msgs/s', d['msgs_per_sec'])"
rm -rf $DATA
