/* options: argv -> struct options, from one table.
 *
 * Each row of `table` is an option: long name, short letter, argument name,
 * default as the user reads it, help line, and the setter that checks and
 * stores the value. getopt_long's table, the short-option string and --help
 * are all built from it; tests check it against man/crawler.1. */
#include "options.h"

#include "warc.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <regex.h>
#include <stddef.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mediatype.h"
#include "regex_check.h"
#include "scope.h"

typedef enum options_status (*setter)(struct options *o, const char *val,
				      char *err, size_t n);

struct option_spec {
	const char *name;   /* long name */
	char letter;        /* short letter, or 0 */
	const char *arg;    /* argument name, or NULL for a flag */
	const char *def;    /* default, as --help shows it; NULL: none shown */
	const char *help;
	setter set;         /* NULL for a plain flag: see flag */
	/* A plain flag sets the bool at this offset in struct options to
	 * flag_value; options with a value, or odder flags, have a setter. */
	size_t flag;
	bool flag_value;
	const char *group;  /* set on the first row of a group: its heading */
	bool local;         /* each process of a shared crawl sets it for
			       itself; the others shape the crawl */
};

#define FLAG(field, value) NULL, offsetof(struct options, field), value

static enum options_status fail(char *err, size_t n, const char *opt,
				const char *val, const char *why)
{
	snprintf(err, n, "--%s: '%s' %s", opt, val, why);
	return OPTIONS_USAGE;
}

/* A whole decimal number in [lo, hi]. */
static enum options_status parse_uint(const char *s, uint64_t lo, uint64_t hi,
				      uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (!s || *s < '0' || *s > '9')
		return OPTIONS_USAGE;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v < lo || v > hi)
		return OPTIONS_USAGE;
	*out = v;
	return OPTIONS_OK;
}

/* A non-negative decimal number, then a unit from units (name, factor). */
static enum options_status parse_scaled(const char *s, const char *const *names,
					const double *factors, size_t nunits,
					double *out)
{
	char *end;
	double v;

	size_t digits = s ? strspn(s, "0123456789.") : 0;

	/* Plain decimals only: strtod would also take "0x10" and "1e3". */
	if (!digits)
		return OPTIONS_USAGE;
	errno = 0;
	v = strtod(s, &end);
	if (errno || !isfinite(v) || end != s + digits)
		return OPTIONS_USAGE;
	for (size_t i = 0; i < nunits; i++)
		if (!strcasecmp(end, names[i])) {
			*out = v * factors[i];
			return OPTIONS_OK;
		}
	return OPTIONS_USAGE;
}

enum options_status options_parse_duration(const char *s, int64_t *ms)
{
	static const char *const names[] = { "", "ms", "s", "m", "h" };
	static const double factors[] = { 1000, 1, 1000, 60000, 3600000 };
	double v;

	/* A week is more than any crawl run from a shell needs; the bound
	 * keeps every later sum of milliseconds far from overflow. */
	if (parse_scaled(s, names, factors, 5, &v) != OPTIONS_OK || v < 1 ||
	    v > 604800000.0)
		return OPTIONS_USAGE;
	*ms = (int64_t)v;
	return OPTIONS_OK;
}

enum options_status options_parse_size(const char *s, uint64_t *bytes)
{
	static const char *const names[] = { "", "k", "m", "g" };
	static const double factors[] = { 1, 1024, 1048576, 1073741824 };
	double v;

	if (parse_scaled(s, names, factors, 4, &v) != OPTIONS_OK || v < 1 ||
	    v > 1099511627776.0)
		return OPTIONS_USAGE;
	*bytes = (uint64_t)v;
	return OPTIONS_OK;
}

/* Append a copy of s to the NULL-terminated *list; the copy, or NULL when
 * out of memory. */
static char *push(char ***list, size_t *n, const char *s)
{
	char **l = realloc(*list, (*n + 2) * sizeof(**list));

	if (!l)
		return NULL;
	*list = l;
	l[*n] = strdup(s);
	if (!l[*n])
		return NULL;
	l[++*n] = NULL;
	return l[*n - 1];
}

/* Seed file: one URL a line; blank lines and '#' comments skipped. */
static enum options_status read_seeds(struct options *o, FILE *in,
				      const char *path, char *err, size_t n)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	enum options_status rc = OPTIONS_OK;

	while (!rc && (len = getline(&line, &cap, in)) >= 0) {
		char *s = line, *e = line + len;

		while (s < e && strchr(" \t\r\n", *s))
			s++;
		while (e > s && strchr(" \t\r\n", e[-1]))
			e--;
		*e = '\0';
		if (*s && *s != '#' && !push(&o->seeds, &o->nseeds, s))
			rc = OPTIONS_USAGE;
	}
	if (!rc && ferror(in))
		rc = OPTIONS_USAGE;
	if (rc)
		snprintf(err, n, "cannot read seed file '%s': %s", path,
			 strerror(errno ? errno : EIO));
	free(line);
	return rc;
}

static enum options_status set_input(struct options *o, const char *v,
				     char *err, size_t n)
{
	FILE *in = strcmp(v, "-") ? fopen(v, "r") : stdin;
	enum options_status rc;

	if (!in) {
		snprintf(err, n, "cannot open seed file '%s': %s", v, strerror(errno));
		return OPTIONS_USAGE;
	}
	rc = read_seeds(o, in, v, err, n);
	if (in != stdin)
		fclose(in);
	return rc;
}

static enum options_status set_output(struct options *o, const char *v,
				      char *err, size_t n)
{
	(void)err, (void)n;
	o->output = v;
	return OPTIONS_OK;
}

static enum options_status set_count(const char *opt, const char *v,
				     uint64_t lo, uint64_t hi, uint64_t *out,
				     char *err, size_t n)
{
	char why[64];

	if (parse_uint(v, lo, hi, out) == OPTIONS_OK)
		return OPTIONS_OK;
	snprintf(why, sizeof(why), "is not a whole number from %llu to %llu",
		 (unsigned long long)lo, (unsigned long long)hi);
	return fail(err, n, opt, v, why);
}

