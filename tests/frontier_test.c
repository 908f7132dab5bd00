/* frontier_test: the conformance suite of include/frontier.h, written
 * against the ops table only: the backend under test comes from
 * backend_frontier_new (tests/support/backend.h). FIFO within an origin in
 * depth order, round robin between origins, the per-origin cap on leases,
 * pacing, gates and policies, retries, batched pushes and their statuses
 * (queued, host full, too deep), what a lease carries, the counts, pending
 * and "over" with frontier_complete, level-synchronous takes under a max
 * depth, frontier_free releasing what is queued (ASan checks for leaks),
 * and batches pushed from many threads at once. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "frontier.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* Only a per-origin cap: no pacing, no gates, no levels. */
static struct frontier_config config(unsigned per_host)
{
	return (struct frontier_config){ .per_host = per_host, .max_depth = -1 };
}

static struct frontier *fnew(unsigned per_host)
{
	struct frontier_config cfg = config(per_host);

	return backend_frontier_new(&cfg);
}

/* Going level by level up to max_depth. */
static struct frontier *fnew_levels(long max_depth)
{
	struct frontier_config cfg = config(8);

	cfg.max_depth = max_depth;
	return backend_frontier_new(&cfg);
}

/* One item in a batch of its own: what became of it. */
static enum frontier_push_status push(struct frontier *f, const char *url,
				      const char *parent, unsigned depth)
{
	struct frontier_item it = { .url = url, .parent = parent, .depth = depth };
	enum frontier_push_status st = FRONTIER_FAILED;

	cr_assert_eq(frontier_push_batch(f, &it, 1, &st), FRONTIER_OK, "push %s", url);
	return st;
}

static void push_ok(struct frontier *f, const char *url, const char *parent,
		    unsigned depth)
{
	cr_assert_eq(push(f, url, parent, depth), FRONTIER_QUEUED, "push %s", url);
}

/* Take at time 0 (nothing is paced); false when nothing is ready. */
static bool take(struct frontier *f, struct frontier_lease *l)
{
	return frontier_take_ready(f, 0, NULL, l) == FRONTIER_OK;
}

/* Take the next lease; it must be for url. */
static void take_expect(struct frontier *f, const char *url, struct frontier_lease *l)
{
	cr_assert(take(f, l), "wanted %s, got nothing", url);
	cr_assert_str_eq(l->url, url);
}

static bool nothing_ready(struct frontier *f)
{
	struct frontier_lease l;

	return !take(f, &l);
}

/* The lease ends and its URL's record is written: frontier_complete's
 * answer. */
static bool finish(struct frontier *f, const struct frontier_lease *l)
{
	unsigned depth = l->depth;

	frontier_done(f, l);
	return frontier_complete(f, depth);
}

static struct frontier_counts counts(struct frontier *f)
{
	struct frontier_counts n;

	frontier_counts(f, &n);
	return n;
}

Test(frontier, an_empty_frontier_hands_out_nothing_and_is_over)
{
	struct frontier *f = fnew(8);
	struct frontier_gate g;

	cr_expect(nothing_ready(f));
	cr_expect_eq(frontier_take_gated(f, &g), FRONTIER_NONE);
	cr_expect_eq(counts(f).queued, 0);
	cr_expect_eq(counts(f).leased, 0);
	cr_expect_eq(counts(f).pending, 0);
	cr_expect(frontier_over(f), "nothing pushed: over");
	frontier_free(f);
}

Test(frontier, one_origin_hands_out_in_fifo_order)
{
	struct frontier *f = fnew(8);
	const char *urls[] = { "http://a.test/1", "http://a.test/2",
			       "http://a.test/3", "http://a.test/4" };
	struct frontier_lease l[4];

	for (int i = 0; i < 4; i++)
		push_ok(f, urls[i], NULL, 0);
	for (int i = 0; i < 4; i++)
		take_expect(f, urls[i], &l[i]);
	cr_expect(nothing_ready(f));
	for (int i = 0; i < 4; i++)
		frontier_done(f, &l[i]);
	frontier_free(f);
}

Test(frontier, origins_take_turns)
{
	struct frontier *f = fnew(8);
	const char *want[] = { "http://a.test/1", "http://b.test/1",
			       "http://a.test/2", "http://b.test/2",
			       "http://a.test/3" };
	struct frontier_lease l[5];

	push_ok(f, "http://a.test/1", NULL, 0);
	push_ok(f, "http://a.test/2", NULL, 0);
	push_ok(f, "http://a.test/3", NULL, 0);
	push_ok(f, "http://b.test/1", NULL, 0);
	push_ok(f, "http://b.test/2", NULL, 0);
	for (int i = 0; i < 5; i++)
		take_expect(f, want[i], &l[i]);
	cr_expect(nothing_ready(f));
	for (int i = 0; i < 5; i++)
		frontier_done(f, &l[i]);
	frontier_free(f);
}

