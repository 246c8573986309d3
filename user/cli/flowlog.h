/* SPDX-License-Identifier: GPL-2.0-only */
/* --flow-log: the rows that end, as JSON Lines (see flowlog.c). */
#ifndef NASOONE_CLI_FLOWLOG_H
#define NASOONE_CLI_FLOWLOG_H

#include <stdbool.h>

#include "nasoone.h"

struct flowlog;

/* Open path ("-": standard output) and fill *consumer; NULL with errno set. */
struct flowlog *flowlog_open(const char *path, bool overwrite, struct nasoone_consumer *consumer);
void flowlog_close(struct flowlog *log);

#endif /* NASOONE_CLI_FLOWLOG_H */
