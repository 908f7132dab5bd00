/* writer: the single thread that owns the output file, the statistics and
 * the progress line (see writer.h for the batching rule).
 *
 * Threads: writer_main runs alone on the records; `io` is taken around
 * every change of the buffer and every write(2), and by writer_halt from a
 * signal thread, which writes what the buffer holds and exits. */
#include "writer.h"

#include <errno.h>
#include <stdbool.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "chan.h"
#include "ctx.h"
#include "exchange.h"
#include "frontier.h"
#include "journal.h"
#include "record.h"
#include "response.h"
#include "warc.h"

#define WRITER_BUF (256 * 1024)          /* bytes batched per write(2) */
#define PROGRESS_NS (250 * 1000000LL)    /* progress redraw interval */
/* The writer sleeps until this many records are queued, or a record has
 * waited LINGER_NS: one wake-up and one write(2) per batch rather than per
 * record, for at most that much delay at the end of a crawl. */
#define WRITER_BATCH 64
#define LINGER_NS (20 * 1000000LL)

/* What a record on its way to publish owns: its line, its exchange and
 * the text of its numbers (its frontier_result points into them). */
struct pub {
	char *line;
	char *exchange;
	char meta[96];
};

struct writer {
	struct writer_config cfg;
	struct frontier_result pub_res[WRITER_BATCH]; /* publish: the batch */
	struct pub pubs[WRITER_BATCH]; /* what each of them owns */
	size_t npubs;
	struct chan *results;   /* borrowed */
	pthread_t thread;
	pthread_mutex_t io;     /* guards buf, len and err; held across write(2) */
	char *buf;              /* WRITER_BUF bytes of whole lines */
	size_t len;             /* of them taken and not yet written */
	int err;                /* errno of the failed write, or 0 */
	struct stats stats;
	int64_t started_ns;
	int64_t drawn_ns;       /* when the progress line was last drawn */
	int64_t synced_ns;      /* when journal and output were last synced */
};

/* Write all of p; on failure cut the file back to its last whole line
 * (when it is a file) and return the errno. */
static int write_all(int fd, const char *p, size_t n)
{
	off_t start = lseek(fd, 0, SEEK_CUR);
	size_t done = 0;

	while (done < n) {
		ssize_t w = write(fd, p + done, n - done);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			int err = w < 0 ? errno : EIO;

			if (done && start >= 0) {
				while (done && p[done - 1] != '\n')
					done--;
				/* The offset stays past the cut; put it back, or
				 * a later write would leave a hole. */
				if (ftruncate(fd, start + (off_t)done) ||
				    lseek(fd, start + (off_t)done, SEEK_SET) < 0)
					err = errno;
			}
			return err;
		}
		done += (size_t)w;
	}
	return 0;
}

/* The first error stops all output and the crawl (on_fail); the file
 * keeps the whole lines written before it. */
static void fail(struct writer *w, int err)
{
	bool first;

	if (!err)
		return;
	pthread_mutex_lock(&w->io);
	first = !w->err;
	if (first)
		w->err = err;
	pthread_mutex_unlock(&w->io);
	if (first && w->cfg.on_fail)
		w->cfg.on_fail(w->cfg.arg);
}

/* Under io: admissions first (a record must never outlive, in a kill, the
 * links its page added to the crawl), then the n bytes of whole lines.
 * After a failure nothing more is written: the file ends on the last whole
 * line that fit. 0, or the errno of a failure new here. */
static int put_locked(struct writer *w, const char *p, size_t n)
{
	int err;

	if (w->err)
		return 0;
	err = w->cfg.journal ? journal_flush(w->cfg.journal) : 0;
	if (!err)
		err = write_all(w->cfg.fd, p, n);
	return err;
}

/* Publish the batch (a worker's records); what fails is dropped, and
 * the writer fails: its URLs' leases expire, for another worker. */
static void publish(struct writer *w)
{
	int err = 0;

	if (!w->npubs)
		return;
	if (!w->err)
		err = w->cfg.publish(w->cfg.arg, w->pub_res, w->npubs);
	for (size_t i = 0; i < w->npubs; i++) {
		free(w->pubs[i].line);
		free(w->pubs[i].exchange);
	}
	w->npubs = 0;
	fail(w, err);
}

/* A worker's record into the batch, taking line ("warc" is its last
 * field, null: the collector fills it in; NULL for an exchange alone) and
 * x (exchange_pack's, or NULL), with the numbers the collector's
 * statistics need: status, error, bytes, and 1 for a sitemap read. */
