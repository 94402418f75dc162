#!/usr/bin/env bash
# Sends N requests (default 1000) through the Gateway and counts the colors that answered.
# One curl process with keep-alive: the split is decided per request by Traefik, not per connection.
set -euo pipefail
n=${1:-1000} url=${2:-http://127.0.0.1:17080/}
urls=(); for ((i = 0; i < n; i++)); do urls+=("$url"); done
curl -s --max-time 120 "${urls[@]}" | sort | uniq -c
