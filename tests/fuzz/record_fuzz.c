/* Fuzz target for record: a record's JSON line.
 *
 * The input starts with HEADER_LEN bytes of numbers (missing ones are 0):
 * a flags byte (bit 0 noindex, bit 1 write outlinks, bits 2-6 make parent,
 * title, content_type, location and err_msg NULL rather than a string),
 * the error kind (mod RECORD_ERR_COUNT + 1, one past the last kind
 * included), then in native byte order depth (4), status (4), bytes (8),
 * nlinks (8), fetched_at_ms (8), elapsed_ms (8), attempts (4). The rest,
 * split at NUL bytes, gives url, parent, title, content_type, location and
 * err_msg (an absent one is empty), then one outlink per remaining part.
 *
 * The line must end in its only '\n' and hold no NUL, and jansson must read
 * it back as an object whose "url" is the input's url when that was valid
 * UTF-8 (repairing it is record's business otherwise), with "outlinks" and
 * "error" there exactly when they should be. */
#include "fuzz.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "record.h"

#define HEADER_LEN 46 /* 1 + 1 + 4 + 4 + 8 + 8 + 8 + 8 + 4 */
#define NSTRINGS 6 /* url, parent, title, content_type, location, err_msg */

_Static_assert(sizeof(unsigned) == 4 && sizeof(int) == 4,
	       "depth, status and attempts are read as 4 bytes");

struct reader {
	const uint8_t *p;
	size_t left;
};

/* The next n bytes into dst, zeros past the end of the input. */
static void take(struct reader *rd, void *dst, size_t n)
{
	size_t k = n < rd->left ? n : rd->left;

	memset(dst, 0, n);
	memcpy(dst, rd->p, k);
	rd->p += k;
	rd->left -= k;
}

static char *dup_part(const char *s, size_t n)
{
	char *d = malloc(n + 1);

	if (!d)
		abort();
	memcpy(d, s, n);
	d[n] = '\0';
	return d;
}

/* Splits the tail at NULs: the first NSTRINGS parts into str (empty when
 * missing), the others into r's outlinks. */
static void split(struct record *r, char **str, const char *s, size_t n)
{
	size_t i = 0, cap = 0, at = 0;

	for (bool more = true; more; i++) {
		const char *z = memchr(s + at, '\0', n - at);
		size_t len = z ? (size_t)(z - (s + at)) : n - at;

		if (i < NSTRINGS) {
			str[i] = dup_part(s + at, len);
		} else {
			if (r->noutlinks == cap) {
				cap = cap ? cap * 2 : 8;
				r->outlinks = realloc(r->outlinks,
						      cap * sizeof(*r->outlinks));
				if (!r->outlinks)
					abort();
			}
			r->outlinks[r->noutlinks++] = dup_part(s + at, len);
		}
		more = z != NULL;
		at += len + 1;
	}
	for (; i < NSTRINGS; i++)
		str[i] = dup_part("", 0);
}

static struct record *build(const uint8_t *data, size_t size, bool *outlinks)
{
	struct reader rd = { data, size };
	struct record *r = calloc(1, sizeof(*r));
	uint8_t flags, err;
	int64_t nlinks;
	char *str[NSTRINGS];
	char **field[NSTRINGS];

	if (!r)
		abort();
	take(&rd, &flags, 1);
	take(&rd, &err, 1);
	take(&rd, &r->depth, 4);
	take(&rd, &r->status, 4);
	take(&rd, &r->bytes, 8);
	take(&rd, &nlinks, 8);
	take(&rd, &r->fetched_at_ms, 8);
	take(&rd, &r->elapsed_ms, 8);
	take(&rd, &r->attempts, 4);
	FUZZ_CHECK(rd.left == (size > HEADER_LEN ? size - HEADER_LEN : 0));
	r->nlinks = (long)nlinks;
	r->noindex = flags & 1;
	*outlinks = flags & 2;
	r->err = (enum record_err)(err % (RECORD_ERR_COUNT + 1));
	split(r, str, (const char *)rd.p, rd.left);
	field[0] = &r->url;
	field[1] = &r->parent;
	field[2] = &r->title;
	field[3] = &r->content_type;
	field[4] = &r->location;
	field[5] = &r->err_msg;
	for (size_t i = 0; i < NSTRINGS; i++) {
		if (i && (flags & 1u << (i + 1))) {
			free(str[i]);
			str[i] = NULL;
		}
		*field[i] = str[i];
	}
	return r;
}

static void check_json(const struct record *r, bool outlinks, const char *line,
		       size_t len)
{
	json_error_t e;
	json_t *o = json_loadb(line, len, 0, &e);
	json_t *url, *links;

	FUZZ_CHECK(json_is_object(o));
	url = json_object_get(o, "url");
	FUZZ_CHECK(json_is_string(url));
	if (fuzz_valid_utf8(r->url, strlen(r->url)))
		FUZZ_CHECK(!strcmp(json_string_value(url), r->url));
	links = json_object_get(o, "outlinks");
	if (outlinks && r->nlinks >= 0)
		FUZZ_CHECK(json_is_array(links) &&
			   json_array_size(links) == r->noutlinks);
	else
		FUZZ_CHECK(!links);
	FUZZ_CHECK(json_is_null(json_object_get(o, "error")) ==
		   (r->err == RECORD_ERR_NONE));
	json_decref(o);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	bool outlinks;
	struct record *r = build(data, size, &outlinks);
	size_t len = 0;
	char *line = record_to_json(r, outlinks, &len);

	FUZZ_CHECK(line != NULL); /* NULL only when out of memory */
	FUZZ_CHECK(len > 0 && strlen(line) == len);
	FUZZ_CHECK(line[len - 1] == '\n');
	FUZZ_CHECK(memchr(line, '\n', len - 1) == NULL);
	check_json(r, outlinks, line, len);
	free(line);
	record_free(r);
	return 0;
}
