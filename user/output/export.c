/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The IPFIX exporter as a consumer of ended rows. It runs on the consumer
 * thread, so it never waits for a collector: UDP messages go out at once
 * (a send that fails is counted), TCP messages wait in a bounded queue
 * drained by non-blocking sends, and a lost TCP connection is tried again
 * at most once a second. A change of the collector's state (refusing,
 * slow, gone, back) is said once, not per message.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "output/export.h"
#include "output/ipfix.h"

#define RECONNECT_MS	    1000
#define CLOSE_DRAIN_MS	    3000 /* at stop: how long queued messages may take to leave */
#define TCP_MESSAGE_MAX	    16384
#define UDP_SEND_TIMEOUT_MS 100
#define UDP_BACK_AFTER_MS   2000 /* no failed send for so long: the collector is back */

/* A queued TCP message: its length and records, then its bytes. */
struct queued {
	uint32_t len, records;
};

struct exporter {
	struct export_options opt;
	enum export_transport transport;
	char url[320];
	struct addrinfo *addrs;
	int fd;
	bool connecting, connected;
	uint64_t retry_at_ms;
	struct ipfix_encoder *enc;
	/* UDP: template refresh. */
	unsigned int since_templates;
	uint64_t templates_at_ms;
	/* TCP: templates of this connection not yet sent, then the queue. */
	uint8_t prefix[IPFIX_MESSAGE_MIN];
	size_t prefix_len, prefix_sent;
	uint8_t *queue;
	size_t q_head, q_tail, q_cap; /* bytes [q_head, q_tail) wait; q_sent of the first left */
	size_t q_sent;
	/* What was said: the collector's trouble, once until it is over. */
	bool trouble;
	uint64_t unsent_at_trouble;
	uint64_t failed_at_ms; /* UDP: the last failed send */
	_Atomic uint64_t records, messages, templates, unsent, connects, busy_ns;
};

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void say(struct exporter *x, const char *fmt, const char *what)
{
	char line[512];

	snprintf(line, sizeof(line), fmt, x->url, what);
	if (x->opt.notice)
		x->opt.notice(line, x->opt.notice_arg);
	else
		fprintf(stderr, "nasoone: %s\n", line);
}

/* The collector is in trouble: say so the first time. */
static void trouble(struct exporter *x, const char *why)
{
	if (x->trouble)
		return;
	x->trouble = true;
	x->unsent_at_trouble = atomic_load(&x->unsent);
	say(x,
	    "export to %s: %s; counting goes on, records that cannot be sent are counted "
	    "(nasoone says when the collector is back)",
	    why);
}

static void back(struct exporter *x)
{
	char what[64];

	if (!x->trouble)
		return;
	x->trouble = false;
	snprintf(what, sizeof(what), "%llu",
		 (unsigned long long)(atomic_load(&x->unsent) - x->unsent_at_trouble));
	say(x, "export to %s: the collector takes records again (%s not sent meanwhile)", what);
}

static void unsent(struct exporter *x, uint64_t records)
{
	atomic_fetch_add(&x->unsent, records);
}