static enum options_status set_concurrency(struct options *o, const char *v,
					   char *err, size_t n)
{
	uint64_t x;

	if (set_count("concurrency", v, 1, 10000, &x, err, n))
		return OPTIONS_USAGE;
	o->crawl.concurrency = (unsigned)x;
	return OPTIONS_OK;
}

static enum options_status set_per_host(struct options *o, const char *v,
					char *err, size_t n)
{
	uint64_t x;

	if (set_count("per-host", v, 1, 10000, &x, err, n))
		return OPTIONS_USAGE;
	o->crawl.per_host = (unsigned)x;
	return OPTIONS_OK;
}

static enum options_status set_parsers(struct options *o, const char *v,
				       char *err, size_t n)
{
	uint64_t x;

	if (set_count("parsers", v, 1, 1024, &x, err, n))
		return OPTIONS_USAGE;
	o->crawl.parsers = (unsigned)x;
	return OPTIONS_OK;
}

static enum options_status set_max_depth(struct options *o, const char *v,
					 char *err, size_t n)
{
	uint64_t x;

	if (set_count("max-depth", v, 0, 1000000, &x, err, n))
		return OPTIONS_USAGE;
	o->crawl.max_depth = (long)x;
	return OPTIONS_OK;
}

static enum options_status set_max_pages(struct options *o, const char *v,
					 char *err, size_t n)
{
	return set_count("max-pages", v, 1, UINT64_MAX / 2, &o->crawl.max_pages,
			 err, n);
}

static enum options_status set_duration(const char *opt, const char *v,
					int64_t *ms, char *err, size_t n)
{
	if (options_parse_duration(v, ms) == OPTIONS_OK)
		return OPTIONS_OK;
	return fail(err, n, opt, v,
		    "is not a duration (a number with ms, s, m or h, at least 1ms)");
}

static enum options_status set_max_time(struct options *o, const char *v,
					char *err, size_t n)
{
	return set_duration("max-time", v, &o->crawl.max_time_ms, err, n);
}

static enum options_status set_timeout(struct options *o, const char *v,
				       char *err, size_t n)
{
	return set_duration("timeout", v, &o->crawl.timeout_ms, err, n);
}

static enum options_status set_connect_timeout(struct options *o, const char *v,
					       char *err, size_t n)
{
	return set_duration("connect-timeout", v, &o->crawl.connect_timeout_ms,
			    err, n);
}

static enum options_status set_max_size(struct options *o, const char *v,
					char *err, size_t n)
{
	if (options_parse_size(v, &o->crawl.max_size) == OPTIONS_OK)
		return OPTIONS_OK;
	return fail(err, n, "max-size", v,
		    "is not a size (a number with k, M or G, at least 1 byte)");
}

static enum options_status set_scope(struct options *o, const char *v,
				     char *err, size_t n)
{
	if (scope_mode_parse(v, &o->crawl.scope.mode) != SCOPE_OK)
		return fail(err, n, "scope", v,
			    "is not one of host, domain, subdomains, any");
	return OPTIONS_OK;
}

static enum options_status set_user_agent(struct options *o, const char *v,
					  char *err, size_t n)
{
	if (strpbrk(v, "\r\n"))
		return fail(err, n, "user-agent", v, "has a line break");
	o->crawl.user_agent = v;
	return OPTIONS_OK;
}

/* "Name: value", a token for a name (RFC 9110 section 5.1), no line breaks. */
static enum options_status set_header(struct options *o, const char *v,
				      char *err, size_t n)
{
	size_t name = strcspn(v, ": \t\r\n");

	if (!name || v[name] != ':' || strpbrk(v, "\r\n"))
		return fail(err, n, "header", v, "is not 'Name: value'");
	if (!push(&o->headers, &o->nheaders, v)) {
		snprintf(err, n, "out of memory");
		return OPTIONS_USAGE;
	}
	return OPTIONS_OK;
}

static enum options_status push_or_fail(char ***list, size_t *count,
					const char *v, char *err, size_t n)
{
	if (push(list, count, v))
		return OPTIONS_OK;
	snprintf(err, n, "out of memory");
	return OPTIONS_USAGE;
}

/* One ADDR of --resolve: IPv4, or IPv6 (in brackets, as curl writes it,
 * or bare: libcurl takes both). */
static bool resolve_addr_ok(const char *a, size_t n)
{
	char ip[INET6_ADDRSTRLEN + 2];
	unsigned char bin[sizeof(struct in6_addr)];

	if (n >= 2 && a[0] == '[' && a[n - 1] == ']') {
		a++;
		n -= 2;
		if (n >= sizeof(ip))
			return false;
		snprintf(ip, sizeof(ip), "%.*s", (int)n, a);
		return inet_pton(AF_INET6, ip, bin) == 1;
	}
	if (!n || n >= sizeof(ip))
		return false;
	snprintf(ip, sizeof(ip), "%.*s", (int)n, a);
	return inet_pton(AF_INET, ip, bin) == 1 || inet_pton(AF_INET6, ip, bin) == 1;
}

/* HOST:PORT:ADDR[,ADDR]..., checked here because libcurl fails every
 * transfer on an entry it cannot parse. HOST is a name (or '*', any name;
 * libcurl 7.88 takes no IPv6 literal there), PORT 1 to 65535. */
