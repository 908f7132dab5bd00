/* parse: the step between fetching a page and queueing what it links to. A
 * worker hands over the body it fetched; one SAX pass of libxml2's HTML
 * parser picks out the link attributes, the url()s of inline CSS (<style>
 * and style="", through the css module), the robots <meta> and the first
 * <title>, and each link goes through the url module, so the frontier only
 * ever sees canonical http(s) URLs, each flagged as a page or a resource and
 * with its rel=nofollow. No tree is built: this runs on every page of a
 * crawl.
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

#include "css.h"
#include "url.h"
#include "utf8.h"

/* Longest title kept, in bytes of UTF-8. */
#define TITLE_MAX 4096

/* Most of a <style> element read for its url()s, in bytes; the rest of a
 * bigger one is ignored (a stylesheet that size is a file of its own). */
#define STYLE_MAX (1024 * 1024)

/* Recover from broken HTML, never touch the network, report nothing. No
 * NOBLANKS: with it, white space between a title's words could go to the
 * ignorableWhitespace callback instead of characters. */
#define PARSE_OPTIONS                                                   \
	(HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING | \
	 HTML_PARSE_NONET)

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* HTML's ASCII white space, which separates rel tokens and srcset parts. */
#define HTML_SPACE " \t\n\r\f"

struct parse_state {
	struct parse_result *out;
	htmlParserCtxtPtr ctxt;
	struct url_base *page;
	struct url_base *base; /* from the first <base href>; NULL: page */
	enum parse_status status;
	size_t template_depth; /* open <template>s */
	size_t media_depth;    /* open <video>s and <audio>s */
	bool base_seen;
	bool html_seen;
	size_t nhreflang;
	bool title_seen;
	bool in_title;
	bool title_gap; /* white space seen since the title's last byte */
	bool in_style;  /* inside a <style>, gathering its text */
	char *style;    /* malloc'd text of the open <style>, style_len bytes */
	size_t style_len;
	size_t style_cap;
	size_t title_len;
	/* Room for one UTF-8 sequence past TITLE_MAX, so the character that
	 * crosses the cap is seen whole (and cut) rather than as junk. */
	char title[TITLE_MAX + 4];
};

/* When a link_attrs row applies, beyond the element having the attribute.
 * A <link> is a resource when the page uses what it names (rel_embed), a
 * page when it names another version or part of the site (rel_page), and
 * nothing for the other rels (dns-prefetch, preconnect, pingback, author).
 * "alternate stylesheet" is a stylesheet. */
enum link_rule {
	RULE_ALWAYS,
	RULE_IN_MEDIA,  /* <source src> is a stream only in <video>/<audio> */
	RULE_REL_EMBED, /* only when rel has a token of rel_embed */
	RULE_REL_PAGE,  /* only when rel has one of rel_page and none of rel_embed */
	RULE_PRELOAD_IMAGE, /* only <link rel=preload as=image> (HTML) */
	RULE_TYPE_IMAGE,    /* only <input type=image>: other inputs have no
			       image, whatever their src says */
	RULE_EXTERNAL,  /* only a reference into another file: an SVG <use
			   href="#icon"> names an element of the page */
};

/* How the attribute holds its link(s). SVG 2 reads href, and the xlink:href
 * of SVG 1.1 only when there is no href; libxml2's HTML parser keeps the
 * prefixed name as written. */
enum link_value {
	VALUE_URL,      /* one URL */
	VALUE_SRCSET,   /* a srcset candidate list */
	VALUE_SVG_HREF, /* attr is "href": it, or else xlink:href */
};

static const char *const rel_embed[] = {
	"stylesheet", "icon", "apple-touch-icon", "apple-touch-icon-precomposed",
	"mask-icon", "manifest", "preload", "modulepreload", "prefetch",
};

static const char *const rel_page[] = {
	"canonical", "alternate", "next", "prev", "search",
};

/* Elements whose attribute holds a link, and what kind it is. libxml2's
 * HTML parser lowercases element and attribute names, so strcmp is enough.
 * An element's rows go in the order its links are reported. */
