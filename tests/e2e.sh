#!/usr/bin/env bash
# End to end: the built crawler binary against the site generator, checked
# from the outside as a user's shell and jq would see it: exit statuses,
# messages, whole JSON lines after every kind of stop.
#   usage: tests/e2e.sh build/crawler build/sitegen
set -u
crawler=$(realpath "$1")
sitegen=$(realpath "$2")
tmp=$(mktemp -d)
pass=0 fail=0
server_pids=()

cleanup() {
	mountpoint -q "$tmp/small" 2>/dev/null && umount "$tmp/small"
	[ ${#server_pids[@]} -gt 0 ] && kill "${server_pids[@]}" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

ok() { pass=$((pass + 1)); echo "ok   $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; }
check() { local name=$1; shift; if "$@"; then ok "$name"; else bad "$name"; fi; }

# The file has records, each line is one whole JSON object (read line by
# line: jq alone would also take two objects on a line, or one split over
# two), and the file ends with a newline.
whole_lines() {
	local f=$1
	[ -s "$f" ] || return 1
	[ "$(tail -c1 "$f" | od -An -c | tr -d ' ')" = '\n' ] || return 1
	jq -R -e 'fromjson | if type == "object" then true else error("not an object") end' \
		"$f" >/dev/null
}

exit_is() { # expected-status command...
	local want=$1; shift
	"$@" >"$tmp/out" 2>"$tmp/err" </dev/null
	local got=$?
	[ "$got" = "$want" ] || { echo "  exit $got, want $want: $*"; cat "$tmp/err"; return 1; }
}

err_says() { grep -q -- "$1" "$tmp/err" || { echo "  stderr lacks '$1':"; cat "$tmp/err"; return 1; }; }

start_site() { # pages variable: serve a site, put its URL in the variable
	"$sitegen" --pages "$1" --lifetime 300 >"$tmp/url.$1" &
	server_pids+=($!)
	for _ in $(seq 50); do [ -s "$tmp/url.$1" ] && break; sleep 0.1; done
	printf -v "$2" '%s' "$(cat "$tmp/url.$1")"
}

# --- usage errors: exit 2 with a message naming the problem -------------------
check "no URL is a usage error" exit_is 2 "$crawler"
check "  ... and says so" err_says "no URL given"
check "unknown option" exit_is 2 "$crawler" --bogus http://127.0.0.1/
check "  ... named" err_says "--bogus"
check "bad number" exit_is 2 "$crawler" -c abc http://127.0.0.1/
check "  ... named" err_says "concurrency"
check "bad duration" exit_is 2 "$crawler" --timeout 5parsecs http://127.0.0.1/
check "bad size" exit_is 2 "$crawler" --max-size -1 http://127.0.0.1/
check "bad scope" exit_is 2 "$crawler" --scope planet http://127.0.0.1/
check "bad --include regex" exit_is 2 "$crawler" --include '([' http://127.0.0.1/
check "  ... named" err_says "--include"
check "bad --retries" exit_is 2 "$crawler" --retries many http://127.0.0.1/
check "--state without --output" exit_is 2 "$crawler" --state "$tmp/st0" http://127.0.0.1/
check "  ... says why" err_says "--state needs --output"
check "non-http seed" exit_is 2 "$crawler" ftp://127.0.0.1/
check "  ... named" err_says "ftp://127.0.0.1/"
check "malformed seed" exit_is 2 "$crawler" "http://"
check "unreadable seed file" exit_is 2 "$crawler" -i "$tmp/none.txt"
check "  ... named" err_says "none.txt"
check "--help exits 0" exit_is 0 "$crawler" --help
check "  ... lists --max-depth" grep -q -- "--max-depth" "$tmp/out"
check "--version exits 0" exit_is 0 "$crawler" --version
check "  ... prints the version" grep -q "^crawler [0-9]" "$tmp/out"
check "unreadable --ca-certificate" exit_is 2 "$crawler" --ca-certificate "$tmp/none.pem" https://127.0.0.1/
check "  ... named with its file" err_says "--ca-certificate: cannot read '$tmp/none.pem'"
check "unreadable SSL_CERT_DIR" exit_is 2 env -u CURL_CA_BUNDLE SSL_CERT_DIR="$tmp/no-certs" "$crawler" https://127.0.0.1/
check "  ... named" err_says "environment variable SSL_CERT_DIR"

start_site 2000 site
# Big enough that no crawl of it ends before a signal arrives.
start_site 1000000 big_site

# --- a full crawl -------------------------------------------------------------
check "full crawl exits 0" exit_is 0 "$crawler" -q -o "$tmp/site.jsonl" --stats "$tmp/stats.json" "$site"
check "every line is a whole JSON object" whole_lines "$tmp/site.jsonl"
records=$(wc -l <"$tmp/site.jsonl")
check "one record per URL, none twice" test "$(jq -r .url "$tmp/site.jsonl" | sort -u | wc -l)" = "$records"
check "the summary counts every record" test "$(jq .pages "$tmp/stats.json")" = "$records"
check "the summary says the crawl is done" test "$(jq -r .stop "$tmp/stats.json")" = done
# The README shows records and a summary: they must have the fields, in the
# order, that the program writes today.
readme=$(dirname "$0")/../README.md
readme_keys() { sed -n '/^```json$/,/^```$/p' "$readme" | grep '^{' | jq -c "select(has(\"$1\")) | keys_unsorted" | sort -u; }
check "the README's records have the fields records have" \
	test "$(readme_keys url)" = "$(jq -c 'keys_unsorted' "$tmp/site.jsonl" | sort -u)"
check "the README's summary has the fields the summary has" \
	test "$(readme_keys pages)" = "$(jq -c 'keys_unsorted' "$tmp/stats.json")"
check "more than the 2000 pages (404s, redirects, files)" test "$records" -gt 2000
check "404s recorded" test "$(jq -s 'map(select(.status == 404)) | length' "$tmp/site.jsonl")" -gt 0
check "301s recorded with a location" test "$(jq -s 'map(select(.status == 301 and (.location | type) == "string")) | length' "$tmp/site.jsonl")" -gt 0
check "standard output is the default" exit_is 0 "$crawler" -q -d 1 "$site"
check "  ... with whole lines" whole_lines "$tmp/out"

# --- what goes to standard error -----------------------------------------------
check "-v logs a line per fetched URL" exit_is 0 "$crawler" -v --no-progress -d 1 -o "$tmp/v.jsonl" "$site"
check "  ... one per record (and the summary)" test "$(grep -c "^[0-9-]* http" "$tmp/err")" = "$(wc -l <"$tmp/v.jsonl")"
check "--progress draws the status line" exit_is 0 "$crawler" --progress -d 2 -o "$tmp/p.jsonl" "$site"
check "  ... with time, pages, bytes, queue, 4xx, 5xx and errors" \
	grep -Eq "[0-9.]+s \| [0-9]+ pages, [0-9.]+/s \| [0-9.]+ (B|KiB|MiB) \| [0-9]+ queued \| [0-9]+ in flight \| 4xx [0-9]+ \| 5xx [0-9]+ \| [0-9]+ errors" "$tmp/err"
check "not on a terminal, the summary goes to standard error" exit_is 0 "$crawler" --no-progress -d 1 -o "$tmp/j.jsonl" "$site"
is_summary() { jq -e .pages "$1" >/dev/null; }
check "  ... as one JSON object" is_summary "$tmp/err"
# script(1) gives the crawler a terminal for standard error.
on_a_terminal() { script -qec "$*" /dev/null >"$tmp/tty" </dev/null; }
check "on a terminal the summary is lines for a person" on_a_terminal "$crawler" --no-progress -d 1 -o "$tmp/tty.jsonl" "$site"
check "  ... saying why it ended and what it fetched" grep -Eq "^crawler: done after [0-9.]+s: [0-9]+ pages" "$tmp/tty"
check "  ... with responses by class" grep -Eq "^  responses: [0-9]+ 2xx, [0-9]+ 3xx, [0-9]+ 4xx, [0-9]+ 5xx" "$tmp/tty"
check "  ... and no JSON" sh -c "! grep -q '\"pages\"' '$tmp/tty'"
check "-q prints nothing on success" exit_is 0 "$crawler" -q -d 1 -o "$tmp/q.jsonl" "$site"
check "  ... really nothing" test ! -s "$tmp/err"

# --- seeds from standard input --------------------------------------------------
printf '# a comment\n\n  %s  \n' "$site" >"$tmp/seeds.txt"
check "seeds from -i - (stdin)" bash -c "'$crawler' -q -d 0 -i - <'$tmp/seeds.txt' >'$tmp/stdin.jsonl'"
check "  ... fetched the one seed" test "$(wc -l <"$tmp/stdin.jsonl")" = 1

# --- output failures: exit 1, a message, no partial line -----------------------
check "unwritable output exits 1" exit_is 1 "$crawler" -q -o /dev/full "$site"
check "  ... and says why" err_says "cannot write output"
check "output in a missing directory exits 1" exit_is 1 "$crawler" -o "$tmp/no/such/dir/x.jsonl" "$site"

# --- nothing could be fetched: exit 3, and a message -----------------------------
# A crawl that got no HTTP response at all, whatever the reason, is not a
# success that cron or CI should take for one; any response at all is.
# (Its log of the TLS handshake it cannot read is no news here.)
"$sitegen" --pages 10 --lifetime 300 --robots $'User-agent: *\nDisallow: /\n' >"$tmp/url.closed" 2>/dev/null &
server_pids+=($!)
for _ in $(seq 50); do [ -s "$tmp/url.closed" ] && break; sleep 0.1; done
closed_site=$(cat "$tmp/url.closed")
tls_site=${closed_site/http:/https:}
check "an unresolvable seed exits 3" exit_is 3 "$crawler" -q -o "$tmp/x.jsonl" http://nonexistent.invalid/
check "  ... and says nothing could be fetched" err_says "nothing could be fetched"
check "  ... still recording the seed" test "$(jq -r .error.kind "$tmp/x.jsonl")" = dns
check "every seed refused by robots.txt exits 3" exit_is 3 "$crawler" -q -o "$tmp/x.jsonl" "$closed_site" "${closed_site}p/1.html"
check "  ... each recorded as refused" test "$(jq -r .error.kind "$tmp/x.jsonl" | sort -u)" = robots
check "a refused connection exits 3" exit_is 3 "$crawler" -q -o "$tmp/x.jsonl" http://127.0.0.1:1/
check "a failed TLS handshake exits 3" exit_is 3 "$crawler" -q -o "$tmp/x.jsonl" "$tls_site"
check "  ... recorded as tls" test "$(jq -r .error.kind "$tmp/x.jsonl")" = tls
check "one seed answering is enough for exit 0" exit_is 0 "$crawler" -q -d 0 -o "$tmp/x.jsonl" http://nonexistent.invalid/ "$site"
check "a 404 is a response: exit 0" exit_is 0 "$crawler" -q -o "$tmp/x.jsonl" "${site}missing/1.html"

# --- stops ---------------------------------------------------------------------
check "--max-pages stops with exit 0" exit_is 0 "$crawler" -q -n 10 -o "$tmp/n.jsonl" "$site"
check "  ... after exactly 10 records" test "$(wc -l <"$tmp/n.jsonl")" = 10

check "--max-time stops with exit 0" exit_is 0 "$crawler" -q -T 1s -o "$tmp/t.jsonl" --stats "$tmp/t.stats" "$big_site"
check "  ... saying max-time" test "$(jq -r .stop "$tmp/t.stats")" = max-time
check "  ... with whole lines" whole_lines "$tmp/t.jsonl"
check "--max-depth 2 exits 0" exit_is 0 "$crawler" -q -d 2 -o "$tmp/d.jsonl" "$site"
check "  ... and goes no deeper" test "$(jq -s 'map(.depth) | max' "$tmp/d.jsonl")" = 2

# The password is blanked in the running process's arguments (ps shows them).
"$crawler" -q -T 5s -o "$tmp/pw.jsonl" --user alice --password s3cret --passw=t0p "$big_site" &
pw_pid=$!
sleep 1
tr '\0' ' ' </proc/$pw_pid/cmdline >"$tmp/pw.cmdline"
kill -INT $pw_pid; wait $pw_pid
check "--password is blanked in /proc/PID/cmdline" sh -c "! grep -Eq 's3cret|t0p' '$tmp/pw.cmdline'"
check "  ... the rest of the command line is left as it was" grep -q -- "--user alice --password \*\*\*\*\*\* --passw=\*\*\*" "$tmp/pw.cmdline"

sig_run() { # signal count outfile
	"$crawler" -q -o "$3" --stats "$3.stats" "$big_site" &
	local pid=$!
	sleep 1
	for _ in $(seq "$2"); do kill -"$1" $pid 2>/dev/null; sleep 0.05; done
	wait $pid
}
sig_run INT 1 "$tmp/int.jsonl"; st=$?
check "SIGINT exits 130" test "$st" = 130
check "  ... with whole lines" whole_lines "$tmp/int.jsonl"
check "  ... and a summary saying interrupted" test "$(jq -r .stop "$tmp/int.jsonl.stats")" = interrupted
sig_run TERM 1 "$tmp/term.jsonl"; st=$?
check "SIGTERM exits 143" test "$st" = 143
check "  ... with whole lines" whole_lines "$tmp/term.jsonl"
# A second signal exits at once, but first writes every record the writer
# had taken. Its -v log goes to a reader that takes about 1000 lines a
# second, so the writer is behind, holding records not yet written, when the
# signals come; a record it logged is one it had taken.
two_signals() { # signal outfile
	mkfifo "$2.fifo"
	(n=0; while IFS= read -r l; do
		printf '%s\n' "$l"; n=$((n + 1)); [ $((n % 20)) = 0 ] && sleep 0.02
	done <"$2.fifo" >"$2.log") &
	local reader=$!
	"$crawler" -v --no-progress -o "$2" "$big_site" 2>"$2.fifo" &
	local pid=$!
	sleep 1.5
	kill -"$1" $pid; kill -"$1" $pid
	wait $pid
	local st=$?
	wait $reader
	return $st
}
taken_are_written() { # outfile
	local lost
	lost=$(comm -23 <(awk '/^[0-9-]+ http/ { print $2 }' "$1.log" | sort -u) \
		<(jq -r .url "$1" | sort -u) | wc -l)
	[ "$lost" = 0 ] || { echo "  $lost records taken and not written"; return 1; }
}
two_signals INT "$tmp/int2.jsonl"; st=$?
check "a second SIGINT exits at once with 130" test "$st" = 130
check "  ... still with whole lines" whole_lines "$tmp/int2.jsonl"
check "  ... and every record the writer had taken" taken_are_written "$tmp/int2.jsonl"
two_signals TERM "$tmp/term2.jsonl"; st=$?
check "a second SIGTERM exits at once with 143" test "$st" = 143
check "  ... still with whole lines" whole_lines "$tmp/term2.jsonl"
check "  ... and every record the writer had taken" taken_are_written "$tmp/term2.jsonl"

# --- kill -9 at random moments, resume each time: nothing lost, nothing twice ---
jq -r .url "$tmp/site.jsonl" | sort >"$tmp/site.urls"
kills=0
for i in $(seq 6); do
	"$crawler" -q -c 4 --delay 2ms --state "$tmp/state" -o "$tmp/resumed.jsonl" "$site" &
	pid=$!
	sleep "0.$((RANDOM % 4))$((RANDOM % 10))"
	kill -9 $pid 2>/dev/null && kills=$((kills + 1))
	wait $pid 2>/dev/null
done
check "the crawl was killed at least once" test "$kills" -gt 0
check "resume after $kills kills finishes with exit 0" exit_is 0 "$crawler" -q -c 4 --state "$tmp/state" -o "$tmp/resumed.jsonl" "$site"
check "  ... with whole lines" whole_lines "$tmp/resumed.jsonl"
check "  ... no URL recorded twice" test -z "$(jq -r .url "$tmp/resumed.jsonl" | sort | uniq -d)"
check "  ... and every URL of a clean crawl recorded" diff -q "$tmp/site.urls" <(jq -r .url "$tmp/resumed.jsonl" | sort)
check "a finished crawl resumes to nothing" exit_is 0 "$crawler" -q --state "$tmp/state" -o "$tmp/resumed.jsonl" --stats "$tmp/again.stats" "$site"
check "  ... fetching no page" test "$(jq .pages "$tmp/again.stats")" = 0

# --- the same with --warc: the archive has each response once, and every line ---
# --- points at its own record -------------------------------------------------
warc_uris() { # files...: the target URI of each response and revisit record
	for f in "$@"; do zcat "$f"; done | tr -d '\r' | awk '
		/^WARC\/1\.1$/ { type = "" }
		/^WARC-Type: / { type = $2 }
		/^WARC-Target-URI: / && (type == "response" || type == "revisit") { print $2 }'
}
lines_point_home() { # jsonl: dd + zcat of each line's "warc" is its response
	local url file off len bad=0
	while IFS=$'\t' read -r url file off len; do
		dd if="$file" skip="$off" count="$len" iflag=skip_bytes,count_bytes 2>/dev/null |
			zcat | tr -d '\r' | grep -qx "WARC-Target-URI: $url" || bad=$((bad + 1))
	done < <(jq -r 'select(.warc) | [.url, .warc.file, .warc.offset, .warc.length] | @tsv' "$1")
	[ "$bad" = 0 ] || { echo "  $bad lines do not point at their record"; return 1; }
}
kills=0
mkdir -p "$tmp/w"
for i in $(seq 6); do
	"$crawler" -q -c 4 --delay 2ms --state "$tmp/wstate" --warc "$tmp/w/crawl.warc.gz" \
		--warc-max-size 20k -o "$tmp/warc.jsonl" "$site" 2>/dev/null &
	pid=$!
	sleep "0.$((RANDOM % 4))$((RANDOM % 10))"
	kill -9 $pid 2>/dev/null && kills=$((kills + 1))
	wait $pid 2>/dev/null
done
check "--warc: resume after $kills kills finishes with exit 0" exit_is 0 "$crawler" -q -c 4 \
	--state "$tmp/wstate" --warc "$tmp/w/crawl.warc.gz" --warc-max-size 20k -o "$tmp/warc.jsonl" "$site"
check "  ... every URL of a clean crawl recorded once" diff -q "$tmp/site.urls" <(jq -r .url "$tmp/warc.jsonl" | sort)
check "  ... every response archived once (robots.txt aside)" \
	test -z "$(warc_uris "$tmp"/w/crawl-*.warc.gz | grep -v '/robots.txt$' | sort | uniq -d)"
check "  ... and every one with its line" diff -q \
	<(warc_uris "$tmp"/w/crawl-*.warc.gz | grep -v '/robots.txt$' | sort) \
	<(jq -r 'select(.status) | .url' "$tmp/warc.jsonl" | sort)
check "  ... every line points at its own record" lines_point_home "$tmp/warc.jsonl"

# --- a crawl in time slices, cut by --max-time, SIGINT and SIGTERM -------------
# Two slow sites (every answer takes 0.1 s), so each stop cuts transfers off
# in flight: their URLs must be fetched by a later run, and the union of the
# outputs must be the clean crawl's URLs, each once, as its final answer.
start_slow() { # variable: a slow site of 500 pages, its URL in the variable
	"$sitegen" --pages 500 --delay-ms 100 --lifetime 300 >"$tmp/url.slow.$1" &
	server_pids+=($!)
	for _ in $(seq 50); do [ -s "$tmp/url.slow.$1" ] && break; sleep 0.1; done
	printf -v "$1" '%s' "$(cat "$tmp/url.slow.$1")"
}
start_slow slow_a
start_slow slow_b
"$crawler" -q -c 64 --per-host 32 -o "$tmp/slow-clean.jsonl" "$slow_a" "$slow_b"
jq -r .url "$tmp/slow-clean.jsonl" | sort >"$tmp/slow.urls"
slice() { # signal stats-file: stopped by the signal after 1 s, or with no signal by -T 2s
	local limit=()
	[ -z "$1" ] && limit=(-T 2s)
	"$crawler" -q --state "$tmp/slices" -o "$tmp/sliced.jsonl" --stats "$2" \
		"${limit[@]}" "$slow_a" "$slow_b" &
	local pid=$!
	if [ -n "$1" ]; then sleep 1; kill -"$1" $pid; fi
	wait $pid
}
slice "" "$tmp/slice1.stats"; st1=$?
slice INT "$tmp/slice2.stats"; st2=$?
slice TERM "$tmp/slice3.stats"; st3=$?
check "a --max-time slice exits 0" test "$st1" = 0
check "  ... cut transfers off" test "$(jq .not_fetched "$tmp/slice1.stats")" -gt 0
check "a SIGINT slice exits 130" test "$st2" = 130
check "  ... cut transfers off" test "$(jq .not_fetched "$tmp/slice2.stats")" -gt 0
check "a SIGTERM slice exits 143" test "$st3" = 143
check "  ... cut transfers off" test "$(jq .not_fetched "$tmp/slice3.stats")" -gt 0
check "the last slice runs to the end" exit_is 0 "$crawler" -q --state "$tmp/slices" -o "$tmp/sliced.jsonl" --stats "$tmp/slice4.stats" "$slow_a" "$slow_b"
check "  ... saying done" test "$(jq -r .stop "$tmp/slice4.stats")" = done
check "  ... with whole lines" whole_lines "$tmp/sliced.jsonl"
check "  ... no record canceled: each is a final answer" test "$(jq -r 'select(.error.kind == "canceled") | .url' "$tmp/sliced.jsonl" | wc -l)" = 0
check "  ... no URL recorded twice" test -z "$(jq -r .url "$tmp/sliced.jsonl" | sort | uniq -d)"
check "  ... and every URL of a clean crawl recorded" diff -q "$tmp/slow.urls" <(jq -r .url "$tmp/sliced.jsonl" | sort)

# --- a full disk: exit 1, whole lines, and the journal lets a resume finish -----
if [ "$(id -u)" = 0 ] && mkdir -p "$tmp/small" &&
   mount -t tmpfs -o size=64k tmpfs "$tmp/small" 2>/dev/null; then
	check "a full disk exits 1" exit_is 1 "$crawler" -q --state "$tmp/full-state" -o "$tmp/small/out.jsonl" "$site"
	check "  ... and says why" err_says "cannot write output"
	check "  ... leaving whole lines" whole_lines "$tmp/small/out.jsonl"
	mount -o remount,size=64m "$tmp/small"
	check "  ... then, with room, the same command finishes" exit_is 0 "$crawler" -q --state "$tmp/full-state" -o "$tmp/small/out.jsonl" "$site"
	check "  ... with every URL once" diff -q "$tmp/site.urls" <(jq -r .url "$tmp/small/out.jsonl" | sort)
	umount "$tmp/small"
else
	echo "skip full-disk checks: they need root to mount a tmpfs"
fi

# --- HTTP request options (issue 9) ----------------------------------------------
check "malformed --resolve is a usage error" exit_is 2 "$crawler" --resolve a.test:80 http://127.0.0.1/
check "  ... named" err_says "--resolve: 'a.test:80'"
check "--password without --user" exit_is 2 "$crawler" --password hunter2 http://127.0.0.1/
check "  ... says so, without the password" bash -c "grep -q -- '--password needs --user' '$tmp/err' && ! grep -q hunter2 '$tmp/err'"
check "unreadable --load-cookies" exit_is 2 "$crawler" --load-cookies "$tmp/no-jar.txt" http://127.0.0.1/
check "  ... named" err_says "no-jar.txt"
mkdir -p "$tmp/jar-dir"
check "--save-cookies that cannot be written exits 1" exit_is 1 "$crawler" -q -d 0 --save-cookies "$tmp/jar-dir" -o "$tmp/jd.jsonl" "$site"
check "  ... and says why" err_says "cannot save cookies to"
check "  ... leaving no temporary file" test -z "$(ls "$tmp" | grep '^jar-dir\.')"
"$crawler" -q --save-cookies "$tmp/int.jar" -o "$tmp/jar.jsonl" "$big_site" &
pid=$!
sleep 1
kill -INT $pid
wait $pid; st=$?
check "SIGINT still saves the cookie jar" test "$st" = 130 -a "$(head -1 "$tmp/int.jar")" = "# Netscape HTTP Cookie File"
check "a seed without a scheme is http" exit_is 0 "$crawler" -q -d 0 "${site#http://}"
check "  ... recorded as such" test "$(jq -r .url "$tmp/out")" = "$site"

# --- a crawl shared through Redis: two workers and a collector -----------------
# (Under ThreadSanitizer this is what drives the workers' renewer, publish and
# take-ahead threads and locks.)
if command -v redis-server >/dev/null; then
	# A free port: a few tries, each given 10 s to answer.
	for _ in 1 2 3 4 5; do
		rport=$((20000 + RANDOM % 12000)) # below the ephemeral ports
		redis-server --port "$rport" --bind 127.0.0.1 --save '' --appendonly no \
			--dir "$tmp" --logfile "$tmp/redis.log" &
		rpid=$!
		for _ in $(seq 100); do
			redis-cli -p "$rport" ping >/dev/null 2>&1 && break 2
			kill -0 "$rpid" 2>/dev/null || break
			sleep 0.1
		done
		kill "$rpid" 2>/dev/null
		wait "$rpid" 2>/dev/null
	done
	server_pids+=($rpid)
	check "redis-server answers" redis-cli -p "$rport" ping
	R="--redis redis://127.0.0.1:$rport --crawl e2e"
	"$crawler" -q -o "$tmp/one.jsonl" "$site"
	"$crawler" $R --collect -o "$tmp/shared.jsonl" --stats "$tmp/shared.stats" -q 2>"$tmp/coll.err" &
	cpid=$!
	"$crawler" $R -q -c 4 "$site" 2>"$tmp/w1.err" &
	w1=$!
	sleep 0.2
	"$crawler" $R -q -c 4 2>"$tmp/w2.err"; w2st=$?
	wait $w1; w1st=$?
	wait $cpid; cst=$?
	check "shared crawl: workers and collector exit 0" test "$w1st$w2st$cst" = 000
	check "  ... the output is whole lines" whole_lines "$tmp/shared.jsonl"
	check "  ... with the URLs one process records, once each" \
		cmp <(jq -r .url "$tmp/one.jsonl" | sort) <(jq -r .url "$tmp/shared.jsonl" | sort)
	check "  ... and the summary counts them" \
		test "$(jq .pages "$tmp/shared.stats")" = "$(wc -l <"$tmp/one.jsonl")"
	check "  ... and no key is left" test "$(redis-cli -p "$rport" dbsize)" = 0
	check "joining a crawl that is not there is a usage error" exit_is 2 "$crawler" $R -q
	check "  ... that says so" err_says "no crawl 'e2e'"
	check "a worker with --output is a usage error" exit_is 2 "$crawler" $R -o "$tmp/x.jsonl" "$site"
fi

# --- valgrind over a whole crawl (plain builds only: not under a sanitizer) -----
# The plain build's malloc is mimalloc's: the synonym has valgrind track it.
if [ -n "${E2E_VALGRIND:-}" ]; then
	check "valgrind: a whole crawl with no error and no leak" \
		valgrind -q --leak-check=full --errors-for-leak-kinds=definite,possible \
		--soname-synonyms=somalloc='libmimalloc.so*' \
		--error-exitcode=99 "$crawler" -q -o "$tmp/vg.jsonl" "$site"
fi

# --- the manual ------------------------------------------------------------------
man_dir=$(dirname "$0")/../man
check "man page renders" bash -c "MANWIDTH=80 man -l '$man_dir/crawler.1' >/dev/null 2>'$tmp/man.err' && [ ! -s '$tmp/man.err' ]"

echo "e2e: $pass passed, $fail failed"
[ "$fail" = 0 ]
