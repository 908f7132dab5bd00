/* resume: what an earlier, killed run of a --state crawl left in its output
 * file: the URLs that already have a record. A torn last line (the kill came
 * mid-write) is cut off, so the file goes on with whole lines. */
#ifndef CRAWLER_RESUME_H
#define CRAWLER_RESUME_H

#include <stddef.h>
#include <stdint.h>

struct visited;

enum resume_status {
	RESUME_OK = 0,
	RESUME_IO = 1,    /* the output could not be read or cut */
	RESUME_NOMEM = 2, /* out of memory */
};

/* Read fd (the output, open for reading and writing) from the start, cut a
 * torn last line, and add every record's "url" to recorded; *records is
 * how many there are. RESUME_OK, or the failure with a message in err. */
enum resume_status resume_scan_output(int fd, struct visited *recorded,
				      size_t *records, char *err,
				      size_t errlen);

/* --warc: the last WARC record the output names (a later file of the
 * series, or further in the same one), where an earlier run's archive
 * ends; what comes after has no line and is archived again. */
struct resume_warc {
	char *file;       /* malloc'd; NULL: no line names a WARC record */
	uint64_t end;     /* offset + length of that record in file */
};

/* resume_scan_output, and the archive's end into *warc (release with
 * free(warc->file)). */
enum resume_status resume_scan(int fd, struct visited *recorded, size_t *records,
			       struct resume_warc *warc, char *err, size_t errlen);

#endif
