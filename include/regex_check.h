/* regex_check: refuse the --include/--exclude expressions that glibc's
 * regcomp cannot compile in reasonable time or memory.
 *
 * glibc expands every repetition by copying what it repeats and then
 * computes epsilon closures over the copies, so a few characters can cost
 * minutes and gigabytes: "^h**++++n" takes 95 s, "^((((((h*)+)+)+)+)+)+n"
 * longer, "^(((h*){30}){30}){30}n" as long. Three rules keep every
 * expression a user could mean and refuse those:
 *   - no repetition right after another ("a**", "a+*", "a{2}+"): POSIX
 *     leaves their meaning undefined anyway;
 *   - no '+' or "{n,}" on a part that can match the empty string: "(a*)+"
 *     means "(a*)*", which costs nothing;
 *   - repetitions nested inside each other expand to at most
 *     REGEX_MAX_COPIES copies ("(a{10}){10}" is 100).
 * Syntax errors are left to regcomp, which says what they are. */
#ifndef CRAWLER_REGEX_CHECK_H
#define CRAWLER_REGEX_CHECK_H

#include <stddef.h>

#define REGEX_MAX_COPIES 1000

enum regex_check_status {
	REGEX_OK = 0,
	REGEX_STACKED = 1,         /* a repetition right after another */
	REGEX_NULLABLE_PLUS = 2,   /* '+' or "{n,}" on what can match nothing */
	REGEX_TOO_MANY_COPIES = 3, /* over REGEX_MAX_COPIES copies */
	REGEX_TOO_DEEP = 4,        /* groups nested over 100 deep */
};

/* REGEX_OK if re (an extended regular expression) passes the rules above;
 * else the first rule it breaks, with a sentence on it in why (n bytes). */
enum regex_check_status regex_check(const char *re, char *why, size_t n);

#endif
