/* parse: the step between fetching a page and queueing what it links to. A
 * worker hands over the body it fetched; one SAX pass of libxml2's HTML
 * parser picks out the link attributes and the first <title>, and each link
 * goes through the url module, so the frontier only ever sees canonical
 * http(s) URLs. No tree is built: this runs on every page of a crawl.
 *
 * libxml2 is 2.9.14 here; the quirks worked around below are that version's. */
#include "parse.h"

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/HTMLparser.h>
#include <libxml/encoding.h>
#include <libxml/globals.h>
#include <libxml/parserInternals.h>
#include <libxml/xmlerror.h>

#include "url.h"

/* Longest title kept, in bytes of UTF-8. */
#define TITLE_MAX 4096

/* Recover from broken HTML, never touch the network, report nothing. No
 * NOBLANKS: with it, white space between a title's words could go to the
 * ignorableWhitespace callback instead of characters. */
#define PARSE_OPTIONS                                                   \
	(HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING | \
	 HTML_PARSE_NONET)

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

struct parse_state {
	struct parse_result *out;
	htmlParserCtxtPtr ctxt;
	struct url_base *page;
	struct url_base *base; /* from the first <base href>; NULL: page */
	enum parse_status status;
	bool base_seen;
	bool title_seen;
	bool in_title;
	bool title_gap; /* white space seen since the title's last byte */
	size_t title_len;
	/* Room for one UTF-8 sequence past TITLE_MAX, so the character that
	 * crosses the cap is seen whole (and cut) rather than as junk. */
	char title[TITLE_MAX + 4];
};

/* Elements whose attribute is a link to follow. libxml2's HTML parser
 * lowercases element and attribute names, so strcmp is enough. */
static const struct {
	const char *element;
	const char *attr;
} link_attrs[] = {
	{ "a", "href" },
	{ "area", "href" },
	{ "frame", "src" },
	{ "iframe", "src" },
};

static void stop(struct parse_state *st, enum parse_status status)
{
	st->status = status;
	xmlStopParser(st->ctxt);
}

/* The first value of attribute name; NULL if absent or bare (<a href>). */
static const char *attr_value(const xmlChar **atts, const char *name)
{
	for (; atts && atts[0]; atts += 2)
		if (!strcmp((const char *)atts[0], name))
			return (const char *)atts[1];
	return NULL;
}

/* A hostile page can carry a megabyte-long href: measure no further than
 * the url module would accept, and don't hand it over at all. */
static bool too_long(const char *ref)
{
	return strnlen(ref, URL_MAX_LEN + 1) > URL_MAX_LEN;
}

static bool grow_links(struct parse_result *r)
{
	size_t cap = r->cap ? r->cap * 2 : 16;
	char **links;

	if (cap > SIZE_MAX / sizeof(*links))
		return false;
	links = realloc(r->links, cap * sizeof(*links));
	if (!links)
		return false;
	r->links = links;
	r->cap = cap;
	return true;
}

static void add_link(struct parse_state *st, const char *ref)
{
	struct parse_result *r = st->out;
	enum url_status us;
	char *url;

	if (too_long(ref))
		return;
	us = url_base_resolve(st->base ? st->base : st->page, ref, &url);
	if (us == URL_NOMEM)
		stop(st, PARSE_NOMEM);
	if (us != URL_OK)
		return;
	if (r->nlinks == r->cap && !grow_links(r)) {
		free(url);
		stop(st, PARSE_NOMEM);
		return;
	}
	r->links[r->nlinks++] = url;
}

/* Only the first <base href> counts (HTML: "the first base element with an
 * href attribute"), even when it is unusable and the page URL stays. */
static void set_base(struct parse_state *st, const char *href)
{
	enum url_status us;
	char *abs;

	st->base_seen = true;
	if (too_long(href))
		return;
	us = url_base_resolve(st->page, href, &abs);
	if (us == URL_OK) {
		st->base = url_base_new(abs, &us);
		free(abs);
	}
	if (us == URL_NOMEM)
		stop(st, PARSE_NOMEM);
}

static void on_start(void *user, const xmlChar *tag, const xmlChar **atts)
{
	struct parse_state *st = user;
	const char *name = (const char *)tag;
	const char *v;

	if (!strcmp(name, "title")) {
		st->in_title = !st->title_seen;
		st->title_seen = true;
		return;
	}
	if (!strcmp(name, "base")) {
		if (!st->base_seen && (v = attr_value(atts, "href")))
			set_base(st, v);
		return;
	}
	for (size_t i = 0; i < ARRAY_SIZE(link_attrs); i++) {
		if (strcmp(name, link_attrs[i].element))
			continue;
		if ((v = attr_value(atts, link_attrs[i].attr)))
			add_link(st, v);
		return;
	}
}

