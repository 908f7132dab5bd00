/* visited_redis_test: what the Redis backend of the visited set adds to the
 * conformance suite (visited_test.c, run on it by make check): bad input
 * and an unreachable or refusing Redis give NULL and a message; sets on
 * one crawl name share their URLs (the workers of a crawl), sets on two do
 * not, also adding at once; deleting a crawl leaves none of its keys; a Redis that restarted or
 * lost its scripts is used again; a Redis gone fails a batch as a value;
 * the buckets stay intsets, and the memory a URL costs at 1,000,000. Each
 * test has a redis-server of its own (tests/support/redissrv.h). */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <hiredis.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "redissrv.h"
#include "visited.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static struct redissrv *srv;
static redisContext *admin; /* the test's own connection to srv */

static void connect_admin(void)
{
	admin = redisConnect("127.0.0.1", srv->port);
	cr_assert(admin && !admin->err, "connect to redis on port %u", srv->port);
}

static void start(void)
{
	srv = redissrv_start(false);
	connect_admin();
}

static void start_with_aof(void)
{
	srv = redissrv_start(true);
	connect_admin();
}

static void stop(void)
{
	redisFree(admin);
	redissrv_stop(srv);
}

static struct visited *set_of(const char *name)
{
	char err[256];
	struct visited *v = visited_redis_new(srv->url, name, err, sizeof(err));

	cr_assert_not_null(v, "%s", err);
	return v;
}

/* Add a batch, which must succeed; returns how many were fresh. */
static size_t add(struct visited *v, char *const *urls, size_t n, bool *fresh)
{
	size_t nfresh = (size_t)-1;

	cr_assert_eq(visited_add_batch(v, urls, n, fresh, &nfresh), VISITED_OK);
	return nfresh;
}

/* The keys of crawl name in srv. */
static size_t keys_of(const char *name)
{
	redisReply *rep = redisCommand(admin, "KEYS C:{%s}:*", name);
	size_t n;

	cr_assert(rep && rep->type == REDIS_REPLY_ARRAY);
	n = rep->elements;
	freeReplyObject(rep);
	return n;
}

/* A redis:// URL where a connection is refused: a loopback port bound,
 * not listening, so nothing else takes it while the test runs. The
 * socket, to close at the end. */
static int refusing_url(char *url, size_t len)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t salen = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	cr_assert_geq(fd, 0);
	cr_assert_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	cr_assert_eq(getsockname(fd, (struct sockaddr *)&sa, &salen), 0);
	snprintf(url, len, "redis://127.0.0.1:%u", ntohs(sa.sin_port));
	return fd;
}

Test(visited_redis, an_unreachable_redis_gives_null_and_says_where)
{
	char url[64], err[256] = "";
	int fd = refusing_url(url, sizeof(url));

	cr_expect_null(visited_redis_new(url, "c", err, sizeof(err)));
	cr_expect(strstr(err, "127.0.0.1") && strstr(err, "refused"), "err: %s", err);
	close(fd);
}

Test(visited_redis, a_bad_url_or_crawl_name_gives_null_and_a_message)
{
	static const char *urls[] = { "http://127.0.0.1:6379", "redis://", "redis://h:0",
				      "redis://h:65536", "redis://h:12x", "redis://h/x",
				      "redis://h:6379/" };
	static const char *names[] = { "", "a{b}", "a*", "a:b", "a b" };
	char err[256];

	for (size_t i = 0; i < N(urls); i++) {
		err[0] = '\0';
		cr_expect_null(visited_redis_new(urls[i], "c", err, sizeof(err)), "%s", urls[i]);
		cr_expect(strstr(err, "not a redis://"), "%s: %s", urls[i], err);
	}
	for (size_t i = 0; i < N(names); i++) {
		err[0] = '\0';
		cr_expect_null(visited_redis_new("redis://127.0.0.1", names[i], err,
						 sizeof(err)), "\"%s\"", names[i]);
		cr_expect(strstr(err, "crawl name"), "\"%s\": %s", names[i], err);
	}
}

