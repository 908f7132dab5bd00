/* collector: the results stream of a distributed crawl into the output,
 * the WARC files and the summary (collector.h; keys in
 * docs/DISTRIBUTED.md).
 *
 * One thread, one loop: XREAD a batch after the id taken last; archive
 * each entry's exchange, put the record's place in the archive into its
 * line, count it; then make the batch durable in this order:
 *
 *   WARC fdatasync -> output write(2) + fdatasync -> checkpoint (one HSET)
 *   -> XTRIM of what the checkpoint covers
 *
 * A kill anywhere leaves the checkpoint no later than what is on disk: a
 * restart cuts the output back to the checkpoint's length and the WARC
 * series back to its last record, and reads the stream on from its id.
 * The stream is trimmed to after that id (XTRIM MINID), not XDEL'd entry by
 * entry: one command, and it also clears what a kill between checkpoint
 * and trim left. Workers add entries with XADD *, so every id below the
 * checkpoint's was read.
 *
 * Every command here is safe to send again (rconn_retry sends it again
 * when its reply was lost). */
#include "collector.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "ctx.h"
#include "exchange.h"
#include "fdio.h"
#include "frontier.h"
#include "jsonw.h"
#include "rconn.h"
#include "record.h"
#include "stats.h"
#include "visited.h"
#include "warc.h"

#define ID_MAX 48                /* "MS-SEQ": two 20-digit numbers */
#define KEY_MAX (RCONN_NAME_MAX + 24)
#define NUM_MAX 24               /* a uint64_t in decimal, and a NUL */

/* Where the collection is: what a checkpoint holds. */
struct mark {
	char id[ID_MAX];         /* the stream entry taken last; "0-0": none */
	uint64_t out;            /* bytes of the output: whole lines */
	const char *warc_file;   /* the file of the WARC record written last
				    (borrowed from the warc, or the
				    collector's resumed_file); NULL: none */
	uint64_t warc_end;       /* that record's end in it, bytes */
	struct stats stats;      /* of the lines in the output */
	uint64_t sitemaps;       /* of them, sitemaps read */
};

struct collector {
	const struct collector_config *cfg;
	struct rconn_endpoint ep;
	struct rconn *r;
	char results[KEY_MAX], meta[KEY_MAX], counts[KEY_MAX], skips[KEY_MAX],
	     expiry[KEY_MAX], checkpoint[KEY_MAX], archive[KEY_MAX];
	int fd;                  /* the output, O_APPEND; -1: not open */
	struct warc *warc;       /* --warc, or NULL */
	char *resumed_file;      /* the checkpoint's warc_file, owned */
	struct mark done;        /* what the checkpoint in Redis says */
	int64_t start_ns;        /* the crawl clock's 0: CLOCK_REALTIME ns */
	int64_t max_time_ms;     /* the crawl's --max-time; 0: none */
	int64_t lease_ttl_ns;
	int write_errno;         /* the output's failure, for the result */
	char *err;               /* the caller's */
	size_t errlen;
};

/* One batch on its way to the checkpoint. */
struct batch {
	struct mark next;        /* the checkpoint once the batch is durable */
	struct buf lines;        /* its lines, to append to the output */
	size_t n;                /* entries taken */
	bool archived;           /* the WARC file of next has new records */
};

/* A field's value in an entry, not NUL-terminated for all we know. */
struct value {
	const char *p;           /* NULL: the entry has no such field */
	size_t len;
};

/* The message into c->err, with strerror(errnum) after it unless 0; rc. */
__attribute__((format(printf, 4, 5)))
static enum collector_status fail(struct collector *c, enum collector_status rc,
				  int errnum, const char *fmt, ...)
{
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	vsnprintf(c->err, c->errlen, fmt, ap); // NOLINT(clang-analyzer-valist.Uninitialized): started above
	va_end(ap);
	n = strlen(c->err);
	if (errnum && n < c->errlen)
		snprintf(c->err + n, c->errlen - n, ": %s", strerror(errnum));
	return rc;
}

/* rconn keeps why a command failed to itself: say where. */
static enum collector_status redis_failed(struct collector *c, const char *cmd)
{
	snprintf(c->err, c->errlen, "Redis at %s:%d: %s failed (unreachable, or "
		 "it refused the command)", c->ep.host, c->ep.port, cmd);
	return COLLECTOR_FAILED;
}

static void warn(const struct collector *c, const char *id, const char *what)
{
	if (c->cfg->log)
		fprintf(c->cfg->log, "crawler: %s entry %s: %s\n", c->results, id, what);
}

/* A decimal of 1 to 20 digits that fits in 64 bits. */
static bool parse_u64(const char *s, size_t n, uint64_t *v)
{
	uint64_t x = 0;

	if (!n || n > 20)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned d = (unsigned)(s[i] - '0');

		if (d > 9 || x > (UINT64_MAX - d) / 10)
			return false;
		x = x * 10 + d;
	}
	*v = x;
	return true;
}

