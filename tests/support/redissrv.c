/* redissrv: redis-server as a child of the test process (see redissrv.h).
 *
 * Redis has no ephemeral port: the kernel picks a free one for a socket
 * bound to port 0, which is closed before redis-server binds it, and a
 * start that finds it taken meanwhile (redis-server exits) tries another.
 * A restart keeps the port: what the tests hold is its URL. redis-server
 * is ready when it answers with its own process id, its AOF loaded. */
#include "redissrv.h"

#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <ftw.h>
#include <hiredis.h>
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
#define READY_WAIT_MS 10000
#define REDIS_SERVER "/usr/bin/redis-server"

static unsigned short free_port(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	cr_assert_geq(fd, 0);
	cr_assert_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0, "bind: %s",
		     strerror(errno));
	cr_assert_eq(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	close(fd);
	return ntohs(sa.sin_port);
}

static pid_t spawn(const struct redissrv *s)
{
	char port[8], logfile[4096];
	pid_t parent = getpid(), pid;

	snprintf(port, sizeof(port), "%u", s->port);
	snprintf(logfile, sizeof(logfile), "%s/redis.log", s->dir);
	pid = fork();
	cr_assert_geq(pid, 0, "fork: %s", strerror(errno));
	if (pid == 0) {
		/* Die with the test process, whatever way it ends. */
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) || getppid() != parent)
			_exit(127);
		execl(REDIS_SERVER, "redis-server", "--port", port, "--bind", "127.0.0.1",
		      "--dir", s->dir, "--logfile", logfile, "--save", "",
		      "--appendonly", s->aof ? "yes" : "no", "--daemonize", "no",
		      (char *)NULL);
		_exit(127);
	}
	return pid;
}

/* Whether the redis-server on port is pid (another test's may have taken
 * the port while this one's was failing to) and has loaded its AOF: INFO
 * answers while it loads, most commands say LOADING. */
static bool answers(unsigned short port, pid_t pid)
{
	const struct timeval tv = { .tv_sec = 1 };
	redisContext *c = redisConnectWithTimeout("127.0.0.1", port, tv);
	redisReply *rep = c && !c->err ? redisCommand(c, "INFO server persistence") : NULL;
	const char *at = rep && rep->type == REDIS_REPLY_STRING ?
			 strstr(rep->str, "\r\nprocess_id:") : NULL;
	bool ok = at && strtol(at + strlen("\r\nprocess_id:"), NULL, 10) == pid &&
		  strstr(rep->str, "\r\nloading:0\r\n");

	freeReplyObject(rep);
	redisFree(c);
	return ok;
}

/* Whether redis-server came up; if it exited instead, it is reaped. */
static bool wait_ready(struct redissrv *s)
{
	for (int waited = 0; waited < READY_WAIT_MS; waited += 10) {
		if (waitpid(s->pid, NULL, WNOHANG) == s->pid) {
			s->pid = 0;
			return false;
		}
		if (answers(s->port, s->pid))
			return true;
		nanosleep(&(struct timespec){ .tv_nsec = 10 * 1000000 }, NULL);
	}
	return false;
}

static void kill_wait(struct redissrv *s, int sig)
{
	if (!s->pid)
		return;
	kill(s->pid, sig);
	waitpid(s->pid, NULL, 0);
	s->pid = 0;
}

/* Start on s->port, or, if pick_port, on a free one, trying a few. */
static bool start(struct redissrv *s, bool pick_port)
{
	for (int i = 0; i < START_TRIES && !s->pid; i++) {
		if (pick_port)
			s->port = free_port();
		s->pid = spawn(s);
		if (!wait_ready(s))
			kill_wait(s, SIGKILL);
	}
	snprintf(s->url, sizeof(s->url), "redis://127.0.0.1:%u", s->port);
	return s->pid != 0;
}

/* Its log to the test's, then its directory gone, then the test failed. */
static void fail_start(struct redissrv *s)
{
	char path[4096], line[512];
	unsigned short port = s->port;
	FILE *f;

	snprintf(path, sizeof(path), "%s/redis.log", s->dir);
	f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f))
		cr_log_error("redis.log: %s", line);
	if (f)
		fclose(f);
	redissrv_stop(s);
	cr_assert_fail("redis-server did not start on port %u", port);
}

struct redissrv *redissrv_start(bool aof)
{
	struct redissrv *s;

	if (access(REDIS_SERVER, X_OK) != 0)
		cr_skip_test("redis-server is not installed (make deps installs it)");
	s = calloc(1, sizeof(*s));
	cr_assert_not_null(s);
	s->aof = aof;
	s->dir = strdup("/tmp/redis-XXXXXX");
	cr_assert(s->dir && mkdtemp(s->dir), "mkdtemp: %s", strerror(errno));
	if (!start(s, true))
		fail_start(s);
	return s;
}

void redissrv_restart(struct redissrv *s)
{
	kill_wait(s, SIGTERM);
	if (!start(s, false))
		fail_start(s);
}

static int remove_one(const char *path, const struct stat *st, int flag,
		      struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(path);
}

void redissrv_stop(struct redissrv *s)
{
	if (!s)
		return;
	kill_wait(s, SIGTERM);
	nftw(s->dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
	free(s->dir);
	free(s);
}
