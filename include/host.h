/* host: the host of an http(s) URL, parsed and written as the WHATWG URL
 * Standard does for a special scheme (section 3.5, host parsing; 3.6,
 * serialisation), as browsers do:
 *
 * - "[...]" is an IPv6 address, written compressed in lowercase hex, an
 *   embedded IPv4 part turned into hex ("[::127.0.0.1]" is "[::7f00:1]");
 * - anything else is percent-decoded and made ASCII by UTS #46 (libidn2,
 *   non-transitional: "Bücher" is "xn--bcher-kva", "Ｇｏ" is "go"); a host
 *   that holds a forbidden domain code point (controls, space, % / : < > ?
 *   @ [ \ ] ^ | and #) after that is refused;
 * - a domain whose last label is a number is an IPv4 address in the forms
 *   browsers take ("0x7f.1", "192.168.257.", "999999999"), written dotted
 *   decimal, or refused when it is out of range or another label is no
 *   number ("1.2.3.08", "foo.1").
 *
 * Two choices of ours where libidn2 is not UTS #46: an ASCII label in its
 * xn-- form is only lowercased (libidn2 checks the label it decodes to by
 * IDNA2008, which refuses labels browsers take; a bad one names no host DNS
 * answers for, so the fetch fails instead), and libidn2's IDNA2008 rules
 * refuse symbols UTS #46 takes ("☃") and labels over 63 bytes. */
#ifndef CRAWLER_HOST_H
#define CRAWLER_HOST_H

#include <stddef.h>

enum host_status {
	HOST_OK,
	HOST_INVALID, /* not a host: the URL is a failure */
	HOST_NOMEM,
};

/* Parse in (n bytes: the URL's host as written, without userinfo or port)
 * and return its serialisation, malloc'd and NUL-terminated, with its
 * length in *len; NULL with *status set when it is not a host. */
char *host_parse(const char *in, size_t n, size_t *len,
		 enum host_status *status);

#endif