static enum options_status set_resolve(struct options *o, const char *v,
				       char *err, size_t n)
{
	size_t host = strcspn(v, ": \t\r\n"), port;
	const char *a;
	uint64_t num;
	char digits[8];

	if (!host || host > 255 || v[host] != ':')
		return fail(err, n, "resolve", v, "is not HOST:PORT:ADDR[,ADDR]...");
	if (v[0] == '+' || v[0] == '-')
		return fail(err, n, "resolve", v,
			    "is not HOST:PORT:ADDR[,ADDR]... (curl's +HOST and "
			    "-HOST forms are not taken)");
	port = strspn(v + host + 1, "0123456789");
	snprintf(digits, sizeof(digits), "%.*s", port < 7 ? (int)port : 7,
		 v + host + 1);
	if (v[host + 1 + port] != ':' || parse_uint(digits, 1, 65535, &num))
		return fail(err, n, "resolve", v,
			    "is not HOST:PORT:ADDR[,ADDR]... (PORT from 1 to 65535)");
	for (a = v + host + 1 + port; *a; ) {
		size_t len = strcspn(++a, ",");

		if (!resolve_addr_ok(a, len))
			return fail(err, n, "resolve", v,
				    "is not HOST:PORT:ADDR[,ADDR]... (an ADDR is "
				    "not an IPv4 or IPv6 address)");
		a += len;
	}
	return push_or_fail(&o->resolve, &o->nresolve, v, err, n);
}

/* RFC 7617 section 2: a user-id with a colon cannot be sent in Basic. */
static enum options_status set_user(struct options *o, const char *v,
				    char *err, size_t n)
{
	for (const char *p = v; *p; p++)
		if (*p == ':' || (unsigned char)*p < 0x20 || *p == 0x7f)
			return fail(err, n, "user", v,
				    "has a colon or a control character");
	if (!*v)
		return fail(err, n, "user", v, "is empty");
	o->crawl.user = v;
	return OPTIONS_OK;
}

/* The password is never echoed, not even in a usage error. It is copied,
 * so that main can blank the argument it came in. */
static enum options_status set_password(struct options *o, const char *v,
					char *err, size_t n)
{
	char *copy = strdup(v);

	if (!copy) {
		snprintf(err, n, "out of memory");
		return OPTIONS_USAGE;
	}
	free(o->password);
	o->password = copy;
	o->crawl.password = copy;
	return OPTIONS_OK;
}

static enum options_status set_load_cookies(struct options *o, const char *v,
					    char *err, size_t n)
{
	(void)err, (void)n;
	o->crawl.load_cookies = v;
	return OPTIONS_OK;
}

static enum options_status set_save_cookies(struct options *o, const char *v,
					    char *err, size_t n)
{
	(void)err, (void)n;
	o->crawl.save_cookies = v;
	return OPTIONS_OK;
}

static enum options_status set_limit_rate(struct options *o, const char *v,
					  char *err, size_t n)
{
	if (options_parse_size(v, &o->crawl.limit_rate) == OPTIONS_OK)
		return OPTIONS_OK;
	return fail(err, n, "limit-rate", v,
		    "is not a rate (bytes per second: a number with k, M or G, "
		    "at least 1)");
}

static enum options_status set_type(char ***list, size_t *count,
				    const char *opt, const char *v, char *err,
				    size_t n)
{
	if (!mediatype_range_valid(v))
		return fail(err, n, opt, v,
			    "is not a media type (type/subtype, type/* or */*)");
	return push_or_fail(list, count, v, err, n);
}

static enum options_status set_accept_type(struct options *o, const char *v,
					   char *err, size_t n)
{
	return set_type(&o->accept_types, &o->naccept_types, "accept-type", v,
			err, n);
}

static enum options_status set_reject_type(struct options *o, const char *v,
					   char *err, size_t n)
{
	return set_type(&o->reject_types, &o->nreject_types, "reject-type", v,
			err, n);
}

static enum options_status set_stats(struct options *o, const char *v,
				     char *err, size_t n)
{
	(void)err, (void)n;
	o->stats_path = v;
	return OPTIONS_OK;
}

static enum options_status set_progress(struct options *o, const char *v,
					char *err, size_t n)
{
	(void)v, (void)err, (void)n;
	o->progress = 1;
	return OPTIONS_OK;
}

static enum options_status set_no_progress(struct options *o, const char *v,
					   char *err, size_t n)
{
	(void)v, (void)err, (void)n;
	o->progress = 0;
	return OPTIONS_OK;
}

/* A duration that may also be "0" (no wait). */
static enum options_status set_pause(const char *opt, const char *v,
				     int64_t *ms, char *err, size_t n)
{
	if (!strcmp(v, "0")) {
		*ms = 0;
		return OPTIONS_OK;
	}
	return set_duration(opt, v, ms, err, n);
}

static enum options_status set_delay(struct options *o, const char *v,
				     char *err, size_t n)
{
	return set_pause("delay", v, &o->crawl.delay_ms, err, n);
}

static enum options_status set_max_delay(struct options *o, const char *v,
					 char *err, size_t n)
{
	return set_duration("max-delay", v, &o->crawl.max_delay_ms, err, n);
}

static enum options_status set_max_rate(struct options *o, const char *v,
					char *err, size_t n)
{
	uint64_t x;

	if (set_count("max-rate", v, 1, 1000000, &x, err, n))
		return OPTIONS_USAGE;
	o->crawl.max_rate = (unsigned)x;
	return OPTIONS_OK;
}

static enum options_status set_retries(struct options *o, const char *v,
				       char *err, size_t n)
{
	uint64_t x;

	if (set_count("retries", v, 0, 100, &x, err, n))
		return OPTIONS_USAGE;
	o->crawl.retries = (unsigned)x;
	return OPTIONS_OK;
}

static enum options_status set_max_redirects(struct options *o, const char *v,
					     char *err, size_t n)
{
	uint64_t x;

	if (set_count("max-redirects", v, 0, 100, &x, err, n))
		return OPTIONS_USAGE;
	o->crawl.max_redirects = (unsigned)x;
	return OPTIONS_OK;
}

static enum options_status set_max_pages_per_host(struct options *o,
						  const char *v, char *err,
						  size_t n)
{
	return set_count("max-pages-per-host", v, 1, UINT64_MAX / 2,
			 &o->crawl.max_pages_per_host, err, n);
}

