/* frontier: the frontier's interface (see frontier.h). Each call goes
 * through the backend's ops table; the state is the backend's, and so is
 * its lock. frontier_memory.c is the backend in memory. What "over" means
 * is decided here, once, from the counts every backend keeps. */
#include "frontier.h"

#include <stdlib.h>

struct frontier {
	const struct frontier_ops *ops;
	void *state; /* the backend's */
};

struct frontier *frontier_new(const struct frontier_ops *ops, void *state)
{
	struct frontier *f = malloc(sizeof(*f));

	if (!f) {
		ops->free(state);
		return NULL;
	}
	f->ops = ops;
	f->state = state;
	return f;
}

void frontier_free(struct frontier *f)
{
	if (!f)
		return;
	f->ops->free(f->state);
	free(f);
}

enum frontier_status frontier_push_batch(struct frontier *f,
					 const struct frontier_item *items,
					 size_t n,
					 enum frontier_push_status *status)
{
	return f->ops->push_batch(f->state, items, n, status);
}

enum frontier_status frontier_take_ready(struct frontier *f, int64_t now_ns,
					 int64_t *wake_ns,
					 struct frontier_lease *out)
{
	return f->ops->take_ready(f->state, now_ns, wake_ns, out);
}

void frontier_done(struct frontier *f, const struct frontier_lease *l)
{
	f->ops->done(f->state, l);
}

void frontier_skip(struct frontier *f, const struct frontier_lease *l)
{
	f->ops->skip(f->state, l);
}

void frontier_retry(struct frontier *f, const struct frontier_lease *l,
		    int64_t not_before_ns)
{
	f->ops->retry(f->state, l, not_before_ns);
}

enum frontier_status frontier_take_gated(struct frontier *f,
					 struct frontier_gate *out)
{
	return f->ops->take_gated(f->state, out);
}

void frontier_open(struct frontier *f, const struct frontier_gate *g,
		   void *policy, int64_t delay_ns, int64_t now_ns)
{
	f->ops->open(f->state, g, policy, delay_ns, now_ns);
}

void frontier_open_shared(struct frontier *f, const struct frontier_gate *g,
			  void *policy, const char *text, size_t len,
			  int64_t delay_ns, int64_t now_ns)
{
	if (f->ops->open_shared)
		f->ops->open_shared(f->state, g, policy, text, len, delay_ns, now_ns);
	else
		f->ops->open(f->state, g, policy, delay_ns, now_ns);
}

bool frontier_admits(const struct frontier *f)
{
	return f->ops->admit_batch != NULL;
}

enum frontier_status frontier_admit_batch(struct frontier *f,
					  const struct frontier_item *items,
					  const char *const *skip, size_t n,
					  enum frontier_push_status *status)
{
	if (!f->ops->admit_batch) {
		for (size_t i = 0; i < n; i++)
			status[i] = FRONTIER_FAILED;
		return FRONTIER_UNAVAILABLE;
	}
	return f->ops->admit_batch(f->state, items, skip, n, status);
}

enum frontier_status frontier_complete_batch(struct frontier *f,
					     const struct frontier_result *r,
					     size_t n, bool *ended)
{
	*ended = false;
	if (!f->ops->complete_batch)
		return FRONTIER_UNAVAILABLE;
	return f->ops->complete_batch(f->state, r, n, ended);
}

bool frontier_complete(struct frontier *f, unsigned depth)
{
	return f->ops->complete(f->state, depth);
}

void frontier_counts(struct frontier *f, struct frontier_counts *out)
{
	f->ops->counts(f->state, out);
}

bool frontier_over(struct frontier *f)
{
	struct frontier_counts n;

	frontier_counts(f, &n);
	return n.pending == 0 && n.leased == 0;
}
