/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The capture pipeline: a reader thread that reads, filters and parses
 * every frame (in capture order, which fragment attribution needs) -- or,
 * on the eBPF path, one drain thread per CPU and one for the overflow
 * ring -- N counter threads that each own a shard of the flow table, and a
 * writer thread that rewrites the report every interval. Batches travel through
 * bounded queues: no lock and no allocation per packet.
 */
#ifndef NASOONE_PIPELINE_H
#define NASOONE_PIPELINE_H

#include <stdbool.h>
#include <stddef.h>

#include "nasoone.h"
#include "capture/source.h"

struct pipeline;

struct bpf_src;

struct pipeline_config {
	struct source *src;	     /* pcap path: the source; eBPF: the file to replay, or NULL */
	struct bpf_src *bpf;	     /* the eBPF path, or NULL */
	unsigned int threads;	     /* counter threads, 0: choose_counters() in pipeline.c */
	unsigned int cpus;	     /* CPUs to plan the threads for, 0: those it may run on */
	unsigned int interval_s;     /* snapshot period for the consumers */
	unsigned int drain_ms;	     /* eBPF drain period, 0: half the interval */
	bool live;		     /* expiry and rotation on the wall clock */
	uint64_t idle_ms, active_ms; /* expiry, 0: never */
	uint64_t max_flows;	     /* rows in memory before a flush, 0: no cap */
	uint64_t rotation_ms;	     /* flush period, 0: none */
	const struct nasoone_consumer *consumers;
	unsigned int nconsumers;
	/* pcap path: every counted packet, on the reader thread (nasoone_set_packet_callback()). */
	void (*on_packet)(const struct nasoone_packet *packet, void *ctx);
	void *packet_ctx;
};

/* Start the threads; the pipeline owns the sources from now on, even on failure. */
int pipeline_start(struct pipeline **out, const struct pipeline_config *cfg);
void pipeline_set_paused(struct pipeline *p, bool paused);
/* 0 once the source is exhausted and everything is counted, else -ETIMEDOUT. */
int pipeline_wait(struct pipeline *p, int timeout_ms);
bool pipeline_finished(struct pipeline *p);
/* Join every thread, end every row and close the consumers; 0 or -errno. */
int pipeline_stop(struct pipeline *p);
/* A snapshot of the live rows while counting goes on; 0 or -ENOMEM. */
int pipeline_snapshot(struct pipeline *p, struct nasoone_snapshot **out);
void pipeline_snapshot_free(struct nasoone_snapshot *snap);
/* Ask the consumer thread to end every row now. */
void pipeline_flush(struct pipeline *p);
/* After pipeline_stop(): free the tables and the source, keep the statistics. */
void pipeline_release(struct pipeline *p);
void pipeline_stats(struct pipeline *p, struct nasoone_stats *stats);
void pipeline_progress(struct pipeline *p, struct nasoone_progress *progress);
uint64_t pipeline_counted(struct pipeline *p);
/* Counter threads (shards of the table) running: the ones asked, or fewer reading a file. */
unsigned int pipeline_counters(const struct pipeline *p);
/* The reading error (-EBADMSG damaged file, -EIO capture failed, -ENOMEM) or 0, and its text. */
int pipeline_error(struct pipeline *p, const char **message);
void pipeline_free(struct pipeline *p);

#endif /* NASOONE_PIPELINE_H */
