/* frontier_test: the queue of include/frontier.h: FIFO within a host,
 * round robin between hosts, the per-host cap on entries handed out and
 * not done, the max_depth filter of frontier_pop, the parent and depth
 * carried by each entry, frontier_len, and frontier_free releasing queued
 * entries (ASan checks for leaks). */
#include <criterion/criterion.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "frontier.h"

/* Pop with no depth limit. */
static struct frontier_entry *pop(struct frontier *f)
{
	return frontier_pop(f, UINT_MAX);
}

/* Pop the next entry; it must be url. */
static struct frontier_entry *pop_expect(struct frontier *f, const char *url)
{
	struct frontier_entry *e = pop(f);

	cr_assert_not_null(e, "wanted %s, got nothing", url);
	cr_assert_str_eq(e->url, url);
	return e;
}

static void push_ok(struct frontier *f, const char *url, const char *parent,
		    unsigned depth)
{
	cr_assert_eq(frontier_push(f, url, parent, depth), 0, "push %s", url);
}

Test(frontier, empty_frontier_pops_nothing)
{
	struct frontier *f = frontier_new(8);

	cr_assert_not_null(f);
	cr_expect_null(pop(f));
	cr_expect_eq(frontier_len(f), 0);
	frontier_free(f);
}

Test(frontier, one_host_pops_in_fifo_order)
{
	struct frontier *f = frontier_new(8);
	const char *urls[] = { "http://a.test/1", "http://a.test/2",
			       "http://a.test/3", "http://a.test/4" };
	struct frontier_entry *e[4];

	cr_assert_not_null(f);
	for (int i = 0; i < 4; i++)
		push_ok(f, urls[i], NULL, 0);
	for (int i = 0; i < 4; i++)
		e[i] = pop_expect(f, urls[i]);
	cr_expect_null(pop(f));
	for (int i = 0; i < 4; i++)
		frontier_done(f, e[i]);
	frontier_free(f);
}

Test(frontier, hosts_take_turns)
{
	struct frontier *f = frontier_new(8);
	const char *want[] = { "http://a.test/1", "http://b.test/1",
			       "http://a.test/2", "http://b.test/2",
			       "http://a.test/3" };
	struct frontier_entry *e[5];

	cr_assert_not_null(f);
	push_ok(f, "http://a.test/1", NULL, 0);
	push_ok(f, "http://a.test/2", NULL, 0);
	push_ok(f, "http://a.test/3", NULL, 0);
	push_ok(f, "http://b.test/1", NULL, 0);
	push_ok(f, "http://b.test/2", NULL, 0);
	for (int i = 0; i < 5; i++)
		e[i] = pop_expect(f, want[i]);
	cr_expect_null(pop(f));
	for (int i = 0; i < 5; i++)
		frontier_done(f, e[i]);
	frontier_free(f);
}

Test(frontier, three_hosts_round_robin_in_arrival_order)
{
	struct frontier *f = frontier_new(8);
	const char *want[] = { "http://c.test/1", "http://a.test/1",
			       "http://b.test/1", "http://c.test/2",
			       "http://a.test/2", "http://c.test/3" };
	struct frontier_entry *e[6];

	cr_assert_not_null(f);
	push_ok(f, "http://c.test/1", NULL, 0);
	push_ok(f, "http://a.test/1", NULL, 0);
	push_ok(f, "http://c.test/2", NULL, 0);
	push_ok(f, "http://b.test/1", NULL, 0);
	push_ok(f, "http://c.test/3", NULL, 0);
	push_ok(f, "http://a.test/2", NULL, 0);
	for (int i = 0; i < 6; i++)
		e[i] = pop_expect(f, want[i]);
	cr_expect_null(pop(f));
	for (int i = 0; i < 6; i++)
		frontier_done(f, e[i]);
	frontier_free(f);
}

Test(frontier, ports_and_schemes_of_one_host_share_its_queue)
{
	/* Host names key the queues: a.test:8080 is still a.test. */
	struct frontier *f = frontier_new(1);
	struct frontier_entry *e;

	cr_assert_not_null(f);
	push_ok(f, "http://a.test/1", NULL, 0);
	push_ok(f, "http://a.test:8080/2", NULL, 0);
	push_ok(f, "https://a.test/3", NULL, 0);
	e = pop_expect(f, "http://a.test/1");
	cr_expect_null(pop(f), "the cap of 1 covers every port");
	frontier_done(f, e);
	e = pop_expect(f, "http://a.test:8080/2");
	frontier_done(f, e);
	e = pop_expect(f, "https://a.test/3");
	frontier_done(f, e);
	frontier_free(f);
}

