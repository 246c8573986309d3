/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * IPFIX export of ended rows as a consumer (see export.c): over UDP, or
 * over TCP with a bounded queue and reconnection. What cannot be sent is
 * counted, never waited for.
 */
#ifndef NASOONE_EXPORT_H
#define NASOONE_EXPORT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "nasoone.h"

enum export_transport {
	EXPORT_UDP,
	EXPORT_TCP,
};

#define EXPORT_DEFAULT_PORT	  "4739" /* IANA's IPFIX port */
#define EXPORT_TEMPLATE_EVERY	  16	 /* UDP: templates every 16 messages, as softflowd */
#define EXPORT_TEMPLATE_TIMEOUT_S 60	 /* ... and at least once a minute */
#define EXPORT_QUEUE_BYTES	  (4u << 20)

struct export_options {
	const char *target; /* [udp://|tcp://]host[:port], an IPv6 host in brackets */
	uint32_t domain;    /* observationDomainId */
	uint32_t ifindex;   /* ingressInterface, 0: unknown (not exported) */
	size_t max_message; /* 0: within the path MTU (UDP), 16384 (TCP) */
	size_t queue_bytes; /* TCP: messages waiting for the collector, 0: EXPORT_QUEUE_BYTES */
	int sndbuf;	    /* UDP socket send buffer, 0: the system's */
	/* Where the once-per-change notices go (collector gone, back); NULL: stderr. */
	void (*notice)(const char *line, void *arg);
	void *notice_arg;
};

struct export_stats {
	uint64_t records;   /* data records handed to the socket */
	uint64_t messages;  /* data messages handed to the socket */
	uint64_t templates; /* template messages */
	uint64_t unsent;    /* records that could not be sent (collector gone, slow, refusing) */
	uint64_t connects;  /* TCP: connections made */
	uint64_t busy_ns;   /* time spent encoding and sending, on the consumer thread */
};

/* Split a target: 0, or -EINVAL with a reason in err. */
int export_parse_target(const char *target, enum export_transport *transport, char *host,
			size_t host_size, char *port, size_t port_size, char *err, size_t err_size);

struct exporter;

/*
 * An exporter to opt->target and, in *consumer, the consumer that feeds
 * it. The name is resolved now; a UDP socket is connected now, a TCP one
 * on the first records. NULL with a one-line reason in err.
 */
struct exporter *exporter_new(const struct export_options *opt, struct nasoone_consumer *consumer,
			      char *err, size_t err_size);
/*
 * exporter_new() for a capture: ingressInterface is device's index (NULL
 * or unknown: not exported), and the consumer is added to n (INITIAL).
 * NULL after one line on stderr saying what failed.
 */
struct exporter *exporter_attach(struct nasoone *n, const struct export_options *opt,
				 const char *device);
/* "export: N records in M messages to TARGET, K records not sent" */
void exporter_print_stats(const struct exporter *x, FILE *f);
/* The counts so far (read after the capture stopped, or as a rough progress figure). */
void exporter_stats(const struct exporter *x, struct export_stats *stats);
/* The target in URL form, e.g. "udp://127.0.0.1:4739". */
const char *exporter_target(const struct exporter *x);
void exporter_free(struct exporter *x);

#endif /* NASOONE_EXPORT_H */
