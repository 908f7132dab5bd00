/* site: the generated web site served to integration tests, `make demo` and
 * the benchmark, a pure function of struct site and the path asked for.
 *
 * Every choice comes from splitmix64 of (seed, page, what is being chosen),
 * so there is no state and any thread may build any page at any time. A
 * page's links are computed once, as pairs of the href written into the
 * HTML and the path it resolves to; the HTML writer and site_links both
 * read that one list, so the graph the tests walk is the one served.
 *
 * Page 0 is also served at "/", where relative hrefs would resolve to other
 * paths than under /p/; its links therefore use only root-relative and
 * absolute forms, and nothing links to "/" itself. */
#include "site.h"

#include <brotli/encode.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

/* One page in this many links to the special paths. */
#define SITE_SPECIAL_EVERY 20
/* k in /missing/<k>.html, /r/<k>, /files/<k>.bin: few, so they recur. */
#define SITE_SPECIAL_KEYS 8
#define SITE_SPECIAL_KINDS 4
#define SITE_LINKS_PER_SECTION 6
#define SITE_HREF_MAX 160
/* k in /css/<k>.css, /img/bg<k>.png; and /img/<k>.png, as pages name them. */
#define SITE_CSS_KEYS 4
#define SITE_IMG_KEYS 5

enum site_salt {
	SALT_SPECIAL_PAGE = 1,
	SALT_TARGET,
	SALT_FORM,
	SALT_SPECIAL,
	SALT_TEXT,
	SALT_BINARY,
};

enum site_form {
	FORM_RELATIVE, /* "17.html" */
	FORM_ROOT,     /* "/p/17.html" */
	FORM_ABSOLUTE, /* origin + "/p/17.html" */
	FORM_FRAGMENT, /* "17.html#sec1" */
	FORM_DOTS,     /* "../p/./17.html" */
	FORM_COUNT,
	FORM_SELF,     /* "#top", only for a page's link to itself */
};

enum site_kind {
	KIND_NONE,
	KIND_PAGE,
	KIND_MISSING,
	KIND_REDIRECT,  /* /r/<k> */
	KIND_REDIRECT2, /* /r2/<k> */
	KIND_LOOP_A,
	KIND_LOOP_B,
	KIND_FILE,
	KIND_CSS,       /* /css/<k>.css, with assets */
	KIND_IMAGE,     /* /img/..., with assets */
};

struct site_link {
	char href[SITE_HREF_MAX];
	char target[64];
	const char *text;
};

struct site_buf {
	char *p;
	size_t len, cap;
	bool failed;
};

static const char *const site_words[] = {
	"crawler", "frontier", "politeness", "robots", "anchor", "harvest",
	"archive", "graph", "queue", "worker", "fetch", "parse", "canonical",
	"fragment", "redirect", "budget", "latency", "origin", "document",
	"resolve", "visited", "breadth", "depth", "index", "network", "server",
	"client", "request", "response", "header", "cycle", "page",
};

#define SITE_NWORDS (sizeof(site_words) / sizeof(site_words[0]))

static uint64_t splitmix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15u;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9u;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebu;
	return x ^ (x >> 31);
}

/* The choice numbered what on page (or key) n. */
static uint64_t site_pick(const struct site *site, uint64_t n, uint64_t what)
{
	return splitmix(splitmix(site->seed ^ splitmix(n)) ^ what);
}

static uint64_t slot(unsigned salt, size_t j)
{
	return (uint64_t)j << 8 | salt;
}

static bool page_is_special(const struct site *site, size_t i)
{
	/* Page 1 always is, so even a small test site has every special. */
	uint64_t r = site_pick(site, i, SALT_SPECIAL_PAGE);

	return site->specials && site->pages > 1 &&
	       (i == 1 || r % SITE_SPECIAL_EVERY == 0);
}

/* The href for target (root-relative) in form, from page i. Relative forms
 * would resolve elsewhere from "/", so page 0 writes root-relative ones. */
