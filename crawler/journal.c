/* journal: append-only admissions log of --state DIR (see journal.h). */
#include "journal.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct journal {
	int fd;                 /* DIR/journal, O_APPEND */
	char *path;
	size_t entries;         /* whole lines found at open */
	pthread_mutex_t lock;   /* guards buf, len, cap and err */
	char *buf;              /* queued lines */
	size_t len, cap;
	int err;                /* ENOMEM once an admission was lost */
};

/* Cut a torn last line (the kill came mid-write) and count whole lines. */
static int trim_and_count(int fd, size_t *lines)
{
	char chunk[65536];
	off_t pos = 0, last_nl = 0;
	ssize_t n;

	*lines = 0;
	while ((n = pread(fd, chunk, sizeof(chunk), pos)) > 0) {
		for (ssize_t i = 0; i < n; i++)
			if (chunk[i] == '\n') {
				(*lines)++;
				last_nl = pos + i + 1;
			}
		pos += n;
	}
	if (n < 0)
		return errno;
	return pos != last_nl && ftruncate(fd, last_nl) ? errno : 0;
}

struct journal *journal_open(const char *dir, char *err, size_t errlen)
{
	struct journal *j = calloc(1, sizeof(*j));
	int rc;

	if (!j || asprintf(&j->path, "%s/journal", dir) < 0) {
		free(j);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	j->fd = -1;
	if (mkdir(dir, 0755) && errno != EEXIST) {
		snprintf(err, errlen, "cannot create state directory '%s': %s", dir,
			 strerror(errno));
		goto fail;
	}
	j->fd = open(j->path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (j->fd < 0 || (rc = trim_and_count(j->fd, &j->entries))) {
		snprintf(err, errlen, "cannot open '%s': %s", j->path,
			 strerror(j->fd < 0 ? errno : rc));
		goto fail;
	}
	pthread_mutex_init(&j->lock, NULL);
	return j;
fail:
	if (j->fd >= 0)
		close(j->fd);
	free(j->path);
	free(j);
	return NULL;
}

void journal_close(struct journal *j)
{
	if (!j)
		return;
	close(j->fd);
	pthread_mutex_destroy(&j->lock);
	free(j->buf);
	free(j->path);
	free(j);
}

/* Under the lock. */
static int append(struct journal *j, const char *url, const char *parent,
		  unsigned depth)
{
	size_t need = strlen(url) + (parent ? strlen(parent) : 1) + 16;

	if (j->len + need > j->cap) {
		size_t cap = j->cap ? j->cap * 2 : 65536;
		char *buf;

		while (cap < j->len + need)
			cap *= 2;
		buf = realloc(j->buf, cap);
		if (!buf)
			return j->err = ENOMEM;
		j->buf = buf;
		j->cap = cap;
	}
	j->len += (size_t)snprintf(j->buf + j->len, j->cap - j->len,
				   "%u\t%s\t%s\n", depth, url,
				   parent ? parent : "-");
	return 0;
}

int journal_admit(struct journal *j, const char *url, const char *parent,
		  unsigned depth)
{
	int rc;

	pthread_mutex_lock(&j->lock);
	rc = append(j, url, parent, depth);
	pthread_mutex_unlock(&j->lock);
	return rc;
}

void journal_batch_begin(struct journal *j)
{
	pthread_mutex_lock(&j->lock);
}

int journal_batch_admit(struct journal *j, const char *url, const char *parent,
			unsigned depth)
{
	return append(j, url, parent, depth);
}

void journal_batch_end(struct journal *j)
{
	pthread_mutex_unlock(&j->lock);
}

int journal_flush(struct journal *j)
{
	int rc;

	pthread_mutex_lock(&j->lock);
	rc = j->err;
	for (size_t done = 0; !rc && done < j->len;) {
		ssize_t w = write(j->fd, j->buf + done, j->len - done);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			rc = w < 0 ? errno : EIO;
			break;
		}
		done += (size_t)w;
	}
	j->len = 0;
	pthread_mutex_unlock(&j->lock);
	return rc;
}

int journal_sync(struct journal *j)
{
	int rc = journal_flush(j);

	return rc ? rc : (fsync(j->fd) ? errno : 0);
}

size_t journal_entries(const struct journal *j)
{
	return j->entries;
}

/* "<depth>\t<url>\t<parent>" (the newline already cut). */
static void replay_line(char *line,
			void (*fn)(void *, const char *, const char *, unsigned),
			void *arg)
{
	char *url = strchr(line, '\t'), *parent, *end;
	unsigned long depth;

	if (!url)
		return;
	*url++ = '\0';
	parent = strchr(url, '\t');
	if (!parent)
		return;
	*parent++ = '\0';
	depth = strtoul(line, &end, 10);
	if (*end || !*url)
		return;
	fn(arg, url, strcmp(parent, "-") ? parent : NULL, (unsigned)depth);
}

int journal_replay(struct journal *j,
		   void (*fn)(void *arg, const char *url, const char *parent,
			      unsigned depth),
		   void *arg)
{
	int fd = open(j->path, O_RDONLY | O_CLOEXEC);
	FILE *in = fd >= 0 ? fdopen(fd, "r") : NULL;
	char *line = NULL;
	size_t cap = 0, seen = 0;
	ssize_t n;

	if (!in) {
		if (fd >= 0)
			close(fd);
		return errno;
	}
	/* Only what was there at open: lines appended since are this run's. */
	while (seen < j->entries && (n = getline(&line, &cap, in)) > 0) {
		line[n - 1] = '\0';
		replay_line(line, fn, arg);
		seen++;
	}
	free(line);
	fclose(in);
	return 0;
}
