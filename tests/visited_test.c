/* visited_test: the conformance suite of include/visited.h, written against
 * the ops table only: the backend under test comes from backend_visited_new
 * (tests/support/backend.h). A batch reports which URLs were new and how
 * many, a URL repeated in a batch is fresh only the first time, a second
 * add finds nothing fresh, has, the count, the XXH3 fingerprint, and
 * concurrent overlapping batches admitting each URL exactly once. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "backend.h"
#include "visited.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* Add a batch, which must succeed; returns how many were fresh. */
static size_t add(struct visited *v, char *const *urls, size_t n, bool *fresh)
{
	size_t nfresh = (size_t)-1;

	cr_assert_eq(visited_add_batch(v, urls, n, fresh, &nfresh), VISITED_OK);
	return nfresh;
}

Test(visited, new_set_is_empty)
{
	struct visited *v = backend_visited_new();

	cr_expect_eq(visited_count(v), 0);
	visited_free(v);
}

Test(visited, batch_reports_every_new_url_fresh)
{
	struct visited *v = backend_visited_new();
	char *urls[] = { "http://a.test/1", "http://a.test/2", "http://b.test/" };
	bool fresh[N(urls)];

	cr_expect_eq(add(v, urls, N(urls), fresh), 3);
	for (size_t i = 0; i < N(urls); i++)
		cr_expect(fresh[i], "url %zu", i);
	cr_expect_eq(visited_count(v), 3);
	visited_free(v);
}

Test(visited, duplicate_within_a_batch_is_fresh_only_the_first_time)
{
	struct visited *v = backend_visited_new();
	char *urls[] = { "http://a.test/x", "http://a.test/y", "http://a.test/x",
			 "http://a.test/z", "http://a.test/y", "http://a.test/x" };
	bool want[] = { true, true, false, true, false, false };
	bool fresh[N(urls)];

	cr_expect_eq(add(v, urls, N(urls), fresh), 3);
	for (size_t i = 0; i < N(urls); i++)
		cr_expect_eq(fresh[i], want[i], "url %zu (%s)", i, urls[i]);
	cr_expect_eq(visited_count(v), 3);
	visited_free(v);
}

Test(visited, second_add_of_the_same_urls_has_none_fresh)
{
	struct visited *v = backend_visited_new();
	char *urls[] = { "http://a.test/1", "http://a.test/2" };
	bool fresh[N(urls)];

	cr_assert_eq(add(v, urls, N(urls), fresh), 2);
	fresh[0] = fresh[1] = true;
	cr_expect_eq(add(v, urls, N(urls), fresh), 0);
	cr_expect_not(fresh[0]);
	cr_expect_not(fresh[1]);
	cr_expect_eq(visited_count(v), 2);
	visited_free(v);
}

Test(visited, mixed_batch_marks_only_the_new_ones)
{
	struct visited *v = backend_visited_new();
	char *first[] = { "http://a.test/1", "http://a.test/3" };
	char *second[] = { "http://a.test/1", "http://a.test/2", "http://a.test/3",
			   "http://a.test/4" };
	bool want[] = { false, true, false, true };
	bool f1[N(first)], f2[N(second)];

	cr_assert_eq(add(v, first, N(first), f1), 2);
	cr_expect_eq(add(v, second, N(second), f2), 2);
	for (size_t i = 0; i < N(second); i++)
		cr_expect_eq(f2[i], want[i], "url %zu", i);
	cr_expect_eq(visited_count(v), 4);
	visited_free(v);
}

Test(visited, empty_batch_adds_nothing)
{
	struct visited *v = backend_visited_new();
	bool fresh[1] = { true };

	cr_expect_eq(add(v, NULL, 0, fresh), 0);
	cr_expect_eq(visited_count(v), 0);
	visited_free(v);
}

Test(visited, the_fresh_count_may_be_left_out)
{
	struct visited *v = backend_visited_new();
	char *urls[] = { "http://a.test/1", "http://a.test/1" };
	bool fresh[N(urls)];

	cr_expect_eq(visited_add_batch(v, urls, N(urls), fresh, NULL), VISITED_OK);
	cr_expect(fresh[0]);
	cr_expect_not(fresh[1]);
	cr_expect_eq(visited_count(v), 1);
	visited_free(v);
}

Test(visited, has_finds_added_urls_and_only_those)
{
	struct visited *v = backend_visited_new();
	char *urls[] = { "http://a.test/", "http://a.test/b" };
	bool fresh[N(urls)];

	cr_expect_not(visited_has(v, "http://a.test/"), "nothing before an add");
	add(v, urls, N(urls), fresh);
	cr_expect(visited_has(v, "http://a.test/"));
	cr_expect(visited_has(v, "http://a.test/b"));
	cr_expect_not(visited_has(v, "http://a.test/c"));
	cr_expect_not(visited_has(v, "http://a.test"), "the exact bytes, no prefix");
	cr_expect_eq(visited_count(v), 2, "has adds nothing");
	visited_free(v);
}

Test(visited, free_takes_null)
{
	visited_free(NULL);
}

