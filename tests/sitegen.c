/* sitegen: serve the generated site (tests/support/site.h) on its own, for
 * `make demo` and the benchmark, or write it out as files.
 *
 *   sitegen [--ip 127.0.0.1] [--port 0] [--pages N] [--links L]
 *           [--page-bytes B] [--seed S] [--no-specials] [--threads T]
 *           [--lifetime SECONDS] [--delay-ms MS] [--robots TEXT]
 *   sitegen --write DIR --no-specials [--pages N] [--links L]
 *           [--page-bytes B] [--seed S] [--threads T]
 *
 * Serving, it prints its base URL ("http://127.0.0.1:PORT/") as one line on
 * stdout, then serves until SIGINT or SIGTERM or the end of its lifetime,
 * and exits 0. It runs its own libmicrohttpd daemon (epoll, a small thread
 * pool) rather than testsrv: a benchmark server wants speed and has no use
 * for a request log. --delay-ms makes every answer wait that long (a slow
 * site, with a thread per connection so the waits overlap); --robots
 * serves TEXT as /robots.txt (else it is a 404, which allows all).
 *
 * Writing, it puts page i at DIR/p/<i>.html and page 0 again at
 * DIR/index.html (what a static server answers "/" with), the very bytes
 * the server would send, with --threads writers, and exits 0: the benchmark serves them with
 * nginx. The site has no origin then, so every link is relative or
 * root-relative and one tree serves any host; the special paths (redirects,
 * the loop) are no files, so --write wants --no-specials. */
#include "site.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct sitegen_opts {
	const char *ip;
	unsigned long port;
	unsigned long threads;
	unsigned long lifetime;
	const char *write_dir; /* --write: write files here, serve nothing */
	unsigned long delay_ms; /* every answer waits this long */
	const char *robots;    /* /robots.txt, or NULL for a 404 */
	struct site site;
};

static const char not_found_body[] =
	"<!DOCTYPE html>\n<html><head><title>404 Not Found</title></head>"
	"<body><h1>Not Found</h1></body></html>\n";

static const char bad_method_body[] = "GET and HEAD only\n";

static char first_call_seen;

/* Shared by every connection: MHD counts references to a response. */
static struct MHD_Response *not_found, *bad_method, *robots;

static unsigned long delay_ms; /* --delay-ms, read by server threads */

static void usage(FILE *f)
{
	fputs("usage: sitegen [--ip 127.0.0.1] [--port 0] [--pages N] "
	      "[--links L]\n"
	      "               [--page-bytes B] [--seed S] [--no-specials]\n"
	      "               [--threads T] [--lifetime SECONDS]\n"
	      "               [--delay-ms MS] [--robots TEXT]\n"
	      "       sitegen --write DIR --no-specials [--pages N] "
	      "[--links L]\n"
	      "               [--page-bytes B] [--seed S] [--threads T]\n",
	      f);
}

/* A whole decimal number in [min, max], or exit with a message. */
static unsigned long long number(const char *opt, const char *s,
				 unsigned long long min, unsigned long long max)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (s[0] < '0' || s[0] > '9' || *end || errno || v < min || v > max) {
		fprintf(stderr, "sitegen: --%s wants a number from %llu to "
			"%llu, not \"%s\"\n", opt, min, max, s);
		exit(2);
	}
	return v;
}

static void parse_args(int argc, char **argv, struct sitegen_opts *o)
{
	static const struct option longopts[] = {
		{ "ip", required_argument, NULL, 'i' },
		{ "port", required_argument, NULL, 'p' },
		{ "pages", required_argument, NULL, 'n' },
		{ "links", required_argument, NULL, 'l' },
		{ "page-bytes", required_argument, NULL, 'b' },
		{ "seed", required_argument, NULL, 's' },
		{ "no-specials", no_argument, NULL, 'x' },
		{ "threads", required_argument, NULL, 't' },
		{ "lifetime", required_argument, NULL, 'T' },
		{ "write", required_argument, NULL, 'w' },
		{ "delay-ms", required_argument, NULL, 'D' },
		{ "robots", required_argument, NULL, 'R' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'i':
			o->ip = optarg;
			break;
		case 'p':
			o->port = number("port", optarg, 0, 65535);
			break;
		case 'n':
			o->site.pages = number("pages", optarg, 1, 100000000);
			break;
		case 'l':
			o->site.links = number("links", optarg, 2, 1000);
			break;
		case 'b':
			o->site.page_bytes = number("page-bytes", optarg, 0,
						    1 << 24);
			break;
		case 's':
			o->site.seed = number("seed", optarg, 0, UINT64_MAX);
			break;
		case 'x':
			o->site.specials = false;
			break;
		case 't':
			o->threads = number("threads", optarg, 1, 256);
			break;
		case 'T':
			o->lifetime = number("lifetime", optarg, 1,
					     365 * 86400);
			break;
		case 'w':
			o->write_dir = optarg;
			break;
		case 'D':
			o->delay_ms = number("delay-ms", optarg, 0, 60000);
			break;
		case 'R':
			o->robots = optarg;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			exit(2);
		}
	}
	if (optind < argc) {
		usage(stderr);
		exit(2);
	}
	if (o->write_dir && o->site.specials) {
		fprintf(stderr, "sitegen: --write wants --no-specials: "
			"redirects and the loop are no files\n");
		exit(2);
	}
}

