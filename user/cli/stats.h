/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef NASOONE_CLI_STATS_H
#define NASOONE_CLI_STATS_H

#include <nasoone.h>

/* The statistics on stderr: two lines, and the eBPF line on that path. */
void cli_print_stats(const struct nasoone_stats *s);

#endif