Test(visited_redis, a_redis_that_refuses_the_scripts_gives_null_and_says_so,
     .init = start, .fini = stop)
{
	redisReply *rep = redisCommand(admin, "ACL SETUSER default -@scripting");
	char err[256] = "";

	cr_assert(rep && rep->type == REDIS_REPLY_STATUS);
	freeReplyObject(rep);
	cr_expect_null(visited_redis_new(srv->url, "c", err, sizeof(err)));
	cr_expect(strstr(err, "refused the visited set's scripts") && strstr(err, "NOPERM"),
		  "err: %s", err);
}

Test(visited_redis, a_second_set_on_the_crawl_sees_what_the_first_admitted,
     .init = start, .fini = stop)
{
	struct visited *a = set_of("shared"), *b;
	char *urls[] = { "http://a.test/1", "http://a.test/2" };
	char *more[] = { "http://a.test/2", "http://a.test/3" };
	bool fresh[2];

	cr_assert_eq(add(a, urls, N(urls), fresh), 2);
	b = set_of("shared");
	cr_expect(visited_has(b, "http://a.test/1"));
	cr_expect_eq(visited_count(b), 2, "joining keeps what the crawl has seen");
	cr_expect_eq(add(b, more, N(more), fresh), 1);
	cr_expect_not(fresh[0], "seen by the first set");
	cr_expect(fresh[1]);
	cr_expect(visited_has(a, "http://a.test/3"), "and the first sees the second's");
	cr_expect_eq(visited_count(a), 3);
	visited_free(a);
	visited_free(b);
}

Test(visited_redis, two_crawls_do_not_see_each_other, .init = start, .fini = stop)
{
	struct visited *a = set_of("one"), *b = set_of("two");
	char *urls[] = { "http://a.test/" };
	bool fresh[1];

	cr_assert_eq(add(a, urls, 1, fresh), 1);
	cr_expect_not(visited_has(b, urls[0]));
	cr_expect_eq(visited_count(b), 0);
	cr_expect_eq(add(b, urls, 1, fresh), 1, "fresh to the other crawl");
	visited_free(a);
	visited_free(b);
}

/* 4 sets on one crawl, as 4 workers with a connection each, add the same
 * URLs in overlapping batches at once: each URL is fresh to one of them. */
#define WORKERS 4
#define SHARED 5000
#define WORKER_BATCH 101

struct worker {
	struct visited *v;
	char **urls;
	int *fresh_to;      /* per URL: the workers it was fresh to, as bits */
	pthread_mutex_t *lock; /* guards fresh_to */
	size_t start;
	int id;
	bool failed;
};

static void *worker_run(void *arg)
{
	struct worker *w = arg;
	char *batch[WORKER_BATCH];
	size_t idx[WORKER_BATCH];
	bool fresh[WORKER_BATCH];

	for (size_t done = 0; done < SHARED && !w->failed; done += WORKER_BATCH) {
		size_t n = SHARED - done < WORKER_BATCH ? SHARED - done : WORKER_BATCH;

		for (size_t k = 0; k < n; k++) {
			idx[k] = (w->start + done + k) % SHARED;
			batch[k] = w->urls[idx[k]];
		}
		w->failed = visited_add_batch(w->v, batch, n, fresh, NULL) != VISITED_OK;
		pthread_mutex_lock(w->lock);
		for (size_t k = 0; k < n; k++)
			if (fresh[k])
				w->fresh_to[idx[k]] |= 1 << w->id;
		pthread_mutex_unlock(w->lock);
	}
	return NULL;
}

Test(visited_redis, sets_on_one_crawl_at_once_admit_each_url_to_one_of_them,
     .init = start, .fini = stop)
{
	static char *urls[SHARED];
	static int fresh_to[SHARED];
	pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	struct worker w[WORKERS];
	pthread_t th[WORKERS];
	size_t once = 0;

	for (size_t i = 0; i < SHARED; i++)
		cr_assert_geq(asprintf(&urls[i], "http://h%zu.test/%zu", i % 7, i), 0);
	for (int t = 0; t < WORKERS; t++) {
		w[t] = (struct worker){ .v = set_of("together"), .urls = urls,
					.fresh_to = fresh_to, .lock = &lock,
					.start = (size_t)t * SHARED / WORKERS, .id = t };
		cr_assert_eq(pthread_create(&th[t], NULL, worker_run, &w[t]), 0);
	}
	for (int t = 0; t < WORKERS; t++) {
		pthread_join(th[t], NULL);
		cr_expect_not(w[t].failed, "worker %d", t);
	}
	for (size_t i = 0; i < SHARED; i++)
		once += __builtin_popcount((unsigned)fresh_to[i]) == 1;
	cr_expect_eq(once, SHARED, "URLs fresh to exactly one worker");
	cr_expect_eq(visited_count(w[0].v), SHARED);
	for (int t = 0; t < WORKERS; t++)
		visited_free(w[t].v);
	for (size_t i = 0; i < SHARED; i++)
		free(urls[i]);
}

