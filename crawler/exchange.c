/* exchange: struct warc_exchange to bytes and back (exchange.h), between a
 * worker's fetch and the collector's archive. Unpacking trusts nothing in
 * the bytes: every length is checked against what is left before it is
 * used, so a hostile or cut entry is refused, never read past. */
#include "exchange.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "digest.h"

#define EXCHANGE_NONE UINT64_MAX   /* the length of a NULL field */
#define FLAG_COMPRESSED 0x01
#define HEAD_LEN 10                /* version, flags, date_ms */
/* 9999-12-31T23:59:59Z: warc.c's WARC-Date has room for four digits of
 * year, and gmtime fails far past it. */
#define DATE_MAX_MS 253402300799999LL

enum field { URI, IP, REQUEST, HEAD, PAYLOAD, DIGEST, TRUNCATED, NFIELDS };

/* Which fields are C strings (a NUL, CR or LF inside is refused) and which
 * may be NULL. */
static const bool is_text[NFIELDS] = { [URI] = true, [IP] = true,
				       [DIGEST] = true, [TRUNCATED] = true };
static const bool may_be_null[NFIELDS] = { [IP] = true, [REQUEST] = true,
					   [DIGEST] = true, [TRUNCATED] = true };

static void put_u64(unsigned char *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t get_u64(const unsigned char *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

/* The fields of x in wire order; NULL stays NULL only where allowed. */
static void fields_of(const struct warc_exchange *x, const char *s[NFIELDS],
		      size_t n[NFIELDS])
{
	s[URI] = x->uri;
	s[IP] = x->ip;
	s[REQUEST] = x->request;
	s[HEAD] = x->head;
	s[PAYLOAD] = x->payload;
	s[DIGEST] = x->payload_digest;
	s[TRUNCATED] = x->truncated;
	for (int i = 0; i < NFIELDS; i++) {
		n[i] = !s[i] ? 0 : i == REQUEST ? x->request_len :
			i == HEAD ? x->head_len : i == PAYLOAD ? x->payload_len :
			strlen(s[i]);
		if (!s[i] && !may_be_null[i])
			s[i] = "";
	}
}

char *exchange_pack(const struct warc_exchange *x, size_t *len)
{
	const char *s[NFIELDS];
	size_t n[NFIELDS], total = HEAD_LEN, at;
	unsigned char *p;

	fields_of(x, s, n);
	for (int i = 0; i < NFIELDS; i++) {
		if (n[i] > SIZE_MAX - total - 9)
			return NULL;
		total += 8 + (s[i] ? n[i] + 1 : 0);
	}
	if (!(p = malloc(total)))
		return NULL;
	p[0] = EXCHANGE_VERSION;
	p[1] = x->compressed ? FLAG_COMPRESSED : 0;
	put_u64(p + 2, (uint64_t)x->date_ms);
	at = HEAD_LEN;
	for (int i = 0; i < NFIELDS; i++) {
		put_u64(p + at, s[i] ? (uint64_t)n[i] : EXCHANGE_NONE);
		at += 8;
		if (!s[i])
			continue;
		if (n[i])
			memcpy(p + at, s[i], n[i]);
		p[at + n[i]] = '\0';
		at += n[i] + 1;
	}
	*len = total;
	return (char *)p;
}

/* A text field holds no byte that would end it early or break a WARC
 * header line. */
static bool text_ok(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] == '\0' || s[i] == '\r' || s[i] == '\n')
			return false;
	return true;
}

/* Field i at p + *at (len bytes in all) into s[i], n[i]; *at moves past
 * it. Bounds: 8 length bytes, then n bytes and a NUL, all before len. */
static bool take_field(const unsigned char *p, size_t len, size_t *at, int i,
		       const char *s[NFIELDS], size_t n[NFIELDS])
{
	uint64_t k;

	if (len - *at < 8)
		return false;
	k = get_u64(p + *at);
	*at += 8;
	if (k == EXCHANGE_NONE) {
		s[i] = NULL;
		n[i] = 0;
		return may_be_null[i];
	}
	if (len - *at < 1 || k > len - *at - 1 || p[*at + k] != '\0')
		return false;
	s[i] = (const char *)p + *at;
	n[i] = (size_t)k;
	*at += (size_t)k + 1;
	return !is_text[i] || text_ok(s[i], n[i]);
}

bool exchange_unpack(const char *bytes, size_t len, struct warc_exchange *x)
{
	const unsigned char *p = (const unsigned char *)bytes;
	const char *s[NFIELDS];
	size_t n[NFIELDS], at = HEAD_LEN;
	int64_t date;

	if (len < HEAD_LEN || p[0] != EXCHANGE_VERSION || (p[1] & ~FLAG_COMPRESSED))
		return false;
	date = (int64_t)get_u64(p + 2);
	if (date < 0 || date > DATE_MAX_MS)
		return false;
	for (int i = 0; i < NFIELDS; i++)
		if (!take_field(p, len, &at, i, s, n))
			return false;
	if (at != len || (s[DIGEST] && n[DIGEST] != DIGEST_SHA1_LEN - 1))
		return false;
	*x = (struct warc_exchange){
		.uri = s[URI], .ip = s[IP], .date_ms = date,
		.request = s[REQUEST], .request_len = n[REQUEST],
		.head = s[HEAD], .head_len = n[HEAD],
		.payload = s[PAYLOAD], .payload_len = n[PAYLOAD],
		.compressed = p[1] & FLAG_COMPRESSED,
		.payload_digest = s[DIGEST], .truncated = s[TRUNCATED],
	};
	return true;
}
