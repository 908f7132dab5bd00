/* parse: pull the links, the title and the robots directives out of an HTML
 * page.
 *
 * Runs libxml2's HTML parser in recover mode with no network access, as a
 * SAX pass (no tree is built). Links to pages come from a[href] (an SVG
 * <a xlink:href> too), area[href], frame[src], iframe[src], <link rel>
 * canonical, alternate, next, prev and search, and <meta
 * http-equiv=refresh>; links to the resources a page embeds come too,
 * flagged PARSE_LINK_RESOURCE: img src and srcset, source srcset (and src
 * in <video>/<audio>), <input type=image> src, SVG <image> and <use> href
 * or xlink:href (not a <use> of "#id", an element of the page), script,
 * video src and poster, audio, track, embed src, object data, <link rel>
 * stylesheet, icon, preload and the like, the imagesrcset of <link
 * rel=preload as=image>, the background of body and the table elements,
 * and the url()s and @imports of <style> elements and style="" attributes
 * (the css module's, also flagged PARSE_LINK_CSS). Not links: a form's
 * action or formaction (filled in, not fetched) and cite (a quotation's
 * source, which browsers never fetch). Anything inside a <template> is
 * inert and yields nothing. <base href> (the first one) changes what links are
 * resolved against. The pass cannot go back, so a <base> counts only for
 * the links after it (HTML applies it to the whole document, but puts it in
 * <head>, before any link). Each link is resolved and normalised with the url
 * module; only http(s) links are kept, in document order, duplicates
 * included. The title is the text of the first <title>, as UTF-8 with runs of
 * white space collapsed to one space and trimmed. The head's metadata comes
 * too: the description, the language, the canonical URL and the hreflang
 * alternates (each capped: PARSE_META_MAX bytes, PARSE_HREFLANG_MAX
 * alternates), and the robots directives.
 *
 * Thread-safe: parser threads call parse_html concurrently (call
 * parse_global_init once first). */
#ifndef CRAWLER_PARSE_H
#define CRAWLER_PARSE_H

#include <stdbool.h>
#include <stddef.h>

/* Longest description or language kept, in bytes; alternates kept. */
#define PARSE_META_MAX 4096
#define PARSE_HREFLANG_MAX 256

/* Bits of parse_result.flags[i], about links[i]; 0 is a page to crawl.
 * How a link was found (a record's "via") reads off RESOURCE and CSS: a
 * link (neither), a resource of the markup (RESOURCE), or a url() or
 * @import of CSS (both). */
enum parse_link_flag {
	PARSE_LINK_NOFOLLOW = 1 << 0, /* rel has the token "nofollow" */
	PARSE_LINK_RESOURCE = 1 << 1, /* embedded by the page, not a page */
	PARSE_LINK_CSS = 1 << 2,      /* from CSS: a stylesheet, <style>,
				       * style=""; always with RESOURCE */
};

struct parse_result {
	char *title;          /* malloc'd UTF-8, or NULL when the page has none */
	char **links;         /* malloc'd array of malloc'd canonical URLs */
	unsigned char *flags; /* malloc'd, PARSE_LINK_* bits of links[i] */
	size_t nlinks;        /* entries in links and in flags */
	size_t cap;           /* allocated entries in links and in flags */
	bool nofollow;        /* <meta name=robots> says nofollow or none */
	bool noindex;         /* <meta name=robots> says noindex or none */
	char *robots;         /* the contents of the <meta name=robots>,
				 joined with ","; malloc'd or NULL */
	char *description;    /* the first <meta name=description>'s content */
	char *lang;           /* the <html lang> */
	char *canonical;      /* the first <link rel=canonical>, resolved */
	char *hreflang;       /* <link rel=alternate hreflang> as pairs of
				 NUL-terminated strings, language then
				 resolved URL, one after the other */
	size_t hreflang_len;  /* bytes of hreflang, NULs included */
};

enum parse_status {
	PARSE_OK = 0,
	PARSE_NOMEM = 1,
	PARSE_FAILED = 2, /* libxml2 could not set up a parser */
};

/* Once per process, before any thread parses. */
void parse_global_init(void);

/* Parse body (len bytes, need not be NUL-terminated) fetched from page_url
 * (canonical). charset is the one the Content-Type header named, or NULL to
 * let the page say (<meta charset>) or fall back to libxml2's default.
 * *out is filled in and owned by the caller (parse_result_release), also on
 * error, when it holds what was found before the error. */
enum parse_status parse_html(const char *body, size_t len,
			     const char *page_url, const char *charset,
			     struct parse_result *out);

/* Whether a body served as HTML is really binary (an image, an archive, a
 * compressed stream): a known file signature, or many control bytes in its
 * first KiB. A stray NUL or two in a page does not make it binary. */
bool parse_looks_binary(const char *body, size_t len);

/* Append url (malloc'd, canonical; taken over, freed on failure) with
 * flags (PARSE_LINK_*) to r: for the other readers of a page's links, such
 * as css_parse. */
enum parse_status parse_result_add(struct parse_result *r, char *url,
				   unsigned char flags);

/* Frees what r holds, also after a caller took links away (links NULL,
 * nlinks 0, flags still set); r is left zeroed. Accepts NULL. */
void parse_result_release(struct parse_result *r);

#endif
