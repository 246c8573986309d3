/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Inside the public API (api/): the handle every nasoone_* call takes,
 * and the helpers its files share -- api.c (lifecycle, the capture path,
 * statistics, errors), settings.c (the setters), flows.c (snapshots and
 * consumers). Nothing outside api/ includes this.
 */
#ifndef NASOONE_API_HANDLE_H
#define NASOONE_API_HANDLE_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "nasoone.h"
#include "output/report.h"

struct pipeline;
struct source;
struct report_writer;

#define DEFAULT_INTERVAL   10
#define MAX_THREADS	   64
#define MAX_USER_CONSUMERS 15 /* and the report */

/*
 * Expiry and the cap on an interface, where a run lasts days: nfpcapd's
 * timeouts (a minute idle, five minutes active), and a million rows --
 * about 100 MB of live rows and as much for the report's period. A file
 * needs none: its report is cumulative and the file bounds it.
 */
#define LIVE_IDLE_S    60
#define LIVE_ACTIVE_S  300
#define LIVE_MAX_FLOWS 1000000

struct nasoone {
	pthread_mutex_t lock;
	enum nasoone_state state;
	char *device;
	char *file;
	char *filter;
	unsigned int interval_s;
	unsigned int threads;
	bool overwrite;
	enum nasoone_mode mode;
	uint32_t bpf_flows, bpf_ring;
	unsigned int drain_ms;
	bool expiry_set, max_flows_set;
	unsigned int idle_s, active_s, rotation_s;
	uint64_t max_flows;
	void (*on_packet)(const struct nasoone_packet *packet,
			  void *ctx); /* see set_packet_callback */
	void *packet_ctx;
	struct nasoone_consumer consumers[MAX_USER_CONSUMERS + 1]; /* [0]: the report */
	unsigned int nconsumers;				   /* the user's */
	struct report_writer *writer;
	bool no_promisc;       /* -p */
	size_t buffer_bytes;   /* -B, libpcap only; 0: its default */
	uint64_t packet_limit; /* -c, 0: none */
	int promisc_fd;	       /* eBPF: the socket holding the interface promiscuous, or -1 */
	bool drop_privs;       /* drop to user (NULL: the default) once opened */
	char *user;
	char privileges[768]; /* what the drop left, "" when none was asked */
	char path[1536];      /* which capture path runs, and why */
	struct report_output output;
	struct pipeline *_Atomic pipeline; /* set at start, freed by nasoone_free() */
	struct source *file_src; /* the libpcap source (file or live), from start to stop */
	struct nasoone_stats final_stats;
	char last_error[1024];
};

/* The first line of the last failure into n->last_error; returns code. */
__attribute__((format(printf, 3, 4))) int api_fail(struct nasoone *n, int code, const char *fmt,
						   ...);
/* The state, with RUNNING turned into FINISHED once the file is exhausted. Lock held. */
enum nasoone_state api_state(struct nasoone *n);
/* NASOONE_ESTATE with a line naming call and the state. Lock held. */
int api_wrong_state(struct nasoone *n, const char *call);
/* Replace *slot by a copy of value. */
int api_set_string(struct nasoone *n, char **slot, const char *value);
/* Lock n and check it is INITIAL (0), else unlock and return the error: every setter's start. */
int api_lock_initial(struct nasoone *n, const char *call);
/* Unlock n and return ret. */
int api_unlock(struct nasoone *n, int ret);

#endif /* NASOONE_API_HANDLE_H */
