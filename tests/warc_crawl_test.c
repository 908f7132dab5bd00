/* warc_crawl_test: crawls with --warc (crawl_config.warc) of the generated
 * site and of a few routes, the archive read back record by record: every
 * digest recomputed, every request linked to its response, every 2xx
 * line's "warc" naming the gzip member of its own response record, the
 * body kept as it came (gzip stays gzip), a duplicate payload a revisit, a
 * cut body WARC-Truncated, files rotated at --warc-max-size; and warcio.js
 * indexes what was written, when make deps could install it. The issue's
 * "done when" is the 2,000-page crawl with images, CSS, gzip and br. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crawlrun.h"
#include "site.h"
#include "testsrv.h"
#include "warc.h"
#include "warc_read.h"

#define HTML(body) "<!doctype html><html><head><title>t</title></head><body>" body "</body></html>"
#define MAX_RECS 8192

static char dir[64];

static void setup(void)
{
	run_setup();
	snprintf(dir, sizeof(dir), "/tmp/warc-crawl-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
}

static void teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	cr_expect_eq(system(cmd), 0);
}

/* The series' suffix: ".warc.gz", or ".warc" for an uncompressed one. */
static const char *suffix = ".warc.gz";

static struct warc *open_warc(uint64_t max_bytes)
{
	char path[128], err[256];
	struct warc_config cfg = { .path = path, .max_bytes = max_bytes };
	struct warc *w;

	snprintf(path, sizeof(path), "%s/crawl%s", dir, suffix);
	w = warc_new(&cfg, err, sizeof(err));
	cr_assert_not_null(w, "%s", err);
	return w;
}

struct archive {
	struct warc_rec recs[MAX_RECS];
	size_t n;
	unsigned files;
};

/* Every file of the series, each opening with its warcinfo; every record's
 * digests checked, every request concurrent to a response of its file. */
static void read_archive(struct archive *a)
{
	for (a->files = 0;; a->files++) {
		char series[128], *path;
		size_t first = a->n;
		FILE *f;

		snprintf(series, sizeof(series), "%s/crawl%s", dir, suffix);
		cr_assert_not_null(path = warc_file_name(series, a->files));
		if (!(f = fopen(path, "rb"))) {
			free(path);
			break;
		}
		fclose(f);
		a->n += warc_read_file(path, a->recs + a->n, MAX_RECS - a->n);
		free(path);
		cr_assert_str_eq(warc_rec_field(&a->recs[first], "WARC-Type"), "warcinfo");
		for (size_t i = first; i < a->n; i++) {
			const char *type = warc_rec_field(&a->recs[i], "WARC-Type");

			warc_rec_check_digests(&a->recs[i]);
			if (strcmp(type, "request"))
				continue;
			cr_assert_lt(i + 1, a->n, "a request last in its file");
			cr_expect_str_eq(warc_rec_field(&a->recs[i], "WARC-Concurrent-To"),
					 warc_rec_field(&a->recs[i + 1], "WARC-Record-ID"));
			cr_expect_str_eq(warc_rec_field(&a->recs[i], "WARC-Target-URI"),
					 warc_rec_field(&a->recs[i + 1], "WARC-Target-URI"));
			cr_expect_str_eq(warc_rec_field(&a->recs[i], "Content-Type"),
					 "application/http;msgtype=request");
			cr_expect_eq(strncmp(a->recs[i].block, "GET ", 4), 0);
		}
	}
	cr_assert_gt(a->files, 0, "no WARC file");
}

/* The response (or revisit) record a line's "warc" names, read from its
 * gzip member alone; NULL when the line has none. */
static bool member_of(json_t *line, struct warc_rec *out)
{
	json_t *w = json_object_get(line, "warc");

	if (json_is_null(w))
		return false;
	cr_assert(json_is_object(w));
	cr_assert(warc_read_member(json_string_value(json_object_get(w, "file")),
				   (uint64_t)json_integer_value(json_object_get(w, "offset")),
				   (uint64_t)json_integer_value(json_object_get(w, "length")),
				   out));
	return true;
}

/* Every line with a status points at its own response record; every line
 * without one has "warc": null. */
