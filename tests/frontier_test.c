/* frontier_test: the queue of include/frontier.h: FIFO within a host,
 * round robin between hosts, the per-host cap on entries handed out and
 * not done, the max_depth filter of frontier_pop, the parent and depth
 * carried by each entry, frontier_len, and frontier_free releasing queued
 * entries (ASan checks for leaks). */
#include <criterion/criterion.h>
#include <limits.h>
#include <stdint.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "frontier.h"

/* A frontier with only a per-host cap: no pacing, no gates. */
static struct frontier *fnew(unsigned per_host)
{
	struct frontier_config cfg = { .per_host = per_host, .max_depth = -1 };

	return frontier_new(&cfg);
}

/* Pop with no depth limit, at time 0 (nothing is paced). */
static struct frontier_entry *pop(struct frontier *f)
{
	return frontier_pop(f, 0, NULL);
}

static int push(struct frontier *f, const char *url, const char *parent,
		unsigned depth)
{
	struct frontier_item it = { .url = url, .parent = parent, .depth = depth };

	return frontier_push(f, &it);
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
	cr_assert_eq(push(f, url, parent, depth), FRONTIER_QUEUED, "push %s", url);
}

Test(frontier, empty_frontier_pops_nothing)
{
	struct frontier *f = fnew(8);

	cr_assert_not_null(f);
	cr_expect_null(pop(f));
	cr_expect_eq(frontier_len(f), 0);
	frontier_free(f);
}

