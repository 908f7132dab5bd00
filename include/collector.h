/* collector: the one writer of a distributed crawl (`crawler --collect`).
 *
 * Workers add one entry per record to the crawl's results stream in Redis
 * (C:{NAME}:results, docs/DISTRIBUTED.md); the collector reads it in
 * order and writes the JSON Lines output, the WARC files and the summary
 * exactly as the writer of a one-process crawl does, then ends the crawl
 * (deletes its keys) once it is over. It checkpoints after every batch in
 * a hash of its own (C:{NAME}:collector): the stream id taken last, the
 * output's length, the WARC record written last and the running totals,
 * so a collector killed anywhere and started again neither skips nor
 * repeats a line or a WARC record. One collector per crawl. */
#ifndef CRAWLER_COLLECTOR_H
#define CRAWLER_COLLECTOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "crawl.h"

struct ctx;

/* Entries taken from the stream a round trip; fewer while archiving, when
 * each may carry a body of up to --max-size: the batch is held in memory. */
#define COLLECTOR_BATCH 1000
#define COLLECTOR_BATCH_ARCHIVE 100
/* How long one read waits for entries before the collector asks whether
 * the crawl is over (and looks at its stop ctx). */
#define COLLECTOR_WAIT_MS 200

/* Everything borrowed for the call. */
struct collector_config {
	const char *redis_url;   /* redis://HOST[:PORT][/DB] */
	const char *crawl_name;
	const char *output;      /* -o FILE: a regular file, not "-" */
	const char *warc;        /* --warc FILE, or NULL */
	uint64_t warc_max_bytes; /* --warc-max-size; 0: no limit */
	bool keep;               /* --keep: leave the crawl's keys at its end */
	bool verbose;            /* a line per record on log: status, URL */
	struct ctx *stop;        /* cancelled on a signal; may be NULL */
	FILE *log;               /* Redis retries and bad entries are told
				    here; NULL: nowhere */
};

enum collector_status {
	COLLECTOR_OK = 0,   /* the crawl ended, or the stop ctx was cancelled
			       (stop says which) */
	COLLECTOR_NO_CRAWL, /* no crawl of that name in that Redis */
	COLLECTOR_USAGE,    /* a bad URL, crawl name or output */
	COLLECTOR_FAILED,   /* Redis, the output or the archive failed; what
			       was checkpointed stays, for a restart */
};

/* Collect crawl cfg->crawl_name until it is over (or cfg->stop is
 * cancelled), resuming from the checkpoint if there is one. *out is
 * always filled in (crawl_result_release frees its summary and report):
 * on COLLECTOR_OK, stop is why the crawl ended (its keys are deleted
 * unless keep), or CRAWL_INTERRUPTED (they are kept: start the collector
 * again to go on), with the summary and report; otherwise stop is
 * CRAWL_FAILED, there is no summary, write_errno is set when the output
 * could not be written, and err holds the message (no "crawler: "
 * before it). */
enum collector_status collector_run(const struct collector_config *cfg,
				    struct crawl_result *out, char *err,
				    size_t errlen);

#endif
