/* robots: parse a robots.txt body once into the rules of the group that
 * applies to us, then answer path queries against them.
 *
 * Parsing is one pass over whole lines. Every rule inside a group that names
 * us or "*" is kept, tagged with which of the two it belongs to; at the end
 * the rules of the losing kind are dropped and the rest sorted longest first
 * (Allow first on a tie), so a query stops at the first rule that matches.
 * Patterns are stored in the percent-normal form of RFC 9309 section 2.2.2,
 * and each query path is brought into the same form before comparison. */
#include "robots.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "url.h"

/* Longer lines are skipped whole rather than cut: a cut Disallow would be a
 * shorter pattern, blocking more than was written. No real rule is this
 * long, so such a line is garbage, or an attempt to make us work. */
#define ROBOTS_MAX_LINE 2048

/* A query path normalised into this much stack needs no malloc. */
#define ROBOTS_PATH_STACK 1024

/* Crawl-delay beyond this many seconds (about 31 years) is clamped so the
 * milliseconds fit an int64_t. */
#define ROBOTS_MAX_DELAY_S 1000000000LL

enum { GROUP_OWN = 1, GROUP_STAR = 2 };

enum key {
	KEY_OTHER, /* not in RFC 9309 or ours to use: ignored */
	KEY_AGENT,
	KEY_ALLOW,
	KEY_DISALLOW,
	KEY_DELAY,
	KEY_SITEMAP,
};

static const struct {
	const char *name;
	enum key key;
} keys[] = {
	{ "user-agent", KEY_AGENT },
	{ "allow", KEY_ALLOW },
	{ "disallow", KEY_DISALLOW },
	{ "crawl-delay", KEY_DELAY },
	{ "sitemap", KEY_SITEMAP },
};

struct robots_rule {
	char *pattern;        /* normal form without a final '$'; NUL-terminated */
	size_t len;           /* bytes in pattern */
	size_t octets;        /* length as written, '$' included: longest wins */
	bool anchored;        /* pattern ended in '$': must match the whole path */
	bool allow;           /* Allow, else Disallow */
	unsigned char groups; /* GROUP_OWN | GROUP_STAR; used while parsing */
};

struct robots {
	struct robots_rule *rules; /* longest first, Allow first on a tie */
	size_t nrules;
	size_t rules_cap;
	char **sitemaps;           /* as written, in file order */
	size_t nsitemaps;
	size_t sitemaps_cap;
	int64_t crawl_delay_ms;    /* -1: none */
};

/* A run of bytes that is not NUL-terminated where it ends. */
struct span {
	const char *s;
	size_t len;
};

struct parser {
	struct robots *r;
	struct span agent;      /* our product token */
	unsigned char group;    /* whom the current group names: GROUP_* bits */
	bool in_group;          /* a user-agent line has been seen */
	bool in_rules;          /* a rule followed the group's user-agent lines */
	bool own_found;         /* some group names us: "*" groups do not apply */
	int64_t own_delay_ms;   /* first valid Crawl-delay of our groups; -1 */
	int64_t star_delay_ms;  /* first valid Crawl-delay of "*" groups; -1 */
	bool nomem;
};

static bool is_token_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' ||
	       c == '-';
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static size_t token_len(const char *s, size_t len)
{
	size_t n = 0;

	while (n < len && is_token_char(s[n]))
		n++;
	return n;
}

static struct span trim(const char *s, size_t len)
{
	while (len && is_blank(*s)) {
		s++;
		len--;
	}
	while (len && is_blank(s[len - 1]))
		len--;
	return (struct span){ s, len };
}

/* v with room for n + 1 elements of size bytes (doubling *cap), or NULL
 * when out of memory (v is then unchanged). */
static void *grow(void *v, size_t *cap, size_t n, size_t size)
{
	size_t ncap = *cap ? *cap * 2 : 8;

	if (n < *cap)
		return v;
	v = realloc(v, ncap * size);
	if (v)
		*cap = ncap;
	return v;
}