static void on_end(void *user, const xmlChar *tag)
{
	struct parse_state *st = user;

	if (st->in_title && !strcmp((const char *)tag, "title"))
		st->in_title = false;
}

/* HTML's ASCII white space. The bytes are ASCII, so testing them one at a
 * time is safe even inside UTF-8. */
static bool is_html_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

static void title_put(struct parse_state *st, char c)
{
	if (st->title_len < sizeof(st->title))
		st->title[st->title_len++] = c;
}

/* libxml2 hands text over in chunks (an entity ends one), so white space is
 * collapsed across calls: a gap is written only when a later byte comes,
 * which also trims both ends. */
static void on_text(void *user, const xmlChar *text, int len)
{
	struct parse_state *st = user;
	size_t max = sizeof(st->title);

	if (!st->in_title)
		return;
	for (int i = 0; i < len && st->title_len < max; i++) {
		if (is_html_space(text[i])) {
			st->title_gap = st->title_len > 0;
			continue;
		}
		if (st->title_gap)
			title_put(st, ' ');
		st->title_gap = false;
		title_put(st, (char)text[i]);
	}
}

/* How many bytes at s make one character: a well-formed UTF-8 sequence
 * (Unicode table 3-7: no overlong forms, no surrogates, nothing past
 * U+10FFFF), *ok set; or else the maximal malformed subpart, which the
 * WHATWG decoder turns into one U+FFFD, *ok clear. NUL counts as malformed:
 * it would end the title early. */
static size_t utf8_len(const unsigned char *s, size_t n, bool *ok)
{
	unsigned char lo = 0x80, hi = 0xBF;
	size_t len, i;

	*ok = s[0] >= 0x01 && s[0] <= 0x7F;
	if (s[0] < 0xC2 || s[0] > 0xF4)
		return 1;
	len = s[0] >= 0xF0 ? 4 : s[0] >= 0xE0 ? 3 : 2;
	if (s[0] == 0xE0)
		lo = 0xA0;
	else if (s[0] == 0xED)
		hi = 0x9F;
	else if (s[0] == 0xF0)
		lo = 0x90;
	else if (s[0] == 0xF4)
		hi = 0x8F;
	for (i = 1; i < len && i < n; i++) {
		if (s[i] < lo || s[i] > hi)
			return i;
		lo = 0x80;
		hi = 0xBF;
	}
	*ok = i == len;
	return i;
}

/* The collected title as valid UTF-8 of at most TITLE_MAX bytes, cut at a
 * character boundary. Malformed bytes get this far when the server names
 * UTF-8 and sends something else: with an encoder in place libxml2 passes
 * them through (without one it would have switched to Latin-1). Each
 * becomes U+FFFD. */
static enum parse_status title_finish(const struct parse_state *st,
				      char **title)
{
	static const char fffd[] = "\xEF\xBF\xBD";
	const unsigned char *in = (const unsigned char *)st->title;
	char buf[TITLE_MAX];
	size_t i = 0, n = 0;

	while (i < st->title_len) {
		bool ok;
		size_t len = utf8_len(in + i, st->title_len - i, &ok);
		const char *c = ok ? st->title + i : fffd;
		size_t clen = ok ? len : sizeof(fffd) - 1;

		if (n + clen > sizeof(buf))
			break;
		memcpy(buf + n, c, clen);
		n += clen;
		i += len;
	}
	*title = NULL;
	if (!n)
		return PARSE_OK;
	*title = malloc(n + 1);
	if (!*title)
		return PARSE_NOMEM;
	memcpy(*title, buf, n);
	(*title)[n] = '\0';
	return PARSE_OK;
}

/* Some libxml2 errors have no parser context (a failed charset conversion,
 * for one) and go to the generic handler, which prints to stderr; a
 * structured handler, if the thread set one, would get every error. Both
 * are per thread in libxml2, so swap in silent ones for one parse and put
 * the caller's back after. */
struct quiet {
	xmlGenericErrorFunc generic;
	void *generic_ctx;
	xmlStructuredErrorFunc structured;
	void *structured_ctx;
};

static void ignore_generic(void *ctx, const char *msg, ...)
{
	(void)ctx;
	(void)msg;
}

static void ignore_structured(void *ctx, xmlErrorPtr err)
{
	(void)ctx;
	(void)err;
}

static void quiet_begin(struct quiet *q)
{
	q->generic = xmlGenericError;
	q->generic_ctx = xmlGenericErrorContext;
	q->structured = xmlStructuredError;
	q->structured_ctx = xmlStructuredErrorContext;
	xmlSetGenericErrorFunc(NULL, ignore_generic);
	xmlSetStructuredErrorFunc(NULL, ignore_structured);
}

