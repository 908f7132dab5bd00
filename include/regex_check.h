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

#include <stdbool.h>
#include <stddef.h>

#define REGEX_MAX_COPIES 1000

/* true if re (an extended regular expression) passes the rules above;
 * false with the reason in why (n bytes) if it does not. */
bool regex_check(const char *re, char *why, size_t n);

#endif