Test(frontier, three_origins_round_robin_in_arrival_order)
{
	struct frontier *f = fnew(8);
	const char *want[] = { "http://c.test/1", "http://a.test/1",
			       "http://b.test/1", "http://c.test/2",
			       "http://a.test/2", "http://c.test/3" };
	struct frontier_lease l[6];

	push_ok(f, "http://c.test/1", NULL, 0);
	push_ok(f, "http://a.test/1", NULL, 0);
	push_ok(f, "http://c.test/2", NULL, 0);
	push_ok(f, "http://b.test/1", NULL, 0);
	push_ok(f, "http://c.test/3", NULL, 0);
	push_ok(f, "http://a.test/2", NULL, 0);
	for (int i = 0; i < 6; i++)
		take_expect(f, want[i], &l[i]);
	cr_expect(nothing_ready(f));
	for (int i = 0; i < 6; i++)
		frontier_done(f, &l[i]);
	frontier_free(f);
}

Test(frontier, each_origin_has_its_own_queue_and_cap)
{
	/* Origins (scheme, host, port) key the queues, as robots.txt does. */
	struct frontier *f = fnew(1);
	struct frontier_lease l[3];

	push_ok(f, "http://a.test/1", NULL, 0);
	push_ok(f, "http://a.test:8080/2", NULL, 0);
	push_ok(f, "https://a.test/3", NULL, 0);
	push_ok(f, "http://a.test/4", NULL, 0);
	take_expect(f, "http://a.test/1", &l[0]);
	take_expect(f, "http://a.test:8080/2", &l[1]);
	take_expect(f, "https://a.test/3", &l[2]);
	cr_expect(nothing_ready(f), "http://a.test is at its cap");
	for (int i = 0; i < 3; i++)
		frontier_done(f, &l[i]);
	frontier_free(f);
}

Test(frontier, a_shallower_url_passes_deeper_ones_of_its_origin)
{
	/* A redirect target has its source's depth and may come after links
	 * one deeper. */
	struct frontier *f = fnew(8);
	struct frontier_lease l[4];

	push_ok(f, "http://a.test/1", NULL, 1);
	push_ok(f, "http://a.test/2", NULL, 2);
	push_ok(f, "http://a.test/3", NULL, 2);
	push_ok(f, "http://a.test/r", NULL, 1);
	take_expect(f, "http://a.test/1", &l[0]);
	take_expect(f, "http://a.test/r", &l[1]);
	take_expect(f, "http://a.test/2", &l[2]);
	take_expect(f, "http://a.test/3", &l[3]);
	for (int i = 0; i < 4; i++)
		frontier_done(f, &l[i]);
	frontier_free(f);
}

Test(frontier, an_origin_is_paced_by_its_delay_while_others_go_on)
{
	struct frontier_config cfg = config(8);
	struct frontier *f;
	int64_t wake = INT64_MAX;
	struct frontier_lease l[3], none;

	cfg.delay_ns = 1000;
	f = backend_frontier_new(&cfg);
	push_ok(f, "http://a.test/1", NULL, 0);
	push_ok(f, "http://a.test/2", NULL, 0);
	push_ok(f, "http://b.test/1", NULL, 0);
	cr_assert_eq(frontier_take_ready(f, 5000, &wake, &l[0]), FRONTIER_OK);
	cr_assert_str_eq(l[0].url, "http://a.test/1");
	cr_assert_eq(frontier_take_ready(f, 5000, &wake, &l[1]), FRONTIER_OK);
	cr_assert_str_eq(l[1].url, "http://b.test/1", "b is not held up by a's delay");
	cr_expect_eq(frontier_take_ready(f, 5999, &wake, &none), FRONTIER_NONE,
		     "a waits 1000 ns");
	cr_expect_eq(wake, 6000, "the caller is told when a is ready");
	cr_assert_eq(frontier_take_ready(f, 6000, NULL, &l[2]), FRONTIER_OK);
	cr_assert_str_eq(l[2].url, "http://a.test/2");
	for (int i = 0; i < 3; i++)
		frontier_done(f, &l[i]);
	frontier_free(f);
}

Test(frontier, wake_is_left_alone_when_no_origin_is_paced)
{
	struct frontier *f = fnew(1);
	int64_t wake = 123;
	struct frontier_lease l, none;

	push_ok(f, "http://a.test/1", NULL, 0);
	push_ok(f, "http://a.test/2", NULL, 0);
	cr_assert_eq(frontier_take_ready(f, 0, &wake, &l), FRONTIER_OK);
	cr_expect_eq(frontier_take_ready(f, 0, &wake, &none), FRONTIER_NONE,
		     "a is at its cap");
	cr_expect_eq(wake, 123, "a cap is no time to wake up at");
	frontier_done(f, &l);
	frontier_free(f);
}

static void count_free(void *policy)
{
	(*(int *)policy)++;
}

