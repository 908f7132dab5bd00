/* testsrv: the HTTP server that integration tests crawl, run inside the test
 * process the way wget2's tests/libtest.c does.
 *
 * libmicrohttpd with a thread per connection, so a reply delayed on purpose
 * holds up only its own connection. The raw request URI (query included)
 * comes from the URI log callback, which also stamps the arrival time; the
 * request is logged once its headers are in (for the User-Agent). A
 * connection number lives in MHD's per-socket context, set when the
 * connection opens. A watchdog thread owns the daemon's end: it stops it
 * when testsrv_stop asks or when the lifetime runs out, and either way wakes
 * the handler threads sleeping through a delay.
 *
 * Over TLS, libmicrohttpd 0.9.75 only asks for a client certificate
 * (GNUTLS_CERT_REQUEST) and leaves judging it to the application; and when
 * a handshake fails it closes the connection without the TLS alert a real
 * server sends. So the client certificate is judged once the request's
 * headers are in: a connection without a valid one gets the alert that an
 * OpenSSL or GnuTLS server would send after a TLS 1.3 handshake (where the
 * client's certificate is checked after the client has finished), and is
 * closed before its request is logged. */
#include "testsrv.h"

#include <arpa/inet.h>
#include <errno.h>
#include <gnutls/gnutls.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define TESTSRV_LIFETIME_MS (120 * 1000)
#define TESTSRV_MAX_CONNS 512
/* Idle keep-alive connections each hold a thread; let them go eventually. */
#define TESTSRV_IDLE_TIMEOUT_S 15
#define TESTSRV_STACK_SIZE (1024 * 1024)

static const char not_found_body[] =
	"<!DOCTYPE html>\n<html><head><title>404 Not Found</title></head>"
	"<body><h1>Not Found</h1></body></html>\n";

static const struct testsrv_reply not_found = {
	.status = MHD_HTTP_NOT_FOUND,
	.body = not_found_body,
};

static const struct testsrv_reply bad_method = {
	.status = MHD_HTTP_METHOD_NOT_ALLOWED,
	.content_type = "text/plain",
	.body = "GET and HEAD only\n",
	.headers = "Allow: GET, HEAD\n",
};

struct testsrv {
	struct MHD_Daemon *daemon;
	char ip[INET_ADDRSTRLEN];
	unsigned short port;
	const struct testsrv_route *routes;
	size_t nroutes;
	testsrv_handler handler;
	void *handler_arg;
	const struct testsrv_tls *tls; /* NULL: plain HTTP */
	pthread_t watchdog;

	/* lock guards everything below; wake signals stopping. */
	pthread_mutex_t lock;
	pthread_cond_t wake;
	bool stopping;
	struct testsrv_request *log;
	size_t nlog, caplog;
	unsigned long nconns; /* connections ever opened */
	unsigned open, peak;
};

/* One request, from its request line to its completion. */
struct request {
	char *uri;
	int64_t at_ns;
	bool logged;
};

static void die(const char *what)
{
	fprintf(stderr, "testsrv: %s\n", what);
	abort();
}

static void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		die("out of memory");
	return p;
}

static char *xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;

	return memcpy(xmalloc(n), s, n);
}

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static struct timespec deadline_after(unsigned ms)
{
	int64_t t = now_ns() + (int64_t)ms * 1000000;

	return (struct timespec){ .tv_sec = t / 1000000000,
				  .tv_nsec = t % 1000000000 };
}

/* Sleep up to ms, but no longer than the server lives: testsrv_stop must
 * not wait out a delay meant for a client that has long given up. */
static void sleep_unless_stopping(struct testsrv *s, unsigned ms)
{
	struct timespec end = deadline_after(ms);

	pthread_mutex_lock(&s->lock);
	while (!s->stopping &&
	       pthread_cond_timedwait(&s->wake, &s->lock, &end) != ETIMEDOUT)
		;
	pthread_mutex_unlock(&s->lock);
}

static void *watchdog_main(void *arg)
{
	struct testsrv *s = arg;
	struct timespec end = deadline_after(TESTSRV_LIFETIME_MS);

	pthread_mutex_lock(&s->lock);
	while (!s->stopping &&
	       pthread_cond_timedwait(&s->wake, &s->lock, &end) != ETIMEDOUT)
		;
	if (!s->stopping)
		fprintf(stderr, "testsrv: %s:%u outlived its %d s, stopping\n",
			s->ip, s->port, TESTSRV_LIFETIME_MS / 1000);
	s->stopping = true;
	pthread_cond_broadcast(&s->wake);
	pthread_mutex_unlock(&s->lock);
	MHD_stop_daemon(s->daemon);
	return NULL;
}

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *c)
{
	struct request *rq = xmalloc(sizeof(*rq));

	(void)cls;
	(void)c;
	rq->uri = xstrdup(uri);
	rq->at_ns = now_ns();
	rq->logged = false;
	return rq;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **req_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct request *rq = *req_cls;

	(void)cls;
	(void)c;
	(void)toe;
	if (rq) {
		free(rq->uri);
		free(rq);
	}
	*req_cls = NULL;
}

