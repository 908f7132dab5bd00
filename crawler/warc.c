/* warc: WARC/1.1 records as gzip members (see warc.h).
 *
 * A record is "WARC/1.1" CRLF, its named fields each ending in CRLF, a
 * blank line, the block of Content-Length bytes, then two CRLFs (ISO 28500
 * section 4). An exchange's members are built in memory and written with
 * one write(2), so a failed write can be cut back to the record before,
 * and a reader never sees part of an exchange after a clean stop. */
#include "warc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>
#include <uthash.h>

#include <libdeflate.h>
#include <zlib.h> /* crc32_combine */

#include "buf.h"
#include "crawl.h"
#include "digest.h"
#include "fdio.h"
#include "mediatype.h"

#define WARC_ID_LEN (sizeof("<urn:uuid:01234567-0123-0123-0123-0123456789ab>"))
#define WARC_DATE_LEN (sizeof("2026-01-01T00:00:00Z"))

/* A payload already archived: what a revisit of it refers to. */
struct seen {
	char digest[DIGEST_SHA1_LEN];
	char id[WARC_ID_LEN];
	char date[WARC_DATE_LEN];
	struct seen *older;      /* the one remembered before, to free them all */
	UT_hash_handle hh;
	char uri[];              /* WARC-Target-URI of the first record */
};

struct warc {
	struct warc_config cfg;
	char *path;               /* cfg.path, owned */
	char *info;               /* cfg.info, owned (every file's warcinfo) */
	char **names;             /* every file of the series so far */
	unsigned nfiles;
	unsigned next;            /* number of the next file of the series */
	bool gzip;                /* FILE-NNNNN.warc.gz, not .warc */
	int fd;                   /* the current file, or -1 */
	uint64_t size;            /* its length in bytes */
	bool empty;               /* it holds only its warcinfo */
	char info_id[WARC_ID_LEN]; /* its warcinfo's record id */
	struct warc_packer *packer; /* for exchanges that come unpacked */
	struct buf plain;         /* a record's stored part */
	struct buf out;           /* the members of one exchange */
	struct buf head;          /* one record's named fields */
	struct seen *seen;        /* payload digest -> first record */
	struct seen *newest;      /* every entry of seen, newest first */
	size_t nseen;
	uint8_t rand[256];        /* getrandom's bytes, used 16 at a time */
	size_t rand_left;
};

/* One named field; value NULL or "" leaves it out. */
static bool field(struct buf *b, const char *name, const char *value)
{
	if (!value || !*value)
		return true;
	return buf_add(b, name, strlen(name)) && buf_add(b, ": ", 2) &&
	       buf_add(b, value, strlen(value)) && buf_add(b, "\r\n", 2);
}

static bool field_u64(struct buf *b, const char *name, uint64_t v)
{
	char s[24];

	snprintf(s, sizeof(s), "%llu", (unsigned long long)v);
	return field(b, name, s);
}

/* A random (version 4) UUID as a WARC record id (RFC 4122 section 4.4). */
static int new_id(struct warc *w, char out[WARC_ID_LEN])
{
	uint8_t *u;

	out[0] = '\0';
	if (w->rand_left < 16) {
		if (getrandom(w->rand, sizeof(w->rand), 0) != (ssize_t)sizeof(w->rand))
			return errno ? errno : EIO;
		w->rand_left = sizeof(w->rand);
	}
	w->rand_left -= 16;
	u = w->rand + w->rand_left;
	u[6] = (uint8_t)((u[6] & 0x0f) | 0x40);
	u[8] = (uint8_t)((u[8] & 0x3f) | 0x80);
	snprintf(out, WARC_ID_LEN,
		 "<urn:uuid:%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
		 "%02x%02x%02x%02x%02x%02x>",
		 u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9],
		 u[10], u[11], u[12], u[13], u[14], u[15]);
	return 0;
}