/* 0 turns a trap limit off. */
static enum options_status set_max_url_length(struct options *o, const char *v,
					      char *err, size_t n)
{
	uint64_t x;

	if (set_count("max-url-length", v, 0, 1000000, &x, err, n))
		return OPTIONS_USAGE;
	o->crawl.traps.max_url_length = (size_t)x;
	return OPTIONS_OK;
}

static enum options_status set_max_path_segments(struct options *o,
						 const char *v, char *err,
						 size_t n)
{
	uint64_t x;

	if (set_count("max-path-segments", v, 0, 100000, &x, err, n))
		return OPTIONS_USAGE;
	o->crawl.traps.max_segments = (unsigned)x;
	return OPTIONS_OK;
}

static enum options_status set_max_repeats(struct options *o, const char *v,
					   char *err, size_t n)
{
	uint64_t x;

	if (set_count("max-repeats", v, 0, 100000, &x, err, n))
		return OPTIONS_USAGE;
	o->crawl.traps.max_repeats = (unsigned)x;
	return OPTIONS_OK;
}

static enum options_status set_pattern(char ***list, size_t *count,
				       const char *opt, const char *v,
				       char *err, size_t n)
{
	regex_t re;
	char why[160];
	int rc;

	if (regex_check(v, why, sizeof(why)) != REGEX_OK)
		return fail(err, n, opt, v, why);
	rc = regcomp(&re, v, REG_EXTENDED | REG_NOSUB);
	if (rc) {
		regerror(rc, &re, why, sizeof(why));
		return fail(err, n, opt, v, why);
	}
	regfree(&re);
	if (!push(list, count, v)) {
		snprintf(err, n, "out of memory");
		return OPTIONS_USAGE;
	}
	return OPTIONS_OK;
}

static enum options_status set_sitemap(struct options *o, const char *v,
				       char *err, size_t n)
{
	if (!push(&o->sitemaps, &o->nsitemaps, v)) {
		snprintf(err, n, "out of memory");
		return OPTIONS_USAGE;
	}
	return OPTIONS_OK;
}

static enum options_status set_include(struct options *o, const char *v,
				       char *err, size_t n)
{
	return set_pattern(&o->include, &o->ninclude, "include", v, err, n);
}

static enum options_status set_exclude(struct options *o, const char *v,
				       char *err, size_t n)
{
	return set_pattern(&o->exclude, &o->nexclude, "exclude", v, err, n);
}

static enum options_status set_proxy(struct options *o, const char *v,
				     char *err, size_t n)
{
	(void)err, (void)n;
	o->crawl.proxy = v;
	return OPTIONS_OK;
}

/* 0, or why path cannot be read as a file (dir: as a directory) now. */
static int unreadable(const char *path, bool dir)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC | (dir ? O_DIRECTORY : 0));
	int rc = 0;

	if (fd < 0)
		return errno;
	if (fstat(fd, &st))
		rc = errno;
	else if (!dir && S_ISDIR(st.st_mode))
		rc = EISDIR;
	close(fd);
	return rc;
}

/* A TLS file or directory is checked when it is named: a typo is then one
 * usage error, not a tls error on every URL of the crawl. A directory may
 * be a ':' list, as OpenSSL reads CAPATH and SSL_CERT_DIR; each must be
 * readable. 0, or why (an errno) with the bad part in *bad. */
static int tls_path_unreadable(const char *v, bool dir, char *bad, size_t n)
{
	do {
		size_t len = dir ? strcspn(v, ":") : strlen(v);
		int rc;

		snprintf(bad, n, "%.*s", (int)len, v);
		if (!len || len >= n)
			return len ? ENAMETOOLONG : ENOENT;
		if ((rc = unreadable(bad, dir)))
			return rc;
		v += len + (v[len] == ':');
	} while (*v);
	return 0;
}

/* Check v for the option or variable named by what, then store it. */
static enum options_status set_tls_path(const char *what, const char *v,
					bool dir, const char **out, char *err,
					size_t n)
{
	char bad[4096];
	int rc = tls_path_unreadable(v, dir, bad, sizeof(bad));

	if (rc) {
		snprintf(err, n, "%s: cannot read '%s'%s: %s", what, bad,
			 dir ? " as a directory" : "", strerror(rc));
		return OPTIONS_USAGE;
	}
	*out = v;
	return OPTIONS_OK;
}

static enum options_status set_ca_certificate(struct options *o, const char *v,
					      char *err, size_t n)
{
	return set_tls_path("--ca-certificate", v, false, &o->crawl.ca_file, err, n);
}

static enum options_status set_ca_directory(struct options *o, const char *v,
					    char *err, size_t n)
{
	return set_tls_path("--ca-directory", v, true, &o->crawl.ca_dir, err, n);
}

static enum options_status set_certificate(struct options *o, const char *v,
					   char *err, size_t n)
{
	return set_tls_path("--certificate", v, false, &o->crawl.client_cert, err, n);
}

static enum options_status set_private_key(struct options *o, const char *v,
					   char *err, size_t n)
{
	return set_tls_path("--private-key", v, false, &o->crawl.client_key, err, n);
}

/* Without --ca-certificate, --ca-directory or --insecure: the variables
 * curl's own tool reads (curl 7.88, src/tool_operate.c), in its order, and
 * only the first that is set and not empty: CURL_CA_BUNDLE (a file), else
 * SSL_CERT_DIR (a directory), else SSL_CERT_FILE (a file). */
static enum options_status ca_from_env(struct options *o, char *err, size_t n)
{
	static const struct {
		const char *name;
		bool dir;
	} vars[] = {
		{ "CURL_CA_BUNDLE", false },
		{ "SSL_CERT_DIR", true },
		{ "SSL_CERT_FILE", false },
	};
	struct crawl_config *c = &o->crawl;
	char what[64];