/* The i-th of the URLs the big tests share. */
static char *url_n(size_t i)
{
	char *s = malloc(48);

	cr_assert_not_null(s);
	snprintf(s, 48, "http://h%zu.test/page/%zu", i % 97, i);
	return s;
}

static char **make_urls(size_t n)
{
	char **urls = malloc(n * sizeof(*urls));

	cr_assert_not_null(urls);
	for (size_t i = 0; i < n; i++)
		urls[i] = url_n(i);
	return urls;
}

static void free_urls(char **urls, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(urls[i]);
	free(urls);
}

Test(visited, count_tracks_many_urls_across_chunks)
{
	/* Enough URLs to make a table grow several times over. */
	enum { MANY = 10000 };
	struct visited *v = backend_visited_new();
	char **urls = make_urls(MANY);
	bool *fresh = malloc(MANY * sizeof(*fresh));

	cr_assert_not_null(fresh);
	cr_expect_eq(add(v, urls, MANY / 2, fresh), MANY / 2);
	cr_expect_eq(visited_count(v), MANY / 2);
	cr_expect_eq(add(v, urls, MANY, fresh), MANY - MANY / 2);
	for (size_t i = 0; i < MANY; i++)
		cr_assert_eq(fresh[i], i >= MANY / 2, "url %zu", i);
	cr_expect_eq(visited_count(v), MANY);
	free(fresh);
	free_urls(urls, MANY);
	visited_free(v);
}

/* 8 threads add the same 20,000 URLs in overlapping batches, each thread
 * starting at a different place and going round. */
#define SHARED 20000
#define THREADS 8
#define BATCH 173

struct adder {
	struct visited *v;
	char **urls;
	atomic_int *admitted; /* fresh reports per URL, over all threads */
	size_t start;
	size_t fresh_total;
	bool failed;
};

static void *add_thread(void *arg)
{
	struct adder *a = arg;
	char *batch[BATCH];
	size_t idx[BATCH];
	bool fresh[BATCH];

	for (size_t done = 0; done < SHARED;) {
		size_t n = SHARED - done < BATCH ? SHARED - done : BATCH;

		for (size_t k = 0; k < n; k++) {
			idx[k] = (a->start + done + k) % SHARED;
			batch[k] = a->urls[idx[k]];
		}
		size_t got;

		if (visited_add_batch(a->v, batch, n, fresh, &got) != VISITED_OK) {
			a->failed = true;
			return NULL;
		}
		for (size_t k = 0; k < n; k++)
			if (fresh[k])
				atomic_fetch_add(&a->admitted[idx[k]], 1);
		a->fresh_total += got;
		done += n;
	}
	return NULL;
}

Test(visited, concurrent_overlapping_batches_admit_each_url_once,
     .timeout = 120)
{
	struct visited *v = backend_visited_new();
	char **urls = make_urls(SHARED);
	atomic_int *admitted = calloc(SHARED, sizeof(*admitted));
	struct adder a[THREADS];
	pthread_t th[THREADS];
	size_t total = 0, never = 0, twice = 0;

	cr_assert_not_null(admitted);
	for (int t = 0; t < THREADS; t++) {
		a[t] = (struct adder){ .v = v, .urls = urls, .admitted = admitted,
				       .start = (size_t)t * (SHARED / THREADS) / 2 };
		cr_assert_eq(pthread_create(&th[t], NULL, add_thread, &a[t]), 0);
	}
	for (int t = 0; t < THREADS; t++) {
		pthread_join(th[t], NULL);
		cr_expect_not(a[t].failed, "thread %d ran out of memory", t);
		total += a[t].fresh_total;
	}
	for (size_t i = 0; i < SHARED; i++) {
		int n = atomic_load(&admitted[i]);

		never += n == 0;
		twice += n > 1;
	}
	cr_expect_eq(total, SHARED, "sum of fresh");
	cr_expect_eq(never, 0, "%zu URLs never admitted", never);
	cr_expect_eq(twice, 0, "%zu URLs admitted twice", twice);
	cr_expect_eq(visited_count(v), SHARED);
	free(admitted);
	free_urls(urls, SHARED);
	visited_free(v);
}

Test(visited, fingerprint_is_stable_and_is_xxh3_of_the_url)
{
	const char *u = "http://example.com/a?b=c";
	char copy[] = "http://example.com/a?b=c";

	cr_expect_eq(visited_fingerprint(u), visited_fingerprint(copy),
		     "depends on the bytes, not the pointer");
	cr_expect_eq(visited_fingerprint(u), XXH3_64bits(u, strlen(u)));
	cr_expect_eq(visited_fingerprint(""), XXH3_64bits("", 0));
}

Test(visited, fingerprint_differs_for_different_urls)
{
	const char *urls[] = { "http://a.test/", "http://a.test/1", "http://a.test/2",
			       "https://a.test/", "http://a.test:8080/",
			       "http://b.test/" };

	for (size_t i = 0; i < N(urls); i++)
		for (size_t j = i + 1; j < N(urls); j++)
			cr_expect_neq(visited_fingerprint(urls[i]),
				      visited_fingerprint(urls[j]), "%s vs %s",
				      urls[i], urls[j]);
}
