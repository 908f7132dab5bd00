/* backend: picks the backend under test by TEST_BACKEND (see backend.h). */
#include "backend.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "frontier.h"
#include "redissrv.h"
#include "visited.h"

struct backend {
	const char *name;
	struct visited *(*visited_new)(void);
	struct frontier *(*frontier_new)(const struct frontier_config *cfg);
};

/* The redis row's server: one per test process (Criterion runs each test
 * in a process of its own), started by the first set the test makes and
 * stopped when the process exits (or killed with it, redissrv.h). */
static struct redissrv *redis_server;

static void redis_server_stop(void)
{
	redissrv_stop(redis_server);
	redis_server = NULL;
}

static void redis_server_need(void)
{
	if (!redis_server) {
		redis_server = redissrv_start(false);
		cr_assert_eq(atexit(redis_server_stop), 0);
	}
}

/* Each set or frontier is a crawl of its own name, so two of a test share
 * nothing, as two in memory do. */
static void redis_name(char *name, size_t len)
{
	static unsigned made;

	snprintf(name, len, "test-%d-%u", (int)getpid(), made++);
}

static struct visited *redis_visited_new(void)
{
	char name[64], err[256];
	struct visited *v;

	redis_server_need();
	redis_name(name, sizeof(name));
	v = visited_redis_new(redis_server->url, name, err, sizeof(err));
	cr_assert_not_null(v, "redis: %s", err);
	return v;
}

static struct frontier *redis_frontier_new(const struct frontier_config *cfg)
{
	char name[64], err[256];
	struct frontier *f;

	redis_server_need();
	redis_name(name, sizeof(name));
	f = frontier_redis_new(redis_server->url, name, cfg, err, sizeof(err));
	cr_assert_not_null(f, "redis: %s", err);
	return f;
}

static const struct backend backends[] = {
	{ "memory", visited_memory_new, frontier_memory_new },
	{ "redis", redis_visited_new, redis_frontier_new },
};

static const struct backend *backend(void)
{
	const char *want = getenv("TEST_BACKEND");
	const struct backend *b = NULL;

	if (!want || !*want)
		return &backends[0];
	for (size_t i = 0; i < sizeof(backends) / sizeof(backends[0]); i++)
		if (strcmp(backends[i].name, want) == 0)
			b = &backends[i];
	cr_assert_not_null(b, "TEST_BACKEND=%s: no such backend", want);
	return b;
}

const char *backend_name(void)
{
	return backend()->name;
}

struct visited *backend_visited_new(void)
{
	struct visited *v = backend()->visited_new();

	cr_assert_not_null(v, "%s: cannot make a visited set", backend_name());
	return v;
}

struct frontier *backend_frontier_new(const struct frontier_config *cfg)
{
	struct frontier *f;

	f = backend()->frontier_new(cfg);
	cr_assert_not_null(f, "%s: cannot make a frontier", backend_name());
	return f;
}