int export_parse_target(const char *target, enum export_transport *transport, char *host,
			size_t host_size, char *port, size_t port_size, char *err, size_t err_size)
{
	const char *p = target, *colon, *end;
	size_t hlen;

	*transport = EXPORT_UDP;
	if (!strncmp(p, "udp://", 6)) {
		p += 6;
	} else if (!strncmp(p, "tcp://", 6)) {
		*transport = EXPORT_TCP;
		p += 6;
	} else if (strstr(p, "://")) {
		snprintf(err, err_size, "export target %s: the scheme must be udp:// or tcp://",
			 target);
		return -EINVAL;
	}
	if (*p == '[') {
		end = strchr(p, ']');
		if (!end) {
			snprintf(err, err_size, "export target %s: no ']' after the IPv6 address",
				 target);
			return -EINVAL;
		}
		hlen = (size_t)(end - p - 1);
		p++;
		colon = end[1] == ':' ? end + 1 : NULL;
		if (end[1] && !colon)
			goto bad;
	} else {
		colon = strrchr(p, ':');
		if (colon && strchr(p, ':') != colon) {
			snprintf(err, err_size,
				 "export target %s: write an IPv6 address in brackets, "
				 "[2001:db8::1]:4739",
				 target);
			return -EINVAL;
		}
		hlen = colon ? (size_t)(colon - p) : strlen(p);
	}
	if (!hlen || hlen >= host_size)
		goto bad;
	memcpy(host, p, hlen);
	host[hlen] = '\0';
	if (colon && colon[1] && strlen(colon + 1) < port_size &&
	    strspn(colon + 1, "0123456789") == strlen(colon + 1) && atoi(colon + 1) > 0 &&
	    atoi(colon + 1) < 65536)
		snprintf(port, port_size, "%s", colon + 1);
	else if (!colon)
		snprintf(port, port_size, "%s", EXPORT_DEFAULT_PORT);
	else
		goto bad;
	return 0;
bad:
	snprintf(err, err_size,
		 "export target %s: expected [udp://|tcp://]HOST[:PORT], e.g. udp://127.0.0.1:4739",
		 target);
	return -EINVAL;
}

/* ---- UDP ---- */

/* Path MTU of the connected socket, less the IP and UDP headers; at most Ethernet's. */
static size_t udp_max_message(int fd, int family)
{
	int mtu = 0;
	socklen_t len = sizeof(mtu);
	int level = family == AF_INET6 ? IPPROTO_IPV6 : IPPROTO_IP;
	int name = family == AF_INET6 ? IPV6_MTU : IP_MTU;
	size_t headers = family == AF_INET6 ? 48 : 28;

	if (getsockopt(fd, level, name, &mtu, &len) || mtu <= 0 || mtu > 1500)
		mtu = 1500;
	return (size_t)mtu - headers;
}

static int udp_send(struct exporter *x, const uint8_t *msg, size_t len, uint32_t records)
{
	ssize_t n;

	do
		n = send(x->fd, msg, len, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n == (ssize_t)len) {
		/* A datagram that leaves proves little: back after a quiet while only. */
		if (x->trouble && mono_ms() - x->failed_at_ms >= UDP_BACK_AFTER_MS)
			back(x);
		return 0;
	}
	n = -errno;
	x->failed_at_ms = mono_ms();
	if (n == -ECONNREFUSED)
		trouble(x, "the collector refuses (no one listens on that port)");
	else if (n == -EAGAIN || n == -ENOBUFS)
		trouble(x, "the socket buffer is full (the network or the collector is slow)");
	else
		trouble(x, strerror((int)-n));
	unsent(x, records);
	return (int)n;
}

static void udp_templates(struct exporter *x)
{
	uint8_t buf[IPFIX_MESSAGE_MIN];
	size_t len = ipfix_templates(x->enc, (uint32_t)time(NULL), buf, sizeof(buf));

	if (!udp_send(x, buf, len, 0))
		atomic_fetch_add(&x->templates, 1);
	x->since_templates = 0;
	x->templates_at_ms = mono_ms();
}

/* ---- TCP ---- */

static void tcp_close(struct exporter *x, const char *why)
{
	struct queued q;

	if (x->fd >= 0)
		close(x->fd);
	x->fd = -1;
	x->connected = x->connecting = false;
	x->retry_at_ms = mono_ms() + RECONNECT_MS;
	trouble(x, why);
	/* A message half sent is lost with the connection. */
	if (x->q_sent && x->q_tail > x->q_head) {
		memcpy(&q, x->queue + x->q_head, sizeof(q));
		unsent(x, q.records);
		x->q_head += sizeof(q) + q.len;
	}
	x->q_sent = 0;
}

