/* mediatype: --accept-type and --reject-type, media ranges (RFC 9110
 * section 12.5.1: "type/subtype", "type/\*" or "*\/\*") matched against the
 * media type of a Content-Type: its parameters cut off, compared without
 * regard to case.
 *
 * A response with no Content-Type, or one that names no type/subtype, is
 * judged as application/octet-stream, as RFC 9110 section 8.3 lets a
 * recipient assume. Pure functions; the filter's lists are borrowed. */
#ifndef CRAWLER_MEDIATYPE_H
#define CRAWLER_MEDIATYPE_H

#include <stdbool.h>
#include <stddef.h>

struct mediatype_filter {
	char **accept;          /* ranges; none: every type passes */
	size_t naccept;
	char **reject;          /* ranges; a match refuses, whatever accept says */
	size_t nreject;
};

enum mediatype_verdict {
	MEDIATYPE_PASS = 0,
	MEDIATYPE_REJECTED = 1,     /* matches a reject range */
	MEDIATYPE_NOT_ACCEPTED = 2, /* accept ranges given, and none matches */
};

/* Whether range is "type/subtype", "type/\*" or "*\/\*" (tokens of RFC 9110
 * section 5.6.2, no parameters). */
bool mediatype_range_valid(const char *range);

/* Whether the media type of content_type (NULL: none) is in range, a
 * valid range. */
bool mediatype_matches(const char *range, const char *content_type);

/* What f says of a response of content_type (NULL: none). */
enum mediatype_verdict mediatype_judge(const struct mediatype_filter *f,
				       const char *content_type);

/* Whether bodies of content_type's media type (NULL: none) are compressed
 * by their format (JPEG, PNG, video, WOFF, zip...): another compression
 * would not shrink them. */
bool mediatype_compressed(const char *content_type);

#endif
