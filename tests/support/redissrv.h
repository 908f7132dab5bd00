/* redissrv: a real redis-server on loopback for the tests of the Redis
 * backends.
 *
 * redis-server runs in the foreground as a child of the test process, on
 * 127.0.0.1 and a free port, with its data, log and AOF in a directory of
 * its own (/tmp/redis-XXXXXX), nothing saved but the AOF when asked for,
 * and dies with the test process (PR_SET_PDEATHSIG), so a test that
 * crashes or times out cannot leave it behind. redissrv_stop stops it,
 * waits for it and removes the directory; call it from a .fini fixture,
 * which Criterion runs after a failed assertion too. */
#ifndef CRAWLER_REDISSRV_H
#define CRAWLER_REDISSRV_H

#include <stdbool.h>
#include <sys/types.h>

struct redissrv {
	char *dir;          /* its directory */
	unsigned short port;
	bool aof;           /* --appendonly yes */
	pid_t pid;          /* 0 while stopped */
	char url[40];       /* "redis://127.0.0.1:PORT" */
};

/* A redis-server answering commands, with the AOF on if aof. Skips the test
 * when redis-server is not installed; aborts it when it does not start. */
struct redissrv *redissrv_start(bool aof);
/* Stop it (SIGTERM: with the AOF on, what it acknowledged is on disk) and
 * start it again on the same port and directory, answering commands. */
void redissrv_restart(struct redissrv *s);
/* Stop it, wait for it, remove its directory and free s; NULL is fine. */
void redissrv_stop(struct redissrv *s);

#endif
