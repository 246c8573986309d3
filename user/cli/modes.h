/* SPDX-License-Identifier: GPL-2.0-only */
/* What the command adds to a capture beyond the report: alerts, the summary and detailed modes. */
#ifndef NASOONE_MODES_H
#define NASOONE_MODES_H

#include <stdbool.h>
#include <stddef.h>

#include "nasoone.h"
#include "output/alert.h"
#include "output/summary.h"

struct modes {
	struct alert_engine *alerts;
	struct summary *summary;
};

/*
 * Add the alert engine (when there are rules; they must outlive the
 * capture) and the summary table as consumers of n. 0, or EXIT_FAILURE
 * after one line on stderr.
 */
int modes_add_consumers(struct nasoone *n, const struct alert_rule *rules, size_t nrules,
			bool summary, struct modes *m);
/* After nasoone_free(): waits for the alert commands still running. */
void modes_free(struct modes *m);
/* The detailed mode's packet callback: one line a packet on stdout. */
void modes_print_packet(const struct nasoone_packet *packet, void *ctx);

#endif /* NASOONE_MODES_H */
