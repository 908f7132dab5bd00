#!/usr/bin/env bash
# make bench / make bench-quick: crawler and wget2 against nginx, a server
# neither was written for, on the same machine at the same concurrency,
# alternating runs, one table of medians per scenario with the ratio to
# wget2 from this very run.
#
#   static sites   20,000 and 200,000 pages written by `sitegen --write` to
#                  tmpfs and served by nginx at -c 32; the 1,000,000-page site
#                  from sitegen itself (12 GB of files would not be worth
#                  writing), crawler alone, for memory per URL;
#   parse only     parsebench: parse_html over the 20,000 pages on one core,
#                  taken from the crawler's CPU per page ("beyond parse");
#   slow hosts     nginx on 64 loopback addresses, every answer held 0.5 s,
#                  at -c 32 to 8192, against the best time the site allows
#                  (idealcrawl);
#   many machines  the slow hosts crawled through Redis: one worker at
#                  -c 2048 against three at -c 700 and a collector, on this
#                  machine; Redis's CPU, commands and memory per page, and
#                  the visited set's memory per URL at 1,000,000 URLs.
#
# quick: the 20,000-page site, the parse, and the slow hosts at -c 512.
# Everything lives in a temporary directory on /dev/shm, removed at exit
# with the server stopped, whatever way the script ends.
#   usage: tests/bench/bench.sh CRAWLER SITEGEN PARSEBENCH IDEALCRAWL [quick|full]
set -euo pipefail
crawler=$(realpath "$1")
sitegen=$(realpath "$2")
parsebench=$(realpath "$3")
idealcrawl=$(realpath "$4")
mode=${5:-full}
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d /dev/shm/crawler-bench.XXXXXX) # tmpfs: disks do not decide
server= server_pids=
trap 'stop_server; rm -rf "$tmp"' EXIT

LINKS=25 PAGE_BYTES=12000 CONC=32
HOSTS=64 LATENCY_MS=500
# Plans are "pages:runs:wget2|alone|warc|warcgz" (warc: the crawl again
# with --warc, and wget 1's --warc-file; warcgz: both crawls of the site
# served gzipped, as a web server configured for it serves HTML) and "concurrency:runs:pages_per_host";
# BENCH_STATIC and BENCH_SLOW replace them (BENCH_STATIC= BENCH_SLOW=2048:3:640).
# A slow host's site is sized for about 10 s at concurrency / latency (5 s
# at 8192, which no tool reaches on two cores, so that it ends in time).
if [ "$mode" = quick ]; then
	static_plan=${BENCH_STATIC-"20000:3:wget2 20000:3:warc 20000:3:warcgz"}
	slow_plan=${BENCH_SLOW-"512:1:160"}
	cluster_plan=${BENCH_CLUSTER-"512:170:160"}
else
	static_plan=${BENCH_STATIC-"20000:3:wget2 20000:3:warc 20000:3:warcgz 200000:2:wget2 1000000:1:alone"}
	slow_plan=${BENCH_SLOW-"32:1:10 512:2:160 2048:2:640 8192:1:960"}
	cluster_plan=${BENCH_CLUSTER-"2048:700:640"}
fi
# BENCH_CLUSTER: "one_worker_conc:each_of_three_conc:pages_per_host";
# CLUSTER_ARGS: more options for every worker (say "-p 8").
NCPU=$(nproc)
TICKS=$(getconf CLK_TCK)
# Every connection is a descriptor in the crawler, in wget2 and in nginx.
ulimit -n "$(ulimit -Hn)"
NOFILE=$(ulimit -n)
NGINX_CONF=$tmp/nginx/nginx.conf
SITEGEN_ARGS="--links $LINKS --page-bytes $PAGE_BYTES --no-specials"
CRAWLER_ARGS="-q --no-robots -o /dev/null"
# wget2 asks for <img> too; the crawler does not (no --resources), so
# wget2 is kept to the same URLs, filtered before any request.
WGET2_ARGS="-q -r -l inf --no-robots --delete-after --filter-urls --reject-regex=/img/"
# wget 1 (one connection, no threads) for --warc-file beside --warc: its
# CPU per page compares, not its wall time.
WGET_ARGS="-q -r -l inf -e robots=off --delete-after --reject-regex=/img/"
# gzip_static: on for the warcgz rows (the .gz files beside the pages).
NGINX_GZIP=off