/* Wildcard match of pattern p against the start of s (all of s when
 * anchored). '*' is the only metacharacter (RFC 9309 section 2.2.3). On a
 * mismatch only the last '*' seen retries, one byte further on: the text
 * before it already matched at its earliest place, and a longer match of an
 * earlier '*' is something the last one can absorb. No recursion, and at
 * worst O(len(p) * len(s)) whatever the pattern, even "a*a*a*a*b". */
static bool wildcard_match(const char *p, size_t plen, bool anchored,
			   const char *s, size_t slen)
{
	size_t i = 0, j = 0, star = (size_t)-1, resume = 0;

	while (i < slen) {
		if (j == plen && !anchored)
			return true;
		if (j < plen && p[j] == '*') {
			star = j++;
			resume = i;
		} else if (j < plen && p[j] == s[i]) {
			i++;
			j++;
		} else if (star != (size_t)-1) {
			j = star + 1;
			i = ++resume;
		} else {
			return false;
		}
	}
	while (j < plen && p[j] == '*')
		j++;
	return j == plen;
}

static struct robots *robots_new(void)
{
	struct robots *r = calloc(1, sizeof(*r));

	if (r)
		r->crawl_delay_ms = -1;
	return r;
}

void robots_free(struct robots *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->nrules; i++)
		free(r->rules[i].pattern);
	free(r->rules);
	for (size_t i = 0; i < r->nsitemaps; i++)
		free(r->sitemaps[i]);
	free(r->sitemaps);
	free(r);
}

/* An empty value matches nothing, so it adds no rule (RFC 9309 section
 * 2.2.2: "Disallow:" alone allows everything). 0 or ENOMEM. */
static int add_rule(struct robots *r, struct span v, bool allow,
		    unsigned char groups)
{
	struct robots_rule *rules, *rule;
	size_t n;

	if (!v.len)
		return 0;
	rules = grow(r->rules, &r->rules_cap, r->nrules, sizeof(*rules));
	if (!rules)
		return ENOMEM;
	r->rules = rules;
	rule = &rules[r->nrules];
	/* RFC 9309 section 2.2.2: both sides compared in one normal form,
	 * the one canonical URLs have. */
	rule->pattern = malloc(3 * v.len + 1);
	if (!rule->pattern)
		return ENOMEM;
	n = url_escape_path(rule->pattern, v.s, v.len);
	rule->octets = n;
	rule->anchored = rule->pattern[n - 1] == '$';
	rule->len = rule->anchored ? n - 1 : n;
	rule->pattern[rule->len] = '\0';
	rule->allow = allow;
	rule->groups = groups;
	r->nrules++;
	return 0;
}

/* A sitemap URL holds no blanks or controls; anything else is not one, and
 * is skipped. 0 or ENOMEM. */
static int add_sitemap(struct robots *r, struct span v)
{
	char **urls, *url;

	for (size_t i = 0; i < v.len; i++)
		if ((unsigned char)v.s[i] <= 0x20 || v.s[i] == 0x7f)
			return 0;
	if (!v.len)
		return 0;
	urls = grow(r->sitemaps, &r->sitemaps_cap, r->nsitemaps, sizeof(*urls));
	if (!urls)
		return ENOMEM;
	r->sitemaps = urls;
	url = malloc(v.len + 1);
	if (!url)
		return ENOMEM;
	memcpy(url, v.s, v.len);
	url[v.len] = '\0';
	r->sitemaps[r->nsitemaps++] = url;
	return 0;
}

/* Seconds, with an optional fraction ("10", "0.5", ".5"), in milliseconds;
 * -1 for anything else, a sign included. */