/* A reply element as a number; absent (nil) is 0. */
static uint64_t u64_of(const redisReply *e)
{
	uint64_t v = 0;

	if (e && e->type == REDIS_REPLY_INTEGER && e->integer > 0)
		return (uint64_t)e->integer;
	if (e && e->type == REDIS_REPLY_STRING && !parse_u64(e->str, e->len, &v))
		return 0;
	return v;
}

static bool is_str(const redisReply *e)
{
	return e && e->type == REDIS_REPLY_STRING;
}

/* A stream id, "MS-SEQ", into ms and seq. */
static bool parse_id(const char *s, size_t n, uint64_t *ms, uint64_t *seq)
{
	const char *dash = memchr(s, '-', n);

	return dash && parse_u64(s, (size_t)(dash - s), ms) &&
	       parse_u64(dash + 1, n - (size_t)(dash - s) - 1, seq);
}

static int64_t crawl_clock_ns(const struct collector *c)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec - c->start_ns;
}

static redisReply *command(struct collector *c, int argc, const char **argv,
			   const size_t *lens)
{
	redisReply *rep = rconn_command(c->r, argc, argv, lens);

	if (!rep)
		redis_failed(c, argv[0]);
	return rep;
}

/* A command whose reply is of no interest. */
static enum collector_status run(struct collector *c, int argc, const char **argv)
{
	redisReply *rep = command(c, argc, argv, NULL);

	freeReplyObject(rep);
	return rep ? COLLECTOR_OK : COLLECTOR_FAILED;
}

/* ---- the checkpoint ---- */

/* "CODE:N CODE:N ..." of the nonzero counts: by_status and by_err go in
 * one field each, so the checkpoint is always the same few fields. */
static bool put_counts(struct buf *b, const uint64_t *n, size_t count,
		       bool by_name)
{
	char item[64];

	for (size_t k = 1; k < count; k++) {
		int len;

		if (!n[k])
			continue;
		if (by_name)
			len = snprintf(item, sizeof(item), "%s%s:%llu", b->len ? " " : "",
				       record_err_name((enum record_err)k),
				       (unsigned long long)n[k]);
		else
			len = snprintf(item, sizeof(item), "%s%zu:%llu", b->len ? " " : "",
				       k, (unsigned long long)n[k]);
		if (!buf_add(b, item, (size_t)len))
			return false;
	}
	return true;
}

/* Index of an err name or a status code, or -1. */
static long count_index(const char *s, size_t n, size_t count, bool by_name)
{
	uint64_t v;

	if (!by_name)
		return parse_u64(s, n, &v) && v < count ? (long)v : -1;
	for (size_t k = 1; k < count; k++) {
		const char *name = record_err_name((enum record_err)k);

		if (strlen(name) == n && memcmp(name, s, n) == 0)
			return (long)k;
	}
	return -1;
}

/* put_counts' text back into n; false if it is not such a text. */
static bool get_counts(const char *s, size_t len, uint64_t *n, size_t count,
		       bool by_name)
{
	const char *end = s + len;

	while (s < end) {
		const char *stop = memchr(s, ' ', (size_t)(end - s));
		const char *colon;
		uint64_t v;
		long k;

		if (!stop)
			stop = end;
		colon = memchr(s, ':', (size_t)(stop - s));
		if (!colon || !parse_u64(colon + 1, (size_t)(stop - colon - 1), &v) ||
		    (k = count_index(s, (size_t)(colon - s), count, by_name)) < 0)
			return false;
		n[k] = v;
		s = stop < end ? stop + 1 : end;
	}
	return true;
}

static enum collector_status save_checkpoint(struct collector *c,
					     const struct mark *m)
{
	char out[NUM_MAX], end[NUM_MAX], pages[NUM_MAX], bytes[NUM_MAX],
	     errors[NUM_MAX], sitemaps[NUM_MAX];
	struct buf status = { 0 }, errs = { 0 };
	enum collector_status rc = COLLECTOR_OK;

	snprintf(out, sizeof(out), "%llu", (unsigned long long)m->out);
	snprintf(end, sizeof(end), "%llu", (unsigned long long)m->warc_end);
	snprintf(pages, sizeof(pages), "%llu", (unsigned long long)m->stats.pages);
	snprintf(bytes, sizeof(bytes), "%llu", (unsigned long long)m->stats.bytes);
	snprintf(errors, sizeof(errors), "%llu", (unsigned long long)m->stats.errors);
	snprintf(sitemaps, sizeof(sitemaps), "%llu", (unsigned long long)m->sitemaps);
	if (!put_counts(&status, m->stats.by_status, STATS_MAX_STATUS, false) ||
	    !put_counts(&errs, m->stats.by_err, RECORD_ERR_COUNT, true) ||
	    !buf_add(&status, "", 1) || !buf_add(&errs, "", 1)) {
		rc = fail(c, COLLECTOR_FAILED, 0, "out of memory");
	} else {
		const char *argv[] = { "HSET", c->checkpoint, "id", m->id, "out", out,
				       "warc_file", m->warc_file ? m->warc_file : "",
				       "warc_end", end, "pages", pages, "bytes", bytes,
				       "errors", errors, "sitemaps", sitemaps,
				       "by_status", status.p,
				       "by_err", errs.p };

		rc = run(c, sizeof(argv) / sizeof(argv[0]), argv);
	}
	free(status.p);
	free(errs.p);
	return rc;
}