Test(frontier, a_gated_origin_waits_until_opened_and_its_leases_carry_its_policy)
{
	static int freed;
	struct frontier_config cfg = config(8);
	struct frontier *f;
	struct frontier_gate g, again;
	struct frontier_lease l;

	cfg.gated = true;
	cfg.free_policy = count_free;
	f = backend_frontier_new(&cfg);
	push_ok(f, "http://a.test/1", NULL, 0);
	push_ok(f, "http://a.test/2", NULL, 0);
	cr_expect(nothing_ready(f), "nothing before the gate opens");
	cr_assert_eq(frontier_take_gated(f, &g), FRONTIER_OK);
	cr_expect_str_eq(g.origin, "http://a.test");
	cr_expect_eq(frontier_take_gated(f, &again), FRONTIER_NONE,
		     "each gated origin is handed out once");
	cr_expect(nothing_ready(f), "a gate handed out is still shut");
	frontier_open(f, &g, &freed, 0, 0);
	take_expect(f, "http://a.test/1", &l);
	cr_expect_eq(l.policy, &freed);
	frontier_done(f, &l);
	frontier_free(f);
	cr_expect_eq(freed, 1, "the policy is freed with the frontier");
}

Test(frontier, a_gate_names_its_origin_scheme_host_and_port)
{
	struct frontier_config cfg = config(8);
	struct frontier *f;
	struct frontier_gate g[3];
	const char *want[] = { "http://a.test", "http://a.test:8080", "https://a.test" };
	bool seen[3] = { false };

	cfg.gated = true;
	f = backend_frontier_new(&cfg);
	push_ok(f, "http://a.test/x?y", NULL, 0);
	push_ok(f, "http://a.test:8080/", NULL, 0);
	push_ok(f, "https://a.test#top", NULL, 0);
	push_ok(f, "http://a.test/z", NULL, 0);
	for (int i = 0; i < 3; i++) {
		cr_assert_eq(frontier_take_gated(f, &g[i]), FRONTIER_OK, "gate %d", i);
		for (int k = 0; k < 3; k++)
			if (!strcmp(g[i].origin, want[k]))
				seen[k] = true;
	}
	cr_expect_eq(frontier_take_gated(f, &g[0]), FRONTIER_NONE, "three origins");
	for (int k = 0; k < 3; k++)
		cr_expect(seen[k], "a gate for %s", want[k]);
	frontier_free(f);
}

Test(frontier, an_opened_origin_waits_its_delay_from_the_open)
{
	/* The robots.txt request counts as a start; the longer of the two
	 * delays holds. */
	struct frontier_config cfg = config(8);
	struct frontier *f;
	struct frontier_gate g;
	struct frontier_lease l[2], none;
	int64_t wake = INT64_MAX;

	cfg.gated = true;
	cfg.delay_ns = 100;
	f = backend_frontier_new(&cfg);
	push_ok(f, "http://a.test/1", NULL, 0);
	push_ok(f, "http://a.test/2", NULL, 0);
	cr_assert_eq(frontier_take_gated(f, &g), FRONTIER_OK);
	frontier_open(f, &g, NULL, 500, 1000);
	cr_expect_eq(frontier_take_ready(f, 1499, &wake, &none), FRONTIER_NONE);
	cr_expect_eq(wake, 1500);
	cr_assert_eq(frontier_take_ready(f, 1500, NULL, &l[0]), FRONTIER_OK);
	cr_expect_null(l[0].policy, "opened without a policy");
	cr_expect_eq(frontier_take_ready(f, 1999, NULL, &none), FRONTIER_NONE,
		     "500 ns between starts, not the configured 100");
	cr_assert_eq(frontier_take_ready(f, 2000, NULL, &l[1]), FRONTIER_OK);
	frontier_done(f, &l[0]);
	frontier_done(f, &l[1]);
	frontier_free(f);
}

Test(frontier, a_skipped_lease_gives_its_start_back_to_the_origin)
{
	/* A URL refused without a request: the origin's next start is what
	 * it was before that lease, so the next URL goes in the same slot. */
	struct frontier_config cfg = config(8);
	struct frontier *f;
	struct frontier_gate g;
	struct frontier_lease l[4], none;
	int64_t wake = INT64_MAX;

	cfg.gated = true;
	f = backend_frontier_new(&cfg);
	push_ok(f, "http://a.test/1", NULL, 0);
	push_ok(f, "http://a.test/2", NULL, 0);
	push_ok(f, "http://a.test/3", NULL, 0);
	push_ok(f, "http://a.test/4", NULL, 0);
	push_ok(f, "http://a.test/5", NULL, 0);
	cr_assert_eq(frontier_take_gated(f, &g), FRONTIER_OK);
	frontier_open(f, &g, NULL, 1000, 0);
	cr_assert_eq(frontier_take_ready(f, 1000, NULL, &l[0]), FRONTIER_OK);
	cr_assert_eq(frontier_take_ready(f, 2000, NULL, &l[1]), FRONTIER_OK);
	frontier_skip(f, &l[1]);
	cr_assert_eq(frontier_take_ready(f, 2000, NULL, &l[2]), FRONTIER_OK,
		     "the skipped lease's slot is free again");
	cr_expect_str_eq(l[2].url, "http://a.test/3");
	frontier_skip(f, &l[2]);
	frontier_skip(f, &l[0]);
	cr_assert_eq(frontier_take_ready(f, 2000, NULL, &l[3]), FRONTIER_OK,
		     "skipping an older lease takes no later start back");
	cr_expect_eq(frontier_take_ready(f, 2999, &wake, &none), FRONTIER_NONE);
	cr_expect_eq(wake, 3000, "a/4 made a start: the origin waits its delay");
	cr_expect_eq(counts(f).leased, 1);
	cr_expect_eq(counts(f).pending, 5, "skipped URLs stay pending until completed");
	frontier_done(f, &l[3]);
	frontier_free(f);
}

