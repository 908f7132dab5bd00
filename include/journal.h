/* journal: the --state DIR log that lets a killed crawl resume with nothing
 * lost and nothing recorded twice.
 *
 * DIR/journal holds one line per URL admitted to the crawl, in order:
 * "<depth>\t<url>\t<parent or ->\n". The output file is the other half:
 * it says which URLs have a record. The writer flushes the journal before
 * every write of output lines, and a page's links are journaled before its
 * record is sent, so an output record never exists without the admissions
 * it caused. After a kill -9 the crawl replays the journal: every URL in it
 * is visited, and those without a record are queued again.
 *
 * Appends come from parser threads and the fetch thread; `lock` guards the
 * buffer. journal_flush and journal_sync are the writer's. */
#ifndef CRAWLER_JOURNAL_H
#define CRAWLER_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>

struct journal;

/* Open (creating DIR if needed) for appending; a torn last line from a kill
 * is cut off first. NULL with a message in err on failure. */
struct journal *journal_open(const char *dir, char *err, size_t errlen);
/* Close the file and free j, dropping what is queued and not flushed (the
 * writer syncs the journal as it ends, so after a crawl nothing is). NULL
 * is accepted. */
void journal_close(struct journal *j);

/* Queue one admission (buffered until journal_flush); 0 or ENOMEM. */
int journal_admit(struct journal *j, const char *url, const char *parent,
		  unsigned depth);

/* write(2) what is queued; 0 or an errno. */
int journal_flush(struct journal *j);
/* flush and fsync; 0 or an errno. */
int journal_sync(struct journal *j);

/* Entries already in DIR/journal when it was opened. */
size_t journal_entries(const struct journal *j);

/* Call fn for each entry in the file as opened, in order; 0 or an errno. */
int journal_replay(struct journal *j,
		   void (*fn)(void *arg, const char *url, const char *parent,
			      unsigned depth),
		   void *arg);

#endif