static void on_connection(void *cls, struct MHD_Connection *c, void **sock_ctx,
			  enum MHD_ConnectionNotificationCode toe)
{
	struct testsrv *s = cls;

	(void)c;
	pthread_mutex_lock(&s->lock);
	if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
		*sock_ctx = (void *)(uintptr_t)++s->nconns;
		if (++s->open > s->peak)
			s->peak = s->open;
	} else {
		s->open--;
	}
	pthread_mutex_unlock(&s->lock);
}

static enum MHD_Result add_header(void *cls, enum MHD_ValueKind kind,
				   const char *name, const char *value)
{
	char **all = cls;
	size_t old = strlen(*all), n = strlen(name) + strlen(value) + 3;

	(void)kind;
	*all = realloc(*all, old + n + 1);
	if (!*all)
		die("out of memory");
	snprintf(*all + old, n + 1, "%s: %s\n", name, value ? value : "");
	return MHD_YES;
}

static char *header_lines(struct MHD_Connection *c)
{
	char *all = xstrdup("");

	MHD_get_connection_values(c, MHD_HEADER_KIND, add_header, &all);
	return all;
}

static void log_request(struct testsrv *s, struct MHD_Connection *c,
			const struct request *rq)
{
	const union MHD_ConnectionInfo *info =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	const char *ua = MHD_lookup_connection_value(
		c, MHD_HEADER_KIND, MHD_HTTP_HEADER_USER_AGENT);
	struct testsrv_request e = {
		.path = xstrdup(rq->uri),
		.user_agent = ua ? xstrdup(ua) : NULL,
		.headers = header_lines(c),
		.at_ns = rq->at_ns,
		.conn = info ? (uintptr_t)info->socket_context : 0,
	};

	pthread_mutex_lock(&s->lock);
	if (s->nlog == s->caplog) {
		s->caplog = s->caplog ? 2 * s->caplog : 64;
		s->log = realloc(s->log, s->caplog * sizeof(*s->log));
		if (!s->log)
			die("out of memory");
	}
	s->log[s->nlog++] = e;
	pthread_mutex_unlock(&s->lock);
}

/* Whether the client showed a certificate signed by the CA of
 * MHD_OPTION_HTTPS_MEM_TRUST; if not, it is sent the alert a TLS server
 * would send (certificate_required when it showed none). The handler runs
 * on the connection's own thread, the only one using its session. */
static bool client_cert_ok(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *info =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	unsigned status = 0;
	int rc;

	if (!info || !info->tls_session)
		die("no TLS session to check a client certificate on");
	rc = gnutls_certificate_verify_peers2(info->tls_session, &status);
	if (rc == GNUTLS_E_SUCCESS && status == 0)
		return true;
	gnutls_alert_send(info->tls_session, GNUTLS_AL_FATAL,
			  rc == GNUTLS_E_NO_CERTIFICATE_FOUND ?
				  GNUTLS_A_CERTIFICATE_REQUIRED :
				  GNUTLS_A_BAD_CERTIFICATE);
	return false;
}

/* A route's header lines are the test's own text: a malformed one is a bug
 * in the test, so it stops the run rather than being skipped. */
static void add_header_lines(struct MHD_Response *resp, const char *lines)
{
	while (*lines) {
		size_t n = strcspn(lines, "\n");
		char *line = strndup(lines, n);
		char *colon, *value, *end;

		if (!line)
			die("out of memory");
		colon = strchr(line, ':');
		if (!colon || colon == line)
			die("route header line without \"Name:\"");
		*colon = '\0';
		value = colon + 1 + strspn(colon + 1, " \t");
		end = value + strlen(value);
		while (end > value && (end[-1] == '\r' || end[-1] == ' '))
			*--end = '\0';
		if (MHD_add_response_header(resp, line, value) != MHD_YES)
			die("libmicrohttpd refused a route header");
		free(line);
		lines += n + (lines[n] == '\n');
	}
}

/* A body without free_body may live in the handler's own buffer, which
 * could change once it returns, so it is copied; routes are borrowed for
 * the server's life and handed over as they are. */