/* One field of the checkpoint into m (and c->resumed_file). */
static bool load_field(struct collector *c, struct mark *m, const redisReply *k,
		       const redisReply *v)
{
	uint64_t ms, seq;
	const char *name = k->str;

	if (!strcmp(name, "id")) {
		if (v->len >= ID_MAX || !parse_id(v->str, v->len, &ms, &seq))
			return false;
		memcpy(m->id, v->str, v->len + 1);
		return true;
	}
	if (!strcmp(name, "out"))
		return parse_u64(v->str, v->len, &m->out);
	if (!strcmp(name, "warc_end"))
		return parse_u64(v->str, v->len, &m->warc_end);
	if (!strcmp(name, "pages"))
		return parse_u64(v->str, v->len, &m->stats.pages);
	if (!strcmp(name, "bytes"))
		return parse_u64(v->str, v->len, &m->stats.bytes);
	if (!strcmp(name, "errors"))
		return parse_u64(v->str, v->len, &m->stats.errors);
	if (!strcmp(name, "sitemaps"))
		return parse_u64(v->str, v->len, &m->sitemaps);
	if (!strcmp(name, "by_status"))
		return get_counts(v->str, v->len, m->stats.by_status,
				  STATS_MAX_STATUS, false);
	if (!strcmp(name, "by_err"))
		return get_counts(v->str, v->len, m->stats.by_err,
				  RECORD_ERR_COUNT, true);
	if (!strcmp(name, "warc_file") && v->len) {
		free(c->resumed_file);
		c->resumed_file = strdup(v->str);
		m->warc_file = c->resumed_file;
		return c->resumed_file != NULL;
	}
	return true;
}

/* The checkpoint into c->done; *found says whether there is one. */
static enum collector_status load_checkpoint(struct collector *c, bool *found)
{
	const char *argv[] = { "HGETALL", c->checkpoint };
	redisReply *rep = command(c, 2, argv, NULL);
	bool ok = true, has_id = false, has_out = false;

	if (!rep)
		return COLLECTOR_FAILED;
	*found = rep->type == REDIS_REPLY_ARRAY && rep->elements > 0;
	for (size_t i = 0; *found && ok && i + 1 < rep->elements; i += 2) {
		const redisReply *k = rep->element[i], *v = rep->element[i + 1];

		ok = is_str(k) && is_str(v) && load_field(c, &c->done, k, v);
		has_id |= ok && !strcmp(k->str, "id");
		has_out |= ok && !strcmp(k->str, "out");
	}
	freeReplyObject(rep);
	if (*found && (!ok || !has_id || !has_out))
		return fail(c, COLLECTOR_FAILED, 0, "%s is damaged (delete it to collect "
			    "the crawl again from its start)", c->checkpoint);
	return COLLECTOR_OK;
}

/* ---- setting up ---- */

static void name_keys(struct collector *c)
{
	const char *n = c->cfg->crawl_name;

	snprintf(c->results, KEY_MAX, "C:{%s}:results", n);
	snprintf(c->meta, KEY_MAX, "C:{%s}:meta", n);
	snprintf(c->counts, KEY_MAX, "C:{%s}:counts", n);
	snprintf(c->skips, KEY_MAX, "C:{%s}:skips", n);
	snprintf(c->expiry, KEY_MAX, "C:{%s}:expiry", n);
	snprintf(c->checkpoint, KEY_MAX, "C:{%s}:collector", n);
	snprintf(c->archive, KEY_MAX, "C:{%s}:archive", n);
}

/* A warcinfo field value from meta, if it is one (one line). */
static bool info_value(const redisReply *e)
{
	return is_str(e) && e->len && e->len < 512 && !memchr(e->str, '\r', e->len) &&
	       !memchr(e->str, '\n', e->len);
}

/* The crawl's clock and limits from meta; with a meta `robots` and
 * `user_agent`, the warcinfo fields main.c writes, into info. */
static enum collector_status load_meta(struct collector *c, char *info, size_t n)
{
	const char *argv[] = { "HMGET", c->meta, "start", "max_time_ms",
			       "lease_ttl_ns", "robots", "user_agent" };
	redisReply *rep = command(c, 7, argv, NULL);
	int len;

	if (!rep)
		return COLLECTOR_FAILED;
	if (rep->type != REDIS_REPLY_ARRAY || rep->elements != 5 ||
	    !is_str(rep->element[0])) {
		freeReplyObject(rep);
		return fail(c, COLLECTOR_FAILED, 0, "%s has no start", c->meta);
	}
	c->start_ns = (int64_t)u64_of(rep->element[0]);
	c->max_time_ms = (int64_t)u64_of(rep->element[1]);
	c->lease_ttl_ns = (int64_t)u64_of(rep->element[2]);
	if (!c->lease_ttl_ns)
		c->lease_ttl_ns = FRONTIER_LEASE_TTL_NS;
	len = snprintf(info, n, "isPartOf: %s\r\n", c->cfg->crawl_name);
	if (info_value(rep->element[3]))
		len += snprintf(info + len, n - (size_t)len, "robots: %s\r\n",
				rep->element[3]->str);
	if (info_value(rep->element[4]))
		snprintf(info + len, n - (size_t)len, "http-header-user-agent: %s\r\n",
			 rep->element[4]->str);
	freeReplyObject(rep);
	return COLLECTOR_OK;
}

