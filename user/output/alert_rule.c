/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Alert rules (see alert.h): one [alert NAME] section's keys parsed into a
 * rule, printed back for --print-config, and matched against a flow:
 * addresses as CIDRs of either family, ports and ranges, a protocol.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "output/alert.h"

void alert_rule_init(struct alert_rule *r, const char *name)
{
	memset(r, 0, sizeof(*r));
	snprintf(r->name, sizeof(r->name), "%s", name);
	r->window_ms = ALERT_WINDOW_MS;
	r->repeat_ms = ALERT_REPEAT_MS;
	r->to_stderr = true;
}

void alert_rule_clear(struct alert_rule *r)
{
	free(r->log_path);
	free(r->exec);
	r->log_path = r->exec = NULL;
}

int alert_parse_cidr(const char *text, struct alert_addr *a)
{
	char buf[INET6_ADDRSTRLEN + 8], *slash, *end;
	unsigned long bits, max;
	struct in_addr v4;

	if (strlen(text) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, text);
	slash = strchr(buf, '/');
	if (slash)
		*slash++ = '\0';
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, buf, &v4) == 1) {
		a->family = 4;
		a->addr[10] = a->addr[11] = 0xff;
		memcpy(a->addr + 12, &v4, 4);
		max = 32;
	} else if (inet_pton(AF_INET6, buf, a->addr) == 1) {
		a->family = 6;
		max = 128;
	} else {
		return -EINVAL;
	}
	bits = max;
	if (slash) {
		errno = 0;
		bits = strtoul(slash, &end, 10);
		if (!*slash || *end || errno || bits > max || !isdigit((unsigned char)*slash))
			return -EINVAL;
	}
	a->prefix = (unsigned int)(bits + (max == 32 ? 96 : 0));
	/* Host bits off, so that a match is a compare of the masked bytes. */
	for (unsigned int i = 0; i < 16; i++) {
		unsigned int keep = a->prefix > i * 8 ? a->prefix - i * 8 : 0;

		if (keep < 8)
			a->addr[i] &= (uint8_t)(0xff00u >> keep);
	}
	{
		uint8_t mask[16];

		for (unsigned int i = 0; i < 16; i++) {
			unsigned int keep = a->prefix > i * 8 ? a->prefix - i * 8 : 0;

			mask[i] = keep >= 8 ? 0xff : (uint8_t)(0xff00u >> keep);
		}
		memcpy(a->mask, mask, 16);
		memcpy(a->want, a->addr, 16);
	}
	a->set = true;
	return 0;
}

/* Two masked compares of 64 bits: rules are matched for every new flow. */
static bool addr_matches(const struct alert_addr *a, const uint8_t *addr, uint8_t family)
{
	uint64_t w[2];

	memcpy(w, addr, 16);
	return a->family == family && (w[0] & a->mask[0]) == a->want[0] &&
	       (w[1] & a->mask[1]) == a->want[1];
}

static bool port_in(const struct alert_ports *p, uint16_t port_be)
{
	uint16_t port = ntohs(port_be);

	return port >= p->lo && port <= p->hi;
}

bool alert_rule_matches(const struct alert_rule *r, const struct nasoone_flow *f)
{
	if (r->protos && !(r->protos & f->protos))
		return false;
	if (r->src.set && !addr_matches(&r->src, f->saddr, f->family))
		return false;
	if (r->dst.set && !addr_matches(&r->dst, f->daddr, f->family))
		return false;
	if (r->host.set && !addr_matches(&r->host, f->saddr, f->family) &&
	    !addr_matches(&r->host, f->daddr, f->family))
		return false;
	if (r->sport.set && !port_in(&r->sport, f->sport))
		return false;
	if (r->dport.set && !port_in(&r->dport, f->dport))
		return false;
	if (r->port.set && !port_in(&r->port, f->sport) && !port_in(&r->port, f->dport))
		return false;
	return true;
}

/* "80" or "8000-8080". */
static int parse_ports(const char *text, struct alert_ports *p)
{
	unsigned long lo, hi;
	char *end;

	if (!isdigit((unsigned char)*text))
		return -EINVAL;
	errno = 0;
	lo = strtoul(text, &end, 10);
	hi = lo;
	if (*end == '-') {
		if (!isdigit((unsigned char)end[1]))
			return -EINVAL;
		hi = strtoul(end + 1, &end, 10);
	}
	if (*end || errno || lo > 65535 || hi > 65535 || lo > hi)
		return -EINVAL;
	p->set = true;
	p->lo = (uint16_t)lo;
	p->hi = (uint16_t)hi;
	return 0;
}