	if (c->ca_file || c->ca_dir || c->insecure)
		return OPTIONS_OK;
	for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) {
		const char *v = getenv(vars[i].name);

		if (!v || !*v)
			continue;
		snprintf(what, sizeof(what), "environment variable %s", vars[i].name);
		return set_tls_path(what, v, vars[i].dir,
				    vars[i].dir ? &c->ca_dir : &c->ca_file, err, n);
	}
	return OPTIONS_OK;
}

static enum options_status set_warc(struct options *o, const char *v,
				    char *err, size_t n)
{
	if (!*v)
		return fail(err, n, "warc", v, "is not a file name");
	o->warc = v;
	return OPTIONS_OK;
}

static enum options_status set_warc_max_size(struct options *o, const char *v,
					     char *err, size_t n)
{
	if (options_parse_size(v, &o->warc_max_bytes) == OPTIONS_OK)
		return OPTIONS_OK;
	return fail(err, n, "warc-max-size", v,
		    "is not a size (a number with k, M or G, at least 1 byte)");
}

static enum options_status set_state(struct options *o, const char *v,
				     char *err, size_t n)
{
	(void)err, (void)n;
	o->state_dir = v;
	return OPTIONS_OK;
}

static enum options_status set_checkpoint(struct options *o, const char *v,
					  char *err, size_t n)
{
	return set_duration("checkpoint-interval", v, &o->crawl.checkpoint_ms, err, n);
}

static enum options_status set_redis(struct options *o, const char *v,
				     char *err, size_t n)
{
	if (strncmp(v, "redis://", 8) != 0)
		return fail(err, n, "redis", v, "is not redis://HOST[:PORT][/DB]");
	o->redis = v;
	return OPTIONS_OK;
}

static enum options_status set_crawl(struct options *o, const char *v,
				     char *err, size_t n)
{
	(void)err, (void)n;
	o->crawl_name = v;
	return OPTIONS_OK;
}

static enum options_status set_lease_ttl(struct options *o, const char *v,
					 char *err, size_t n)
{
	if (set_duration("lease-ttl", v, &o->lease_ttl_ms, err, n))
		return OPTIONS_USAGE;
	if (o->lease_ttl_ms < 300)
		return fail(err, n, "lease-ttl", v, "is shorter than 300ms");
	return OPTIONS_OK;
}

/* --help and --version are answered in options_parse itself. The first
 * row of each group names it, in the order of the man page's sections. */