static enum collector_status crawl_exists(struct collector *c)
{
	const char *argv[] = { "EXISTS", c->meta };
	redisReply *rep = command(c, 2, argv, NULL);
	bool exists = rep && rep->type == REDIS_REPLY_INTEGER && rep->integer > 0;

	freeReplyObject(rep);
	if (!rep)
		return COLLECTOR_FAILED;
	if (!exists) {
		snprintf(c->err, c->errlen, "no crawl '%s' in Redis at %s:%d",
			 c->cfg->crawl_name, c->ep.host, c->ep.port);
		return COLLECTOR_NO_CRAWL;
	}
	return COLLECTOR_OK;
}

/* A collector may start before the crawl's first worker: it waits for the
 * crawl, saying so once, until the stop ctx ends the wait (no crawl). */
static enum collector_status await_crawl(struct collector *c)
{
	enum collector_status rc;
	bool told = false;

	while ((rc = crawl_exists(c)) == COLLECTOR_NO_CRAWL &&
	       !(c->cfg->stop && ctx_done(c->cfg->stop))) {
		if (!told && c->cfg->log)
			fprintf(c->cfg->log, "crawler: waiting for crawl '%s' to start "
				"in Redis at %s:%d\n", c->cfg->crawl_name, c->ep.host,
				c->ep.port);
		told = true;
		nanosleep(&(struct timespec){ .tv_nsec = COLLECTOR_WAIT_MS * 1000000L },
			  NULL);
	}
	return rc;
}

/* --warc: workers that start from now on send their exchanges (the
 * archive key, which they read as they join). */
static enum collector_status want_exchanges(struct collector *c)
{
	const char *argv[] = { "SET", c->archive, "1" };

	return c->cfg->warc ? run(c, 3, argv) : COLLECTOR_OK;
}

/* The output: resumed, cut back to the checkpoint's length (what a kill
 * left past it is written again), or new. */
static enum collector_status open_output(struct collector *c, bool resume)
{
	const char *path = c->cfg->output;
	struct stat st;

	if (!resume && stat(path, &st) == 0 && !S_ISREG(st.st_mode))
		return fail(c, COLLECTOR_USAGE, 0, "'%s' is not a regular file: the "
			    "collector's output must be one, to be checkpointed", path);
	c->fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC |
			   (resume ? 0 : O_CREAT | O_TRUNC), 0644);
	if (c->fd < 0)
		return fail(c, COLLECTOR_FAILED, errno, "cannot open '%s'", path);
	if (fstat(c->fd, &st))
		return fail(c, COLLECTOR_FAILED, errno, "cannot stat '%s'", path);
	if (!S_ISREG(st.st_mode))
		return fail(c, COLLECTOR_USAGE, 0, "'%s' is not a regular file: the "
			    "collector's output must be one, to be checkpointed", path);
	if (resume && (uint64_t)st.st_size < c->done.out) {
		snprintf(c->err, c->errlen, "cannot resume: '%s' has %llu bytes, and "
			 "the checkpoint in %s says %llu were written (another file?)",
			 path, (unsigned long long)st.st_size, c->checkpoint,
			 (unsigned long long)c->done.out);
		return COLLECTOR_FAILED;
	}
	if (resume && ftruncate(c->fd, (off_t)c->done.out))
		return fail(c, COLLECTOR_FAILED, errno, "cannot truncate '%s'", path);
	return COLLECTOR_OK;
}

/* --warc: the series cut back to the checkpoint's last record and a new
 * file after it, or a new series; workers archive from now on. */
static enum collector_status open_warc(struct collector *c, bool resume,
				       const char *info)
{
	struct warc_config wc = { .path = c->cfg->warc,
				  .max_bytes = c->cfg->warc_max_bytes,
				  .info = info, .resume = resume };
	char why[256];
	int rc;

	if (!c->cfg->warc)
		return COLLECTOR_OK;
	if (resume && (rc = warc_cut(c->cfg->warc, c->done.warc_file, c->done.warc_end)))
		return fail(c, COLLECTOR_FAILED, rc, "cannot cut the WARC files of '%s' "
			    "back", c->cfg->warc);
	c->warc = warc_new(&wc, why, sizeof(why));
	if (!c->warc)
		return fail(c, COLLECTOR_FAILED, 0, "cannot write the WARC file: %s", why);
	return COLLECTOR_OK;
}

/* What a checkpoint covers is gone from the stream: entries below the id
 * after the one taken last. */
static enum collector_status trim(struct collector *c)
{
	char after[ID_MAX];
	uint64_t ms, seq;
	const char *argv[] = { "XTRIM", c->results, "MINID", after };

	if (!parse_id(c->done.id, strlen(c->done.id), &ms, &seq) || (!ms && !seq))
		return COLLECTOR_OK;
	if (seq == UINT64_MAX)
		snprintf(after, sizeof(after), "%llu-0", (unsigned long long)ms + 1);
	else
		snprintf(after, sizeof(after), "%llu-%llu", (unsigned long long)ms,
			 (unsigned long long)seq + 1);
	return run(c, 4, argv);
}

