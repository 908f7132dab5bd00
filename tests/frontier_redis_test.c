/* frontier_redis_test: what the Redis backend of the frontier adds to the
 * conformance suite (frontier_test.c, run on it by make check): an
 * unreachable Redis gives NULL and a message; a lease not ended before its
 * TTL is taken back by a take, one more attempt, and its old holder's end
 * is fenced off; frontiers on one crawl name share their queues (the
 * workers of a crawl); a Redis that lost its scripts is given them again;
 * a Redis gone fails pushes and takes as values. Each test has a
 * redis-server of its own (tests/support/redissrv.h). */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <hiredis.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "frontier.h"
#include "redissrv.h"

static struct redissrv *srv;

static void start(void)
{
	srv = redissrv_start(false);
}

static void stop(void)
{
	redissrv_stop(srv);
}

static struct frontier *frontier_of(const char *name, const struct frontier_config *cfg)
{
	char err[256];
	struct frontier *f = frontier_redis_new(srv->url, name, cfg, err, sizeof(err));

	cr_assert_not_null(f, "%s", err);
	return f;
}

static void push_ok(struct frontier *f, const char *url)
{
	struct frontier_item it = { .url = url };
	enum frontier_push_status st = FRONTIER_FAILED;

	cr_assert_eq(frontier_push_batch(f, &it, 1, &st), FRONTIER_OK, "push %s", url);
	cr_assert_eq(st, FRONTIER_QUEUED, "push %s", url);
}

static size_t leased(struct frontier *f)
{
	struct frontier_counts n;

	frontier_counts(f, &n);
	return n.leased;
}

Test(frontier_redis, an_unreachable_redis_gives_null_and_says_where)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t salen = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct frontier_config cfg = { .max_depth = -1 };
	char url[64], err[256] = "";

	/* Bound, not listening: a connection there is refused. */
	cr_assert_geq(fd, 0);
	cr_assert_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	cr_assert_eq(getsockname(fd, (struct sockaddr *)&sa, &salen), 0);
	snprintf(url, sizeof(url), "redis://127.0.0.1:%u", ntohs(sa.sin_port));
	cr_expect_null(frontier_redis_new(url, "c", &cfg, err, sizeof(err)));
	cr_expect(strstr(err, "127.0.0.1") && strstr(err, "refused"), "err: %s", err);
	cr_expect_null(frontier_redis_new("http://x/", "c", &cfg, err, sizeof(err)));
	cr_expect(strstr(err, "redis://"), "err: %s", err);
	close(fd);
}

Test(frontier_redis, an_expired_lease_is_taken_back_and_its_holder_fenced_off,
     .init = start, .fini = stop)
{
	struct frontier_config cfg = { .per_host = 1, .max_depth = -1,
				       .lease_ttl_ns = 1000 };
	struct frontier *f = frontier_of("ttl", &cfg);
	struct frontier_lease old, again, none;

	push_ok(f, "http://a.test/1");
	cr_assert_eq(frontier_take_ready(f, 0, NULL, &old), FRONTIER_OK);
	cr_expect_eq(frontier_take_ready(f, 999, NULL, &none), FRONTIER_NONE,
		     "the lease holds the origin's one slot");
	cr_assert_eq(frontier_take_ready(f, 1000, NULL, &again), FRONTIER_OK,
		     "expired: taken back and handed out again");
	cr_expect_str_eq(again.url, "http://a.test/1");
	cr_expect_eq(again.attempts, 1, "a lease taken back counts an attempt");
	frontier_done(f, &old);
	cr_expect_eq(leased(f), 1, "the old holder's done ends nothing");
	frontier_done(f, &again);
	cr_expect_eq(leased(f), 0);
	cr_expect(frontier_complete(f, 0));
	cr_expect(frontier_over(f));
	frontier_free(f);
}

Test(frontier_redis, frontiers_on_one_crawl_share_their_queues, .init = start,
     .fini = stop)
{
	struct frontier_config cfg = { .per_host = 1, .max_depth = -1 };
	struct frontier *a = frontier_of("shared", &cfg);
	struct frontier *b = frontier_of("shared", &cfg);
	struct frontier *other = frontier_of("other", &cfg);
	struct frontier_lease l, none;

	push_ok(a, "http://a.test/1");
	push_ok(a, "http://a.test/2");
	cr_expect_eq(frontier_take_ready(other, 0, NULL, &none), FRONTIER_NONE);
	cr_assert_eq(frontier_take_ready(b, 0, NULL, &l), FRONTIER_OK);
	cr_expect_str_eq(l.url, "http://a.test/1");
	cr_expect_eq(frontier_take_ready(a, 0, NULL, &none), FRONTIER_NONE,
		     "the origin's cap holds across the workers");
	frontier_done(b, &l);
	cr_assert_eq(frontier_take_ready(a, 0, NULL, &l), FRONTIER_OK);
	cr_expect_str_eq(l.url, "http://a.test/2");
	frontier_done(a, &l);
	frontier_free(a);
	frontier_free(b);
	frontier_free(other);
}

Test(frontier_redis, a_redis_that_lost_its_scripts_is_given_them_again,
     .init = start, .fini = stop)
{
	struct frontier_config cfg = { .per_host = 1, .max_depth = -1 };
	struct frontier *f = frontier_of("flushed", &cfg);
	redisContext *admin = redisConnect("127.0.0.1", srv->port);
	redisReply *rep;
	struct frontier_lease l;

	cr_assert(admin && !admin->err);
	push_ok(f, "http://a.test/1");
	rep = redisCommand(admin, "SCRIPT FLUSH");
	cr_assert(rep && rep->type == REDIS_REPLY_STATUS);
	freeReplyObject(rep);
	redisFree(admin);
	cr_assert_eq(frontier_take_ready(f, 0, NULL, &l), FRONTIER_OK,
		     "NOSCRIPT: loaded, sent again");
	frontier_done(f, &l);
	frontier_free(f);
}

Test(frontier_redis, a_redis_gone_fails_pushes_and_takes_as_values,
     .init = start, .fini = stop)
{
	struct frontier_config cfg = { .per_host = 1, .max_depth = -1 };
	struct frontier *f = frontier_of("down", &cfg);
	struct frontier_item it = { .url = "http://a.test/1" };
	enum frontier_push_status st = FRONTIER_QUEUED;
	struct frontier_gate g;
	struct frontier_lease l;

	redissrv_stop(srv);
	srv = NULL;
	cr_expect_eq(frontier_push_batch(f, &it, 1, &st), FRONTIER_UNAVAILABLE);
	cr_expect_eq(st, FRONTIER_FAILED);
	cr_expect_eq(frontier_take_ready(f, 0, NULL, &l), FRONTIER_UNAVAILABLE);
	cr_expect_eq(frontier_take_gated(f, &g), FRONTIER_UNAVAILABLE);
	cr_expect_not(frontier_over(f), "unknown is not over");
	frontier_free(f);
}
