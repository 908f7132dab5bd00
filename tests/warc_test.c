/* warc_test: the records of include/warc.h read back by hand: each gzip
 * member inflated on its own, its framing ("WARC/1.1", CRLF fields, a
 * blank line, Content-Length bytes of block, two CRLFs), its fields, and
 * its digests recomputed here with GnuTLS's SHA-1 and a base32 of the
 * test's own; then by warcio.js, when make deps could install it. */
#include <criterion/criterion.h>
#include <gnutls/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "warc.h"
#include "warc_read.h"

static char dir[64];

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/warc-unit-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
}

static void teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	cr_expect_eq(system(cmd), 0);
}

static struct warc *open_warc(uint64_t max_bytes)
{
	char path[128], err[256];
	struct warc_config cfg = { .path = path, .max_bytes = max_bytes,
				   .info = "robots: obey\r\n" };
	struct warc *w;

	snprintf(path, sizeof(path), "%s/crawl.warc.gz", dir);
	w = warc_new(&cfg, err, sizeof(err));
	cr_assert_not_null(w, "%s", err);
	return w;
}

static const char req[] = "GET /a HTTP/1.1\r\nHost: a.test\r\nUser-Agent: t\r\n\r\n";
static const char head[] = "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n"
			   "Content-Length: 11\r\n\r\n";

static struct warc_exchange exchange(const char *uri, const char *payload)
{
	return (struct warc_exchange){
		.uri = uri, .ip = "127.0.0.1", .date_ms = 1764633600123,
		.request = req, .request_len = sizeof(req) - 1,
		.head = head, .head_len = sizeof(head) - 1,
		.payload = payload, .payload_len = strlen(payload) };
}

static size_t read_records(const char *name, struct warc_rec *out, size_t max)
{
	size_t n = warc_read_file(name, out, max);

	cr_assert_gt(n, 0, "no records in %s", name);
	return n;
}

Test(warc, a_file_opens_with_warcinfo_and_names_its_series, .init = setup,
     .fini = teardown)
{
	struct warc *w = open_warc(0);
	struct warc_rec recs[4];
	char name[160];
	size_t n;

	cr_assert_eq(warc_free(w), 0);
	snprintf(name, sizeof(name), "%s/crawl-00000.warc.gz", dir);
	n = read_records(name, recs, 4);
	cr_assert_eq(n, 1);
	cr_expect_str_eq(warc_rec_field(&recs[0], "WARC-Type"), "warcinfo");
	cr_expect_str_eq(warc_rec_field(&recs[0], "WARC-Filename"), "crawl-00000.warc.gz");
	cr_expect_str_eq(warc_rec_field(&recs[0], "Content-Type"), "application/warc-fields");
	cr_expect(strstr(recs[0].block, "software: crawler/"));
	cr_expect(strstr(recs[0].block, "format: WARC File Format 1.1\r\n"));
	cr_expect(strstr(recs[0].block, "robots: obey\r\n"));
	warc_rec_check_digests(&recs[0]);
	warc_recs_free(recs, n);
}

Test(warc, file_names_keep_the_suffix_kind_and_count_from_zero)
{
	char *a = warc_file_name("out.warc.gz", 0), *b = warc_file_name("dir/x.warc", 12),
	     *c = warc_file_name("plain", 3);

	cr_expect_str_eq(a, "out-00000.warc.gz");
	cr_expect_str_eq(b, "dir/x-00012.warc");
	cr_expect_str_eq(c, "plain-00003.warc.gz");
	free(a);
	free(b);
	free(c);
}