Test(frontier, one_host_pops_in_fifo_order)
{
	struct frontier *f = fnew(8);
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
	struct frontier *f = fnew(8);
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
	struct frontier *f = fnew(8);
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

Test(frontier, each_origin_has_its_own_queue_and_cap)
{
	/* Origins (scheme, host, port) key the queues, as robots.txt does. */
	struct frontier *f = fnew(1);
	struct frontier_entry *e[3];

	cr_assert_not_null(f);
	push_ok(f, "http://a.test/1", NULL, 0);
	push_ok(f, "http://a.test:8080/2", NULL, 0);
	push_ok(f, "https://a.test/3", NULL, 0);
	e[0] = pop_expect(f, "http://a.test/1");
	e[1] = pop_expect(f, "http://a.test:8080/2");
	e[2] = pop_expect(f, "https://a.test/3");
	cr_expect_null(pop(f));
	cr_expect_str_eq(frontier_host_origin(e[1]->host), "http://a.test:8080");
	for (int i = 0; i < 3; i++)
		frontier_done(f, e[i]);
	frontier_free(f);
}

Test(frontier, an_origin_is_paced_by_its_delay_while_others_go_on)
{
	struct frontier_config cfg = { .per_host = 8, .delay_ns = 1000, .max_depth = -1 };
	struct frontier *f = frontier_new(&cfg);
	int64_t wake = INT64_MAX;
	struct frontier_entry *e[4];

	push_ok(f, "http://a.test/1", NULL, 0);
	push_ok(f, "http://a.test/2", NULL, 0);
	push_ok(f, "http://b.test/1", NULL, 0);
	e[0] = frontier_pop(f, 5000, &wake);
	cr_assert_str_eq(e[0]->url, "http://a.test/1");
	e[1] = frontier_pop(f, 5000, &wake);
	cr_assert_str_eq(e[1]->url, "http://b.test/1", "b is not held up by a's delay");
	cr_expect_null(frontier_pop(f, 5999, &wake), "a waits 1000 ns");
	cr_expect_eq(wake, 6000, "the loop is told when a is ready");
	e[2] = frontier_pop(f, 6000, NULL);
	cr_assert_str_eq(e[2]->url, "http://a.test/2");
	for (int i = 0; i < 3; i++)
		frontier_done(f, e[i]);
	frontier_free(f);
}

static void count_free(void *policy)
{
	(*(int *)policy)++;
}

Test(frontier, a_gated_origin_waits_until_opened_and_keeps_its_policy)
{
	static int freed;
	struct frontier_config cfg = { .per_host = 8, .gated = true, .max_depth = -1,
				       .free_policy = count_free };
	struct frontier *f = frontier_new(&cfg);
	struct frontier_host *h;
	struct frontier_entry *e;

	push_ok(f, "http://a.test/1", NULL, 0);
	push_ok(f, "http://a.test/2", NULL, 0);
	cr_expect_null(pop(f), "nothing before the gate opens");
	h = frontier_take_gated(f);
	cr_assert_not_null(h);
	cr_expect_null(frontier_take_gated(f), "each gated origin is handed out once");
	cr_expect_str_eq(frontier_host_origin(h), "http://a.test");
	frontier_open(f, h, &freed, 0, 0);
	e = pop_expect(f, "http://a.test/1");
	cr_expect_eq(frontier_host_policy(e->host), &freed);
	frontier_done(f, e);
	frontier_free(f);
	cr_expect_eq(freed, 1, "the policy is freed with the frontier");
}

Test(frontier, a_retry_goes_first_and_holds_its_origin_until_not_before)
{
	struct frontier *f = fnew(8);
	struct frontier_entry *e;

	push_ok(f, "http://a.test/1", NULL, 0);
	push_ok(f, "http://a.test/2", NULL, 0);
	e = pop_expect(f, "http://a.test/1");
	e->attempts = 1;
	frontier_retry(f, e, 100);
	cr_expect_eq(frontier_len(f), 2);
	cr_expect_null(frontier_pop(f, 99, NULL));
	e = frontier_pop(f, 100, NULL);
	cr_assert_not_null(e);
	cr_expect_str_eq(e->url, "http://a.test/1");
	cr_expect_eq(e->attempts, 1, "attempts survive the retry");
	frontier_done(f, e);
	frontier_free(f);
}

Test(frontier, max_per_host_refuses_urls_past_the_cap)
{
	struct frontier_config cfg = { .per_host = 8, .max_per_host = 2, .max_depth = -1 };
	struct frontier *f = frontier_new(&cfg);

	cr_expect_eq(push(f, "http://a.test/1", NULL, 0), FRONTIER_QUEUED);
	cr_expect_eq(push(f, "http://a.test/2", NULL, 0), FRONTIER_QUEUED);
	cr_expect_eq(push(f, "http://a.test/3", NULL, 0), FRONTIER_HOST_FULL);
	cr_expect_eq(push(f, "http://b.test/1", NULL, 0), FRONTIER_QUEUED);
	cr_expect_eq(frontier_len(f), 3);
	frontier_free(f);
}

Test(frontier, an_entry_carries_its_redirect_chain)
{
	struct frontier *f = fnew(8);
	const uint64_t chain[] = { 0x1111, 0x2222, 0x3333 };
	struct frontier_item it = { .url = "http://a.test/x", .parent = "http://a.test/p",
				    .depth = 2, .redirects = 3, .chain = chain, .flags = 5 };
	struct frontier_entry *e;

	cr_assert_eq(frontier_push(f, &it), FRONTIER_QUEUED);
	e = pop_expect(f, "http://a.test/x");
	cr_expect_str_eq(frontier_entry_parent(e), "http://a.test/p");
	cr_expect_eq(e->redirects, 3);
	cr_expect_eq(e->flags, 5);
	cr_expect_eq(((uintptr_t)frontier_entry_chain(e)) % 8, 0, "the chain is aligned");
	for (int i = 0; i < 3; i++)
		cr_expect_eq(frontier_entry_chain(e)[i], chain[i]);
	frontier_done(f, e);
	frontier_free(f);
}

Test(frontier, per_host_cap_holds_back_entries_until_done)
{
	struct frontier *f = fnew(2);
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
	struct frontier *f = fnew(1);
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
	struct frontier *f = fnew(1);
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
	struct frontier *f = fnew(4);
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
	struct frontier *f = fnew(8);
	char parent[] = "http://a.test/index.html";
	struct frontier_entry *seed, *child;

	cr_assert_not_null(f);
	push_ok(f, "http://a.test/", NULL, 0);
	push_ok(f, "http://a.test/child", parent, 3);
	memset(parent, 'x', sizeof(parent) - 1); /* the frontier made a copy */

	seed = pop_expect(f, "http://a.test/");
	cr_expect_null(frontier_entry_parent(seed));
	cr_expect_eq(seed->depth, 0);
	child = pop_expect(f, "http://a.test/child");
	cr_assert_not_null(frontier_entry_parent(child));
	cr_expect_str_eq(frontier_entry_parent(child), "http://a.test/index.html");
	cr_expect_eq(child->depth, 3);
	frontier_done(f, seed);
	frontier_done(f, child);
	frontier_free(f);
}

Test(frontier, url_is_copied_on_push)
{
	struct frontier *f = fnew(8);
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
	struct frontier *f = fnew(8);
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
	struct frontier *f = fnew(2);
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

/* A frontier going level by level up to max_depth. */
static struct frontier *fnew_levels(long max_depth)
{
	struct frontier_config cfg = { .per_host = 8, .max_depth = max_depth };

	return frontier_new(&cfg);
}

/* Done with e, then its record written. */
static bool finish(struct frontier *f, struct frontier_entry *e)
{
	unsigned depth = e->depth;

	frontier_done(f, e);
	return frontier_complete(f, depth);
}

Test(frontier, pop_skips_a_host_whose_next_entry_is_past_the_level)
{
	struct frontier *f = fnew_levels(3);
	struct frontier_entry *a1, *b1, *a2;

	cr_assert_not_null(f);
	push_ok(f, "http://a.test/1", NULL, 0);
	push_ok(f, "http://a.test/2", "http://a.test/1", 3);
	push_ok(f, "http://b.test/1", NULL, 1);
	a1 = pop_expect(f, "http://a.test/1");
	cr_expect_null(pop(f), "depth 0 is not complete");
	cr_expect(finish(f, a1), "the last of depth 0 ends its level");
	b1 = pop_expect(f, "http://b.test/1");
	cr_expect_null(pop(f), "a's head is at depth 3");
	cr_expect_eq(frontier_len(f), 1, "a skipped entry stays queued");
	cr_expect(finish(f, b1));
	a2 = pop_expect(f, "http://a.test/2");
	cr_expect_eq(a2->depth, 3, "depth 2 has nothing: on to 3");
	cr_expect(finish(f, a2));
	frontier_free(f);
}

Test(frontier, max_depth_zero_hands_out_only_seeds)
{
	struct frontier *f = fnew_levels(0);
	struct frontier_entry *a, *c;

	cr_assert_not_null(f);
	push_ok(f, "http://a.test/", NULL, 0);
	cr_expect_eq(push(f, "http://b.test/x", "http://a.test/", 1), FRONTIER_TOO_DEEP);
	push_ok(f, "http://c.test/", NULL, 0);
	a = pop_expect(f, "http://a.test/");
	c = pop_expect(f, "http://c.test/");
	cr_expect_null(pop(f));
	cr_expect_not(finish(f, a));
	cr_expect(finish(f, c));
	cr_expect(frontier_over(f));
	frontier_free(f);
}

Test(frontier, a_level_ends_when_its_urls_complete_not_when_they_are_done)
{
	struct frontier *f = fnew_levels(2);
	struct frontier_entry *e;

	cr_assert_not_null(f);
	push_ok(f, "http://a.test/", NULL, 0);
	e = pop_expect(f, "http://a.test/");
	push_ok(f, "http://b.test/", "http://a.test/", 1);
	frontier_done(f, e);
	cr_expect_null(pop(f), "the seed's record is not written yet");
	cr_expect(frontier_complete(f, 0));
	e = pop_expect(f, "http://b.test/");
	cr_expect(finish(f, e));
	frontier_free(f);
}

Test(frontier, pending_counts_from_push_to_complete)
{
	struct frontier *f = fnew(8);
	struct frontier_entry *e;

	cr_assert_not_null(f);
	cr_expect(frontier_over(f), "nothing pushed: over");
	push_ok(f, "http://a.test/1", NULL, 0);
	push_ok(f, "http://a.test/2", NULL, 1);
	cr_expect_not(frontier_over(f));
	e = pop_expect(f, "http://a.test/1");
	cr_expect_not(frontier_over(f), "a URL handed out is pending");
	cr_expect_not(finish(f, e), "one is left");
	e = pop_expect(f, "http://a.test/2");
	frontier_done(f, e);
	cr_expect_not(frontier_over(f), "done, but its record is not written");
	cr_expect(frontier_complete(f, 1), "the last completion ends the crawl");
	cr_expect(frontier_over(f));
	frontier_free(f);
}

Test(frontier, a_refused_push_is_not_pending)
{
	struct frontier_config cfg = { .per_host = 8, .max_per_host = 1, .max_depth = -1 };
	struct frontier *f = frontier_new(&cfg);
	struct frontier_entry *e;

	push_ok(f, "http://a.test/1", NULL, 0);
	cr_expect_eq(push(f, "http://a.test/2", NULL, 0), FRONTIER_HOST_FULL);
	e = pop_expect(f, "http://a.test/1");
	cr_expect(finish(f, e));
	cr_expect(frontier_over(f));
	frontier_free(f);
}
