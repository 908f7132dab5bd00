/* Fuzz target for sitemap: a sitemap body, plain or gzip (a body starting
 * 1f 8b is inflated), read as if fetched from http://fuzz.test/s/map.xml.
 * Whatever the bytes, the read ends (no entity or DTD is loaded), every URL
 * kept is canonical http(s), a lastmod is short, the counts agree and stay
 * under the protocol's limits. */
#include "fuzz.h"

#include <stdlib.h>
#include <string.h>

#include "parse.h"
#include "sitemap.h"
#include "url.h"

#define SITEMAP_URL "http://fuzz.test/s/map.xml"

static void check_url(const char *u)
{
	char *again = NULL;

	FUZZ_CHECK(!strncmp(u, "http://", 7) || !strncmp(u, "https://", 8));
	FUZZ_CHECK(url_normalize(u, &again) == URL_OK);
	FUZZ_CHECK(!strcmp(again, u));
	free(again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;
	struct sitemap_result r = { 0 };
	enum sitemap_status st;

	if (!ready) {
		parse_global_init();
		ready = true;
	}
	st = sitemap_read((const char *)data, size, SITEMAP_URL, &r);
	FUZZ_CHECK(st == SITEMAP_OK);
	FUZZ_CHECK(r.nurls <= r.listed && r.listed <= SITEMAP_MAX_URLS);
	FUZZ_CHECK(r.kind != SITEMAP_NONE || r.nurls == 0);
	for (size_t i = 0; i < r.nurls; i++) {
		check_url(r.urls[i]);
		FUZZ_CHECK(!r.lastmods[i] || strlen(r.lastmods[i]) <= 64);
	}
	sitemap_result_release(&r);
	FUZZ_CHECK(r.urls == NULL && r.nurls == 0);
	return 0;
}