Test(warc, an_exchange_is_a_request_and_its_response_with_digests,
     .init = setup, .fini = teardown)
{
	struct warc *w = open_warc(0);
	struct warc_exchange x = exchange("http://a.test/a", "hello world");
	struct warc_ref ref;
	struct warc_rec recs[4], one;
	char name[160];
	size_t n;

	cr_assert_eq(warc_write(w, &x, &ref), 0);
	snprintf(name, sizeof(name), "%s/crawl-00000.warc.gz", dir);
	cr_expect_str_eq(ref.file, name);
	cr_expect_not(ref.revisit);
	cr_assert_eq(warc_free(w), 0);
	n = read_records(name, recs, 4);
	cr_assert_eq(n, 3);
	cr_expect_str_eq(warc_rec_field(&recs[1], "WARC-Type"), "request");
	cr_expect_str_eq(warc_rec_field(&recs[2], "WARC-Type"), "response");
	for (size_t i = 1; i < 3; i++) {
		cr_expect_str_eq(warc_rec_field(&recs[i], "WARC-Target-URI"), "http://a.test/a");
		cr_expect_str_eq(warc_rec_field(&recs[i], "WARC-Date"), "2025-12-02T00:00:00Z");
		cr_expect_str_eq(warc_rec_field(&recs[i], "WARC-IP-Address"), "127.0.0.1");
		cr_expect_str_eq(warc_rec_field(&recs[i], "WARC-Warcinfo-ID"),
				 warc_rec_field(&recs[0], "WARC-Record-ID"));
		warc_rec_check_digests(&recs[i]);
	}
	cr_expect_str_eq(warc_rec_field(&recs[1], "WARC-Concurrent-To"),
			 warc_rec_field(&recs[2], "WARC-Record-ID"));
	cr_expect_str_eq(warc_rec_field(&recs[1], "Content-Type"),
			 "application/http;msgtype=request");
	cr_expect_str_eq(warc_rec_field(&recs[2], "Content-Type"),
			 "application/http;msgtype=response");
	cr_expect_eq(recs[1].block_len, sizeof(req) - 1);
	cr_expect_eq(memcmp(recs[1].block, req, sizeof(req) - 1), 0);
	cr_expect_eq(recs[2].block_len, sizeof(head) - 1 + 11);
	cr_expect_eq(memcmp(recs[2].block + sizeof(head) - 1, "hello world", 11), 0);
	cr_expect_null(warc_rec_field(&recs[2], "WARC-Truncated"));
	/* The reference is the response's gzip member, readable alone. */
	cr_expect_eq(ref.offset, recs[2].offset);
	cr_expect_eq(ref.length, recs[2].length);
	cr_assert(warc_read_member(name, ref.offset, ref.length, &one));
	cr_expect_str_eq(warc_rec_field(&one, "WARC-Type"), "response");
	warc_recs_free(&one, 1);
	warc_recs_free(recs, n);
}

Test(warc, record_ids_are_random_v4_uuids, .init = setup, .fini = teardown)
{
	struct warc *w = open_warc(0);
	struct warc_exchange x = exchange("http://a.test/a", "abc");
	struct warc_ref ref;
	struct warc_rec recs[8];
	char name[160];
	size_t n;

	cr_assert_eq(warc_write(w, &x, &ref), 0);
	x.payload = "abcd";
	x.payload_len = 4;
	cr_assert_eq(warc_write(w, &x, &ref), 0);
	warc_free(w);
	snprintf(name, sizeof(name), "%s/crawl-00000.warc.gz", dir);
	n = read_records(name, recs, 8);
	cr_assert_eq(n, 5);
	for (size_t i = 0; i < n; i++) {
		const char *id = warc_rec_field(&recs[i], "WARC-Record-ID");

		cr_assert_eq(strlen(id), 47, "%s", id);
		cr_expect_eq(strncmp(id, "<urn:uuid:", 10), 0);
		cr_expect_eq(id[24], '4', "version 4: %s", id);
		cr_expect(strchr("89ab", id[29]), "RFC 4122 variant: %s", id);
		for (size_t j = 0; j < i; j++)
			cr_expect_str_neq(id, warc_rec_field(&recs[j], "WARC-Record-ID"));
	}
	warc_recs_free(recs, n);
}

