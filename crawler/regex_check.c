/* regex_check: a recursive-descent pass over an extended regular
 * expression (alternation, branch, piece, atom, as in regex(7)) that works
 * out for each part whether it can match the empty string and how many
 * copies glibc would make of it, and stops at the first rule broken (see
 * regex_check.h). It only has to agree with regcomp on well-formed input:
 * what it cannot make sense of it passes on, and regcomp reports. */
#include "regex_check.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#define MAX_NESTING 100 /* groups inside groups; bounds the recursion */

/* What the why of regex_check says, by enum regex_check_status. */
static const char *const rule_text[] = {
	[REGEX_OK] = "passes",
	[REGEX_STACKED] = "has a repetition right after another ('a**', "
			  "'a+?', 'a{2}*'), which POSIX leaves undefined",
	[REGEX_NULLABLE_PLUS] = "repeats with '+' or '{n,}' a part that can "
				"match nothing, which regcomp cannot afford; "
				"'*' means the same",
	[REGEX_TOO_MANY_COPIES] = "nests repetitions into over 1000 copies, "
				  "which regcomp cannot afford",
	[REGEX_TOO_DEEP] = "nests groups over 100 deep",
};

struct scan {
	const char *p;
	enum regex_check_status err; /* the rule broken, or REGEX_OK */
};

struct part {
	bool nullable; /* can match the empty string */
	double copies; /* of its most repeated atom once glibc expands it */
};

static struct part alternation(struct scan *s, int depth);

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Past a bracket expression at s->p ('['), with its "[:class:]",
 * "[=equiv=]" and "[.coll.]" items, where ']' does not end it. */
static void skip_bracket(struct scan *s)
{
	const char *p = s->p + 1;

	if (*p == '^')
		p++;
	if (*p == ']')
		p++;
	while (*p && *p != ']') {
		char kind = p[1];

		if (*p == '[' && (kind == ':' || kind == '=' || kind == '.')) {
			const char *end = p + 2;

			while (*end && !(end[0] == kind && end[1] == ']'))
				end++;
			if (!*end)
				break;
			p = end + 2;
		} else {
			p++;
		}
	}
	s->p = *p ? p + 1 : p;
}

static struct part atom(struct scan *s, int depth)
{
	struct part a = { .nullable = false, .copies = 1 };

	switch (*s->p) {
	case '(':
		if (depth >= MAX_NESTING) {
			s->err = REGEX_TOO_DEEP;
			return a;
		}
		s->p++;
		a = alternation(s, depth + 1);
		if (*s->p == ')')
			s->p++;
		return a;
	case '[':
		skip_bracket(s);
		return a;
	case '^':
	case '$':
		s->p++;
		a.nullable = true; /* zero-width */
		return a;
	case '\\':
		s->p += s->p[1] ? 2 : 1;
		return a;
	default:
		/* A character, or a repetition with nothing before it, which
		 * regcomp rejects or takes literally. */
		s->p++;
		return a;
	}
}

/* The repetition at s->p, if any: *min and *max (-1: no bound), and s->p
 * past it. A '{' that starts no interval is an ordinary character. */
static bool repetition(struct scan *s, long *min, long *max)
{
	const char *p = s->p;
	char *end;

	switch (*p) {
	case '*':
	case '+':
	case '?':
		*min = *p == '+';
		*max = *p == '?' ? 1 : -1;
		break;
	case '{':
		if (!is_digit(p[1]) && p[1] != ',')
			return false;
		*min = strtol(p + 1, &end, 10);
		*max = *min;
		if (*end == ',') {
			end++;
			*max = is_digit(*end) ? strtol(end, &end, 10) : -1;
		}
		if (*end != '}')
			return false;
		s->p = end + 1;
		return true;
	default:
		return false;
	}
	s->p++;
	return true;
}

static struct part piece(struct scan *s, int depth)
{
	struct part a = atom(s, depth);
	long min, max;

	if (s->err || !repetition(s, &min, &max))
		return a;
	if (max < 0 && min > 0 && a.nullable) {
		s->err = REGEX_NULLABLE_PLUS;
		return a;
	}
	/* glibc writes x+ as x x*, x{n,} as n copies and a star, x{m,n} as
	 * n copies. */
	a.copies *= max < 0 ? (double)min + 1 : (max > 1 ? (double)max : 1);
	a.nullable = a.nullable || min == 0;
	if (a.copies > REGEX_MAX_COPIES)
		s->err = REGEX_TOO_MANY_COPIES;
	else if (repetition(s, &min, &max))
		s->err = REGEX_STACKED;
	return a;
}

static bool ends_branch(const struct scan *s, int depth)
{
	return !*s->p || *s->p == '|' || (*s->p == ')' && depth > 0);
}

static struct part branch(struct scan *s, int depth)
{
	struct part b = { .nullable = true, .copies = 1 };

	while (!s->err && !ends_branch(s, depth)) {
		struct part p = piece(s, depth);

		b.nullable = b.nullable && p.nullable;
		if (p.copies > b.copies)
			b.copies = p.copies;
	}
	return b;
}

static struct part alternation(struct scan *s, int depth)
{
	struct part a = branch(s, depth);

	while (!s->err && *s->p == '|') {
		struct part b;

		s->p++;
		b = branch(s, depth);
		a.nullable = a.nullable || b.nullable;
		if (b.copies > a.copies)
			a.copies = b.copies;
	}
	return a;
}

enum regex_check_status regex_check(const char *re, char *why, size_t n)
{
	struct scan s = { .p = re, .err = REGEX_OK };

	alternation(&s, 0);
	if (s.err && n)
		snprintf(why, n, "%s", rule_text[s.err]);
	return s.err;
}