static void pub_add(struct writer *w, const struct record *r, char *line,
		    size_t n, char *x, size_t xlen)
{
	struct pub *p = &w->pubs[w->npubs];
	int len = snprintf(p->meta, sizeof(p->meta), "%d %d %llu %d", r->status,
			   (int)r->err, (unsigned long long)r->bytes,
			   r->sitemap_urls >= 0);

	p->line = line;
	p->exchange = x;
	w->pub_res[w->npubs++] = (struct frontier_result){
		.ticket = line ? r->ticket : 0, .depth = r->depth,
		.line = line, .line_len = n,
		.meta = p->meta, .meta_len = (size_t)len,
		.exchange = x, .exchange_len = xlen,
		.warc_at = n >= 6 ? n - 6 : 0,
	};
	if (w->npubs == WRITER_BATCH)
		publish(w);
}

/* buf and len change under io only, so writer_halt finds whole lines not
 * yet written there, and never lines already written. */
static void flush(struct writer *w)
{
	int err = 0;

	if (w->cfg.publish)
		publish(w);

	pthread_mutex_lock(&w->io);
	if (w->len)
		err = put_locked(w, w->buf, w->len);
	w->len = 0;
	pthread_mutex_unlock(&w->io);
	fail(w, err);
}

/* After a failed write, lines are dropped: the file stays whole. */
static void emit(struct writer *w, const char *line, size_t n)
{
	int err;

	if (w->err)
		return;
	if (w->len + n > WRITER_BUF)
		flush(w);
	if (w->err)
		return;
	pthread_mutex_lock(&w->io);
	if (n > WRITER_BUF) {
		err = put_locked(w, line, n);
	} else {
		memcpy(w->buf + w->len, line, n);
		w->len += n;
		err = 0;
	}
	pthread_mutex_unlock(&w->io);
	fail(w, err);
}

/* --state: make what is written durable, in batches (--checkpoint-interval):
 * a kill -9 loses nothing written anyway, a power cut loses at most this. */
static void checkpoint(struct writer *w, int64_t now)
{
	flush(w);
	int err = journal_sync(w->cfg.journal);

	if (!err && fdatasync(w->cfg.fd) && errno != EINVAL)
		err = errno;
	w->synced_ns = now;
	fail(w, err);
}

static void progress_clear(struct writer *w)
{
	if (w->cfg.progress && w->drawn_ns)
		fputs("\r\033[K", w->cfg.log);
}

static void progress_draw(struct writer *w, int64_t now)
{
	size_t queued = 0, in_flight = 0;
	char line[256];
	struct winsize ws;
	int width = (int)sizeof(line) - 1;

	if (w->cfg.gauges)
		w->cfg.gauges(w->cfg.arg, &queued, &in_flight);
	stats_progress(&w->stats, (double)(now - w->started_ns) / 1e9, queued,
		       in_flight, line, sizeof(line));
	/* A line wider than the terminal wraps, and "\r" then redraws only
	 * its last row: clip it instead. */
	if (!ioctl(fileno(w->cfg.log), TIOCGWINSZ, &ws) && ws.ws_col > 1 &&
	    ws.ws_col - 1 < width)
		width = ws.ws_col - 1;
	fprintf(w->cfg.log, "\r\033[K%.*s", width, line);
	fflush(w->cfg.log);
	w->drawn_ns = now;
}

static void log_record(struct writer *w, const struct record *r)
{
	char status[8] = "---";

	if (r->status)
		snprintf(status, sizeof(status), "%d", r->status);
	progress_clear(w);
	if (r->err != RECORD_ERR_NONE)
		fprintf(w->cfg.log, "%s %s (%s: %s)\n", status, r->url,
			record_err_name(r->err),
			r->err_msg ? r->err_msg : record_err_text(r->err));
	else
		fprintf(w->cfg.log, "%s %s (%lld ms)\n", status, r->url,
			(long long)r->elapsed_ms);
	w->drawn_ns = 0;
}

/* Why an archived body is not all the server sent (WARC-Truncated). */
static const char *truncation(const struct response *a)
{
	if (a->raw_cut || a->err == RECORD_ERR_TOO_LARGE)
		return "length";
	if (a->err == RECORD_ERR_TIMEOUT || a->err == RECORD_ERR_CANCELED)
		return "time";
	if (a->err != RECORD_ERR_NONE)
		return "disconnect";
	return a->refused ? "unspecified" : NULL;
}

/* The record's exchange goes to the archive before its line is taken, so
 * a line never names a record that is not there. A failure stops the
 * crawl, as a failed write of the output does. */
static struct warc_exchange exchange_of(const struct record *r)
{
	const struct response *a = r->archive;

	return (struct warc_exchange){
		.uri = a->final_url ? a->final_url : r->url,
		.ip = a->ip,
		.date_ms = a->fetched_at_ms,
		.request = a->request,
		.request_len = a->request_len,
		.head = a->headers ? a->headers : "",
		.head_len = a->headers_len,
		.payload = a->raw ? a->raw : "",
		.payload_len = a->raw_len,
		.block = a->packed,
		/* Packed already, its block says how. */
		.compressed = !a->packed &&
			      warc_compressed_already(r->content_encoding, a->content_type),
		.payload_digest = a->digest[0] ? a->digest : NULL,
		.truncated = truncation(a),
	};
}

