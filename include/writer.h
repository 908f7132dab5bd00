/* writer: the one thread that owns the output.
 *
 * Records arrive on the results channel from the fetch and parse stages
 * (fan-in). Each becomes one JSON line in a buffer written with write(2) in
 * batches: when the buffer fills and whenever the channel runs dry, so the
 * file is never behind by more than what is still arriving. A line is
 * written whole or not at all; a failed write stops the writer, which keeps
 * draining (and counting) so no stage blocks, and reports the failure.
 * It also keeps the statistics and draws the progress line.
 *
 * Locks: `io` guards the buffer and is held across each write(2), so
 * writer_halt (a second signal) waits for the write in progress, writes
 * the whole lines the buffer holds (taken, not yet written), and exits
 * without cutting a line or dropping one it took. */
#ifndef CRAWLER_WRITER_H
#define CRAWLER_WRITER_H

#include <stdbool.h>
#include <stdio.h>

#include "stats.h"

struct chan;
struct frontier_result;
struct journal;
struct warc;
struct record;

struct writer_config {
	int fd;            /* output; borrowed */
	bool outlinks;     /* write "outlinks" */
	bool progress;     /* draw the progress line on log */
	bool verbose;      /* a line on log per record */
	FILE *log;         /* standard error, usually */
	/* Called after each record is written (or dropped after a failure). */
	void (*on_record)(void *arg, const struct record *r);
	/* Fills queued and in-flight counts for the progress line. */
	void (*gauges)(void *arg, size_t *queued, size_t *in_flight);
	/* Called once when a write fails; the crawl should stop. */
	void (*on_fail)(void *arg);
	void *arg;
	struct journal *journal; /* --state: flushed before every output write
				    and synced with it; borrowed or NULL */
	int64_t checkpoint_ms;   /* how often to fsync the journal and output */
	struct warc *warc;       /* --warc: a record's exchange is archived
				    before its line is taken; borrowed or NULL */
	/* A worker of a shared crawl: instead of written, records are
	 * published in batches, which completes their URLs (on_record is
	 * not called); 0, or an errno that fails the writer as a failed
	 * write does. */
	int (*publish)(void *arg, const struct frontier_result *r, size_t n);
};

struct writer;

/* Start the writer thread on results (borrowed; the writer ends when it is
 * closed and drained). NULL when out of memory or the thread cannot
 * start. */
struct writer *writer_start(const struct writer_config *cfg, struct chan *results);

/* Wait for the writer to drain and end; fill *stats. Returns 0, or the
 * errno of the failed write. w stays valid (writer_halt may still come)
 * until writer_free. */
int writer_join(struct writer *w, struct stats *stats);
/* Free a joined writer; NULL is accepted. */
void writer_free(struct writer *w);

/* Wait for the write in progress, write (journal first) the records taken
 * and not yet written, then _exit(status): no partial line, none dropped.
 * Safe from any thread until writer_free; NULL just exits. */
_Noreturn void writer_halt(struct writer *w, int status);

#endif