Test(frontier, a_retry_goes_first_and_holds_its_origin_until_not_before)
{
	struct frontier *f = fnew(8);
	struct frontier_lease l, none;

	push_ok(f, "http://a.test/1", NULL, 0);
	push_ok(f, "http://a.test/2", NULL, 0);
	take_expect(f, "http://a.test/1", &l);
	cr_expect_eq(l.attempts, 0);
	frontier_retry(f, &l, 100);
	cr_expect_eq(counts(f).queued, 2);
	cr_expect_eq(frontier_take_ready(f, 99, NULL, &none), FRONTIER_NONE);
	cr_assert_eq(frontier_take_ready(f, 100, NULL, &l), FRONTIER_OK);
	cr_expect_str_eq(l.url, "http://a.test/1");
	cr_expect_eq(l.attempts, 1, "a retry counts an attempt");
	frontier_retry(f, &l, 200);
	cr_assert_eq(frontier_take_ready(f, 200, NULL, &l), FRONTIER_OK);
	cr_expect_eq(l.attempts, 2);
	frontier_done(f, &l);
	frontier_free(f);
}

Test(frontier, a_retry_frees_its_slot_and_stays_pending)
{
	struct frontier *f = fnew(1);
	struct frontier_lease l;

	push_ok(f, "http://a.test/1", NULL, 0);
	take_expect(f, "http://a.test/1", &l);
	cr_expect_eq(counts(f).leased, 1);
	frontier_retry(f, &l, 0);
	cr_expect_eq(counts(f).leased, 0);
	cr_expect_eq(counts(f).pending, 1);
	cr_expect_not(frontier_over(f));
	take_expect(f, "http://a.test/1", &l);
	cr_expect(finish(f, &l));
	cr_expect(frontier_over(f));
	frontier_free(f);
}

Test(frontier, max_per_host_refuses_urls_past_the_cap)
{
	struct frontier_config cfg = config(8);
	struct frontier *f;

	cfg.max_per_host = 2;
	f = backend_frontier_new(&cfg);
	cr_expect_eq(push(f, "http://a.test/1", NULL, 0), FRONTIER_QUEUED);
	cr_expect_eq(push(f, "http://a.test/2", NULL, 0), FRONTIER_QUEUED);
	cr_expect_eq(push(f, "http://a.test/3", NULL, 0), FRONTIER_HOST_FULL);
	cr_expect_eq(push(f, "http://b.test/1", NULL, 0), FRONTIER_QUEUED);
	cr_expect_eq(counts(f).queued, 3);
	frontier_free(f);
}

Test(frontier, a_batch_reports_what_became_of_each_item)
{
	struct frontier_config cfg = config(8);
	struct frontier *f;
	const struct frontier_item items[] = {
		{ .url = "http://a.test/1" },
		{ .url = "http://b.test/1", .parent = "http://a.test/1", .depth = 1 },
		{ .url = "http://a.test/2", .parent = "http://a.test/1", .depth = 1 },
		{ .url = "http://a.test/3", .parent = "http://a.test/1", .depth = 1 },
		{ .url = "http://b.test/2", .parent = "http://a.test/1", .depth = 1 },
		{ .url = "http://c.test/1", .parent = "http://a.test/1", .depth = 1 },
	};
	const enum frontier_push_status want[] = {
		FRONTIER_QUEUED, FRONTIER_QUEUED, FRONTIER_QUEUED,
		FRONTIER_HOST_FULL, FRONTIER_QUEUED, FRONTIER_QUEUED,
	};
	enum frontier_push_status st[N(items)];
	struct frontier_lease l;

	cfg.max_per_host = 2;
	f = backend_frontier_new(&cfg);
	cr_assert_eq(frontier_push_batch(f, items, N(items), st), FRONTIER_OK);
	for (size_t i = 0; i < N(items); i++)
		cr_expect_eq(st[i], want[i], "item %zu (%s)", i, items[i].url);
	cr_expect_eq(counts(f).queued, 5);
	cr_expect_eq(counts(f).pending, 5, "a refused URL is not pending");
	take_expect(f, "http://a.test/1", &l);
	frontier_done(f, &l);
	take_expect(f, "http://b.test/1", &l);
	frontier_done(f, &l);
	frontier_free(f);
}

