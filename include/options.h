/* options: the command line, turned into a crawl configuration.
 *
 * One table holds every option: long name, short letter, argument, default
 * and help line. getopt_long's table and --help are built from it, and a
 * test checks it against man/crawler.1, so the three cannot drift apart. */
#ifndef CRAWLER_OPTIONS_H
#define CRAWLER_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "crawl.h"

struct options {
	struct crawl_config crawl;
	const char *output;     /* -o; NULL: standard output */
	const char *stats_path; /* --stats; NULL: standard error */
	const char *state_dir;  /* --state; NULL: no journal, no resume */
	const char *warc;       /* --warc; NULL: no archive */
	uint64_t warc_max_bytes; /* --warc-max-size */
	int progress;           /* 1, 0, or -1: when stderr is a terminal */
	bool quiet;
	char **seeds;           /* owned: -i lines, then argv URLs */
	size_t nseeds;
	char **sitemaps;        /* owned copies of --sitemap values */
	size_t nsitemaps;
	char **headers;         /* owned copies of -H values */
	size_t nheaders;
	char **include;         /* owned copies of --include values */
	size_t ninclude;
	char **exclude;         /* owned copies of --exclude values */
	size_t nexclude;
	char *password;         /* owned copy of --password: main blanks argv's */
	char **resolve;         /* owned copies of --resolve values */
	size_t nresolve;
	char **accept_types;    /* owned copies of --accept-type values */
	size_t naccept_types;
	char **reject_types;    /* owned copies of --reject-type values */
	size_t nreject_types;
	/* A crawl shared through Redis (docs/DISTRIBUTED.md). */
	const char *redis;      /* --redis URL; NULL: this process alone */
	const char *crawl_name; /* --crawl NAME */
	bool collect;           /* --collect: the crawl's collector */
	bool keep;              /* --keep: the collector leaves the keys */
	int64_t lease_ttl_ms;   /* --lease-ttl */
	/* The command line in two parts, each option as "--name" and its
	 * value: what shapes the crawl (stored with it in Redis, the same for
	 * every worker; then "--" and the seeds), and what each process sets
	 * for itself (concurrency, reporting, files). Owned copies. */
	char **crawl_args;
	size_t ncrawl_args;
	char **local_args;
	size_t nlocal_args;
};

enum options_status {
	OPTIONS_OK = 0,
	OPTIONS_EXIT = 1,  /* --help or --version was printed; exit 0 */
	OPTIONS_USAGE = 2, /* bad command line; err says why; exit 2 */
};

/* Parse argv into *o. Help and version text go to out. Whatever it
 * returns, *o holds copies to give back with options_release. Values are
 * borrowed from argv, which must outlive *o. */
enum options_status options_parse(struct options *o, int argc, char **argv,
				  FILE *out, char *err, size_t errlen);
/* Free the copies o holds (seeds, sitemaps, headers, include and exclude
 * regexes, resolve entries, media ranges) and empty those lists; the struct itself
 * is the caller's. */
void options_release(struct options *o);

void options_help(FILE *out);

/* "250ms", "1.5s", "2m", "1h", "30" (seconds) -> milliseconds: OPTIONS_OK,
 * or OPTIONS_USAGE (*ms untouched) for anything else. */
enum options_status options_parse_duration(const char *s, int64_t *ms);
/* "512", "64k", "10M", "1G" (powers of 1024) -> bytes: OPTIONS_OK, or
 * OPTIONS_USAGE (*bytes untouched) for anything else. */
enum options_status options_parse_size(const char *s, uint64_t *bytes);

/* The long names in the table, NULL-terminated (for the man-page test). */
const char *const *options_long_names(void);

#endif