Test(warc, a_payload_archived_before_is_a_revisit_of_the_first,
     .init = setup, .fini = teardown)
{
	struct warc *w = open_warc(0);
	struct warc_exchange a = exchange("http://a.test/a", "same bytes!"),
			     b = exchange("http://a.test/b", "same bytes!");
	struct warc_ref ra, rb;
	struct warc_rec recs[8];
	char name[160];
	size_t n;

	b.date_ms += 5000;
	cr_assert_eq(warc_write(w, &a, &ra), 0);
	cr_assert_eq(warc_write(w, &b, &rb), 0);
	cr_expect_not(ra.revisit);
	cr_expect(rb.revisit);
	warc_free(w);
	snprintf(name, sizeof(name), "%s/crawl-00000.warc.gz", dir);
	n = read_records(name, recs, 8);
	cr_assert_eq(n, 5);
	cr_expect_str_eq(warc_rec_field(&recs[4], "WARC-Type"), "revisit");
	cr_expect_str_eq(warc_rec_field(&recs[4], "WARC-Profile"),
			 "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest");
	cr_expect_str_eq(warc_rec_field(&recs[4], "WARC-Refers-To"),
			 warc_rec_field(&recs[2], "WARC-Record-ID"));
	cr_expect_str_eq(warc_rec_field(&recs[4], "WARC-Refers-To-Target-URI"),
			 "http://a.test/a");
	cr_expect_str_eq(warc_rec_field(&recs[4], "WARC-Refers-To-Date"),
			 warc_rec_field(&recs[2], "WARC-Date"));
	cr_expect_str_eq(warc_rec_field(&recs[4], "WARC-Payload-Digest"),
			 warc_rec_field(&recs[2], "WARC-Payload-Digest"));
	/* The block is the headers alone. */
	cr_expect_eq(recs[4].block_len, sizeof(head) - 1);
	warc_rec_check_digests(&recs[4]);
	warc_recs_free(recs, n);
}

Test(warc, a_cut_body_is_marked_truncated_and_never_revisited,
     .init = setup, .fini = teardown)
{
	struct warc *w = open_warc(0);
	struct warc_exchange x = exchange("http://a.test/a", "part");
	struct warc_ref r1, r2;
	struct warc_rec recs[8];
	char name[160];
	size_t n;

	x.truncated = "length";
	cr_assert_eq(warc_write(w, &x, &r1), 0);
	cr_assert_eq(warc_write(w, &x, &r2), 0);
	cr_expect_not(r2.revisit);
	warc_free(w);
	snprintf(name, sizeof(name), "%s/crawl-00000.warc.gz", dir);
	n = read_records(name, recs, 8);
	cr_assert_eq(n, 5);
	cr_expect_str_eq(warc_rec_field(&recs[2], "WARC-Truncated"), "length");
	cr_expect_str_eq(warc_rec_field(&recs[4], "WARC-Type"), "response");
	warc_rec_check_digests(&recs[2]);
	warc_recs_free(recs, n);
}

Test(warc, an_exchange_past_max_bytes_starts_the_next_file,
     .init = setup, .fini = teardown)
{
	struct warc *w = open_warc(600);
	struct warc_ref ref;
	char uri[64], name[160], payload[64];
	unsigned files[8] = { 0 };

	for (int i = 0; i < 6; i++) {
		struct warc_exchange x;

		snprintf(uri, sizeof(uri), "http://a.test/%d", i);
		snprintf(payload, sizeof(payload), "payload number %d", i);
		x = exchange(uri, payload);
		cr_assert_eq(warc_write(w, &x, &ref), 0);
		cr_assert(strstr(ref.file, "crawl-0000"));
		cr_assert_lt(ref.file[strlen(ref.file) - 9] - '0', 8, "%s", ref.file);
		files[ref.file[strlen(ref.file) - 9] - '0']++;
	}
	warc_free(w);
	cr_expect_gt(files[1], 0, "rotated at 600 bytes");
	for (unsigned f = 0; f < 8 && files[f]; f++) {
		struct warc_rec recs[16];
		struct stat st;
		size_t n;

		snprintf(name, sizeof(name), "%s/crawl-%05u.warc.gz", dir, f);
		n = read_records(name, recs, 16);
		cr_expect_str_eq(warc_rec_field(&recs[0], "WARC-Type"), "warcinfo");
		cr_expect_eq(n, 1 + 2 * files[f]);
		cr_assert_eq(stat(name, &st), 0);
		/* One exchange may pass the limit only in a file of its own. */
		cr_expect(files[f] == 1 || st.st_size <= 600, "%s: %lld bytes",
			  name, (long long)st.st_size);
		warc_recs_free(recs, n);
	}
}

