/* resume: what an earlier, killed run of a --state crawl left in its output
 * file: the URLs that already have a record. A torn last line (the kill came
 * mid-write) is cut off, so the file goes on with whole lines. */
#ifndef CRAWLER_RESUME_H
#define CRAWLER_RESUME_H

#include <stddef.h>

struct visited;

/* Read fd (the output, open for reading and writing) from the start, cut a
 * torn last line, and add every record's "url" to recorded. Returns the
 * number of records, or -1 with a message in err. */
long resume_scan_output(int fd, struct visited *recorded, char *err,
			size_t errlen);

#endif
