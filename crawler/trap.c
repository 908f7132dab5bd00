/* trap: the per-link test for crawler traps. One pass over the path, in
 * place, remembering only the last two segments: a period-1 run (/a/a/a)
 * and a period-2 run (/a/b/a/b) are counted as the segments go by, which
 * catches the relative-link loops that grow a path forever; longer periods
 * are left to the segment and length limits. */
#include "trap.h"

#include <stdbool.h>
#include <string.h>

#include "url.h"

static const char *const reason_names[] = {
#define TRAP_NAME(name, text) text,
	TRAP_REASON_MAP(TRAP_NAME)
#undef TRAP_NAME
};

/* One path segment, pointing into the URL. */
struct seg {
	const char *s;
	size_t len;
};

struct path_scan {
	struct seg last[2]; /* [0] the last segment, [1] the one before */
	unsigned nsegs;
	unsigned run1;      /* segments in a row, ending here, all equal */
	unsigned run2;      /* segments in a row, ending here, each equal to the
			     * one two back: 2k of them are k repeats of a pair */
};

const char *trap_reason_name(enum trap_reason r)
{
	if ((unsigned)r >= TRAP_REASON_COUNT)
		return "unknown";
	return reason_names[r];
}

static bool seg_eq(struct seg a, struct seg b)
{
	return a.len == b.len && !memcmp(a.s, b.s, a.len);
}

static void scan_step(struct path_scan *ps, struct seg seg)
{
	ps->nsegs++;
	ps->run1 = ps->nsegs > 1 && seg_eq(seg, ps->last[0]) ? ps->run1 + 1 : 1;
	/* A break in the period-2 run still leaves the last two segments as
	 * the start of a new one. */
	if (ps->nsegs > 2 && seg_eq(seg, ps->last[1]))
		ps->run2++;
	else
		ps->run2 = ps->nsegs < 2 ? ps->nsegs : 2;
	ps->last[1] = ps->last[0];
	ps->last[0] = seg;
}

static enum trap_reason scan_verdict(const struct trap_limits *lim,
				     const struct path_scan *ps)
{
	if (lim->max_segments && ps->nsegs > lim->max_segments)
		return TRAP_PATH_SEGMENTS;
	if (lim->max_repeats &&
	    (ps->run1 > lim->max_repeats || ps->run2 / 2 > lim->max_repeats))
		return TRAP_REPEATED_SEGMENT;
	return TRAP_NONE;
}

static enum trap_reason check_path(const struct trap_limits *lim,
				   const char *url)
{
	const char *p = url_path(url);
	const char *end = p + strcspn(p, "?#");
	struct path_scan ps = { 0 };
	enum trap_reason r;

	while (p < end) {
		const char *slash = memchr(p, '/', (size_t)(end - p));
		const char *seg_end = slash ? slash : end;

		if (seg_end > p) {
			scan_step(&ps, (struct seg){ p, (size_t)(seg_end - p) });
			r = scan_verdict(lim, &ps);
			if (r != TRAP_NONE)
				return r;
		}
		p = seg_end + (slash != NULL);
	}
	return TRAP_NONE;
}

enum trap_reason trap_check(const struct trap_limits *lim,
			    const char *canonical_url)
{
	size_t max = lim->max_url_length;

	/* strnlen: a URL far over the limit is not read to its end; max + 1
	 * must not wrap. */
	if (max && max < (size_t)-1 && strnlen(canonical_url, max + 1) > max)
		return TRAP_URL_LENGTH;
	return check_path(lim, canonical_url);
}