Test(warc, warcio_reads_what_is_written, .init = setup, .fini = teardown)
{
	struct warc *w = open_warc(0);
	struct warc_exchange x = exchange("http://a.test/a", "hello world");
	struct warc_ref ref;
	char name[160], cmd[512], out[4096];
	const char *warcio = warc_reader();
	size_t n;
	FILE *p;

	if (!warcio)
		cr_skip_test("warcio is not installed (make deps installs it with npm)");
	cr_assert_eq(warc_write(w, &x, &ref), 0);
	x.uri = "http://a.test/b";
	cr_assert_eq(warc_write(w, &x, &ref), 0);
	warc_free(w);
	snprintf(name, sizeof(name), "%s/crawl-00000.warc.gz", dir);
	snprintf(cmd, sizeof(cmd), "%s index %s 2>&1", warcio, name);
	cr_assert_not_null(p = popen(cmd, "r"));
	n = fread(out, 1, sizeof(out) - 1, p);
	out[n] = '\0';
	cr_assert_eq(pclose(p), 0, "%s", out);
	cr_expect(strstr(out, "\"warc-type\":\"warcinfo\""), "%s", out);
	cr_expect(strstr(out, "\"warc-type\":\"request\""), "%s", out);
	cr_expect(strstr(out, "\"warc-type\":\"response\""), "%s", out);
	cr_expect(strstr(out, "\"warc-type\":\"revisit\""), "%s", out);
}

Test(warc, a_resumed_series_is_cut_back_to_the_last_record_named,
     .init = setup, .fini = teardown)
{
	struct warc *w = open_warc(700);
	struct warc_exchange x = exchange("http://a.test/a", "first payload");
	struct warc_ref named, later;
	struct warc_rec recs[8];
	char path[128], *name, *last = NULL, p[32];
	size_t n;

	cr_assert_eq(warc_write(w, &x, &named), 0);
	name = strdup(named.file);
	for (int i = 0; i < 4; i++) {
		snprintf(p, sizeof(p), "payload %d", i);
		x.payload = p;
		x.payload_len = strlen(p);
		cr_assert_eq(warc_write(w, &x, &later), 0);
	}
	cr_assert_str_neq(later.file, name, "the later records went on in another file");
	last = strdup(later.file);
	warc_free(w);
	snprintf(path, sizeof(path), "%s/crawl.warc.gz", dir);
	cr_assert_eq(warc_cut(path, name, named.offset + named.length), 0);
	n = read_records(name, recs, 8);
	cr_expect_eq(n, 3, "warcinfo, and the named request and response");
	warc_recs_free(recs, n);
	cr_expect_neq(access(last, F_OK), 0, "the files after it are removed");
	{
		struct warc_config cfg = { .path = path, .resume = true };
		char err[128];
		struct warc_ref ref;

		w = warc_new(&cfg, err, sizeof(err));
		cr_assert_not_null(w, "%s", err);
		cr_assert_eq(warc_write(w, &x, &ref), 0);
		cr_expect_str_neq(ref.file, name, "a resumed run writes a file of its own");
		warc_free(w);
	}
	free(name);
	free(last);
}

