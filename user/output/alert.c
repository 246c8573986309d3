/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Alert rules and the engine that applies them to the rows the counters
 * hand out (see alert.h). Per flow, the engine keeps the rules that
 * matched when the flow was first seen and, per threshold rule, a few
 * samples of its totals: enough for a sliding window as fine as the feed.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "output/alert.h"
#include "row.h"

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

/* ---- The engine ---- */

struct sample {
	uint64_t at_ms, bytes, packets;
};

struct rule_state {
	uint32_t rule;
	bool alerted;
	uint8_t nsamples, head; /* a ring of samples, oldest at head */
	uint64_t last_alert_ms;
	struct sample samples[]; /* ALERT_SAMPLES for a threshold rule, else none */
};

#define PREFETCH_AHEAD 8

/* The key bytes of a flow: addresses, ports, family (not the end reason). */
#define KEY_BYTES offsetof(struct nasoone_flow, end_reason)

/*
 * One cache line a flow: a flow that matches no rule costs one look-up
 * (one memory access) when it is seen again. The states of the rules it
 * matches lie in one block: a count, then each state (samples included).
 */
struct flow_state {
	uint8_t key[KEY_BYTES]; /* its last byte, the family, is 0 in a free slot */
	uint8_t pad[3];
	uint32_t hash;
	uint64_t packets; /* the totals last seen */
	uint32_t *states; /* NULL: no rule matches */
};
_Static_assert(sizeof(struct flow_state) == 64, "a flow's state is one cache line");

#define USED(s) ((s)->key[KEY_BYTES - 1] != 0)

static size_t state_size(const struct alert_rule *r)
{
	return sizeof(struct rule_state) +
	       (r->on == ALERT_ON_THRESHOLD ? ALERT_SAMPLES * sizeof(struct sample) : 0);
}

/*
 * A rule compiled for matching: every field constrains (a free address is
 * a zero mask, a free port the whole range), so a check is a few compares
 * without branches per field, in 128 bytes rather than a whole rule.
 */
struct matcher {
	uint64_t mask[3][2], want[3][2]; /* src, dst, host */
	uint8_t family[3];		 /* 0: any */
	uint8_t protos;			 /* 0: any */
	uint16_t lo[3], hi[3];		 /* sport, dport, port (host byte order) */
};

struct alert_engine {
	const struct alert_rule *rules;
	struct matcher *matchers;
	size_t nrules;
	/* The rules a flow of each family can match (by index, in order): [0] IPv4, [1] IPv6. */
	uint32_t *by_family[2];
	size_t nby_family[2];
	alert_fire_fn fire;
	void *fire_ctx;
	struct alert_actions *actions; /* when fire was NULL */
	struct flow_state *slots;
	size_t nslots, used; /* a power of two; linear probing */
	uint64_t fired;
	uint32_t *scratch; /* the rules matching a new flow */
};

static void compile(struct matcher *m, const struct alert_rule *r)
{
	const struct alert_addr *addr[3] = { &r->src, &r->dst, &r->host };
	const struct alert_ports *ports[3] = { &r->sport, &r->dport, &r->port };

	memset(m, 0, sizeof(*m));
	for (int i = 0; i < 3; i++) {
		if (addr[i]->set) {
			memcpy(m->mask[i], addr[i]->mask, sizeof(m->mask[i]));
			memcpy(m->want[i], addr[i]->want, sizeof(m->want[i]));
			m->family[i] = addr[i]->family;
		}
		m->lo[i] = ports[i]->set ? ports[i]->lo : 0;
		m->hi[i] = ports[i]->set ? ports[i]->hi : 65535;
	}
	m->protos = (uint8_t)r->protos;
}

static inline bool masked(const struct matcher *m, int i, const uint64_t *w)
{
	return ((w[0] & m->mask[i][0]) == m->want[i][0]) &
	       ((w[1] & m->mask[i][1]) == m->want[i][1]);
}