Test(frontier, an_empty_batch_is_ok)
{
	struct frontier *f = fnew(8);
	enum frontier_push_status st[1] = { FRONTIER_QUEUED };

	cr_expect_eq(frontier_push_batch(f, NULL, 0, st), FRONTIER_OK);
	cr_expect_eq(counts(f).queued, 0);
	cr_expect(frontier_over(f));
	frontier_free(f);
}

Test(frontier, a_url_past_max_depth_is_refused_and_makes_no_origin)
{
	struct frontier_config cfg = config(8);
	struct frontier *f;
	struct frontier_gate g;

	cfg.max_depth = 1;
	cfg.gated = true;
	f = backend_frontier_new(&cfg);
	cr_expect_eq(push(f, "http://a.test/x", "http://b.test/", 2), FRONTIER_TOO_DEEP);
	cr_expect_eq(frontier_take_gated(f, &g), FRONTIER_NONE,
		     "no robots.txt to fetch for a URL refused");
	cr_expect_eq(counts(f).pending, 0);
	cr_expect(frontier_over(f));
	frontier_free(f);
}

Test(frontier, a_lease_carries_its_redirect_chain_and_flags)
{
	struct frontier *f = fnew(8);
	const uint64_t chain[] = { 0x1111, 0x2222, 0x3333 };
	struct frontier_item it = { .url = "http://a.test/x", .parent = "http://a.test/p",
				    .depth = 2, .redirects = 3, .chain = chain, .flags = 5 };
	enum frontier_push_status st;
	struct frontier_lease l;

	cr_assert_eq(frontier_push_batch(f, &it, 1, &st), FRONTIER_OK);
	cr_assert_eq(st, FRONTIER_QUEUED);
	take_expect(f, "http://a.test/x", &l);
	cr_expect_str_eq(l.parent, "http://a.test/p");
	cr_expect_eq(l.depth, 2);
	cr_expect_eq(l.redirects, 3);
	cr_expect_eq(l.flags, 5);
	cr_assert_not_null(l.chain);
	cr_expect_eq(((uintptr_t)l.chain) % 8, 0, "the chain is aligned");
	for (int i = 0; i < 3; i++)
		cr_expect_eq(l.chain[i], chain[i]);
	frontier_done(f, &l);
	frontier_free(f);
}

Test(frontier, a_lease_without_redirects_has_no_chain)
{
	struct frontier *f = fnew(8);
	struct frontier_lease l;

	push_ok(f, "http://a.test/", NULL, 0);
	take_expect(f, "http://a.test/", &l);
	cr_expect_eq(l.redirects, 0);
	cr_expect_null(l.chain);
	cr_expect_eq(l.flags, 0);
	frontier_done(f, &l);
	frontier_free(f);
}

Test(frontier, a_lease_keeps_its_parent_and_depth)
{
	struct frontier *f = fnew(8);
	char parent[] = "http://a.test/index.html";
	struct frontier_lease seed, child;

	push_ok(f, "http://a.test/", NULL, 0);
	push_ok(f, "http://a.test/child", parent, 3);
	memset(parent, 'x', sizeof(parent) - 1); /* the frontier made a copy */
	take_expect(f, "http://a.test/", &seed);
	cr_expect_null(seed.parent);
	cr_expect_eq(seed.depth, 0);
	take_expect(f, "http://a.test/child", &child);
	cr_assert_not_null(child.parent);
	cr_expect_str_eq(child.parent, "http://a.test/index.html");
	cr_expect_eq(child.depth, 3);
	frontier_done(f, &seed);
	frontier_done(f, &child);
	frontier_free(f);
}

Test(frontier, a_batch_with_parents_in_turn_keeps_each_items_own)
{
	struct frontier *f = fnew(8);
	const struct frontier_item items[] = {
		{ .url = "http://a.test/1", .parent = "http://p.test/a", .depth = 1 },
		{ .url = "http://a.test/2", .parent = "http://p.test/b", .depth = 1 },
		{ .url = "http://a.test/3", .parent = "http://p.test/a", .depth = 1 },
		{ .url = "http://a.test/4", .depth = 1 },
		{ .url = "http://a.test/5", .parent = "http://p.test/a", .depth = 1 },
	};
	enum frontier_push_status st[N(items)];
	struct frontier_lease l[N(items)];

	cr_assert_eq(frontier_push_batch(f, items, N(items), st), FRONTIER_OK);
	for (size_t i = 0; i < N(items); i++) {
		take_expect(f, items[i].url, &l[i]);
		if (items[i].parent)
			cr_expect_str_eq(l[i].parent, items[i].parent, "%s", items[i].url);
		else
			cr_expect_null(l[i].parent, "%s", items[i].url);
	}
	for (size_t i = 0; i < N(items); i++)
		frontier_done(f, &l[i]);
	frontier_free(f);
}

Test(frontier, url_is_copied_on_push)
{
	struct frontier *f = fnew(8);
	char url[] = "http://a.test/page";
	struct frontier_lease l;

	push_ok(f, url, NULL, 0);
	url[14] = 'X';
	take_expect(f, "http://a.test/page", &l);
	frontier_done(f, &l);
	frontier_free(f);
}

