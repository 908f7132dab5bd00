#!/usr/bin/env bash
# make bench / make bench-quick: crawler and wget2 on the same generated
# sites, same machine, same concurrency, alternating runs, and one table of
# medians with the ratio to wget2 from this very run.
#   usage: tests/bench/bench.sh CRAWLER SITEGEN [quick]
set -euo pipefail
crawler=$(realpath "$1")
sitegen=$(realpath "$2")
mode=${3:-full}
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d /dev/shm/crawler-bench.XXXXXX) # tmpfs: disks do not decide
server=
trap '[ -n "$server" ] && kill $server 2>/dev/null; rm -rf "$tmp"' EXIT

LINKS=25 PAGE_BYTES=12000 CONC=32
if [ "$mode" = quick ]; then
	plan="20000:1:wget2"
else
	plan="20000:3:wget2 200000:2:wget2 1000000:1:alone"
fi

serve() { # pages
	[ -n "$server" ] && kill $server 2>/dev/null && wait $server 2>/dev/null || true
	"$sitegen" --pages "$1" --links $LINKS --page-bytes $PAGE_BYTES --no-specials \
		--lifetime 900 >"$tmp/url" &
	server=$!
	for _ in $(seq 50); do [ -s "$tmp/url" ] && break; sleep 0.1; done
	site=$(cat "$tmp/url")
}

# Prints "wall user sys maxrss_kb pages".
run_crawler() {
	/usr/bin/time -f "%e %U %S %M" -o "$tmp/time" \
		"$crawler" -q --no-robots -c $CONC --per-host $CONC -o /dev/null \
		--stats "$tmp/stats" "$site"
	echo "$(tail -n 1 "$tmp/time") $(jq .pages "$tmp/stats")"
}

run_wget2() {
	rm -rf "$tmp/w"
	/usr/bin/time -f "%e %U %S %M" -o "$tmp/time" \
		wget2 -q -r -l inf --max-threads=$CONC --no-robots --no-host-directories \
		--delete-after -P "$tmp/w" -o "$tmp/wget2.log" --stats-site=csv:"$tmp/wsite.csv" \
		"$site" || true
	# One line per URL fetched in wget2's site statistics (header excluded).
	echo "$(tail -n 1 "$tmp/time") $(($(wc -l <"$tmp/wsite.csv") - 1))"
}

median() { sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

ceiling() { # pages: what the server alone serves to wrk at this concurrency
	wrk -t2 -c$CONC -d5s -s "$here/random-page.lua" "$site" -- "$1" 2>/dev/null |
		awk '/Requests\/sec/ { printf "%.0f", $2 }'
}

printf '%-9s %-8s %9s %8s %9s %12s %10s %9s\n' site tool pages wall_s pages/s cpu_s/1kpg peak_MB vs_wget2
for step in $plan; do
	IFS=: read -r pages runs with <<<"$step"
	serve "$pages"
	wrk_rps=$(ceiling "$pages")
	: >"$tmp/c" ; : >"$tmp/w2"
	for r in $(seq "$runs"); do
		run_crawler >>"$tmp/c"
		[ "$with" = wget2 ] && run_wget2 >>"$tmp/w2"
	done
	row() { # tool file
		local wall cpu rss n rate
		wall=$(awk '{ print $1 }' "$2" | median)
		cpu=$(awk '{ print $2 + $3 }' "$2" | median)
		rss=$(awk '{ print $4 }' "$2" | median)
		n=$(awk '{ print $5 }' "$2" | median)
		rate=$(awk -v n="$n" -v w="$wall" 'BEGIN { printf "%.0f", n / w }')
		echo "$1 $n $wall $rate $(awk -v c="$cpu" -v n="$n" 'BEGIN { printf "%.3f", c / n * 1000 }') $(awk -v r="$rss" 'BEGIN { printf "%.1f", r / 1024 }')"
	}
	read -r _ cn cw crate ccpu crss <<<"$(row crawler "$tmp/c")"
	ratio=-
	if [ "$with" = wget2 ]; then
		read -r _ wn ww wrate wcpu wrss <<<"$(row wget2 "$tmp/w2")"
		ratio=$(awk -v a="$crate" -v b="$wrate" 'BEGIN { printf "%.2fx", a / b }')
	fi
	printf '%-9s %-8s %9s %8s %9s %12s %10s %9s\n' "$pages" crawler "$cn" "$cw" "$crate" "$ccpu" "$crss" "$ratio"
	[ "$with" = wget2 ] &&
		printf '%-9s %-8s %9s %8s %9s %12s %10s %9s\n' "$pages" wget2 "$wn" "$ww" "$wrate" "$wcpu" "$wrss" 1.00x
	echo "          server ceiling (wrk, $CONC connections): $wrk_rps req/s; crawler at $(awk -v a="$crate" -v b="$wrk_rps" 'BEGIN { printf "%.0f%%", a / b * 100 }') of it"
	if [ "$pages" -ge 1000000 ]; then
		echo "          crawler memory per URL seen: $(awk -v r="$crss" -v n="$cn" 'BEGIN { printf "%.0f", r * 1048576 / n }') bytes (peak RSS / URLs)"
	fi
done
