/* scope: the seeds' hosts (or registrable domains), and the test every
 * admitted link passes. Read-only once built. */
#include "scope.h"

#include <arpa/inet.h>
#include <libpsl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "url.h"

static const char *const mode_names[] = { "host", "domain", "any" };

struct scope {
	enum scope_mode mode;
	const psl_ctx_t *psl; /* libpsl's built-in list; shared, read-only */
	char **keys;          /* seed hosts or their registrable domains */
	size_t nkeys;
};

int scope_mode_parse(const char *name)
{
	for (size_t i = 0; i < sizeof(mode_names) / sizeof(mode_names[0]); i++)
		if (!strcasecmp(name, mode_names[i]))
			return (int)i;
	return -1;
}

const char *scope_mode_name(enum scope_mode mode)
{
	return mode_names[mode];
}

/* The key a URL is judged by: its host, or its registrable domain. Written
 * into buf (NUL-terminated); false if the URL has no host. */
static bool url_key(const struct scope *s, const char *url, char *buf,
		    size_t cap)
{
	size_t len;
	const char *host = url_host(url, &len);
	const char *domain;
	struct in_addr addr;

	if (!host || len == 0 || len >= cap)
		return false;
	memcpy(buf, host, len);
	buf[len] = '\0';
	if (s->mode != SCOPE_DOMAIN)
		return true;
	/* An IP address is its own domain: libpsl would cut "10.1.2.3" to
	 * "2.3". NULL from libpsl (a bare suffix or name) means the same. */
	if (buf[0] == '[' || inet_pton(AF_INET, buf, &addr) == 1)
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

struct scope *scope_new(enum scope_mode mode, char *const *seeds, size_t n)
{
	struct scope *s = calloc(1, sizeof(*s));
	char key[URL_MAX_LEN];

	if (!s)
		return NULL;
	s->mode = mode;
	s->psl = psl_builtin();
	s->keys = calloc(n + 1, sizeof(*s->keys));
	if (!s->keys)
		goto fail;
	for (size_t i = 0; i < n; i++) {
		if (!url_key(s, seeds[i], key, sizeof(key)))
			continue;
		s->keys[s->nkeys] = strdup(key);
		if (!s->keys[s->nkeys++])
			goto fail;
	}
	qsort(s->keys, s->nkeys, sizeof(*s->keys), key_cmp);
	return s;
fail:
	scope_free(s);
	return NULL;
}

void scope_free(struct scope *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->nkeys; i++)
		free(s->keys[i]);
	free(s->keys);
	free(s);
}

bool scope_allows(const struct scope *s, const char *canonical_url)
{
	char key[URL_MAX_LEN];

	if (s->mode == SCOPE_ANY)
		return true;
	return url_key(s, canonical_url, key, sizeof(key)) && has_key(s, key);
}