static int64_t parse_delay_ms(struct span v)
{
	int64_t s = 0, frac_ms = 0, scale = 100;
	size_t i = 0, digits = 0;

	for (; i < v.len && is_digit(v.s[i]); i++, digits++)
		if (s < ROBOTS_MAX_DELAY_S)
			s = s * 10 + (v.s[i] - '0');
	if (i < v.len && v.s[i] == '.')
		for (i++; i < v.len && is_digit(v.s[i]); i++, digits++) {
			frac_ms += (v.s[i] - '0') * scale;
			scale /= 10;
		}
	if (!digits || i != v.len)
		return -1;
	if (s > ROBOTS_MAX_DELAY_S)
		s = ROBOTS_MAX_DELAY_S;
	return s * 1000 + frac_ms;
}

static enum key key_of(struct span k)
{
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (strlen(keys[i].name) == k.len &&
		    !strncasecmp(k.s, keys[i].name, k.len))
			return keys[i].key;
	return KEY_OTHER;
}

/* RFC 9309 section 2.2.1: the value is matched as a product token, so
 * "crawler/2.0" names "crawler", and case does not matter. */
static unsigned char agent_names(const struct parser *p, struct span v)
{
	size_t n = token_len(v.s, v.len);

	if (v.len && v.s[0] == '*' && (v.len == 1 || is_blank(v.s[1])))
		return GROUP_STAR;
	if (n && n == p->agent.len && !strncasecmp(v.s, p->agent.s, n))
		return GROUP_OWN;
	return 0;
}

/* Consecutive user-agent lines share the rules that follow them; one after
 * a rule starts a new group (RFC 9309 section 2.1). */
static void on_agent(struct parser *p, struct span v)
{
	unsigned char names = agent_names(p, v);

	if (p->in_rules)
		p->group = 0;
	p->in_rules = false;
	p->in_group = true;
	p->group |= names;
	if (names & GROUP_OWN)
		p->own_found = true;
}

static void on_delay(struct parser *p, struct span v)
{
	int64_t ms = parse_delay_ms(v);

	if (ms < 0)
		return;
	if ((p->group & GROUP_OWN) && p->own_delay_ms < 0)
		p->own_delay_ms = ms;
	if ((p->group & GROUP_STAR) && p->star_delay_ms < 0)
		p->star_delay_ms = ms;
}

/* Rules before any user-agent line belong to no group and are dropped. */
static void on_member(struct parser *p, enum key key, struct span v)
{
	if (!p->in_group)
		return;
	p->in_rules = true;
	if (!p->group)
		return;
	if (key == KEY_DELAY)
		on_delay(p, v);
	else if (add_rule(p->r, v, key == KEY_ALLOW, p->group))
		p->nomem = true;
}

/* "key: value # comment"; a line without ':' is not a record. */
static void parse_line(struct parser *p, const char *s, size_t len)
{
	const char *hash = memchr(s, '#', len);
	const char *colon;
	struct span k, v;
	enum key key;

	if (hash)
		len = (size_t)(hash - s);
	colon = memchr(s, ':', len);
	if (!colon)
		return;
	k = trim(s, (size_t)(colon - s));
	v = trim(colon + 1, len - (size_t)(colon - s) - 1);
	key = key_of(k);
	switch (key) {
	case KEY_AGENT:
		on_agent(p, v);
		break;
	case KEY_SITEMAP:
		if (add_sitemap(p->r, v))
			p->nomem = true;
		break;
	case KEY_ALLOW:
	case KEY_DISALLOW:
	case KEY_DELAY:
		on_member(p, key, v);
		break;
	case KEY_OTHER:
		break;
	}
}

static bool is_eol(char c)
{
	return c == '\n' || c == '\r';
}

/* How much of the body to read: at most ROBOTS_MAX_BYTES, ending on a line
 * end so that a line cut by the limit is not read as a shorter rule. */
static size_t parse_extent(const char *body, size_t len)
{
	size_t n = ROBOTS_MAX_BYTES;

	if (len <= n)
		return len;
	if (is_eol(body[n]))
		return n;
	while (n && !is_eol(body[n - 1]))
		n--;
	return n;
}

/* CR, LF and CRLF all end a line; the empty line between CR and LF is
 * ignored like any blank line. */
