/* host: the WHATWG URL Standard's host parser for special schemes (section
 * 3.5) and its serialiser (3.6), called by url_parse on the bytes between
 * an authority's userinfo and its port. The section names below are the
 * standard's; each function is one of its algorithms.
 */
#include "host.h"

#include <idn2.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* An IPv4 number past 2^32 fails wherever it stands, so counting stops
 * there: a 1000-digit number needs no bignum. */
#define IPV4_NUMBER_CAP ((uint64_t)1 << 32)

static bool is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

/* The value of hex digit c, or -1. */
static int hex_value(unsigned char c)
{
	if (is_digit(c))
		return c - '0';
	c |= 0x20;
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Section 1.3, percent-decode: "%" and two hex digits is that byte, any
 * other '%' stays. dst has room for n bytes; returns the length. */
static size_t percent_decode(char *dst, const char *src, size_t n)
{
	size_t j = 0;

	for (size_t i = 0; i < n; i++) {
		int hi = i + 2 < n ? hex_value(src[i + 1]) : -1;
		int lo = hi >= 0 ? hex_value(src[i + 2]) : -1;

		if (src[i] == '%' && lo >= 0) {
			dst[j++] = (char)(hi << 4 | lo);
			i += 2;
		} else {
			dst[j++] = src[i];
		}
	}
	return j;
}

/* Section 3.2: a forbidden domain code point (the forbidden host code
 * points, C0 controls, '%' and DEL). */
static bool is_forbidden(unsigned char c)
{
	return c <= ' ' || c == 0x7f || (c && strchr("#%/:<>?@[\\]^|", c));
}

/* Section 3.5, IPv4 number parser: "0x" is hex, a leading "0" octal. */
static enum host_status ipv4_number(const char *s, size_t n, uint64_t *v)
{
	unsigned radix = 10;

	if (n == 0)
		return HOST_INVALID;
	if (n >= 2 && s[0] == '0' && (s[1] | 0x20) == 'x') {
		s += 2;
		n -= 2;
		radix = 16;
	} else if (n >= 2 && s[0] == '0') {
		s++;
		n--;
		radix = 8;
	}
	*v = 0;
	for (size_t i = 0; i < n; i++) {
		int d = hex_value(s[i]);

		if (d < 0 || (unsigned)d >= radix)
			return HOST_INVALID;
		*v = *v * radix + (unsigned)d;
		if (*v > IPV4_NUMBER_CAP)
			*v = IPV4_NUMBER_CAP;
	}
	return HOST_OK;
}

/* s (n bytes) without one trailing '.', which an IPv4 address may have. */
static size_t without_final_dot(const char *s, size_t n)
{
	return n > 0 && s[n - 1] == '.' ? n - 1 : n;
}

/* Section 3.5, ends in a number: the last label (a trailing '.' aside) is
 * all digits or an IPv4 number. */
static bool ends_in_number(const char *s, size_t n)
{
	size_t end = without_final_dot(s, n), start = end;
	uint64_t v;
	bool digits = end > 0;

	while (start > 0 && s[start - 1] != '.')
		start--;
	for (size_t i = start; i < end; i++)
		digits = digits && is_digit(s[i]);
	return (digits && end > start) ||
	       ipv4_number(s + start, end - start, &v) == HOST_OK;
}

/* Section 3.5, IPv4 parser: up to four numbers, the last filling the bytes
 * the others leave ("192.168.257" is 192.168.1.1). */
static enum host_status ipv4_parse(const char *s, size_t n, uint32_t *out)
{
	uint64_t num[4], ip;
	size_t count = 0, end = without_final_dot(s, n), i = 0;

	while (i <= end) {
		size_t len = 0;

		while (i + len < end && s[i + len] != '.')
			len++;
		if (count == 4 || ipv4_number(s + i, len, &num[count]) != HOST_OK)
			return HOST_INVALID;
		count++;
		i += len + 1;
	}
	for (i = 0; i + 1 < count; i++)
		if (num[i] > 255)
			return HOST_INVALID;
	if (num[count - 1] >= (uint64_t)1 << (8 * (5 - count)))
		return HOST_INVALID;
	ip = num[count - 1];
	for (i = 0; i + 1 < count; i++)
		ip += num[i] << (8 * (3 - i));
	*out = (uint32_t)ip;
	return HOST_OK;
}

/* The dotted IPv4 part of an IPv6 address, from s[*i] to the end (section
 * 3.5, IPv6 parser, step 6.5): four decimal numbers without leading zeros,
 * two to a piece, from address[*piece] on. */
static enum host_status ipv6_tail_v4(const char *s, size_t n, size_t *i,
				     uint16_t *address, size_t *piece)
{
	int seen = 0;

	if (*piece > 6)
		return HOST_INVALID;
	while (*i < n) {
		int value = -1; /* none yet */

		if (seen > 0) {
			if (s[*i] != '.' || seen == 4)
				return HOST_INVALID;
			++*i;
		}
		if (*i >= n || !is_digit(s[*i]))
			return HOST_INVALID;
		for (; *i < n && is_digit(s[*i]); ++*i) {
			if (value == 0)
				return HOST_INVALID;
			value = (value < 0 ? 0 : value * 10) + (s[*i] - '0');
			if (value > 255)
				return HOST_INVALID;
		}
		address[*piece] = (uint16_t)(address[*piece] * 0x100 + value);
		seen++;
		if (seen == 2 || seen == 4)
			++*piece;
	}
	return seen == 4 ? HOST_OK : HOST_INVALID;
}

/* The pieces after a "::" move to the end (section 3.5, IPv6 parser,
 * step 7). */
static void ipv6_expand(uint16_t *address, size_t piece, size_t compress)
{
	size_t swaps = piece - compress;

	for (piece = 7; piece != 0 && swaps > 0; piece--, swaps--) {
		uint16_t t = address[piece];

		address[piece] = address[compress + swaps - 1];
		address[compress + swaps - 1] = t;
	}
}

/* Section 3.5, IPv6 parser, on what is between the brackets. */
static enum host_status ipv6_parse(const char *s, size_t n,
				   uint16_t *address)
{
	size_t i = 0, piece = 0, compress = SIZE_MAX;

	memset(address, 0, 8 * sizeof(*address));
	if (n > 0 && s[0] == ':') {
		if (n < 2 || s[1] != ':')
			return HOST_INVALID;
		i = 2;
		compress = ++piece;
	}
	while (i < n) {
		unsigned value = 0, len = 0;

		if (piece == 8)
			return HOST_INVALID;
		if (s[i] == ':') {
			if (compress != SIZE_MAX)
				return HOST_INVALID;
			i++;
			compress = ++piece;
			continue;
		}
		for (; len < 4 && i < n && hex_value(s[i]) >= 0; len++, i++)
			value = value * 16 + (unsigned)hex_value(s[i]);
		if (i < n && s[i] == '.') {
			if (len == 0)
				return HOST_INVALID;
			i -= len;
			if (ipv6_tail_v4(s, n, &i, address, &piece) != HOST_OK)
				return HOST_INVALID;
			break;
		}
		if (i < n && s[i] == ':') {
			if (++i == n)
				return HOST_INVALID;
		} else if (i < n) {
			return HOST_INVALID;
		}
		address[piece++] = (uint16_t)value;
	}
	if (compress != SIZE_MAX)
		ipv6_expand(address, piece, compress);
	return compress != SIZE_MAX || piece == 8 ? HOST_OK : HOST_INVALID;
}

/* Section 3.6, IPv6 serialiser: the first longest run of two or more
 * zero pieces is written "::". dst has room for 40 bytes. */
static size_t ipv6_write(char *dst, const uint16_t *a)
{
	size_t best = 8, best_len = 1, j = 0;

	for (size_t i = 0; i < 8;) {
		size_t len = 0;

		while (i + len < 8 && a[i + len] == 0)
			len++;
		if (len > best_len) {
			best = i;
			best_len = len;
		}
		i += len ? len : 1;
	}
	for (size_t i = 0; i < 8; i++) {
		if (i == best) {
			j += (size_t)snprintf(dst + j, 40 - j, i == 0 ? "::" : ":");
			i += best_len - 1;
			continue;
		}
		j += (size_t)snprintf(dst + j, 40 - j, "%x%s", a[i],
				      i == 7 ? "" : ":");
	}
	return j;
}

static char *fail(enum host_status *status, enum host_status why)
{
	*status = why;
	return NULL;
}

static char *ipv6_host(const char *in, size_t n, size_t *len,
		       enum host_status *status)
{
	uint16_t address[8];
	char *out;

	if (n < 2 || in[n - 1] != ']' ||
	    ipv6_parse(in + 1, n - 2, address) != HOST_OK)
		return fail(status, HOST_INVALID);
	out = malloc(43);
	if (!out)
		return fail(status, HOST_NOMEM);
	out[0] = '[';
	*len = 1 + ipv6_write(out + 1, address);
	out[(*len)++] = ']';
	out[*len] = '\0';
	*status = HOST_OK;
	return out;
}

/* Section 3.5, domain to ASCII, on the decoded d (n bytes, NUL-terminated,
 * freed here). ASCII is only lowercased: UTS #46 maps nothing else in it
 * (its STD3 rules are off for browsers). Anything else goes to libidn2. */
static char *to_ascii(char *d, size_t n, size_t *len, enum host_status *status)
{
	bool ascii = true;
	char *a = NULL, *out;
	int rc;

	for (size_t i = 0; i < n; i++)
		ascii = ascii && (unsigned char)d[i] < 0x80;
	if (ascii) {
		for (size_t i = 0; i < n; i++)
			if (d[i] >= 'A' && d[i] <= 'Z')
				d[i] |= 0x20;
		*len = n;
		return d;
	}
	/* A NUL (from "%00") is forbidden, and would end libidn2's string. */
	rc = memchr(d, '\0', n) ? IDN2_ENCODING_ERROR :
	     idn2_to_ascii_8z(d, &a, IDN2_NONTRANSITIONAL | IDN2_NFC_INPUT);
	free(d);
	if (rc != IDN2_OK)
		return fail(status, rc == IDN2_MALLOC ? HOST_NOMEM : HOST_INVALID);
	/* Copied so that the caller frees what it gets with free(). */
	*len = strlen(a);
	out = strdup(a);
	idn2_free(a);
	return out ? out : fail(status, HOST_NOMEM);
}

/* An IPv4 address, dotted decimal, in place of the domain a (freed). */
static char *ipv4_host(char *a, size_t n, size_t *len, enum host_status *status)
{
	uint32_t ip;
	char *out;

	if (ipv4_parse(a, n, &ip) != HOST_OK) {
		free(a);
		return fail(status, HOST_INVALID);
	}
	free(a);
	out = malloc(16);
	if (!out)
		return fail(status, HOST_NOMEM);
	*len = (size_t)snprintf(out, 16, "%u.%u.%u.%u", ip >> 24,
				(ip >> 16) & 255, (ip >> 8) & 255, ip & 255);
	*status = HOST_OK;
	return out;
}

char *host_parse(const char *in, size_t n, size_t *len,
		 enum host_status *status)
{
	char *d, *a;
	size_t alen;

	if (n > 0 && in[0] == '[')
		return ipv6_host(in, n, len, status);
	d = malloc(n + 1);
	if (!d)
		return fail(status, HOST_NOMEM);
	alen = percent_decode(d, in, n);
	d[alen] = '\0';
	a = to_ascii(d, alen, &alen, status);
	if (!a)
		return NULL;
	for (size_t i = 0; i < alen; i++)
		if (is_forbidden((unsigned char)a[i]))
			alen = 0;
	if (alen == 0) {
		free(a);
		return fail(status, HOST_INVALID);
	}
	if (ends_in_number(a, alen))
		return ipv4_host(a, alen, len, status);
	*len = alen;
	*status = HOST_OK;
	return a;
}
