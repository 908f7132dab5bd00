/* idealcrawl: the shortest time any crawler can take over the benchmark's
 * slow hosts, so that a measured rate reads as a share of what the site
 * allows rather than of concurrency / latency alone.
 *
 *   idealcrawl HOSTS PAGES LINKS CONCURRENCY PER_HOST LATENCY_MS
 *
 * HOSTS hosts each serve the same generated site (tests/support/site.h,
 * seed 1, no specials) of PAGES pages with LINKS links each, and every
 * answer takes exactly LATENCY_MS. A crawler that costs nothing starts from
 * "/" on every host and keeps CONCURRENCY transfers in flight, at most
 * PER_HOST to one host, breadth first. With one latency for every answer,
 * all transfers start and end together, so the crawl is a series of rounds:
 * each round fetches what is known and not yet fetched, up to those caps
 * (hosts taking turns at the global cap), and the links it finds are known
 * for the next round. The early rounds are narrow (one seed per host, then
 * the seed's links), which is what caps the ideal below concurrency /
 * latency. Prints one line:
 *
 *   rounds 23 urls 704 seconds 11.500 pages_per_second 61.2
 */
#include "site.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One host's crawl: a breadth-first queue of page numbers, where PAGES
 * stands for "/" (page 0's body at another URL). */
struct host {
	size_t *queue; /* pages+1 entries: every URL is queued at most once */
	size_t head;   /* next to fetch */
	size_t tail;   /* one past the last queued */
	size_t done;   /* fetched in rounds before this one */
	bool *seen;    /* pages entries: /p/<i>.html queued already */
};

static unsigned long arg(const char *s, const char *what)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (s[0] < '0' || s[0] > '9' || *end || errno || v == 0) {
		fprintf(stderr, "idealcrawl: %s wants a positive number, not "
			"\"%s\"\n", what, s);
		exit(2);
	}
	return v;
}

static void *alloc(size_t n, size_t size)
{
	void *p = calloc(n, size);

	if (!p) {
		fputs("idealcrawl: out of memory\n", stderr);
		exit(1);
	}
	return p;
}

/* Queue the pages that the pages fetched from h->done to h->head link to. */
static void discover(const struct site *site, struct host *h,
		     char (*links)[64])
{
	for (; h->done < h->head; h->done++) {
		size_t page = h->queue[h->done];
		size_t n = site_links(site, page == site->pages ? 0 : page,
				      links, site->links);

		for (size_t j = 0; j < n; j++) {
			size_t to = strtoul(links[j] + 3, NULL, 10);

			if (!h->seen[to]) {
				h->seen[to] = true;
				h->queue[h->tail++] = to;
			}
		}
	}
}

/* Rounds until every host has fetched all it can reach. */
static size_t crawl(const struct site *site, struct host *hosts,
		    size_t nhosts, size_t conc, size_t per_host)
{
	char (*links)[64] = alloc(site->links, sizeof(*links));
	size_t rounds = 0, first = 0;

	for (;;) {
		size_t budget = conc, fetched = 0, k;

		for (k = 0; k < nhosts && budget; k++) {
			struct host *h = &hosts[(first + k) % nhosts];
			size_t n = h->tail - h->head;

			n = n < per_host ? n : per_host;
			n = n < budget ? n : budget;
			h->head += n;
			budget -= n;
			fetched += n;
		}
		if (!fetched)
			break;
		rounds++;
		first = (first + k) % nhosts; /* the next round goes on here */
		for (size_t h = 0; h < nhosts; h++)
			discover(site, &hosts[h], links);
	}
	free(links);
	return rounds;
}

int main(int argc, char **argv)
{
	struct site site = { .seed = 1, .specials = false };
	size_t nhosts, conc, per_host, rounds, urls = 0;
	unsigned long latency_ms;
	struct host *hosts;
	double seconds;

	if (argc != 7) {
		fputs("usage: idealcrawl HOSTS PAGES LINKS CONCURRENCY "
		      "PER_HOST LATENCY_MS\n", stderr);
		return 2;
	}
	nhosts = arg(argv[1], "HOSTS");
	site.pages = arg(argv[2], "PAGES");
	site.links = arg(argv[3], "LINKS");
	conc = arg(argv[4], "CONCURRENCY");
	per_host = arg(argv[5], "PER_HOST");
	latency_ms = arg(argv[6], "LATENCY_MS");
	if (site.links < 2) {
		fputs("idealcrawl: a site has at least 2 links a page\n",
		      stderr);
		return 2;
	}
	hosts = alloc(nhosts, sizeof(*hosts));
	for (size_t k = 0; k < nhosts; k++) {
		hosts[k].queue = alloc(site.pages + 1, sizeof(size_t));
		hosts[k].seen = alloc(site.pages, sizeof(bool));
		hosts[k].queue[hosts[k].tail++] = site.pages; /* "/" */
	}
	rounds = crawl(&site, hosts, nhosts, conc, per_host);
	for (size_t k = 0; k < nhosts; k++) {
		urls += hosts[k].tail;
		free(hosts[k].queue);
		free(hosts[k].seen);
	}
	free(hosts);
	seconds = (double)rounds * (double)latency_ms / 1000;
	printf("rounds %zu urls %zu seconds %.3f pages_per_second %.1f\n",
	       rounds, urls, seconds, (double)urls / seconds);
	return 0;
}