static struct MHD_Response *body_response(const struct testsrv_reply *r,
					  bool from_route, void *free_body)
{
	const char *body = r->body ? r->body : "";
	size_t len = r->body_len ? r->body_len : strlen(body);

	if (free_body && r->body)
		return MHD_create_response_from_buffer_with_free_callback(
			len, (void *)r->body,
			(MHD_ContentReaderFreeCallback)free_body);
	return MHD_create_response_from_buffer(
		len, (void *)body,
		from_route ? MHD_RESPMEM_PERSISTENT : MHD_RESPMEM_MUST_COPY);
}

static enum MHD_Result send_reply(struct MHD_Connection *c,
				  const struct testsrv_reply *r,
				  bool from_route, void *free_body)
{
	struct MHD_Response *resp = body_response(r, from_route, free_body);
	const char *type = r->content_type ? r->content_type :
			   "text/html; charset=utf-8";
	enum MHD_Result ret;

	if (!resp)
		die("cannot create a response");
	if (MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
				    type) != MHD_YES ||
	    (r->location &&
	     MHD_add_response_header(resp, MHD_HTTP_HEADER_LOCATION,
				     r->location) != MHD_YES))
		die("libmicrohttpd refused a header");
	if (r->headers)
		add_header_lines(resp, r->headers);
	ret = MHD_queue_response(c, r->status ? r->status : MHD_HTTP_OK, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* The route's reply for this request: its denied one when the request
 * lacks what the route needs. */
static const struct testsrv_reply *find_route(const struct testsrv *s,
					      struct MHD_Connection *c,
					      const char *path)
{
	for (size_t i = 0; i < s->nroutes; i++) {
		const struct testsrv_route *r = &s->routes[i];
		char *headers;
		bool ok;

		if (strcmp(r->path, path) != 0)
			continue;
		if (!r->need)
			return &r->reply;
		headers = header_lines(c);
		ok = strstr(headers, r->need) != NULL;
		free(headers);
		return ok ? &r->reply : &r->denied;
	}
	return NULL;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c,
				  const char *url, const char *method,
				  const char *version, const char *upload,
				  size_t *upload_size, void **req_cls)
{
	struct testsrv *s = cls;
	struct request *rq = *req_cls;
	const struct testsrv_reply *r;
	struct testsrv_reply answer = { 0 };
	void *free_body = NULL;
	bool from_route;

	(void)url;
	(void)version;
	(void)upload;
	(void)upload_size;
	/* The first call comes with the headers. Answering in it makes MHD
	 * 0.9.75 close the connection, which would hide keep-alive from the
	 * tests, so the answer waits for the call after the (empty) body. */
	if (!rq->logged) {
		if (s->tls && s->tls->client_ca_pem && !client_cert_ok(c))
			return MHD_NO;
		log_request(s, c, rq);
		rq->logged = true;
		return MHD_YES;
	}
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
		return send_reply(c, &bad_method, true, NULL);

	r = find_route(s, c, rq->uri);
	from_route = r != NULL;
	answer.accept_encoding = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
							     "Accept-Encoding");
	if (!r && s->handler &&
	    s->handler(s->handler_arg, rq->uri, &answer, &free_body))
		r = &answer;
	if (!r)
		r = &not_found;
	if (r->delay_ms)
		sleep_unless_stopping(s, r->delay_ms);
	return send_reply(c, r, from_route || r == &not_found, free_body);
}

static struct MHD_Daemon *start_daemon(struct testsrv *s)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = 0 };
	const struct testsrv_tls *t = s->tls;
	/* MHD copies the PEM text into its GnuTLS credentials at start. */
	struct MHD_OptionItem tls[] = {
		{ MHD_OPTION_HTTPS_MEM_CERT, 0, t ? (void *)t->cert_pem : NULL },
		{ MHD_OPTION_HTTPS_MEM_KEY, 0, t ? (void *)t->key_pem : NULL },
		{ MHD_OPTION_HTTPS_MEM_TRUST, 0,
		  t ? (void *)t->client_ca_pem : NULL },
		{ MHD_OPTION_END, 0, NULL },
	};

	if (inet_pton(AF_INET, s->ip, &sa.sin_addr) != 1)
		die("not an IPv4 address");
	if (!t)
		tls[0].option = MHD_OPTION_END;
	else if (!t->client_ca_pem)
		tls[2].option = MHD_OPTION_END;
	/* poll, not select: the crawler under test shares the process and
	 * may push descriptors past FD_SETSIZE. */
	return MHD_start_daemon(
		MHD_USE_POLL_INTERNAL_THREAD | MHD_USE_THREAD_PER_CONNECTION |
		MHD_USE_ERROR_LOG | (t ? MHD_USE_TLS : 0),
		0, NULL, NULL, on_request, s,
		MHD_OPTION_ARRAY, tls,
		MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned)TESTSRV_MAX_CONNS,
		MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned)TESTSRV_MAX_CONNS,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)TESTSRV_IDLE_TIMEOUT_S,
		MHD_OPTION_THREAD_STACK_SIZE, (size_t)TESTSRV_STACK_SIZE,
		MHD_OPTION_URI_LOG_CALLBACK, on_uri, s,
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
		MHD_OPTION_NOTIFY_CONNECTION, on_connection, s,
		MHD_OPTION_END);
}