static const struct option_spec table[] = {
	{ "input-file", 'i', "FILE", NULL,
	  "read seed URLs from FILE, one a line ('-': standard input)", set_input,
	  .group = "Input and output",
	  .local = true },
	{ "sitemap", 0, "URL", NULL,
	  "also read the sitemap at URL (repeatable)", set_sitemap },
	{ "no-sitemaps", 0, NULL, NULL,
	  "do not read the sitemaps robots.txt names",
	  FLAG(crawl.robots_sitemaps, false) },
	{ "output", 'o', "FILE", "standard output",
	  "write the JSON Lines records to FILE", set_output,
	  .local = true },
	{ "stats", 0, "FILE", "standard error",
	  "write the summary object to FILE", set_stats,
	  .local = true },
	{ "links", 0, NULL, "off",
	  "add \"outlinks\", every link of the page, to its record",
	  FLAG(crawl.links, true) },
	{ "warc", 0, "FILE", NULL,
	  "archive every request and response in WARC files FILE-NNNNN.warc.gz "
	  "(uncompressed FILE-NNNNN.warc when FILE ends in .warc)",
	  set_warc,
	  .local = true },
	{ "warc-max-size", 0, "SIZE", "1G",
	  "start the next WARC file before one grows past SIZE", set_warc_max_size,
	  .local = true },
	{ "headers", 0, NULL, "off",
	  "add \"headers\", every response header, to each record",
	  FLAG(crawl.record_headers, true) },
	{ "state", 0, "DIR", NULL,
	  "journal the crawl in DIR; the same command resumes it", set_state,
	  .local = true },
	{ "checkpoint-interval", 0, "DURATION", "1s",
	  "with --state, fsync journal and output this often", set_checkpoint,
	  .local = true },
	{ "scope", 0, "host|domain|subdomains|any", "host",
	  "which links to follow, judged by the seeds", set_scope,
	  .group = "Scope" },
	{ "include", 0, "REGEX", NULL,
	  "follow only URLs matching REGEX (repeatable)", set_include },
	{ "exclude", 0, "REGEX", NULL,
	  "never follow URLs matching REGEX (repeatable)", set_exclude },
	{ "no-parent", 0, NULL, NULL,
	  "stay under each seed's directory",
	  FLAG(crawl.scope.no_parent, true) },
	{ "resources", 0, NULL, NULL,
	  "also fetch images, scripts, styles, media (not parsed)",
	  FLAG(crawl.resources, true) },
	{ "max-depth", 'd', "N", "unlimited",
	  "follow links at most N hops from a seed (0: seeds only)", set_max_depth,
	  .group = "Crawl limits" },
	{ "max-pages", 'n', "N", "unlimited", "fetch at most N URLs", set_max_pages },
	{ "max-time", 'T', "DURATION", "unlimited",
	  "stop the crawl after DURATION", set_max_time },
	{ "max-pages-per-host", 0, "N", "unlimited",
	  "admit at most N URLs from one origin", set_max_pages_per_host },
	{ "max-url-length", 0, "N", "2048",
	  "skip longer URLs (0: no limit)", set_max_url_length },
	{ "max-path-segments", 0, "N", "32",
	  "skip URLs with more path segments (0: no limit)", set_max_path_segments },
	{ "max-repeats", 0, "N", "3",
	  "skip URLs repeating a path segment more often in a row (0: no limit)",
	  set_max_repeats },
	{ "no-robots", 0, NULL, NULL, "ignore robots.txt",
	  FLAG(crawl.robots, false),
	  .group = "Politeness" },
	{ "delay", 0, "DURATION", "0",
	  "least time between two requests to one origin", set_delay },
	{ "max-rate", 0, "N", "unlimited",
	  "at most N requests per second to one origin", set_max_rate },
	{ "max-delay", 0, "DURATION", "30s",
	  "longest Crawl-delay or Retry-After obeyed", set_max_delay },
	{ "follow-nofollow", 0, NULL, NULL,
	  "follow rel=nofollow links and nofollow pages",
	  FLAG(crawl.follow_nofollow, true) },
	{ "concurrency", 'c', "N", "32", "most transfers in flight", set_concurrency,
	  .group = "Concurrency",
	  .local = true },
	{ "per-host", 0, "N", "8",
	  "most transfers in flight to one origin (scheme, host, port)", set_per_host },
	{ "parsers", 'p', "N", "online CPUs", "HTML parser threads", set_parsers,
	  .local = true },
	{ "timeout", 't', "DURATION", "30s", "most time for one request", set_timeout,
	  .group = "HTTP requests" },
	{ "connect-timeout", 0, "DURATION", "10s", "most time to connect",
	  set_connect_timeout },
	{ "max-size", 0, "SIZE", "10M",
	  "largest body accepted, after decompression", set_max_size },
	{ "limit-rate", 0, "RATE", "unlimited",
	  "most body bytes per second of one transfer (a SIZE)", set_limit_rate },
	{ "accept-type", 0, "TYPE", "every type",
	  "download only 2xx bodies of this media type, like text/html or "
	  "image/* (repeatable)", set_accept_type },
	{ "reject-type", 0, "TYPE", NULL,
	  "never download 2xx bodies of this media type (repeatable; wins over "
	  "--accept-type)", set_reject_type },
	{ "retries", 0, "N", "2",
	  "retry timeouts, failed connections, 429 and 502-504", set_retries },
	{ "max-redirects", 0, "N", "10",
	  "longest redirect chain followed", set_max_redirects },
	{ "user-agent", 'A', "STRING", CRAWL_DEFAULT_USER_AGENT,
	  "User-Agent header", set_user_agent },
	{ "header", 'H', "'NAME: VALUE'", NULL,
	  "extra request header (repeatable)", set_header },
	{ "resolve", 0, "HOST:PORT:ADDR", NULL,
	  "connect to ADDR for HOST:PORT, as curl's (repeatable)", set_resolve },
	{ "user", 0, "USER", NULL,
	  "HTTP Basic user, sent only to the seeds' origins", set_user },
	{ "password", 0, "PASS", "empty", "password for --user", set_password },
	{ "cookies", 0, NULL, NULL,
	  "keep cookies for the crawl, shared by all requests",
	  FLAG(crawl.cookies, true) },
	{ "load-cookies", 0, "FILE", NULL,
	  "start the jar from a Netscape cookie file (implies --cookies)",
	  set_load_cookies,
	  .local = true },
	{ "save-cookies", 0, "FILE", NULL,
	  "write the jar to FILE when the crawl ends (implies --cookies)",
	  set_save_cookies,
	  .local = true },
	{ "proxy", 0, "URL", NULL, "send requests through this proxy", set_proxy,
	  .local = true },
	{ "insecure", 'k', NULL, NULL,
	  "do not verify TLS certificates", FLAG(crawl.insecure, true) },
	{ "ca-certificate", 0, "FILE", "system CAs",
	  "trust only the CAs in PEM FILE (environment: CURL_CA_BUNDLE, "
	  "SSL_CERT_FILE)", set_ca_certificate,
	  .local = true },
	{ "ca-directory", 0, "DIR", "system CAs",
	  "trust only the CAs in DIR, hashed by openssl rehash (environment: "
	  "SSL_CERT_DIR)", set_ca_directory,
	  .local = true },
	{ "certificate", 0, "FILE", NULL,
	  "send this PEM client certificate to servers that ask for one",
	  set_certificate,
	  .local = true },
	{ "private-key", 0, "FILE", "in the certificate file",
	  "the PEM private key of --certificate", set_private_key,
	  .local = true },
	{ "http1.1", 0, NULL, NULL, "use HTTP/1.1, never HTTP/2",
	  FLAG(crawl.http11, true) },
	{ "quiet", 'q', NULL, NULL,
	  "no progress line and no summary on standard error",
	  FLAG(quiet, true),
	  .group = "Reporting",
	  .local = true },
	{ "verbose", 'v', NULL, NULL,
	  "a line on standard error for each fetched URL",
	  FLAG(crawl.verbose, true),
	  .local = true },
	{ "progress", 0, NULL, "when standard error is a terminal",
	  "draw a live status line on standard error", set_progress,
	  .local = true },
	{ "no-progress", 0, NULL, NULL, "never draw the status line", set_no_progress,
	  .local = true },
	{ "redis", 0, "URL", NULL,
	  "work on a crawl shared through the Redis at URL "
	  "(redis://HOST[:PORT][/DB]), with --crawl", set_redis,
	  .group = "Many machines", .local = true },
	{ "crawl", 0, "NAME", NULL,
	  "the shared crawl's name; the first worker's URLs and options "
	  "start it, later workers join it", set_crawl, .local = true },
	{ "collect", 0, NULL, NULL,
	  "be the crawl's collector: write its records to --output FILE "
	  "(and --warc), then end it", FLAG(collect, true), .local = true },
	{ "lease-ttl", 0, "DURATION", "5s",
	  "a worker's hold on a URL lapses this long after it stops renewing "
	  "it (it died)", set_lease_ttl, .local = true },
	{ "keep", 0, NULL, NULL,
	  "the collector leaves the crawl's keys in Redis when it ends",
	  FLAG(keep, true), .local = true },
	{ "help", 'h', NULL, NULL, "print this help and exit", NULL,
	  .group = "Miscellaneous",
	  .local = true },
	{ "version", 'V', NULL, NULL, "print the version and exit", NULL,
	  .local = true },};

