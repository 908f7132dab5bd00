/* backend: the backend the conformance suites (visited_test.c,
 * frontier_test.c) run against. The suites see only the ops table; this
 * makes the set or frontier under test. TEST_BACKEND names the backend:
 * "memory" (the default) or "redis" (a redis-server the row starts for the
 * test). A backend adds a row to the table in
 * backend.c and the same suites run against it. */
#ifndef CRAWLER_TEST_BACKEND_H
#define CRAWLER_TEST_BACKEND_H

struct frontier;
struct frontier_config;
struct visited;

/* The name of the backend under test. */
const char *backend_name(void);

/* A new, empty visited set of the backend under test; the test fails if
 * it cannot be made. */
struct visited *backend_visited_new(void);

/* A new, empty frontier of the backend under test; the test fails if it
 * cannot be made. */
struct frontier *backend_frontier_new(const struct frontier_config *cfg);

#endif
