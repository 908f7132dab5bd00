/* journal: the --state DIR log that lets a killed crawl resume with nothing
 * lost and nothing recorded twice.
 *
 * DIR/journal holds one line per URL admitted to the crawl, in order:
 * "<depth>\t<url>\t<parent or ->\t<flags>[\t<lastmod>]\n", flags in
 * decimal, the lastmod (a sitemap's, when the URL came with one) with
 * backslash, tab, CR and LF escaped as \\, \t, \r and \n. A journal
 * written before flags were kept has lines of the first three fields only,
 * and still replays: its entries come back without flags (has_flags
 * false), so a resumed run that meets an old journal does what it did
 * then. The output file is the other half:
 * it says which URLs have a record. The writer flushes the journal before
 * every write of output lines, and a page's links are journaled before its
 * record is sent, so an output record never exists without the admissions
 * it caused. A batch of links is queued and journaled inside one
 * journal_batch_begin/end, which a flush waits for: a link fetched the
 * moment it is queued cannot have its own record written before its
 * admission. After a kill -9 the crawl replays the journal: every URL in it
 * is visited, and those without a record are queued again.
 *
 * Appends come from parser threads and the fetch thread; `lock` guards the
 * buffer, and is held from journal_batch_begin to journal_batch_end (the
 * caller queues the batch in the frontier meanwhile: the journal's lock
 * comes before the frontier's). journal_flush and journal_sync are the
 * writer's, and a second signal's. */
#ifndef CRAWLER_JOURNAL_H
#define CRAWLER_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>

struct journal;

/* One admission. Borrowed: journal_admit copies what it keeps, and what
 * journal_replay hands over lasts for the call only. */
struct journal_entry {
	const char *url;     /* canonical; no tab or newline */
	const char *parent;  /* the same, or NULL for a seed */
	unsigned depth;
	unsigned flags;      /* the crawl's, kept as given (ENTRY_*) */
	bool has_flags;      /* replay: false for an old three-field line */
	const char *lastmod; /* the sitemap's <lastmod> for url, or NULL */
};

/* Open (creating DIR if needed) for appending; a torn last line from a kill
 * is cut off first. NULL with a message in err on failure. */
struct journal *journal_open(const char *dir, char *err, size_t errlen);
/* Close the file and free j, dropping what is queued and not flushed (the
 * writer syncs the journal as it ends, so after a crawl nothing is). NULL
 * is accepted. */
void journal_close(struct journal *j);

/* Queue one admission (buffered until journal_flush); 0 or ENOMEM. Once
 * an admission is lost for lack of memory every flush fails (ENOMEM), so
 * the writer writes no record that could need it. */
int journal_admit(struct journal *j, const struct journal_entry *e);

/* A batch: between begin and end, journal_flush waits, and the caller
 * queues the batch's URLs and then journals them with journal_batch_admit
 * (as journal_admit, which must not be called in between). */
void journal_batch_begin(struct journal *j);
int journal_batch_admit(struct journal *j, const struct journal_entry *e);
void journal_batch_end(struct journal *j);

/* write(2) what is queued; 0 or an errno. */
int journal_flush(struct journal *j);
/* flush and fsync; 0 or an errno. */
int journal_sync(struct journal *j);

/* Entries already in DIR/journal when it was opened. */
size_t journal_entries(const struct journal *j);

/* Call fn for each entry in the file as opened, in order; 0 or an errno.
 * A line that is none of the two formats is skipped. */
int journal_replay(struct journal *j,
		   void (*fn)(void *arg, const struct journal_entry *e),
		   void *arg);

#endif