static void tcp_connected(struct exporter *x)
{
	x->connected = true;
	x->connecting = false;
	atomic_fetch_add(&x->connects, 1);
	/* Every connection is a new session: its templates come first. */
	x->prefix_len = ipfix_templates(x->enc, (uint32_t)time(NULL), x->prefix, sizeof(x->prefix));
	x->prefix_sent = 0;
}

/* Start a connection when none is and the last try is old enough. */
static void tcp_connect(struct exporter *x)
{
	const struct addrinfo *a = x->addrs;
	struct pollfd pfd;
	int soerr = 0;
	socklen_t len = sizeof(soerr);

	if (x->connecting) {
		pfd.fd = x->fd;
		pfd.events = POLLOUT;
		if (poll(&pfd, 1, 0) <= 0)
			return;
		if (getsockopt(x->fd, SOL_SOCKET, SO_ERROR, &soerr, &len) || soerr) {
			tcp_close(x, soerr == ECONNREFUSED ? "the collector refuses connections"
							   : strerror(soerr ? soerr : errno));
			return;
		}
		tcp_connected(x);
		return;
	}
	if (x->connected || mono_ms() < x->retry_at_ms)
		return;
	x->fd = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
	if (x->fd < 0) {
		tcp_close(x, strerror(errno));
		return;
	}
	if (connect(x->fd, a->ai_addr, a->ai_addrlen) == 0) {
		tcp_connected(x);
	} else if (errno == EINPROGRESS) {
		x->connecting = true;
	} else {
		tcp_close(x, errno == ECONNREFUSED ? "the collector refuses connections"
						   : strerror(errno));
	}
}