static void check_lines(const struct run *run)
{
	for (size_t i = 0; i < run->n; i++) {
		json_t *line = run->recs[i];
		struct warc_rec rec;
		const char *type;

		if (!rec_status(line)) {
			cr_expect(json_is_null(json_object_get(line, "warc")));
			continue;
		}
		cr_assert(member_of(line, &rec), "%s has no warc", rec_str(line, "url"));
		type = warc_rec_field(&rec, "WARC-Type");
		cr_expect(!strcmp(type, "response") || !strcmp(type, "revisit"), "%s", type);
		cr_expect_str_eq(warc_rec_field(&rec, "WARC-Target-URI"), rec_str(line, "url"));
		warc_rec_check_digests(&rec);
		/* The line's digest is the archive's: one hash of the body as
		 * received, Content-Encoding and all. */
		if (!json_is_null(json_object_get(line, "digest")))
			cr_expect_str_eq(rec_str(line, "digest"),
					 warc_rec_field(&rec, "WARC-Payload-Digest"),
					 "%s", rec_str(line, "url"));
		warc_recs_free(&rec, 1);
	}
}

static size_t count_type(const struct archive *a, const char *type)
{
	size_t n = 0;

	for (size_t i = 0; i < a->n; i++)
		n += !strcmp(warc_rec_field(&a->recs[i], "WARC-Type"), type);
	return n;
}

static const struct warc_rec *response_for(const struct archive *a, const char *uri)
{
	for (size_t i = 0; i < a->n; i++)
		if (strcmp(warc_rec_field(&a->recs[i], "WARC-Type"), "request") &&
		    warc_rec_field(&a->recs[i], "WARC-Target-URI") &&
		    !strcmp(warc_rec_field(&a->recs[i], "WARC-Target-URI"), uri))
			return &a->recs[i];
	return NULL;
}

static void warcio_indexes(const char *cmd_name, size_t want_min)
{
	const char *warcio = warc_reader();
	char cmd[512], line[8192];
	size_t n = 0;
	FILE *p;

	if (!warcio) {
		cr_log_warn("warcio is not installed (make deps installs it with npm): "
			    "not read back by warcio");
		return;
	}
	snprintf(cmd, sizeof(cmd), "%s %s %s/crawl-*%s 2>&1", warcio, cmd_name, dir, suffix);
	cr_assert_not_null(p = popen(cmd, "r"));
	while (fgets(line, sizeof(line), p))
		n++;
	cr_assert_eq(pclose(p), 0, "warcio %s failed", cmd_name);
	cr_expect_geq(n, want_min, "warcio %s: %zu lines", cmd_name, n);
}

static struct archive arch;

/* A crawl of the generated site archived: every fetch once, robots.txt
 * too, every line pointing at its record, warcio reading it all. */
static void site_crawl_archived(const char *ip)
{
	struct site site = { .seed = 7, .pages = 40, .links = 8, .page_bytes = 2000,
			     .specials = true };
	struct testsrv *srv = testsrv_start(ip, NULL, 0, site_handler, &site);
	char *origin = testsrv_url(srv, ""), *seed = testsrv_url(srv, "/"), *robots;
	struct crawl_config cfg;
	struct run run;

	site.origin = origin;
	run_config(&cfg, &seed, 1);
	cfg.warc = open_warc(0);
	run_crawl(&cfg, &run);
	cr_assert_eq(warc_free(cfg.warc), 0);
	read_archive(&arch);
	cr_expect_eq(arch.files, 1);
	/* Each URL with a response, and robots.txt: a request and a response. */
	cr_expect_eq(count_type(&arch, "request"), testsrv_nrequests(srv));
	cr_expect_eq(count_type(&arch, "response") + count_type(&arch, "revisit"),
		     testsrv_nrequests(srv));
	robots = testsrv_url(srv, "/robots.txt");
	cr_expect_not_null(response_for(&arch, robots), "robots.txt is archived");
	check_lines(&run);
	warcio_indexes("index", arch.n);
	warcio_indexes("cdx-index", run.n);
	warc_recs_free(arch.recs, arch.n);
	free(robots);
	free(origin);
	free(seed);
	run_free(&run);
	testsrv_stop(srv);
}

Test(warc, a_site_crawl_archives_every_fetch_and_its_lines_point_at_it,
     .init = setup, .fini = teardown, .timeout = 60)
{
	site_crawl_archived("127.0.0.120");
}

/* The same as an uncompressed series (FILE.warc): no page is packed on a
 * parser thread, the writer writes each record as it is. */
Test(warc, an_uncompressed_series_archives_the_same_crawl,
     .init = setup, .fini = teardown, .timeout = 60)
{
	suffix = ".warc";
	site_crawl_archived("127.0.0.127");
}

