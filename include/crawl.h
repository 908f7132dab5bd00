/* crawl: one crawl from seeds to the last record, the API under the
 * command-line program (tests drive it directly).
 *
 * crawl_run wires the pipeline and runs the fetch loop on the calling
 * thread:
 *
 *   frontier -> fetch pool (this thread) -> parse channel -> P parser threads
 *      ^              | records of non-parsed URLs              | links
 *      |              v                                         v
 *      +------- visited set <----- admit (scope, depth) <-------+
 *                     results channel (fan-in) -> writer thread -> output
 *
 * Termination: the frontier counts URLs admitted and not yet written (its
 * `pending`); the crawl is over when none is left and no lease is held
 * (frontier_over). --max-pages stops starting transfers
 * and lets the ones under way finish; a cancelled ctx (--max-time, a signal,
 * a failed write) aborts transfers, which are recorded as canceled (with a
 * journal, not recorded: they stay pending for the next run). Either way
 * the parse and results channels are then closed in order and drained, so
 * every fetched URL gets its record, and the links of pages parsed after a
 * stop are still admitted (and journaled). */
#ifndef CRAWLER_CRAWL_H
#define CRAWLER_CRAWL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "mediatype.h"
#include "scope.h"
#include "trap.h"
#include "stats.h"
#include "url.h"

struct ctx;
struct frontier;
struct frontier_config;
struct journal;
struct warc;
struct visited;

/* Instants of a crawl where a kill or a stop must lose nothing and repeat
 * nothing; crawl_config.hook is called at each, for tests to kill or stop
 * the crawl right there. */
enum crawl_hook {
	CRAWL_HOOK_ADMIT_HALFWAY, /* a batch of links is queued and not yet
				     journaled; url: the page they came from */
	CRAWL_HOOK_PAGE_READ,     /* url's page was read; its links are not yet
				     admitted */
};

/* A worker of a crawl shared through Redis (docs/DISTRIBUTED.md): the
 * frontier and visited set are the crawl's there, and records go to its
 * results stream, for the collector. */
struct crawl_cluster {
	const char *redis_url;   /* borrowed */
	const char *name;        /* the crawl's; borrowed */
	int64_t lease_ttl_ns;    /* --lease-ttl */
	int64_t clock_offset_ns; /* the crawl's clock: monotonic ns + this */
	bool archive;            /* send each exchange, for the collector's WARC */
};

struct crawl_config {
	char **seeds;            /* absolute http(s) URLs, or HOST[:PORT][/PATH]
				    taken as http://; borrowed */
	size_t nseeds;
	int out_fd;              /* JSON Lines go here; borrowed */
	unsigned concurrency;    /* transfers in flight */
	unsigned per_host;       /* transfers in flight per host */
	unsigned parsers;        /* parser threads */
	long max_depth;          /* -1: unlimited */
	uint64_t max_pages;      /* 0: unlimited */
	int64_t max_time_ms;     /* 0: unlimited */
	int64_t timeout_ms;      /* per request */
	int64_t connect_timeout_ms;
	uint64_t max_size;       /* body bytes, decoded */
	struct scope_config scope; /* regexes borrowed */
	const char *user_agent;  /* borrowed */
	char **headers;          /* "Name: value"; borrowed */
	size_t nheaders;
	char **resolve;          /* "HOST:PORT:ADDR[,ADDR]..." (CURLOPT_RESOLVE),
				    checked by options; borrowed */
	size_t nresolve;
	const char *user;        /* HTTP Basic, sent only to the seeds' origins;
				    NULL: none; borrowed */
	const char *password;    /* user's; NULL: empty; borrowed */
	const char *load_cookies; /* Netscape cookie file read at the start;
				     implies cookies; borrowed or NULL */
	const char *save_cookies; /* the jar written here at the end; implies
				     cookies; borrowed or NULL */
	uint64_t limit_rate;     /* body bytes per second per transfer; 0: any */
	struct mediatype_filter types; /* --accept-type, --reject-type: 2xx
				    bodies refused by type; lists borrowed */
	bool robots;             /* obey robots.txt */
	bool robots_sitemaps;    /* fetch the sitemaps robots.txt names */
	char **sitemaps;         /* --sitemap URLs, fetched with the seeds;
				    borrowed */
	size_t nsitemaps;
	int64_t delay_ms;        /* least time between starts on one origin */
	unsigned max_rate;       /* requests per second per origin; 0: any */
	int64_t max_delay_ms;    /* cap on Crawl-delay and Retry-After */
	bool follow_nofollow;    /* follow nofollow links and pages */
	unsigned retries;        /* extra attempts for transient failures */
	int64_t retry_base_ms;   /* first retry's wait before jitter (1000) */
	unsigned max_redirects;  /* redirects in one chain */
	uint64_t max_pages_per_host; /* URLs admitted per origin; 0: any */
	struct trap_limits traps;
	bool resources;          /* also fetch images, scripts, styles */
	bool cookies;            /* one cookie jar for the crawl */
	const char *proxy;       /* borrowed; NULL: libcurl's default */
	bool insecure;           /* skip TLS verification */
	/* TLS: files and directories named here are borrowed. */
	const char *ca_file;     /* PEM CAs trusted instead of the system's */
	const char *ca_dir;      /* hashed directory of CAs (or a ':' list),
				    likewise; both set: both trusted */
	const char *client_cert; /* PEM client certificate, or NULL */
	const char *client_key;  /* its PEM key; NULL: in client_cert */
	bool http11;             /* never HTTP/2 */
	struct journal *journal; /* --state: admissions log; borrowed or NULL */
	struct warc *warc;       /* --warc: every exchange archived there, by
				    the writer; borrowed or NULL */
	struct visited *recorded; /* --state resume: URLs the output already
				    has; borrowed or NULL */
	int64_t checkpoint_ms;   /* --state: fsync journal and output this often */
	/* The backends a run makes its frontier and visited set with; NULL:
	 * frontier_memory_new, visited_memory_new. */
	struct frontier *(*new_frontier)(const struct frontier_config *cfg);
	struct visited *(*new_visited)(void);
	const struct crawl_cluster *cluster; /* borrowed; NULL: this process
				    alone (new_frontier and new_visited) */
	/* For tests: called at each instant of enum crawl_hook, from the
	 * thread that is there; NULL in the program. */
	void (*hook)(void *arg, enum crawl_hook at, const char *url);
	void *hook_arg;
	bool links;              /* records carry outlinks */
	bool record_headers;     /* --headers: records carry every header */
	bool progress;           /* live status line on log */
	bool verbose;            /* a log line per record */
	FILE *log;               /* standard error, usually */
};

