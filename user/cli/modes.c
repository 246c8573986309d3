/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The command's additions to a capture: the alert engine and the summary
 * table as consumers of rows, and the detailed mode's line per packet.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "cli/modes.h"

static int add(struct nasoone *n, const struct nasoone_consumer *c, const char *what)
{
	int err = nasoone_add_consumer(n, c);

	if (err)
		fprintf(stderr, "nasoone: cannot add the %s: %s\n", what, nasoone_last_error(n));
	return err ? EXIT_FAILURE : 0;
}

int modes_add_consumers(struct nasoone *n, const struct alert_rule *rules, size_t nrules,
			bool summary, struct modes *m)
{
	struct nasoone_consumer c;

	if (nrules) {
		m->alerts = alert_engine_new(rules, nrules, NULL, NULL);
		if (!m->alerts)
			goto nomem;
		alert_engine_consumer(m->alerts, &c);
		if (add(n, &c, "alerts"))
			return EXIT_FAILURE;
	}
	if (summary) {
		m->summary = summary_new(stdout, &c);
		if (!m->summary)
			goto nomem;
		if (add(n, &c, "summary"))
			return EXIT_FAILURE;
	}
	return 0;
nomem:
	fprintf(stderr, "nasoone: cannot set up the alerts and modes: %s\n",
		nasoone_strerror(NASOONE_ENOMEM));
	return EXIT_FAILURE;
}

void modes_free(struct modes *m)
{
	alert_engine_free(m->alerts);
	summary_free(m->summary);
	m->alerts = NULL;
	m->summary = NULL;
}

/* The detailed mode: one line a packet, as the article prints them. */
void modes_print_packet(const struct nasoone_packet *pk, void *ctx)
{
	static const char flag_names[] = "FSRPAU";
	char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN], when[80], flags[8];
	time_t t = (time_t)(pk->ts_us / 1000000);
	bool v6 = pk->family == 6;
	unsigned int i, n = 0;
	struct tm tm;

	(void)ctx;
	inet_ntop(v6 ? AF_INET6 : AF_INET, v6 ? pk->saddr : pk->saddr + 12, src, sizeof(src));
	inet_ntop(v6 ? AF_INET6 : AF_INET, v6 ? pk->daddr : pk->daddr + 12, dst, sizeof(dst));
	gmtime_r(&t, &tm);
	snprintf(when, sizeof(when), "%04d-%02d-%02dT%02d:%02d:%02d.%03uZ", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		 (unsigned int)(pk->ts_us / 1000 % 1000));
	printf("%s %s %s%s%s:%u > %s%s%s:%u length %u", when, pk->l4proto == 6 ? "TCP" : "UDP",
	       v6 ? "[" : "", src, v6 ? "]" : "", pk->sport, v6 ? "[" : "", dst, v6 ? "]" : "",
	       pk->dport, pk->len);
	if (pk->has_l4 && pk->l4proto == 6) {
		for (i = 0; i < 6; i++)
			if (pk->tcp_flags & (1u << i))
				flags[n++] = flag_names[i];
		flags[n] = '\0';
		printf(" seq %u ack %u flags [%s]", pk->seq, pk->ack, flags);
	} else if (pk->has_l4) {
		printf(" udp length %u", pk->udp_len);
	}
	putchar('\n');
}