/* Response records whose header block says Content-Encoding: coding. */
static size_t count_coded(const struct archive *a, const char *coding)
{
	char want[64];
	size_t n = 0;

	snprintf(want, sizeof(want), "\r\nContent-Encoding: %s\r\n", coding);
	for (size_t i = 0; i < a->n; i++) {
		const struct warc_rec *r = &a->recs[i];
		const char *end;

		if (strcmp(warc_rec_field(r, "WARC-Type"), "response") != 0 ||
		    !(end = strstr(r->block, "\r\n\r\n")))
			continue;
		n += memmem(r->block, (size_t)(end - r->block) + 2, want, strlen(want)) != NULL;
	}
	return n;
}

/* The lines of a crawl, counted by what they are. */
struct tally {
	size_t pages, css, images, missing, moved, decoded_br, decoded_gzip;
};

static struct tally tally_lines(const struct run *run)
{
	struct tally t = { 0 };

	for (size_t i = 0; i < run->n; i++) {
		json_t *line = run->recs[i];
		long status = rec_status(line);
		const char *type = rec_str(line, "content_type");
		const char *coding = rec_str(line, "content_encoding");

		if (status >= 200 && status < 300)
			cr_expect_not_null(rec_str(line, "digest"), "%s has no digest",
					   rec_str(line, "url"));
		t.missing += status == 404;
		t.moved += status == 301 || status == 302;
		if (status != 200 || !type)
			continue;
		t.pages += strncmp(type, "text/html", 9) == 0;
		t.css += strcmp(type, "text/css") == 0;
		t.images += strcmp(type, "image/png") == 0;
		t.decoded_br += coding && strcmp(coding, "br") == 0;
		t.decoded_gzip += coding && strcmp(coding, "gzip") == 0;
	}
	return t;
}

Test(warc, a_2000_page_site_with_assets_gzip_and_br_reads_back_whole,
     .init = setup, .fini = teardown, .timeout = 120)
{
	struct site site = { .seed = 10, .pages = 2000, .links = 8, .page_bytes = 1500,
			     .specials = true, .assets = true, .encodings = true };
	struct testsrv *srv = testsrv_start("127.0.0.230", NULL, 0, site_handler, &site);
	char *origin = testsrv_url(srv, ""), *seed = testsrv_url(srv, "/");
	struct crawl_config cfg;
	struct run run;
	struct tally t;

	site.origin = origin;
	run_config(&cfg, &seed, 1);
	cfg.resources = true;
	cfg.warc = open_warc(0);
	run_crawl(&cfg, &run);
	cr_assert_eq(warc_free(cfg.warc), 0);
	read_archive(&arch); /* every block and payload digest recomputed */
	cr_expect_eq(count_type(&arch, "response") + count_type(&arch, "revisit"),
		     testsrv_nrequests(srv), "every fetch archived");
	cr_expect_gt(count_coded(&arch, "gzip"), 0, "a gzip response archived");
	cr_expect_gt(count_coded(&arch, "br"), 0, "a br response archived");
	check_lines(&run); /* each 2xx line's record, and its digest */
	t = tally_lines(&run);
	/* Every page was read, br and gzip ones too: page i links to i+1
	 * (and page 0 is "/" as well as /p/0.html). */
	cr_expect_eq(t.pages, site.pages + 1, "%zu pages", t.pages);
	cr_expect_gt(t.decoded_br, 600);
	cr_expect_gt(t.decoded_gzip, 600);
	cr_expect_eq(t.css, 4, "every stylesheet");
	cr_expect_eq(t.images, 10, "the pages' images and the stylesheets' url()s");
	cr_expect_gt(t.missing, 0);
	cr_expect_gt(t.moved, 0);
	warcio_indexes("index", arch.n);
	warcio_indexes("cdx-index", run.n);
	warc_recs_free(arch.recs, arch.n);
	arch.n = 0;
	free(origin);
	free(seed);
	run_free(&run);
	testsrv_stop(srv);
}