static enum collector_status start(struct collector *c, char *info, size_t n)
{
	enum collector_status rc;
	bool resume;
	char why[256];

	c->r = rconn_new(&c->ep, NULL, 0, "the collector's", why, sizeof(why));
	if (!c->r)
		return fail(c, COLLECTOR_FAILED, 0, "%s", why);
	rconn_retry(c->r, RCONN_RETRY_NS, c->cfg->log);
	if ((rc = want_exchanges(c)) || (rc = await_crawl(c)) ||
	    (rc = load_meta(c, info, n)) ||
	    (rc = load_checkpoint(c, &resume)) || (rc = open_output(c, resume)) ||
	    (rc = open_warc(c, resume, info)))
		return rc;
	return trim(c);
}

/* ---- a batch ---- */

/* fdatasync of a file warc.c holds open (it has no call of its own for
 * that): syncing any descriptor of a file syncs its data. */
static int sync_path(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), err = 0;

	if (fd < 0)
		return errno;
	if (fdatasync(fd))
		err = errno;
	close(fd);
	return err;
}

static enum collector_status commit(struct collector *c, struct batch *b)
{
	int err;

	if (b->archived && (err = sync_path(b->next.warc_file)))
		return fail(c, COLLECTOR_FAILED, err, "cannot sync '%s'", b->next.warc_file);
	err = fdio_write_all(c->fd, b->lines.p, b->lines.len);
	if (!err && fdatasync(c->fd))
		err = errno;
	if (err) {
		/* The file ends on the checkpoint's last line again: what the
		 * next run writes follows it. */
		if (ftruncate(c->fd, (off_t)c->done.out) && c->cfg->log)
			fprintf(c->cfg->log, "crawler: cannot cut '%s' back: %s\n",
				c->cfg->output, strerror(errno));
		c->write_errno = err;
		return fail(c, COLLECTOR_FAILED, err, "cannot write '%s'", c->cfg->output);
	}
	b->next.out = c->done.out + b->lines.len;
	if (save_checkpoint(c, &b->next))
		return COLLECTOR_FAILED;
	c->done = b->next;
	return trim(c);
}

/* The entry's fields by name. */
static void fields_of(const redisReply *f, struct value *line, struct value *meta,
		      struct value *x, struct value *wa)
{
	for (size_t i = 0; f && f->type == REDIS_REPLY_ARRAY && i + 1 < f->elements; i += 2) {
		const redisReply *k = f->element[i], *v = f->element[i + 1];
		struct value *to = NULL;

		if (!is_str(k) || !is_str(v))
			continue;
		if (!strcmp(k->str, "line"))
			to = line;
		else if (!strcmp(k->str, "meta"))
			to = meta;
		else if (!strcmp(k->str, "x"))
			to = x;
		else if (!strcmp(k->str, "wa"))
			to = wa;
		if (to)
			*to = (struct value){ v->str, v->len };
	}
}

/* The exchange x into the archive; *ref set when it is there. A bad
 * exchange is told and left out (its line says "warc":null). */
static enum collector_status archive(struct collector *c, struct batch *b,
				     const char *id, struct value x,
				     struct warc_ref *ref, bool *archived)
{
	struct warc_exchange ex;
	int err;

	if (!exchange_unpack(x.p, x.len, &ex)) {
		warn(c, id, "its exchange (x) is not one: not archived");
		return COLLECTOR_OK;
	}
	if ((err = warc_write(c->warc, &ex, ref)))
		return fail(c, COLLECTOR_FAILED, err, "cannot write the WARC file of '%s'",
			    c->cfg->warc);
	/* The series went on to a new file: the last is whole. */
	if (b->archived && ref->file != b->next.warc_file &&
	    (err = sync_path(b->next.warc_file)))
		return fail(c, COLLECTOR_FAILED, err, "cannot sync '%s'", b->next.warc_file);
	b->next.warc_file = ref->file;
	b->next.warc_end = ref->offset + ref->length;
	b->archived = true;
	*archived = true;
	return COLLECTOR_OK;
}

/* What record.c's put_warc writes for the record's "warc" key. */
static bool put_ref(struct buf *out, const struct warc_ref *ref)
{
	struct jsonw w = JSONW_INIT;
	size_t n;
	char *s;
	bool ok;

	jsonw_begin(&w, '{');
	jsonw_key(&w, "file");
	jsonw_str(&w, ref->file);
	jsonw_key(&w, "offset");
	jsonw_int(&w, (int64_t)ref->offset);
	jsonw_key(&w, "length");
	jsonw_int(&w, (int64_t)ref->length);
	jsonw_end(&w, '}');
	s = jsonw_take_line(&w, &n);
	ok = s && buf_add(out, s, n - 1);
	free(s);
	return ok;
}

/* The line into the batch, with ref in place of the 4 bytes "null" at wa
 * when it was archived. */
static bool put_line(struct collector *c, struct batch *b, const char *id,
		     struct value line, struct value wa, const struct warc_ref *ref)
{
	uint64_t at = 0;
	bool ok;

