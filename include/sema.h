/* sema: a counting semaphore whose blocking acquire gives up when a ctx ends.
 * The fetch pool uses it to cap transfers in flight (--concurrency). One
 * mutex guards the count. (Named sema, not sem, to stay clear of POSIX
 * <semaphore.h>.) */
#ifndef CRAWLER_SEMA_H
#define CRAWLER_SEMA_H

#include <pthread.h>
#include <stdbool.h>

struct ctx;

struct sema {
	pthread_mutex_t lock; /* guards avail */
	pthread_cond_t freed; /* signalled on release */
	unsigned avail;       /* permits left */
	unsigned total;       /* permits at init */
};

void sema_init(struct sema *s, unsigned permits);
void sema_release(struct sema *s); /* the struct itself is the caller's */

/* Take a permit if one is free. */
bool sema_try_take(struct sema *s);
/* Block for a permit; false if ctx ended first. */
bool sema_take(struct sema *s, struct ctx *ctx);
/* Give back a permit taken earlier. */
void sema_give(struct sema *s);
/* Permits taken and not given back. */
unsigned sema_taken(struct sema *s);

#endif
