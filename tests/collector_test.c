/* collector_test: the collector of a distributed crawl (collector.h) on a
 * real redis-server of each test's own (tests/support/redissrv.h), fed by
 * XADDs of the test standing in for the workers: the lines in stream order,
 * the summary from the entries' meta and the crawl's counts, the keys gone
 * at the end (or kept), a stop and a restart that neither skip nor repeat a
 * line or a WARC record, bytes a kill left past the checkpoint cut, the
 * "warc" of each line pointing at its record. And the wire form of an
 * exchange (exchange.h): a round trip, and no input it reads past. */
#include <criterion/criterion.h>
#include <hiredis.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "collector.h"
#include "ctx.h"
#include "exchange.h"
#include "redissrv.h"
#include "warc_read.h"

#define NAME "t1"
#define KEY(k) "C:{" NAME "}:" k

static struct redissrv *srv;
static redisContext *admin; /* the test's own connection: the workers */
static char dir[64];
static char out_path[128], warc_path[128];

static void start_redis(bool aof)
{
	srv = redissrv_start(aof);
	admin = redisConnect("127.0.0.1", srv->port);
	cr_assert(admin && !admin->err, "connect to redis on port %u", srv->port);
	snprintf(dir, sizeof(dir), "/tmp/coll-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(out_path, sizeof(out_path), "%s/out.jsonl", dir);
	snprintf(warc_path, sizeof(warc_path), "%s/crawl.warc.gz", dir);
}

static void start(void)
{
	start_redis(false);
}

static void start_with_aof(void)
{
	start_redis(true);
}

static void stop(void)
{
	char cmd[128];

	redisFree(admin);
	redissrv_stop(srv);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	cr_expect_eq(system(cmd), 0);
}

static void redis_ok(redisReply *rep)
{
	cr_assert(rep && rep->type != REDIS_REPLY_ERROR, "redis: %s",
		  rep ? rep->str : admin->errstr);
	freeReplyObject(rep);
}

static int64_t realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* The crawl as its first worker makes it. */
static void make_crawl(int64_t start_ns, int64_t max_time_ms, int64_t lease_ttl_ns)
{
	redis_ok(redisCommand(admin, "HSET " KEY("meta") " start %lld max_time_ms %lld "
			      "lease_ttl_ns %lld", (long long)start_ns,
			      (long long)max_time_ms, (long long)lease_ttl_ns));
}

/* Every admitted URL done: the crawl is over once the stream is read. */
static void crawl_done(void)
{
	redis_ok(redisCommand(admin, "HSET " KEY("counts") " begun 1 pending 0"));
}

static int status_of(size_t i)
{
	return i % 10 == 3 ? 404 : i % 10 == 7 ? 0 : 200;
}

/* Record i's line as a worker sends it, "warc":null at *wa. */
static char *line_of(size_t i, size_t *wa)
{
	char *line;

	cr_assert_gt(asprintf(&line, "{\"url\":\"http://a.test/%zu\",\"status\":%d,"
			      "\"warc\":null}\n", i, status_of(i)), 0);
	*wa = (size_t)(strstr(line, "\"warc\":") - line) + 7;
	return line;
}

static void add_record(size_t i)
{
	size_t wa;
	char *line = line_of(i, &wa);
	char meta[64];

	/* The first two are sitemaps read. */
	snprintf(meta, sizeof(meta), "%d %d %zu %d", status_of(i),
		 status_of(i) ? 0 : RECORD_ERR_CONNECT, status_of(i) ? 100 + i : 0,
		 i < 2);
	redis_ok(redisCommand(admin, "XADD " KEY("results") " * line %s meta %s",
			      line, meta));
	free(line);
}

static void add_records(size_t from, size_t to)
{
	for (size_t i = from; i < to; i++)
		add_record(i);
}

static char *expected_lines(size_t from, size_t to)
{
	size_t len = 0, cap = 64 * (to - from) + 1, wa;
	char *all = malloc(cap);

	cr_assert_not_null(all);
	all[0] = '\0';
	for (size_t i = from; i < to; i++) {
		char *line = line_of(i, &wa);

		cr_assert_lt(len + strlen(line), cap);
		memcpy(all + len, line, strlen(line) + 1);
		len += strlen(line);
		free(line);
	}
	return all;
}

static char *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *p;
	long n;

	cr_assert_not_null(f, "open %s", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	p = malloc((size_t)n + 1);
	cr_assert_not_null(p);
	cr_assert_eq(fread(p, 1, (size_t)n, f), (size_t)n);
	p[n] = '\0';
	fclose(f);
	if (len)
		*len = (size_t)n;
	return p;
}

static size_t keys_of_crawl(void)
{
	redisReply *rep = redisCommand(admin, "KEYS C:{" NAME "}:*");
	size_t n;

	cr_assert(rep && rep->type == REDIS_REPLY_ARRAY);
	n = rep->elements;
	freeReplyObject(rep);
	return n;
}

static long long integer(const char *cmd)
{
	redisReply *rep = redisCommand(admin, cmd);
	long long v;

	cr_assert(rep && rep->type == REDIS_REPLY_INTEGER, "%s", cmd);
	v = rep->integer;
	freeReplyObject(rep);
	return v;
}

/* The value of a hash field, malloc'd, or NULL. */
static char *hget(const char *key, const char *field)
{
	redisReply *rep = redisCommand(admin, "HGET %s %s", key, field);
	char *v = NULL;

	cr_assert_not_null(rep);
	if (rep->type == REDIS_REPLY_STRING)
		v = strdup(rep->str);
	freeReplyObject(rep);
	return v;
}

static char *get(const char *key)
{
	redisReply *rep = redisCommand(admin, "GET %s", key);
	char *v = NULL;

	cr_assert_not_null(rep);
	if (rep->type == REDIS_REPLY_STRING)
		v = strdup(rep->str);
	freeReplyObject(rep);
	return v;
}

struct run {
	const char *warc;
	bool keep, verbose;
	FILE *log;              /* NULL: stderr */
	struct ctx *stop;
	const char *output;     /* NULL: out_path */
	const char *url;        /* NULL: srv->url */
	const char *name;       /* NULL: NAME */
	struct crawl_result res;
	char err[512];
};

static enum collector_status collect(struct run *r)
{
	struct collector_config cfg = {
		.redis_url = r->url ? r->url : srv->url,
		.crawl_name = r->name ? r->name : NAME,
		.output = r->output ? r->output : out_path,
		.warc = r->warc, .keep = r->keep, .verbose = r->verbose,
		.stop = r->stop, .log = r->log ? r->log : stderr,
	};

	return collector_run(&cfg, &r->res, r->err, sizeof(r->err));
}

/* A run that takes one batch and stops, as on a signal: its ctx is
 * cancelled before it starts. */
static void collect_one_batch(const char *warc)
{
	struct ctx cancelled;
	struct run r = { .warc = warc, .stop = &cancelled };

	ctx_init(&cancelled, NULL, 0);
	ctx_cancel(&cancelled, CRAWL_INTERRUPTED);
	cr_assert_eq(collect(&r), COLLECTOR_OK, "%s", r.err);
	cr_expect_eq(r.res.stop, CRAWL_INTERRUPTED);
	crawl_result_release(&r.res);
	ctx_release(&cancelled);
}

static void expect_output(size_t n)
{
	char *want = expected_lines(0, n), *got = read_all(out_path, NULL);

	cr_expect_str_eq(got, want);
	free(want);
	free(got);
}

/* ---- exchange ---- */

static const char req[] = "GET /a HTTP/1.1\r\nHost: a.test\r\n\r\n";
static const char head[] = "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n";
static const char body[] = "<p>hello\0world</p>";
static const char digest[] = "sha1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

static struct warc_exchange full_exchange(void)
{
	return (struct warc_exchange){
		.uri = "http://a.test/a", .ip = "127.0.0.1", .date_ms = 1764633600123,
		.request = req, .request_len = sizeof(req) - 1,
		.head = head, .head_len = sizeof(head) - 1,
		.payload = body, .payload_len = sizeof(body) - 1,
		.compressed = true, .payload_digest = digest, .truncated = "length",
	};
}

/* p, n bytes, in an allocation of exactly n bytes: a read past it is one
 * ASan sees. */
static char *exact_copy(const char *p, size_t n)
{
	char *q = malloc(n ? n : 1);

	cr_assert_not_null(q);
	if (n)
		memcpy(q, p, n);
	return q;
}

static bool inside(const char *s, size_t n, const char *p, size_t len)
{
	return !s || (s >= p && s + n < p + len && s[n] == '\0');
}

Test(exchange, a_round_trip_keeps_every_field)
{
	struct warc_exchange x = full_exchange(), y;
	size_t len;
	char *p = exchange_pack(&x, &len);

	cr_assert_not_null(p);
	cr_assert(exchange_unpack(p, len, &y));
	cr_expect_str_eq(y.uri, x.uri);
	cr_expect_str_eq(y.ip, x.ip);
	cr_expect_eq(y.date_ms, x.date_ms);
	cr_expect_eq(y.request_len, x.request_len);
	cr_expect_eq(memcmp(y.request, req, x.request_len), 0);
	cr_expect_eq(y.head_len, x.head_len);
	cr_expect_eq(memcmp(y.head, head, x.head_len), 0);
	cr_expect_eq(y.payload_len, x.payload_len);
	cr_expect_eq(memcmp(y.payload, body, x.payload_len), 0);
	cr_expect(y.compressed);
	cr_expect_str_eq(y.payload_digest, digest);
	cr_expect_str_eq(y.truncated, "length");
	cr_expect_null(y.block);
	free(p);
}

Test(exchange, what_may_be_null_comes_back_null_and_the_rest_empty)
{
	struct warc_exchange x = { .uri = "http://a.test/", .date_ms = 0 }, y;
	size_t len;
	char *p = exchange_pack(&x, &len);

	cr_assert_not_null(p);
	cr_assert(exchange_unpack(p, len, &y));
	cr_expect_str_eq(y.uri, "http://a.test/");
	cr_expect_null(y.ip);
	cr_expect_null(y.request);
	cr_expect_eq(y.request_len, 0);
	cr_expect_str_eq(y.head, "");
	cr_expect_str_eq(y.payload, "");
	cr_expect_eq(y.payload_len, 0);
	cr_expect_not(y.compressed);
	cr_expect_null(y.payload_digest);
	cr_expect_null(y.truncated);
	free(p);
}

Test(exchange, every_cut_and_a_byte_more_are_refused)
{
	struct warc_exchange x = full_exchange(), y;
	size_t len;
	char *p = exchange_pack(&x, &len), *q;

	cr_assert_not_null(p);
	for (size_t n = 0; n < len; n++) {
		q = exact_copy(p, n);
		cr_expect_not(exchange_unpack(q, n, &y), "cut at %zu of %zu", n, len);
		free(q);
	}
	q = malloc(len + 1);
	cr_assert_not_null(q);
	memcpy(q, p, len);
	q[len] = '\0';
	cr_expect_not(exchange_unpack(q, len + 1, &y));
	free(q);
	free(p);
}

Test(exchange, another_version_a_bad_digest_or_a_line_break_in_a_field_is_refused)
{
	struct warc_exchange x = full_exchange(), y;
	size_t len;
	char *p;

	p = exchange_pack(&x, &len);
	p[0] = EXCHANGE_VERSION + 1;
	cr_expect_not(exchange_unpack(p, len, &y));
	free(p);
	x = full_exchange();
	x.payload_digest = "sha1:short";
	p = exchange_pack(&x, &len);
	cr_expect_not(exchange_unpack(p, len, &y));
	free(p);
	x = full_exchange();
	x.uri = "http://a.test/\r\nWARC-Type: evil";
	p = exchange_pack(&x, &len);
	cr_expect_not(exchange_unpack(p, len, &y));
	free(p);
	x = full_exchange();
	x.date_ms = -1;
	p = exchange_pack(&x, &len);
	cr_expect_not(exchange_unpack(p, len, &y));
	free(p);
}

/* Every byte of a good packing changed to a few values, and random bytes
 * of every length to 300: whatever unpack takes points inside the bytes. */
Test(exchange, garbage_is_refused_or_read_within_its_bounds)
{
	static const unsigned char values[] = { 0x00, 0x01, 0x7f, 0x80, 0xff };
	struct warc_exchange x = full_exchange(), y;
	unsigned seed = 11;
	size_t len;
	char *p = exchange_pack(&x, &len), *q;

	cr_assert_not_null(p);
	for (size_t i = 0; i < len; i++)
		for (size_t v = 0; v < sizeof(values); v++) {
			q = exact_copy(p, len);
			q[i] = (char)values[v];
			if (exchange_unpack(q, len, &y)) {
				cr_expect(inside(y.uri, strlen(y.uri), q, len));
				cr_expect(inside(y.ip, y.ip ? strlen(y.ip) : 0, q, len));
				cr_expect(inside(y.request, y.request_len, q, len));
				cr_expect(inside(y.head, y.head_len, q, len));
				cr_expect(inside(y.payload, y.payload_len, q, len));
			}
			free(q);
		}
	for (size_t n = 0; n <= 300; n++)
		for (int round = 0; round < 20; round++) {
			q = malloc(n ? n : 1);
			cr_assert_not_null(q);
			for (size_t i = 0; i < n; i++)
				q[i] = (char)rand_r(&seed);
			if (n)
				q[0] = EXCHANGE_VERSION;
			if (exchange_unpack(q, n, &y))
				cr_expect(inside(y.payload, y.payload_len, q, n));
			free(q);
		}
	free(p);
}

/* ---- collector ---- */

Test(collector, writes_every_line_in_stream_order_and_the_summary,
     .init = start, .fini = stop)
{
	struct run r = { 0 };
	json_t *sum, *by_status;
	size_t n = 2500; /* three batches */

	make_crawl(realtime_ns(), 0, 0);
	add_records(0, n);
	crawl_done();
	cr_assert_eq(collect(&r), COLLECTOR_OK, "%s", r.err);
	expect_output(n);
	cr_expect_eq(r.res.stop, CRAWL_DONE);
	cr_expect_eq(r.res.stats.pages, n);
	cr_expect_eq(r.res.stats.by_status[200], 2000);
	cr_expect_eq(r.res.stats.by_status[404], 250);
	cr_expect_eq(r.res.stats.by_status[0], 250);
	cr_expect_eq(r.res.stats.errors, 250);
	cr_expect_eq(r.res.stats.by_err[RECORD_ERR_CONNECT], 250);
	cr_assert_not_null(r.res.summary);
	cr_assert_not_null(r.res.report);
	sum = json_loads(r.res.summary, 0, NULL);
	cr_assert_not_null(sum, "%s", r.res.summary);
	cr_expect_eq(json_integer_value(json_object_get(sum, "pages")), (json_int_t)n);
	by_status = json_object_get(sum, "by_status");
	cr_expect_eq(json_integer_value(json_object_get(by_status, "200")), 2000);
	cr_expect_eq(json_integer_value(json_object_get(by_status, "404")), 250);
	cr_expect_str_eq(json_string_value(json_object_get(sum, "stop")), "done");
	json_decref(sum);
	cr_expect_eq(keys_of_crawl(), 0, "every C:{" NAME "}:* key is deleted");
	crawl_result_release(&r.res);
}

Test(collector, keep_leaves_the_crawls_keys_and_the_stream_is_trimmed,
     .init = start, .fini = stop)
{
	struct run r = { .keep = true };
	char *id;

	make_crawl(realtime_ns(), 0, 0);
	add_records(0, 10);
	crawl_done();
	cr_assert_eq(collect(&r), COLLECTOR_OK, "%s", r.err);
	expect_output(10);
	cr_expect_eq(integer("EXISTS " KEY("meta")), 1);
	cr_expect_eq(integer("EXISTS " KEY("counts")), 1);
	cr_expect_eq(integer("XLEN " KEY("results")), 0, "what was written is trimmed");
	id = hget(KEY("collector"), "id");
	cr_expect(id && strcmp(id, "0-0") != 0);
	free(id);
	crawl_result_release(&r.res);
}

Test(collector, the_summary_has_the_crawls_counts_and_skips, .init = start,
     .fini = stop)
{
	struct run r = { 0 };
	json_t *sum;

	make_crawl(realtime_ns() - 2000000000LL, 0, 0);
	add_records(0, 3);
	crawl_done();
	redis_ok(redisCommand(admin, "HSET " KEY("counts") " queued 7"));
	redis_ok(redisCommand(admin, "HSET " KEY("skips") " scope 3 url_length 1"));
	cr_assert_eq(collect(&r), COLLECTOR_OK, "%s", r.err);
	cr_expect_eq(r.res.not_fetched, 7);
	cr_expect_eq(r.res.skipped[CRAWL_SKIP_SCOPE], 3);
	cr_expect_eq(r.res.skipped[CRAWL_SKIP_URL_LENGTH], 1);
	cr_expect_geq(r.res.seconds, 2.0, "seconds on the crawl's clock");
	sum = json_loads(r.res.summary, 0, NULL);
	cr_assert_not_null(sum);
	cr_expect_eq(json_integer_value(json_object_get(sum, "sitemaps")), 2);
	cr_expect_eq(json_integer_value(json_object_get(sum, "not_fetched")), 7);
	cr_expect_eq(json_integer_value(json_object_get(json_object_get(sum, "skipped"),
							"scope")), 3);
	json_decref(sum);
	crawl_result_release(&r.res);
}

/* The crawl's first worker comes after the collector. */
static void *start_crawl_later(void *arg)
{
	(void)arg;
	usleep(300000);
	make_crawl(realtime_ns(), 0, 0);
	add_records(0, 5);
	crawl_done();
	return NULL;
}

Test(collector, a_collector_started_first_waits_for_the_crawl, .init = start,
     .fini = stop)
{
	struct run r = { 0 };
	pthread_t t;

	cr_assert_eq(pthread_create(&t, NULL, start_crawl_later, NULL), 0);
	cr_expect_eq(collect(&r), COLLECTOR_OK, "%s", r.err);
	pthread_join(t, NULL);
	expect_output(5);
	crawl_result_release(&r.res);
}

Test(collector, stopped_while_waiting_there_is_no_crawl, .init = start, .fini = stop)
{
	struct ctx cancelled;
	struct run r = { .stop = &cancelled };

	ctx_init(&cancelled, NULL, 0);
	ctx_cancel(&cancelled, CRAWL_INTERRUPTED);
	cr_expect_eq(collect(&r), COLLECTOR_NO_CRAWL);
	ctx_release(&cancelled);
	cr_expect(strstr(r.err, "no crawl '" NAME "' in Redis at 127.0.0.1:"),
		  "err: %s", r.err);
	cr_expect_null(r.res.summary);
	crawl_result_release(&r.res);
}

Test(collector, standard_output_or_a_bad_name_is_a_usage_error, .init = start,
     .fini = stop)
{
	struct run r = { .output = "-" };

	make_crawl(realtime_ns(), 0, 0);
	cr_expect_eq(collect(&r), COLLECTOR_USAGE);
	cr_expect(strstr(r.err, "-o FILE"), "err: %s", r.err);
	r = (struct run){ .output = "/dev/null" };
	cr_expect_eq(collect(&r), COLLECTOR_USAGE);
	cr_expect(strstr(r.err, "regular file"), "err: %s", r.err);
	r = (struct run){ .name = "a*b" };
	cr_expect_eq(collect(&r), COLLECTOR_USAGE);
	cr_expect(strstr(r.err, "crawl name"), "err: %s", r.err);
}

Test(collector, a_restart_after_a_stop_writes_every_line_once_with_the_totals,
     .init = start, .fini = stop)
{
	struct run r = { 0 };

	make_crawl(realtime_ns(), 0, 0);
	add_records(0, 1500);
	collect_one_batch(NULL);
	expect_output(COLLECTOR_BATCH);
	cr_expect_eq(integer("XLEN " KEY("results")), 1500 - COLLECTOR_BATCH);
	add_records(1500, 1700);
	crawl_done();
	cr_assert_eq(collect(&r), COLLECTOR_OK, "%s", r.err);
	expect_output(1700);
	cr_expect_eq(r.res.stats.pages, 1700, "the first run's totals were checkpointed");
	cr_expect_eq(r.res.stats.by_status[404], 170);
	cr_expect_eq(r.res.stats.by_err[RECORD_ERR_CONNECT], 170);
	crawl_result_release(&r.res);
}

Test(collector, what_a_kill_left_past_the_checkpoint_is_cut, .init = start,
     .fini = stop)
{
	struct run r = { 0 };
	FILE *f;

	make_crawl(realtime_ns(), 0, 0);
	add_records(0, 1200);
	collect_one_batch(NULL);
	/* Lines written and not yet checkpointed, the last one cut short. */
	f = fopen(out_path, "a");
	cr_assert_not_null(f);
	fputs("{\"url\":\"http://a.test/1000\",\"status\":200,\"warc\":null}\n{\"url\":", f);
	fclose(f);
	crawl_done();
	cr_assert_eq(collect(&r), COLLECTOR_OK, "%s", r.err);
	expect_output(1200);
	crawl_result_release(&r.res);
}

Test(collector, an_output_shorter_than_its_checkpoint_is_refused, .init = start,
     .fini = stop)
{
	struct run r = { 0 };

	make_crawl(realtime_ns(), 0, 0);
	add_records(0, 20);
	collect_one_batch(NULL);
	cr_assert_eq(truncate(out_path, 10), 0);
	crawl_done();
	cr_expect_eq(collect(&r), COLLECTOR_FAILED);
	cr_expect(strstr(r.err, "cannot resume"), "err: %s", r.err);
	cr_expect_eq(r.res.stop, CRAWL_FAILED);
	cr_expect_eq(integer("EXISTS " KEY("collector")), 1, "the checkpoint stays");
	crawl_result_release(&r.res);
}

struct waiting {
	struct run r;
	struct ctx stop;
	enum collector_status rc;
};

static void *collect_main(void *arg)
{
	struct waiting *w = arg;

	w->rc = collect(&w->r);
	return NULL;
}

Test(collector, a_stop_while_it_waits_for_entries_ends_it_and_keeps_the_crawl,
     .init = start, .fini = stop)
{
	struct waiting w = { .r = { .stop = &w.stop } };
	struct timespec pause = { .tv_nsec = 300 * 1000000L };
	pthread_t t;
	int64_t t0;

	ctx_init(&w.stop, NULL, 0);
	make_crawl(realtime_ns(), 0, 0);
	add_records(0, 5);
	cr_assert_eq(pthread_create(&t, NULL, collect_main, &w), 0);
	nanosleep(&pause, NULL);
	t0 = ctx_now_ns();
	ctx_cancel(&w.stop, CRAWL_INTERRUPTED);
	pthread_join(t, NULL);
	cr_expect_lt(ctx_now_ns() - t0, 2 * COLLECTOR_WAIT_MS * 1000000LL + 500000000LL);
	cr_assert_eq(w.rc, COLLECTOR_OK, "%s", w.r.err);
	cr_expect_eq(w.r.res.stop, CRAWL_INTERRUPTED);
	cr_expect_eq(w.r.res.stats.pages, 5);
	cr_expect_not_null(w.r.res.summary);
	expect_output(5);
	cr_expect_eq(integer("EXISTS " KEY("meta")), 1, "the crawl is not over");
	crawl_result_release(&w.r.res);
	ctx_release(&w.stop);
}

Test(collector, a_stopped_crawl_is_over_once_no_lease_is_live, .init = start,
     .fini = stop)
{
	struct run r = { .keep = true };
	int64_t start_ns = realtime_ns();
	struct ctx cancelled;

	make_crawl(start_ns, 0, 0);
	add_records(0, 4);
	redis_ok(redisCommand(admin, "HSET " KEY("counts") " stop max-pages pending 3"));
	/* A lease that expires in an hour: its worker may still send a record. */
	redis_ok(redisCommand(admin, "ZADD " KEY("expiry") " %lld 7",
			      (long long)(realtime_ns() - start_ns + 3600000000000LL)));
	ctx_init(&cancelled, NULL, 0);
	ctx_cancel(&cancelled, CRAWL_INTERRUPTED);
	r.stop = &cancelled;
	cr_assert_eq(collect(&r), COLLECTOR_OK, "%s", r.err);
	cr_expect_eq(r.res.stop, CRAWL_INTERRUPTED);
	crawl_result_release(&r.res);
	ctx_release(&cancelled);
	/* The lease expired: its worker is gone. */
	redis_ok(redisCommand(admin, "ZADD " KEY("expiry") " 1 7"));
	r = (struct run){ .keep = true };
	cr_assert_eq(collect(&r), COLLECTOR_OK, "%s", r.err);
	cr_expect_eq(r.res.stop, CRAWL_MAX_PAGES);
	cr_expect_eq(r.res.stats.pages, 4);
	expect_output(4);
	crawl_result_release(&r.res);
}

Test(collector, past_max_time_with_no_live_lease_it_stops_the_crawl,
     .init = start, .fini = stop)
{
	struct run r = { .keep = true };
	char *why;

	/* Started 10 s ago with --max-time 1s and leases of 1 ms: the
	 * workers are gone without saying so. */
	make_crawl(realtime_ns() - 10000000000LL, 1000, 1000000);
	redis_ok(redisCommand(admin, "HSET " KEY("counts") " begun 1 pending 5 queued 5"));
	add_records(0, 2);
	cr_assert_eq(collect(&r), COLLECTOR_OK, "%s", r.err);
	cr_expect_eq(r.res.stop, CRAWL_MAX_TIME);
	cr_expect_eq(r.res.not_fetched, 5);
	why = hget(KEY("counts"), "stop");
	cr_expect_str_eq(why, "max-time");
	free(why);
	expect_output(2);
	crawl_result_release(&r.res);
}

/* ---- with --warc ---- */

static const char page_head[] = "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n";
static const char robots_head[] = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n";

/* Exchange i's URL and body, each malloc'd; i 0 is a robots.txt. */
static void exchange_of(size_t i, char **uri, char **payload)
{
	if (i)
		cr_assert_gt(asprintf(uri, "http://a.test/%zu", i), 0);
	else
		*uri = strdup("http://a.test/robots.txt");
	cr_assert_gt(asprintf(payload, "<p>page %zu</p>", i), 0);
}

/* Record i with its exchange; i 0 is archive-only (a robots.txt: no line). */
static void add_archived(size_t i)
{
	char *uri, *payload, *line, *x, meta[64], wa[24];
	struct warc_exchange ex;
	size_t xlen, at;

	exchange_of(i, &uri, &payload);
	ex = (struct warc_exchange){
		.uri = uri, .ip = "127.0.0.1", .date_ms = 1764633600000,
		.request = "GET / HTTP/1.1\r\n\r\n", .request_len = 18,
		.head = i ? page_head : robots_head,
		.head_len = i ? sizeof(page_head) - 1 : sizeof(robots_head) - 1,
		.payload = payload, .payload_len = strlen(payload),
	};
	x = exchange_pack(&ex, &xlen);
	cr_assert_not_null(x);
	if (!i) {
		redis_ok(redisCommand(admin, "XADD " KEY("results") " * x %b", x, xlen));
	} else {
		line = line_of(i, &at);
		snprintf(meta, sizeof(meta), "200 0 %zu", strlen(payload));
		snprintf(wa, sizeof(wa), "%zu", at);
		redis_ok(redisCommand(admin, "XADD " KEY("results") " * line %s meta %s "
				      "x %b wa %s", line, meta, x, xlen, wa));
		free(line);
	}
	free(x);
	free(uri);
	free(payload);
}

/* Each line's "warc" names the response record of its URL, with its body. */
static void expect_lines_point_at_their_records(size_t n)
{
	char *text = read_all(out_path, NULL), *line = text, *nl;
	size_t i = 1;

	for (; (nl = strchr(line, '\n')); line = nl + 1, i++) {
		json_error_t jerr;
		json_t *rec, *warc;
		struct warc_rec wr;
		char *uri, *payload;

		*nl = '\0';
		rec = json_loads(line, 0, &jerr);
		cr_assert_not_null(rec, "line %zu: %s: %s", i, jerr.text, line);
		exchange_of(i, &uri, &payload);
		cr_expect_str_eq(json_string_value(json_object_get(rec, "url")), uri);
		warc = json_object_get(rec, "warc");
		cr_assert(json_is_object(warc), "line %zu: %s", i, line);
		cr_assert(warc_read_member(json_string_value(json_object_get(warc, "file")),
					   (uint64_t)json_integer_value(json_object_get(warc, "offset")),
					   (uint64_t)json_integer_value(json_object_get(warc, "length")),
					   &wr), "line %zu: %s", i, line);
		cr_expect_str_eq(warc_rec_field(&wr, "WARC-Type"), "response");
		cr_expect_str_eq(warc_rec_field(&wr, "WARC-Target-URI"), uri);
		cr_expect(strstr(wr.block, payload), "line %zu's record has its body", i);
		warc_recs_free(&wr, 1);
		json_decref(rec);
		free(uri);
		free(payload);
	}
	cr_expect_eq(i, n + 1, "%zu lines", i - 1);
	free(text);
}

#define MAX_RECS 8192

/* Response records in the series, each once: every file read whole. */
static size_t responses_in_series(char **uris, size_t max)
{
	struct warc_rec *recs = calloc(MAX_RECS, sizeof(*recs));
	size_t found = 0;

	cr_assert_not_null(recs);
	for (unsigned f = 0;; f++) {
		char *name = warc_file_name(warc_path, f);
		size_t n;

		if (access(name, F_OK)) {
			free(name);
			free(recs);
			return found;
		}
		n = warc_read_file(name, recs, MAX_RECS);
		cr_expect_str_eq(warc_rec_field(&recs[0], "WARC-Type"), "warcinfo");
		for (size_t i = 0; i < n; i++) {
			warc_rec_check_digests(&recs[i]);
			if (strcmp(warc_rec_field(&recs[i], "WARC-Type"), "response") != 0)
				continue;
			cr_assert_lt(found, max);
			uris[found++] = strdup(warc_rec_field(&recs[i], "WARC-Target-URI"));
		}
		warc_recs_free(recs, n);
		free(name);
	}
}

static void expect_each_exchange_once(size_t n)
{
	char **uris = calloc(MAX_RECS, sizeof(*uris)), *uri, *payload;
	size_t found;

	cr_assert_not_null(uris);
	found = responses_in_series(uris, MAX_RECS);

	cr_expect_eq(found, n + 1, "%zu responses for %zu exchanges and robots.txt",
		     found, n);
	for (size_t i = 0; i < found; i++) {
		exchange_of(i, &uri, &payload);
		cr_expect_str_eq(uris[i], uri, "response %zu", i);
		free(uri);
		free(payload);
		free(uris[i]);
	}
	free(uris);
}

Test(collector, each_line_points_at_its_record_in_the_warc, .init = start,
     .fini = stop)
{
	struct run r = { .warc = warc_path, .keep = true };
	char *archive;

	make_crawl(realtime_ns(), 0, 0);
	for (size_t i = 0; i <= 30; i++)
		add_archived(i);
	crawl_done();
	cr_assert_eq(collect(&r), COLLECTOR_OK, "%s", r.err);
	archive = get(KEY("archive"));
	cr_expect_str_eq(archive, "1", "workers are told to send exchanges");
	free(archive);
	cr_expect_eq(r.res.stats.pages, 30, "robots.txt makes no line");
	expect_lines_point_at_their_records(30);
	expect_each_exchange_once(30);
	crawl_result_release(&r.res);
}

Test(collector, a_restart_archives_every_exchange_once_and_cuts_what_a_kill_left,
     .init = start, .fini = stop)
{
	struct run r = { .warc = warc_path };
	char *file;
	FILE *f;
	size_t n = COLLECTOR_BATCH_ARCHIVE + 50;

	make_crawl(realtime_ns(), 0, 0);
	for (size_t i = 0; i <= n; i++)
		add_archived(i);
	collect_one_batch(warc_path);
	/* A record archived after the checkpoint, half written. */
	file = hget(KEY("collector"), "warc_file");
	cr_assert_not_null(file);
	f = fopen(file, "a");
	cr_assert_not_null(f);
	fputs("\x1f\x8b\x08\x00 not a whole member", f);
	fclose(f);
	free(file);
	crawl_done();
	cr_assert_eq(collect(&r), COLLECTOR_OK, "%s", r.err);
	expect_lines_point_at_their_records(n);
	expect_each_exchange_once(n);
	crawl_result_release(&r.res);
}

/* A collector in a child process, killed at random moments mid-batch
 * (archiving, writing, checkpointing), started again each time. */
Test(collector, kill_9_at_any_moment_neither_skips_nor_repeats_anything,
     .init = start, .fini = stop, .timeout = 60)
{
	struct run r = { .warc = warc_path };
	unsigned seed = 7;
	size_t n = 2000;
	int kills = 0;

	make_crawl(realtime_ns(), 0, 0);
	for (size_t i = 0; i <= n; i++)
		add_archived(i);
	for (int round = 0; round < 40 && integer("XLEN " KEY("results")); round++) {
		struct timespec pause = { .tv_nsec = (2 + rand_r(&seed) % 20) * 1000000L };
		int status;
		pid_t pid = fork();

		cr_assert_geq(pid, 0);
		if (!pid) {
			struct run child = { .warc = warc_path };

			collect(&child);
			_exit(0);
		}
		nanosleep(&pause, NULL);
		kills += kill(pid, SIGKILL) == 0;
		cr_assert_eq(waitpid(pid, &status, 0), pid);
	}
	cr_log_info("%d kills", kills);
	cr_expect_gt(kills, 3);
	crawl_done();
	cr_assert_eq(collect(&r), COLLECTOR_OK, "%s", r.err);
	cr_expect_eq(r.res.stats.pages, n);
	expect_lines_point_at_their_records(n);
	expect_each_exchange_once(n);
	crawl_result_release(&r.res);
}

/* Entries that break the protocol lose nothing of the output: each is
 * told on the log, its line written as it came, its record archived. */
Test(collector, a_bad_entry_is_told_and_its_line_kept, .init = start, .fini = stop)
{
	char *log_text = NULL, *x, *text;
	size_t log_len = 0, xlen, wa;
	struct run r = { .warc = warc_path, .verbose = true };
	struct warc_exchange ex = { .uri = "http://a.test/2", .head = page_head,
				    .head_len = sizeof(page_head) - 1, .payload = "" };
	char *line = line_of(2, &wa);

	r.log = open_memstream(&log_text, &log_len);
	cr_assert_not_null(r.log);
	make_crawl(realtime_ns(), 0, 0);
	redis_ok(redisCommand(admin, "XADD " KEY("results") " * line %s meta %s",
			      "{\"url\":\"http://a.test/0\"}\n", "two hundred"));
	redis_ok(redisCommand(admin, "XADD " KEY("results") " * line %s meta %s x %s wa 9",
			      "{\"url\":\"http://a.test/1\",\"warc\":null}", "200 0 1",
			      "not an exchange"));
	x = exchange_pack(&ex, &xlen);
	redis_ok(redisCommand(admin, "XADD " KEY("results") " * line %s meta %s x %b wa 3",
			      line, "200 0 0", x, xlen));
	free(x);
	crawl_done();
	cr_assert_eq(collect(&r), COLLECTOR_OK, "%s", r.err);
	fclose(r.log);
	text = read_all(out_path, NULL);
	cr_expect_str_eq(text, "{\"url\":\"http://a.test/0\"}\n"
			 "{\"url\":\"http://a.test/1\",\"warc\":null}\n"
			 "{\"url\":\"http://a.test/2\",\"status\":200,\"warc\":null}\n");
	cr_expect_eq(r.res.stats.pages, 3);
	cr_expect_eq(r.res.stats.by_status[0], 1, "a bad meta counts as no response");
	cr_expect(strstr(log_text, "meta is not"), "log: %s", log_text);
	cr_expect(strstr(log_text, "does not end in a newline"), "log: %s", log_text);
	cr_expect(strstr(log_text, "is not one: not archived"), "log: %s", log_text);
	cr_expect(strstr(log_text, "wa is not the place"), "log: %s", log_text);
	cr_expect(strstr(log_text, "--- http://a.test/0\n"), "verbose: %s", log_text);
	cr_expect(strstr(log_text, "200 http://a.test/2\n"), "verbose: %s", log_text);
	free(log_text);
	free(text);
	free(line);
	crawl_result_release(&r.res);
}

/* Redis restarts (its AOF on) while the collector waits: it tries again
 * and goes on where it was. */
Test(collector, a_redis_restart_is_waited_out, .init = start_with_aof, .fini = stop,
     .timeout = 60)
{
	struct waiting w = { 0 };
	struct timespec pause = { .tv_nsec = 20 * 1000000L };
	pthread_t t;
	char *id = NULL;

	make_crawl(realtime_ns(), 0, 0);
	add_records(0, 10);
	cr_assert_eq(pthread_create(&t, NULL, collect_main, &w), 0);
	for (int i = 0; i < 500 && !id; i++) {
		nanosleep(&pause, NULL);
		id = hget(KEY("collector"), "id");
	}
	cr_assert_not_null(id, "the first batch is checkpointed");
	free(id);
	redisFree(admin);
	redissrv_restart(srv);
	admin = redisConnect("127.0.0.1", srv->port);
	cr_assert(admin && !admin->err);
	add_records(10, 20);
	crawl_done();
	pthread_join(t, NULL);
	cr_assert_eq(w.rc, COLLECTOR_OK, "%s", w.r.err);
	cr_expect_eq(w.r.res.stop, CRAWL_DONE);
	cr_expect_eq(w.r.res.stats.pages, 20);
	expect_output(20);
	crawl_result_release(&w.r.res);
}