Test(frontier, per_host_cap_holds_back_leases_until_done)
{
	struct frontier *f = fnew(2);
	struct frontier_lease l1, l2, l3, l4, l5;

	for (int i = 1; i <= 5; i++) {
		char url[32];

		snprintf(url, sizeof(url), "http://a.test/%d", i);
		push_ok(f, url, NULL, 0);
	}
	take_expect(f, "http://a.test/1", &l1);
	take_expect(f, "http://a.test/2", &l2);
	cr_expect(nothing_ready(f), "two leased: the origin waits");
	cr_expect(nothing_ready(f));
	cr_expect_eq(counts(f).queued, 3);

	frontier_done(f, &l1);
	take_expect(f, "http://a.test/3", &l3);
	cr_expect(nothing_ready(f));

	frontier_done(f, &l2);
	frontier_done(f, &l3);
	take_expect(f, "http://a.test/4", &l4);
	take_expect(f, "http://a.test/5", &l5);
	cr_expect(nothing_ready(f));
	cr_expect_eq(counts(f).queued, 0);
	frontier_done(f, &l4);
	frontier_done(f, &l5);
	frontier_free(f);
}

Test(frontier, capped_origin_does_not_block_other_origins)
{
	struct frontier *f = fnew(1);
	struct frontier_lease a1, b1, b2, a2;

	push_ok(f, "http://a.test/1", NULL, 0);
	push_ok(f, "http://a.test/2", NULL, 0);
	push_ok(f, "http://b.test/1", NULL, 0);
	push_ok(f, "http://b.test/2", NULL, 0);
	take_expect(f, "http://a.test/1", &a1);
	take_expect(f, "http://b.test/1", &b1);
	cr_expect(nothing_ready(f));
	frontier_done(f, &b1);
	take_expect(f, "http://b.test/2", &b2);
	cr_expect(nothing_ready(f), "a is still at its cap");
	frontier_done(f, &a1);
	take_expect(f, "http://a.test/2", &a2);
	frontier_done(f, &b2);
	frontier_done(f, &a2);
	frontier_free(f);
}

Test(frontier, push_to_a_capped_origin_waits_for_done)
{
	struct frontier *f = fnew(1);
	struct frontier_lease l1, l2;

	push_ok(f, "http://a.test/1", NULL, 0);
	take_expect(f, "http://a.test/1", &l1);
	push_ok(f, "http://a.test/2", NULL, 1);
	cr_expect(nothing_ready(f), "a new URL does not lift the cap");
	cr_expect_eq(counts(f).queued, 1);
	frontier_done(f, &l1);
	take_expect(f, "http://a.test/2", &l2);
	frontier_done(f, &l2);
	frontier_free(f);
}

Test(frontier, origin_emptied_and_refilled_is_served_again)
{
	struct frontier *f = fnew(4);
	struct frontier_lease l;

	push_ok(f, "http://a.test/1", NULL, 0);
	take_expect(f, "http://a.test/1", &l);
	frontier_done(f, &l);
	cr_expect(nothing_ready(f));
	push_ok(f, "http://a.test/2", NULL, 1);
	take_expect(f, "http://a.test/2", &l);
	frontier_done(f, &l);
	frontier_free(f);
}

Test(frontier, counts_follow_queued_leased_and_pending)
{
	struct frontier *f = fnew(8);
	struct frontier_lease l1, l2;
	struct frontier_counts n;

	push_ok(f, "http://a.test/1", NULL, 0);
	push_ok(f, "http://a.test/2", NULL, 0);
	push_ok(f, "http://b.test/1", NULL, 0);
	n = counts(f);
	cr_expect(n.queued == 3 && n.leased == 0 && n.pending == 3);
	take_expect(f, "http://a.test/1", &l1);
	take_expect(f, "http://b.test/1", &l2);
	n = counts(f);
	cr_expect(n.queued == 1 && n.leased == 2 && n.pending == 3,
		  "%zu queued, %zu leased, %zu pending", n.queued, n.leased, n.pending);
	frontier_done(f, &l1);
	n = counts(f);
	cr_expect(n.queued == 1 && n.leased == 1 && n.pending == 3,
		  "done: the record is still to write");
	frontier_complete(f, 0);
	frontier_retry(f, &l2, 0);
	n = counts(f);
	cr_expect(n.queued == 2 && n.leased == 0 && n.pending == 2,
		  "%zu queued, %zu leased, %zu pending", n.queued, n.leased, n.pending);
	frontier_free(f);
}

Test(frontier, pending_counts_from_push_to_complete)
{
	struct frontier *f = fnew(8);
	struct frontier_lease l;

	push_ok(f, "http://a.test/1", NULL, 0);
	push_ok(f, "http://a.test/2", NULL, 1);
	cr_expect_not(frontier_over(f));
	take_expect(f, "http://a.test/1", &l);
	cr_expect_not(frontier_over(f), "a URL leased is pending");
	cr_expect_not(finish(f, &l), "one is left");
	take_expect(f, "http://a.test/2", &l);
	frontier_done(f, &l);
	cr_expect_not(frontier_over(f), "done, but its record is not written");
	cr_expect(frontier_complete(f, 1), "the last completion ends the work");
	cr_expect(frontier_over(f));
	frontier_free(f);
}

