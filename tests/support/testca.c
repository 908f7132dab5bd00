/* testca: certificates made with GnuTLS for the TLS tests (see testca.h).
 *
 * The dates are GnuTLS's to set, which the openssl command of Debian 12
 * cannot do for an expired certificate without a whole `openssl ca` setup;
 * only the subject-hash names of a CA directory come from openssl, since
 * they are OpenSSL's own hash. */
#include "testca.h"

#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <ftw.h>
#include <gnutls/gnutls.h>
#include <gnutls/crypto.h>
#include <gnutls/x509.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

extern char **environ;

/* The CAs not yet freed, whose directories go at exit: a test that fails
 * an assertion skips its own testca_free, and Criterion then exits the
 * test's process normally. One test per process, so no lock. */
#define MAX_LIVE 16
static struct testca *live[MAX_LIVE];

#define HOUR 3600
#define DAY (24 * HOUR)

#define GNUTLS_OK(call)                                                   \
	do {                                                              \
		int rc_ = (call);                                         \
		cr_assert_geq(rc_, 0, "%s: %s", #call, gnutls_strerror(rc_)); \
	} while (0)

static char *path_in(const char *dir, const char *name, const char *suffix)
{
	char *p;

	cr_assert_geq(asprintf(&p, "%s/%s%s", dir, name, suffix), 0);
	return p;
}

static void write_file(const char *path, const char *a, const char *b)
{
	FILE *f = fopen(path, "w");

	cr_assert_not_null(f, "%s: %s", path, strerror(errno));
	fputs(a, f);
	if (b)
		fputs(b, f);
	cr_assert_eq(fclose(f), 0, "%s: %s", path, strerror(errno));
}

static int remove_one(const char *path, const struct stat *st, int flag,
		      struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(path);
}

static void remove_leftovers(void)
{
	for (size_t i = 0; i < MAX_LIVE; i++)
		if (live[i])
			nftw(live[i]->dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* Add ca to live (or, with ca NULL, take old out). */
static void track(struct testca *ca, struct testca *old)
{
	static bool registered;

	if (!registered)
		registered = atexit(remove_leftovers) == 0;
	for (size_t i = 0; i < MAX_LIVE; i++)
		if (live[i] == old) {
			live[i] = ca;
			return;
		}
	cr_assert(!ca, "more than %d CAs at once", MAX_LIVE);
}

static gnutls_x509_privkey_t new_key(void)
{
	gnutls_x509_privkey_t key;

	GNUTLS_OK(gnutls_x509_privkey_init(&key));
	GNUTLS_OK(gnutls_x509_privkey_generate(
		key, GNUTLS_PK_ECDSA,
		GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0));
	return key;
}

/* A certificate for key named cn, valid from not_before for a day, with
 * a random serial (two certificates of one CA must not share one). */
static gnutls_x509_crt_t new_crt(gnutls_x509_privkey_t key, const char *cn,
				 time_t not_before)
{
	gnutls_x509_crt_t crt;
	unsigned char serial[16], id[64];
	size_t idlen = sizeof(id);

	GNUTLS_OK(gnutls_x509_crt_init(&crt));
	GNUTLS_OK(gnutls_x509_crt_set_version(crt, 3));
	GNUTLS_OK(gnutls_rnd(GNUTLS_RND_NONCE, serial, sizeof(serial)));
	serial[0] &= 0x7f; /* a positive INTEGER */
	GNUTLS_OK(gnutls_x509_crt_set_serial(crt, serial, sizeof(serial)));
	GNUTLS_OK(gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME,
						0, cn, (unsigned)strlen(cn)));
	GNUTLS_OK(gnutls_x509_crt_set_activation_time(crt, not_before));
	GNUTLS_OK(gnutls_x509_crt_set_expiration_time(crt, not_before + DAY));
	GNUTLS_OK(gnutls_x509_crt_set_key(crt, key));
	GNUTLS_OK(gnutls_x509_crt_get_key_id(crt, 0, id, &idlen));
	GNUTLS_OK(gnutls_x509_crt_set_subject_key_id(crt, id, idlen));
	return crt;
}

static char *crt_pem(gnutls_x509_crt_t crt)
{
	gnutls_datum_t d;
	char *s;

	GNUTLS_OK(gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, &d));
	s = strndup((const char *)d.data, d.size);
	gnutls_free(d.data);
	cr_assert_not_null(s);
	return s;
}

static char *key_pem(gnutls_x509_privkey_t key)
{
	gnutls_datum_t d;
	char *s;

	GNUTLS_OK(gnutls_x509_privkey_export2(key, GNUTLS_X509_FMT_PEM, &d));
	s = strndup((const char *)d.data, d.size);
	gnutls_free(d.data);
	cr_assert_not_null(s);
	return s;
}

struct testca *testca_new(const char *cn)
{
	struct testca *ca = calloc(1, sizeof(*ca));
	gnutls_x509_privkey_t key = new_key();
	gnutls_x509_crt_t crt = new_crt(key, cn, time(NULL) - HOUR);

	cr_assert_not_null(ca);
	ca->dir = strdup("/tmp/tls-ca-XXXXXX");
	cr_assert(ca->dir && mkdtemp(ca->dir), "mkdtemp: %s", strerror(errno));
	track(ca, NULL);
	GNUTLS_OK(gnutls_x509_crt_set_basic_constraints(crt, 1, -1));
	GNUTLS_OK(gnutls_x509_crt_set_key_usage(
		crt, GNUTLS_KEY_KEY_CERT_SIGN | GNUTLS_KEY_CRL_SIGN |
			     GNUTLS_KEY_DIGITAL_SIGNATURE));
	GNUTLS_OK(gnutls_x509_crt_sign2(crt, crt, key, GNUTLS_DIG_SHA256, 0));
	ca->crt = crt;
	ca->key = key;
	ca->cert_pem = crt_pem(crt);
	ca->cert = path_in(ca->dir, "ca", ".pem");
	write_file(ca->cert, ca->cert_pem, NULL);
	return ca;
}

void testca_free(struct testca *ca)
{
	if (!ca)
		return;
	track(NULL, ca);
	nftw(ca->dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
	gnutls_x509_crt_deinit(ca->crt);
	gnutls_x509_privkey_deinit(ca->key);
	free(ca->dir);
	free(ca->cert);
	free(ca->cert_pem);
	free(ca);
}

/* Each word of names as a subjectAltName entry. */
static void add_names(gnutls_x509_crt_t crt, const char *names)
{
	char *copy = strdup(names), *save = NULL;

	cr_assert_not_null(copy);
	for (char *w = strtok_r(copy, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
		struct in_addr ip;

		if (inet_pton(AF_INET, w, &ip) == 1)
			GNUTLS_OK(gnutls_x509_crt_set_subject_alt_name(
				crt, GNUTLS_SAN_IPADDRESS, &ip, sizeof(ip),
				GNUTLS_FSAN_APPEND));
		else
			GNUTLS_OK(gnutls_x509_crt_set_subject_alt_name(
				crt, GNUTLS_SAN_DNSNAME, w, (unsigned)strlen(w),
				GNUTLS_FSAN_APPEND));
	}
	free(copy);
}

struct testca_cert *testca_issue(struct testca *ca, const char *name,
				 const char *names, enum testca_use use,
				 bool expired)
{
	struct testca_cert *c = calloc(1, sizeof(*c));
	gnutls_x509_privkey_t key = new_key();
	time_t start = time(NULL) - (expired ? DAY + HOUR : HOUR);
	gnutls_x509_crt_t crt = new_crt(key, name, start);
	unsigned char id[64];
	size_t idlen = sizeof(id);

	cr_assert_not_null(c);
	GNUTLS_OK(gnutls_x509_crt_set_basic_constraints(crt, 0, -1));
	GNUTLS_OK(gnutls_x509_crt_set_key_usage(crt, GNUTLS_KEY_DIGITAL_SIGNATURE));
	GNUTLS_OK(gnutls_x509_crt_set_key_purpose_oid(
		crt, use == TESTCA_CLIENT ? GNUTLS_KP_TLS_WWW_CLIENT :
					    GNUTLS_KP_TLS_WWW_SERVER, 0));
	add_names(crt, names);
	GNUTLS_OK(gnutls_x509_crt_get_subject_key_id(ca->crt, id, &idlen, NULL));
	GNUTLS_OK(gnutls_x509_crt_set_authority_key_id(crt, id, idlen));
	GNUTLS_OK(gnutls_x509_crt_sign2(crt, ca->crt, ca->key, GNUTLS_DIG_SHA256, 0));
	c->cert_pem = crt_pem(crt);
	c->key_pem = key_pem(key);
	c->cert = path_in(ca->dir, name, ".pem");
	c->key = path_in(ca->dir, name, ".key");
	c->both = path_in(ca->dir, name, "-both.pem");
	write_file(c->cert, c->cert_pem, NULL);
	write_file(c->key, c->key_pem, NULL);
	write_file(c->both, c->cert_pem, c->key_pem);
	gnutls_x509_crt_deinit(crt);
	gnutls_x509_privkey_deinit(key);
	return c;
}

void testca_cert_free(struct testca_cert *c)
{
	if (!c)
		return;
	free(c->cert);
	free(c->key);
	free(c->both);
	free(c->cert_pem);
	free(c->key_pem);
	free(c);
}

char *testca_hashed_dir(struct testca *ca)
{
	char *dir = path_in(ca->dir, "hashed", ""), *pem = path_in(dir, "ca", ".pem");
	char *argv[] = { "openssl", "rehash", dir, NULL };
	pid_t pid;
	int rc, status;

	cr_assert_eq(mkdir(dir, 0700), 0, "%s: %s", dir, strerror(errno));
	write_file(pem, ca->cert_pem, NULL);
	free(pem);
	rc = posix_spawnp(&pid, "openssl", NULL, NULL, argv, environ);
	if (rc == ENOENT)
		cr_skip_test("openssl is not installed (make deps installs it)");
	cr_assert_eq(rc, 0, "openssl: %s", strerror(rc));
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		  "openssl rehash %s failed", dir);
	return dir;
}
