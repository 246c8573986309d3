/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Alerts: rules that match flows (addresses or CIDRs, ports, protocol)
 * and fire on the first packet of a flow, on a new flow, or when its bytes
 * or packets in a sliding window cross a threshold. The engine is a
 * consumer of rows (on_changed, on_expired): a flow is matched against the
 * rules once, when it is first seen, and only changed rows are looked at
 * afterwards -- never each packet. Actions are in alert_action.c.
 */
#ifndef NASOONE_ALERT_H
#define NASOONE_ALERT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "nasoone.h"

#define ALERT_NAME_MAX	64
#define ALERT_SAMPLES	8 /* samples of a flow's totals kept per threshold rule */
#define ALERT_WINDOW_MS 10000
#define ALERT_REPEAT_MS 60000

enum alert_on {
	ALERT_ON_PACKET,    /* the first packet of a flow; again on its traffic every repeat */
	ALERT_ON_FLOW,	    /* once for each new flow (row) */
	ALERT_ON_THRESHOLD, /* bytes or packets within window reach the threshold */
};

enum alert_notify { ALERT_NOTIFY_AUTO, ALERT_NOTIFY_NO, ALERT_NOTIFY_YES };

struct alert_addr {
	bool set;
	uint8_t addr[16];	   /* as in a flow: IPv4 v4-mapped */
	uint8_t family;		   /* 4 or 6 */
	unsigned int prefix;	   /* bits of addr that must match (IPv4: 96 + the prefix) */
	uint64_t want[2], mask[2]; /* addr and the prefix's mask, as two words of memory */
};

struct alert_ports {
	bool set;
	uint16_t lo, hi; /* host byte order, inclusive */
};

struct alert_rule {
	char name[ALERT_NAME_MAX];
	struct alert_addr src, dst, host; /* host: either address */
	struct alert_ports sport, dport, port;
	uint32_t protos; /* NASOONE_PROTO_* a flow must have one of; 0: any */
	enum alert_on on;
	bool on_set;
	uint64_t bytes, packets; /* thresholds, 0: none */
	uint64_t rate;		 /* bytes per second over the window, 0: none */
	uint64_t window_ms, repeat_ms;
	/* Actions. */
	bool to_stderr;
	char *log_path;
	bool to_syslog;
	enum alert_notify notify;
	char *exec; /* a command line split at blanks, no shell; the flow in NASOONE_* variables */
};

/* A rule with the defaults: any flow, on its first packet, a line on stderr. */
void alert_rule_init(struct alert_rule *r, const char *name);
void alert_rule_clear(struct alert_rule *r);
/*
 * Set one key of a rule from its text. 0, or -EINVAL / -ENOENT (unknown
 * key) with what is wrong in err.
 */
int alert_rule_set(struct alert_rule *r, const char *key, const char *value, char *err,
		   size_t size);
/* The rule as "key = value" lines, keys with their defaults included. */
void alert_rule_print(const struct alert_rule *r, FILE *out);
/* Whether a flow matches a rule's addresses, ports and protocol. */
bool alert_rule_matches(const struct alert_rule *r, const struct nasoone_flow *flow);
/* Parse "a.b.c.d[/n]" or an IPv6 address [/n]; 0 or -EINVAL. */
int alert_parse_cidr(const char *text, struct alert_addr *a);

/* alert_index.c: the rules a new flow matches, without trying each rule. */
struct alert_index;
struct alert_index *alert_index_new(const struct alert_rule *rules, size_t count);
void alert_index_free(struct alert_index *x);
/* The indexes of the rules f matches, in increasing order, into out (room for every rule). */
size_t alert_index_match(struct alert_index *x, const struct nasoone_flow *f, uint32_t *out);

/* What fired: handed to the actions. */
struct alert_event {
	const struct alert_rule *rule;
	const struct nasoone_flow *flow;
	const char *what; /* "first packet", "new flow", "traffic", "threshold" */
	uint64_t at_ms;	  /* the flow's time of the event (capture time for a file) */
	uint64_t window_bytes, window_packets;
};

typedef void (*alert_fire_fn)(const struct alert_event *event, void *ctx);

struct alert_engine;
/* An engine over rules (not copied: they must outlive it); fire may be NULL (the actions). */
struct alert_engine *alert_engine_new(const struct alert_rule *rules, size_t count,
				      alert_fire_fn fire, void *fire_ctx);
void alert_engine_free(struct alert_engine *e);
/* A flow seen again (its totals now); final: it leaves memory after this. 0 or -ENOMEM. */
int alert_engine_update(struct alert_engine *e, const struct nasoone_flow *flow, bool final);
uint64_t alert_engine_fired(const struct alert_engine *e);
/* The engine as a consumer of the capture (on_changed, on_expired, on_close). */
void alert_engine_consumer(struct alert_engine *e, struct nasoone_consumer *c);

/* alert_action.c: the actions of event's rule (stderr, log, syslog, notify, exec). */
struct alert_actions;
struct alert_actions *alert_actions_new(void);
void alert_actions_free(struct alert_actions *a); /* waits for the commands it started */
void alert_actions_fire(const struct alert_event *event, void *actions);
/* The event as the line of stderr and the log: "TIME RULE: WHAT PROTO SRC > DST ...". */
int alert_format_line(char *buf, size_t size, const struct alert_event *event);

#endif /* NASOONE_ALERT_H */