Test(frontier, per_host_cap_holds_back_entries_until_done)
{
	struct frontier *f = frontier_new(2);
	struct frontier_entry *e1, *e2, *e3, *e4, *e5;

	cr_assert_not_null(f);
	for (int i = 1; i <= 5; i++) {
		char url[32];

		snprintf(url, sizeof(url), "http://a.test/%d", i);
		push_ok(f, url, NULL, 0);
	}
	e1 = pop_expect(f, "http://a.test/1");
	e2 = pop_expect(f, "http://a.test/2");
	cr_expect_null(pop(f), "two in flight: the host waits");
	cr_expect_null(pop(f));
	cr_expect_eq(frontier_len(f), 3);

	frontier_done(f, e1);
	e3 = pop_expect(f, "http://a.test/3");
	cr_expect_null(pop(f));

	frontier_done(f, e2);
	frontier_done(f, e3);
	e4 = pop_expect(f, "http://a.test/4");
	e5 = pop_expect(f, "http://a.test/5");
	cr_expect_null(pop(f));
	cr_expect_eq(frontier_len(f), 0);
	frontier_done(f, e4);
	frontier_done(f, e5);
	frontier_free(f);
}

Test(frontier, capped_host_does_not_block_other_hosts)
{
	struct frontier *f = frontier_new(1);
	struct frontier_entry *a1, *b1, *b2, *a2;

	cr_assert_not_null(f);
	push_ok(f, "http://a.test/1", NULL, 0);
	push_ok(f, "http://a.test/2", NULL, 0);
	push_ok(f, "http://b.test/1", NULL, 0);
	push_ok(f, "http://b.test/2", NULL, 0);
	a1 = pop_expect(f, "http://a.test/1");
	b1 = pop_expect(f, "http://b.test/1");
	cr_expect_null(pop(f));
	frontier_done(f, b1);
	b2 = pop_expect(f, "http://b.test/2");
	cr_expect_null(pop(f), "a is still at its cap");
	frontier_done(f, a1);
	a2 = pop_expect(f, "http://a.test/2");
	frontier_done(f, b2);
	frontier_done(f, a2);
	frontier_free(f);
}

Test(frontier, push_to_a_capped_host_waits_for_done)
{
	struct frontier *f = frontier_new(1);
	struct frontier_entry *e1, *e2;

	cr_assert_not_null(f);
	push_ok(f, "http://a.test/1", NULL, 0);
	e1 = pop_expect(f, "http://a.test/1");
	push_ok(f, "http://a.test/2", NULL, 1);
	cr_expect_null(pop(f), "a new entry does not lift the cap");
	cr_expect_eq(frontier_len(f), 1);
	frontier_done(f, e1);
	e2 = pop_expect(f, "http://a.test/2");
	frontier_done(f, e2);
	frontier_free(f);
}

Test(frontier, host_emptied_and_refilled_is_served_again)
{
	struct frontier *f = frontier_new(4);
	struct frontier_entry *e;

	cr_assert_not_null(f);
	push_ok(f, "http://a.test/1", NULL, 0);
	e = pop_expect(f, "http://a.test/1");
	frontier_done(f, e);
	cr_expect_null(pop(f));
	push_ok(f, "http://a.test/2", NULL, 1);
	e = pop_expect(f, "http://a.test/2");
	frontier_done(f, e);
	frontier_free(f);
}

Test(frontier, entry_keeps_its_parent_and_depth)
{
	struct frontier *f = frontier_new(8);
	char parent[] = "http://a.test/index.html";
	struct frontier_entry *seed, *child;

	cr_assert_not_null(f);
	push_ok(f, "http://a.test/", NULL, 0);
	push_ok(f, "http://a.test/child", parent, 3);
	memset(parent, 'x', sizeof(parent) - 1); /* the frontier made a copy */

	seed = pop_expect(f, "http://a.test/");
	cr_expect_null(seed->parent);
	cr_expect_eq(seed->depth, 0);
	child = pop_expect(f, "http://a.test/child");
	cr_assert_not_null(child->parent);
	cr_expect_str_eq(child->parent, "http://a.test/index.html");
	cr_expect_eq(child->depth, 3);
	frontier_done(f, seed);
	frontier_done(f, child);
	frontier_free(f);
}