/* alert_rule_matches() on a compiled rule, with the flow's words and ports loaded once. */
static inline bool matcher_matches(const struct matcher *m, const uint64_t *s, const uint64_t *d,
				   uint8_t family, uint16_t sport, uint16_t dport, uint8_t protos)
{
	bool fam = (!m->family[0] || m->family[0] == family) &
		   (!m->family[1] || m->family[1] == family) &
		   (!m->family[2] || m->family[2] == family);

	return fam & (!m->protos || (m->protos & protos)) & masked(m, 0, s) & masked(m, 1, d) &
	       (masked(m, 2, s) | masked(m, 2, d)) & (sport >= m->lo[0]) & (sport <= m->hi[0]) &
	       (dport >= m->lo[1]) & (dport <= m->hi[1]) &
	       (((sport >= m->lo[2]) & (sport <= m->hi[2])) |
		((dport >= m->lo[2]) & (dport <= m->hi[2])));
}

struct alert_engine *alert_engine_new(const struct alert_rule *rules, size_t count,
				      alert_fire_fn fire, void *fire_ctx)
{
	struct alert_engine *e = calloc(1, sizeof(*e));

	if (!e)
		return NULL;
	e->rules = rules;
	e->nrules = count;
	e->fire = fire;
	e->fire_ctx = fire_ctx;
	if (!fire) {
		e->actions = alert_actions_new();
		e->fire = alert_actions_fire;
		e->fire_ctx = e->actions;
	}
	e->nslots = 1024;
	e->slots = calloc(e->nslots, sizeof(*e->slots));
	e->scratch = calloc(count ? count : 1, sizeof(*e->scratch));
	e->matchers = calloc(count ? count : 1, sizeof(*e->matchers));
	if (!e->slots || !e->scratch || !e->matchers || (!fire && !e->actions)) {
		alert_engine_free(e);
		return NULL;
	}
	for (int fam = 0; fam < 2; fam++) {
		e->by_family[fam] = calloc(count ? count : 1, sizeof(uint32_t));
		if (!e->by_family[fam]) {
			alert_engine_free(e);
			return NULL;
		}
	}
	for (size_t i = 0; i < count; i++) {
		const struct matcher *m = &e->matchers[i];

		compile(&e->matchers[i], &rules[i]);
		for (int fam = 0; fam < 2; fam++) {
			uint8_t want = fam ? 6 : 4;

			if ((!m->family[0] || m->family[0] == want) &&
			    (!m->family[1] || m->family[1] == want) &&
			    (!m->family[2] || m->family[2] == want))
				e->by_family[fam][e->nby_family[fam]++] = (uint32_t)i;
		}
	}
	return e;
}

static void state_clear(struct flow_state *s)
{
	free(s->states);
	memset(s, 0, sizeof(*s));
}

void alert_engine_free(struct alert_engine *e)
{
	if (!e)
		return;
	for (size_t i = 0; e->slots && i < e->nslots; i++)
		if (USED(&e->slots[i]))
			state_clear(&e->slots[i]);
	free(e->slots);
	free(e->scratch);
	free(e->matchers);
	free(e->by_family[0]);
	free(e->by_family[1]);
	alert_actions_free(e->actions);
	free(e);
}

uint64_t alert_engine_fired(const struct alert_engine *e)
{
	return e->fired;
}

static uint32_t flow_hash(const struct nasoone_flow *f)
{
	struct nn_flow_key key;

	/* Rows from the counters carry their key's hash: no need to hash again. */
	if (flow_as_row(f)->hash)
		return flow_as_row(f)->hash;
	memcpy(&key, f, KEY_BYTES);
	memset(key.pad, 0, sizeof(key.pad));
	return row_hash(&key);
}

static int grow(struct alert_engine *e)
{
	size_t n = e->nslots * 2, i, j;
	struct flow_state *slots = calloc(n, sizeof(*slots));

	if (!slots)
		return -ENOMEM;
	for (i = 0; i < e->nslots; i++) {
		if (!USED(&e->slots[i]))
			continue;
		for (j = e->slots[i].hash & (n - 1); USED(&slots[j]); j = (j + 1) & (n - 1))
			;
		slots[j] = e->slots[i];
	}
	free(e->slots);
	e->slots = slots;
	e->nslots = n;
	return 0;
}

/* The slot of f's state, or the empty slot where it goes. */
static struct flow_state *find(struct alert_engine *e, const struct nasoone_flow *f, uint32_t h)
{
	size_t i;

