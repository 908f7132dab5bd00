/* warc_read: see warc_read.h. */
#include "warc_read.h"

#include <criterion/criterion.h>
#include <gnutls/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <zlib.h>

void warc_sha1(const void *p, size_t n, char out[38])
{
	static const char b32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
	unsigned char h[20];
	size_t o = 5;

	cr_assert_eq(gnutls_hash_fast(GNUTLS_DIG_SHA1, p, n, h), 0);
	memcpy(out, "sha1:", 5);
	/* 160 bits, 5 at a time, most significant first. */
	for (unsigned bit = 0; bit < 160; bit += 5) {
		unsigned v = 0;

		for (unsigned k = 0; k < 5; k++)
			v = (v << 1) | ((h[(bit + k) / 8] >> (7 - (bit + k) % 8)) & 1);
		out[o++] = b32[v];
	}
	out[o] = '\0';
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *p = NULL;
	long n;

	cr_assert_not_null(f, "%s", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	p = malloc((size_t)n + 1);
	cr_assert_not_null(p);
	cr_assert_eq(fread(p, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return p;
}

/* Inflate one gzip member at in; *used: its compressed length. */
static char *inflate_member(const char *in, size_t n, size_t *used, size_t *out_len)
{
	z_stream z = { 0 };
	size_t cap = 65536, len = 0;
	char *out = malloc(cap);
	int rc;

	cr_assert_eq(inflateInit2(&z, 16 + 15), Z_OK);
	z.next_in = (Bytef *)(uintptr_t)in;
	z.avail_in = (uInt)n;
	do {
		if (cap - len < 16384)
			cr_assert_not_null(out = realloc(out, cap *= 2));
		z.next_out = (Bytef *)out + len;
		z.avail_out = (uInt)(cap - len);
		rc = inflate(&z, Z_NO_FLUSH);
		len = cap - z.avail_out;
		cr_assert(rc == Z_OK || rc == Z_STREAM_END, "bad gzip member: %d", rc);
	} while (rc != Z_STREAM_END);
	*used = n - z.avail_in;
	inflateEnd(&z);
	*out_len = len;
	return out;
}

/* The length of the uncompressed record at in (a .warc series): its
 * named fields, the blank line, Content-Length bytes and two CRLFs. */
static size_t plain_record_len(const char *in, size_t n)
{
	const char *end = memmem(in, n, "\r\n\r\n", 4), *cl;
	size_t head;

	cr_assert_not_null(end, "a record without its blank line");
	head = (size_t)(end - in) + 4;
	cl = memmem(in, head, "\r\nContent-Length: ", 18);
	cr_assert_not_null(cl, "no Content-Length");
	return head + strtoull(cl + 18, NULL, 10) + 4;
}

/* The record at in: inflated from its gzip member, or copied as it is
 * when it is not gzip (a .warc series). *used: its length in the file. */
static char *take_record(const char *in, size_t n, size_t *used, size_t *out_len)
{
	char *out;

	if (n < 2 || (unsigned char)in[0] != 0x1f || (unsigned char)in[1] != 0x8b) {
		*used = *out_len = plain_record_len(in, n);
		cr_assert_leq(*used, n, "a record cut short");
		cr_assert_not_null(out = malloc(*used));
		memcpy(out, in, *used);
		return out;
	}
	return inflate_member(in, n, used, out_len);
}

/* One record from the inflated member; asserts its framing. */
static void parse(const char *p, size_t n, struct warc_rec *r)
{
	const char *end = p + n, *line, *eol;
	const char *cl;
	char *stop;
	unsigned long long len;

	cr_assert(n > 10 && !memcmp(p, "WARC/1.1\r\n", 10), "no WARC/1.1 line");
	line = p + 10;
	for (;;) {
		const char *colon;

		eol = memmem(line, (size_t)(end - line), "\r\n", 2);
		cr_assert_not_null(eol, "a field without CRLF");
		if (eol == line)
			break;
		cr_assert_null(memchr(line, '\n', (size_t)(eol - line)), "bare LF in a field");
		colon = memchr(line, ':', (size_t)(eol - line));
		cr_assert_not_null(colon, "a field without a colon");
		cr_assert_eq(colon[1], ' ');
		r->names = realloc(r->names, (r->nfields + 1) * sizeof(char *));
		r->values = realloc(r->values, (r->nfields + 1) * sizeof(char *));
		r->names[r->nfields] = strndup(line, (size_t)(colon - line));
		r->values[r->nfields] = strndup(colon + 2, (size_t)(eol - colon - 2));
		r->nfields++;
		line = eol + 2;
	}
	cl = warc_rec_field(r, "Content-Length");
	cr_assert_not_null(cl, "no Content-Length");
	len = strtoull(cl, &stop, 10);
	cr_assert_eq(*stop, '\0');
	line = eol + 2;
	cr_assert_eq((size_t)(end - line), len + 4, "block is not Content-Length + 4 bytes");
	cr_assert_eq(memcmp(line + len, "\r\n\r\n", 4), 0, "no two CRLFs after the block");
	r->block = malloc(len + 1);
	memcpy(r->block, line, len);
	r->block[len] = '\0';
	r->block_len = len;
	cr_assert_not_null(warc_rec_field(r, "WARC-Type"));
	cr_assert_not_null(warc_rec_field(r, "WARC-Record-ID"));
	cr_assert_not_null(warc_rec_field(r, "WARC-Date"));
}

size_t warc_read_file(const char *path, struct warc_rec *out, size_t max)
{
	size_t len, at = 0, n = 0;
	char *file = slurp(path, &len);

	while (at < len) {
		size_t used, rlen;
		char *rec;

		cr_assert_lt(n, max, "more than %zu records in %s", max, path);
		rec = take_record(file + at, len - at, &used, &rlen);
		out[n] = (struct warc_rec){ .offset = at, .length = used };
		parse(rec, rlen, &out[n]);
		free(rec);
		at += used;
		n++;
	}
	free(file);
	return n;
}

bool warc_read_member(const char *path, uint64_t offset, uint64_t length,
		      struct warc_rec *out)
{
	size_t len, used, rlen;
	char *file = slurp(path, &len), *rec;

	if (offset + length > len) {
		free(file);
		return false;
	}
	rec = take_record(file + offset, (size_t)length, &used, &rlen);
	cr_assert_eq(used, length, "the member is not %llu bytes", (unsigned long long)length);
	*out = (struct warc_rec){ .offset = offset, .length = length };
	parse(rec, rlen, out);
	free(rec);
	free(file);
	return true;
}

void warc_recs_free(struct warc_rec *recs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		for (size_t j = 0; j < recs[i].nfields; j++) {
			free(recs[i].names[j]);
			free(recs[i].values[j]);
		}
		free(recs[i].names);
		free(recs[i].values);
		free(recs[i].block);
	}
}

const char *warc_rec_field(const struct warc_rec *r, const char *name)
{
	for (size_t i = 0; i < r->nfields; i++)
		if (!strcasecmp(r->names[i], name))
			return r->values[i];
	return NULL;
}

void warc_rec_check_digests(const struct warc_rec *r)
{
	const char *type = warc_rec_field(r, "WARC-Type");
	const char *block = warc_rec_field(r, "WARC-Block-Digest");
	const char *payload = warc_rec_field(r, "WARC-Payload-Digest");
	char sha[38];

	cr_assert_not_null(block, "no WARC-Block-Digest");
	warc_sha1(r->block, r->block_len, sha);
	cr_expect_str_eq(block, sha, "block digest of a %s record", type);
	if (!strcmp(type, "response")) {
		const char *body = memmem(r->block, r->block_len, "\r\n\r\n", 4);

		cr_assert_not_null(body, "a response without its header end");
		body += 4;
		cr_assert_not_null(payload, "no WARC-Payload-Digest");
		warc_sha1(body, r->block_len - (size_t)(body - r->block), sha);
		cr_expect_str_eq(payload, sha, "payload digest of a response");
	}
}

const char *warc_reader(void)
{
	static const char local[] = "build/warcio/node_modules/.bin/warcio";
	const char *env = getenv("WARCIO");

	if (env && *env)
		return access(env, X_OK) ? NULL : env;
	return access(local, X_OK) ? NULL : local;
}