	if (ref && (!wa.p || !parse_u64(wa.p, wa.len, &at) || line.len < 4 ||
		    at > line.len - 4 || memcmp(line.p + at, "null", 4) != 0)) {
		warn(c, id, "its wa is not the place of \"warc\":null in its line");
		ref = NULL;
	}
	if (ref)
		ok = buf_add(&b->lines, line.p, (size_t)at) && put_ref(&b->lines, ref) &&
		     buf_add(&b->lines, line.p + at + 4, line.len - (size_t)at - 4);
	else
		ok = buf_add(&b->lines, line.p, line.len);
	/* A line cut short would run into the next one. */
	if (ok && (!line.len || line.p[line.len - 1] != '\n')) {
		warn(c, id, "its line does not end in a newline");
		ok = buf_add(&b->lines, "\n", 1);
	}
	return ok;
}

/* --verbose: the record's status and URL, and its error, as the writer's
 * log_record says them (the time it took is in the line only). */
static void log_record(const struct collector *c, struct value line,
		       const struct record *r)
{
	json_t *rec = json_loadb(line.p, line.len, 0, NULL);
	const char *url = json_string_value(json_object_get(rec, "url"));
	char status[8] = "---";

	if (r->status)
		snprintf(status, sizeof(status), "%d", r->status);
	if (r->err != RECORD_ERR_NONE)
		fprintf(c->cfg->log, "%s %s (%s)\n", status, url ? url : "?",
			record_err_name(r->err));
	else
		fprintf(c->cfg->log, "%s %s\n", status, url ? url : "?");
	json_decref(rec);
}

/* The numbers of meta, separated by single spaces, into v (at most max);
 * how many, or 0 when meta is not such a list. */
static size_t meta_numbers(struct value meta, uint64_t *v, size_t max)
{
	const char *p = meta.p, *end;
	size_t n = 0;

	if (!p)
		return 0;
	end = p + meta.len;
	while (p < end && n < max) {
		const char *sp = memchr(p, ' ', (size_t)(end - p));
		const char *stop = sp ? sp : end;

		if (!parse_u64(p, (size_t)(stop - p), &v[n++]))
			return 0;
		p = sp ? sp + 1 : end;
	}
	return p == end ? n : 0;
}

/* meta, "STATUS ERR BYTES SITEMAP" (SITEMAP 1 for a sitemap read; a
 * worker of before it came sends three), counted as the one-process
 * writer counts a record. */
static void count(struct collector *c, struct batch *b, const char *id,
		  struct value line, struct value meta)
{
	struct record r = { 0 };
	uint64_t v[4] = { 0 };
	size_t n = meta_numbers(meta, v, 4);
	uint64_t status = v[0], err = v[1], bytes = v[2];

	if (n < 3 || status >= STATS_MAX_STATUS || err >= RECORD_ERR_COUNT) {
		warn(c, id, "its meta is not \"STATUS ERR BYTES SITEMAP\": counted "
		     "as no response");
		status = err = bytes = 0;
		v[3] = 0;
	}
	b->next.sitemaps += v[3] == 1;
	r.status = (int)status;
	r.err = (enum record_err)err;
	r.bytes = bytes;
	stats_add(&b->next.stats, &r);
	if (c->cfg->verbose && c->cfg->log)
		log_record(c, line, &r);
}

static enum collector_status take_entry(struct collector *c, struct batch *b,
					const redisReply *e)
{
	struct value line = { 0 }, meta = { 0 }, x = { 0 }, wa = { 0 };
	struct warc_ref ref;
	bool archived = false;
	const char *id;
	uint64_t ms, seq;

	if (e->type != REDIS_REPLY_ARRAY || e->elements != 2 || !is_str(e->element[0]) ||
	    e->element[0]->len >= ID_MAX ||
	    !parse_id(e->element[0]->str, e->element[0]->len, &ms, &seq))
		return fail(c, COLLECTOR_FAILED, 0, "%s: XREAD answered what is not an "
			    "entry", c->results);
	id = e->element[0]->str;
	fields_of(e->element[1], &line, &meta, &x, &wa);
	if (x.p && c->warc && archive(c, b, id, x, &ref, &archived))
		return COLLECTOR_FAILED;
	if (line.p) {
		if (!put_line(c, b, id, line, wa, archived ? &ref : NULL))
			return fail(c, COLLECTOR_FAILED, 0, "out of memory");
		count(c, b, id, line, meta);
	}
	memcpy(b->next.id, id, e->element[0]->len + 1);
	b->n++;
	return COLLECTOR_OK;
}

/* The entries of an XREAD reply (NULL: none), or what is not one. */
static const redisReply *entries_of(const redisReply *rep, bool *ok)
{
	const redisReply *s;

	*ok = true;
	if (rep->type == REDIS_REPLY_NIL ||
	    (rep->type == REDIS_REPLY_ARRAY && rep->elements == 0))
		return NULL;
	s = rep->type == REDIS_REPLY_ARRAY ? rep->element[0] : NULL;
	if (!s || s->type != REDIS_REPLY_ARRAY || s->elements != 2 ||
	    s->element[1]->type != REDIS_REPLY_ARRAY) {
		*ok = false;
		return NULL;
	}
	return s->element[1]->elements ? s->element[1] : NULL;
}

