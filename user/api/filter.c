/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Filter builder: collects host, protocol and port terms and renders them
 * as one pcap-filter(7) expression. Terms of the same kind are or-ed, kinds
 * are and-ed, in a fixed order:
 *
 *   (host A or host B) and (src host C) and (dst host D) and tcp
 *   and (port 80 or port 443) and (src port E) and (dst port 53)
 *
 * Addresses are checked with inet_pton() and written back in canonical form
 * (inet_ntop), so nothing but an address ever reaches the expression.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nasoone.h"

/* The kinds of terms, in the order they appear in the expression. */
enum filter_kind {
	KIND_HOST,
	KIND_SRC_HOST,
	KIND_DST_HOST,
	KIND_PORT,
	KIND_SRC_PORT,
	KIND_DST_PORT,
	KIND_MAX,
};

static const char *const kind_prefix[KIND_MAX] = {
	[KIND_HOST] = "host", [KIND_SRC_HOST] = "src host", [KIND_DST_HOST] = "dst host",
	[KIND_PORT] = "port", [KIND_SRC_PORT] = "src port", [KIND_DST_PORT] = "dst port",
};

/* A growable NUL-terminated string; len excludes the NUL. */
struct strbuf {
	char *s;
	size_t len;
	size_t cap;
};

struct nasoone_filter {
	struct strbuf terms[KIND_MAX]; /* "host A or host B", empty when none */
	enum nasoone_filter_proto proto;
	char *expr; /* rendered on demand, NULL when stale */
};

/* Append printf-formatted text to sb; 0 or -ENOMEM (sb unchanged on failure). */
__attribute__((format(printf, 2, 3))) static int sb_printf(struct strbuf *sb, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -EINVAL;
	if (sb->len + (size_t)n + 1 > sb->cap) {
		size_t cap = sb->cap ? sb->cap : 64;
		char *s;

		while (cap < sb->len + (size_t)n + 1)
			cap *= 2;
		s = realloc(sb->s, cap);
		if (!s)
			return -ENOMEM;
		sb->s = s;
		sb->cap = cap;
	}
	va_start(ap, fmt);
	vsnprintf(sb->s + sb->len, sb->cap - sb->len, fmt, ap);
	va_end(ap);
	sb->len += (size_t)n;
	return 0;
}

/* Add one "<prefix> <value>" term to its kind, or-ed with the previous ones. */
static int filter_add_term(struct nasoone_filter *f, enum filter_kind kind, const char *value)
{
	struct strbuf *sb = &f->terms[kind];
	int err;

	err = sb_printf(sb, "%s%s %s", sb->len ? " or " : "", kind_prefix[kind], value);
	if (err)
		return err == -ENOMEM ? NASOONE_ENOMEM : NASOONE_EINVAL;
	free(f->expr);
	f->expr = NULL;
	return 0;
}

static int filter_add_address(struct nasoone_filter *f, enum filter_kind kind, const char *address)
{
	char canon[INET6_ADDRSTRLEN];
	unsigned char bin[sizeof(struct in6_addr)];
	int family;

	if (!f || !address)
		return NASOONE_EINVAL;
	if (inet_pton(AF_INET, address, bin) == 1)
		family = AF_INET;
	else if (inet_pton(AF_INET6, address, bin) == 1)
		family = AF_INET6;
	else
		return NASOONE_EINVAL;
	if (!inet_ntop(family, bin, canon, sizeof(canon)))
		return NASOONE_EINVAL;
	return filter_add_term(f, kind, canon);
}

static int filter_add_port(struct nasoone_filter *f, enum filter_kind kind, uint16_t port)
{
	char value[sizeof("65535")];

	if (!f)
		return NASOONE_EINVAL;
	snprintf(value, sizeof(value), "%u", (unsigned int)port);
	return filter_add_term(f, kind, value);
}

/* A new, empty builder (its expression is ""), or NULL when out of memory. */
struct nasoone_filter *nasoone_filter_new(void)
{
	return calloc(1, sizeof(struct nasoone_filter));
}

/* Free the builder and its expression. NULL is fine. */
void nasoone_filter_free(struct nasoone_filter *f)
{
	if (!f)
		return;
	for (int i = 0; i < KIND_MAX; i++)
		free(f->terms[i].s);
	free(f->expr);
	free(f);
}

/* Match packets from or to address (IPv4 or IPv6). */
int nasoone_filter_add_host(struct nasoone_filter *f, const char *address)
{
	return filter_add_address(f, KIND_HOST, address);
}

/* Match packets from address. */
int nasoone_filter_add_src_host(struct nasoone_filter *f, const char *address)
{
	return filter_add_address(f, KIND_SRC_HOST, address);
}

/* Match packets to address. */
int nasoone_filter_add_dst_host(struct nasoone_filter *f, const char *address)
{
	return filter_add_address(f, KIND_DST_HOST, address);
}

/* Restrict to one transport, or NASOONE_FILTER_ANY for both; replaces the previous choice. */
int nasoone_filter_set_proto(struct nasoone_filter *f, enum nasoone_filter_proto proto)
{
	if (!f)
		return NASOONE_EINVAL;
	switch (proto) {
	case NASOONE_FILTER_ANY:
	case NASOONE_FILTER_TCP:
	case NASOONE_FILTER_UDP:
		break;
	default:
		return NASOONE_EINVAL;
	}
	if (f->proto != proto) {
		f->proto = proto;
		free(f->expr);
		f->expr = NULL;
	}
	return 0;
}

/* Match packets with port as source or destination port. */
int nasoone_filter_add_port(struct nasoone_filter *f, uint16_t port)
{
	return filter_add_port(f, KIND_PORT, port);
}

/* Match packets with port as source port. */
int nasoone_filter_add_src_port(struct nasoone_filter *f, uint16_t port)
{
	return filter_add_port(f, KIND_SRC_PORT, port);
}

/* Match packets with port as destination port. */
int nasoone_filter_add_dst_port(struct nasoone_filter *f, uint16_t port)
{
	return filter_add_port(f, KIND_DST_PORT, port);
}

/*
 * The pcap-filter expression of the terms added so far ("" when none), owned
 * by f and valid until f changes; NULL when f is NULL or out of memory.
 */
const char *nasoone_filter_expression(struct nasoone_filter *f)
{
	struct strbuf out = { 0 };
	int err = 0;

	if (!f)
		return NULL;
	if (f->expr)
		return f->expr;
	for (int i = 0; i < KIND_MAX && !err; i++) {
		/* The protocol sits between the hosts and the ports. */
		if (i == KIND_PORT && f->proto != NASOONE_FILTER_ANY)
			err = sb_printf(&out, "%s%s", out.len ? " and " : "",
					f->proto == NASOONE_FILTER_TCP ? "tcp" : "udp");
		if (!err && f->terms[i].len)
			err = sb_printf(&out, "%s(%s)", out.len ? " and " : "", f->terms[i].s);
	}
	if (!err && !out.s)
		err = sb_printf(&out, "%s", "");
	if (err) {
		free(out.s);
		errno = ENOMEM;
		return NULL;
	}
	f->expr = out.s;
	return f->expr;
}
