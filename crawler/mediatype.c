/* mediatype: media ranges against Content-Type (see mediatype.h). */
#include "mediatype.h"

#include <string.h>
#include <strings.h>

static const char octet_stream[] = "application/octet-stream";

/* tchar of RFC 9110 section 5.6.2, but '*': a range has it only as a
 * whole subtype, or as the whole of "*\/\*". */
static size_t token_len(const char *s)
{
	return strspn(s, "!#$%&'+-.^_`|~0123456789"
			 "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz");
}

bool mediatype_range_valid(const char *range)
{
	size_t type = token_len(range);
	const char *sub = range + type + 1;

	if (!strcmp(range, "*/*"))
		return true;
	if (!type || range[type] != '/')
		return false;
	return !strcmp(sub, "*") || (*sub && !sub[token_len(sub)]);
}

/* The media type of content_type, OWS and parameters cut off: where it
 * starts, its length and that of its type; a missing or malformed one is
 * application/octet-stream. */
static const char *media_type(const char *ct, size_t *len, size_t *type)
{
	if (ct) {
		size_t n;
		const char *slash;

		ct += strspn(ct, " \t");
		n = strcspn(ct, ";");
		while (n && (ct[n - 1] == ' ' || ct[n - 1] == '\t'))
			n--;
		slash = memchr(ct, '/', n);
		if (slash && slash > ct && slash + 1 < ct + n) {
			*len = n;
			*type = (size_t)(slash - ct);
			return ct;
		}
	}
	*len = sizeof(octet_stream) - 1;
	*type = (size_t)(strchr(octet_stream, '/') - octet_stream);
	return octet_stream;
}

bool mediatype_matches(const char *range, const char *content_type)
{
	size_t len, type, rtype = strcspn(range, "/");
	const char *mt = media_type(content_type, &len, &type);

	if (!strcmp(range, "*/*"))
		return true;
	if (rtype != type || strncasecmp(range, mt, type) != 0)
		return false;
	if (!strcmp(range + rtype, "/*"))
		return true;
	return strlen(range) == len && !strncasecmp(range, mt, len);
}

static bool any_matches(char *const *ranges, size_t n, const char *content_type)
{
	for (size_t i = 0; i < n; i++)
		if (mediatype_matches(ranges[i], content_type))
			return true;
	return false;
}

enum mediatype_verdict mediatype_judge(const struct mediatype_filter *f,
				       const char *content_type)
{
	if (any_matches(f->reject, f->nreject, content_type))
		return MEDIATYPE_REJECTED;
	if (f->naccept && !any_matches(f->accept, f->naccept, content_type))
		return MEDIATYPE_NOT_ACCEPTED;
	return MEDIATYPE_PASS;
}

bool mediatype_compressed(const char *content_type)
{
	/* Formats whose bytes are compressed by design; audio and video are
	 * all of them in practice. Bitmaps, SVG and TIFF are left out: they
	 * deflate well. */
	static const char *const packed[] = {
		"image/png", "image/jpeg", "image/gif", "image/webp",
		"image/avif", "image/heic", "audio/*", "video/*",
		"font/woff", "font/woff2", "application/zip",
		"application/gzip", "application/x-gzip", "application/zstd",
		"application/x-xz", "application/x-bzip2",
		"application/x-7z-compressed", "application/vnd.rar",
	};

	if (!content_type)
		return false;
	for (size_t i = 0; i < sizeof(packed) / sizeof(*packed); i++)
		if (mediatype_matches(packed[i], content_type))
			return true;
	return false;
}