static bool write_all(int fd, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		p += n;
		len -= (size_t)n;
	}
	return true;
}

/* The body site_handler gives for path, written to file; false with a
 * message on stderr. */
static bool write_path(const struct site *site, const char *path,
		       const char *file)
{
	struct testsrv_reply r = { 0 };
	void *free_body = NULL;
	bool ok;
	int fd, err;

	if (!site_handler((void *)site, path, &r, &free_body) || r.status ||
	    !free_body) {
		fprintf(stderr, "sitegen: no page at %s\n", path);
		if (free_body)
			((void (*)(void *))free_body)((void *)r.body);
		return false;
	}
	fd = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	ok = fd >= 0 && write_all(fd, r.body, r.body_len);
	err = errno;
	if (fd >= 0 && close(fd) != 0 && ok) {
		ok = false;
		err = errno;
	}
	((void (*)(void *))free_body)((void *)r.body);
	if (!ok)
		fprintf(stderr, "sitegen: cannot write %s: %s\n", file,
			strerror(err));
	return ok;
}

/* One of --threads writers: pages first, first + step, first + 2 step... */
struct page_writer {
	const struct site *site;
	const char *dir;
	size_t first, step;
	bool ok;
	pthread_t thread;
};

static void *write_pages(void *arg)
{
	struct page_writer *w = arg;
	char path[64], file[4096];

	for (size_t i = w->first; w->ok && i < w->site->pages; i += w->step) {
		snprintf(path, sizeof(path), "/p/%zu.html", i);
		snprintf(file, sizeof(file), "%s%s", w->dir, path);
		w->ok = write_path(w->site, path, file);
	}
	return NULL;
}

/* DIR/index.html and DIR/p/<i>.html for every page, by threads writers
 * (building a page and tmpfs taking it cost about the same CPU). */
static int write_site(const struct site *site, const char *dir,
		      size_t threads)
{
	struct page_writer w[256];
	char file[4096];
	size_t started = 0;
	bool ok;

	if (snprintf(file, sizeof(file), "%s/p", dir) >= (int)sizeof(file) ||
	    (mkdir(dir, 0755) != 0 && errno != EEXIST) ||
	    (mkdir(file, 0755) != 0 && errno != EEXIST)) {
		fprintf(stderr, "sitegen: cannot make %s/p: %s\n", dir,
			strerror(errno));
		return 1;
	}
	snprintf(file, sizeof(file), "%s/index.html", dir);
	ok = write_path(site, "/", file);
	for (; ok && started < threads; started++) {
		w[started] = (struct page_writer){
			.site = site, .dir = dir, .first = started,
			.step = threads, .ok = true,
		};
		if (pthread_create(&w[started].thread, NULL, write_pages,
				   &w[started])) {
			fprintf(stderr, "sitegen: cannot start a writer\n");
			exit(1);
		}
	}
	for (size_t t = 0; t < started; t++) {
		pthread_join(w[t].thread, NULL);
		ok = ok && w[t].ok;
	}
	return ok ? 0 : 1;
}

static struct MHD_Response *static_response(const char *body, size_t len,
					    const char *type)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(
		len, (void *)body, MHD_RESPMEM_PERSISTENT);

	if (!r || MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
					  type) != MHD_YES) {
		fprintf(stderr, "sitegen: out of memory\n");
		exit(1);
	}
	return r;
}

static enum MHD_Result send_reply(struct MHD_Connection *c,
				  const struct testsrv_reply *r,
				  void *free_body)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;

	resp = MHD_create_response_from_buffer_with_free_callback(
		r->body_len, (void *)r->body,
		(MHD_ContentReaderFreeCallback)free_body);
	if (!resp)
		return MHD_NO;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
				r->content_type ? r->content_type :
				"text/html; charset=utf-8");
	if (r->location)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_LOCATION,
					r->location);
	ret = MHD_queue_response(c, r->status ? r->status : MHD_HTTP_OK, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* The site never sets delays or extra headers, and its paths carry no
 * query, so a request with one is a path the site does not have. */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *c,
				  const char *url, const char *method,
				  const char *version, const char *upload,
				  size_t *upload_size, void **req_cls)
{
	struct testsrv_reply r = { 0 };
	void *free_body = NULL;

	(void)version;
	(void)upload;
	(void)upload_size;
	/* Answering the first call, the one with the headers, makes MHD
	 * 0.9.75 close the connection: wait for the call after the body. */
	if (!*req_cls) {
		*req_cls = &first_call_seen;
		return MHD_YES;
	}
	if (delay_ms)
		usleep((useconds_t)(delay_ms * 1000));
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
		return MHD_queue_response(c, MHD_HTTP_METHOD_NOT_ALLOWED,
					  bad_method);
	if (robots && !strcmp(url, "/robots.txt"))
		return MHD_queue_response(c, MHD_HTTP_OK, robots);
	if (MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, NULL, NULL) ||
	    !site_handler(cls, url, &r, &free_body))
		return MHD_queue_response(c, MHD_HTTP_NOT_FOUND, not_found);
	if (!r.body || !free_body) /* out of memory in the site */
		return MHD_queue_response(c, r.status ? r.status : 500,
					  not_found);
	return send_reply(c, &r, free_body);
}