static void archive(struct writer *w, struct record *r)
{
	struct warc_exchange x = exchange_of(r);
	struct warc_ref ref;
	int err;

	if (w->err)
		return;
	err = warc_write(w->cfg.warc, &x, &ref);
	if (!err && !(r->warc_file = strdup(ref.file)))
		err = ENOMEM;
	if (err) {
		fail(w, err);
		return;
	}
	r->warc_offset = ref.offset;
	r->warc_length = ref.length;
}

/* A worker's exchange for the collector to archive; NULL (the writer
 * failed) when out of memory. */
static char *pack(struct writer *w, const struct record *r, size_t *len)
{
	struct warc_exchange x = exchange_of(r);
	char *p = exchange_pack(&x, len);

	if (!p)
		fail(w, ENOMEM);
	return p;
}

static void take(struct writer *w, struct record *r)
{
	size_t n, xlen = 0;
	char *line, *x = NULL;

	if (r->archive && w->cfg.warc)
		archive(w, r);
	else if (r->archive && w->cfg.publish)
		x = pack(w, r, &xlen);
	response_free(r->archive);
	r->archive = NULL;
	if (r->archive_only) {
		if (x)
			pub_add(w, r, NULL, 0, x, xlen);
		record_free(r);
		return;
	}
	line = record_to_json(r, w->cfg.outlinks, &n);

	/* A record that cannot be made a line is lost: stop there, as on a
	 * failed write, rather than go on with a hole in the output. */
	if (!line) {
		fail(w, ENOMEM);
		free(x);
	} else if (w->cfg.publish)
		pub_add(w, r, line, n, x, xlen);
	else
		emit(w, line, n);
	if (!w->cfg.publish)
		free(line);
	stats_add(&w->stats, r);
	if (w->cfg.verbose)
		log_record(w, r);
	if (w->cfg.on_record && !w->cfg.publish)
		w->cfg.on_record(w->cfg.arg, r);
	record_free(r);
}

/* Receive the next record, waiting for a batch of them (WRITER_BATCH) no
 * longer than LINGER_NS (CHAN_DONE then); a progress line redraws at least
 * as often. */
static enum chan_status next(struct writer *w, void **item)
{
	struct ctx tick;
	enum chan_status rc;

	ctx_init(&tick, NULL, ctx_now_ns() + LINGER_NS);
	rc = chan_recv(w->results, item, &tick);
	ctx_release(&tick);
	return rc;
}

static void *writer_main(void *arg)
{
	struct writer *w = arg;
	void *item;

	for (;;) {
		enum chan_status rc = chan_try_recv(w->results, &item);
		int64_t now;

		if (rc == CHAN_EMPTY) {
			flush(w);
			rc = next(w, &item);
		}
		if (rc == CHAN_CLOSED)
			break;
		if (rc == CHAN_OK)
			take(w, item);
		now = ctx_now_ns();
		if (w->cfg.progress && now - w->drawn_ns >= PROGRESS_NS)
			progress_draw(w, now);
		if (w->cfg.journal &&
		    now - w->synced_ns >= w->cfg.checkpoint_ms * 1000000)
			checkpoint(w, now);
	}
	flush(w);
	if (w->cfg.journal)
		checkpoint(w, ctx_now_ns());
	progress_clear(w);
	return NULL;
}

struct writer *writer_start(const struct writer_config *cfg, struct chan *results)
{
	struct writer *w = calloc(1, sizeof(*w));

	if (!w)
		return NULL;
	w->buf = malloc(WRITER_BUF);
	if (!w->buf) {
		free(w);
		return NULL;
	}
	w->cfg = *cfg;
	w->results = results;
	chan_wake_at(results, WRITER_BATCH);
	w->started_ns = ctx_now_ns();
	pthread_mutex_init(&w->io, NULL);
	if (pthread_create(&w->thread, NULL, writer_main, w)) {
		pthread_mutex_destroy(&w->io);
		free(w->buf);
		free(w);
		return NULL;
	}
	return w;
}

int writer_join(struct writer *w, struct stats *stats)
{
	pthread_join(w->thread, NULL);
	*stats = w->stats;
	return w->err;
}

void writer_free(struct writer *w)
{
	if (!w)
		return;
	pthread_mutex_destroy(&w->io);
	free(w->buf);
	free(w);
}

/* Never unlocks io: the writer thread stops at its next line, and the
 * process ends. */
_Noreturn void writer_halt(struct writer *w, int status)
{
	if (w) {
		pthread_mutex_lock(&w->io);
		if (w->len)
			put_locked(w, w->buf, w->len);
	}
	_exit(status);
}
