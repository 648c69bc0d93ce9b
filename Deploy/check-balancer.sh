#!/usr/bin/env bash
# The replicas-behind-a-balancer setup of docker-compose.yml, on loopback without Docker: two `vivid serve`
# processes behind nginx with Deploy/nginx/vivid-proxy.conf. Sends REQUESTS uploads, CONCURRENCY at a time,
# stops one server with SIGTERM part-way, and checks that every request was answered 200, that both servers
# served some, and that the stopped one drained and exited 0.
#
#   Deploy/check-balancer.sh [VIVID] [MODEL]     (default .build/release/vivid, Models/demo)
#
# VIDEO=FILE to upload another clip. Skipped with a message when nginx is not installed (Debian: nginx-light).
set -euo pipefail
cd "$(dirname "$0")/.."
vivid=${1:-.build/release/vivid}
model=${2:-Models/demo}
requests=${REQUESTS:-16}
concurrency=${CONCURRENCY:-4}
nginx=$(command -v nginx || ls /usr/sbin/nginx 2>/dev/null || true)
if [ -z "$nginx" ]; then
  echo "check-balancer: skipped (nginx is not installed: apt-get install nginx-light)"
  exit 0
fi
video=${VIDEO:-$(ls Models/demo/examples/*.mp4 | head -1)}
work=$(mktemp -d)
chmod 755 "$work"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
ports=("$(free_port)" "$(free_port)")
balancer=$(free_port)
for index in 0 1; do
  "$vivid" serve --model "$model" --host 127.0.0.1 --port "${ports[$index]}" --queue 4 >"$work/server$index.log" 2>&1 &
  pids+=($!)
done
mkdir -p "$work/nginx/body" "$work/nginx/proxy"
chmod -R 777 "$work/nginx"
cat >"$work/nginx/nginx.conf" <<CONF
worker_processes 1;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log warn;
events { worker_connections 256; }
http {
    access_log $work/nginx/access.log;
    client_body_temp_path $work/nginx/body;
    proxy_temp_path $work/nginx/proxy;
    upstream vivid {
        server 127.0.0.1:${ports[0]} max_fails=0;
        server 127.0.0.1:${ports[1]} max_fails=0;
        keepalive 16;
    }
    server {
        listen 127.0.0.1:$balancer;
        location / {
            proxy_pass http://vivid;
            include $PWD/Deploy/nginx/vivid-proxy.conf;
        }
    }
}
CONF
"$nginx" -p "$work/nginx" -c "$work/nginx/nginx.conf" -g 'daemon off;' 2>>"$work/nginx/error.log" &
pids+=($!)
for port in "${ports[@]}" "$balancer"; do
  for _ in $(seq 1 100); do
    curl -fs "http://127.0.0.1:$port/v2/health/ready" >/dev/null 2>&1 && break
    sleep 0.2
  done
done

# Each request writes its status code to its own line of codes.txt.
touch "$work/codes.txt"
seq 1 "$requests" | xargs -P "$concurrency" -I{} sh -c \
  "curl -s -o /dev/null -w '%{http_code}\n' -F 'video=@$video' 'http://127.0.0.1:$balancer/classify?views=1x1&per_view=false' >>'$work/codes.txt'" &
senders=$!
while [ "$(wc -l <"$work/codes.txt")" -lt $((requests / 4)) ]; do sleep 0.1; done
kill -TERM "${pids[0]}"
wait "$senders"
wait "${pids[0]}" && stopped=0 || stopped=$?

answered=$(wc -l <"$work/codes.txt")
ok=$(grep -c '^200$' "$work/codes.txt" || true)
served=()
for index in 0 1; do served+=("$(grep '/classify' "$work/server$index.log" | grep -c 'status=200' || true)"); done
echo "check-balancer: $answered of $requests answered, $ok with 200; served by the stopped server ${served[0]}, by the other ${served[1]}; stopped server exit $stopped"
sort "$work/codes.txt" | uniq -c | sed 's/^/  /'
[ "$answered" -eq "$requests" ] && [ "$ok" -eq "$requests" ] && [ "${served[0]}" -gt 0 ] && [ "${served[1]}" -gt 0 ] && [ "$stopped" -eq 0 ] \
  || { echo "check-balancer: FAIL"; tail -5 "$work/nginx/error.log" "$work/server0.log"; exit 1; }
echo "check-balancer: ok"