/* The entries in order until one fails; those taken are made durable
 * either way. */
static enum collector_status take_batch(struct collector *c, const redisReply *entries)
{
	struct batch *b = malloc(sizeof(*b));
	enum collector_status rc = COLLECTOR_OK, done;

	if (!b)
		return fail(c, COLLECTOR_FAILED, 0, "out of memory");
	*b = (struct batch){ .next = c->done };
	for (size_t i = 0; !rc && i < entries->elements; i++)
		rc = take_entry(c, b, entries->element[i]);
	done = b->n ? commit(c, b) : COLLECTOR_OK;
	free(b->lines.p);
	free(b);
	return rc ? rc : done;
}

/* One XREAD after the id taken last, waiting up to COLLECTOR_WAIT_MS when
 * block; *empty: it gave nothing. */
static enum collector_status step(struct collector *c, bool block, bool *empty)
{
	char n[NUM_MAX], wait[NUM_MAX];
	const char *argv[] = { "XREAD", "COUNT", n, "BLOCK", wait, "STREAMS",
			       c->results, c->done.id };
	const char *noblock[] = { "XREAD", "COUNT", n, "STREAMS", c->results,
				  c->done.id };
	const redisReply *entries;
	enum collector_status rc;
	redisReply *rep;
	bool ok;

	snprintf(n, sizeof(n), "%d", c->warc ? COLLECTOR_BATCH_ARCHIVE : COLLECTOR_BATCH);
	snprintf(wait, sizeof(wait), "%d", COLLECTOR_WAIT_MS);
	rep = block ? command(c, 8, argv, NULL) : command(c, 6, noblock, NULL);
	if (!rep)
		return COLLECTOR_FAILED;
	entries = entries_of(rep, &ok);
	*empty = entries == NULL;
	rc = !ok ? fail(c, COLLECTOR_FAILED, 0, "%s: XREAD answered what is not a "
			"stream", c->results)
	     : entries ? take_batch(c, entries) : COLLECTOR_OK;
	freeReplyObject(rep);
	return rc;
}

/* ---- the end ---- */

/* Whether a lease has not expired: a worker may still add a record. */
static enum collector_status leases_live(struct collector *c, bool *live)
{
	char now[NUM_MAX];
	const char *argv[] = { "ZCOUNT", c->expiry, now, "+inf" };
	redisReply *rep;

	snprintf(now, sizeof(now), "%lld", (long long)crawl_clock_ns(c));
	if (!(rep = command(c, 4, argv, NULL)))
		return COLLECTOR_FAILED;
	*live = rep->type != REDIS_REPLY_INTEGER || rep->integer > 0;
	freeReplyObject(rep);
	return COLLECTOR_OK;
}

/* The crawl is over when every admitted URL is done, or it was stopped and
 * no lease is live; or when it ran past --max-time by two lease lives with
 * none live (its workers are gone): then this stops it. */
static enum collector_status crawl_over(struct collector *c, bool *over)
{
	const char *argv[] = { "HMGET", c->counts, "pending", "begun", "stop" };
	const char *stop[] = { "HSETNX", c->counts, "stop", "max-time" };
	redisReply *rep = command(c, 5, argv, NULL);
	bool done, stopped, late, live = true;
	enum collector_status rc = COLLECTOR_OK;

	if (!rep)
		return COLLECTOR_FAILED;
	done = rep->type == REDIS_REPLY_ARRAY && rep->elements == 3 &&
	       u64_of(rep->element[1]) == 1 && u64_of(rep->element[0]) == 0;
	stopped = rep->type == REDIS_REPLY_ARRAY && rep->elements == 3 &&
		  is_str(rep->element[2]);
	freeReplyObject(rep);
	late = c->max_time_ms && crawl_clock_ns(c) / 1000000 >
					 c->max_time_ms + 2 * c->lease_ttl_ns / 1000000;
	*over = done;
	if (done || (!stopped && !late) || (rc = leases_live(c, &live)) || live)
		return rc;
	*over = true;
	return stopped ? COLLECTOR_OK : run(c, 4, stop);
}

static enum crawl_stop stop_of(const redisReply *e)
{
	if (!is_str(e))
		return CRAWL_DONE;
	for (size_t i = 0; i < sizeof(crawl_stop_names) / sizeof(crawl_stop_names[0]); i++)
		if (!strcmp(e->str, crawl_stop_names[i]))
			return (enum crawl_stop)i;
	return CRAWL_FAILED;
}

static enum collector_status read_skips(struct collector *c, uint64_t *skipped)
{
	const char *argv[] = { "HGETALL", c->skips };
	redisReply *rep = command(c, 2, argv, NULL);

	if (!rep)
		return COLLECTOR_FAILED;
	for (size_t i = 0; rep->type == REDIS_REPLY_ARRAY && i + 1 < rep->elements; i += 2)
		for (int k = 0; is_str(rep->element[i]) && k < CRAWL_SKIP_COUNT; k++)
			if (!strcmp(rep->element[i]->str, crawl_skip_names[k]))
				skipped[k] = u64_of(rep->element[i + 1]);
	freeReplyObject(rep);
	return COLLECTOR_OK;
}

