/* journal: append-only admissions log of --state DIR (see journal.h). */
#include "journal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
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

/* Room for need more bytes in the buffer; 0 or ENOMEM. Under the lock. */
static int reserve(struct journal *j, size_t need)
{
	size_t cap = j->cap ? j->cap * 2 : 65536;
	char *buf;

	if (j->len + need <= j->cap)
		return 0;
	while (cap < j->len + need)
		cap *= 2;
	buf = realloc(j->buf, cap);
	if (!buf)
		return j->err = ENOMEM;
	j->buf = buf;
	j->cap = cap;
	return 0;
}

/* The lastmod field comes from a sitemap and may hold anything: a tab or a
 * newline in it is written as a backslash escape, and so is a backslash.
 * The letter that follows the backslash for c, or 0 when c stands as is. */
static char escape_letter(char c)
{
	switch (c) {
	case '\\': return '\\';
	case '\t': return 't';
	case '\n': return 'n';
	case '\r': return 'r';
	default: return 0;
	}
}

/* The character an escape letter stands for, or 0 for no escape. */
static char escaped_char(char letter)
{
	switch (letter) {
	case '\\': return '\\';
	case 't': return '\t';
	case 'n': return '\n';
	case 'r': return '\r';
	default: return 0;
	}
}

/* s escaped at out, which has room for twice its length; past the end. */
static char *put_escaped(char *out, const char *s)
{
	for (; *s; s++) {
		char letter = escape_letter(*s);

		if (letter) {
			*out++ = '\\';
			*out++ = letter;
		} else {
			*out++ = *s;
		}
	}
	return out;
}

/* Under the lock. */
static int append(struct journal *j, const struct journal_entry *e)
{
	/* Two numbers of at most 10 digits, four tabs and the newline take 25
	 * of the 32; an escaped lastmod at most twice its length. */
	size_t lastmod_max = e->lastmod ? 2 * strlen(e->lastmod) : 0;
	size_t need = strlen(e->url) + (e->parent ? strlen(e->parent) : 1) +
		      lastmod_max + 32;
	char *p;

	if (reserve(j, need))
		return ENOMEM;
	p = j->buf + j->len;
	p += snprintf(p, need, "%u\t%s\t%s\t%u", e->depth, e->url,
		      e->parent ? e->parent : "-", e->flags);
	if (e->lastmod) {
		*p++ = '\t';
		p = put_escaped(p, e->lastmod);
	}
	*p++ = '\n';
	j->len = (size_t)(p - j->buf);
	return 0;
}

int journal_admit(struct journal *j, const struct journal_entry *e)
{
	int rc;

	pthread_mutex_lock(&j->lock);
	rc = append(j, e);
	pthread_mutex_unlock(&j->lock);
	return rc;
}

void journal_batch_begin(struct journal *j)
{
	pthread_mutex_lock(&j->lock);
}

int journal_batch_admit(struct journal *j, const struct journal_entry *e)
{
	return append(j, e);
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

/* The lastmod field decoded in place; false if an escape is unknown. */
static bool unescape(char *s)
{
	char *out = s;

	for (; *s; s++) {
		char c = *s;

		if (c == '\\' && !(c = escaped_char(*++s)))
			return false;
		*out++ = c;
	}
	*out = '\0';
	return true;
}

/* The next tab-separated field of *rest, cut off with a NUL; NULL when
 * there is none left. */
static char *next_field(char **rest)
{
	char *field = *rest, *tab;

	if (!field)
		return NULL;
	tab = strchr(field, '\t');
	if (tab)
		*tab++ = '\0';
	*rest = tab;
	return field;
}

static bool parse_unsigned(const char *s, unsigned *v)
{
	unsigned long n;
	char *end;

	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	n = strtoul(s, &end, 10);
	if (*end || errno || n > UINT_MAX)
		return false;
	*v = (unsigned)n;
	return true;
}

/* A line, its newline already cut: "<depth>\t<url>\t<parent>", then
 * "\t<flags>" and "\t<lastmod>" when the journal keeps them. */
static bool parse_line(char *line, struct journal_entry *e)
{
	char *rest = line, *depth = next_field(&rest), *url = next_field(&rest);
	char *parent = next_field(&rest), *flags = next_field(&rest);
	char *lastmod = next_field(&rest);

	*e = (struct journal_entry){ .url = url, .lastmod = lastmod };
	if (!parent || !*url || rest || !parse_unsigned(depth, &e->depth))
		return false;
	e->parent = strcmp(parent, "-") != 0 ? parent : NULL;
	e->has_flags = flags != NULL;
	if (flags && !parse_unsigned(flags, &e->flags))
		return false;
	return !lastmod || unescape(lastmod);
}

int journal_replay(struct journal *j,
		   void (*fn)(void *arg, const struct journal_entry *e),
		   void *arg)
{
	struct journal_entry e;
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
		if (parse_line(line, &e))
			fn(arg, &e);
		seen++;
	}
	free(line);
	fclose(in);
	return 0;
}