Test(frontier, the_crawl_is_not_over_while_a_lease_is_held)
{
	/* A URL whose record could not be made is completed (dropped) before
	 * its lease ends. */
	struct frontier *f = fnew(8);
	struct frontier_lease l;

	push_ok(f, "http://a.test/", NULL, 0);
	take_expect(f, "http://a.test/", &l);
	cr_expect(frontier_complete(f, 0));
	cr_expect_eq(counts(f).pending, 0);
	cr_expect_not(frontier_over(f), "a lease is held");
	frontier_done(f, &l);
	cr_expect(frontier_over(f));
	frontier_free(f);
}

Test(frontier, links_pushed_before_their_page_completes_keep_the_crawl_going)
{
	struct frontier *f = fnew(8);
	struct frontier_lease page, link;

	push_ok(f, "http://a.test/", NULL, 0);
	take_expect(f, "http://a.test/", &page);
	frontier_done(f, &page);
	push_ok(f, "http://a.test/link", "http://a.test/", 1);
	cr_expect_not(frontier_complete(f, 0), "the link is pending");
	cr_expect_not(frontier_over(f));
	take_expect(f, "http://a.test/link", &link);
	cr_expect(finish(f, &link));
	cr_expect(frontier_over(f));
	frontier_free(f);
}

Test(frontier, take_skips_an_origin_whose_next_url_is_past_the_level)
{
	struct frontier *f = fnew_levels(3);
	struct frontier_lease a1, b1, a2;

	push_ok(f, "http://a.test/1", NULL, 0);
	push_ok(f, "http://a.test/2", "http://a.test/1", 3);
	push_ok(f, "http://b.test/1", NULL, 1);
	take_expect(f, "http://a.test/1", &a1);
	cr_expect(nothing_ready(f), "depth 0 is not complete");
	cr_expect(finish(f, &a1), "the last of depth 0 ends its level");
	take_expect(f, "http://b.test/1", &b1);
	cr_expect(nothing_ready(f), "a's next is at depth 3");
	cr_expect_eq(counts(f).queued, 1, "a URL passed over stays queued");
	cr_expect(finish(f, &b1));
	take_expect(f, "http://a.test/2", &a2);
	cr_expect_eq(a2.depth, 3, "depth 2 has nothing: on to 3");
	cr_expect(finish(f, &a2));
	cr_expect(frontier_over(f));
	frontier_free(f);
}

Test(frontier, max_depth_zero_hands_out_only_seeds)
{
	struct frontier *f = fnew_levels(0);
	struct frontier_lease a, c;

	push_ok(f, "http://a.test/", NULL, 0);
	cr_expect_eq(push(f, "http://b.test/x", "http://a.test/", 1), FRONTIER_TOO_DEEP);
	push_ok(f, "http://c.test/", NULL, 0);
	take_expect(f, "http://a.test/", &a);
	take_expect(f, "http://c.test/", &c);
	cr_expect(nothing_ready(f));
	cr_expect_not(finish(f, &a));
	cr_expect(finish(f, &c));
	cr_expect(frontier_over(f));
	frontier_free(f);
}

Test(frontier, a_level_ends_when_its_urls_complete_not_when_they_are_done)
{
	struct frontier *f = fnew_levels(2);
	struct frontier_lease l;

	push_ok(f, "http://a.test/", NULL, 0);
	take_expect(f, "http://a.test/", &l);
	push_ok(f, "http://b.test/", "http://a.test/", 1);
	frontier_done(f, &l);
	cr_expect(nothing_ready(f), "the seed's record is not written yet");
	cr_expect(frontier_complete(f, 0), "the level ended");
	take_expect(f, "http://b.test/", &l);
	cr_expect(finish(f, &l));
	frontier_free(f);
}

Test(frontier, a_redirect_target_keeps_its_level_open)
{
	/* A redirect target has its source's depth: the next level waits for
	 * it too. */
	struct frontier *f = fnew_levels(2);
	struct frontier_lease src, target, deep;

	push_ok(f, "http://a.test/", NULL, 0);
	take_expect(f, "http://a.test/", &src);
	push_ok(f, "http://a.test/deep", "http://a.test/", 1);
	push_ok(f, "http://b.test/moved", "http://a.test/", 0);
	cr_expect_not(finish(f, &src), "depth 0 has the target left");
	take_expect(f, "http://b.test/moved", &target);
	cr_expect(nothing_ready(f), "depth 1 waits for the target");
	cr_expect(finish(f, &target));
	take_expect(f, "http://a.test/deep", &deep);
	cr_expect(finish(f, &deep));
	frontier_free(f);
}