/* A count with an optional k/M/G suffix (powers of 1000, as rates are said). */
static int parse_amount(const char *text, uint64_t *out)
{
	unsigned long long v;
	uint64_t mult = 1;
	char *end;

	if (!isdigit((unsigned char)*text))
		return -EINVAL;
	errno = 0;
	v = strtoull(text, &end, 10);
	switch (*end) {
	case 'k':
	case 'K':
		mult = 1000;
		end++;
		break;
	case 'm':
	case 'M':
		mult = 1000000;
		end++;
		break;
	case 'g':
	case 'G':
		mult = 1000000000;
		end++;
		break;
	}
	if (*end || errno || v > UINT64_MAX / mult)
		return -EINVAL;
	*out = v * mult;
	return 0;
}

/* Seconds, fractions allowed ("0.5"), into ms; at most a day. */
static int parse_seconds(const char *text, uint64_t *ms)
{
	char *end;
	double s;

	if (!isdigit((unsigned char)*text))
		return -EINVAL;
	errno = 0;
	s = strtod(text, &end);
	if (*end || errno || s < 0 || s > 86400)
		return -EINVAL;
	*ms = (uint64_t)(s * 1000 + 0.5);
	return 0;
}

static int parse_bool(const char *text, bool *out)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };

	for (size_t i = 0; i < 4; i++) {
		if (!strcasecmp(text, yes[i]) || !strcasecmp(text, no[i])) {
			*out = !strcasecmp(text, yes[i]);
			return 0;
		}
	}
	return -EINVAL;
}

static int set_string(char **slot, const char *value)
{
	char *copy = strdup(value);

	if (!copy)
		return -ENOMEM;
	free(*slot);
	*slot = copy;
	return 0;
}

#define BAD(...) (snprintf(err, size, __VA_ARGS__), -EINVAL)

int alert_rule_set(struct alert_rule *r, const char *key, const char *value, char *err, size_t size)
{
	struct alert_addr *addr = NULL;
	struct alert_ports *ports = NULL;
	bool b;

	if (!strcmp(key, "src") || !strcmp(key, "ip"))
		addr = &r->src; /* ip: the article's "traffic from IP" */
	else if (!strcmp(key, "dst"))
		addr = &r->dst;
	else if (!strcmp(key, "host"))
		addr = &r->host;
	if (addr) {
		if (alert_parse_cidr(value, addr))
			return BAD("bad address '%s' for %s: expected an IPv4 or IPv6 address, "
				   "optionally /prefix",
				   value, key);
		return 0;
	}
	if (!strcmp(key, "sport"))
		ports = &r->sport;
	else if (!strcmp(key, "dport"))
		ports = &r->dport;
	else if (!strcmp(key, "port"))
		ports = &r->port;
	if (ports) {
		if (parse_ports(value, ports))
			return BAD("bad port '%s' for %s: expected 0-65535 or a range LOW-HIGH",
				   value, key);
		return 0;
	}
	if (!strcmp(key, "proto")) {
		if (!strcasecmp(value, "tcp"))
			r->protos = NASOONE_PROTO_TCP;
		else if (!strcasecmp(value, "udp"))
			r->protos = NASOONE_PROTO_UDP;
		else if (!strcasecmp(value, "any"))
			r->protos = 0;
		else
			return BAD("bad proto '%s': use tcp, udp or any", value);
		return 0;
	}
	if (!strcmp(key, "on")) {
		if (!strcmp(value, "packet"))
			r->on = ALERT_ON_PACKET;
		else if (!strcmp(value, "flow"))
			r->on = ALERT_ON_FLOW;
		else if (!strcmp(value, "threshold"))
			r->on = ALERT_ON_THRESHOLD;
		else
			return BAD("bad on '%s': use packet, flow or threshold", value);
		r->on_set = true;
		return 0;
	}
	if (!strcmp(key, "bytes") || !strcmp(key, "packets") || !strcmp(key, "rate")) {
		uint64_t *slot = key[0] == 'b' ? &r->bytes : key[0] == 'p' ? &r->packets : &r->rate;

		if (parse_amount(value, slot) || !*slot)
			return BAD("bad %s '%s': expected a number > 0, optionally with k, M or G",
				   key, value);
		if (!r->on_set)
			r->on = ALERT_ON_THRESHOLD;
		return 0;
	}
	if (!strcmp(key, "window") || !strcmp(key, "repeat")) {
		uint64_t *slot = key[0] == 'w' ? &r->window_ms : &r->repeat_ms;

		if (parse_seconds(value, slot) || (key[0] == 'w' && !*slot))
			return BAD("bad %s '%s': expected seconds%s", key, value,
				   key[0] == 'w' ? " > 0" : "");
		return 0;
	}
	if (!strcmp(key, "stderr") || !strcmp(key, "syslog")) {
		if (parse_bool(value, &b))
			return BAD("bad %s '%s': use yes or no", key, value);
		*(key[1] == 't' ? &r->to_stderr : &r->to_syslog) = b;
		return 0;
	}
	if (!strcmp(key, "notify")) {
		if (!strcmp(value, "auto"))
			r->notify = ALERT_NOTIFY_AUTO;
		else if (parse_bool(value, &b))
			return BAD("bad notify '%s': use auto, yes or no", value);
		else
			r->notify = b ? ALERT_NOTIFY_YES : ALERT_NOTIFY_NO;
		return 0;
	}
	if (!strcmp(key, "log") || !strcmp(key, "exec")) {
		if (!*value)
			return BAD("empty %s", key);
		if (set_string(key[0] == 'l' ? &r->log_path : &r->exec, value))
			return BAD("out of memory");
		return 0;
	}
	snprintf(err, size, "unknown key '%s' in [alert %s]", key, r->name);
	return -ENOENT;
}

