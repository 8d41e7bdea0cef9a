# Sourced by the cluster benchmark scripts: the soak harness built in Release, one etcd and
# 3-node FastChat clusters on loopback, everything killed on exit. Sets bin, soak, root, pids.
command -v etcd >/dev/null || { echo "needs etcd: apt-get install -y etcd-server" >&2; exit 1; }
dotnet build -c Release bench/FastChat.Soak -v quiet -nologo >/dev/null
bin=bench/FastChat.Soak/bin/Release/net10.0
soak=(dotnet "$bin/FastChat.Soak.dll")
root=$(mktemp -d)
pids=()
cleanup() { # KEEP_LOGS=DIR keeps the nodes' and etcd's logs there
  kill -9 "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true
  if [ -n "${KEEP_LOGS:-}" ]; then mkdir -p "$KEEP_LOGS" && cp "$root"/*.log "$KEEP_LOGS"/; fi
  rm -rf "$root"
}
trap cleanup EXIT INT TERM

# start_etcd: one member on 127.0.0.1:23795
start_etcd() {
  etcd --name bench --data-dir "$root/etcd" \
    --listen-client-urls http://127.0.0.1:23795 --advertise-client-urls http://127.0.0.1:23795 \
    --listen-peer-urls http://127.0.0.1:23805 --initial-advertise-peer-urls http://127.0.0.1:23805 \
    --initial-cluster bench=http://127.0.0.1:23805 >"$root/etcd.log" 2>&1 &
  pids+=($!)
}

# start_node NAME BASE_PORT REPLICATION I (more arguments for every node in the array node_args): node I of cluster NAME on BASE_PORT+I (on its data directory, kept across restarts); sets node_pid
start_node() {
  dotnet "$bin/fastchat-server.dll" --FastChat:ListenAddress=127.0.0.1 --FastChat:Port=$(($2 + $4)) \
    --FastChat:DataDirectory="$root/$1-node$4" --FastChat:OpenRegistration=true \
    --FastChat:MaxFramesPerSecond=10000000 --FastChat:FrameBurst=10000000 --Logging:LogLevel:Default=Warning \
    --FastChat:Cluster:Etcd=http://127.0.0.1:23795 --FastChat:Cluster:Name="$1" --FastChat:Cluster:NodeId=node$4 \
    --FastChat:Cluster:BootstrapExpect=3 --FastChat:Cluster:ReplicationFactor="$3" ${node_args[@]+"${node_args[@]}"} >>"$root/$1-node$4.log" 2>&1 &
  node_pid=$!
  disown "$node_pid" # no job notice when the script kills it
  pids+=("$node_pid")
}

# wait_ready HTTP_PORT: until the node answers /health/ready
wait_ready() {
  for _ in $(seq 1 300); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$1/health/ready")" = 200 ] && return 0
    sleep 0.1
  done
  echo "node on HTTP port $1 not ready" >&2; return 1
}

# cluster_json BASE_PORT I: node I's /cluster report (its view of the ring, the members, the links)
cluster_json() { curl -s "http://127.0.0.1:$(($1 + 2000 + $2))/cluster"; }

# start_cluster NAME BASE_PORT REPLICATION: nodes on BASE_PORT+1..3 (HTTP on +2000), ready when it returns; sets node_pids
start_cluster() {
  node_pids=()
  for i in 1 2 3; do start_node "$1" "$2" "$3" "$i"; node_pids+=("$node_pid"); done
  for i in 1 2 3; do wait_ready $(($2 + 2000 + i)); done
}