	for (i = h & (e->nslots - 1); USED(&e->slots[i]); i = (i + 1) & (e->nslots - 1))
		if (e->slots[i].hash == h && !memcmp(e->slots[i].key, f, KEY_BYTES))
			break;
	return &e->slots[i];
}

/* Backward-shift deletion: no tombstones, probe chains stay short. */
static void erase(struct alert_engine *e, struct flow_state *s)
{
	size_t mask = e->nslots - 1, i = (size_t)(s - e->slots), j = i, home;

	state_clear(s);
	e->used--;
	for (;;) {
		j = (j + 1) & mask;
		if (!USED(&e->slots[j]))
			return;
		home = e->slots[j].hash & mask;
		/* Move j back to i unless its home lies cyclically in (i, j]. */
		if (i <= j ? (home <= i || home > j) : (home <= i && home > j)) {
			e->slots[i] = e->slots[j];
			memset(&e->slots[j], 0, sizeof(e->slots[j]));
			i = j;
		}
	}
}

/* The rules that match a new flow, once, into one block of states. */
static int match_rules(struct alert_engine *e, struct flow_state *s, const struct nasoone_flow *f)
{
	uint16_t sport = ntohs(f->sport), dport = ntohs(f->dport);
	const uint32_t *list = e->by_family[f->family == 6];
	size_t size = 8, n = 0, r, i, count = e->nby_family[f->family == 6];
	uint64_t sw[2], dw[2];
	uint8_t *at;

	memcpy(sw, f->saddr, 16);
	memcpy(dw, f->daddr, 16);
	for (i = 0; i < count; i++) {
		r = list[i];
		if (matcher_matches(&e->matchers[r], sw, dw, f->family, sport, dport,
				    (uint8_t)f->protos)) {
			e->scratch[n++] = (uint32_t)r;
			size += state_size(&e->rules[r]);
		}
	}
	if (!n)
		return 0;
	s->states = calloc(1, size);
	if (!s->states)
		return -ENOMEM;
	s->states[0] = (uint32_t)n;
	at = (uint8_t *)s->states + 8;
	for (r = 0; r < n; r++) {
		((struct rule_state *)(void *)at)->rule = e->scratch[r];
		at += state_size(&e->rules[e->scratch[r]]);
	}
	return 0;
}

static void fire(struct alert_engine *e, struct rule_state *rs, const struct nasoone_flow *f,
		 const char *what, uint64_t at_ms, uint64_t wbytes, uint64_t wpackets)
{
	struct alert_event ev = {
		.rule = &e->rules[rs->rule],
		.flow = f,
		.what = what,
		.at_ms = at_ms,
		.window_bytes = wbytes,
		.window_packets = wpackets,
	};

	rs->alerted = true;
	rs->last_alert_ms = at_ms;
	e->fired++;
	e->fire(&ev, e->fire_ctx);
}

static bool may_repeat(const struct alert_rule *r, const struct rule_state *rs, uint64_t at)
{
	return !rs->alerted || (r->repeat_ms && at >= rs->last_alert_ms + r->repeat_ms);
}

/*
 * A threshold rule at a new sample: the amount within the window is the
 * total now minus the total of the newest sample at least a window old
 * (0 when the flow began inside the window). Samples lie at least
 * window/ALERT_SAMPLES apart, so the ring spans the window.
 */
