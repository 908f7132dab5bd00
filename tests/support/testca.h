/* testca: a certificate authority made for one test, and the certificates
 * it signs, for crawls over real TLS.
 *
 * GnuTLS makes the keys (ECDSA P-256, which takes a millisecond, where RSA
 * would take a second per key) and signs the certificates in the test
 * process; every file is written as PEM into the CA's own temporary
 * directory (/tmp/tls-XXXXXX), which testca_free removes. A certificate
 * names its hosts in subjectAltName only, as browsers and libcurl require.
 * Failures abort the test (Criterion asserts). */
#ifndef CRAWLER_TESTCA_H
#define CRAWLER_TESTCA_H

#include <stdbool.h>

struct testca {
	char *dir;       /* the temporary directory, removed by testca_free */
	char *cert;      /* path of the CA certificate (PEM) */
	char *cert_pem;  /* its contents */
	void *crt, *key; /* GnuTLS's certificate and key of the CA */
};

/* A certificate and its key, issued by a testca. */
struct testca_cert {
	char *cert;      /* path of the certificate (PEM) */
	char *key;       /* path of its private key (PEM, not encrypted) */
	char *both;      /* path of one file with the certificate, then the key */
	char *cert_pem;  /* contents of cert */
	char *key_pem;   /* contents of key */
};

enum testca_use {
	TESTCA_SERVER = 0, /* TLS web server authentication */
	TESTCA_CLIENT = 1, /* TLS web client authentication */
};

/* A new CA called cn, in a directory of its own. */
struct testca *testca_new(const char *cn);
/* Remove the CA's directory and everything in it, and free ca (and
 * nothing it issued); NULL is fine. */
void testca_free(struct testca *ca);

/* Issue name.pem, name.key and name-both.pem in the CA's directory, for
 * the hosts in names (words split by spaces: an IPv4 address becomes an IP
 * name, anything else a DNS name). expired: valid for a day that ended an
 * hour ago; otherwise valid from an hour ago for a day. */
struct testca_cert *testca_issue(struct testca *ca, const char *name,
				 const char *names, enum testca_use use,
				 bool expired);
void testca_cert_free(struct testca_cert *c);

/* A directory in the CA's own holding its certificate under the subject
 * hash names OpenSSL looks up (made with `openssl rehash`, so the names
 * are OpenSSL's own); malloc'd. Skips the test when openssl is missing. */
char *testca_hashed_dir(struct testca *ca);

#endif