Test(frontier, url_is_copied_on_push)
{
	struct frontier *f = frontier_new(8);
	char url[] = "http://a.test/page";
	struct frontier_entry *e;

	cr_assert_not_null(f);
	push_ok(f, url, NULL, 0);
	url[14] = 'X';
	e = pop_expect(f, "http://a.test/page");
	frontier_done(f, e);
	frontier_free(f);
}

Test(frontier, len_counts_queued_not_handed_out)
{
	struct frontier *f = frontier_new(8);
	struct frontier_entry *e1, *e2;

	cr_assert_not_null(f);
	cr_expect_eq(frontier_len(f), 0);
	push_ok(f, "http://a.test/1", NULL, 0);
	push_ok(f, "http://a.test/2", NULL, 0);
	push_ok(f, "http://b.test/1", NULL, 0);
	cr_expect_eq(frontier_len(f), 3);
	e1 = pop(f);
	cr_expect_eq(frontier_len(f), 2);
	e2 = pop(f);
	cr_expect_eq(frontier_len(f), 1);
	frontier_done(f, e1);
	cr_expect_eq(frontier_len(f), 1, "done does not change the queue");
	frontier_done(f, e2);
	frontier_free(f);
}

Test(frontier, free_releases_queued_entries)
{
	/* Several hosts with queued entries, some popped and done: ASan's
	 * leak check fails this test if frontier_free misses any. */
	struct frontier *f = frontier_new(2);
	struct frontier_entry *e;

	cr_assert_not_null(f);
	push_ok(f, "http://a.test/1", NULL, 0);
	push_ok(f, "http://a.test/2", "http://a.test/1", 1);
	push_ok(f, "http://a.test/3", "http://a.test/1", 1);
	push_ok(f, "http://b.test/1", NULL, 0);
	push_ok(f, "http://c.test/1", "http://b.test/1", 1);
	e = pop(f);
	cr_assert_not_null(e);
	frontier_done(f, e);
	cr_expect_eq(frontier_len(f), 4);
	frontier_free(f);
}

Test(frontier, pop_skips_a_host_whose_next_entry_is_too_deep)
{
	struct frontier *f = frontier_new(8);
	struct frontier_entry *a1, *b1, *a2;

	cr_assert_not_null(f);
	push_ok(f, "http://a.test/1", NULL, 0);
	push_ok(f, "http://a.test/2", "http://a.test/1", 3);
	push_ok(f, "http://b.test/1", NULL, 1);
	a1 = frontier_pop(f, 1);
	cr_assert_not_null(a1);
	cr_expect_str_eq(a1->url, "http://a.test/1");
	b1 = frontier_pop(f, 1);
	cr_assert_not_null(b1, "a's head is too deep: b is served");
	cr_expect_str_eq(b1->url, "http://b.test/1");
	cr_expect_null(frontier_pop(f, 1), "only a too-deep entry is left");
	cr_expect_null(frontier_pop(f, 2));
	cr_expect_eq(frontier_len(f), 1, "a skipped entry stays queued");
	a2 = frontier_pop(f, 3);
	cr_assert_not_null(a2, "depth 3 is at most 3");
	cr_expect_str_eq(a2->url, "http://a.test/2");
	cr_expect_eq(a2->depth, 3);
	frontier_done(f, a1);
	frontier_done(f, b1);
	frontier_done(f, a2);
	frontier_free(f);
}

Test(frontier, pop_with_depth_zero_hands_out_only_seeds)
{
	struct frontier *f = frontier_new(8);
	struct frontier_entry *e;

	cr_assert_not_null(f);
	push_ok(f, "http://a.test/", NULL, 0);
	push_ok(f, "http://b.test/x", "http://a.test/", 1);
	push_ok(f, "http://c.test/", NULL, 0);
	e = frontier_pop(f, 0);
	cr_assert_not_null(e);
	cr_expect_str_eq(e->url, "http://a.test/");
	frontier_done(f, e);
	e = frontier_pop(f, 0);
	cr_assert_not_null(e);
	cr_expect_str_eq(e->url, "http://c.test/");
	frontier_done(f, e);
	cr_expect_null(frontier_pop(f, 0));
	e = pop_expect(f, "http://b.test/x");
	frontier_done(f, e);
	frontier_free(f);
}