Test(warc, every_file_of_the_series_has_the_warcinfo_fields, .init = setup,
     .fini = teardown)
{
	char path[128], err[128], info[64], name[160];
	struct warc_config cfg = { .path = path, .max_bytes = 500, .info = info };
	struct warc_exchange x = exchange("http://a.test/a", "one");
	struct warc_ref ref;
	struct warc_rec recs[4];
	struct warc *w;
	size_t n;

	snprintf(path, sizeof(path), "%s/crawl.warc.gz", dir);
	snprintf(info, sizeof(info), "robots: obey\r\n");
	w = warc_new(&cfg, err, sizeof(err));
	cr_assert_not_null(w, "%s", err);
	memset(info, 'X', sizeof(info) - 1); /* the fields are the warc's own copy */
	cr_assert_eq(warc_write(w, &x, &ref), 0);
	x.payload = "two";
	cr_assert_eq(warc_write(w, &x, &ref), 0);
	snprintf(name, sizeof(name), "%s/crawl-00001.warc.gz", dir);
	cr_assert_str_eq(ref.file, name, "the second exchange starts the next file");
	warc_free(w);
	n = read_records(name, recs, 4);
	cr_expect_str_eq(warc_rec_field(&recs[0], "WARC-Type"), "warcinfo");
	cr_expect(strstr(recs[0].block, "robots: obey\r\n"));
	warc_rec_check_digests(&recs[0]);
	warc_recs_free(recs, n);
}

Test(warc, a_compressed_payload_is_stored_and_a_text_one_deflated,
     .init = setup, .fini = teardown)
{
	struct warc *w = open_warc(0);
	char text[8192], name[160];
	struct warc_exchange x;
	struct warc_ref page, image;
	struct warc_rec one;

	memset(text, 'a', sizeof(text) - 1);
	text[sizeof(text) - 1] = '\0';
	x = exchange("http://a.test/page", text);
	cr_assert_eq(warc_write(w, &x, &page), 0);
	x = exchange("http://a.test/image", text + 1);
	x.compressed = true;
	cr_assert_eq(warc_write(w, &x, &image), 0);
	cr_assert_eq(warc_free(w), 0);
	snprintf(name, sizeof(name), "%s/crawl-00000.warc.gz", dir);
	cr_expect_lt(page.length, 1000, "8 KB of one letter deflates to little");
	cr_expect_gt(image.length, sizeof(text) - 2, "stored, not deflated");
	cr_assert(warc_read_member(name, page.offset, page.length, &one));
	cr_expect_eq(one.block_len, sizeof(head) - 1 + sizeof(text) - 1);
	warc_rec_check_digests(&one);
	warc_recs_free(&one, 1);
	cr_assert(warc_read_member(name, image.offset, image.length, &one));
	cr_expect_eq(one.block_len, sizeof(head) - 1 + sizeof(text) - 2);
	cr_expect_eq(memcmp(one.block + sizeof(head) - 1, text + 1, sizeof(text) - 2), 0);
	warc_rec_check_digests(&one);
	warc_recs_free(&one, 1);
}

/* The writer frames a block packed ahead (on a parser thread): its head in
 * stored blocks, then the packed ones, in one member a reader inflates
 * whole, with its digests; a second payload like it is still a revisit. */