Test(frontier, levels_hold_for_urls_pushed_after_an_empty_take)
{
	struct frontier *f = fnew_levels(2);
	struct frontier_lease l;

	cr_expect(nothing_ready(f), "nothing pushed yet");
	push_ok(f, "http://a.test/deep", "http://a.test/", 1);
	push_ok(f, "http://b.test/", NULL, 0);
	take_expect(f, "http://b.test/", &l);
	cr_expect(nothing_ready(f), "depth 1 waits for depth 0");
	cr_expect(finish(f, &l));
	take_expect(f, "http://a.test/deep", &l);
	cr_expect(finish(f, &l));
	frontier_free(f);
}

Test(frontier, without_max_depth_deeper_urls_do_not_wait)
{
	struct frontier *f = fnew(8);
	struct frontier_lease a, b;

	push_ok(f, "http://a.test/", NULL, 0);
	push_ok(f, "http://b.test/x", "http://a.test/", 7);
	take_expect(f, "http://a.test/", &a);
	take_expect(f, "http://b.test/x", &b);
	cr_expect_not(finish(f, &b), "a level end is no news without levels");
	cr_expect(finish(f, &a));
	frontier_free(f);
}

Test(frontier, free_releases_queued_urls)
{
	/* Several origins with URLs queued, some taken and done, one retried:
	 * ASan's leak check fails this test if frontier_free misses any. */
	struct frontier *f = fnew(2);
	struct frontier_lease l;

	push_ok(f, "http://a.test/1", NULL, 0);
	push_ok(f, "http://a.test/2", "http://a.test/1", 1);
	push_ok(f, "http://a.test/3", "http://a.test/1", 1);
	push_ok(f, "http://b.test/1", NULL, 0);
	push_ok(f, "http://c.test/1", "http://b.test/1", 1);
	cr_assert(take(f, &l));
	frontier_done(f, &l);
	cr_assert(take(f, &l));
	frontier_retry(f, &l, 0);
	cr_expect_eq(counts(f).queued, 4);
	frontier_free(f);
}

Test(frontier, free_takes_null)
{
	frontier_free(NULL);
}

/* 4 threads push 2,000 URLs each over 20 origins, in batches; the test's
 * thread takes and finishes them as they come. */
#define PUSHERS 4
#define PER_PUSHER 2000
#define PUSH_BATCH 37

struct pusher {
	struct frontier *f;
	int id;
	bool failed;
};

static void *push_thread(void *arg)
{
	struct pusher *p = arg;
	char urls[PUSH_BATCH][48];
	struct frontier_item items[PUSH_BATCH];
	enum frontier_push_status st[PUSH_BATCH];

	for (int done = 0; done < PER_PUSHER;) {
		int n = PER_PUSHER - done < PUSH_BATCH ? PER_PUSHER - done : PUSH_BATCH;

		for (int k = 0; k < n; k++) {
			int i = done + k;

			snprintf(urls[k], sizeof(urls[k]), "http://h%d.test/%d/%d",
				 i % 20, p->id, i);
			items[k] = (struct frontier_item){ .url = urls[k], .depth = 1 };
		}
		if (frontier_push_batch(p->f, items, (size_t)n, st) != FRONTIER_OK)
			p->failed = true;
		for (int k = 0; k < n; k++)
			p->failed |= st[k] != FRONTIER_QUEUED;
		done += n;
	}
	return NULL;
}

Test(frontier, batches_pushed_from_many_threads_are_each_handed_out_once,
     .timeout = 60)
{
	struct frontier *f = fnew(4);
	struct pusher p[PUSHERS];
	pthread_t th[PUSHERS];
	char *seen = calloc(PUSHERS * PER_PUSHER, 1);
	struct frontier_lease l;
	size_t got = 0, twice = 0;

	cr_assert_not_null(seen);
	/* The seed is pending until completed: the threads push its links. */
	push_ok(f, "http://seed.test/", NULL, 0);
	take_expect(f, "http://seed.test/", &l);
	frontier_done(f, &l);
	for (int t = 0; t < PUSHERS; t++) {
		p[t] = (struct pusher){ .f = f, .id = t };
		cr_assert_eq(pthread_create(&th[t], NULL, push_thread, &p[t]), 0);
	}
	while (got < PUSHERS * PER_PUSHER) {
		int id, i;

		if (!take(f, &l)) {
			sched_yield();
			continue;
		}
		cr_assert_eq(sscanf(l.url, "http://h%*d.test/%d/%d", &id, &i), 2, "%s", l.url);
		twice += seen[id * PER_PUSHER + i]++ > 0;
		got++;
		cr_assert_not(finish(f, &l), "the seed is still pending");
	}
	for (int t = 0; t < PUSHERS; t++) {
		pthread_join(th[t], NULL);
		cr_expect_not(p[t].failed, "thread %d: a push was refused", t);
	}
	cr_expect_eq(twice, 0, "%zu URLs handed out twice", twice);
	cr_expect(nothing_ready(f));
	cr_expect(frontier_complete(f, 0), "the seed was the last one pending");
	cr_expect(frontier_over(f));
	free(seen);
	frontier_free(f);
}
