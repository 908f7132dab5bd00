/* scope: the seeds' hosts (or registrable domains), their directories, the
 * compiled include and exclude regexes, and the test every admitted link
 * passes. Read-only once built: parser threads call scope_allows at once,
 * and glibc's regexec is safe on a shared regex_t (it takes the regex's own
 * lock, so concurrent matches of one regex take turns). */
#include "scope.h"

#include <arpa/inet.h>
#include <errno.h>
#include <libpsl.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "url.h"

/* Room for the longest host a key is made of. A DNS name has at most 253
 * bytes (RFC 1035 section 2.3.4: 255 on the wire); a longer host resolves
 * nowhere, and is in no seed's scope. */
#define HOST_KEY_MAX 256

static const char *const mode_names[] = { "host", "domain", "subdomains", "any" };

struct regex_list {
	regex_t *re;
	size_t n;           /* compiled, so regfree'd by scope_free */
};

struct scope {
	enum scope_mode mode;
	const psl_ctx_t *psl; /* libpsl's built-in list; shared, read-only */
	char **keys;          /* seed hosts or their registrable domains; sorted */
	size_t nkeys;
	bool no_parent;
	char **dirs;          /* no_parent: "scheme://authority/dir/"s; sorted */
	size_t ndirs;
	struct regex_list include;
	struct regex_list exclude;
};

/* A run of characters that is not NUL-terminated where it ends. */
struct span {
	const char *s;
	size_t len;
};

enum scope_status scope_mode_parse(const char *name, enum scope_mode *mode)
{
	for (size_t i = 0; i < sizeof(mode_names) / sizeof(mode_names[0]); i++)
		if (!strcasecmp(name, mode_names[i])) {
			*mode = (enum scope_mode)i;
			return SCOPE_OK;
		}
	return SCOPE_UNKNOWN_MODE;
}

const char *scope_mode_name(enum scope_mode mode)
{
	return mode_names[mode];
}

static bool is_ip(const char *host)
{
	struct in_addr addr;

	return host[0] == '[' || inet_pton(AF_INET, host, &addr) == 1;
}

/* The key a URL is judged by: its host, or its registrable domain. Written
 * into buf (NUL-terminated); false if the URL has no host. */
static bool url_key(const struct scope *s, const char *url, char *buf,
		    size_t cap)
{
	size_t len;
	const char *host = url_host(url, &len);
	const char *domain;

	if (!host || len == 0 || len >= cap)
		return false;
	memcpy(buf, host, len);
	buf[len] = '\0';
	if (s->mode != SCOPE_DOMAIN)
		return true;
	/* An IP address is its own domain: libpsl would cut "10.1.2.3" to
	 * "2.3". NULL from libpsl (a bare suffix or name) means the same. */
	if (is_ip(buf))
		return true;
	domain = psl_registrable_domain(s->psl, buf);
	if (domain && domain != buf)
		memmove(buf, domain, strlen(domain) + 1);
	return true;
}

static int key_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Keys are sorted (scope_new), so a seed list of thousands stays cheap. */
static bool has_key(const struct scope *s, const char *key)
{
	return bsearch(&key, s->keys, s->nkeys, sizeof(*s->keys), key_cmp);
}

/* host is a seed host or below one: try the host, then each suffix after a
 * dot, so the label boundary keeps "badexample.com" out of "example.com".
 * A dotted-quad suffix ("1.2.3.4" of "9.1.2.3.4") is never a parent. */
static bool has_parent_key(const struct scope *s, const char *host)
{
	if (has_key(s, host))
		return true;
	if (is_ip(host))
		return false;
	for (const char *p = strchr(host, '.'); p; p = strchr(p + 1, '.'))
		if (!is_ip(p + 1) && has_key(s, p + 1))
			return true;
	return false;
}

static bool mode_allows(const struct scope *s, const char *url)
{
	char key[HOST_KEY_MAX];

	if (s->mode == SCOPE_ANY)
		return true;
	if (!url_key(s, url, key, sizeof(key)))
		return false;
	return s->mode == SCOPE_SUBDOMAINS ? has_parent_key(s, key) : has_key(s, key);
}

/* The path of a canonical URL: from the '/' after the authority up to the
 * query or fragment; len 0 if url has none. Unlike url_path, it always
 * points into url, so a prefix length can be taken from it. */
static struct span path_span(const char *url)
{
	const char *p = strstr(url, "://");
	struct span path = { url, 0 };

	if (!p)
		return path;
	p += 3;
	p += strcspn(p, "/?#");
	path.s = p;
	if (*p == '/')
		path.len = strcspn(p, "?#");
	return path;
}

/* Compares a span with a NUL-terminated string in strcmp's order. */
static int span_cmp(const void *key, const void *elem)
{
	const struct span *a = key;
	const char *b = *(char *const *)elem;
	size_t blen = strlen(b);
	int c = memcmp(a->s, b, a->len < blen ? a->len : blen);

	if (c)
		return c;
	return (a->len > blen) - (a->len < blen);
}

