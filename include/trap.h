/* trap: spot crawler traps, URL spaces that never end (a calendar linking
 * to next month forever, a relative link that grows the path on every
 * page, a session id appended again and again), from the URL alone.
 *
 * Path segments are the '/'-separated parts of the path, before any query;
 * empty ones ("//", a trailing '/') are not counted or compared, so
 * "/a/b/" has 2 segments and "/a//a" repeats "a". A limit of 0 is no limit.
 *
 * Stateless and allocation-free: it runs for every link on every page, from
 * any thread. */
#ifndef CRAWLER_TRAP_H
#define CRAWLER_TRAP_H

#include <stddef.h>

#define TRAP_REASON_MAP(X)                                                    \
	X(NONE, "none")                                                       \
	X(URL_LENGTH, "url_length")             /* over max_url_length */    \
	X(PATH_SEGMENTS, "path_segments")       /* over max_segments */      \
	X(REPEATED_SEGMENT, "repeated_segment") /* /a/a/a/a, /a/b/a/b/a/b/a/b */

enum trap_reason {
#define TRAP_ENUM(name, text) TRAP_##name,
	TRAP_REASON_MAP(TRAP_ENUM)
#undef TRAP_ENUM
	TRAP_REASON_COUNT
};

struct trap_limits {
	size_t max_url_length;  /* bytes of the whole URL */
	unsigned max_segments;  /* non-empty path segments */
	unsigned max_repeats;   /* times in a row one segment, or one pair of
				 * segments, may occur */
};

#define TRAP_LIMITS_DEFAULT { 2048, 32, 3 }

/* The first limit canonical_url exceeds (length first, then the path read
 * left to right), or TRAP_NONE. */
enum trap_reason trap_check(const struct trap_limits *lim,
			    const char *canonical_url);

/* "none", "url_length", ...: the names records and statistics use. */
const char *trap_reason_name(enum trap_reason r);

#endif
