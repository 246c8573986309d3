/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Packet sources behind one interface: a capture file through libpcap
 * (pcap, pcapng, gzip'd), the project's own pcapng reader for files whose
 * interfaces have different link types, and a live interface through
 * libpcap. The filter is applied here.
 */
#ifndef NASOONE_SOURCE_H
#define NASOONE_SOURCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "capture/packet.h"

struct source;

struct source_counters {
	uint64_t received; /* frames read, before the filter */
	uint64_t filtered; /* rejected by the filter (files) */
	uint64_t dropped;  /* by the kernel's capture buffer (live) */
	uint64_t if_dropped;
};

/*
 * Open a capture file. -ENOENT/-EACCES/-EISDIR (cannot open), -EBADMSG (not
 * a capture file), -EINVAL (filter), -ENOMEM; the reason is in err.
 */
int source_open_file(struct source **out, const char *path, const char *filter, char *err,
		     size_t errlen);
/* Live capture settings (NULL: promiscuous, the default buffer). */
struct source_live_opts {
	bool no_promisc;     /* -p: leave the interface's promiscuous mode alone */
	size_t buffer_bytes; /* -B: libpcap's capture buffer, 0: the default (32 MiB) */
};

/*
 * Open a live interface: -ENODEV, -EPERM, -EINVAL (filter), -EIO. The
 * filter runs in user space, so received and filtered mean what they mean
 * for files and on the eBPF path.
 */
int source_open_live(struct source **out, const char *ifname, const char *filter,
		     const struct source_live_opts *opts, char *err, size_t errlen);
/*
 * The next frame that passes the filter: 1, 0 when a live capture has
 * nothing for now (timeout), -ENODATA at the end of a file, or -EBADMSG
 * (damaged file) / -EIO (capture failed) / -EINVAL (the filter cannot
 * compile for a later pcapng interface's link type) with source_error() set.
 */
int source_next(struct source *s, struct packet *p);
const char *source_error(struct source *s);
/* Stop (-ENODATA) once this many packets passed the filter (tcpdump's -c); 0: no limit. */
void source_set_limit(struct source *s, uint64_t packets);
bool source_is_live(const struct source *s);
void source_counters(struct source *s, struct source_counters *c);
/* File progress: bytes consumed and total size (0, 0 for live). */
void source_progress(struct source *s, uint64_t *position, uint64_t *size);
void source_close(struct source *s);
/*
 * Stop reading a capture file (from another thread): a read waiting on a
 * silent pipe returns, and the source then ends as at the end of the file.
 */
void source_cancel(struct source *s);
/* fstat() of an opened capture file (not of a live source): 0 or -errno. */
int source_file_stat(struct source *s, struct stat *st);

/* Check that a filter expression compiles (for Ethernet), err filled when not. */
int source_check_filter(const char *filter, char *err, size_t errlen);

#endif /* NASOONE_SOURCE_H */
