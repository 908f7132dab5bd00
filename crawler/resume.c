/* resume: the records an earlier run already wrote (see resume.h). */
#include "resume.h"

#include <errno.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "visited.h"

/* Files of one series sort by name: their numbers have five digits. */
static enum resume_status warc_end(json_t *o, struct resume_warc *warc)
{
	json_t *w = json_object_get(o, "warc");
	const char *file = json_string_value(json_object_get(w, "file"));
	json_int_t off = json_integer_value(json_object_get(w, "offset"));
	json_int_t len = json_integer_value(json_object_get(w, "length"));
	int cmp;

	if (!warc || !file || off < 0 || len <= 0)
		return RESUME_OK;
	cmp = warc->file ? strcmp(file, warc->file) : 1;
	if (cmp > 0) {
		free(warc->file);
		if (!(warc->file = strdup(file)))
			return RESUME_NOMEM;
		warc->end = 0;
	}
	if (cmp >= 0 && (uint64_t)(off + len) > warc->end)
		warc->end = (uint64_t)(off + len);
	return RESUME_OK;
}

static enum resume_status add_record(struct visited *recorded,
				     struct resume_warc *warc,
				     const char *line, size_t len)
{
	json_t *o = json_loadb(line, len, 0, NULL);
	const char *url = json_string_value(json_object_get(o, "url"));
	char *copy = url ? strdup(url) : NULL;
	bool fresh;
	enum resume_status rc = RESUME_OK;

	if (copy && visited_add_batch(recorded, &copy, 1, &fresh, NULL) != VISITED_OK)
		rc = RESUME_NOMEM;
	if (!rc)
		rc = warc_end(o, warc);
	free(copy);
	json_decref(o);
	return rc;
}

/* A stream over fd from its start, whatever its offset (O_APPEND writes go
 * to the end anyway, and a dup shares the offset). */
static FILE *from_start(int fd)
{
	int copy;
	FILE *in;

	if (lseek(fd, 0, SEEK_SET) < 0 || (copy = dup(fd)) < 0)
		return NULL;
	in = fdopen(copy, "r");
	if (!in)
		close(copy);
	return in;
}

enum resume_status resume_scan_output(int fd, struct visited *recorded,
				      size_t *records, char *err,
				      size_t errlen)
{
	return resume_scan(fd, recorded, records, NULL, err, errlen);
}

enum resume_status resume_scan(int fd, struct visited *recorded, size_t *records,
			       struct resume_warc *warc, char *err, size_t errlen)
{
	FILE *in = from_start(fd);
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	off_t whole = 0;
	enum resume_status rc = RESUME_OK;

	*records = 0;
	if (!in) {
		snprintf(err, errlen, "cannot read the output: %s", strerror(errno));
		return RESUME_IO;
	}
	while ((n = getline(&line, &cap, in)) > 0 && line[n - 1] == '\n') {
		rc = add_record(recorded, warc, line, (size_t)n);
		if (rc) {
			snprintf(err, errlen, "out of memory");
			break;
		}
		whole += n;
		(*records)++;
	}
	free(line);
	fclose(in);
	if (!rc && ftruncate(fd, whole)) {
		snprintf(err, errlen, "cannot cut the output's torn line: %s",
			 strerror(errno));
		rc = RESUME_IO;
	}
	return rc;
}