static void write_href(const struct site *site, size_t i, enum site_form form,
		       const char *target, char *href)
{
	bool in_p = strncmp(target, "/p/", 3) == 0;
	const char *rest = strchr(target + 1, '/'); /* after "/p" */
	int n;

	if (i == 0 && form != FORM_ABSOLUTE && form != FORM_FRAGMENT)
		form = FORM_ROOT;
	if (form == FORM_ABSOLUTE && !site->origin)
		form = FORM_ROOT;
	switch (form) {
	case FORM_SELF:
		n = snprintf(href, SITE_HREF_MAX, "#top");
		break;
	case FORM_RELATIVE:
		n = in_p ? snprintf(href, SITE_HREF_MAX, "%s", target + 3) :
			   snprintf(href, SITE_HREF_MAX, "..%s", target);
		break;
	case FORM_ABSOLUTE:
		n = snprintf(href, SITE_HREF_MAX, "%s%s", site->origin, target);
		break;
	case FORM_FRAGMENT:
		n = snprintf(href, SITE_HREF_MAX, "%s#sec1",
			     in_p && i > 0 ? target + 3 : target);
		break;
	case FORM_DOTS:
		n = snprintf(href, SITE_HREF_MAX, "..%.*s/.%s",
			     (int)(rest - target), target, rest);
		break;
	default:
		n = snprintf(href, SITE_HREF_MAX, "%s", target);
		break;
	}
	if (n < 0 || n >= SITE_HREF_MAX) /* an origin too long to fit */
		snprintf(href, SITE_HREF_MAX, "%s", target);
}

static void special_link(const struct site *site, size_t i, size_t j,
			 unsigned kind, struct site_link *l)
{
	static const char *const text[SITE_SPECIAL_KINDS] = {
		"a page that went away", "an old address", "the maze",
		"the data file",
	};
	uint64_t k = site_pick(site, i, slot(SALT_SPECIAL, j)) %
		     SITE_SPECIAL_KEYS;

	switch (kind) {
	case 0:
		snprintf(l->target, sizeof(l->target), "/missing/%u.html",
			 (unsigned)k);
		break;
	case 1:
		snprintf(l->target, sizeof(l->target), "/r/%u", (unsigned)k);
		break;
	case 2:
		snprintf(l->target, sizeof(l->target), "/loop/a");
		break;
	default:
		snprintf(l->target, sizeof(l->target), "/files/%u.bin",
			 (unsigned)k);
		break;
	}
	l->text = text[kind];
}

/* The page that link j of page i goes to: the i+1 chain first (the last
 * page closes the ring at 0), then back links, random pages and, as
 * "#top", the page itself. */
static size_t page_target(const struct site *site, size_t i, size_t j,
			  enum site_form *form)
{
	uint64_t r = site_pick(site, i, slot(SALT_TARGET, j));

	if (j == 0)
		return i + 1 < site->pages ? i + 1 : 0;
	if (i > 0 && r % 8 == 7) {
		*form = FORM_SELF;
		return i;
	}
	if (i > 0 && r % 8 < 3)
		return (r >> 8) % i;
	return (r >> 8) % site->pages;
}

/* Link j of page i; on special pages the last few go to special paths. */
static void page_link(const struct site *site, size_t i, size_t j,
		      struct site_link *l)
{
	size_t n = site->links;
	size_t nspecial = 0;
	enum site_form form = site_pick(site, i, slot(SALT_FORM, j)) %
			      FORM_COUNT;
	size_t to;

	if (page_is_special(site, i))
		nspecial = n - 1 < SITE_SPECIAL_KINDS ? n - 1 :
			   SITE_SPECIAL_KINDS;
	if (j >= n - nspecial) {
		special_link(site, i, j, (j - (n - nspecial) + i) %
			     SITE_SPECIAL_KINDS, l);
	} else {
		to = page_target(site, i, j, &form);
		snprintf(l->target, sizeof(l->target), "/p/%zu.html", to);
		l->text = to == i ? "back to the top" :
			  to < i ? "an earlier page" : "further on";
	}
	write_href(site, i, form, l->target, l->href);
}

