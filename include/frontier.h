/* frontier: the URLs admitted to the crawl and not yet fetched, the
 * politeness rules that decide when each may go, and whether the crawl is
 * over.
 *
 * An interface over a backend (STYLE.md 15): callers use the frontier_*
 * functions; a backend fills struct frontier_ops and hands its state to
 * frontier_new. The backends are frontier_memory_new and frontier_redis_new
 * (docs/DISTRIBUTED.md). Every call
 * is thread-safe: parser threads push, the fetch thread takes, opens
 * origins and ends leases, the writer completes.
 *
 * One queue per origin (scheme, host, port: the unit of robots.txt), so a
 * slow or huge site cannot starve the others; breadth-first within it
 * (ordered by depth, FIFO within a depth). Origins take turns (round robin).
 * An origin is passed over while per_host of its URLs are leased, while its
 * next start time (pacing: --delay, --max-rate, Crawl-delay) is in the
 * future, and, when gated, until frontier_open (its robots.txt is known).
 * Politeness is a property of the queue, not a sleep in the fetcher.
 * Unbounded (a bounded queue in the crawl's cycle would deadlock).
 *
 * A URL is pending from the push that queues it until frontier_complete
 * (its record is written, or it is dropped): the crawl is over when nothing
 * is pending and no lease is held. With a max depth it goes level by level:
 * nothing deeper than the shallowest depth with URLs pending is handed out.
 *
 * Nothing the caller keeps points into a backend past a call, except what a
 * lease or a gate it holds points to, until that ends. */
#ifndef CRAWLER_FRONTIER_H
#define CRAWLER_FRONTIER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct frontier;

struct frontier_config {
	unsigned per_host;        /* leases of one origin at once; 0 is 1 */
	int64_t delay_ns;         /* least time between two starts on one origin */
	uint64_t max_per_host;    /* URLs ever queued per origin; 0: no cap */
	long max_depth;           /* -1: none (0 is a depth: seeds only); else
				     deeper URLs are refused and the crawl
				     goes level by level */
	bool gated;               /* new origins wait for frontier_open */
	int64_t lease_ttl_ns;     /* Redis: a lease not ended this long after
				     its take is taken back; 0 is
				     FRONTIER_LEASE_TTL_NS */
	void (*free_policy)(void *policy); /* frees frontier_open's policy */
	/* Redis only: the crawl shared by workers (docs/DISTRIBUTED.md). */
	uint64_t max_pages;       /* new URLs handed out, crawl-wide; 0: no
				     cap. Past it a take hands out none */
	bool hold;                /* (a worker's: Redis away is waited out,
				     rconn_retry, told on stderr) a lease is
				     held from its take until
				     frontier_complete_batch (its record is
				     published), not only until done: a
				     worker that dies in between loses it,
				     and it is fetched again */
	bool renew;               /* a thread renews the leases and gates
				     held here every lease_ttl_ns / 3 */
	int64_t clock_offset_ns;  /* added to each time given (monotonic),
				     taken off each time returned: the
				     crawl's clock, shared by its workers */
	/* Another worker opened an origin with a policy and its text
	 * (frontier_open_shared): the policy from that text, for this
	 * process; NULL when out of memory. */
	void *(*load_policy)(void *arg, const char *text, size_t len);
	void *policy_arg;
};

enum frontier_status {
	FRONTIER_OK = 0,
	FRONTIER_NONE,            /* nothing to hand out now */
	FRONTIER_NOMEM,           /* out of memory */
	FRONTIER_UNAVAILABLE,     /* the backend's server could not be reached
				     or refused: the call did nothing, or
				     (pushes) may have queued the batch */
};

/* The lease TTL when the config gives none: 10 minutes. */
#define FRONTIER_LEASE_TTL_NS (600 * (int64_t)1000000000)

/* What frontier_push_batch copies into the frontier. */
struct frontier_item {
	const char *url;          /* canonical */
	const char *parent;       /* the page that linked here; NULL for a seed */
	unsigned depth;
	unsigned redirects;       /* redirects followed to reach url (at most 100) */
	const uint64_t *chain;    /* their fingerprints, oldest first, or NULL */
	unsigned flags;           /* the caller's: low 16 bits, kept as given */
};

/* What frontier_push_batch did with each item. */
enum frontier_push_status {
	FRONTIER_QUEUED = 0,
	FRONTIER_HOST_FULL,       /* the origin reached max_per_host */
	FRONTIER_TOO_DEEP,        /* deeper than max_depth */
	FRONTIER_FAILED,          /* not queued: the batch's status says why */
	FRONTIER_SEEN,            /* frontier_admit_batch: admitted before */
	FRONTIER_SKIPPED,         /* frontier_admit_batch: new, and skipped */
};