# ---- servers --------------------------------------------------------------

stop_server() {
	if [ -n "$server" ]; then
		kill "$server" 2>/dev/null || true
		wait "$server" 2>/dev/null || true
	fi
	server= server_pids=
}

# nginx.conf for root, listening on "ADDR:PORT ..." ; slow: every answer
# waits LATENCY_MS first (echo module), then is the static file.
nginx_conf() { # root port slow|static workers
	local a
	[ "$(id -u)" = 0 ] && echo "user $(id -un) $(id -gn);"
	cat <<-EOF
	load_module /usr/lib/nginx/modules/ngx_http_echo_module.so;
	daemon off;
	worker_processes $4;
	worker_rlimit_nofile $NOFILE;
	pid $tmp/nginx/nginx.pid;
	error_log $tmp/nginx/error.log warn;
	events { worker_connections 20000; multi_accept on; }
	http {
	  access_log off;
	  sendfile on;
	  tcp_nopush on;
	  keepalive_requests 10000000;
	  keepalive_timeout 300s;
	  types { text/html html; }
	  default_type application/octet-stream;
	  charset utf-8;
	  gzip_static $NGINX_GZIP;
	  client_body_temp_path $tmp/nginx/tmp/body;
	  proxy_temp_path $tmp/nginx/tmp/proxy;
	  fastcgi_temp_path $tmp/nginx/tmp/fastcgi;
	  uwsgi_temp_path $tmp/nginx/tmp/uwsgi;
	  scgi_temp_path $tmp/nginx/tmp/scgi;
	  server {
	    root $1;
	EOF
	for a in $(addresses "$3"); do echo "    listen $a:$2 backlog=8192;"; done
	if [ "$3" = slow ]; then
		cat <<-EOF
		    location = / { echo_sleep $(awk -v m=$LATENCY_MS 'BEGIN { print m / 1000 }'); echo_exec @index; }
		    location @index { try_files /index.html =404; }
		    location / { echo_sleep $(awk -v m=$LATENCY_MS 'BEGIN { print m / 1000 }'); echo_exec @file; }
		    location @file { }
		EOF
	fi
	echo "  }"
	echo "}"
}

addresses() { # slow|static
	if [ "$1" = slow ]; then
		seq -f '127.0.0.%g' 2 $((HOSTS + 1))
	else
		echo 127.0.0.1
	fi
}

# nginx on the first free port from 8080; sets server, server_pids, port.
nginx_start() { # root slow|static workers
	mkdir -p "$tmp/nginx/tmp"
	for port in $(seq 8080 8199); do
		nginx_conf "$1" "$port" "$2" "$3" >"$NGINX_CONF"
		rm -f "$tmp/nginx/nginx.pid"
		nginx -p "$tmp/nginx" -c "$NGINX_CONF" -e "$tmp/nginx/error.log" &
		server=$!
		for _ in $(seq 100); do
			[ -s "$tmp/nginx/nginx.pid" ] && break
			kill -0 "$server" 2>/dev/null || break
			sleep 0.05
		done
		if [ -s "$tmp/nginx/nginx.pid" ]; then
			sleep 0.2 # workers forked
			server_pids="$server $(cat /proc/"$server"/task/*/children)"
			return
		fi
		wait "$server" 2>/dev/null || true
		server=
	done
	echo "bench: nginx did not start:" >&2
	cat "$tmp/nginx/error.log" >&2
	exit 1
}

sitegen_start() { # pages
	"$sitegen" --pages "$1" $SITEGEN_ARGS --lifetime 900 >"$tmp/url" &
	server=$!
	server_pids=$server
	for _ in $(seq 50); do [ -s "$tmp/url" ] && break; sleep 0.1; done
}

# CPU time the server has used so far, in clock ticks (threads included).
server_ticks() {
	local p t=0
	for p in $server_pids; do
		t=$((t + $(sed 's/.*) //' /proc/"$p"/stat | awk '{ print $12 + $13 }')))
	done
	echo $t
}

# ---- one timed run --------------------------------------------------------

# Runs the command under /usr/bin/time, stopped (SIGTERM) after limit
# seconds so that a stalled tool shows as such instead of holding the
# bench; prints "wall user sys maxrss_kb server_share_percent timed_out".
timed() { # limit command...
	local limit=$1 t0 t1 out
	shift
	t0=$(server_ticks)
	/usr/bin/time -f "%e %U %S %M" -o "$tmp/time" \
		timeout -k 15 "$limit" "$@" >/dev/null 2>>"$tmp/errors" || true
	t1=$(server_ticks)
	grep -qE 'status (124|137)$' "$tmp/time" && out=1 || out=0
	# The last line: a failed command's status comes first.
	tail -n 1 "$tmp/time" | awk -v a="$t0" -v b="$t1" -v hz="$TICKS" -v n="$NCPU" -v o=$out \
		'{ printf "%s %s %s %s %.1f %d\n", $1, $2, $3, $4, ($1 > 0 ? (b - a) / hz / $1 / n * 100 : 0), o }'
}

# Both print "wall user sys rss share timed_out pages"; pages is what the
# tool says it fetched (the crawler's summary is written when stopped too,
# wget2's site statistics are not: 0).
run_crawler() { # limit conc per_host seeds...
	local limit=$1 c=$2 m=$3
	shift 3
	rm -f "$tmp/stats"
	echo "$(timed "$limit" "$crawler" $CRAWLER_ARGS -c "$c" --per-host "$m" --stats "$tmp/stats" "$@")" \
		"$(jq .pages "$tmp/stats" 2>/dev/null || echo 0)"
}

# Pages: the response records of its archive.
run_wget_warc() { # limit seed
	rm -rf "$tmp/w1" && mkdir -p "$tmp/w1"
	echo "$(timed "$1" wget $WGET_ARGS -P "$tmp/w1" --warc-file="$tmp/w1/bench" "$2")" \
		"$(zcat "$tmp/w1/bench.warc.gz" 2>/dev/null | grep -ac '^WARC-Type: response' || true)"
}

run_wget2() { # limit conc extra-args seeds...
	local limit=$1 c=$2 extra=$3
	shift 3
	rm -rf "$tmp/w" "$tmp/wsite.csv"
	echo "$(timed "$limit" wget2 $WGET2_ARGS --max-threads="$c" $extra -P "$tmp/w" \
		--stats-site=csv:"$tmp/wsite.csv" "$@")" \
		"$(($(cat "$tmp/wsite.csv" 2>/dev/null | wc -l) - 1))"
}

# ---- tables ---------------------------------------------------------------

median() { sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

# The medians of a file of runs: "pages wall rate cpu_us_per_page rss_MB
# share", "-" for what no page can give.
medians() {
	local wall cpu rss share n
	wall=$(awk '{ print $1 }' "$1" | median)
	cpu=$(awk '{ print $2 + $3 }' "$1" | median)
	rss=$(awk '{ print $4 }' "$1" | median)
	share=$(awk '{ print $5 }' "$1" | median)
	n=$(awk '{ print $7 < 0 ? 0 : $7 }' "$1" | median)
	awk -v n="$n" -v w="$wall" -v c="$cpu" -v r="$rss" -v s="$share" 'BEGIN {
		if (n > 0)
			printf "%d %.2f %.0f %.1f %.1f %.0f%%\n", n, w, n / w, c / n * 1e6, r / 1024, s
		else
			printf "0 %.2f - - %.1f %.0f%%\n", w, r / 1024, s }'
}

# a / b * scale in format, or "-" when either is not a number above 0.
div() { # a b format [scale]
	awk -v a="$1" -v b="$2" -v f="$3" -v s="${4:-1}" \
		'BEGIN { if (a + 0 > 0 && b + 0 > 0) printf f, a / b * s; else printf "-" }'
}

# "; stopped at the limit" when a run of either file timed out.
stopped() { # limit runs_file...
	local limit=$1
	shift
	[ "$(cat "$@" | awk '{ s += $6 } END { print s + 0 }')" = 0 ] ||
		echo "; $(cat "$@" | awk '{ s += $6 } END { print s }') run(s) STOPPED at the ${limit} s limit"
}

ceiling() { # pages: what nginx or sitegen alone serves to wrk
	wrk -t2 -c$CONC -d5s -s "$here/random-page.lua" "$site" -- "$1" 2>/dev/null |
		awk '/Requests\/sec/ { printf "%.0f", $2 }'
}

# Both tools must have fetched every URL of the site, and only those.
expect() { # urls crawler_pages wget2_pages
	[ "$2" = "$1" ] && [ "$3" = "$1" ] || echo "; NOT THE SAME WORK: $1 URLs expected"
}

STATIC_FMT='%-9s %-8s %8s %7s %8s %10s %13s %8s %8s %9s\n'
SLOW_FMT='%-5s %-5s %-6s %-8s %7s %7s %8s %8s %7s %10s %8s %8s\n'
CLUSTER_FMT='%-7s %-7s %-5s %7s %7s %8s %10s %11s %6s %7s %10s\n'

static_header() {
	echo "== static sites: $LINKS links and about $PAGE_BYTES bytes a page, -c $CONC, medians of alternating runs"
	echo "   server% = server CPU time / wall / $NCPU cores; beyond_parse = cpu_us/pg - parse_us/pg"
	printf "$STATIC_FMT" site tool pages wall_s pages/s cpu_us/pg beyond_parse peak_MB server% vs_wget2
}

# The site of that many pages in $tmp/site, written unless it is there
# already (the parse and the 20,000-page row share one).
written=0
write_site() { # pages
	[ "$written" = "$1" ] && return
	rm -rf "$tmp/site"
	"$sitegen" --write "$tmp/site" --pages "$1" $SITEGEN_ARGS
	written=$1
}

# Each page gzipped beside it, for gzip_static (the server then spends no
# CPU compressing); the files stay for the rows after.
gzip_site() {
	[ -e "$tmp/site/index.html.gz" ] ||
		find "$tmp/site" -name '*.html' -print0 | xargs -0 -n 500 -P "$NCPU" gzip -6 -k
}

static_site() { # pages runs wget2|alone|warc|warcgz
	local pages=$1 runs=$2 with=$3 what ratio=- wrk_rps an aw arate acpu arss ashare
	local gn gw grate gcpu grss gshare tool=crawler
	local limit=$((20 + pages / 4000)) # 4,000 pages/s at the least
	local cn cw crate ccpu crss cshare wn ww wrate wcpu wrss wshare
	if [ "$with" = alone ]; then
		sitegen_start "$pages"
		site=$(cat "$tmp/url")
		what="sitegen (no files), crawler alone"
	else
		write_site "$pages"
		NGINX_GZIP=off
		what="nginx, files on tmpfs"
		if [ "$with" = warcgz ]; then
			gzip_site
			NGINX_GZIP=on tool="crawler(gz)"
			what="nginx, files on tmpfs, each page served gzipped (gzip_static)"
		fi
		nginx_start "$tmp/site" static "$STATIC_WORKERS"
		site=http://127.0.0.1:$port/
	fi
	wrk_rps=$(ceiling "$pages")
	: >"$tmp/c"
	: >"$tmp/w2"
	: >"$tmp/a"
	: >"$tmp/w1runs"
	: >"$tmp/aplain"
	for _ in $(seq "$runs"); do
		run_crawler "$limit" $CONC $CONC "$site" >>"$tmp/c"
		[ "$with" = wget2 ] &&
			run_wget2 "$limit" $CONC --no-host-directories "$site" >>"$tmp/w2"
		# The same crawl archived (issue 10's budget: at most 15% more
		# CPU per page), the archive on tmpfs too.
		if [ "$with" = warc ] || [ "$with" = warcgz ]; then
			rm -rf "$tmp/warc" && mkdir -p "$tmp/warc"
			run_crawler "$limit" $CONC $CONC --warc "$tmp/warc/bench.warc.gz" "$site" >>"$tmp/a"
		fi
		if [ "$with" = warc ]; then
			rm -rf "$tmp/warcplain" && mkdir -p "$tmp/warcplain"
			run_crawler "$limit" $CONC $CONC --warc "$tmp/warcplain/bench.warc" "$site" >>"$tmp/aplain"
			run_wget_warc $((limit * 4)) "$site" >>"$tmp/w1runs"
		fi
	done
	stop_server
	read -r cn cw crate ccpu crss cshare <<<"$(medians "$tmp/c")"
	if [ "$with" = wget2 ]; then
		read -r wn ww wrate wcpu wrss wshare <<<"$(medians "$tmp/w2")"
		ratio=$(div "$crate" "$wrate" %.2fx)
	fi
	printf "$STATIC_FMT" "$pages" "$tool" "$cn" "$cw" "$crate" "$ccpu" \
		"$(awk -v c="$ccpu" -v p="$parse_us" 'BEGIN { if (c + 0 > 0) printf "%.1f", c - p; else printf "-" }')" \
		"$crss" "$cshare" "$ratio"
	[ "$with" = wget2 ] &&
		printf "$STATIC_FMT" "$pages" wget2 "$wn" "$ww" "$wrate" "$wcpu" - "$wrss" "$wshare" 1.00x
	if [ "$with" = warc ] || [ "$with" = warcgz ]; then
		read -r an aw arate acpu arss ashare <<<"$(medians "$tmp/a")"
		printf "$STATIC_FMT" "$pages" "+--warc" "$an" "$aw" "$arate" "$acpu" - "$arss" "$ashare" \
			"$(awk -v a="$acpu" -v c="$ccpu" 'BEGIN { if (c + 0 > 0) printf "cpu%+.0f%%", (a / c - 1) * 100; else printf "-" }')"
		echo "          --warc: $(du -sh "$tmp/warc" | cut -f1) of WARC for $an pages"
		rm -rf "$tmp/warc"
	fi
	if [ "$with" = warc ]; then
		read -r an aw arate acpu arss ashare <<<"$(medians "$tmp/aplain")"
		printf "$STATIC_FMT" "$pages" "+.warc" "$an" "$aw" "$arate" "$acpu" - "$arss" "$ashare" \
			"$(awk -v a="$acpu" -v c="$ccpu" 'BEGIN { if (c + 0 > 0) printf "cpu%+.0f%%", (a / c - 1) * 100; else printf "-" }')"
		echo "          +.warc: --warc FILE.warc, the uncompressed series ($(du -sh "$tmp/warcplain" | cut -f1))"
		rm -rf "$tmp/warcplain"
		read -r gn gw grate gcpu grss gshare <<<"$(medians "$tmp/w1runs")"
		printf "$STATIC_FMT" "$pages" "wget-warc" "$gn" "$gw" "$grate" "$gcpu" - "$grss" "$gshare" \
			"$(awk -v a="$acpu" -v g="$gcpu" 'BEGIN { if (a + 0 > 0 && g + 0 > 0) printf "cpu%.2fx", g / a; else printf "-" }')"
		echo "          wget-warc: wget 1 --warc-file (one connection); cpu = its CPU per page over crawler --warc's"
		rm -rf "$tmp/w1"
	fi
	echo "          server: $what; runs: $runs each$(expect $((pages + 1)) "$cn" "${wn:-$((pages + 1))}")$(stopped "$limit" "$tmp/c" "$tmp/w2")"
	echo "          server ceiling (wrk, $CONC connections): $wrk_rps req/s; crawler at $(div "$crate" "$wrk_rps" %.0f%% 100) of it"
	if [ "$pages" -ge 1000000 ]; then
		echo "          crawler memory per URL seen: $(div "$crss" "$cn" %.0f 1048576) bytes (peak RSS / URLs)"
	fi
}

slow_header() {
	echo "== many slow hosts: nginx on $HOSTS addresses (127.0.0.2-127.0.0.$((HOSTS + 1))), every answer held $LATENCY_MS ms"
	echo "   (echo_sleep, then the static file), one seed per host (\"/\"), every host the same site of"
	echo "   pg/hst pages (+ \"/\"); both tools crawl all of it, no page limit; per_h = conc / $HOSTS, at least 1"
	echo "   ideal/s = the best rate the site allows: a crawler that costs nothing, conc transfers in"
	echo "   flight, per_host to one host, breadth first (idealcrawl; the first rounds are narrow)"
	printf "$SLOW_FMT" conc per_h pg/hst tool pages wall_s pages/s ideal/s %ideal cpu_us/pg peak_MB server%
}

slow_row() { # conc runs pages_per_host
	local c=$1 runs=$2 per=$3 m seeds ideal_s ideal_rate n limit
	local cn cw crate ccpu crss cshare wn ww wrate wcpu wrss wshare
	m=$((c / HOSTS > 0 ? c / HOSTS : 1))
	if [ $((2 * c + 512)) -gt "$NOFILE" ]; then # a socket and, in wget2, a file each
		echo "$c     skipped: ulimit -n is $NOFILE, too few descriptors for $c transfers"
		return
	fi
	write_site "$per"
	nginx_start "$tmp/site" slow "$SLOW_WORKERS"
	seeds=$(for a in $(addresses slow); do echo "http://$a:$port/"; done)
	read -r _ _ _ n _ ideal_s _ ideal_rate <<<"$("$idealcrawl" $HOSTS "$per" $LINKS "$c" "$m" $LATENCY_MS)"
	: >"$tmp/c"
	: >"$tmp/w2"
	limit=$(awk -v s="$ideal_s" 'BEGIN { printf "%.0f", 20 + 10 * s }')
	for _ in $(seq "$runs"); do
		run_crawler "$limit" "$c" "$m" $seeds >>"$tmp/c"
		run_wget2 "$limit" "$c" "" $seeds >>"$tmp/w2"
	done
	stop_server
	read -r cn cw crate ccpu crss cshare <<<"$(medians "$tmp/c")"
	read -r wn ww wrate wcpu wrss wshare <<<"$(medians "$tmp/w2")"
	printf "$SLOW_FMT" "$c" "$m" "$per" crawler "$cn" "$cw" "$crate" "$ideal_rate" \
		"$(div "$crate" "$ideal_rate" %.0f%% 100)" "$ccpu" "$crss" "$cshare"
	printf "$SLOW_FMT" "" "" "" wget2 "$wn" "$ww" "$wrate" "$ideal_rate" \
		"$(div "$wrate" "$ideal_rate" %.0f%% 100)" "$wcpu" "$wrss" "$wshare"
	echo "      $n URLs in all, at best in $ideal_s s; conc / latency = $((c * 1000 / LATENCY_MS))/s; runs: $runs each; crawler $(div "$crate" "$wrate" %.2fx) wget2$(expect "$n" "$cn" "$wn")$(stopped "$limit" "$tmp/c" "$tmp/w2")"
}

# ---- many machines: the slow hosts through Redis -------------------------

# A redis-server of the run's own, on a free port, nothing saved; sets
# redis_pid, redis_port.
redis_start() {
	mkdir -p "$tmp/redis"
	for redis_port in $(seq 6400 6499); do
		redis-server --port "$redis_port" --bind 127.0.0.1 --save '' \
			--appendonly no --dir "$tmp/redis" --logfile "$tmp/redis/log" &
		redis_pid=$!
		for _ in $(seq 50); do
			redis-cli -p "$redis_port" ping >/dev/null 2>&1 && return
			kill -0 "$redis_pid" 2>/dev/null || break
			sleep 0.1
		done
		wait "$redis_pid" 2>/dev/null || true
	done
	echo "bench: redis-server did not start" >&2
	exit 1
}

redis_stop() {
	kill "$redis_pid" 2>/dev/null || true
	wait "$redis_pid" 2>/dev/null || true
}

redis_info() { # field
	redis-cli -p "$redis_port" info all | tr -d '\r' | awk -F: -v f="$1" '$1 == f { print $2 }'
}

# Commands Redis ran, client's and scripts' alike (commandstats).
redis_calls() {
	redis-cli -p "$redis_port" info commandstats | tr -d '\r' |
		sed -n 's/.*:calls=\([0-9]*\),.*/\1/p' | awk '{ s += $1 } END { print s + 0 }'
}

redis_scripts() { # EVALSHA calls: one round trip each
	redis-cli -p "$redis_port" info commandstats | tr -d '\r' |
		sed -n 's/^cmdstat_evalsha:calls=\([0-9]*\),.*/\1/p' | awk '{ s += $1 } END { print s + 0 }'
}

# One crawl of the slow hosts by n workers at conc each and a collector;
# prints "wall processes_cpu_s redis_cpu_s pages round_trips commands peak_used_bytes".
cluster_crawl() { # name n conc per_host limit seeds...
	local name=$1 n=$2 c=$3 m=$4 limit=$5 t0 t1 calls0 i wall cpu
	shift 5
	local r="--redis redis://127.0.0.1:$redis_port --crawl $name"
	redis-cli -p "$redis_port" config resetstat >/dev/null
	t0=$(sed 's/.*) //' /proc/"$redis_pid"/stat | awk '{ print $12 + $13 }')
	rm -f "$tmp/cl."*
	local start end
	start=$(date +%s.%N)
	/usr/bin/time -f "%U %S" -o "$tmp/cl.time.c" timeout -k 5 "$limit" "$crawler" $r --collect \
		-o "$tmp/cl.out" --stats "$tmp/cl.stats" -q 2>>"$tmp/errors" &
	local pids=$!
	for i in $(seq "$n"); do
		if [ "$i" = 1 ]; then
			/usr/bin/time -f "%U %S" -o "$tmp/cl.time.$i" timeout -k 5 "$limit" "$crawler" $r \
				-q --no-robots -c "$c" --per-host "$m" ${CLUSTER_ARGS:-} "$@" 2>>"$tmp/errors" &
			sleep 0.2
		else
			/usr/bin/time -f "%U %S" -o "$tmp/cl.time.$i" timeout -k 5 "$limit" "$crawler" $r \
				-q -c "$c" ${CLUSTER_ARGS:-} 2>>"$tmp/errors" &
		fi
		pids="$pids $!"
	done
	wait $pids || true
	end=$(date +%s.%N)
	t1=$(sed 's/.*) //' /proc/"$redis_pid"/stat | awk '{ print $12 + $13 }')
	cpu=$(cat "$tmp"/cl.time.* | awk '$1 ~ /^[0-9.]+$/ { s += $1 + $2 } END { print s }')
	echo "$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f", b - a }') $cpu" \
		"$(awk -v a="$t0" -v b="$t1" -v hz="$TICKS" 'BEGIN { printf "%.2f", (b - a) / hz }')" \
		"$(jq .pages "$tmp/cl.stats" 2>/dev/null || echo 0)" \
		"$(redis_scripts) $(redis_calls) $(redis_info used_memory_peak)"
}

cluster_header() {
	echo "== many machines: the slow hosts through one Redis ($(redis-server --version | awk '{ print $3 }')), every process on this machine:"
	echo "   n workers (the first with the seeds, the others joining) and a collector (--collect -o FILE);"
	echo "   wall = first start to collector's end; cpu_us/pg = workers' and collector's user+sys per page;"
	echo "   redis_us/pg = redis-server's CPU per page; scr/pg = scripts run per page (EVALSHA, a round"
	echo "   trip each), cmd/pg = commands Redis ran per page, the scripts' own included;"
	echo "   peak_B/URL = Redis's used_memory_peak / URLs of the crawl (queues, leases, stream, visited set)"
	printf "$CLUSTER_FMT" workers conc per_h pages wall_s pages/s cpu_us/pg redis_us/pg scr/pg cmd/pg peak_B/URL
}

cluster_row() { # one_conc each_conc pages_per_host
	local c1=$1 c3=$2 per=$3 m n ideal_s limit line rate1 rate3 w
	m=$((c1 / HOSTS > 0 ? c1 / HOSTS : 1))
	write_site "$per"
	nginx_start "$tmp/site" slow "$SLOW_WORKERS"
	seeds=$(for a in $(addresses slow); do echo "http://$a:$port/"; done)
	read -r _ _ _ n _ ideal_s _ _ <<<"$("$idealcrawl" $HOSTS "$per" $LINKS "$c1" "$m" $LATENCY_MS)"
	limit=$(awk -v s="$ideal_s" 'BEGIN { printf "%.0f", 30 + 10 * s }')
	for w in 1 3; do
		redis_start
		line=$(cluster_crawl "b$w" "$w" "$([ $w = 1 ] && echo "$c1" || echo "$c3")" "$m" "$limit" $seeds)
		redis_stop
		read -r wall cpu rcpu pages rt cmds peak <<<"$line"
		printf "$CLUSTER_FMT" "$w" "$([ $w = 1 ] && echo "$c1" || echo "3x$c3")" "$m" "$pages" "$wall" \
			"$(div "$pages" "$wall" %.0f)" "$(div "$cpu" "$pages" %.0f 1000000)" \
			"$(div "$rcpu" "$pages" %.0f 1000000)" "$(div "$rt" "$pages" %.1f)" \
			"$(div "$cmds" "$pages" %.1f)" "$(div "$peak" "$n" %.0f)"
		eval "rate$w=$(div "$pages" "$wall" %.1f)"
	done
	stop_server
	echo "      $n URLs in all, at best in $ideal_s s; three workers at $(div "$rate3" "$rate1" %.0f%% 100) of one worker's pages/s$(expect "$n" "$pages" "$n")"
	# The visited set alone at 1,000,000 URLs, as its test measures it.
	echo "      visited set in Redis at 1,000,000 URLs: $("$here/../../build/test-crawler" --filter 'visited_redis/a_million*' --verbose 2>&1 |
		sed -n 's/.*: \([0-9.]* bytes of Redis memory per URL\).*/\1/p' | head -n 1)"
}

