/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The report: row formatting and ordering (pure), and the output file,
 * replaced atomically at every interval.
 */
#ifndef NASOONE_REPORT_H
#define NASOONE_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

#include "nasoone.h"
#include "row.h"

#define REPORT_HEADER                                                                              \
	"source ip; source port; destination ip; destination port; protocols; first; last; "       \
	"bytes; packets\n"

/* Longest row: two IPv6 addresses, five 20-digit numbers and separators (JSON's names too). */
#define REPORT_ROW_MAX 512

/* Format one row, newline included, into buf (>= REPORT_ROW_MAX). Returns its length. */
size_t report_format_row(char *buf, const struct flow_row *row);

/* The same row in another format; a JSON row that ended (end reason set) says why. */
size_t report_format_row_as(char *buf, const struct flow_row *row, enum nasoone_format format);
/* The header line of a format ("" for JSON Lines). */
const char *report_header(enum nasoone_format format);

/* The report's order: first, source ip (IPv4 first), source port, destination ip, port. */
int report_row_cmp(const struct flow_row *a, const struct flow_row *b);
void report_sort(const struct flow_row **rows, size_t count);

/* The CPUs this process may run on (at least 1): threads for sorting and formatting. */
unsigned int report_cpus(void);

/* Header and rows to fd, through a large buffer (one write per MiB). 0 or -errno. */
int report_write_fd(int fd, const struct flow_row *const *rows, size_t count);
int report_write_fd_as(int fd, const struct flow_row *const *rows, size_t count,
		       enum nasoone_format format);

enum report_kind {
	REPORT_NONE,	/* no output configured */
	REPORT_REGULAR, /* a regular file: rewritten atomically */
	REPORT_DIRECT,	/* stdout, a terminal, a FIFO, /dev/null: written once, at the end */
};

struct report_output {
	enum report_kind kind;
	char *path; /* NULL for stdout */
	enum nasoone_format format;
	bool overwrite;
	bool created;
	bool pinned; /* a direct output's file is held open (O_PATH) since set time */
	int pinned_fd;
	mode_t mode; /* of a regular report: 0666 & ~umask, or the mode of the file replaced */
};

/*
 * Check that path can be used (set_output time): an existing regular file
 * is refused unless overwrite (-EEXIST), a missing directory is -ENOENT,
 * a symbolic link is refused (-ELOOP). "-" is standard output. Any other
 * existing file (FIFO, device) is held open from now on, so that the final
 * write goes to that file and never to what replaced its name.
 */
int report_output_set(struct report_output *out, const char *path, bool overwrite);
/* Create the file safely (O_EXCL, no symlink followed) before the capture starts. */
int report_output_create(struct report_output *out);
/*
 * Write the rows: a regular file through a temporary file in the same
 * directory, fsync and rename; a direct output only when final is true,
 * and -ESTALE when its name no longer is the file held since set time.
 */
int report_output_write(struct report_output *out, const struct flow_row *const *rows, size_t count,
			bool final);
/* True when the output is the file st describes (same device and inode). */
bool report_output_is_file(const struct report_output *out, const struct stat *st);
void report_output_clear(struct report_output *out);
/*
 * Replace the file at path atomically (temporary file in its directory,
 * fsync, rename), with the mode a new file gets (0666 & ~umask).
 */
int report_replace(const char *path, const struct flow_row *const *rows, size_t count,
		   enum nasoone_format format);

#endif /* NASOONE_REPORT_H */
