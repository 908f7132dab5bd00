/* nginxsrv: nginx as a child of the test process (see nginxsrv.h).
 *
 * The port: the kernel picks a free one for a socket bound to port 0,
 * which is closed before nginx binds it; the addresses 127.0.0.70-79 are
 * this suite's alone, so nothing else takes it meanwhile, and a start that
 * still finds it taken tries another. nginx is ready when a connection to
 * the port succeeds. */
#include "nginxsrv.h"

#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <ftw.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define START_TRIES 5
#define READY_WAIT_MS 5000

/* The nginx binary: on PATH, or in /usr/sbin, where Debian puts it and
 * where a normal user's PATH often does not go; NULL if none. */
static char *find_nginx(void)
{
	const char *path = getenv("PATH");
	char *dirs, *save = NULL, *found = NULL;

	if (asprintf(&dirs, "%s:/usr/sbin:/sbin", path ? path : "") < 0)
		return NULL;
	for (char *d = strtok_r(dirs, ":", &save); d && !found;
	     d = strtok_r(NULL, ":", &save)) {
		char *bin;

		if (asprintf(&bin, "%s/nginx", d) < 0)
			break;
		if (access(bin, X_OK) == 0)
			found = bin;
		else
			free(bin);
	}
	free(dirs);
	return found;
}

static struct sockaddr_in addr_of(const char *ip, unsigned short port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };

	cr_assert_eq(inet_pton(AF_INET, ip, &sa.sin_addr), 1, "not IPv4: %s", ip);
	return sa;
}

static unsigned short free_port(const char *ip)
{
	struct sockaddr_in sa = addr_of(ip, 0);
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	cr_assert_geq(fd, 0);
	cr_assert_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0,
		     "bind %s: %s", ip, strerror(errno));
	cr_assert_eq(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	close(fd);
	return ntohs(sa.sin_port);
}

static bool accepts(const char *ip, unsigned short port)
{
	struct sockaddr_in sa = addr_of(ip, port);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool ok = fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;

	if (fd >= 0)
		close(fd);
	return ok;
}

static char *path_in(const char *dir, const char *name)
{
	char *p;

	cr_assert_geq(asprintf(&p, "%s/%s", dir, name), 0);
	return p;
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	int c;

	cr_assert_not_null(m);
	while (f && (c = getc(f)) != EOF)
		putc(c, m);
	if (f)
		fclose(f);
	fclose(m);
	return buf;
}

/* One process, in the foreground: nothing forks off that could outlive
 * the test, and no worker has to be found to be killed. */
static void write_conf(const struct nginxsrv *s, const char *root,
		       const char *cert, const char *key)
{
	char *conf = path_in(s->dir, "nginx.conf");
	FILE *f = fopen(conf, "w");
	const char *d = s->dir;

	cr_assert_not_null(f, "%s: %s", conf, strerror(errno));
	fprintf(f,
		"daemon off;\n"
		"master_process off;\n"
		"pid %s/nginx.pid;\n"
		"error_log %s/error.log warn;\n"
		"events { worker_connections 256; }\n"
		"http {\n"
		"  log_format proto '$server_protocol $status $request_uri';\n"
		"  access_log %s/access.log proto;\n"
		"  types { text/html html; text/plain txt; }\n"
		"  default_type application/octet-stream;\n"
		"  client_body_temp_path %s/body;\n"
		"  proxy_temp_path %s/proxy;\n"
		"  fastcgi_temp_path %s/fastcgi;\n"
		"  uwsgi_temp_path %s/uwsgi;\n"
		"  scgi_temp_path %s/scgi;\n"
		"  server {\n"
		"    listen %s:%u ssl http2;\n"
		"    ssl_certificate %s;\n"
		"    ssl_certificate_key %s;\n"
		"    root %s;\n"
		"  }\n"
		"}\n",
		d, d, d, d, d, d, d, d, s->ip, s->port, cert, key, root);
	cr_assert_eq(fclose(f), 0);
	free(conf);
}

static pid_t spawn(const char *bin, const struct nginxsrv *s)
{
	char *conf = path_in(s->dir, "nginx.conf");
	char *err = path_in(s->dir, "error.log");
	pid_t parent = getpid(), pid = fork();

	cr_assert_geq(pid, 0, "fork: %s", strerror(errno));
	if (pid == 0) {
		/* Die with the test process, whatever way it ends. */
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) || getppid() != parent)
			_exit(127);
		execl(bin, "nginx", "-p", s->dir, "-c", conf, "-e", err,
		      (char *)NULL);
		_exit(127);
	}
	free(conf);
	free(err);
	return pid;
}

/* Whether nginx came up on its port; if it exited instead, it is reaped. */
static bool wait_ready(struct nginxsrv *s)
{
	for (int waited = 0; waited < READY_WAIT_MS; waited += 10) {
		int status;

		if (waitpid(s->pid, &status, WNOHANG) == s->pid) {
			s->pid = 0;
			return false;
		}
		if (accepts(s->ip, s->port))
			return true;
		nanosleep(&(struct timespec){ .tv_nsec = 10 * 1000000 }, NULL);
	}
	return false;
}

struct nginxsrv *nginxsrv_start(const char *ip, const char *root,
				const char *cert, const char *key)
{
	char *bin = find_nginx();
	struct nginxsrv *s;

	if (!bin)
		cr_skip_test("nginx is not installed (make deps installs nginx-light)");
	s = calloc(1, sizeof(*s));
	cr_assert_not_null(s);
	snprintf(s->ip, sizeof(s->ip), "%s", ip);
	s->dir = strdup("/tmp/tls-nginx-XXXXXX");
	cr_assert(s->dir && mkdtemp(s->dir), "mkdtemp: %s", strerror(errno));
	for (int i = 0; i < START_TRIES; i++) {
		s->port = free_port(ip);
		write_conf(s, root, cert, key);
		s->pid = spawn(bin, s);
		if (wait_ready(s))
			break;
		if (s->pid) {
			kill(s->pid, SIGKILL);
			waitpid(s->pid, NULL, 0);
			s->pid = 0;
		}
	}
	free(bin);
	if (!s->pid) {
		char *log = path_in(s->dir, "error.log"), *text = slurp(log);

		free(log);
		cr_log_error("nginx error.log:\n%s", text);
		free(text);
		nginxsrv_stop(s);
		cr_assert_fail("nginx did not start on %s", ip);
	}
	return s;
}

static int remove_one(const char *path, const struct stat *st, int flag,
		      struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(path);
}

void nginxsrv_stop(struct nginxsrv *s)
{
	if (!s)
		return;
	if (s->pid) {
		kill(s->pid, SIGKILL);
		waitpid(s->pid, NULL, 0);
	}
	nftw(s->dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
	free(s->dir);
	free(s);
}

char *nginxsrv_url(const struct nginxsrv *s, const char *path)
{
	char *url;

	cr_assert_geq(asprintf(&url, "https://%s:%u%s", s->ip, s->port, path), 0);
	return url;
}

char *nginxsrv_access_log(const struct nginxsrv *s)
{
	char *log = path_in(s->dir, "access.log"), *text = slurp(log);

	free(log);
	return text;
}
