#!/usr/bin/env bash
# Container health check without curl in the image: GET /v2/health/ready over bash's /dev/tcp; healthy only on
# 200 (503 while loading or draining).
set -euo pipefail
exec 3<>"/dev/tcp/127.0.0.1/${VIVID_PORT:-8080}"
printf 'GET /v2/health/ready HTTP/1.0\r\nHost: localhost\r\n\r\n' >&3
read -r -t 5 status_line <&3
[[ "$status_line" == *" 200 "* ]]