Test(warc, a_gzip_body_is_archived_as_it_came_and_parsed_decoded,
     .init = setup, .fini = teardown, .timeout = 30)
{
	static const unsigned char gz[] = {
#include "gz_page.inc"
	};
	struct testsrv_route routes[] = {
		{ "/", { .body = (const char *)gz, .body_len = sizeof(gz),
			 .headers = "Content-Encoding: gzip\n" } },
		{ "/z", { .body = HTML("z") } },
	};
	struct testsrv *srv = testsrv_start("127.0.0.121", routes, 2, NULL, NULL);
	char *seed = testsrv_url(srv, "/");
	const struct warc_rec *resp;
	struct crawl_config cfg;
	struct run run;
	const char *body;
	char sha[38];

	run_config(&cfg, &seed, 1);
	cfg.warc = open_warc(0);
	run_crawl(&cfg, &run);
	warc_free(cfg.warc);
	cr_expect_eq(run.n, 2, "the decoded page was parsed: /z found");
	cr_expect_eq(rec_int(run_must_find(&run, seed), "bytes"),
		     (long long)strlen(HTML("<a href='/z'>z</a>")));
	read_archive(&arch);
	resp = response_for(&arch, seed);
	cr_assert_not_null(resp);
	body = strstr(resp->block, "\r\n\r\n") + 4;
	cr_expect(strstr(resp->block, "Content-Encoding: gzip\r\n"));
	cr_expect_eq(resp->block_len - (size_t)(body - resp->block), sizeof(gz));
	cr_expect_eq(memcmp(body, gz, sizeof(gz)), 0, "the gzip bytes as sent");
	warc_sha1(gz, sizeof(gz), sha);
	cr_expect_str_eq(rec_str(run_must_find(&run, seed), "digest"), sha,
			 "the record's digest is of the gzip bytes");
	cr_expect_str_eq(warc_rec_field(resp, "WARC-Payload-Digest"), sha);
	check_lines(&run);
	warc_recs_free(arch.recs, arch.n);
	free(seed);
	run_free(&run);
	testsrv_stop(srv);
}

Test(warc, a_duplicate_payload_is_a_revisit_of_the_first,
     .init = setup, .fini = teardown, .timeout = 30)
{
	struct testsrv_route routes[] = {
		{ "/", { .body = HTML("<a href='/a'>a</a><a href='/b'>b</a>") } },
		{ "/a", { .body = HTML("the same page") } },
		{ "/b", { .body = HTML("the same page") } },
	};
	struct testsrv *srv = testsrv_start("127.0.0.122", routes, 3, NULL, NULL);
	char *seed = testsrv_url(srv, "/"), *a = testsrv_url(srv, "/a"),
	     *b = testsrv_url(srv, "/b");
	struct crawl_config cfg;
	struct run run;
	struct warc_rec ra, rb;
	const struct warc_rec *first, *second;

	run_config(&cfg, &seed, 1);
	cfg.warc = open_warc(0);
	run_crawl(&cfg, &run);
	warc_free(cfg.warc);
	cr_assert_eq(run.n, 3);
	read_archive(&arch);
	cr_expect_eq(count_type(&arch, "revisit"), 1);
	cr_assert(member_of(run_must_find(&run, a), &ra));
	cr_assert(member_of(run_must_find(&run, b), &rb));
	first = strcmp(warc_rec_field(&ra, "WARC-Type"), "revisit") ? &ra : &rb;
	second = first == &ra ? &rb : &ra;
	cr_assert_str_eq(warc_rec_field(second, "WARC-Type"), "revisit");
	cr_expect_str_eq(warc_rec_field(second, "WARC-Refers-To"),
			 warc_rec_field(first, "WARC-Record-ID"));
	cr_expect_str_eq(warc_rec_field(second, "WARC-Refers-To-Target-URI"),
			 warc_rec_field(first, "WARC-Target-URI"));
	cr_expect_str_eq(warc_rec_field(second, "WARC-Refers-To-Date"),
			 warc_rec_field(first, "WARC-Date"));
	cr_expect_str_eq(warc_rec_field(second, "WARC-Payload-Digest"),
			 warc_rec_field(first, "WARC-Payload-Digest"));
	warc_recs_free(&ra, 1);
	warc_recs_free(&rb, 1);
	warc_recs_free(arch.recs, arch.n);
	free(seed);
	free(a);
	free(b);
	run_free(&run);
	testsrv_stop(srv);
}

Test(warc, a_body_cut_at_max_size_is_archived_truncated,
     .init = setup, .fini = teardown, .timeout = 30)
{
	static char big[100 * 1024];
	struct testsrv_route routes[] = { { "/", { .body = big } } };
	struct testsrv *srv;
	char *seed;
	const struct warc_rec *resp;
	struct crawl_config cfg;
	struct run run;
	const char *body;

	memset(big, 'x', sizeof(big) - 1);
	memcpy(big, "<html><body>", 12);
	srv = testsrv_start("127.0.0.123", routes, 1, NULL, NULL);
	seed = testsrv_url(srv, "/");
	run_config(&cfg, &seed, 1);
	cfg.max_size = 16 * 1024;
	cfg.warc = open_warc(0);
	run_crawl(&cfg, &run);
	warc_free(cfg.warc);
	expect_rec(run_must_find(&run, seed), 200, "too_large");
	read_archive(&arch);
	resp = response_for(&arch, seed);
	cr_assert_not_null(resp);
	cr_expect_str_eq(warc_rec_field(resp, "WARC-Truncated"), "length");
	body = strstr(resp->block, "\r\n\r\n") + 4;
	cr_expect_eq(resp->block_len - (size_t)(body - resp->block), 16 * 1024);
	check_lines(&run);
	warc_recs_free(arch.recs, arch.n);
	free(seed);
	run_free(&run);
	testsrv_stop(srv);
}