Test(visited_redis, deleting_a_crawl_leaves_none_of_its_keys_and_the_others,
     .init = start, .fini = stop)
{
	enum { MANY = 2000 }; /* several buckets */
	struct visited *a = set_of("gone"), *b = set_of("gone.not");
	char *urls[MANY];
	bool fresh[MANY];
	char err[256] = "";

	for (size_t i = 0; i < MANY; i++)
		cr_assert_geq(asprintf(&urls[i], "http://a.test/%zu", i), 0);
	cr_assert_eq(add(a, urls, MANY, fresh), MANY);
	cr_assert_eq(add(b, urls, 1, fresh), 1);
	cr_assert_gt(keys_of("gone"), 3, "the count, the bucket count and buckets");
	cr_expect_eq(visited_redis_delete(srv->url, "gone", err, sizeof(err)), VISITED_OK,
		     "%s", err);
	cr_expect_eq(keys_of("gone"), 0);
	cr_expect_eq(visited_count(b), 1, "another crawl's keys stay");
	cr_expect_eq(visited_count(a), 0, "a set on a deleted crawl starts again");
	for (size_t i = 0; i < MANY; i++)
		free(urls[i]);
	visited_free(a);
	visited_free(b);
}

Test(visited_redis, deleting_on_an_unreachable_redis_says_so)
{
	char url[64], err[256] = "";
	int fd = refusing_url(url, sizeof(url));

	cr_expect_eq(visited_redis_delete(url, "c", err, sizeof(err)), VISITED_UNAVAILABLE);
	cr_expect(strstr(err, "refused"), "err: %s", err);
	close(fd);
}

Test(visited_redis, a_restarted_redis_with_aof_keeps_the_set_and_is_used_again,
     .init = start_with_aof, .fini = stop)
{
	struct visited *v = set_of("aof");
	char *before[] = { "http://a.test/1", "http://a.test/2" };
	char *after[] = { "http://a.test/2", "http://a.test/3" };
	bool fresh[2];

	cr_assert_eq(add(v, before, N(before), fresh), 2);
	redissrv_restart(srv);
	cr_expect(visited_has(v, "http://a.test/1"), "reconnected, scripts loaded again");
	cr_expect_eq(add(v, after, N(after), fresh), 1);
	cr_expect_not(fresh[0], "kept by the AOF");
	cr_expect(fresh[1]);
	cr_expect_eq(visited_count(v), 3);
	visited_free(v);
}

Test(visited_redis, a_redis_that_lost_its_scripts_is_given_them_again,
     .init = start, .fini = stop)
{
	struct visited *v = set_of("flushed");
	char *urls[] = { "http://a.test/1", "http://a.test/2" };
	bool fresh[2];
	redisReply *rep;

	cr_assert_eq(add(v, urls, 1, fresh), 1);
	rep = redisCommand(admin, "SCRIPT FLUSH");
	cr_assert(rep && rep->type == REDIS_REPLY_STATUS);
	freeReplyObject(rep);
	cr_expect_eq(add(v, urls, N(urls), fresh), 1, "NOSCRIPT: loaded, sent again");
	cr_expect(fresh[1]);
	rep = redisCommand(admin, "SCRIPT FLUSH");
	freeReplyObject(rep);
	cr_expect(visited_has(v, urls[0]));
	visited_free(v);
}

Test(visited_redis, a_batch_when_redis_is_gone_fails_as_a_value, .init = start,
     .fini = stop)
{
	struct visited *v = set_of("down");
	char *urls[] = { "http://a.test/1", "http://a.test/2" };
	bool fresh[2] = { true, true };
	size_t nfresh = 7;

	redisFree(admin);
	admin = NULL;
	redissrv_stop(srv);
	srv = NULL;
	cr_expect_eq(visited_add_batch(v, urls, N(urls), fresh, &nfresh),
		     VISITED_UNAVAILABLE);
	cr_expect_not(fresh[0]);
	cr_expect_not(fresh[1]);
	cr_expect_eq(nfresh, 0);
	cr_expect_not(visited_has(v, urls[0]));
	cr_expect_eq(visited_count(v), 0);
	visited_free(v);
}