static void parse_lines(struct parser *p, const char *s, size_t len)
{
	size_t i = 0;

	while (i < len && !p->nomem) {
		size_t end = i;

		while (end < len && !is_eol(s[end]))
			end++;
		if (end - i <= ROBOTS_MAX_LINE)
			parse_line(p, s + i, end - i);
		i = end + 1;
	}
}

static int rule_order(const void *a, const void *b)
{
	const struct robots_rule *x = a, *y = b;

	if (x->octets != y->octets)
		return x->octets > y->octets ? -1 : 1;
	return (int)y->allow - (int)x->allow;
}

/* Keep the rules of the groups that apply (ours if any named us, else
 * "*"'s, RFC 9309 section 2.2.1), longest first. */
static void select_rules(struct parser *p)
{
	struct robots *r = p->r;
	unsigned char keep = p->own_found ? GROUP_OWN : GROUP_STAR;
	size_t n = 0;

	for (size_t i = 0; i < r->nrules; i++) {
		if (r->rules[i].groups & keep)
			r->rules[n++] = r->rules[i];
		else
			free(r->rules[i].pattern);
	}
	r->nrules = n;
	if (n)
		qsort(r->rules, n, sizeof(*r->rules), rule_order);
	r->crawl_delay_ms = p->own_found ? p->own_delay_ms : p->star_delay_ms;
}

struct robots *robots_parse(const char *body, size_t len, const char *agent)
{
	struct parser p = {
		.r = robots_new(),
		.agent = { agent, token_len(agent, strlen(agent)) },
		.own_delay_ms = -1,
		.star_delay_ms = -1,
	};

	if (!p.r)
		return NULL;
	len = body ? parse_extent(body, len) : 0;
	if (len >= 3 && !memcmp(body, "\xEF\xBB\xBF", 3)) {
		body += 3;
		len -= 3;
	}
	parse_lines(&p, body, len);
	if (p.nomem) {
		robots_free(p.r);
		return NULL;
	}
	select_rules(&p);
	return p.r;
}

struct robots *robots_allow_all(void)
{
	return robots_new();
}

struct robots *robots_disallow_all(void)
{
	struct robots *r = robots_new();

	if (r && add_rule(r, (struct span){ "/", 1 }, false, GROUP_STAR)) {
		robots_free(r);
		return NULL;
	}
	return r;
}

/* Rules are sorted so the first match is the longest, Allow on a tie. */
static bool first_match_allows(const struct robots *r, const char *s,
			       size_t len)
{
	for (size_t i = 0; i < r->nrules; i++) {
		const struct robots_rule *rule = &r->rules[i];

		if (wildcard_match(rule->pattern, rule->len, rule->anchored, s,
				   len))
			return rule->allow;
	}
	return true;
}

bool robots_allowed(const struct robots *r, const char *path_query)
{
	char stack[ROBOTS_PATH_STACK];
	size_t len = strlen(path_query);
	char *buf;
	bool allowed;

	if (!strcmp(path_query, "/robots.txt"))
		return true;
	buf = 3 * len + 1 <= sizeof(stack) ? stack : malloc(3 * len + 1);
	/* Out of memory: a canonical path is already in normal form. */
	if (!buf)
		return first_match_allows(r, path_query, len);
	allowed = first_match_allows(r, buf, url_escape_path(buf, path_query, len));
	if (buf != stack)
		free(buf);
	return allowed;
}

int64_t robots_crawl_delay_ms(const struct robots *r)
{
	return r->crawl_delay_ms;
}

size_t robots_sitemaps(const struct robots *r, const char *const **urls)
{
	*urls = (const char *const *)r->sitemaps;
	return r->nsitemaps;
}

void robots_product_token(const char *user_agent, char *buf, size_t cap)
{
	size_t n = token_len(user_agent, strlen(user_agent));

	if (!cap)
		return;
	if (n >= cap)
		n = cap - 1;
	memcpy(buf, user_agent, n);
	buf[n] = '\0';
}
