#!/usr/bin/env bash
# A 3-node FastChat cluster and its etcd on this machine, for trying the mesh by hand:
# nodes on 127.0.0.1, 127.0.0.2 and 127.0.0.3 (client port 5222, peer port 6222 each), etcd on
# 127.0.0.1:23790, data under ./data/local-cluster. Ctrl+C stops everything.
#   src/FastChat.Server/local-cluster.sh            # then: fastchat --server 127.0.0.1:5222 ...
set -euo pipefail
cd "$(dirname "$0")/../.."
command -v etcd >/dev/null || { echo "needs etcd: apt-get install -y etcd-server" >&2; exit 1; }
root="${FASTCHAT_CLUSTER_DIR:-$PWD/data/local-cluster}"
mkdir -p "$root"
dotnet build -c Release src/FastChat.Server -v quiet -nologo >/dev/null
server="src/FastChat.Server/bin/Release/net10.0/fastchat-server.dll"
pids=()
trap 'kill "${pids[@]}" 2>/dev/null; wait' EXIT INT TERM
etcd --name local --data-dir "$root/etcd" \
  --listen-client-urls http://127.0.0.1:23790 --advertise-client-urls http://127.0.0.1:23790 \
  --listen-peer-urls http://127.0.0.1:23800 --initial-advertise-peer-urls http://127.0.0.1:23800 \
  --initial-cluster local=http://127.0.0.1:23800 >"$root/etcd.log" 2>&1 &
pids+=($!)
for i in 1 2 3; do
  dotnet "$server" --FastChat:ListenAddress=127.0.0.$i --FastChat:Port=5222 \
    --FastChat:DataDirectory="$root/node$i" --FastChat:OpenRegistration=true \
    --FastChat:Cluster:Etcd=http://127.0.0.1:23790 --FastChat:Cluster:NodeId=node$i \
    --FastChat:Cluster:BootstrapExpect=3 2>&1 | sed -u "s/^/[node$i] /" &
  pids+=($!)
done
echo "cluster starting: clients may dial any of 127.0.0.1:5222 127.0.0.2:5222 127.0.0.3:5222 (logs below; etcd log in $root/etcd.log)"
wait