Test(warc, a_block_packed_ahead_is_framed_into_one_member, .init = setup,
     .fini = teardown)
{
	struct warc *w = open_warc(0);
	struct warc_packer *pk = warc_packer_new();
	struct warc_exchange x = exchange("http://a.test/p", "packed ahead");
	struct warc_block b;
	struct warc_ref ref, again;
	struct warc_rec recs[8];
	char name[160];
	size_t n;

	cr_assert_not_null(pk);
	cr_assert_eq(warc_pack(pk, x.head, x.head_len, x.payload, x.payload_len,
			       NULL, false, &b), 0);
	x.block = &b;
	x.payload = NULL;
	x.payload_len = 0;
	cr_assert_eq(warc_write(w, &x, &ref), 0);
	x = exchange("http://a.test/q", "packed ahead");
	cr_assert_eq(warc_write(w, &x, &again), 0);
	cr_expect(again.revisit, "the same payload, packed or not, is a revisit");
	warc_block_release(&b);
	warc_packer_free(pk);
	cr_assert_eq(warc_free(w), 0);
	snprintf(name, sizeof(name), "%s/crawl-00000.warc.gz", dir);
	n = read_records(name, recs, 8);
	cr_assert_eq(n, 5);
	cr_expect_str_eq(warc_rec_field(&recs[2], "WARC-Type"), "response");
	cr_expect_eq(recs[2].offset, ref.offset);
	cr_expect_eq(recs[2].block_len, sizeof(head) - 1 + 12);
	cr_expect_eq(memcmp(recs[2].block + sizeof(head) - 1, "packed ahead", 12), 0);
	cr_expect_str_eq(warc_rec_field(&recs[4], "WARC-Type"), "revisit");
	for (size_t i = 0; i < n; i++)
		warc_rec_check_digests(&recs[i]);
	warc_recs_free(recs, n);
}

/* A FILE ending in ".warc" is a series of uncompressed files: records as
 * they are, one after the other, each line's offset and length still the
 * response record's, read back by warcio too. */
Test(warc, a_series_named_dot_warc_is_written_uncompressed, .init = setup,
     .fini = teardown)
{
	char path[128], name[160], err[256], cmd[512], out[4096];
	struct warc_config cfg = { .path = path, .info = "robots: obey\r\n" };
	struct warc_exchange x = exchange("http://a.test/a", "hello world");
	struct warc_ref ref, again;
	struct warc_rec recs[8], one;
	const char *warcio = warc_reader();
	struct warc *w;
	FILE *p;
	size_t n;

	snprintf(path, sizeof(path), "%s/crawl.warc", dir);
	cr_assert_not_null(w = warc_new(&cfg, err, sizeof(err)), "%s", err);
	cr_expect_not(warc_packs(w), "nothing is packed for a .warc series");
	cr_assert_eq(warc_write(w, &x, &ref), 0);
	x.uri = "http://a.test/b";
	cr_assert_eq(warc_write(w, &x, &again), 0);
	cr_expect(again.revisit);
	snprintf(name, sizeof(name), "%s/crawl-00000.warc", dir);
	cr_expect_str_eq(ref.file, name);
	cr_assert_eq(warc_free(w), 0);
	cr_assert_not_null(p = fopen(name, "rb"));
	n = fread(out, 1, 8, p);
	fclose(p);
	cr_expect(n == 8 && !memcmp(out, "WARC/1.1", 8), "the file is plain WARC");
	n = read_records(name, recs, 8);
	cr_assert_eq(n, 5);
	for (size_t i = 0; i < n; i++)
		warc_rec_check_digests(&recs[i]);
	cr_expect_eq(recs[2].offset, ref.offset);
	cr_expect_eq(recs[2].length, ref.length);
	cr_assert(warc_read_member(name, ref.offset, ref.length, &one));
	cr_expect_str_eq(warc_rec_field(&one, "WARC-Type"), "response");
	cr_expect_eq(memcmp(one.block + sizeof(head) - 1, "hello world", 11), 0);
	warc_recs_free(&one, 1);
	warc_recs_free(recs, n);
	if (!warcio)
		cr_skip_test("warcio is not installed (make deps installs it with npm)");
	snprintf(cmd, sizeof(cmd), "%s index %s 2>&1", warcio, name);
	cr_assert_not_null(p = popen(cmd, "r"));
	n = fread(out, 1, sizeof(out) - 1, p);
	out[n] = '\0';
	cr_assert_eq(pclose(p), 0, "%s", out);
	cr_expect(strstr(out, "\"warc-type\":\"response\""), "%s", out);
	cr_expect(strstr(out, "\"warc-type\":\"revisit\""), "%s", out);
}
