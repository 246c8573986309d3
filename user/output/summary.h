/* SPDX-License-Identifier: GPL-2.0-only */
/* The summary mode: a table per address every interval (see summary.c). */
#ifndef NASOONE_SUMMARY_H
#define NASOONE_SUMMARY_H

#include <stdio.h>

#include "nasoone.h"

struct summary;
/* A summary writing to out; c is filled with the consumer to add. NULL when out of memory. */
struct summary *summary_new(FILE *out, struct nasoone_consumer *c);
void summary_free(struct summary *s);

#endif /* NASOONE_SUMMARY_H */