/* The socket is made here, not by MHD, so the port is known and the origin
 * written before any server thread exists to read it. */
static int listen_on(const struct sitegen_opts *o, unsigned short *port)
{
	struct sockaddr_in sa = {
		.sin_family = AF_INET,
		.sin_port = htons((unsigned short)o->port),
	};
	socklen_t len = sizeof(sa);
	int one = 1;
	int fd;

	if (inet_pton(AF_INET, o->ip, &sa.sin_addr) != 1) {
		fprintf(stderr, "sitegen: --ip wants an IPv4 address, not "
			"\"%s\"\n", o->ip);
		exit(2);
	}
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    listen(fd, 1024) != 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &len) != 0) {
		fprintf(stderr, "sitegen: cannot listen on %s port %lu: %s\n",
			o->ip, o->port, strerror(errno));
		exit(1);
	}
	*port = ntohs(sa.sin_port);
	return fd;
}

static struct MHD_Daemon *start(struct sitegen_opts *o, int fd)
{
	/* A slow site: answers wait in their connection's own thread, so
	 * they wait side by side, as a slow server's do. */
	if (o->delay_ms)
		return MHD_start_daemon(
			MHD_USE_THREAD_PER_CONNECTION |
			MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG,
			0, NULL, NULL, on_request, &o->site,
			MHD_OPTION_LISTEN_SOCKET, fd,
			MHD_OPTION_CONNECTION_LIMIT, 1024u,
			MHD_OPTION_CONNECTION_TIMEOUT, 30u,
			MHD_OPTION_END);
	return MHD_start_daemon(
		MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
		MHD_USE_ERROR_LOG,
		0, NULL, NULL, on_request, &o->site,
		MHD_OPTION_LISTEN_SOCKET, fd,
		MHD_OPTION_THREAD_POOL_SIZE, (unsigned)o->threads,
		MHD_OPTION_CONNECTION_LIMIT, 4096u,
		MHD_OPTION_CONNECTION_TIMEOUT, 30u,
		MHD_OPTION_END);
}

/* Sleep until a stop signal or the lifetime's end, whichever is first. */
static void wait_for_end(const sigset_t *stop, unsigned long lifetime)
{
	struct timespec end, now, left;

	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += (time_t)lifetime;
	for (;;) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec > end.tv_sec ||
		    (now.tv_sec == end.tv_sec && now.tv_nsec >= end.tv_nsec))
			return;
		left.tv_sec = end.tv_sec - now.tv_sec;
		left.tv_nsec = end.tv_nsec - now.tv_nsec;
		if (left.tv_nsec < 0) {
			left.tv_sec--;
			left.tv_nsec += 1000000000;
		}
		if (sigtimedwait(stop, NULL, &left) >= 0 || errno != EINTR)
			return;
	}
}

int main(int argc, char **argv)
{
	struct sitegen_opts o = {
		.ip = "127.0.0.1",
		.threads = 2,
		.lifetime = 600,
		.site = { .seed = 1, .pages = 1000, .links = 8,
			  .page_bytes = 4096, .specials = true },
	};
	char origin[64];
	unsigned short port;
	struct MHD_Daemon *d;
	sigset_t stop;
	int fd;

	parse_args(argc, argv, &o);
	if (o.write_dir)
		return write_site(&o.site, o.write_dir, o.threads);
	/* Blocked before the daemon's threads exist, so they inherit the mask
	 * and the signals wait for sigtimedwait here. */
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	sigprocmask(SIG_BLOCK, &stop, NULL);
	signal(SIGPIPE, SIG_IGN);

	fd = listen_on(&o, &port);
	snprintf(origin, sizeof(origin), "http://%s:%u", o.ip, port);
	o.site.origin = origin;
	not_found = static_response(not_found_body, sizeof(not_found_body) - 1,
				    "text/html; charset=utf-8");
	bad_method = static_response(bad_method_body,
				     sizeof(bad_method_body) - 1, "text/plain");
	if (o.robots)
		robots = static_response(o.robots, strlen(o.robots), "text/plain");
	delay_ms = o.delay_ms;
	d = start(&o, fd);
	if (!d) {
		fprintf(stderr, "sitegen: cannot start libmicrohttpd\n");
		return 1;
	}
	printf("%s/\n", origin);
	fflush(stdout);

	wait_for_end(&stop, o.lifetime);
	MHD_stop_daemon(d);
	MHD_destroy_response(not_found);
	MHD_destroy_response(bad_method);
	if (robots)
		MHD_destroy_response(robots);
	return 0;
}