/* Send what can go without waiting; false when the connection broke. */
static bool tcp_send_some(struct exporter *x, const uint8_t *p, size_t len, size_t *sent)
{
	ssize_t n;

	while (*sent < len) {
		n = send(x->fd, p + *sent, len - *sent, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n > 0) {
			*sent += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return true;
		tcp_close(x, n < 0 && errno != EPIPE && errno != ECONNRESET
				     ? strerror(errno)
				     : "the collector closed the connection");
		return false;
	}
	return true;
}

/* Move queued messages to the socket as far as it takes them. */
static void tcp_pump(struct exporter *x)
{
	struct queued q;

	tcp_connect(x);
	if (!x->connected)
		return;
	if (!tcp_send_some(x, x->prefix, x->prefix_len, &x->prefix_sent))
		return;
	if (x->prefix_sent < x->prefix_len)
		return;
	if (x->prefix_len) {
		atomic_fetch_add(&x->templates, 1);
		x->prefix_len = x->prefix_sent = 0;
	}
	while (x->q_tail > x->q_head) {
		memcpy(&q, x->queue + x->q_head, sizeof(q));
		if (!tcp_send_some(x, x->queue + x->q_head + sizeof(q), q.len, &x->q_sent))
			return;
		if (x->q_sent < q.len)
			return; /* the collector is slow: the rest waits */
		atomic_fetch_add(&x->records, q.records);
		atomic_fetch_add(&x->messages, 1);
		x->q_head += sizeof(q) + q.len;
		x->q_sent = 0;
	}
	x->q_head = x->q_tail = 0;
	back(x);
}

static void tcp_enqueue(struct exporter *x, const uint8_t *msg, size_t len, uint32_t records)
{
	struct queued q = { (uint32_t)len, records };
	size_t need = sizeof(q) + len;

	if (x->q_tail + need > x->q_cap && x->q_head) {
		memmove(x->queue, x->queue + x->q_head, x->q_tail - x->q_head);
		x->q_tail -= x->q_head;
		x->q_head = 0;
	}
	if (x->q_tail + need > x->q_cap) {
		trouble(x, x->connected ? "the collector is slow (the queue is full)"
					: "the collector is not reachable (the queue is full)");
		unsent(x, records);
		return;
	}
	memcpy(x->queue + x->q_tail, &q, sizeof(q));
	memcpy(x->queue + x->q_tail + sizeof(q), msg, len);
	x->q_tail += need;
	tcp_pump(x);
}

/* ---- Both ---- */

static void send_message(struct exporter *x, const uint8_t *msg, size_t len, uint32_t records)
{
	if (x->transport == EXPORT_TCP) {
		tcp_enqueue(x, msg, len, records);
		return;
	}
	if (!udp_send(x, msg, len, records)) {
		atomic_fetch_add(&x->records, records);
		atomic_fetch_add(&x->messages, 1);
	}
	/* Templates again as softflowd sends them, and at least once a minute. */
	if (++x->since_templates >= EXPORT_TEMPLATE_EVERY ||
	    mono_ms() - x->templates_at_ms >= EXPORT_TEMPLATE_TIMEOUT_S * 1000u)
		udp_templates(x);
}

static void finish_message(struct exporter *x)
{
	const uint8_t *msg;
	uint32_t records = ipfix_pending(x->enc);
	size_t len = ipfix_finish(x->enc, &msg);

	if (len)
		send_message(x, msg, len, records);
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int on_expired(const struct nasoone_flow *flows, size_t count, void *ctx)
{
	struct exporter *x = ctx;
	uint32_t now = (uint32_t)time(NULL);
	uint64_t start = mono_ns();
	size_t i;

	for (i = 0; i < count; i++) {
		if (ipfix_add(x->enc, &flows[i], now) == 0)
			continue;
		finish_message(x);
		ipfix_add(x->enc, &flows[i], now); /* an empty message has room for any record */
	}
	finish_message(x);
	atomic_fetch_add(&x->busy_ns, mono_ns() - start);
	return 0;
}

/* Every interval: a TCP queue moves on, a lost connection is tried again. */
static int on_snapshot(const struct nasoone_snapshot *snap, void *ctx)
{
	struct exporter *x = ctx;

	(void)snap;
	if (x->transport == EXPORT_TCP)
		tcp_pump(x);
	return 0;
}

/* At stop: queued messages get a few seconds to leave; what is left is counted. */
static int on_close(const struct nasoone_stats *stats, void *ctx)
{
	struct exporter *x = ctx;
	uint64_t until = mono_ms() + CLOSE_DRAIN_MS;
	struct queued q;

	(void)stats;
	finish_message(x);
	if (x->transport != EXPORT_TCP)
		return 0;
	while (x->q_tail > x->q_head && mono_ms() < until) {
		tcp_pump(x);
		if (x->q_tail > x->q_head)
			poll(NULL, 0, x->connected ? 5 : 100);
	}
	while (x->q_tail > x->q_head) {
		memcpy(&q, x->queue + x->q_head, sizeof(q));
		unsent(x, q.records);
		x->q_head += sizeof(q) + q.len;
	}
	if (x->fd >= 0)
		shutdown(x->fd, SHUT_WR);
	return 0;
}

struct exporter *exporter_new(const struct export_options *opt, struct nasoone_consumer *consumer,
			      char *err, size_t err_size)
{
	struct addrinfo hints = { .ai_flags = AI_ADDRCONFIG };
	struct exporter *x = calloc(1, sizeof(*x));
	char host[256], port[16];
	size_t max_len;
	int ret;

	if (!x) {
		snprintf(err, err_size, "out of memory for the exporter");
		return NULL;
	}
	x->fd = -1;
	x->opt = *opt;
	if (export_parse_target(opt->target, &x->transport, host, sizeof(host), port, sizeof(port),
				err, err_size))
		goto fail;
	snprintf(x->url, sizeof(x->url), "%s://%s%s%s:%s",
		 x->transport == EXPORT_TCP ? "tcp" : "udp", strchr(host, ':') ? "[" : "", host,
		 strchr(host, ':') ? "]" : "", port);
	hints.ai_socktype = x->transport == EXPORT_TCP ? SOCK_STREAM : SOCK_DGRAM;
	ret = getaddrinfo(host, port, &hints, &x->addrs);
	if (ret) {
		snprintf(err, err_size, "export target %s: cannot resolve %s: %s", opt->target,
			 host, gai_strerror(ret));
		goto fail;
	}
	x->enc = malloc(sizeof(*x->enc));
	if (!x->enc) {
		snprintf(err, err_size, "out of memory for the exporter");
		goto fail;
	}
	max_len = opt->max_message;
	if (x->transport == EXPORT_UDP) {
		struct timeval tv = { 0, UDP_SEND_TIMEOUT_MS * 1000 };

		x->fd = socket(x->addrs->ai_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (x->fd < 0 || connect(x->fd, x->addrs->ai_addr, x->addrs->ai_addrlen)) {
			snprintf(err, err_size, "export to %s: %s", x->url, strerror(errno));
			goto fail;
		}
		/* A full buffer waits a little (the link drains it), never for long. */
		setsockopt(x->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		if (opt->sndbuf)
			setsockopt(x->fd, SOL_SOCKET, SO_SNDBUF, &opt->sndbuf, sizeof(opt->sndbuf));
		if (!max_len)
			max_len = udp_max_message(x->fd, x->addrs->ai_family);
	} else {
		x->q_cap = opt->queue_bytes ? opt->queue_bytes : EXPORT_QUEUE_BYTES;
		x->queue = malloc(x->q_cap);
		if (!x->queue) {
			snprintf(err, err_size, "out of memory for the export queue");
			goto fail;
		}
		if (!max_len)
			max_len = TCP_MESSAGE_MAX;
	}
	ipfix_init(x->enc, opt->domain, opt->ifindex, max_len);
	if (x->transport == EXPORT_UDP)
		udp_templates(x);
	memset(consumer, 0, sizeof(*consumer));
	consumer->name = "export";
	consumer->ctx = x;
	consumer->on_expired = on_expired;
	consumer->on_snapshot = on_snapshot;
	consumer->on_close = on_close;
	return x;
fail:
	exporter_free(x);
	return NULL;
}

struct exporter *exporter_attach(struct nasoone *n, const struct export_options *opt,
				 const char *device)
{
	struct export_options o = *opt;
	struct nasoone_consumer consumer;
	struct exporter *x;
	char err[512];
	int ret;

	if (device && !o.ifindex)
		o.ifindex = if_nametoindex(device);
	x = exporter_new(&o, &consumer, err, sizeof(err));
	if (!x) {
		fprintf(stderr, "nasoone: %s\n", err);
		return NULL;
	}
	ret = nasoone_add_consumer(n, &consumer);
	if (ret) {
		fprintf(stderr, "nasoone: cannot export to %s: %s\n", x->url,
			nasoone_last_error(n));
		exporter_free(x);
		return NULL;
	}
	return x;
}

void exporter_print_stats(const struct exporter *x, FILE *f)
{
	struct export_stats s;

	exporter_stats(x, &s);
	fprintf(f,
		"export: %" PRIu64 " records in %" PRIu64 " messages to %s, %" PRIu64
		" records not sent\n",
		s.records, s.messages, x->url, s.unsent);
	if (s.records && s.busy_ns)
		fprintf(f, "export time: %.3f s encoding and sending, %.0f records/s\n",
			(double)s.busy_ns / 1e9, (double)s.records * 1e9 / (double)s.busy_ns);
}

void exporter_stats(const struct exporter *x, struct export_stats *s)
{
	struct exporter *m = (struct exporter *)x; /* atomics are read, not changed */

	s->records = atomic_load(&m->records);
	s->messages = atomic_load(&m->messages);
	s->templates = atomic_load(&m->templates);
	s->unsent = atomic_load(&m->unsent);
	s->connects = atomic_load(&m->connects);
	s->busy_ns = atomic_load(&m->busy_ns);
}

const char *exporter_target(const struct exporter *x)
{
	return x->url;
}

void exporter_free(struct exporter *x)
{
	if (!x)
		return;
	if (x->fd >= 0)
		close(x->fd);
	if (x->addrs)
		freeaddrinfo(x->addrs);
	free(x->queue);
	free(x->enc);
	free(x);
}