static struct site_link *page_links(const struct site *site, size_t i)
{
	struct site_link *links = calloc(site->links ? site->links : 1,
					 sizeof(*links));

	for (size_t j = 0; links && j < site->links; j++)
		page_link(site, i, j, &links[j]);
	return links;
}

static void buf_add(struct site_buf *b, const char *s, size_t n)
{
	if (b->failed)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		char *p;

		while (cap < b->len + n + 1)
			cap *= 2;
		p = realloc(b->p, cap);
		if (!p) {
			b->failed = true;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

#define buf_add_lit(b, s) buf_add(b, s, sizeof(s) - 1)

__attribute__((format(printf, 2, 3)))
static void buf_printf(struct site_buf *b, const char *fmt, ...)
{
	char small[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(small))
		b->failed = true;
	else
		buf_add(b, small, (size_t)n);
}

/* About n bytes of sentences; *state walks the page's own word stream. */
static void filler(struct site_buf *b, uint64_t *state, size_t n)
{
	size_t start = b->len;

	while (b->len - start < n && !b->failed) {
		size_t words = 6 + splitmix(++*state) % 9;

		for (size_t w = 0; w < words; w++) {
			const char *word = site_words[splitmix(++*state) %
						      SITE_NWORDS];

			/* No printf per word: this is most of a page, and
			 * the bench server's ceiling depends on it. */
			char first = (char)(word[0] - 'a' + 'A');

			if (w == 0) {
				buf_add(b, &first, 1);
			} else {
				buf_add_lit(b, " ");
				buf_add(b, word, 1);
			}
			buf_add(b, word + 1, strlen(word + 1));
		}
		buf_add_lit(b, ". ");
	}
}

static void write_section(struct site_buf *b, const struct site_link *links,
			  size_t from, size_t to, size_t sec, uint64_t *state,
			  size_t text_bytes)
{
	buf_printf(b, "<h2 id=\"sec%zu\">Section %zu</h2>\n<p>", sec, sec);
	filler(b, state, text_bytes);
	if (sec % 2) {
		buf_add_lit(b, "</p>\n<ul>\n");
		for (size_t j = from; j < to; j++)
			buf_printf(b, "<li><a href=\"%s\">%s</a></li>\n",
				   links[j].href, links[j].text);
		buf_add_lit(b, "</ul>\n");
		return;
	}
	for (size_t j = from; j < to; j++)
		buf_printf(b, " See <a href=\"%s\">%s</a> &amp; %s.",
			   links[j].href, links[j].text,
			   site_words[(j + sec) % 8]);
	buf_add_lit(b, "</p>\n");
}

static void write_page(const struct site *site, size_t i,
		       const struct site_link *links, struct site_buf *b)
{
	size_t n = site->links;
	size_t nsec = (n + SITE_LINKS_PER_SECTION - 1) / SITE_LINKS_PER_SECTION;
	size_t markup = 400 + n * 60;
	size_t text = site->page_bytes > markup ? site->page_bytes - markup : 0;
	uint64_t state = site_pick(site, i, SALT_TEXT);

	buf_printf(b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
		   "<meta charset=\"utf-8\">\n<title>Page %zu</title>\n", i);
	if (site->assets)
		buf_printf(b, "<link rel=\"stylesheet\" href=\"/css/%zu.css\">\n",
			   i % SITE_CSS_KEYS);
	buf_printf(b, "</head>\n<body>\n<h1 id=\"top\">Page %zu</h1>\n", i);
	buf_printf(b, "<!-- generated page %zu of %zu, seed %llu -->\n", i,
		   site->pages, (unsigned long long)site->seed);
	buf_printf(b, "<img src=\"/img/%zu.png\" alt=\"figure %zu\">\n",
		   i % 5, i);
	for (size_t s = 0; s < nsec; s++) {
		size_t from = s * SITE_LINKS_PER_SECTION;
		size_t to = from + SITE_LINKS_PER_SECTION < n ?
			    from + SITE_LINKS_PER_SECTION : n;

		write_section(b, links, from, to, s + 1, &state,
			      text / (nsec + 1));
		if (s == 0)
			buf_add_lit(b, "<p><img src=\"/img/logo.png\" "
				    "alt=\"\"></p>\n");
	}
	buf_add_lit(b, "<p>");
	filler(b, &state, site->page_bytes > b->len + 30 ?
		   site->page_bytes - b->len - 30 : 0);
	buf_add_lit(b, "</p>\n</body>\n</html>\n");
}

/* A decimal with no sign and no leading zero, then exactly suffix. */
static bool parse_index(const char *s, const char *suffix, size_t *out)
{
	size_t v = 0, len = strspn(s, "0123456789");

	if (len == 0 || len > 9 || (s[0] == '0' && len > 1) ||
	    strcmp(s + len, suffix) != 0)
		return false;
	for (size_t k = 0; k < len; k++)
		v = v * 10 + (size_t)(s[k] - '0');
	*out = v;
	return true;
}

/* /img/logo.png, /img/bg<k>.png or /img/<k>.png (after "/img/"). */
static bool is_image(const char *name)
{
	size_t k;

	if (strcmp(name, "logo.png") == 0)
		return true;
	if (strncmp(name, "bg", 2) == 0)
		return parse_index(name + 2, ".png", &k) && k < SITE_CSS_KEYS;
	return parse_index(name, ".png", &k) && k < SITE_IMG_KEYS;
}

static enum site_kind classify_asset(const char *path, size_t *k)
{
	if (strncmp(path, "/css/", 5) == 0 && parse_index(path + 5, ".css", k) &&
	    *k < SITE_CSS_KEYS)
		return KIND_CSS;
	if (strncmp(path, "/img/", 5) == 0 && is_image(path + 5))
		return KIND_IMAGE;
	return KIND_NONE;
}

static enum site_kind classify(const struct site *site, const char *path,
			       size_t *k)
{
	enum site_kind asset;

	*k = 0;
	if (site->assets && (asset = classify_asset(path, k)) != KIND_NONE)
		return asset;
	if (strcmp(path, "/") == 0)
		return site->pages ? KIND_PAGE : KIND_NONE;
	if (strncmp(path, "/p/", 3) == 0 && parse_index(path + 3, ".html", k))
		return *k < site->pages ? KIND_PAGE : KIND_NONE;
	if (!site->specials || !site->pages)
		return KIND_NONE;
	if (strncmp(path, "/missing/", 9) == 0 &&
	    parse_index(path + 9, ".html", k))
		return KIND_MISSING;
	if (strcmp(path, "/loop/a") == 0)
		return KIND_LOOP_A;
	if (strcmp(path, "/loop/b") == 0)
		return KIND_LOOP_B;
	if (strncmp(path, "/r/", 3) == 0 && parse_index(path + 3, "", k) &&
	    *k < SITE_SPECIAL_KEYS)
		return KIND_REDIRECT;
	if (strncmp(path, "/r2/", 4) == 0 && parse_index(path + 4, "", k) &&
	    *k < SITE_SPECIAL_KEYS)
		return KIND_REDIRECT2;
	if (strncmp(path, "/files/", 7) == 0 &&
	    parse_index(path + 7, ".bin", k) && *k < SITE_SPECIAL_KEYS)
		return KIND_FILE;
	return KIND_NONE;
}

unsigned site_status(const struct site *site, const char *path,
		     char *location)
{
	size_t k;

	switch (classify(site, path, &k)) {
	case KIND_PAGE:
	case KIND_FILE:
	case KIND_CSS:
	case KIND_IMAGE:
		return 200;
	case KIND_REDIRECT:
		snprintf(location, 64, "/r2/%zu", k);
		return 301;
	case KIND_REDIRECT2:
		snprintf(location, 64, "/p/%zu.html", k % site->pages);
		return 302;
	case KIND_LOOP_A:
		snprintf(location, 64, "/loop/b");
		return 301;
	case KIND_LOOP_B:
		snprintf(location, 64, "/loop/a");
		return 301;
	default:
		return 404;
	}
}

size_t site_links(const struct site *site, size_t i, char (*out)[64],
		  size_t max)
{
	struct site_link *links;

	if (i >= site->pages)
		return 0;
	links = page_links(site, i);
	if (!links)
		return 0;
	for (size_t j = 0; j < site->links && j < max; j++)
		memcpy(out[j], links[j].target, sizeof(out[j]));
	free(links);
	return site->links;
}

static bool page_reply(const struct site *site, size_t i,
		       struct testsrv_reply *reply, void **free_body)
{
	struct site_buf b = { 0 };
	struct site_link *links = page_links(site, i);

	if (links)
		write_page(site, i, links, &b);
	free(links);
	if (!links || b.failed) {
		free(b.p);
		reply->status = 500;
		return true;
	}
	reply->body = b.p;
	reply->body_len = b.len;
	*free_body = (void *)free;
	return true;
}

/* Not HTML: a binary magic, a NUL early on, and bytes above 0x7f. */
static bool file_reply(const struct site *site, size_t k,
		       struct testsrv_reply *reply, void **free_body)
{
	size_t len = 256 + k * 40;
	unsigned char *p = malloc(len);

	if (!p) {
		reply->status = 500;
		return true;
	}
	for (size_t n = 0; n < len; n++) {
		uint64_t r = site_pick(site, k, slot(SALT_BINARY, n / 8));

		p[n] = (unsigned char)(r >> (n % 8 * 8));
	}
	memcpy(p, "\x89" "CRW\r\n\x1a\n\0", 9);
	reply->content_type = "application/octet-stream";
	reply->body = (const char *)p;
	reply->body_len = len;
	*free_body = (void *)free;
	return true;
}

/* A stylesheet whose url()s name two images, one root-relative and one
 * relative to /css/. */
static bool css_reply(size_t k, struct testsrv_reply *reply, void **free_body)
{
	char *p;

	if (asprintf(&p, "body { background: url(/img/bg%zu.png) no-repeat; }\n"
			 "h1 { background-image: url(\"../img/%zu.png\"); }\n",
		     k, k % SITE_IMG_KEYS) < 0) {
		reply->status = 500;
		return true;
	}
	reply->content_type = "text/css";
	reply->body = p;
	*free_body = (void *)free;
	return true;
}

/* A PNG signature and a few bytes of the path, so images differ. */
static bool image_reply(const char *path, struct testsrv_reply *reply,
			void **free_body)
{
	char *p;
	int n = asprintf(&p, "\x89PNG\r\n\x1a\n%s", path);

	if (n < 0) {
		reply->status = 500;
		return true;
	}
	reply->content_type = "image/png";
	reply->body = p;
	reply->body_len = (size_t)n;
	*free_body = (void *)free;
	return true;
}

/* The coding the body of path (kind, k) goes out in, or NULL. */
static const char *coding_for(const struct site *site, enum site_kind kind, size_t k,
			      const char *accept)
{
	const char *c = NULL;

	if (!site->encodings || !accept)
		return NULL;
	if (kind == KIND_PAGE)
		c = k % 3 == 1 ? "gzip" : k % 3 == 2 ? "br" : NULL;
	else if (kind == KIND_CSS)
		c = k % 2 ? "gzip" : NULL;
	return c && strstr(accept, c) ? c : NULL;
}

static char *gzip_of(const char *in, size_t n, size_t *outlen)
{
	z_stream z = { 0 };
	char *out = NULL;

	if (deflateInit2(&z, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return NULL;
	*outlen = deflateBound(&z, (uLong)n);
	if ((out = malloc(*outlen))) {
		z.next_in = (Bytef *)(uintptr_t)in;
		z.avail_in = (uInt)n;
		z.next_out = (Bytef *)out;
		z.avail_out = (uInt)*outlen;
		if (deflate(&z, Z_FINISH) == Z_STREAM_END) {
			*outlen = z.total_out;
		} else {
			free(out);
			out = NULL;
		}
	}
	deflateEnd(&z);
	return out;
}

/* Quality 5: brotli's default 11 would be most of a test's CPU. */
static char *br_of(const char *in, size_t n, size_t *outlen)
{
	char *out;

	*outlen = BrotliEncoderMaxCompressedSize(n);
	if (!*outlen || !(out = malloc(*outlen)))
		return NULL;
	if (!BrotliEncoderCompress(5, BROTLI_DEFAULT_WINDOW, BROTLI_MODE_TEXT, n,
				   (const uint8_t *)in, outlen, (uint8_t *)out)) {
		free(out);
		return NULL;
	}
	return out;
}

/* The reply's body (malloc'd, freed with free) in coding instead; left as
 * it is when the encoder fails. */
static void encode_reply(const char *coding, struct testsrv_reply *reply)
{
	size_t n = reply->body_len ? reply->body_len : strlen(reply->body), len;
	char *enc = strcmp(coding, "gzip") == 0 ? gzip_of(reply->body, n, &len) :
						  br_of(reply->body, n, &len);

	if (!enc)
		return;
	free((void *)reply->body);
	reply->body = enc;
	reply->body_len = len;
	reply->headers = strcmp(coding, "gzip") == 0 ?
				 "Content-Encoding: gzip\nVary: Accept-Encoding\n" :
				 "Content-Encoding: br\nVary: Accept-Encoding\n";
}

/* One block holds the short body and, after it, the Location: the body is
 * what free_body frees, and the header is copied before that. */
static bool redirect_reply(unsigned status, const char *location,
			   struct testsrv_reply *reply, void **free_body)
{
	static const char body[] =
		"<!DOCTYPE html>\n<html><head><title>Moved</title></head>"
		"<body><p>Moved.</p></body></html>\n";
	char *p = malloc(sizeof(body) + 64);

	if (!p) {
		reply->status = 500;
		return true;
	}
	memcpy(p, body, sizeof(body));
	snprintf(p + sizeof(body), 64, "%s", location);
	reply->status = status;
	reply->body = p;
	reply->body_len = sizeof(body) - 1;
	reply->location = p + sizeof(body);
	*free_body = (void *)free;
	return true;
}

bool site_handler(void *arg, const char *path, struct testsrv_reply *reply,
		  void **free_body)
{
	const struct site *site = arg;
	char location[64];
	size_t k;
	enum site_kind kind = classify(site, path, &k);
	const char *coding = coding_for(site, kind, k, reply->accept_encoding);

	switch (kind) {
	case KIND_PAGE:
		page_reply(site, k, reply, free_body);
		if (coding && reply->status == 0)
			encode_reply(coding, reply);
		return true;
	case KIND_CSS:
		css_reply(k, reply, free_body);
		if (coding && reply->status == 0)
			encode_reply(coding, reply);
		return true;
	case KIND_IMAGE:
		return image_reply(path, reply, free_body);
	case KIND_FILE:
		return file_reply(site, k, reply, free_body);
	case KIND_REDIRECT:
	case KIND_REDIRECT2:
	case KIND_LOOP_A:
	case KIND_LOOP_B:
		return redirect_reply(site_status(site, path, location),
				      location, reply, free_body);
	default:
		return false;
	}
}