/* The result of the crawl so far: stop from counts unless interrupted. */
static enum collector_status summarize(struct collector *c, bool interrupted,
				       struct crawl_result *out)
{
	const char *argv[] = { "HMGET", c->counts, "queued", "stop" };
	redisReply *rep = command(c, 4, argv, NULL);
	struct stats_end end = { .skipped = out->skipped, .skip_names = crawl_skip_names,
				 .nskip = CRAWL_SKIP_COUNT };

	if (!rep)
		return COLLECTOR_FAILED;
	if (rep->type == REDIS_REPLY_ARRAY && rep->elements == 2) {
		out->not_fetched = u64_of(rep->element[0]);
		out->stop = stop_of(rep->element[1]);
	}
	end.sitemaps = c->done.sitemaps;
	freeReplyObject(rep);
	if (interrupted)
		out->stop = CRAWL_INTERRUPTED;
	if (read_skips(c, out->skipped))
		return COLLECTOR_FAILED;
	end.seconds = out->seconds;
	end.stop = crawl_stop_names[out->stop];
	end.not_fetched = out->not_fetched;
	out->summary = stats_summary(&out->stats, &end);
	out->report = stats_report(&out->stats, &end);
	if (!out->summary || !out->report)
		return fail(c, COLLECTOR_FAILED, 0, "out of memory");
	return COLLECTOR_OK;
}

/* The crawl's keys, meta first: a collector started again after a kill
 * half-way then finds no crawl, rather than a crawl without its
 * checkpoint, which it would collect into a truncated output. A failure
 * is told, not returned: the output is whole. */
static void end_crawl(struct collector *c)
{
	const char *argv[] = { "UNLINK", c->meta };
	char why[256];

	if (run(c, 2, argv))
		snprintf(why, sizeof(why), "%s", c->err);
	else if (visited_redis_delete(c->cfg->redis_url, c->cfg->crawl_name, why,
				      sizeof(why)) == VISITED_OK)
		return;
	if (c->cfg->log)
		fprintf(c->cfg->log, "crawler: the crawl is collected, but its keys "
			"could not be deleted: %s\n", why);
	c->err[0] = '\0';
}

/* Batches until the crawl is over, then what is left of the stream (its
 * last records were added before their leases went); or until stop. */
static enum collector_status collect(struct collector *c, bool *interrupted)
{
	enum collector_status rc;
	bool empty, over;

	for (;;) {
		if ((rc = step(c, true, &empty)))
			return rc;
		if (c->cfg->stop && ctx_done(c->cfg->stop)) {
			*interrupted = true;
			return COLLECTOR_OK;
		}
		if (!empty)
			continue;
		if ((rc = crawl_over(c, &over)))
			return rc;
		if (over)
			break;
	}
	do
		rc = step(c, false, &empty);
	while (!rc && !empty);
	return rc;
}

static enum collector_status check_config(struct collector *c)
{
	const struct collector_config *cfg = c->cfg;
	char why[256];

	if (!rconn_check(cfg->redis_url, cfg->crawl_name, &c->ep, why, sizeof(why)))
		return fail(c, COLLECTOR_USAGE, 0, "%s", why);
	if (!cfg->output || !*cfg->output || !strcmp(cfg->output, "-"))
		return fail(c, COLLECTOR_USAGE, 0, "the collector writes to a file "
			    "(-o FILE), which it checkpoints: not to standard output");
	return COLLECTOR_OK;
}

enum collector_status collector_run(const struct collector_config *cfg,
				    struct crawl_result *out, char *err,
				    size_t errlen)
{
	struct collector c = { .cfg = cfg, .fd = -1, .err = err, .errlen = errlen,
			       .done = { .id = "0-0" } };
	char info[2048];
	enum collector_status rc;
	bool interrupted = false;
	int e;

	memset(out, 0, sizeof(*out));
	err[0] = '\0';
	name_keys(&c);
	rc = check_config(&c);
	if (!rc && !(rc = start(&c, info, sizeof(info))))
		rc = collect(&c, &interrupted);
	out->stats = c.done.stats;
	out->seconds = c.start_ns ? (double)crawl_clock_ns(&c) / 1e9 : 0;
	out->write_errno = c.write_errno;
	out->stop = CRAWL_FAILED;
	if (!rc)
		rc = summarize(&c, interrupted, out);
	if (!rc && !interrupted && !cfg->keep)
		end_crawl(&c);
	if ((e = warc_free(c.warc)) && !rc)
		rc = fail(&c, COLLECTOR_FAILED, e, "cannot close the WARC file of '%s'",
			  cfg->warc);
	if (c.fd >= 0 && close(c.fd) && !rc)
		rc = fail(&c, COLLECTOR_FAILED, errno, "cannot close '%s'", cfg->output);
	if (rc == COLLECTOR_FAILED)
		out->stop = CRAWL_FAILED;
	rconn_free(c.r);
	free(c.resumed_file);
	return rc;
}
