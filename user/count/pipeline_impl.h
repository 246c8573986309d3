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
#define SWEEP_STEP    8192 /* rows a counter sweeps between two batches: ~0.1 ms */
#define MAX_CONSUMERS 16

struct batch {
	unsigned int count;
	struct flow_row rows[BATCH_ROWS];
};

/*
 * A bounded FIFO of batch pointers; NULL is the end-of-stream marker. A
 * kick wakes a waiting pop without an item (a sweep was requested).
 */
struct queue {
	pthread_mutex_t lock;
	pthread_cond_t changed;
	struct batch *items[QUEUE_BATCHES + 1];
	unsigned int head, count;
	bool kicked;
	unsigned int wake_at; /* queue_push_full() wakes a waiting pop from this many items */
};

/* What a sweep of the counters does: one of these. */
#define SWEEP_SNAPSHOT 0x1 /* copy every row */
#define SWEEP_EXPIRE   0x2 /* end the rows past the idle or active timeout */
#define SWEEP_FLUSH    0x4 /* end every row */
#define SWEEP_CHANGES  0x8 /* copy the rows changed since the last such sweep (alone) */

/* One counter's share of a sweep. */
struct sweep_part {
	/*
	 * SNAPSHOT: rows 0 .. region-1 of the table are copied to the sweep's
	 * one array at base + index, rows that appear during the sweep to
	 * rows[index - region]. FLUSH: row i is copied to rows[i]. CHANGES:
	 * the changed rows, packed in rows.
	 */
	size_t base, region;
	struct flow_row *rows;
	size_t nrows, rows_cap;
	struct flow_row *ended; /* rows that left the table, end reason set */
	size_t nended, ended_cap;
	int err; /* -ENOMEM: the copy is incomplete */
};

/*
 * A request to every counter, carried out by each between its batches in
 * steps of SWEEP_STEP rows. Rows below a counter's cursor keep their
 * place while it sweeps, so a batch folded meanwhile is written through
 * to their copies: each counter's share is consistent at its last step.
 */
struct sweep {
	unsigned int kind;
	uint8_t flush_reason; /* NASOONE_END_FORCED or NASOONE_END_EVICTED */
	uint64_t now_ms;      /* expiry clock; 0: each counter's own (a file's capture time) */
	uint64_t idle_ms, active_ms;
	struct flow_row *snap; /* SNAPSHOT: every counter's region, one after the other */
	size_t snap_rows;      /* the regions' total */
	unsigned int done;     /* counters finished, under the pipeline's lock */
	struct sweep_part parts[MAX_COUNTERS];
};

struct counter {
	pthread_t thread;
	bool started;
	bool exited; /* under the pipeline's lock: sweeps are then done by the requester */
	unsigned int index;
	struct pipeline *pipeline;
	struct queue full;	       /* reader -> counter */
	struct queue free;	       /* counter -> reader */
	struct flowtab *table;	       /* owned by the counter thread while it runs */
	atomic_size_t rows;	       /* flowtab_size(table), readable from any thread */
	struct batch *batches;	       /* QUEUE_BATCHES of them */
	struct sweep *_Atomic request; /* set by a requester, taken by the counter */
	struct sweep *sweep;	       /* the one in progress */
	size_t cursor;
	uint64_t clock_ms; /* the latest packet time folded: a capture file's clock */
	atomic_uint_fast64_t stall_max_ns;
	/* With an on_changed consumer: bit i set when row i changed since the last CHANGES sweep.
	 */
	uint64_t *changed;
	size_t changed_words;
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
	struct frag_table *frags;
	unsigned int interval_s;
	unsigned int ncounters;
	struct counter *counters;
	pthread_t reader, dispatcher;
	bool reader_started, dispatcher_started;
	bool live; /* expiry runs on the wall clock */

	/* The consumers and what feeds them (dispatch.c). */
	struct nasoone_consumer consumers[MAX_CONSUMERS];
	unsigned int nconsumers;
	uint64_t idle_ms, active_ms, max_flows, rotation_ms;
	unsigned int changes_ms; /* period of on_changed, 0: no consumer has one */
	void (*on_packet)(const struct nasoone_packet *packet, void *ctx);
	void *packet_ctx;
	pthread_mutex_t sweep_lock; /* one sweep at a time */
	pthread_cond_t sweep_done;
	pthread_cond_t dispatch_wake;
	atomic_bool cap_reached;
	uint64_t flush_tickets, flushes_done; /* under lock: a flush asked for, and carried out */
	pthread_cond_t flushed;
	uint64_t ended_since_flush;	   /* dispatch thread only */
	size_t drained_rows;		   /* the final flush's, since the last trim */
	atomic_uint_fast64_t rows_at_stop; /* live rows when stop began their final flush */
	atomic_bool stopped;
	atomic_uint_fast64_t generation, expired, evicted;

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
/* A full batch: the pop waiting for it is woken only once wake_at batches wait. */
void queue_push_full(struct queue *q, struct batch *b);
struct batch *queue_pop(struct queue *q, bool wait, bool *ok);
void queue_kick(struct queue *q);
void producer_flush(struct producer *pr);
void producer_add(struct producer *pr, const struct flow_row *row);

/* reader.c */
void *reader_main(void *arg);

/* drain.c */
int start_bpf_threads(struct pipeline *p);
void bpf_finish(struct pipeline *p);

/* counter.c */
void *counter_main(void *arg);
/*
 * Run a sweep on every counter and wait for it; sweep_lock held by the
 * caller. Its memory is allocated here, before the counters start: 0 or
 * -ENOMEM (then nothing ran).
 */
int sweep_run(struct pipeline *p, struct sweep *s);
void sweep_release(struct pipeline *p, struct sweep *s);

/* dispatch.c */
/* Ask for a flush and wait until the consumers had it (false: stopping). */
bool pipeline_flush_wait(struct pipeline *p);
void *dispatch_main(void *arg);
/* After the counters ended: every row ends (FORCED), then on_flush and on_close. */
int dispatch_final(struct pipeline *p);
/* The counting clock: wall time live, else the latest packet time counted. */
uint64_t pipeline_clock_ms(struct pipeline *p);

/* pipeline.c */
void set_error(struct pipeline *p, int err, const char *text);
bool wait_while_paused(struct pipeline *p);
void end_counting(struct pipeline *p);

#endif /* NASOONE_PIPELINE_IMPL_H */
