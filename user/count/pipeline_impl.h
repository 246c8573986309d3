/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Inside the pipeline (count/): the types its threads share and the calls
 * between its files -- handoff.c (bounded queues of row batches and the
 * producers that fill them), reader.c (the libpcap reader thread), drain.c
 * (the eBPF drain, ring and replay threads) and pipeline.c (counters,
 * lifecycle). Nothing outside count/ includes this.
 */
#ifndef NASOONE_PIPELINE_IMPL_H
#define NASOONE_PIPELINE_IMPL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "capture/frag.h"
#include "capture/source.h"
#include "count/flowtab.h"
#include "count/pipeline.h"

#define BATCH_ROWS    4096 /* few hand-overs: waking a sleeping thread costs more than a batch */
#define QUEUE_BATCHES 8	   /* per counter thread: bounds memory and the reader's lead */
#define LIVE_FLUSH_MS 200  /* a quiet live capture still reaches the tables this often */
#define PUBLISH_EVERY 4096
#define MAX_COUNTERS  64

struct batch {
	unsigned int count;
	struct flow_row rows[BATCH_ROWS];
};

/* A bounded FIFO of batch pointers; NULL is the end-of-stream marker. */
struct queue {
	pthread_mutex_t lock;
	pthread_cond_t changed;
	struct batch *items[QUEUE_BATCHES + 1];
	unsigned int head, count;
};

struct counter {
	pthread_t thread;
	bool started;
	struct pipeline *pipeline;
	struct queue full;	    /* reader -> counter */
	struct queue free;	    /* counter -> reader */
	struct batch *filling;	    /* owned by the reader */
	pthread_mutex_t table_lock; /* held per batch, and by the writer while it reads */
	struct flowtab *table;
	atomic_size_t rows;    /* flowtab_size(table), readable without the lock */
	struct batch *batches; /* QUEUE_BATCHES of them */
};

struct drainer {
	pthread_t thread;
	struct pipeline *pipeline;
	unsigned int cpu;
	struct producer *out;
};

/*
 * A thread that feeds the counters: the reader, or an eBPF drain thread.
 * It fills one batch per counter thread at a time and hands it over full.
 */
struct producer {
	struct pipeline *p;
	bool may_drop; /* live capture: a full queue drops instead of waiting */
	uint64_t added, dropped;
	struct batch *filling[MAX_COUNTERS];
};

struct pipeline {
	struct source *src;  /* the file or interface (pcap path), the file to replay (eBPF) */
	struct bpf_src *bpf; /* the eBPF path, or NULL */
	struct report_output *report;
	struct frag_table *frags;
	unsigned int interval_s;
	unsigned int ncounters;
	struct counter *counters;
	pthread_t reader, writer;
	bool reader_started, writer_started;

	/* eBPF path: one drain thread per CPU, and one for the overflow ring. */
	struct drainer *drainers;
	unsigned int ndrainers, drainers_started;
	pthread_t ring_thread;
	bool ring_started;
	struct producer *ring_out;
	unsigned int drain_ms;
	atomic_bool drain_stop, ring_stop;
	pthread_cond_t drain_wake;
	atomic_uint_fast64_t overflow, unattributed;

	atomic_bool stop;
	atomic_bool paused;
	pthread_mutex_t lock;	/* guards the condition variables below */
	pthread_cond_t resumed; /* pause ends or stop */
	pthread_cond_t finished_cond;
	pthread_cond_t writer_wake;
	bool finished;

	/* Published by the reader every PUBLISH_EVERY frames and at the end. */
	atomic_uint_fast64_t received, counted, skipped, filtered, seen_paused, dropped, if_dropped,
		position, size;
	atomic_int error;
	char error_text[768];

	/*
	 * eBPF path (drain.c): a bit per possible CPU whose map filled up
	 * (cpumask_words(ndrainers) words), allocated with drainers[].
	 */
	_Atomic uint64_t *early_drain_mask;
};

/* handoff.c */
void queue_init(struct queue *q);
void queue_destroy(struct queue *q);
void queue_push(struct queue *q, struct batch *b);
struct batch *queue_pop(struct queue *q, bool wait, bool *ok);
void producer_flush(struct producer *pr);
void producer_add(struct producer *pr, const struct flow_row *row);

/* reader.c */
void *reader_main(void *arg);

/* drain.c */
int start_bpf_threads(struct pipeline *p);
void bpf_finish(struct pipeline *p);

/* pipeline.c */
void set_error(struct pipeline *p, int err, const char *text);
bool wait_while_paused(struct pipeline *p);
void end_counting(struct pipeline *p);

#endif /* NASOONE_PIPELINE_IMPL_H */