#define RES PARSE_LINK_RESOURCE
static const struct link_attr {
	const char *element;
	const char *attr;
	unsigned char flags; /* PARSE_LINK_* */
	enum link_rule rule;
	enum link_value value;
} link_attrs[] = {
	{ "a", "href", 0, RULE_ALWAYS, VALUE_SVG_HREF }, /* SVG's <a> too */
	{ "area", "href", 0, RULE_ALWAYS, VALUE_URL },
	{ "frame", "src", 0, RULE_ALWAYS, VALUE_URL },
	{ "iframe", "src", 0, RULE_ALWAYS, VALUE_URL },
	{ "img", "src", RES, RULE_ALWAYS, VALUE_URL },
	{ "img", "srcset", RES, RULE_ALWAYS, VALUE_SRCSET },
	{ "image", "href", RES, RULE_ALWAYS, VALUE_SVG_HREF },
	{ "use", "href", RES, RULE_EXTERNAL, VALUE_SVG_HREF },
	{ "input", "src", RES, RULE_TYPE_IMAGE, VALUE_URL },
	{ "script", "src", RES, RULE_ALWAYS, VALUE_URL },
	{ "link", "href", RES, RULE_REL_EMBED, VALUE_URL },
	{ "link", "href", 0, RULE_REL_PAGE, VALUE_URL },
	{ "link", "imagesrcset", RES, RULE_PRELOAD_IMAGE, VALUE_SRCSET },
	{ "video", "src", RES, RULE_ALWAYS, VALUE_URL },
	{ "video", "poster", RES, RULE_ALWAYS, VALUE_URL },
	{ "audio", "src", RES, RULE_ALWAYS, VALUE_URL },
	{ "source", "src", RES, RULE_IN_MEDIA, VALUE_URL },
	{ "source", "srcset", RES, RULE_ALWAYS, VALUE_SRCSET },
	{ "track", "src", RES, RULE_ALWAYS, VALUE_URL },
	{ "embed", "src", RES, RULE_ALWAYS, VALUE_URL },
	{ "object", "data", RES, RULE_ALWAYS, VALUE_URL },
};
#undef RES

/* The elements whose background attribute is an image (HTML, "The page":
 * an obsolete presentational hint browsers still honour). */
static const char *const background_elements[] = {
	"body", "table", "thead", "tbody", "tfoot", "tr", "td", "th",
};