/* INFO memory's used_memory, in bytes. */
static long long used_memory(void)
{
	redisReply *rep = redisCommand(admin, "INFO memory");
	const char *at;
	long long n;

	cr_assert(rep && rep->type == REDIS_REPLY_STRING);
	at = strstr(rep->str, "used_memory:");
	cr_assert_not_null(at);
	n = strtoll(at + strlen("used_memory:"), NULL, 10);
	freeReplyObject(rep);
	return n;
}

/* What the buckets of a crawl hold. */
struct buckets {
	long long intsets; /* kept as intsets */
	long long largest; /* members of the largest */
	long long members; /* in all */
};

static struct buckets buckets_of(const char *name, long long n)
{
	struct buckets b = { 0 };

	for (long long i = 0; i < n; i++) {
		redisReply *enc = redisCommand(admin, "OBJECT ENCODING C:{%s}:seen:%lld", name, i);
		redisReply *card = redisCommand(admin, "SCARD C:{%s}:seen:%lld", name, i);

		cr_assert(enc && card && card->type == REDIS_REPLY_INTEGER);
		b.intsets += enc->type == REDIS_REPLY_STRING && strcmp(enc->str, "intset") == 0;
		if (card->integer > b.largest)
			b.largest = card->integer;
		b.members += card->integer;
		freeReplyObject(enc);
		freeReplyObject(card);
	}
	return b;
}

static long long get_integer(const char *key)
{
	redisReply *rep = redisCommand(admin, "GET %s", key);
	long long n;

	cr_assert(rep && rep->type == REDIS_REPLY_STRING, "GET %s", key);
	n = strtoll(rep->str, NULL, 10);
	freeReplyObject(rep);
	return n;
}

/* The target is at most 16 bytes of Redis memory per URL at
 * 1,000,000 URLs; the figure is logged, and only a generous bound that the
 * layout (8-byte intset members) cannot reach by accident is asserted. */
Test(visited_redis, a_million_urls_stay_in_intsets_and_cost_about_9_bytes_each,
     .init = start, .fini = stop, .timeout = 600)
{
	enum { MILLION = 1000000, BATCH = 10000 };
	struct visited *v = set_of("million");
	static char text[BATCH][48];
	char *urls[BATCH];
	static bool fresh[BATCH];
	long long before = used_memory(), after, nbuckets;
	struct buckets b;
	double per_url;

	for (size_t i = 0; i < BATCH; i++)
		urls[i] = text[i];
	for (size_t done = 0; done < MILLION; done += BATCH) {
		for (size_t i = 0; i < BATCH; i++)
			snprintf(text[i], sizeof(text[i]), "http://h%zu.test/page/%zu",
				 (done + i) % 97, done + i);
		cr_assert_eq(add(v, urls, BATCH, fresh), BATCH, "at %zu", done);
	}
	after = used_memory();
	cr_expect_eq(visited_count(v), MILLION);
	nbuckets = get_integer("C:{million}:seen:b");
	b = buckets_of("million", nbuckets);
	per_url = (double)(after - before) / MILLION;
	cr_log_info("visited_redis: %d URLs: %.2f bytes of Redis memory per URL "
		    "(used_memory %lld -> %lld), %lld buckets, the largest %lld",
		    MILLION, per_url, before, after, nbuckets, b.largest);
	cr_expect_eq(b.members, MILLION, "each URL in one bucket, after every split");
	cr_expect_eq(b.intsets, nbuckets, "every bucket an intset");
	cr_expect_lt(b.largest, 512, "under set-max-intset-entries");
	cr_expect_lt(per_url, 32.0);
	for (size_t i = 0; i < MILLION; i += 997) {
		snprintf(text[0], sizeof(text[0]), "http://h%zu.test/page/%zu", i % 97, i);
		cr_assert(visited_has(v, text[0]), "%s is found in its bucket", text[0]);
	}
	visited_free(v);
}
