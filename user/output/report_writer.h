/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The report file as a consumer of rows (see report_writer.c): one report
 * per period between flushes, merged with the live rows at every snapshot.
 */
#ifndef NASOONE_REPORT_WRITER_H
#define NASOONE_REPORT_WRITER_H

#include <stdbool.h>

#include "nasoone.h"
#include "output/report.h"

struct report_writer;

/*
 * A writer for out (which must outlive it), and the consumer that feeds it
 * in *consumer. rotating: out's path is a strftime(3) pattern. NULL when
 * out of memory.
 */
struct report_writer *report_writer_new(struct report_output *out, bool rotating,
					struct nasoone_consumer *consumer);
/* Reports finished so far. */
unsigned int report_writer_reports(const struct report_writer *w);
void report_writer_free(struct report_writer *w);

#endif /* NASOONE_REPORT_WRITER_H */