/* One URL handed out by frontier_take_ready: it holds one of its origin's
 * per_host slots until frontier_done or frontier_retry ends it. A value:
 * the caller keeps it where it likes (a copy is as good); what it points
 * to lives until the lease ends, the policy until frontier_free. */
struct frontier_lease {
	const char *url;          /* canonical */
	const char *parent;       /* NULL for a seed */
	const uint64_t *chain;    /* redirects fingerprints, oldest first; NULL
				     when there are none */
	const void *policy;       /* the origin's, from frontier_open; NULL if
				     it was opened without one, or not gated */
	void *handle;             /* the backend's */
	unsigned depth;
	unsigned redirects;
	unsigned attempts;        /* fetches of url tried before this lease */
	unsigned flags;           /* the item's */
	uint64_t ticket;          /* Redis: the lease's fencing token, for
				     frontier_complete_batch; 0 in memory */
};

/* A gated origin handed out by frontier_take_gated, to learn its
 * robots.txt; held until frontier_open. A value, like a lease. */
struct frontier_gate {
	const char *origin;       /* "scheme://host[:port]"; until frontier_open */
	void *handle;             /* the backend's */
};

struct frontier_counts {
	size_t queued;            /* waiting to be handed out */
	size_t leased;            /* handed out, lease not ended */
	size_t pending;           /* queued and not yet completed: the queued,
				     the leased and those whose lease ended
				     with their record still to write */
	uint64_t taken;           /* Redis: new URLs handed out, crawl-wide */
};

/* What frontier_complete_batch publishes for one URL (Redis, with hold). */
struct frontier_result {
	uint64_t ticket;          /* its lease's; 0: no URL (an exchange to
				     archive alone) */
	unsigned depth;
	const char *line;         /* its JSON line, or NULL */
	size_t line_len;
	const char *meta;         /* "STATUS ERR BYTES", with the line */
	size_t meta_len;
	const char *exchange;     /* exchange_pack's, or NULL */
	size_t exchange_len;
	size_t warc_at;           /* where in line the "warc" value's null is */
};

/* The frontier in this process's memory: one allocation per URL (a 32-byte
 * header, the URL, its redirect chain), the links of one page sharing one
 * copy of its URL as their parent. NULL when out of memory. */
struct frontier *frontier_memory_new(const struct frontier_config *cfg);

/* The frontier of crawl crawl_name in the Redis at redis_url
 * ("redis://HOST[:PORT][/DB]"), shared by every process that makes one on
 * that name; what is there is kept. Times (now_ns, not_before_ns) are
 * compared across processes, so they must come from one clock, and below
 * 2^53 ns (Lua's numbers are doubles). NULL with the reason in err when
 * the arguments are wrong, Redis cannot be reached or refuses the scripts,
 * or memory is short. A call that fails for Redis reasons returns
 * FRONTIER_UNAVAILABLE; the void ones (done, skip, retry, open, complete)
 * cannot say so, and make every later take and push of this frontier
 * return it, since its state in Redis may be wrong. */
struct frontier *frontier_redis_new(const char *redis_url,
				    const char *crawl_name,
				    const struct frontier_config *cfg,
				    char *err, size_t errlen);

/* Frees f, its queued URLs and the policies; leases and gates must have
 * ended. NULL is fine. */
void frontier_free(struct frontier *f);

/* Queue the n items (one lock, or one round trip, per batch); status[i]
 * says what became of items[i]. Returns FRONTIER_NOMEM when out of memory
 * (the items from the one that failed on are FRONTIER_FAILED), or
 * FRONTIER_UNAVAILABLE (all are FRONTIER_FAILED). */
enum frontier_status frontier_push_batch(struct frontier *f,
					 const struct frontier_item *items,
					 size_t n,
					 enum frontier_push_status *status);

/* Lease the next URL of the next origin that is open, under its cap, whose
 * start time has come (now_ns, monotonic) and, with a max depth, whose next
 * URL is no deeper than the shallowest depth pending; FRONTIER_NONE if
 * there is none, FRONTIER_UNAVAILABLE (Redis) if it could not tell. *wake_ns (if not NULL) is lowered to when a paced origin
 * becomes ready. The origin's next start is now_ns plus its delay. */
enum frontier_status frontier_take_ready(struct frontier *f, int64_t now_ns,
					 int64_t *wake_ns,
					 struct frontier_lease *out);

/* The lease's fetch is over: the URL leaves the queue (it stays pending
 * until frontier_complete) and its origin's slot is free. */
void frontier_done(struct frontier *f, const struct frontier_lease *l);

/* The lease ends with no request made for it (its origin's policy refused
 * the URL, or no transfer could start): as frontier_done, and the origin's
 * next start goes back to what it was before this lease, unless another
 * lease of the origin was taken since. A refusal is not a request: pacing
 * is owed to the server for requests only. */