#define NOPTS (sizeof(table) / sizeof(table[0]))
#define LONG_ONLY_BASE 256 /* getopt codes for options with no letter */

const char *const *options_long_names(void)
{
	static const char *names[NOPTS + 1];

	for (size_t i = 0; i < NOPTS; i++)
		names[i] = table[i].name;
	return names;
}

#define HELP_WIDTH 80
#define HELP_LEFT 28 /* the column the help text starts in */

/* Write text from column col, wrapped at HELP_WIDTH, continuing at
 * HELP_LEFT; the column it ends in. */
static int wrap(FILE *out, int col, const char *text)
{
	while (*text) {
		int word = (int)strcspn(text, " ");

		if (col > HELP_LEFT && col + 1 + word > HELP_WIDTH) {
			fprintf(out, "\n%*s", HELP_LEFT, "");
			col = HELP_LEFT;
		} else if (col > HELP_LEFT) {
			fputc(' ', out);
			col++;
		}
		fprintf(out, "%.*s", word, text);
		col += word;
		text += word;
		text += strspn(text, " ");
	}
	return col;
}

/* "  -c, --concurrency N", the help wrapped beside it, and the default
 * kept on one line where it fits. */
static void help_row(FILE *out, const struct option_spec *s)
{
	char def[96];
	int col = s->letter ? fprintf(out, "  -%c, --%s", s->letter, s->name)
			    : fprintf(out, "      --%s", s->name);

	if (s->arg)
		col += fprintf(out, " %s", s->arg);
	if (col > HELP_LEFT - 2) {
		fputc('\n', out);
		col = 0;
	}
	fprintf(out, "%*s", HELP_LEFT - col, "");
	col = wrap(out, HELP_LEFT, s->help);
	if (s->def) {
		int len = snprintf(def, sizeof(def), "(default: %s)", s->def);

		if (col + 1 + len > HELP_WIDTH && len <= HELP_WIDTH - HELP_LEFT) {
			fprintf(out, "\n%*s", HELP_LEFT, "");
			col = HELP_LEFT - 1; /* wrap's separating space lands here */
		}
		wrap(out, col, def);
	}
	fputc('\n', out);
}

void options_help(FILE *out)
{
	fputs("Usage: crawler [OPTION]... URL...\n"
	      "Crawl from the seed URLs, following links in scope once each, and\n"
	      "write one JSON object per fetched URL (JSON Lines).\n",
	      out);
	for (size_t i = 0; i < NOPTS; i++) {
		if (table[i].group)
			fprintf(out, "\n%s:\n", table[i].group);
		help_row(out, &table[i]);
	}
	fputs("\nDURATION: a number with ms, s, m or h (no unit: seconds).\n"
	      "SIZE: a number with k, M or G (powers of 1024; no unit: bytes).\n"
	      "Exit status: 0 done or a limit reached, 1 runtime failure,\n"
	      "2 usage error, 3 nothing could be fetched,\n"
	      "130/143 interrupted by SIGINT/SIGTERM.\n"
	      "The manual: man crawler\n",
	      out);
}

static void build_getopt(struct option *longopts, char *shortopts)
{
	char *p = shortopts;

	*p++ = ':'; /* report a missing value as ':' rather than '?' */
	for (size_t i = 0; i < NOPTS; i++) {
		longopts[i] = (struct option){
			.name = table[i].name,
			.has_arg = table[i].arg ? required_argument : no_argument,
			.val = table[i].letter ? table[i].letter : LONG_ONLY_BASE + (int)i,
		};
		if (table[i].letter) {
			*p++ = table[i].letter;
			if (table[i].arg)
				*p++ = ':';
		}
	}
	*p = '\0';
	longopts[NOPTS] = (struct option){ 0 };
}

static const struct option_spec *spec_for(int code)
{
	for (size_t i = 0; i < NOPTS; i++)
		if (code == (table[i].letter ? table[i].letter : LONG_ONLY_BASE + (int)i))
			return &table[i];
	return NULL;
}

static void bad_option(int code, char **argv, char *err, size_t n)
{
	const char *word = argv[optind - 1];
	const char *eq = strchr(word, '=');

	/* glibc sets optopt to the option's own code for "--flag=value". */
	if (code == '?' && !strncmp(word, "--", 2) && eq)
		snprintf(err, n, "option '%.*s' takes no value", (int)(eq - word), word);
	else if (code == ':')
		snprintf(err, n, "option '%s' needs a value", word);
	else if (optopt && optopt < LONG_ONLY_BASE)
		snprintf(err, n, "unknown option '-%c'", optopt);
	else
		snprintf(err, n, "unknown option '%s'", word);
}

static void version(FILE *out)
{
	fprintf(out, "crawler %s\n", CRAWL_VERSION);
}

/* The lists of the HTTP request options into the crawl's config, and what
 * only the whole command line can say. */
static enum options_status request_options_done(struct options *o, char *err,
						size_t n)
{
	if (o->crawl.password && !o->crawl.user) {
		snprintf(err, n, "--password needs --user");
		return OPTIONS_USAGE;
	}
	o->crawl.resolve = o->resolve;
	o->crawl.nresolve = o->nresolve;
	o->crawl.types = (struct mediatype_filter){
		.accept = o->accept_types, .naccept = o->naccept_types,
		.reject = o->reject_types, .nreject = o->nreject_types,
	};
	return OPTIONS_OK;
}

/* Option s (with value v) into the part of the command line it belongs
 * to (options.h); -i is neither: its seeds are. */
