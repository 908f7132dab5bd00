/* parsebench: what the crawler's HTML parse alone costs per page, for the
 * benchmark's "beyond the parse" column.
 *
 *   parsebench DIR [MAX_PAGES]
 *
 * Reads DIR/p/0.html, DIR/p/1.html, ... (a site written by `sitegen
 * --write`, up to MAX_PAGES of them, default 20000) into memory, then runs
 * parse_html over every page on this one thread, as a parser thread of the
 * crawler does for a fetched page (charset utf-8, as the bench's servers
 * say in Content-Type). Process CPU time is taken around the parsing only,
 * not the reading, and the best of a few passes is printed, since the
 * machine is shared:
 *
 *   20000 pages, 25.0 links per page, 67.1 us CPU per page
 */
#include "parse.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define PASSES 3

struct page {
	char *body;
	size_t len;
	char url[64]; /* canonical, as the crawler would have it */
};

/* The whole file, or NULL (errno set; ENOENT past the last page). */
static char *read_file(const char *file, size_t *len)
{
	struct stat st;
	char *p = NULL;
	size_t got = 0;
	int fd = open(file, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) == 0 && (p = malloc((size_t)st.st_size + 1))) {
		while (got < (size_t)st.st_size) {
			ssize_t n = read(fd, p + got, (size_t)st.st_size - got);

			if (n <= 0)
				break;
			got += (size_t)n;
		}
	}
	close(fd);
	if (p && got != (size_t)st.st_size) {
		free(p);
		errno = EIO;
		return NULL;
	}
	*len = got;
	return p;
}

static size_t read_site(const char *dir, size_t max, struct page *pages)
{
	char file[4096];
	size_t n;

	for (n = 0; n < max; n++) {
		snprintf(file, sizeof(file), "%s/p/%zu.html", dir, n);
		pages[n].body = read_file(file, &pages[n].len);
		if (!pages[n].body) {
			if (errno != ENOENT || n == 0) {
				fprintf(stderr, "parsebench: %s: %s\n", file,
					strerror(errno));
				exit(1);
			}
			break;
		}
		snprintf(pages[n].url, sizeof(pages[n].url),
			 "http://127.0.0.1/p/%zu.html", n);
	}
	return n;
}

static double cpu_seconds(void)
{
	struct timespec t;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* One pass over every page: CPU seconds, and the links found in *links. */
static double parse_pass(const struct page *pages, size_t n, size_t *links)
{
	double start = cpu_seconds();

	*links = 0;
	for (size_t i = 0; i < n; i++) {
		struct parse_result r = { 0 };

		if (parse_html(pages[i].body, pages[i].len, pages[i].url,
			       "utf-8", &r) != PARSE_OK) {
			fprintf(stderr, "parsebench: %s does not parse\n",
				pages[i].url);
			exit(1);
		}
		*links += r.nlinks;
		parse_result_release(&r);
	}
	return cpu_seconds() - start;
}

int main(int argc, char **argv)
{
	unsigned long max = 20000;
	struct page *pages;
	double best = 0;
	size_t n, links = 0;
	char *end;

	if (argc == 3) {
		errno = 0;
		max = strtoul(argv[2], &end, 10);
		if (*end || errno || max == 0)
			argc = 0;
	}
	if (argc != 2 && argc != 3) {
		fputs("usage: parsebench DIR [MAX_PAGES]\n", stderr);
		return 2;
	}
	pages = calloc(max, sizeof(*pages));
	if (!pages) {
		fputs("parsebench: out of memory\n", stderr);
		return 1;
	}
	n = read_site(argv[1], max, pages);
	parse_global_init();
	for (int pass = 0; pass < PASSES; pass++) {
		double s = parse_pass(pages, n, &links);

		if (pass == 0 || s < best)
			best = s;
	}
	printf("%zu pages, %.1f links per page, %.1f us CPU per page\n", n,
	       (double)links / (double)n, best / (double)n * 1e6);
	for (size_t i = 0; i < n; i++)
		free(pages[i].body);
	free(pages);
	return 0;
}