static void print_addr(FILE *out, const char *key, const struct alert_addr *a)
{
	char text[INET6_ADDRSTRLEN];

	if (!a->set)
		return;
	if (a->family == 4)
		inet_ntop(AF_INET, a->addr + 12, text, sizeof(text));
	else
		inet_ntop(AF_INET6, a->addr, text, sizeof(text));
	fprintf(out, "%s = %s/%u\n", key, text, a->family == 4 ? a->prefix - 96 : a->prefix);
}

static void print_ports(FILE *out, const char *key, const struct alert_ports *p)
{
	if (!p->set)
		return;
	if (p->lo == p->hi)
		fprintf(out, "%s = %u\n", key, p->lo);
	else
		fprintf(out, "%s = %u-%u\n", key, p->lo, p->hi);
}

void alert_rule_print(const struct alert_rule *r, FILE *out)
{
	static const char *const on[] = { "packet", "flow", "threshold" };
	static const char *const notify[] = { "auto", "no", "yes" };

	fprintf(out, "[alert %s]\n", r->name);
	print_addr(out, "src", &r->src);
	print_addr(out, "dst", &r->dst);
	print_addr(out, "host", &r->host);
	print_ports(out, "sport", &r->sport);
	print_ports(out, "dport", &r->dport);
	print_ports(out, "port", &r->port);
	fprintf(out, "proto = %s\n",
		r->protos == NASOONE_PROTO_TCP	 ? "tcp"
		: r->protos == NASOONE_PROTO_UDP ? "udp"
						 : "any");
	fprintf(out, "on = %s\n", on[r->on]);
	if (r->bytes)
		fprintf(out, "bytes = %" PRIu64 "\n", r->bytes);
	if (r->packets)
		fprintf(out, "packets = %" PRIu64 "\n", r->packets);
	if (r->rate)
		fprintf(out, "rate = %" PRIu64 "\n", r->rate);
	fprintf(out, "window = %g\nrepeat = %g\n", (double)r->window_ms / 1000,
		(double)r->repeat_ms / 1000);
	fprintf(out, "stderr = %s\nsyslog = %s\nnotify = %s\n", r->to_stderr ? "yes" : "no",
		r->to_syslog ? "yes" : "no", notify[r->notify]);
	if (r->log_path)
		fprintf(out, "log = \"%s\"\n", r->log_path);
	if (r->exec)
		fprintf(out, "exec = \"%s\"\n", r->exec);
}