static void init_sync(struct testsrv *s)
{
	pthread_condattr_t ca;

	pthread_mutex_init(&s->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&s->wake, &ca);
	pthread_condattr_destroy(&ca);
}

struct testsrv *testsrv_start(const char *ip,
			      const struct testsrv_route *routes,
			      size_t nroutes, testsrv_handler handler,
			      void *handler_arg)
{
	return testsrv_start_tls(ip, NULL, routes, nroutes, handler, handler_arg);
}

struct testsrv *testsrv_start_tls(const char *ip, const struct testsrv_tls *tls,
				  const struct testsrv_route *routes,
				  size_t nroutes, testsrv_handler handler,
				  void *handler_arg)
{
	struct testsrv *s = xmalloc(sizeof(*s));
	const union MHD_DaemonInfo *info;

	*s = (struct testsrv){
		.routes = routes,
		.nroutes = routes ? nroutes : 0,
		.handler = handler,
		.handler_arg = handler_arg,
		.tls = tls,
	};
	if (snprintf(s->ip, sizeof(s->ip), "%s", ip) >= (int)sizeof(s->ip))
		die("not an IPv4 address");
	init_sync(s);
	s->daemon = start_daemon(s);
	if (!s->daemon)
		die("cannot start libmicrohttpd (is the address on loopback?)");
	info = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
	if (!info || !info->port)
		die("cannot read the bound port");
	s->port = info->port;
	if (pthread_create(&s->watchdog, NULL, watchdog_main, s) != 0)
		die("cannot start the watchdog thread");
	return s;
}

void testsrv_stop(struct testsrv *s)
{
	if (!s)
		return;
	pthread_mutex_lock(&s->lock);
	s->stopping = true;
	pthread_cond_broadcast(&s->wake);
	pthread_mutex_unlock(&s->lock);
	pthread_join(s->watchdog, NULL);
	testsrv_log_free(s->log, s->nlog);
	pthread_cond_destroy(&s->wake);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

unsigned short testsrv_port(const struct testsrv *s)
{
	return s->port;
}

char *testsrv_url(const struct testsrv *s, const char *path)
{
	char *url;

	if (asprintf(&url, "%s://%s:%u%s", s->tls ? "https" : "http", s->ip,
		     s->port, path) < 0)
		die("out of memory");
	return url;
}

size_t testsrv_hits(struct testsrv *s, const char *path)
{
	size_t n = 0;

	pthread_mutex_lock(&s->lock);
	for (size_t i = 0; i < s->nlog; i++)
		n += strcmp(s->log[i].path, path) == 0;
	pthread_mutex_unlock(&s->lock);
	return n;
}

size_t testsrv_nrequests(struct testsrv *s)
{
	size_t n;

	pthread_mutex_lock(&s->lock);
	n = s->nlog;
	pthread_mutex_unlock(&s->lock);
	return n;
}

size_t testsrv_log(struct testsrv *s, struct testsrv_request **out)
{
	struct testsrv_request *copy;
	size_t n;

	pthread_mutex_lock(&s->lock);
	n = s->nlog;
	copy = xmalloc(n * sizeof(*copy));
	for (size_t i = 0; i < n; i++) {
		copy[i] = s->log[i];
		copy[i].path = xstrdup(s->log[i].path);
		if (s->log[i].user_agent)
			copy[i].user_agent = xstrdup(s->log[i].user_agent);
		copy[i].headers = xstrdup(s->log[i].headers);
	}
	pthread_mutex_unlock(&s->lock);
	*out = copy;
	return n;
}

void testsrv_log_free(struct testsrv_request *log, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(log[i].path);
		free(log[i].user_agent);
		free(log[i].headers);
	}
	free(log);
}

unsigned testsrv_peak_connections(struct testsrv *s)
{
	unsigned peak;

	pthread_mutex_lock(&s->lock);
	peak = s->peak;
	pthread_mutex_unlock(&s->lock);
	return peak;
}