/* Every directory prefix of url ("http://a/", "http://a/b/", ...) is
 * looked up among the seed directories: a handful of binary searches per
 * URL however many seeds there are. */
static bool under_seed_dir(const struct scope *s, const char *url)
{
	struct span path = path_span(url);

	for (size_t i = 0; i < path.len; i++) {
		struct span prefix = { url, (size_t)(path.s - url) + i + 1 };

		if (path.s[i] == '/' &&
		    bsearch(&prefix, s->dirs, s->ndirs, sizeof(*s->dirs), span_cmp))
			return true;
	}
	return false;
}

static bool matches_any(const struct regex_list *l, const char *url)
{
	for (size_t i = 0; i < l->n; i++)
		if (regexec(&l->re[i], url, 0, NULL, 0) == 0)
			return true;
	return false;
}

/* Which seeds' keys the mode compares against; a seed without a host
 * (never, for a canonical one) is left out. 0 or ENOMEM. */
static int keys_init(struct scope *s, char *const *seeds, size_t n)
{
	char key[HOST_KEY_MAX];

	s->keys = calloc(n + 1, sizeof(*s->keys));
	if (!s->keys)
		return ENOMEM;
	for (size_t i = 0; i < n; i++) {
		if (!url_key(s, seeds[i], key, sizeof(key)))
			continue;
		s->keys[s->nkeys] = strdup(key);
		if (!s->keys[s->nkeys++])
			return ENOMEM;
	}
	qsort(s->keys, s->nkeys, sizeof(*s->keys), key_cmp);
	return 0;
}

/* A seed's directory is its URL up to the path's last '/': "http://a/b/c"
 * gives "http://a/b/", "http://a/" gives "http://a/" (the whole origin).
 * 0 or ENOMEM. */
static int dirs_init(struct scope *s, char *const *seeds, size_t n)
{
	s->dirs = calloc(n + 1, sizeof(*s->dirs));
	if (!s->dirs)
		return ENOMEM;
	for (size_t i = 0; i < n; i++) {
		struct span path = path_span(seeds[i]);
		const char *slash = path.len ? memrchr(path.s, '/', path.len) : NULL;

		if (!slash)
			continue;
		s->dirs[s->ndirs] = strndup(seeds[i], (size_t)(slash - seeds[i]) + 1);
		if (!s->dirs[s->ndirs++])
			return ENOMEM;
	}
	qsort(s->dirs, s->ndirs, sizeof(*s->dirs), key_cmp);
	return 0;
}

/* Compile src: 0, or regcomp's error code with the message in err (opt
 * names the command-line option in it, as the user wrote it); REG_ESPACE,
 * err untouched, when the list cannot be allocated. */
static int regex_list_init(struct regex_list *l, const char *opt,
			   char *const *src, size_t n, char *err, size_t errlen)
{
	char msg[256];
	int rc;

	l->re = calloc(n + 1, sizeof(*l->re));
	if (!l->re)
		return REG_ESPACE;
	for (size_t i = 0; i < n; i++) {
		rc = regcomp(&l->re[i], src[i], REG_EXTENDED | REG_NOSUB);
		if (rc) {
			regerror(rc, &l->re[i], msg, sizeof(msg));
			snprintf(err, errlen, "--%s '%s': %s", opt, src[i], msg);
			return rc;
		}
		l->n++;
	}
	return 0;
}

static void regex_list_release(struct regex_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		regfree(&l->re[i]);
	free(l->re);
}

struct scope *scope_new(const struct scope_config *cfg, char *const *seeds,
			size_t n, char *err, size_t errlen)
{
	struct scope *s = calloc(1, sizeof(*s));

	snprintf(err, errlen, "out of memory");
	if (!s)
		return NULL;
	s->mode = cfg->mode;
	s->psl = psl_builtin();
	s->no_parent = cfg->no_parent;
	if (keys_init(s, seeds, n))
		goto fail;
	if (s->no_parent && dirs_init(s, seeds, n))
		goto fail;
	if (regex_list_init(&s->include, "include", cfg->include, cfg->ninclude,
			    err, errlen) ||
	    regex_list_init(&s->exclude, "exclude", cfg->exclude, cfg->nexclude,
			    err, errlen))
		goto fail;
	return s;
fail:
	scope_free(s);
	return NULL;
}

static void free_strings(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void scope_free(struct scope *s)
{
	if (!s)
		return;
	free_strings(s->keys, s->nkeys);
	free_strings(s->dirs, s->ndirs);
	regex_list_release(&s->include);
	regex_list_release(&s->exclude);
	free(s);
}

bool scope_allows(const struct scope *s, const char *canonical_url)
{
	if (!mode_allows(s, canonical_url))
		return false;
	if (s->no_parent && !under_seed_dir(s, canonical_url))
		return false;
	if (matches_any(&s->exclude, canonical_url))
		return false;
	return !s->include.n || matches_any(&s->include, canonical_url);
}