Test(warc, files_rotate_at_max_size_and_lines_name_theirs,
     .init = setup, .fini = teardown, .timeout = 60)
{
	struct site site = { .seed = 3, .pages = 30, .links = 6, .page_bytes = 2000 };
	struct testsrv *srv = testsrv_start("127.0.0.124", NULL, 0, site_handler, &site);
	char *origin = testsrv_url(srv, ""), *seed = testsrv_url(srv, "/");
	struct crawl_config cfg;
	struct run run;

	site.origin = origin;
	run_config(&cfg, &seed, 1);
	cfg.warc = open_warc(8 * 1024);
	run_crawl(&cfg, &run);
	warc_free(cfg.warc);
	read_archive(&arch);
	cr_expect_gt(arch.files, 2, "%u files", arch.files);
	cr_expect_eq(count_type(&arch, "warcinfo"), arch.files);
	check_lines(&run);
	warcio_indexes("cdx-index", run.n);
	warc_recs_free(arch.recs, arch.n);
	free(origin);
	free(seed);
	run_free(&run);
	testsrv_stop(srv);
}

Test(warc, max_size_still_counts_decoded_bytes_so_a_gzip_bomb_stops,
     .init = setup, .fini = teardown, .timeout = 30)
{
	/* 4 MiB of spaces in an HTML page, gzip -9: about 4 KiB on the wire. */
	static const unsigned char bomb[] = {
#include "gz_bomb.inc"
	};
	struct testsrv_route routes[] = {
		{ "/", { .body = (const char *)bomb, .body_len = sizeof(bomb),
			 .headers = "Content-Encoding: gzip\n" } },
	};
	struct testsrv *srv = testsrv_start("127.0.0.125", routes, 1, NULL, NULL);
	char *seed = testsrv_url(srv, "/");
	const struct warc_rec *resp;
	struct crawl_config cfg;
	struct run run;
	const char *body;

	run_config(&cfg, &seed, 1);
	cfg.max_size = 64 * 1024;
	cfg.warc = open_warc(0);
	run_crawl(&cfg, &run);
	warc_free(cfg.warc);
	expect_rec(run_must_find(&run, seed), 200, "too_large");
	cr_expect_leq(rec_int(run_must_find(&run, seed), "bytes"), 64 * 1024);
	read_archive(&arch);
	resp = response_for(&arch, seed);
	cr_assert_not_null(resp);
	cr_expect_str_eq(warc_rec_field(resp, "WARC-Truncated"), "length");
	body = strstr(resp->block, "\r\n\r\n") + 4;
	cr_expect_leq(resp->block_len - (size_t)(body - resp->block), sizeof(bomb));
	cr_expect_eq(memcmp(body, bomb, 16), 0, "archived as sent: gzip");
	check_lines(&run);
	warc_recs_free(arch.recs, arch.n);
	free(seed);
	run_free(&run);
	testsrv_stop(srv);
}

Test(warc, a_body_that_is_not_its_content_encoding_is_an_http_error,
     .init = setup, .fini = teardown, .timeout = 30)
{
	struct testsrv_route routes[] = {
		{ "/", { .body = "this is not gzip at all", .headers = "Content-Encoding: gzip\n" } },
	};
	struct testsrv *srv = testsrv_start("127.0.0.126", routes, 1, NULL, NULL);
	char *seed = testsrv_url(srv, "/");
	struct crawl_config cfg;
	struct run run;

	run_config(&cfg, &seed, 1);
	cfg.warc = open_warc(0);
	run_crawl(&cfg, &run);
	warc_free(cfg.warc);
	expect_rec(run_must_find(&run, seed), 200, "http");
	read_archive(&arch);
	cr_expect_not_null(response_for(&arch, seed), "archived all the same");
	check_lines(&run);
	warc_recs_free(arch.recs, arch.n);
	free(seed);
	run_free(&run);
	testsrv_stop(srv);
}
