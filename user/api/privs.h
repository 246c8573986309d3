/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Dropping privileges once the capture is open: the uid and gid of an
 * unprivileged user, no supplementary groups, no-new-privs, and only the
 * capabilities that what is left of the run needs, in every set (bounding
 * included). Done before the capture threads start, so that every thread
 * has the same credentials (capabilities and no-new-privs are per thread).
 */
#ifndef NASOONE_PRIVS_H
#define NASOONE_PRIVS_H

#include <stdbool.h>
#include <stddef.h>

/* The user a root run drops to when none is named: this one if it exists... */
#define PRIVS_DEFAULT_USER "nasoone"
/* ...else this one. */
#define PRIVS_FALLBACK_USER "nobody"

struct privs_request {
	const char *user;	 /* NULL: the default user (root) or the current one */
	bool keep_net_admin;	 /* the netlink TC fallback detaches with CAP_NET_ADMIN */
	bool keep_bpf;		 /* kernels before 6.5 check CAP_BPF on map operations too */
	const char *report_dir;	 /* the directory the report is renamed into, or NULL */
	const char *report_file; /* a FIFO or device reopened for the final report, or NULL */
};

/* Before Linux 6.5 the bpf() syscall itself wants CAP_BPF when unprivileged BPF is off. */
bool privs_bpf_needs_cap(void);

/*
 * Drop. 0 with a summary ("uid 65534 (nobody), gid 65534, capabilities:
 * none"); -EPERM/-ENOENT/-EACCES with err set and nothing changed when the
 * named user does not exist or cannot write report_dir (or report_file). With the default
 * user and an unwritable report_dir the uid stays 0 (capabilities still
 * go), and the summary says why.
 */
int privs_drop(const struct privs_request *r, char *summary, size_t len, char *err, size_t errlen);

#endif /* NASOONE_PRIVS_H */