static enum options_status keep_arg(struct options *o, const struct option_spec *s,
				    const char *v, char *err, size_t n)
{
	char name[64];
	char ***list = s->local ? &o->local_args : &o->crawl_args;
	size_t *count = s->local ? &o->nlocal_args : &o->ncrawl_args;

	if (s->letter == 'i')
		return OPTIONS_OK;
	snprintf(name, sizeof(name), "--%s", s->name);
	if (!push(list, count, name) || (s->arg && !push(list, count, v))) {
		snprintf(err, n, "out of memory");
		return OPTIONS_USAGE;
	}
	return OPTIONS_OK;
}

/* What a shared crawl's processes may and must be given. */
static enum options_status shared_done(struct options *o, char *err, size_t n)
{
	bool to_file = o->output && strcmp(o->output, "-") != 0;

	if (!o->redis != !o->crawl_name) {
		snprintf(err, n, "--redis and --crawl go together");
		return OPTIONS_USAGE;
	}
	if (!o->redis && (o->collect || o->keep)) {
		snprintf(err, n, "--%s needs --redis and --crawl",
			 o->collect ? "collect" : "keep");
		return OPTIONS_USAGE;
	}
	if (!o->redis)
		return OPTIONS_OK;
	if (o->state_dir) {
		snprintf(err, n, "--state is for a crawl on one machine: a shared "
			 "crawl's state is in Redis");
		return OPTIONS_USAGE;
	}
	if (o->collect && (!to_file || o->ncrawl_args || o->nseeds)) {
		snprintf(err, n, "--collect takes --output FILE (not standard output) "
			 "and no URL or crawl option: the workers give those");
		return OPTIONS_USAGE;
	}
	if (!o->collect && (o->output || o->warc)) {
		snprintf(err, n, "a worker's records go to the crawl's collector: "
			 "give --output and --warc to 'crawler --collect'");
		return OPTIONS_USAGE;
	}
	if (!o->collect && o->keep) {
		snprintf(err, n, "--keep is the collector's (--collect)");
		return OPTIONS_USAGE;
	}
	return OPTIONS_OK;
}

enum options_status options_parse(struct options *o, int argc, char **argv,
				  FILE *out, char *err, size_t errlen)
{
	struct option longopts[NOPTS + 1];
	char shortopts[NOPTS * 2 + 2];
	enum options_status rc;
	int code;

	memset(o, 0, sizeof(*o));
	crawl_config_init(&o->crawl);
	o->progress = -1;
	o->warc_max_bytes = WARC_DEFAULT_MAX_BYTES;
	o->lease_ttl_ms = 5000;
	build_getopt(longopts, shortopts);
	optind = 0; /* glibc: start over, also when called again (tests) */
	opterr = 0;
	while ((code = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		const struct option_spec *s = spec_for(code);

		if (!s) {
			bad_option(code, argv, err, errlen);
			return OPTIONS_USAGE;
		}
		if (!strcmp(s->name, "help") || !strcmp(s->name, "version")) {
			(s->name[0] == 'h' ? options_help : version)(out);
			return OPTIONS_EXIT;
		}
		if (!s->set)
			*(bool *)(void *)((char *)o + s->flag) = s->flag_value;
		else if ((rc = s->set(o, optarg, err, errlen)) != OPTIONS_OK)
			return rc;
		if ((rc = keep_arg(o, s, optarg, err, errlen)) != OPTIONS_OK)
			return rc;
	}
	for (int i = optind; i < argc; i++)
		if (!push(&o->seeds, &o->nseeds, argv[i])) {
			snprintf(err, errlen, "out of memory");
			return OPTIONS_USAGE;
		}
	for (size_t i = 0; i < o->nseeds; i++)
		if ((!i && !push(&o->crawl_args, &o->ncrawl_args, "--")) ||
		    !push(&o->crawl_args, &o->ncrawl_args, o->seeds[i])) {
			snprintf(err, errlen, "out of memory");
			return OPTIONS_USAGE;
		}
	if ((rc = shared_done(o, err, errlen)) != OPTIONS_OK)
		return rc;
	if (!o->nseeds && !o->redis) {
		snprintf(err, errlen, "no URL given");
		return OPTIONS_USAGE;
	}
	if (o->crawl.client_key && !o->crawl.client_cert) {
		snprintf(err, errlen, "--private-key needs --certificate");
		return OPTIONS_USAGE;
	}
	if ((rc = ca_from_env(o, err, errlen)) != OPTIONS_OK)
		return rc;
	if (o->state_dir && (!o->output || !strcmp(o->output, "-"))) {
		snprintf(err, errlen, "--state needs --output FILE: the output is "
			 "half of what a resume reads");
		return OPTIONS_USAGE;
	}
	o->crawl.seeds = o->seeds;
	o->crawl.nseeds = o->nseeds;
	o->crawl.sitemaps = o->sitemaps;
	o->crawl.nsitemaps = o->nsitemaps;
	o->crawl.headers = o->headers;
	o->crawl.nheaders = o->nheaders;
	o->crawl.scope.include = o->include;
	o->crawl.scope.ninclude = o->ninclude;
	o->crawl.scope.exclude = o->exclude;
	o->crawl.scope.nexclude = o->nexclude;
	return request_options_done(o, err, errlen);
}

static void free_list(char ***list, size_t *n)
{
	for (size_t i = 0; i < *n; i++)
		free((*list)[i]);
	free(*list);
	*list = NULL;
	*n = 0;
}

void options_release(struct options *o)
{
	free_list(&o->seeds, &o->nseeds);
	free_list(&o->sitemaps, &o->nsitemaps);
	free_list(&o->headers, &o->nheaders);
	free_list(&o->include, &o->ninclude);
	free_list(&o->exclude, &o->nexclude);
	free(o->password);
	o->password = NULL;
	free_list(&o->resolve, &o->nresolve);
	free_list(&o->accept_types, &o->naccept_types);
	free_list(&o->reject_types, &o->nreject_types);
	free_list(&o->crawl_args, &o->ncrawl_args);
	free_list(&o->local_args, &o->nlocal_args);
}
