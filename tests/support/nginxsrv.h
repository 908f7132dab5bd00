/* nginxsrv: nginx serving a directory over HTTPS with HTTP/2 on loopback,
 * for tests that need a server the crawler was not written against.
 *
 * nginx runs as one process (master_process off, daemon off) that is a
 * child of the test process, with its configuration, pid, logs and
 * temporary files in a directory of its own (/tmp/tls-nginx-XXXXXX), and
 * dies with the test process (PR_SET_PDEATHSIG), so a test that crashes or
 * times out cannot leave it behind. nginxsrv_stop kills it, waits for it
 * and removes the directory; call it from a .fini fixture, which Criterion
 * runs after a failed assertion too. The access log has one line per
 * request: "$server_protocol $status $request_uri". */
#ifndef CRAWLER_NGINXSRV_H
#define CRAWLER_NGINXSRV_H

#include <sys/types.h>

struct nginxsrv {
	char *dir;          /* its directory */
	char ip[16];
	unsigned short port;
	pid_t pid;          /* 0 once stopped */
};

/* Serve root on ip over HTTPS (HTTP/2 offered by ALPN) with the PEM
 * certificate and key files; a free port is picked. Skips the test when
 * nginx is not installed; aborts it when nginx does not start. */
struct nginxsrv *nginxsrv_start(const char *ip, const char *root,
				const char *cert, const char *key);
/* Stop nginx (SIGKILL: nothing of its own is worth saving), wait for it,
 * remove its directory and free s; NULL is fine. */
void nginxsrv_stop(struct nginxsrv *s);

/* "https://IP:PORT" followed by path; malloc'd. */
char *nginxsrv_url(const struct nginxsrv *s, const char *path);
/* The access log so far, NUL-terminated; malloc'd. */
char *nginxsrv_access_log(const struct nginxsrv *s);

#endif