static void threshold(struct alert_engine *e, struct rule_state *rs, const struct nasoone_flow *f)
{
	const struct alert_rule *r = &e->rules[rs->rule];
	uint64_t t = f->last_ms, base_bytes = 0, base_packets = 0, wb, wp;
	uint64_t limit = r->bytes, spacing = r->window_ms / ALERT_SAMPLES;
	struct sample *newest;
	unsigned int i;

	if (r->rate) {
		uint64_t from_rate = r->rate * r->window_ms / 1000;

		if (!limit || from_rate < limit)
			limit = from_rate ? from_rate : 1;
	}
	if (f->first_ms + r->window_ms <= t) {
		/* The flow began before the window: find its state at the window's start. */
		bool found = false;

		for (i = 0; i < rs->nsamples; i++) {
			struct sample *s = &rs->samples[(rs->head + i) % ALERT_SAMPLES];

			if (s->at_ms + r->window_ms <= t) {
				base_bytes = s->bytes;
				base_packets = s->packets;
				found = true;
			}
		}
		if (!found && rs->nsamples) {
			/* All samples are inside the window: the oldest is the best bound. */
			base_bytes = rs->samples[rs->head].bytes;
			base_packets = rs->samples[rs->head].packets;
		}
	}
	wb = f->bytes - base_bytes;
	wp = f->packets - base_packets;
	newest = rs->nsamples ? &rs->samples[(rs->head + rs->nsamples - 1) % ALERT_SAMPLES] : NULL;
	if (newest && t < newest->at_ms + spacing) {
		; /* too close to the last sample: keep the ring spanning the window */
	} else if (rs->nsamples < ALERT_SAMPLES) {
		rs->samples[(rs->head + rs->nsamples++) % ALERT_SAMPLES] =
			(struct sample){ t, f->bytes, f->packets };
	} else {
		rs->samples[rs->head] = (struct sample){ t, f->bytes, f->packets };
		rs->head = (uint8_t)((rs->head + 1) % ALERT_SAMPLES);
	}
	if (((limit && wb >= limit) || (r->packets && wp >= r->packets)) && may_repeat(r, rs, t))
		fire(e, rs, f, "threshold", t, wb, wp);
}

int alert_engine_update(struct alert_engine *e, const struct nasoone_flow *f, bool final)
{
	uint32_t h = flow_hash(f);
	struct flow_state *s;
	bool fresh = false;
	int err;

	if ((e->used + 1) * 4 > e->nslots * 3 && (err = grow(e)))
		return err;
	s = find(e, f, h);
	if (!USED(s)) {
		memcpy(s->key, f, KEY_BYTES);
		s->hash = h;
		e->used++;
		fresh = true;
		if ((err = match_rules(e, s, f))) {
			erase(e, s);
			return err;
		}
	}
	uint8_t *at = s->states ? (uint8_t *)s->states + 8 : NULL;

	for (uint32_t i = 0, n = s->states ? s->states[0] : 0; i < n; i++) {
		struct rule_state *rs = (struct rule_state *)(void *)at;
		const struct alert_rule *r = &e->rules[rs->rule];

		at += state_size(r);
		switch (r->on) {
		case ALERT_ON_FLOW:
			if (fresh)
				fire(e, rs, f, "new flow", f->first_ms, f->bytes, f->packets);
			break;
		case ALERT_ON_PACKET:
			if (!rs->alerted)
				fire(e, rs, f, "first packet", f->first_ms, f->bytes, f->packets);
			else if (f->packets > s->packets && may_repeat(r, rs, f->last_ms))
				fire(e, rs, f, "traffic", f->last_ms, f->bytes, f->packets);
			break;
		case ALERT_ON_THRESHOLD:
			threshold(e, rs, f);
			break;
		}
	}
	s->packets = f->packets;
	if (final)
		erase(e, s);
	return 0;
}

/* Rows in bulk: the state of a row a few ahead is fetched while this one is looked at. */
static int update_all(struct alert_engine *e, const struct nasoone_flow *flows, size_t count,
		      bool final)
{
	for (size_t i = 0; i < count; i++) {
		if (i + PREFETCH_AHEAD < count)
			__builtin_prefetch(
				&e->slots[flow_hash(&flows[i + PREFETCH_AHEAD]) & (e->nslots - 1)]);
		if (alert_engine_update(e, &flows[i], final))
			return NASOONE_ENOMEM;
	}
	return 0;
}

static int on_changed(const struct nasoone_flow *flows, size_t count, uint64_t clock_ms, void *ctx)
{
	(void)clock_ms;
	return update_all(ctx, flows, count, false);
}

static int on_expired(const struct nasoone_flow *flows, size_t count, void *ctx)
{
	return update_all(ctx, flows, count, true);
}

void alert_engine_consumer(struct alert_engine *e, struct nasoone_consumer *c)
{
	memset(c, 0, sizeof(*c));
	c->name = "alerts";
	c->ctx = e;
	c->on_changed = on_changed;
	c->on_expired = on_expired;
}
