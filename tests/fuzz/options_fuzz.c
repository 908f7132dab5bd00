/* Fuzz target for options: durations, sizes and whole command lines.
 *
 * The input up to its first NUL is a DURATION and a SIZE: a success must
 * give a positive value, and a duration at most a week (604800000 ms, the
 * bound options.c documents). Then the input, split at its NUL bytes, is
 * the argv after "crawler" (at most MAX_ARGS words) for options_parse, with
 * --help and --version written to /dev/null; options_release follows
 * whatever it returned.
 *
 * -i/--input-file reads a file (or standard input for "-"), which a fuzzer
 * must not do: words that could name it, alone, abbreviated or in a cluster
 * of short options ("-ki"), are left out of argv. regex_check refuses the
 * --include and --exclude expressions glibc's regcomp is known to choke on
 * (stacked repetitions, '+' on what can match nothing, deep nests), and
 * regressions/options/ holds the ones the fuzzer found; words with an
 * interval or many repeats are still left out, so that a 10-second CI run
 * cannot stall on some other corner of regcomp. */
#include "fuzz.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "options.h"

#define MAX_ARGS 32
#define MAX_REPEATS 8 /* '*' and '+' in one word, 2^8 copies at worst */
#define WEEK_MS 604800000

/* Whether word could be -i or --input-file, so as getopt_long sees it. */
static bool may_read_file(const char *word)
{
	static const char input[] = "input-file";
	size_t n;

	if (word[0] != '-' || !word[1])
		return false;
	if (word[1] != '-')
		return strchr(word + 1, 'i') != NULL;
	n = strcspn(word + 2, "=");
	if (!n) /* "--" ends the options; "--=x" names none, or any */
		return word[2] == '=';
	return n < sizeof(input) && !strncmp(word + 2, input, n);
}

/* Whether regcomp could blow up on word: an interval, or many repeats. */
static bool costly_regex(const char *word)
{
	size_t repeats = 0;

	if (strchr(word, '{'))
		return true;
	for (; *word; word++)
		repeats += *word == '*' || *word == '+';
	return repeats > MAX_REPEATS;
}

static void check_values(const char *s)
{
	int64_t ms = 0;
	uint64_t bytes = 0;

	if (options_parse_duration(s, &ms) == OPTIONS_OK)
		FUZZ_CHECK(ms > 0 && ms <= WEEK_MS);
	if (options_parse_size(s, &bytes) == OPTIONS_OK)
		FUZZ_CHECK(bytes > 0);
}

static void check_argv(char *words, size_t size)
{
	static FILE *devnull;
	static char prog[] = "crawler";
	char *argv[MAX_ARGS + 2] = { prog };
	int argc = 1;
	struct options o;
	char err[256];
	enum options_status st;

	if (!devnull && !(devnull = fopen("/dev/null", "w")))
		abort();
	for (char *w = words, *end = words + size; w <= end && argc <= MAX_ARGS;
	     w += strlen(w) + 1)
		if (!may_read_file(w) && !costly_regex(w))
			argv[argc++] = w;
	argv[argc] = NULL;
	err[0] = '\0';
	st = options_parse(&o, argc, argv, devnull, err, sizeof(err));
	if (st == OPTIONS_OK) {
		FUZZ_CHECK(o.nseeds > 0 && o.seeds);
		FUZZ_CHECK(o.crawl.seeds == o.seeds && o.crawl.nseeds == o.nseeds);
	} else if (st == OPTIONS_USAGE) {
		FUZZ_CHECK(err[0] != '\0');
		FUZZ_CHECK(memchr(err, '\0', sizeof(err)) != NULL);
	} else {
		FUZZ_CHECK(st == OPTIONS_EXIT);
	}
	options_release(&o);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (!s)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	check_values(s);
	check_argv(s, size);
	free(s);
	return 0;
}