void frontier_skip(struct frontier *f, const struct frontier_lease *l);

/* The lease ends and the URL goes back, first in its queue, its attempts
 * one more, not to start before not_before_ns; the whole origin waits until
 * then (it asked us to slow down, or failed). Still pending. */
void frontier_retry(struct frontier *f, const struct frontier_lease *l,
		    int64_t not_before_ns);

/* A gated origin not handed out before; FRONTIER_NONE if there is none,
 * FRONTIER_UNAVAILABLE as frontier_take_ready.
 * Its gate stays shut until frontier_open. */
enum frontier_status frontier_take_gated(struct frontier *f,
					 struct frontier_gate *out);

/* Open g's origin with policy (owned by the frontier from now on; leases
 * carry it) and at least delay_ns between starts; the gate ends. The request
 * that decided the gate (its robots.txt) counts as a start: the first URL
 * waits its delay from now_ns. */
void frontier_open(struct frontier *f, const struct frontier_gate *g,
		   void *policy, int64_t delay_ns, int64_t now_ns);

/* frontier_open, and the policy's text for the other workers of a shared
 * crawl (they make their policy of it with cfg.load_policy); text is
 * copied. The memory backend ignores it. */
void frontier_open_shared(struct frontier *f, const struct frontier_gate *g,
			  void *policy, const char *text, size_t len,
			  int64_t delay_ns, int64_t now_ns);

/* Whether f admits URLs itself (frontier_admit_batch): the visited set and
 * the queues in one step. */
bool frontier_admits(const struct frontier *f);

/* Redis: mark the n items' URLs seen and queue those that are new and have
 * no skip[i] (a reason: a new one with a reason is counted under it and
 * not queued), in one step, so no URL is ever seen and not queued;
 * status[i] says what became of items[i] (FRONTIER_SEEN: not new). As
 * frontier_push_batch otherwise. */
enum frontier_status frontier_admit_batch(struct frontier *f,
					  const struct frontier_item *items,
					  const char *const *skip, size_t n,
					  enum frontier_push_status *status);

/* Redis, with hold: complete the n URLs and publish their results to the
 * crawl's results stream, in one step; a result whose lease was taken
 * back (its worker stopped past its expiry) is dropped: its URL will be
 * recorded by whoever holds it now. *ended as frontier_complete says.
 * FRONTIER_UNAVAILABLE when Redis could not be told. */
enum frontier_status frontier_complete_batch(struct frontier *f,
					     const struct frontier_result *r,
					     size_t n, bool *ended);

/* A URL queued at depth is finished with: its record is written, or it was
 * dropped; called once per URL queued, after its last lease ended. True
 * when that ended the pending work or, with a max depth, a level: what
 * frontier_take_ready hands out may have changed, so a fetch loop waiting
 * on it wants waking. */
bool frontier_complete(struct frontier *f, unsigned depth);

void frontier_counts(struct frontier *f, struct frontier_counts *out);

/* Nothing pending and no lease held: the crawl is over. */
bool frontier_over(struct frontier *f);

/* For backends: the operations behind the functions above, on the state
 * given to frontier_new (take_ready and take_gated leave *out alone unless
 * they return FRONTIER_OK). */
struct frontier_ops {
	enum frontier_status (*push_batch)(void *state,
					   const struct frontier_item *items,
					   size_t n,
					   enum frontier_push_status *status);
	enum frontier_status (*take_ready)(void *state, int64_t now_ns,
					   int64_t *wake_ns,
					   struct frontier_lease *out);
	void (*done)(void *state, const struct frontier_lease *l);
	void (*skip)(void *state, const struct frontier_lease *l);
	void (*retry)(void *state, const struct frontier_lease *l,
		      int64_t not_before_ns);
	enum frontier_status (*take_gated)(void *state, struct frontier_gate *out);
	void (*open)(void *state, const struct frontier_gate *g, void *policy,
		     int64_t delay_ns, int64_t now_ns);
	/* Optional (NULL: not this backend's): */
	void (*open_shared)(void *state, const struct frontier_gate *g,
			    void *policy, const char *text, size_t len,
			    int64_t delay_ns, int64_t now_ns);
	enum frontier_status (*admit_batch)(void *state,
					    const struct frontier_item *items,
					    const char *const *skip, size_t n,
					    enum frontier_push_status *status);
	enum frontier_status (*complete_batch)(void *state,
					       const struct frontier_result *r,
					       size_t n, bool *ended);
	bool (*complete)(void *state, unsigned depth);
	void (*counts)(void *state, struct frontier_counts *out);
	void (*free)(void *state);
};

/* A frontier on a backend: takes ownership of state (freed with ops->free,
 * also when this fails). ops is borrowed for the frontier's life. NULL when
 * out of memory. */
struct frontier *frontier_new(const struct frontier_ops *ops, void *state);

#endif