/* Why a crawl ended; also the cause given to ctx_cancel on the crawl ctx. */
#define CRAWL_STOP_MAP(X)                  \
	X(DONE, "done")                    \
	X(MAX_PAGES, "max-pages")          \
	X(MAX_TIME, "max-time")            \
	X(INTERRUPTED, "interrupted")      \
	X(FAILED, "failed")

enum crawl_stop {
#define CRAWL_STOP_ENUM(name, text) CRAWL_##name,
	CRAWL_STOP_MAP(CRAWL_STOP_ENUM)
#undef CRAWL_STOP_ENUM
};

/* Why a found URL was not admitted (counted once per URL in the summary). */
#define CRAWL_SKIP_MAP(X)                          \
	X(SCOPE, "scope")                          \
	X(URL_LENGTH, "url_length")                \
	X(PATH_SEGMENTS, "path_segments")          \
	X(REPEATED_SEGMENT, "repeated_segment")    \
	X(HOST_LIMIT, "max_pages_per_host")        \
	X(SITEMAP_NESTING, "sitemap_nesting")

enum crawl_skip {
#define CRAWL_SKIP_ENUM(name, text) CRAWL_SKIP_##name,
	CRAWL_SKIP_MAP(CRAWL_SKIP_ENUM)
#undef CRAWL_SKIP_ENUM
	CRAWL_SKIP_COUNT
};

/* The names of enum crawl_stop and enum crawl_skip, as the summary (and a
 * shared crawl's keys) write them. */
extern const char *const crawl_stop_names[CRAWL_FAILED + 1];
extern const char *const crawl_skip_names[CRAWL_SKIP_COUNT];

struct crawl_result {
	enum crawl_stop stop;
	struct stats stats;
	double seconds;
	uint64_t not_fetched;   /* admitted but never fetched */
	uint64_t skipped[CRAWL_SKIP_COUNT]; /* URLs not admitted, by reason */
	int write_errno;        /* set when stop is CRAWL_FAILED by the output */
	int cookies_errno;      /* --save-cookies could not be written */
	char *summary;          /* JSON line; malloc'd, the caller frees */
	char *report;           /* the summary as lines for a person; the same */
};

#define CRAWL_VERSION "0.1.0"
/* Where a site owner reads what this crawler is: the packager sets it with
 * `make CRAWL_URL=...`. Without it the User-Agent names only the program:
 * a made-up URL would send site owners nowhere. */
#ifdef CRAWL_URL
#define CRAWL_DEFAULT_USER_AGENT "crawler/" CRAWL_VERSION " (+" CRAWL_URL ")"
#else
#define CRAWL_DEFAULT_USER_AGENT "crawler/" CRAWL_VERSION
#endif

/* The documented defaults (see man/crawler.1). */
void crawl_config_init(struct crawl_config *cfg);

/* A seed as crawl_new takes it, into *out in canonical form (malloc'd): an
 * http(s) URL, or, as curl and wget2 take it, HOST[:PORT][/PATH] without a
 * scheme as an http URL ("example.com:8080/x"). Another scheme
 * ("ftp://x", "mailto:x@y") is URL_SCHEME; a seed without a host
 * ("//x/", "/x") is refused too. */
enum url_status crawl_seed_normalize(const char *seed, char **out);

struct crawl;

/* Check and prepare a crawl; NULL with a message in err on a bad seed or
 * setting. */
struct crawl *crawl_new(const struct crawl_config *cfg, char *err, size_t errlen);
/* Free c: its canonical seeds, scope and request headers (what crawl_run
 * builds it frees as it ends). NULL is accepted. */
void crawl_free(struct crawl *c);

enum crawl_status {
	CRAWL_OK = 0,
	CRAWL_NOT_STARTED = 1, /* the pipeline could not start: out of memory,
				  or a thread could not be created */
};

/* Run to the end. parent (may be NULL) is cancelled with cause
 * CRAWL_INTERRUPTED to stop it. CRAWL_OK, or CRAWL_NOT_STARTED; either way
 * *out is filled in, for the caller to give back with crawl_result_release. */
enum crawl_status crawl_run(struct crawl *c, struct ctx *parent,
			    struct crawl_result *out);
/* Free the summary and report *res holds; the struct is the caller's. */
void crawl_result_release(struct crawl_result *res);

/* Exit at once with status, having written the records the writer had
 * taken (whole lines, after the journal); for a second signal. Safe to call
 * from another thread while crawl_run runs, and until crawl_free. */
_Noreturn void crawl_halt(struct crawl *c, int status);

#endif
