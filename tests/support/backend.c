/* backend: picks the backend under test by TEST_BACKEND (see backend.h). */
#include "backend.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "frontier.h"
#include "visited.h"

struct backend {
	const char *name;
	struct visited *(*visited_new)(void);
	struct frontier *(*frontier_new)(const struct frontier_config *cfg);
};

static const struct backend backends[] = {
	{ "memory", visited_memory_new, frontier_memory_new },
};

static const struct backend *backend(void)
{
	const char *want = getenv("TEST_BACKEND");
	const struct backend *b = NULL;

	if (!want || !*want)
		return &backends[0];
	for (size_t i = 0; i < sizeof(backends) / sizeof(backends[0]); i++)
		if (!strcmp(backends[i].name, want))
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
	struct frontier *f = backend()->frontier_new(cfg);

	cr_assert_not_null(f, "%s: cannot make a frontier", backend_name());
	return f;
}
