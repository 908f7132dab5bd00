#!/usr/bin/env bash
# make demo: serve a generated site of a few hundred pages on 127.0.0.1,
# crawl it with the progress line, and show what came out.
#   usage: tests/demo.sh build/crawler build/sitegen
set -eu
crawler=$1
sitegen=$2
url_file=$(mktemp)
"$sitegen" --pages 400 --links 10 --lifetime 120 >"$url_file" &
server=$!
trap 'kill $server 2>/dev/null; rm -f "$url_file"' EXIT
for _ in $(seq 50); do [ -s "$url_file" ] && break; sleep 0.1; done
site=$(cat "$url_file")

echo "== serving a generated site at $site"
echo "== $crawler --progress -o demo.jsonl --stats demo-stats.json $site"
"$crawler" --progress -o demo.jsonl --stats demo-stats.json "$site"
echo
echo "== summary (demo-stats.json)"
jq . demo-stats.json
echo "== the first three records (demo.jsonl)"
head -n 3 demo.jsonl | jq -c .
echo "== broken links, with the page that has them"
jq -r 'select(.status == 404) | "\(.status) \(.url) <- \(.parent)"' demo.jsonl | head -n 5
echo "== redirects"
jq -r 'select(.location) | "\(.status) \(.url) -> \(.location)"' demo.jsonl | head -n 5
echo "== $(wc -l <demo.jsonl) records in demo.jsonl; try: jq . demo.jsonl | less"