static void quiet_end(const struct quiet *q)
{
	xmlSetGenericErrorFunc(q->generic_ctx, q->generic);
	xmlSetStructuredErrorFunc(q->structured_ctx, q->structured);
}

/* A charset from Content-Type beats <meta charset>: libxml2 leaves an
 * encoder it was given in place. Unknown names are ignored. */
static void use_charset(htmlParserCtxtPtr ctxt, const char *charset)
{
	xmlCharEncodingHandlerPtr enc;

	if (!charset)
		return;
	enc = xmlFindCharEncodingHandler(charset);
	if (enc)
		xmlSwitchToEncoding(ctxt, enc); /* owns enc from here on */
}

static htmlParserCtxtPtr new_ctxt(struct parse_state *st, const char *body,
				  int len, const char *charset)
{
	/* With no startDocument callback libxml2 builds no tree. */
	static const xmlSAXHandler sax = {
		.startElement = on_start,
		.endElement = on_end,
		.characters = on_text,
	};
	htmlParserCtxtPtr ctxt = htmlCreateMemoryParserCtxt(body, len);

	if (!ctxt)
		return NULL;
	*ctxt->sax = sax;
	ctxt->userData = st;
	htmlCtxtUseOptions(ctxt, PARSE_OPTIONS);
	/* htmlCreateMemoryParserCtxt leaves the charset unset, and then the
	 * first non-ASCII byte of a page with no <meta charset> switches the
	 * whole page to Latin-1. Start from UTF-8 instead, as htmlReadMemory
	 * does: libxml2 still falls back to Latin-1 at the first malformed
	 * sequence. */
	ctxt->charset = XML_CHAR_ENCODING_UTF8;
	use_charset(ctxt, charset);
	return ctxt;
}

/* libxml2 2.9.14 takes a NUL in the decoded input for its end and stops
 * there, having closed every open element. Skip the NULs and parse the rest
 * as a fresh document: only the open elements (say, a <title> cut in two)
 * are lost, not every link after the NUL. */
static void run(struct parse_state *st)
{
	htmlParserCtxtPtr ctxt = st->ctxt;
	xmlParserInputPtr in;

	for (;;) {
		htmlParseDocument(ctxt);
		in = ctxt->input;
		if (ctxt->instate == XML_PARSER_EOF || !in ||
		    in->cur >= in->end || *in->cur)
			break;
		while (in->cur < in->end && !*in->cur)
			in->cur++;
	}
	if (ctxt->errNo == XML_ERR_NO_MEMORY && st->status == PARSE_OK)
		st->status = PARSE_NOMEM;
}

static void parse_body(struct parse_state *st, const char *body, size_t len,
		       const char *charset)
{
	struct quiet q;

	/* libxml2 2.9 takes an int length: parse the first 2 GiB of anything
	 * bigger, as if the download had been cut short. */
	if (len > INT_MAX)
		len = INT_MAX;
	quiet_begin(&q);
	st->ctxt = new_ctxt(st, body, (int)len, charset);
	if (st->ctxt) {
		run(st);
		if (st->ctxt->myDoc)
			xmlFreeDoc(st->ctxt->myDoc);
		htmlFreeParserCtxt(st->ctxt);
		st->ctxt = NULL;
	} else {
		st->status = PARSE_FAILED;
	}
	quiet_end(&q);
}

void parse_global_init(void)
{
	xmlInitParser();
}

/* page_url not being an absolute http(s) URL breaks the contract: nothing
 * could be resolved against it, so that is PARSE_FAILED too. */
enum parse_status parse_html(const char *body, size_t len,
			     const char *page_url, const char *charset,
			     struct parse_result *out)
{
	struct parse_state st = { .out = out, .status = PARSE_OK };
	enum parse_status title_status;
	enum url_status us;

	memset(out, 0, sizeof(*out));
	st.page = url_base_new(page_url, &us);
	if (!st.page)
		return us == URL_NOMEM ? PARSE_NOMEM : PARSE_FAILED;
	/* htmlCreateMemoryParserCtxt refuses an empty buffer. */
	if (len)
		parse_body(&st, body, len, charset);
	title_status = title_finish(&st, &out->title);
	if (st.status == PARSE_OK)
		st.status = title_status;
	url_base_free(st.base);
	url_base_free(st.page);
	return st.status;
}

void parse_result_release(struct parse_result *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->nlinks; i++)
		free(r->links[i]);
	free(r->links);
	free(r->title);
	memset(r, 0, sizeof(*r));
}