static void stop(struct parse_state *st, enum parse_status status)
{
	st->status = status;
	/* No parser once the pass is over (a <style> left open is read then). */
	if (st->ctxt)
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

/* links and flags grow together; cap moves only once both have. */
static bool grow_links(struct parse_result *r)
{
	size_t cap = r->cap ? r->cap * 2 : 16;
	unsigned char *flags;
	char **links;

	if (cap > SIZE_MAX / sizeof(*links))
		return false;
	links = realloc(r->links, cap * sizeof(*links));
	if (!links)
		return false;
	r->links = links;
	flags = realloc(r->flags, cap);
	if (!flags)
		return false;
	r->flags = flags;
	r->cap = cap;
	return true;
}

static void add_link(struct parse_state *st, const char *ref,
		     unsigned char flags)
{
	enum url_status us;
	char *url;

	/* A megabyte-long href costs no more than URL_MAX_LEN bytes of
	 * looking: the url module measures no further. */
	us = url_base_resolve(st->base ? st->base : st->page, ref, &url);
	if (us == URL_NOMEM)
		stop(st, PARSE_NOMEM);
	if (us != URL_OK)
		return;
	if (parse_result_add(st->out, url, flags))
		stop(st, PARSE_NOMEM);
}

enum parse_status parse_result_add(struct parse_result *r, char *url,
				   unsigned char flags)
{
	if (r->nlinks == r->cap && !grow_links(r)) {
		free(url);
		return PARSE_NOMEM;
	}
	r->flags[r->nlinks] = flags;
	r->links[r->nlinks++] = url;
	return PARSE_OK;
}

/* A link that is part of a longer attribute value (srcset, refresh). */
static void add_link_part(struct parse_state *st, const char *ref,
			  size_t len, unsigned char flags)
{
	char *copy;

	if (len > URL_MAX_LEN)
		return;
	copy = strndup(ref, len);
	if (!copy) {
		stop(st, PARSE_NOMEM);
		return;
	}
	add_link(st, copy, flags);
	free(copy);
}

/* Only the first <base href> counts (HTML: "the first base element with an
 * href attribute"), even when it is unusable and the page URL stays. */
static void set_base(struct parse_state *st, const char *href)
{
	enum url_status us;
	char *abs;

	st->base_seen = true;
	us = url_base_resolve(st->page, href, &abs);
	if (us == URL_OK) {
		st->base = url_base_canonical(abs, &us);
		free(abs);
	}
	if (us == URL_NOMEM)
		stop(st, PARSE_NOMEM);
}

/* HTML's ASCII white space. The bytes are ASCII, so testing them one at a
 * time is safe even inside UTF-8. */
static bool is_html_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

static char ascii_lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* Whether s (n bytes) is lit (lowercase), ignoring ASCII case: HTML's
 * keywords compare that way, whatever the locale. */
static bool ascii_ieq(const char *s, size_t n, const char *lit)
{
	if (strlen(lit) != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (ascii_lower(s[i]) != lit[i])
			return false;
	return true;
}

/* Whether list, cut at any byte of seps into items each trimmed of white
 * space, holds tok (lowercase) in any case. rel is a set of space-separated
 * tokens; a robots <meta> content is comma-separated. */
static bool has_token(const char *list, const char *seps, const char *tok)
{
	for (;;) {
		size_t n = strcspn(list, seps);
		const char *item = list;
		size_t len = n;

		while (len && is_html_space((unsigned char)item[0])) {
			item++;
			len--;
		}
		while (len && is_html_space((unsigned char)item[len - 1]))
			len--;
		if (ascii_ieq(item, len, tok))
			return true;
		if (!list[n])
			return false;
		list += n + 1;
	}
}

/* Past a srcset candidate's descriptors ("2x", "100w"), to the comma that
 * ends it. HTML lets a descriptor hold a comma inside parentheses. */
static const char *skip_descriptors(const char *p)
{
	bool in_parens = false;

	for (; *p; p++) {
		if (*p == '(')
			in_parens = true;
		else if (*p == ')')
			in_parens = false;
		else if (*p == ',' && !in_parens)
			break;
	}
	return p;
}

/* HTML's srcset parsing: a candidate's URL runs to the next white space,
 * so a comma inside it is part of the URL, but commas that end it are not
 * ("a.png, b.png" is two URLs with no descriptors). */
static void add_srcset(struct parse_state *st, const char *set,
		       unsigned char flags)
{
	const char *p = set;

	for (;;) {
		size_t len, url_len;

		p += strspn(p, HTML_SPACE ",");
		if (!*p)
			return;
		len = strcspn(p, HTML_SPACE);
		url_len = len;
		while (p[url_len - 1] == ',')
			url_len--;
		add_link_part(st, p, url_len, flags);
		p += len;
		if (url_len == len)
			p = skip_descriptors(p);
	}
}

/* Where the URL of a refresh starts, following "url" "=" and a quote when
 * they are there (HTML's shared declarative refresh steps, from step 11).
 * *quote is the quote that ends it, or 0. "5; next.html" and "5; u.html"
 * are URLs too: a word that is not "url=" is the start of one. */
static const char *refresh_url_start(const char *s, char *quote)
{
	const char *rest = s;

	*quote = 0;
	if (ascii_lower(s[0]) == 'u') {
		if (ascii_lower(s[1]) != 'r' || ascii_lower(s[2]) != 'l')
			return rest;
		s += 3;
		s += strspn(s, HTML_SPACE);
		if (*s != '=')
			return rest;
		s++;
		s += strspn(s, HTML_SPACE);
	}
	if (*s == '\'' || *s == '"')
		*quote = *s++;
	return s;
}

/* A <meta http-equiv=refresh> content: "5; url=next.html" and its
 * variations ("0,URL='x'", "3 x"), or a bare delay, which reloads the page
 * itself and is no link. HTML's shared declarative refresh steps. */
static void add_refresh(struct parse_state *st, const char *content)
{
	const char *s = content + strspn(content, HTML_SPACE);
	size_t digits = strspn(s, "0123456789");
	char quote, end[2] = { 0 };
	size_t len;

	if (!digits && *s != '.')
		return;
	s += digits;
	s += strspn(s, "0123456789.");
	if (!*s || !strchr(";," HTML_SPACE, *s))
		return;
	s += strspn(s, HTML_SPACE);
	if (*s == ';' || *s == ',')
		s++;
	s += strspn(s, HTML_SPACE);
	if (!*s)
		return;
	s = refresh_url_start(s, &quote);
	end[0] = quote;
	len = strcspn(s, end);
	if (len)
		add_link_part(st, s, len, 0);
}

/* A copy of an attribute's value, at most PARSE_META_MAX bytes, trimmed
 * of white space; NULL when empty. An out of memory stops the parse. */
static char *meta_copy(struct parse_state *st, const char *v)
{
	size_t n;
	char *copy;

	v += strspn(v, HTML_SPACE);
	n = strnlen(v, PARSE_META_MAX);
	while (n && is_html_space((unsigned char)v[n - 1]))
		n--;
	if (!n)
		return NULL;
	copy = strndup(v, n);
	if (!copy)
		stop(st, PARSE_NOMEM);
	return copy;
}

/* Each robots <meta> adds its directives: HTML lets a page have several. */
static void add_robots(struct parse_state *st, const char *content)
{
	struct parse_result *r = st->out;
	size_t old = r->robots ? strlen(r->robots) : 0;
	size_t n = strnlen(content, PARSE_META_MAX);
	char *p;

	if (old + n > PARSE_META_MAX || !(p = realloc(r->robots, old + n + 2))) {
		if (old + n <= PARSE_META_MAX)
			stop(st, PARSE_NOMEM);
		return;
	}
	if (old)
		p[old++] = ',';
	memcpy(p + old, content, n);
	p[old + n] = '\0';
	r->robots = p;
}

/* The page's own metadata from <link>: its canonical URL (the first), and
 * its translations (rel=alternate with hreflang). Resolved like a link. */
static void head_link(struct parse_state *st, const xmlChar **atts)
{
	const char *rel = attr_value(atts, "rel"), *href = attr_value(atts, "href");
	const char *lang = attr_value(atts, "hreflang");
	struct parse_result *r = st->out;
	char *url = NULL;
	enum url_status us;
	size_t llen;

	if (!rel || !href)
		return;
	if (!r->canonical && has_token(rel, HTML_SPACE, "canonical")) {
		us = url_base_resolve(st->base ? st->base : st->page, href, &r->canonical);
		if (us == URL_NOMEM)
			stop(st, PARSE_NOMEM);
		return;
	}
	if (!lang || !has_token(rel, HTML_SPACE, "alternate") ||
	    st->nhreflang >= PARSE_HREFLANG_MAX)
		return;
	lang += strspn(lang, HTML_SPACE);
	llen = strcspn(lang, HTML_SPACE);
	if (!llen || llen > 64)
		return;
	us = url_base_resolve(st->base ? st->base : st->page, href, &url);
	if (us == URL_OK) {
		size_t ulen = strlen(url), at = r->hreflang_len;
		char *p = realloc(r->hreflang, at + llen + ulen + 2);

		if (p) {
			memcpy(p + at, lang, llen);
			p[at + llen] = '\0';
			memcpy(p + at + llen + 1, url, ulen + 1);
			r->hreflang = p;
			r->hreflang_len = at + llen + ulen + 2;
			st->nhreflang++;
		} else {
			us = URL_NOMEM;
		}
	}
	free(url);
	if (us == URL_NOMEM)
		stop(st, PARSE_NOMEM);
}

/* The first <html lang>: the page's language (HTML: the root element's). */
static void start_html(struct parse_state *st, const xmlChar **atts)
{
	const char *lang = attr_value(atts, "lang");

	if (st->html_seen)
		return;
	st->html_seen = true;
	if (lang)
		st->out->lang = meta_copy(st, lang);
}

/* Only name="robots" speaks to every crawler; a name for one crawler
 * ("googlebot") is not ours. */
static void start_meta(struct parse_state *st, const xmlChar **atts)
{
	const char *content = attr_value(atts, "content");
	const char *name = attr_value(atts, "name");
	const char *equiv = attr_value(atts, "http-equiv");
	struct parse_result *r = st->out;

	if (!content)
		return;
	if (name && ascii_ieq(name, strlen(name), "robots")) {
		bool none = has_token(content, ",", "none");

		r->nofollow |= none || has_token(content, ",", "nofollow");
		r->noindex |= none || has_token(content, ",", "noindex");
		add_robots(st, content);
	}
	if (name && !r->description &&
	    ascii_ieq(name, strlen(name), "description"))
		r->description = meta_copy(st, content);
	if (equiv && ascii_ieq(equiv, strlen(equiv), "refresh"))
		add_refresh(st, content);
}

static bool has_any_token(const char *rel, const char *const *toks, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (has_token(rel, HTML_SPACE, toks[i]))
			return true;
	return false;
}

/* Whether attribute name of atts is keyword (lowercase), in any case. */
static bool attr_is(const xmlChar **atts, const char *name, const char *keyword)
{
	const char *v = attr_value(atts, name);

	return v && ascii_ieq(v, strlen(v), keyword);
}

/* Whether v is a reference to the page itself ("#id"): HTML's white space
 * around it is stripped when it is parsed as a URL. */
static bool is_fragment_only(const char *v)
{
	return v[strspn(v, HTML_SPACE)] == '#';
}

/* Whether row la gives a link, its value v found in atts. */
static bool rule_holds(const struct parse_state *st, const struct link_attr *la,
		       const xmlChar **atts, const char *rel, const char *v)
{
	switch (la->rule) {
	case RULE_IN_MEDIA:
		return st->media_depth > 0;
	case RULE_REL_EMBED:
		return rel && has_any_token(rel, rel_embed, ARRAY_SIZE(rel_embed));
	case RULE_REL_PAGE:
		return rel && has_any_token(rel, rel_page, ARRAY_SIZE(rel_page)) &&
		       !has_any_token(rel, rel_embed, ARRAY_SIZE(rel_embed));
	case RULE_PRELOAD_IMAGE:
		return rel && has_token(rel, HTML_SPACE, "preload") &&
		       attr_is(atts, "as", "image");
	case RULE_TYPE_IMAGE:
		return attr_is(atts, "type", "image");
	case RULE_EXTERNAL:
		return !is_fragment_only(v);
	default:
		return true;
	}
}

/* The value of row la in atts, or NULL. */
static const char *row_value(const struct link_attr *la, const xmlChar **atts)
{
	const char *v = attr_value(atts, la->attr);

	if (!v && la->value == VALUE_SVG_HREF)
		v = attr_value(atts, "xlink:href");
	return v;
}

/* Whether name can be an element of link_attrs: most elements of a page
 * (p, div, td, li, h1) are ruled out by their first letter, before the
 * table's string compares (they were 4% of the crawl's CPU). */
static bool may_link(const char *name)
{
	switch (name[0]) {
	case 'a': case 'f': case 'i': case 'l': case 's': case 'u': case 'v':
		return true;
	case 'e':
		return !strcmp(name, "embed");
	case 'o':
		return !strcmp(name, "object");
	case 't': /* not td, tr, th, table, tbody */
		return !strcmp(name, "track");
	default:
		return false;
	}
}

/* A url() of inline CSS: a resource, resolved like the page's links. */
static enum css_status add_css_url(void *arg, const char *url, size_t len)
{
	struct parse_state *st = arg;

	(void)len;
	add_link(st, url, PARSE_LINK_RESOURCE | PARSE_LINK_CSS);
	return st->status == PARSE_OK ? CSS_OK : CSS_NOMEM;
}

static void add_css(struct parse_state *st, const char *css, size_t len)
{
	if (css_scan(css, len, add_css_url, st) == CSS_NOMEM)
		stop(st, PARSE_NOMEM);
}

static bool has_background(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(background_elements); i++)
		if (!strcmp(name, background_elements[i]))
			return true;
	return false;
}

/* The attributes any element may have that give links: style="" and, on
 * a few, background. One pass over the attributes, as every element of
 * the page comes here. */
static void add_common_links(struct parse_state *st, const char *name,
			     const xmlChar **atts)
{
	const char *style = NULL, *background = NULL;

	for (; atts && atts[0]; atts += 2) {
		const char *a = (const char *)atts[0];

		if (!style && !strcmp(a, "style"))
			style = (const char *)atts[1];
		else if (!background && !strcmp(a, "background"))
			background = (const char *)atts[1];
	}
	if (style)
		add_css(st, style, strlen(style));
	if (background && has_background(name))
		add_link(st, background, PARSE_LINK_RESOURCE);
}

static void add_element_links(struct parse_state *st, const char *name,
			      const xmlChar **atts)
{
	const char *rel;
	unsigned char nofollow = 0;
	const char *v;

	add_common_links(st, name, atts);
	if (!may_link(name))
		return;
	rel = attr_value(atts, "rel");
	if (rel && has_token(rel, HTML_SPACE, "nofollow"))
		nofollow = PARSE_LINK_NOFOLLOW;
	for (size_t i = 0; i < ARRAY_SIZE(link_attrs); i++) {
		const struct link_attr *la = &link_attrs[i];

		/* Every element walks the whole table: the first letter
		 * passes over most rows without a call. */
		if (name[0] != la->element[0] || strcmp(name, la->element) != 0 ||
		    !(v = row_value(la, atts)) || !rule_holds(st, la, atts, rel, v))
			continue;
		if (la->value == VALUE_SRCSET)
			add_srcset(st, v, la->flags | nofollow);
		else
			add_link(st, v, la->flags | nofollow);
	}
}

static bool is_media(const char *name)
{
	return !strcmp(name, "video") || !strcmp(name, "audio");
}

/* A <template>'s contents are an inert fragment, not part of the page
 * (HTML: they are parsed into a separate document): no links, no <base>,
 * no title, no robots <meta>, however deep. libxml2 2.9.14 knows nothing of
 * templates, so a stray end tag inside one for an element open around it
 * (</div>, </body>) ends the template there, as it would a <div>. */
static void on_start(void *user, const xmlChar *tag, const xmlChar **atts)
{
	struct parse_state *st = user;
	const char *name = (const char *)tag;
	const char *v;

	if (!strcmp(name, "template"))
		st->template_depth++;
	if (st->template_depth)
		return;
	if (!strcmp(name, "title")) {
		st->in_title = !st->title_seen;
		st->title_seen = true;
	} else if (!strcmp(name, "base")) {
		if (!st->base_seen && (v = attr_value(atts, "href")))
			set_base(st, v);
	} else if (!strcmp(name, "meta")) {
		start_meta(st, atts);
	} else if (!strcmp(name, "html")) {
		start_html(st, atts);
	} else if (!strcmp(name, "style")) {
		st->in_style = true;
		st->style_len = 0;
	} else {
		if (name[0] == 'l' && !strcmp(name, "link"))
			head_link(st, atts);
		st->media_depth += is_media(name);
		add_element_links(st, name, atts);
	}
}

/* A <style>'s text arrives in chunks; its url()s are read at its end. */
static void style_end(struct parse_state *st)
{
	st->in_style = false;
	add_css(st, st->style, st->style_len);
	st->style_len = 0;
}

static void style_put(struct parse_state *st, const xmlChar *text, int len)
{
	size_t n = (size_t)len, cap = st->style_cap ? st->style_cap : 4096;
	char *grown;

	if (n > STYLE_MAX - st->style_len)
		n = STYLE_MAX - st->style_len;
	if (!n)
		return;
	while (cap < st->style_len + n)
		cap *= 2;
	if (cap != st->style_cap) {
		grown = realloc(st->style, cap);
		if (!grown) {
			stop(st, PARSE_NOMEM);
			return;
		}
		st->style = grown;
		st->style_cap = cap;
	}
	memcpy(st->style + st->style_len, text, n);
	st->style_len += n;
}

/* libxml2 hands the text of <script> and <style> here, raw. */
static void on_raw_text(void *user, const xmlChar *text, int len)
{
	struct parse_state *st = user;

	if (st->in_style)
		style_put(st, text, len);
}

static void on_end(void *user, const xmlChar *tag)
{
	struct parse_state *st = user;
	const char *name = (const char *)tag;

	if (!strcmp(name, "template") && st->template_depth) {
		st->template_depth--;
		return;
	}
	if (st->template_depth)
		return;
	if (st->in_title && !strcmp(name, "title"))
		st->in_title = false;
	else if (st->in_style && !strcmp(name, "style"))
		style_end(st);
	else if (is_media(name) && st->media_depth)
		st->media_depth--;
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
		size_t len = utf8_char(in + i, st->title_len - i, &ok);
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
		.cdataBlock = on_raw_text,
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
 * as a fresh document: only the open elements are lost (a <title> cut in
 * two; a <template> or <video> open at the NUL ends there), not every link
 * after the NUL. */
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
	st.page = url_base_canonical(page_url, &us);
	if (!st.page)
		return us == URL_NOMEM ? PARSE_NOMEM : PARSE_FAILED;
	/* htmlCreateMemoryParserCtxt refuses an empty buffer. */
	if (len)
		parse_body(&st, body, len, charset);
	/* A page cut inside a <style> keeps the url()s of what arrived. */
	if (st.in_style && st.status == PARSE_OK)
		style_end(&st);
	free(st.style);
	title_status = title_finish(&st, &out->title);
	if (st.status == PARSE_OK)
		st.status = title_status;
	url_base_free(st.base);
	url_base_free(st.page);
	return st.status;
}

/* Bodies that start like this are files, whatever the Content-Type. */
static bool has_binary_signature(const unsigned char *b, size_t len)
{
#define SIG(s) { s, sizeof(s) - 1 }
	static const struct {
		const char *bytes;
		size_t len;
	} sigs[] = {
		SIG("\x89PNG"),
		SIG("GIF8"),
		SIG("\xff\xd8\xff"), /* JPEG */
		SIG("%PDF-"),
		SIG("PK\x03\x04"), /* zip */
		SIG("\x1f\x8b"),    /* gzip */
		SIG("\0\0\1\0"),  /* ico */
	};
#undef SIG

	for (size_t i = 0; i < ARRAY_SIZE(sigs); i++)
		if (len >= sigs[i].len && !memcmp(b, sigs[i].bytes, sigs[i].len))
			return true;
	return false;
}

/* The WHATWG MIME Sniffing standard's "binary data byte": a control byte
 * that text does not use. ESC (0x1B) is left out, as there: ISO-2022-JP
 * text is full of it. */
static bool is_binary_byte(unsigned char c)
{
	return c <= 0x08 || c == 0x0B || (c >= 0x0E && c <= 0x1A) ||
	       (c >= 0x1C && c <= 0x1F);
}

/* Random or compressed bytes are binary bytes about one time in ten
 * (27 of 256 values), so the cut is at one in sixteen, well below that and
 * far above the stray NUL of a hostile page. UTF-16 text is half NULs but
 * text all the same; libxml2 reads it by its byte order mark. */
bool parse_looks_binary(const char *body, size_t len)
{
	const unsigned char *b = (const unsigned char *)body;
	size_t n = len < 1024 ? len : 1024, binary = 0;

	if (!len)
		return false;
	if (has_binary_signature(b, len))
		return true;
	if (len >= 2 && ((b[0] == 0xFF && b[1] == 0xFE) ||
			 (b[0] == 0xFE && b[1] == 0xFF)))
		return false;
	for (size_t i = 0; i < n; i++)
		binary += is_binary_byte(b[i]);
	return binary * 16 > n;
}

void parse_result_release(struct parse_result *r)
{
	if (!r)
		return;
	for (size_t i = 0; r->links && i < r->nlinks; i++)
		free(r->links[i]);
	free(r->links);
	free(r->flags);
	free(r->title);
	free(r->robots);
	free(r->description);
	free(r->lang);
	free(r->canonical);
	free(r->hreflang);
	memset(r, 0, sizeof(*r));
}
