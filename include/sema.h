/* sema: a counting semaphore whose blocking acquire gives up when a ctx ends.
 * The fetch pool uses it to cap transfers in flight (--concurrency). One
 * mutex guards the count. (Named sema, not sem, to stay clear of POSIX
 * <semaphore.h>.) */
#ifndef CRAWLER_SEMA_H
#define CRAWLER_SEMA_H

#include <pthread.h>

struct ctx;

struct sema {
	pthread_mutex_t lock; /* guards avail */
	pthread_cond_t freed; /* signalled on release */
	unsigned avail;       /* permits left */
	unsigned total;       /* permits at init */
};

enum sema_status {
	SEMA_OK = 0,
	SEMA_BUSY = 1, /* try_take: every permit is taken */
	SEMA_DONE = 2, /* take: the ctx ended while waiting */
};

void sema_init(struct sema *s, unsigned permits);
/* Destroy the lock and condition variable; the struct itself is the
 * caller's. */
void sema_release(struct sema *s);

/* Take a permit if one is free: SEMA_OK or SEMA_BUSY. */
enum sema_status sema_try_take(struct sema *s);
/* Block for a permit (ctx may be NULL): SEMA_OK, or SEMA_DONE if ctx ended
 * first, having taken nothing. */
enum sema_status sema_take(struct sema *s, struct ctx *ctx);
/* Give back a permit taken earlier. */
void sema_give(struct sema *s);
/* Permits taken and not given back. */
unsigned sema_taken(struct sema *s);

#endif