/* WARC-Date: UTC to the second (ISO 28500 section 5.4, W3C-ISO8601). */
static void date_of(int64_t ms, char out[WARC_DATE_LEN])
{
	time_t secs = (time_t)(ms / 1000);
	struct tm tm;

	gmtime_r(&secs, &tm);
	strftime(out, WARC_DATE_LEN, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Deflate blocks of type 00 (RFC 1951 3.2.4), up to 65,535 bytes each:
 * data that deflating would not shrink, or a part the writer frames in
 * front of a block deflated elsewhere. They start and end on a byte. */
static bool stored_blocks(struct buf *out, const char *p, size_t n, bool final)
{
	do {
		size_t k = n > 65535 ? 65535 : n;
		unsigned char h[5] = {
			final && k == n ? 1 : 0, (unsigned char)(k & 0xff),
			(unsigned char)(k >> 8), (unsigned char)(~k & 0xff),
			(unsigned char)((~k >> 8) & 0xff),
		};

		if (!buf_add(out, h, sizeof(h)) || !buf_add(out, p, k))
			return false;
		p += k;
		n -= k;
	} while (n);
	return true;
}

/* RFC 1952: no name, no time (a reader takes WARC-Date), unix. */
static const unsigned char gzip_header[10] = { 0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3 };

static bool gzip_trailer(struct buf *out, uint32_t crc, uint64_t len)
{
	unsigned char t[8];

	for (int i = 0; i < 4; i++) {
		t[i] = (unsigned char)(crc >> (8 * i));
		t[4 + i] = (unsigned char)(len >> (8 * i));
	}
	return buf_add(out, t, sizeof(t));
}

/* "WARC/1.1", the fields in w->head with Content-Length, the blank line:
 * into w->plain. */
static bool record_head(struct warc *w, uint64_t content_length)
{
	w->plain.len = 0;
	return field_u64(&w->head, "Content-Length", content_length) &&
	       buf_add(&w->head, "\r\n", 2) &&
	       buf_add(&w->plain, "WARC/1.1\r\n", 10) &&
	       buf_add(&w->plain, w->head.p, w->head.len);
}

/* A record whose block is stored, b1 then b2, as one gzip member at the
 * end of w->out (or as it is, in a .warc series). *len: the member's
 * length. */
static int member_stored(struct warc *w, const char *b1, size_t n1,
			 const char *b2, size_t n2, uint64_t *len)
{
	size_t start = w->out.len;
	bool ok;

	if (!record_head(w, (uint64_t)n1 + n2))
		return ENOMEM;
	if (!w->gzip)
		ok = buf_add(&w->out, w->plain.p, w->plain.len) &&
		     buf_add(&w->out, b1, n1) && buf_add(&w->out, b2, n2) &&
		     buf_add(&w->out, "\r\n\r\n", 4);
	else
		ok = buf_add(&w->plain, b1, n1) && buf_add(&w->plain, b2, n2) &&
		     buf_add(&w->plain, "\r\n\r\n", 4) &&
		     buf_add(&w->out, gzip_header, sizeof(gzip_header)) &&
		     stored_blocks(&w->out, w->plain.p, w->plain.len, true) &&
		     gzip_trailer(&w->out,
				  (uint32_t)libdeflate_crc32(0, w->plain.p, w->plain.len),
				  w->plain.len);
	if (!ok)
		return ENOMEM;
	w->head.len = 0;
	*len = w->out.len - start;
	return 0;
}

/* A record whose block comes packed: its head stored, then the packed
 * blocks, one gzip member whose CRC joins the two parts'. */
static int member_packed(struct warc *w, const struct warc_block *b, uint64_t *len)
{
	size_t start = w->out.len;
	uint32_t crc;

	if (!record_head(w, b->len - 4) ||
	    !buf_add(&w->out, gzip_header, sizeof(gzip_header)) ||
	    !stored_blocks(&w->out, w->plain.p, w->plain.len, false) ||
	    !buf_add(&w->out, b->packed, b->packed_len))
		return ENOMEM;
	crc = (uint32_t)libdeflate_crc32(0, w->plain.p, w->plain.len);
	crc = (uint32_t)crc32_combine(crc, b->crc, (z_off_t)b->len);
	if (!gzip_trailer(&w->out, crc, w->plain.len + b->len))
		return ENOMEM;
	w->head.len = 0;
	*len = w->out.len - start;
	return 0;
}

/* ---- packing, on any thread ---------------------------------------- */

struct warc_packer {
	struct libdeflate_compressor *z;
	struct buf plain;         /* the block and the record's end */
};

struct warc_packer *warc_packer_new(void)
{
	struct warc_packer *p = calloc(1, sizeof(*p));

	if (p && !(p->z = libdeflate_alloc_compressor(1))) {
		free(p);
		return NULL;
	}
	return p;
}

void warc_packer_free(struct warc_packer *p)
{
	if (!p)
		return;
	libdeflate_free_compressor(p->z);
	free(p->plain.p);
	free(p);
}

bool warc_compressed_already(const char *content_encoding, const char *content_type)
{
	return (content_encoding && *content_encoding &&
		strcasecmp(content_encoding, "identity") != 0) ||
	       mediatype_compressed(content_type);
}

void warc_digests(struct warc_block *b, const char *head, size_t head_len,
		  const char *payload, size_t payload_len, const char *payload_digest)
{
	struct digest d;

	*b = (struct warc_block){ .payload_len = payload_len };
	if (payload_digest)
		snprintf(b->payload_digest, sizeof(b->payload_digest), "%s", payload_digest);
	else
		digest_sha1(payload, payload_len, b->payload_digest);
	digest_init(&d);
	digest_update(&d, head, head_len);
	digest_update(&d, payload, payload_len);
	digest_final(&d, b->digest);
}

int warc_pack(struct warc_packer *p, const char *head, size_t head_len,
	      const char *payload, size_t payload_len,
	      const char *payload_digest, bool compressed, struct warc_block *b)
{
	struct buf out = { 0 };
	size_t bound, n;

	warc_digests(b, head, head_len, payload, payload_len, payload_digest);
	p->plain.len = 0;
	if (!buf_add(&p->plain, head, head_len) ||
	    !buf_add(&p->plain, payload, payload_len) ||
	    !buf_add(&p->plain, "\r\n\r\n", 4))
		return ENOMEM;
	b->len = p->plain.len;
	b->crc = (uint32_t)libdeflate_crc32(0, p->plain.p, p->plain.len);
	if (compressed) {
		if (!stored_blocks(&out, p->plain.p, p->plain.len, true)) {
			free(out.p);
			return ENOMEM;
		}
		b->packed = out.p;
		b->packed_len = out.len;
		return 0;
	}
	bound = libdeflate_deflate_compress_bound(p->z, p->plain.len);
	if (!(b->packed = malloc(bound)))
		return ENOMEM;
	n = libdeflate_deflate_compress(p->z, p->plain.p, p->plain.len, b->packed, bound);
	if (!n) {
		warc_block_release(b);
		return EINVAL;
	}
	b->packed_len = n;
	return 0;
}

void warc_block_release(struct warc_block *b)
{
	free(b->packed);
	b->packed = NULL;
	b->packed_len = 0;
}

/* Write w->out at the end of the file; a failure cuts the file back to
 * where it was. */
static int flush_out(struct warc *w)
{
	int err = fdio_write_all(w->fd, w->out.p, w->out.len);

	if (err) {
		if (ftruncate(w->fd, (off_t)w->size) == 0)
			lseek(w->fd, (off_t)w->size, SEEK_SET);
		w->out.len = 0;
		return err;
	}
	w->size += w->out.len;
	w->out.len = 0;
	return 0;
}

bool warc_path_gzipped(const char *path)
{
	size_t len = strlen(path);

	return len <= 5 || strcmp(path + len - 5, ".warc") != 0;
}

bool warc_packs(const struct warc *w)
{
	return w->gzip;
}

char *warc_file_name(const char *path, unsigned n)
{
	size_t len = strlen(path), cut = len;
	char *name;

	if (len > 8 && !strcmp(path + len - 8, ".warc.gz"))
		cut = len - 8;
	else if (len > 5 && !strcmp(path + len - 5, ".warc"))
		cut = len - 5;
	if (!(name = malloc(cut + sizeof("-00000.warc.gz") + 8)))
		return NULL;
	snprintf(name, cut + sizeof("-00000.warc.gz") + 8, "%.*s-%05u%s",
		 (int)cut, path, n, warc_path_gzipped(path) ? ".warc.gz" : ".warc");
	return name;
}

static int warcinfo(struct warc *w, const char *name)
{
	static const char fixed[] =
		"software: crawler/" CRAWL_VERSION "\r\n"
		"format: WARC File Format 1.1\r\n"
		"conformsTo: http://iipc.github.io/warc-specifications/"
		"specifications/warc-format/warc-1.1/\r\n";
	const char *more = w->cfg.info ? w->cfg.info : "";
	char date[WARC_DATE_LEN], sha[DIGEST_SHA1_LEN];
	struct digest d;
	uint64_t len;
	int err;

	if ((err = new_id(w, w->info_id)))
		return err;
	date_of(now_ms(), date);
	digest_init(&d);
	digest_update(&d, fixed, sizeof(fixed) - 1);
	digest_update(&d, more, strlen(more));
	digest_final(&d, sha);
	if (!field(&w->head, "WARC-Type", "warcinfo") ||
	    !field(&w->head, "WARC-Record-ID", w->info_id) ||
	    !field(&w->head, "WARC-Date", date) ||
	    !field(&w->head, "WARC-Filename", strrchr(name, '/') ?
			   strrchr(name, '/') + 1 : name) ||
	    !field(&w->head, "Content-Type", "application/warc-fields") ||
	    !field(&w->head, "WARC-Block-Digest", sha))
		return ENOMEM;
	if ((err = member_stored(w, fixed, sizeof(fixed) - 1, more, strlen(more), &len)))
		return err;
	return flush_out(w);
}

/* Close the current file (if any) and open the next of the series, with
 * its warcinfo. */
static int next_file(struct warc *w)
{
	char *name = warc_file_name(w->path, w->next++);
	char **names;
	int err;

	if (!name)
		return ENOMEM;
	if (!(names = realloc(w->names, (w->nfiles + 1) * sizeof(*names)))) {
		free(name);
		return ENOMEM;
	}
	w->names = names;
	if (w->fd >= 0 && close(w->fd)) {
		w->fd = -1;
		free(name);
		return errno;
	}
	w->fd = open(name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (w->fd < 0) {
		err = errno;
		free(name);
		return err;
	}
	w->names[w->nfiles++] = name;
	w->size = 0;
	w->empty = true;
	return warcinfo(w, name);
}

int warc_cut(const char *path, const char *file, uint64_t end)
{
	bool after = file == NULL;

	for (unsigned n = 0;; n++) {
		char *name = warc_file_name(path, n);
		int err = 0;

		if (!name)
			return ENOMEM;
		if (access(name, F_OK)) {
			free(name);
			return 0;
		}
		if (after && unlink(name))
			err = errno;
		else if (!after && !strcmp(name, file)) {
			if (truncate(name, (off_t)end))
				err = errno;
			after = true;
		}
		free(name);
		if (err)
			return err;
	}
}

/* A resumed crawl goes on in a file of its own after the last one there:
 * what the earlier run archived is never written again. */
static int skip_existing(struct warc *w)
{
	for (;;) {
		char *name = warc_file_name(w->path, w->next);
		bool exists;

		if (!name)
			return ENOMEM;
		exists = access(name, F_OK) == 0;
		free(name);
		if (!exists)
			return 0;
		w->next++;
	}
}

struct warc *warc_new(const struct warc_config *cfg, char *err, size_t errlen)
{
	struct warc *w = calloc(1, sizeof(*w));
	int rc;

	if (!w || !(w->path = strdup(cfg->path)) ||
	    !(w->info = strdup(cfg->info ? cfg->info : ""))) {
		if (w)
			free(w->path);
		free(w);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	w->cfg = *cfg;
	w->gzip = warc_path_gzipped(cfg->path);
	w->cfg.path = w->path;
	w->cfg.info = w->info;
	if (!w->cfg.max_digests)
		w->cfg.max_digests = WARC_DEFAULT_MAX_DIGESTS;
	w->fd = -1;
	if (cfg->resume && (rc = skip_existing(w))) {
		free(w->path);
		free(w->info);
		free(w);
		snprintf(err, errlen, "%s: %s", cfg->path, strerror(rc));
		return NULL;
	}
	if (!(w->packer = warc_packer_new())) {
		free(w->path);
		free(w->info);
		free(w);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if ((rc = next_file(w))) {
		snprintf(err, errlen, "%s: %s",
			 w->nfiles ? w->names[w->nfiles - 1] : cfg->path, strerror(rc));
		warc_free(w);
		return NULL;
	}
	return w;
}

int warc_free(struct warc *w)
{
	int err = 0;

	if (!w)
		return 0;
	if (w->fd >= 0 && close(w->fd))
		err = errno;
	HASH_CLEAR(hh, w->seen);
	while (w->newest) {
		struct seen *s = w->newest;

		w->newest = s->older;
		free(s);
	}
	for (unsigned i = 0; i < w->nfiles; i++)
		free(w->names[i]);
	free(w->names);
	warc_packer_free(w->packer);
	free(w->plain.p);
	free(w->out.p);
	free(w->head.p);
	free(w->path);
	free(w->info);
	free(w);
	return err;
}

/* The fields every record of an exchange has. */
static bool common(struct warc *w, const char *type, const char *id,
		   const char *date, const struct warc_exchange *x)
{
	return field(&w->head, "WARC-Type", type) &&
	       field(&w->head, "WARC-Record-ID", id) &&
	       field(&w->head, "WARC-Date", date) &&
	       field(&w->head, "WARC-Target-URI", x->uri) &&
	       field(&w->head, "WARC-IP-Address", x->ip) &&
	       field(&w->head, "WARC-Warcinfo-ID", w->info_id);
}

static void remember(struct warc *w, const char *sha, const char *id,
		     const char *date, const char *uri)
{
	size_t n = strlen(uri) + 1;
	struct seen *s;

	if (w->nseen >= w->cfg.max_digests || !(s = malloc(sizeof(*s) + n)))
		return;
	memcpy(s->digest, sha, sizeof(s->digest));
	memcpy(s->id, id, sizeof(s->id));
	memcpy(s->date, date, sizeof(s->date));
	memcpy(s->uri, uri, n);
	HASH_ADD_STR(w->seen, digest, s);
	s->older = w->newest;
	w->newest = s;
	w->nseen++;
}

/* The response record, or a revisit of the first with payload b's. */
static int response_of(struct warc *w, const struct warc_exchange *x,
		       const struct warc_block *b, const char *id,
		       const char *date, struct warc_ref *ref)
{
	char head_digest[DIGEST_SHA1_LEN];
	struct seen *first = NULL;

	if (b->payload_len && !x->truncated)
		HASH_FIND_STR(w->seen, b->payload_digest, first);
	ref->revisit = first != NULL;
	/* A revisit's block is the headers alone. */
	if (first)
		digest_sha1(x->head, x->head_len, head_digest);
	if (!common(w, first ? "revisit" : "response", id, date, x) ||
	    (first &&
	     (!field(&w->head, "WARC-Profile", "http://netpreserve.org/warc/1.1/"
			     "revisit/identical-payload-digest") ||
	      !field(&w->head, "WARC-Refers-To", first->id) ||
	      !field(&w->head, "WARC-Refers-To-Target-URI", first->uri) ||
	      !field(&w->head, "WARC-Refers-To-Date", first->date))) ||
	    !field(&w->head, "Content-Type", "application/http;msgtype=response") ||
	    !field(&w->head, "WARC-Payload-Digest", b->payload_digest) ||
	    !field(&w->head, "WARC-Block-Digest", first ? head_digest : b->digest) ||
	    !field(&w->head, "WARC-Truncated", x->truncated))
		return ENOMEM;
	if (first)
		return member_stored(w, x->head, x->head_len, NULL, 0, &ref->length);
	if (b->payload_len && !x->truncated)
		remember(w, b->payload_digest, id, date, x->uri);
	if (!b->packed)
		return member_stored(w, x->head, x->head_len, x->payload,
				     x->payload_len, &ref->length);
	return member_packed(w, b, &ref->length);
}

/* The exchange's block packed by the caller, or here. */
static int response(struct warc *w, const struct warc_exchange *x,
		    const char *id, const char *date, struct warc_ref *ref)
{
	struct warc_block own;
	int err;

	if (x->block)
		return w->gzip ? response_of(w, x, x->block, id, date, ref) : EINVAL;
	if (!w->gzip)
		warc_digests(&own, x->head, x->head_len, x->payload, x->payload_len,
			     x->payload_digest);
	else if ((err = warc_pack(w->packer, x->head, x->head_len, x->payload,
				  x->payload_len, x->payload_digest, x->compressed,
				  &own)))
		return err;
	err = response_of(w, x, &own, id, date, ref);
	warc_block_release(&own);
	return err;
}

static int request(struct warc *w, const struct warc_exchange *x,
		   const char *resp_id, const char *date)
{
	char id[WARC_ID_LEN], block[DIGEST_SHA1_LEN];
	uint64_t len;
	int err;

	if ((err = new_id(w, id)))
		return err;
	digest_sha1(x->request, x->request_len, block);
	if (!common(w, "request", id, date, x) ||
	    !field(&w->head, "WARC-Concurrent-To", resp_id) ||
	    !field(&w->head, "Content-Type", "application/http;msgtype=request") ||
	    !field(&w->head, "WARC-Block-Digest", block))
		return ENOMEM;
	/* A request is a few hundred bytes: deflating it costs as much CPU as
	 * a small page and saves a hundred of them. */
	return member_stored(w, x->request, x->request_len, NULL, 0, &len);
}

/* Builds the exchange in w->out; the response member starts at *at. */
static int build(struct warc *w, const struct warc_exchange *x,
		 struct warc_ref *ref, size_t *at)
{
	char id[WARC_ID_LEN], date[WARC_DATE_LEN];
	int err;

	if ((err = new_id(w, id)))
		return err;
	date_of(x->date_ms, date);
	if (x->request && (err = request(w, x, id, date)))
		return err;
	*at = w->out.len;
	return response(w, x, id, date, ref);
}

int warc_write(struct warc *w, const struct warc_exchange *x, struct warc_ref *ref)
{
	size_t at = 0;
	int err;

	w->out.len = 0;
	w->head.len = 0;
	if ((err = build(w, x, ref, &at))) {
		w->out.len = 0;
		w->head.len = 0;
		return err;
	}
	if (w->cfg.max_bytes && !w->empty &&
	    w->size + w->out.len > w->cfg.max_bytes) {
		struct buf keep = w->out;

		/* The warcinfo of the next file goes through out too. */
		w->out = (struct buf){ 0 };
		err = next_file(w);
		free(w->out.p);
		w->out = keep;
		if (err)
			return err;
	}
	ref->file = w->names[w->nfiles - 1];
	ref->offset = w->size + at;
	if ((err = flush_out(w)))
		return err;
	w->empty = false;
	return 0;
}