# ---- the run ---------------------------------------------------------------

STATIC_WORKERS=1 SLOW_WORKERS=2
start_s=$(date +%s)
echo "crawler bench ($mode), $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git -C "$here" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$here" diff --quiet HEAD -- 2>/dev/null || echo ' (tree modified)'), $NCPU cores, ulimit -n $NOFILE (soft limit raised to the hard one)"
echo "  crawler: $crawler $CRAWLER_ARGS -c C --per-host M --stats FILE URL..."
echo "  wget2:   wget2 $WGET2_ARGS --max-threads=C [--no-host-directories: one host] -P DIR --stats-site=csv:FILE URL..."
echo "  server:  $(nginx -v 2>&1 | sed 's/.*: //') -p DIR -c DIR/nginx.conf (static: $STATIC_WORKERS worker, slow hosts: $SLOW_WORKERS; worker_connections 20000, sendfile, no access log); $(wget2 --version | head -n 1 | cut -d' ' -f1-3)"
echo "           slow hosts: location / { echo_sleep $(awk -v m=$LATENCY_MS 'BEGIN { print m / 1000 }'); echo_exec @file; } location @file { } (static file)"
echo "  sites:   sitegen $SITEGEN_ARGS --pages N [--write DIR]; each run under /usr/bin/time"
echo

write_site 20000
parse_line=$("$parsebench" "$tmp/site" 20000)
parse_us=$(awk '{ print $(NF - 4) }' <<<"$parse_line")
echo "== parse only: parse_html (libxml2 SAX) on one core over the 20,000-page site, best of 3: $parse_line"
echo

static_header
for step in $static_plan; do
	IFS=: read -r pages runs with <<<"$step"
	static_site "$pages" "$runs" "$with"
done
echo

slow_header
for step in $slow_plan; do
	IFS=: read -r c runs per <<<"$step"
	slow_row "$c" "$runs" "$per"
done
echo

cluster_header
for step in $cluster_plan; do
	IFS=: read -r c1 c3 per <<<"$step"
	cluster_row "$c1" "$c3" "$per"
done
if [ -s "$tmp/errors" ]; then
	echo
	echo "== standard error of the runs (last lines):"
	tail -n 5 "$tmp/errors"
fi
echo
echo "bench: $(($(date +%s) - start_s)) s in all"
