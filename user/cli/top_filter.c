/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The filter prompt's language: words, all of which must match a row.
 *   10.0.0.1, 2001:db8::/32, 10.0.0.0/8   an address or network at either end
 *   port 53, :53, 53                      either port
 *   tcp, udp                              the row carries that protocol
 *   anything else                         a substring of either address as text
 * Either end, as the Nasoone app's IP filter does.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/top.h"

static const uint8_t v4_mapped_prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

void top_format_addr(char *buf, size_t size, const uint8_t addr[16], uint8_t family)
{
	if (family == 4)
		inet_ntop(AF_INET, addr + 12, buf, (socklen_t)size);
	else
		inet_ntop(AF_INET6, addr, buf, (socklen_t)size);
}

bool top_parse_addr(const char *s, uint8_t addr[16], uint8_t *family)
{
	struct in_addr a4;

	if (inet_pton(AF_INET, s, &a4) == 1) {
		memcpy(addr, v4_mapped_prefix, 12);
		memcpy(addr + 12, &a4, 4);
		*family = 4;
		return true;
	}
	*family = 6;
	return inet_pton(AF_INET6, s, addr) == 1;
}

static int parse_net(struct top_term *t, const char *word)
{
	char buf[64];
	char *slash, *end;
	unsigned int bits;
	uint8_t family;
	long prefix;

	if (strlen(word) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, word);
	slash = strchr(buf, '/');
	if (slash)
		*slash = '\0';
	if (!top_parse_addr(buf, t->addr, &family))
		return -EINVAL;
	bits = family == 4 ? 32 : 128; /* the prefix is the full length */
	prefix = bits;
	if (slash) {
		errno = 0;
		prefix = strtol(slash + 1, &end, 10);
		if (end == slash + 1 || *end || prefix < 0 || prefix > (long)bits)
			return -ERANGE;
	}
	/* Prefix in bits of the 16-byte form: an IPv4 /8 is the first 96 + 8. */
	t->prefix = (unsigned int)prefix + (bits == 32 ? 96 : 0);
	t->kind = TOP_TERM_NET;
	return 0;
}

static bool parse_port(const char *s, uint16_t *port)
{
	char *end;
	long v;

	if (*s == ':')
		s++;
	if (!isdigit((unsigned char)*s))
		return false;
	v = strtol(s, &end, 10);
	if (*end || v < 0 || v > 65535)
		return false;
	*port = (uint16_t)v;
	return true;
}

int top_filter_parse(struct top_filter *f, const char *text, char *err, size_t err_size)
{
	struct top_filter nf = { 0 };
	char buf[256], *save = NULL, *word;
	bool want_port = false;

	if (strlen(text) >= sizeof(buf)) {
		snprintf(err, err_size, "filter too long (at most %zu characters)",
			 sizeof(buf) - 1);
		return -EINVAL;
	}
	strcpy(buf, text);
	snprintf(nf.source, sizeof(nf.source), "%s", text);
	for (word = strtok_r(buf, " \t", &save); word; word = strtok_r(NULL, " \t", &save)) {
		struct top_term *t;
		int rc;

		if (!strcasecmp(word, "port")) {
			want_port = true;
			continue;
		}
		if (nf.count == TOP_FILTER_TERMS) {
			snprintf(err, err_size, "too many words in the filter (at most %d)",
				 TOP_FILTER_TERMS);
			return -EINVAL;
		}
		t = &nf.terms[nf.count];
		if (parse_port(word, &t->port) && (want_port || !strchr(word, '.'))) {
			t->kind = TOP_TERM_PORT;
		} else if (want_port) {
			snprintf(err, err_size, "'port' needs a number from 0 to 65535, not '%s'",
				 word);
			return -EINVAL;
		} else if (!strcasecmp(word, "tcp") || !strcasecmp(word, "udp")) {
			t->kind = TOP_TERM_PROTO;
			t->proto = tolower((unsigned char)word[0]) == 't' ? NASOONE_PROTO_TCP
									  : NASOONE_PROTO_UDP;
		} else if ((rc = parse_net(t, word)) == 0) {
			/* an address or network */
		} else if (rc == -ERANGE) {
			snprintf(err, err_size, "bad prefix length in '%s'", word);
			return -EINVAL;
		} else if (strchr(word, '/')) {
			snprintf(err, err_size, "'%s' is not an address/prefix", word);
			return -EINVAL;
		} else {
			t->kind = TOP_TERM_TEXT;
			snprintf(t->text, sizeof(t->text), "%s", word);
		}
		want_port = false;
		nf.count++;
	}
	if (want_port) {
		snprintf(err, err_size, "'port' needs a number");
		return -EINVAL;
	}
	*f = nf;
	return 0;
}

static bool in_net(const uint8_t addr[16], const struct top_term *t)
{
	unsigned int full = t->prefix / 8, rest = t->prefix % 8;

	if (memcmp(addr, t->addr, full))
		return false;
	if (!rest)
		return true;
	return ((addr[full] ^ t->addr[full]) & (uint8_t)(0xff << (8 - rest))) == 0;
}

static bool term_match(const struct top_term *t, const struct nasoone_flow *f)
{
	char a[INET6_ADDRSTRLEN];

	switch (t->kind) {
	case TOP_TERM_NET:
		return in_net(f->saddr, t) || in_net(f->daddr, t);
	case TOP_TERM_PORT:
		return ntohs(f->sport) == t->port || ntohs(f->dport) == t->port;
	case TOP_TERM_PROTO:
		return (f->protos & t->proto) != 0;
	case TOP_TERM_TEXT:
		top_format_addr(a, sizeof(a), f->saddr, f->family);
		if (strcasestr(a, t->text))
			return true;
		top_format_addr(a, sizeof(a), f->daddr, f->family);
		return strcasestr(a, t->text) != NULL;
	}
	return false;
}

bool top_filter_match(const struct top_filter *f, const struct nasoone_flow *flow)
{
	for (size_t i = 0; i < f->count; i++)
		if (!term_match(&f->terms[i], flow))
			return false;
	return true;
}
