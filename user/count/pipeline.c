/* SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "capture/bpf_src.h"
#include "count/flowtab.h"
#include "capture/frag.h"
#include "nasoone/parse.h"
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
	atomic_uint_fast64_t early_drain; /* a bit per CPU whose map filled up */
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
};

static void queue_init(struct queue *q)
{
	pthread_mutex_init(&q->lock, NULL);
	pthread_cond_init(&q->changed, NULL);
}

static void queue_destroy(struct queue *q)
{
	pthread_mutex_destroy(&q->lock);
	pthread_cond_destroy(&q->changed);
}

static void queue_push(struct queue *q, struct batch *b)
{
	pthread_mutex_lock(&q->lock);
	/* Never full: each queue holds at most every batch of its counter, plus the marker. */
	q->items[(q->head + q->count) % (QUEUE_BATCHES + 1)] = b;
	q->count++;
	pthread_cond_signal(&q->changed);
	pthread_mutex_unlock(&q->lock);
}

/* Pop a batch; when wait is false and the queue is empty, *ok is false. */
static struct batch *queue_pop(struct queue *q, bool wait, bool *ok)
{
	struct batch *b = NULL;

	pthread_mutex_lock(&q->lock);
	while (wait && !q->count)
		pthread_cond_wait(&q->changed, &q->lock);
	*ok = q->count > 0;
	if (*ok) {
		b = q->items[q->head];
		q->head = (q->head + 1) % (QUEUE_BATCHES + 1);
		q->count--;
	}
	pthread_mutex_unlock(&q->lock);
	return b;
}

static int counter_fold(struct counter *c, const struct batch *b)
{
	unsigned int i;
	int err = 0;

	pthread_mutex_lock(&c->table_lock);
	for (i = 0; i < b->count && !err; i++)
		err = flowtab_add(c->table, &b->rows[i]);
	atomic_store_explicit(&c->rows, flowtab_size(c->table), memory_order_relaxed);
	pthread_mutex_unlock(&c->table_lock);
	return err;
}

static void set_error(struct pipeline *p, int err, const char *text)
{
	int none = 0;

	/* The first error wins: it is the cause, later ones are consequences. */
	pthread_mutex_lock(&p->lock);
	if (atomic_compare_exchange_strong(&p->error, &none, err))
		snprintf(p->error_text, sizeof(p->error_text), "%s", text);
	pthread_mutex_unlock(&p->lock);
}

static void *counter_main(void *arg)
{
	struct counter *c = arg;
	struct batch *b;
	bool ok;

	while ((b = queue_pop(&c->full, true, &ok))) {
		if (counter_fold(c, b)) {
			set_error(c->pipeline, -ENOMEM, "out of memory for the flow table");
			atomic_store(&c->pipeline->stop, true);
		}
		b->count = 0;
		queue_push(&c->free, b);
	}
	return NULL;
}

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

static void producer_flush(struct producer *pr)
{
	unsigned int i;

	for (i = 0; i < pr->p->ncounters; i++) {
		if (pr->filling[i] && pr->filling[i]->count) {
			queue_push(&pr->p->counters[i].full, pr->filling[i]);
			pr->filling[i] = NULL;
		}
	}
}

/* Hand a row (one packet, or a drained aggregate) to the counter that owns its key. */
static void producer_add(struct producer *pr, const struct flow_row *row)
{
	struct pipeline *p = pr->p;
	/* High bits pick the shard; the tables index with the low bits. */
	unsigned int shard = (unsigned int)(((uint64_t)row->hash * p->ncounters) >> 32);
	struct batch *b = pr->filling[shard];
	bool ok;

	if (!b) {
		b = queue_pop(&p->counters[shard].free, !pr->may_drop, &ok);
		if (!ok) {
			pr->dropped += row->packets;
			return;
		}
		pr->filling[shard] = b;
	}
	b->rows[b->count++] = *row;
	pr->added += row->packets;
	if (b->count == BATCH_ROWS) {
		queue_push(&p->counters[shard].full, b);
		pr->filling[shard] = NULL;
	}
}

/* Reader-side state, kept on the reader's stack: plain counters, published in bulk. */
struct reader {
	struct pipeline *p;
	struct producer out;
	uint64_t skipped, seen_paused;
	struct timespec last_flush;
};

static void publish(struct reader *r)
{
	struct pipeline *p = r->p;
	struct source_counters sc;
	uint64_t pos, size;

	source_counters(p->src, &sc);
	source_progress(p->src, &pos, &size);
	atomic_store_explicit(&p->received, sc.received, memory_order_relaxed);
	atomic_store_explicit(&p->filtered, sc.filtered, memory_order_relaxed);
	atomic_store_explicit(&p->dropped, sc.dropped + r->out.dropped, memory_order_relaxed);
	atomic_store_explicit(&p->if_dropped, sc.if_dropped, memory_order_relaxed);
	atomic_store_explicit(&p->counted, r->out.added, memory_order_relaxed);
	atomic_store_explicit(&p->skipped, r->skipped, memory_order_relaxed);
	atomic_store_explicit(&p->seen_paused, r->seen_paused, memory_order_relaxed);
	atomic_store_explicit(&p->position, pos, memory_order_relaxed);
	atomic_store_explicit(&p->size, size, memory_order_relaxed);
}

static void flush_partial(struct reader *r)
{
	producer_flush(&r->out);
	clock_gettime(CLOCK_MONOTONIC, &r->last_flush);
}

static void emit(struct reader *r, const struct nn_pkt *pkt, const struct packet *frame)
{
	struct flow_row row;

	row.key = pkt->key;
	row.first_ms = row.last_ms = frame->ts_ms;
	row.bytes = frame->len;
	row.packets = 1;
	row.protos = pkt->l4proto == NN_IPPROTO_TCP ? NN_PROTO_TCP : NN_PROTO_UDP;
	row.hash = row_hash(&pkt->key);
	producer_add(&r->out, &row);
}

/* Parse one frame and hand it to its counter, or count why it is skipped. */
static void account(struct reader *r, const struct packet *frame)
{
	struct nn_pkt pkt;
	int verdict = packet_parse(frame, &pkt);

	if (verdict == NN_FRAGMENT) {
		if (frag_table_lookup(r->p->frags, &pkt, frame->ts_ms)) {
			r->skipped++;
			return;
		}
	} else if (verdict < 0) {
		r->skipped++;
		return;
	} else if (pkt.frag == NN_FRAG_FIRST) {
		frag_table_insert(r->p->frags, &pkt, frame->ts_ms);
	}
	emit(r, &pkt, frame);
}

static bool live_flush_due(struct reader *r)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - r->last_flush.tv_sec) * 1000 +
		       (now.tv_nsec - r->last_flush.tv_nsec) / 1000000 >=
	       LIVE_FLUSH_MS;
}

/* A paused file is simply not read; returns false when stopping. */
static bool wait_while_paused(struct pipeline *p)
{
	pthread_mutex_lock(&p->lock);
	while (atomic_load(&p->paused) && !atomic_load(&p->stop))
		pthread_cond_wait(&p->resumed, &p->lock);
	pthread_mutex_unlock(&p->lock);
	return !atomic_load(&p->stop);
}

/* Every producer is done: let the counters empty their queues, then say so. */
static void end_counting(struct pipeline *p)
{
	unsigned int i;

	for (i = 0; i < p->ncounters; i++)
		queue_push(&p->counters[i].full, NULL);
	for (i = 0; i < p->ncounters; i++) {
		pthread_join(p->counters[i].thread, NULL);
		p->counters[i].started = false;
	}
	pthread_mutex_lock(&p->lock);
	p->finished = true;
	pthread_cond_broadcast(&p->finished_cond);
	pthread_mutex_unlock(&p->lock);
}

static void *reader_main(void *arg)
{
	struct pipeline *p = arg;
	struct reader r = { .p = p, .out = { .p = p, .may_drop = source_is_live(p->src) } };
	bool live = source_is_live(p->src);
	struct packet frame;
	uint64_t since_publish = 0;
	int ret;

	clock_gettime(CLOCK_MONOTONIC, &r.last_flush);
	while (!atomic_load_explicit(&p->stop, memory_order_relaxed)) {
		if (!live && atomic_load_explicit(&p->paused, memory_order_relaxed) &&
		    !wait_while_paused(p))
			break;
		ret = source_next(p->src, &frame);
		if (ret == 1) {
			if (live && atomic_load_explicit(&p->paused, memory_order_relaxed))
				r.seen_paused++;
			else
				account(&r, &frame);
		} else if (ret == -ENODATA) {
			break;
		} else if (ret < 0) {
			set_error(p, ret, source_error(p->src));
			break;
		}
		if (++since_publish >= PUBLISH_EVERY || ret == 0) {
			since_publish = 0;
			publish(&r);
			if (live && live_flush_due(&r))
				flush_partial(&r);
		}
	}
	flush_partial(&r);
	publish(&r);
	end_counting(p);
	return NULL;
}

/* ---- The eBPF path ---- */

static void drained_row(const struct flow_row *row, void *ctx)
{
	producer_add(ctx, row);
}

/* The kernel's counters, for nasoone_get_packets() and the statistics. */
static void publish_bpf(struct pipeline *p)
{
	struct nasoone_stats s;

	memset(&s, 0, sizeof(s));
	bpf_src_stats(p->bpf, &s);
	atomic_store_explicit(&p->received, s.received, memory_order_relaxed);
	atomic_store_explicit(&p->counted, s.counted, memory_order_relaxed);
	atomic_store_explicit(&p->skipped, s.skipped, memory_order_relaxed);
	atomic_store_explicit(&p->filtered, s.filtered, memory_order_relaxed);
	atomic_store_explicit(&p->seen_paused, s.paused, memory_order_relaxed);
	atomic_store_explicit(&p->overflow, s.overflow, memory_order_relaxed);
	atomic_store_explicit(&p->unattributed, s.unattributed, memory_order_relaxed);
}

/*
 * One per CPU: swap that CPU's map and merge the retired one, every
 * drain period, at once when the map overflowed, and a last time when
 * stopping (after the programs were detached or the replay ended).
 */
static void *drainer_main(void *arg)
{
	struct drainer *d = arg;
	struct pipeline *p = d->pipeline;
	uint64_t bit = d->cpu < 64 ? 1ull << d->cpu : 0;
	struct timespec deadline;
	bool last;
	int err;

	do {
		pthread_mutex_lock(&p->lock);
		clock_gettime(CLOCK_REALTIME, &deadline);
		deadline.tv_sec += p->drain_ms / 1000;
		deadline.tv_nsec += (long)(p->drain_ms % 1000) * 1000000;
		if (deadline.tv_nsec >= 1000000000) {
			deadline.tv_sec++;
			deadline.tv_nsec -= 1000000000;
		}
		while (!atomic_load(&p->drain_stop) && !(atomic_load(&p->early_drain) & bit) &&
		       pthread_cond_timedwait(&p->drain_wake, &p->lock, &deadline) != ETIMEDOUT)
			;
		atomic_fetch_and(&p->early_drain, ~bit);
		last = atomic_load(&p->drain_stop);
		pthread_mutex_unlock(&p->lock);

		err = bpf_src_drain(p->bpf, d->cpu, drained_row, d->out);
		producer_flush(d->out);
		if (err) {
			set_error(p, err, "cannot drain an eBPF flow map");
			break;
		}
		if (d->cpu == 0)
			publish_bpf(p);
	} while (!last);
	return NULL;
}

/* Packets that found their CPU's map full: count them, and drain that CPU early. */
static void *ring_main(void *arg)
{
	struct pipeline *p = arg;
	uint64_t full;

	while (!atomic_load(&p->ring_stop)) {
		full = 0;
		if (bpf_src_poll_ring(p->bpf, 100, drained_row, p->ring_out, &full) < 0)
			break;
		producer_flush(p->ring_out);
		if (full) {
			pthread_mutex_lock(&p->lock);
			atomic_fetch_or(&p->early_drain, full);
			pthread_cond_broadcast(&p->drain_wake);
			pthread_mutex_unlock(&p->lock);
		}
	}
	return NULL;
}

/*
 * The end of the eBPF path, once no packet can arrive any more: a last
 * drain of every CPU, the rest of the ring, then the counters finish.
 */
static void bpf_finish(struct pipeline *p)
{
	unsigned int i;
	uint64_t full = 0;

	pthread_mutex_lock(&p->lock);
	atomic_store(&p->drain_stop, true);
	pthread_cond_broadcast(&p->drain_wake);
	pthread_mutex_unlock(&p->lock);
	for (i = 0; i < p->drainers_started; i++)
		pthread_join(p->drainers[i].thread, NULL);
	p->drainers_started = 0;
	atomic_store(&p->ring_stop, true);
	if (p->ring_started)
		pthread_join(p->ring_thread, NULL);
	p->ring_started = false;
	while (bpf_src_poll_ring(p->bpf, 0, drained_row, p->ring_out, &full) > 0)
		;
	producer_flush(p->ring_out);
	publish_bpf(p);
	end_counting(p);
}

/* `-r FILE --mode xdp|tc`: every frame of the file through the real program. */
static void *replay_main(void *arg)
{
	struct pipeline *p = arg;
	struct packet frame;
	uint64_t pos, size, n = 0;
	int ret;

	while (!atomic_load_explicit(&p->stop, memory_order_relaxed)) {
		if (atomic_load_explicit(&p->paused, memory_order_relaxed) && !wait_while_paused(p))
			break;
		ret = source_next(p->src, &frame);
		if (ret == -ENODATA)
			break;
		if (ret < 0) {
			set_error(p, ret, source_error(p->src));
			break;
		}
		ret = bpf_src_replay(p->bpf, &frame);
		if (ret) {
			char text[160];

			snprintf(text, sizeof(text),
				 "BPF_PROG_TEST_RUN failed on frame %llu of the capture: %s",
				 (unsigned long long)n + 1, strerror(-ret));
			set_error(p, ret, text);
			break;
		}
		if (++n % PUBLISH_EVERY == 0) {
			source_progress(p->src, &pos, &size);
			atomic_store_explicit(&p->position, pos, memory_order_relaxed);
		}
	}
	source_progress(p->src, &pos, &size);
	atomic_store_explicit(&p->position, pos, memory_order_relaxed);
	bpf_finish(p);
	return NULL;
}

static int start_bpf_threads(struct pipeline *p)
{
	unsigned int i;

	p->ndrainers = bpf_src_ncpus(p->bpf);
	p->drainers = calloc(p->ndrainers, sizeof(*p->drainers));
	p->ring_out = calloc(p->ndrainers + 1, sizeof(*p->ring_out));
	if (!p->drainers || !p->ring_out)
		return -ENOMEM;
	/* ring_out[0] is the ring thread's producer, ring_out[1 + cpu] the drainers'. */
	for (i = 0; i <= p->ndrainers; i++)
		p->ring_out[i].p = p;
	for (i = 0; i < p->ndrainers; i++) {
		p->drainers[i].pipeline = p;
		p->drainers[i].cpu = i;
		p->drainers[i].out = &p->ring_out[1 + i];
		if (pthread_create(&p->drainers[i].thread, NULL, drainer_main, &p->drainers[i]))
			return -EAGAIN;
		p->drainers_started++;
	}
	if (pthread_create(&p->ring_thread, NULL, ring_main, p))
		return -EAGAIN;
	p->ring_started = true;
	if (p->src) {
		if (pthread_create(&p->reader, NULL, replay_main, p))
			return -EAGAIN;
		p->reader_started = true;
	}
	return 0;
}

/*
 * Write the report from every shard. The shards' locks are held while the
 * rows are sorted and written, so the rows cannot change underneath; the
 * counter threads wait meanwhile (and the bounded queues make the reader wait).
 */
static int write_report(struct pipeline *p, bool final)
{
	const struct flow_row **rows;
	size_t total = 0, n = 0, i, j;
	int err;

	for (i = 0; i < p->ncounters; i++) {
		pthread_mutex_lock(&p->counters[i].table_lock);
		total += flowtab_size(p->counters[i].table);
	}
	rows = malloc((total ? total : 1) * sizeof(*rows));
	if (!rows) {
		err = -ENOMEM;
		goto unlock;
	}
	for (i = 0; i < p->ncounters; i++)
		for (j = 0; j < flowtab_size(p->counters[i].table); j++)
			rows[n++] = flowtab_row(p->counters[i].table, j);
	report_sort(rows, n);
	err = report_output_write(p->report, rows, n, final);
	free(rows);
unlock:
	for (i = 0; i < p->ncounters; i++)
		pthread_mutex_unlock(&p->counters[i].table_lock);
	return err;
}

static void *writer_main(void *arg)
{
	struct pipeline *p = arg;
	struct timespec deadline;
	char text[128];
	int err;

	pthread_mutex_lock(&p->lock);
	while (!atomic_load(&p->stop)) {
		clock_gettime(CLOCK_REALTIME, &deadline);
		deadline.tv_sec += p->interval_s;
		while (!atomic_load(&p->stop) &&
		       pthread_cond_timedwait(&p->writer_wake, &p->lock, &deadline) != ETIMEDOUT)
			;
		if (atomic_load(&p->stop))
			break;
		pthread_mutex_unlock(&p->lock);
		err = write_report(p, false);
		if (err) {
			snprintf(text, sizeof(text), "cannot write the report: %s", strerror(-err));
			set_error(p, err, text);
		}
		pthread_mutex_lock(&p->lock);
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

void pipeline_free(struct pipeline *p)
{
	unsigned int i;

	if (!p)
		return;
	for (i = 0; p->counters && i < p->ncounters; i++) {
		struct counter *c = &p->counters[i];

		queue_destroy(&c->full);
		queue_destroy(&c->free);
		pthread_mutex_destroy(&c->table_lock);
		flowtab_free(c->table);
		free(c->batches);
	}
	free(p->counters);
	free(p->drainers);
	free(p->ring_out);
	frag_table_free(p->frags);
	source_close(p->src);
	bpf_src_close(p->bpf);
	pthread_mutex_destroy(&p->lock);
	pthread_cond_destroy(&p->drain_wake);
	pthread_cond_destroy(&p->resumed);
	pthread_cond_destroy(&p->finished_cond);
	pthread_cond_destroy(&p->writer_wake);
	free(p);
}

static int counter_init(struct pipeline *p, struct counter *c)
{
	unsigned int i;

	c->pipeline = p;
	queue_init(&c->full);
	queue_init(&c->free);
	pthread_mutex_init(&c->table_lock, NULL);
	c->table = flowtab_new();
	c->batches = calloc(QUEUE_BATCHES, sizeof(*c->batches));
	if (!c->table || !c->batches)
		return -ENOMEM;
	for (i = 0; i < QUEUE_BATCHES; i++)
		queue_push(&c->free, &c->batches[i]);
	return 0;
}

/* Stop whatever threads were started, when the start cannot complete. */
static void abort_start(struct pipeline *p)
{
	unsigned int i;

	atomic_store(&p->stop, true);
	atomic_store(&p->drain_stop, true);
	atomic_store(&p->ring_stop, true);
	pthread_mutex_lock(&p->lock);
	pthread_cond_broadcast(&p->writer_wake);
	pthread_cond_broadcast(&p->drain_wake);
	pthread_mutex_unlock(&p->lock);
	if (p->reader_started)
		pthread_join(p->reader, NULL);
	if (p->writer_started)
		pthread_join(p->writer, NULL);
	for (i = 0; i < p->drainers_started; i++)
		pthread_join(p->drainers[i].thread, NULL);
	if (p->ring_started)
		pthread_join(p->ring_thread, NULL);
	p->reader_started = p->writer_started = p->ring_started = false;
	p->drainers_started = 0;
	for (i = 0; i < p->ncounters; i++) {
		if (!p->counters[i].started)
			continue;
		queue_push(&p->counters[i].full, NULL);
		pthread_join(p->counters[i].thread, NULL);
		p->counters[i].started = false;
	}
}

int pipeline_start(struct pipeline **out, const struct pipeline_config *cfg)
{
	struct pipeline *p = calloc(1, sizeof(*p));
	uint64_t position = 0, size = 0;
	unsigned int i;
	int err = -ENOMEM;

	*out = NULL;
	if (!p) {
		source_close(cfg->src);
		bpf_src_close(cfg->bpf);
		return -ENOMEM;
	}
	p->src = cfg->src;
	p->bpf = cfg->bpf;
	p->report = cfg->report;
	/* Known before the first packet, so progress is right from the start. */
	if (p->src)
		source_progress(p->src, &position, &size);
	atomic_store(&p->size, size);
	p->interval_s = cfg->interval_s;
	p->drain_ms = cfg->drain_ms ? cfg->drain_ms : cfg->interval_s * 500;
	p->ncounters = cfg->threads < 1		     ? 1
		       : cfg->threads > MAX_COUNTERS ? MAX_COUNTERS
						     : cfg->threads;
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->resumed, NULL);
	pthread_cond_init(&p->finished_cond, NULL);
	pthread_cond_init(&p->writer_wake, NULL);
	pthread_cond_init(&p->drain_wake, NULL);
	p->frags = frag_table_new();
	p->counters = calloc(p->ncounters, sizeof(*p->counters));
	if (!p->frags || !p->counters)
		goto fail;
	for (i = 0; i < p->ncounters; i++)
		if (counter_init(p, &p->counters[i]))
			goto fail;

	err = -EAGAIN;
	for (i = 0; i < p->ncounters; i++) {
		if (pthread_create(&p->counters[i].thread, NULL, counter_main, &p->counters[i]))
			goto fail_threads;
		p->counters[i].started = true;
	}
	if (pthread_create(&p->writer, NULL, writer_main, p))
		goto fail_threads;
	p->writer_started = true;
	if (p->bpf) {
		err = start_bpf_threads(p);
		if (err)
			goto fail_threads;
	} else {
		if (pthread_create(&p->reader, NULL, reader_main, p))
			goto fail_threads;
		p->reader_started = true;
	}
	*out = p;
	return 0;

fail_threads:
	abort_start(p);
fail:
	pipeline_free(p);
	return err;
}

void pipeline_set_paused(struct pipeline *p, bool paused)
{
	pthread_mutex_lock(&p->lock);
	atomic_store(&p->paused, paused);
	if (p->bpf)
		bpf_src_set_paused(p->bpf, paused);
	pthread_cond_broadcast(&p->resumed);
	pthread_mutex_unlock(&p->lock);
}

int pipeline_wait(struct pipeline *p, int timeout_ms)
{
	struct timespec deadline;
	int ret = 0;

	clock_gettime(CLOCK_REALTIME, &deadline);
	if (timeout_ms > 0) {
		deadline.tv_sec += timeout_ms / 1000;
		deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000;
		if (deadline.tv_nsec >= 1000000000) {
			deadline.tv_sec++;
			deadline.tv_nsec -= 1000000000;
		}
	}
	pthread_mutex_lock(&p->lock);
	while (!p->finished && ret != ETIMEDOUT) {
		if (timeout_ms < 0)
			pthread_cond_wait(&p->finished_cond, &p->lock);
		else
			ret = pthread_cond_timedwait(&p->finished_cond, &p->lock, &deadline);
	}
	ret = p->finished ? 0 : -ETIMEDOUT;
	pthread_mutex_unlock(&p->lock);
	return ret;
}

bool pipeline_finished(struct pipeline *p)
{
	bool finished;

	pthread_mutex_lock(&p->lock);
	finished = p->finished;
	pthread_mutex_unlock(&p->lock);
	return finished;
}

int pipeline_stop(struct pipeline *p)
{
	bool finished;

	pthread_mutex_lock(&p->lock);
	atomic_store(&p->stop, true);
	pthread_cond_broadcast(&p->resumed);
	pthread_cond_broadcast(&p->writer_wake);
	finished = p->finished;
	pthread_mutex_unlock(&p->lock);
	if (p->bpf && !p->src) {
		/* Live eBPF: detach first, so that the last drains leave nothing behind. */
		bpf_src_detach(p->bpf);
		if (!finished)
			bpf_finish(p);
	}
	if (p->reader_started)
		pthread_join(p->reader, NULL);
	if (p->writer_started)
		pthread_join(p->writer, NULL);
	p->reader_started = p->writer_started = false;
	return write_report(p, true);
}

void pipeline_release(struct pipeline *p)
{
	unsigned int i;

	/* The counters and statistics stay readable; the tables are no longer needed. */
	for (i = 0; i < p->ncounters; i++) {
		flowtab_free(p->counters[i].table);
		p->counters[i].table = NULL;
		free(p->counters[i].batches);
		p->counters[i].batches = NULL;
	}
	frag_table_free(p->frags);
	p->frags = NULL;
	source_close(p->src);
	p->src = NULL;
	bpf_src_close(p->bpf);
	p->bpf = NULL;
}

void pipeline_stats(struct pipeline *p, struct nasoone_stats *s)
{
	unsigned int i;

	memset(s, 0, sizeof(*s));
	s->received = atomic_load(&p->received);
	s->dropped = atomic_load(&p->dropped);
	s->if_dropped = atomic_load(&p->if_dropped);
	s->counted = atomic_load(&p->counted);
	s->skipped = atomic_load(&p->skipped);
	s->filtered = atomic_load(&p->filtered);
	s->paused = atomic_load(&p->seen_paused);
	if (p->bpf) {
		/* Fresh from the kernel while it runs; the published figures once stopped. */
		bpf_src_stats(p->bpf, s);
	}
	for (i = 0; i < p->ncounters; i++)
		s->rows += atomic_load_explicit(&p->counters[i].rows, memory_order_relaxed);
}

void pipeline_progress(struct pipeline *p, struct nasoone_progress *progress)
{
	struct nasoone_stats s;

	pipeline_stats(p, &s);
	progress->input_bytes = atomic_load(&p->position);
	progress->input_size = atomic_load(&p->size);
	progress->received = s.received;
	progress->rows = s.rows;
}

uint64_t pipeline_counted(struct pipeline *p)
{
	return atomic_load_explicit(&p->counted, memory_order_relaxed);
}

int pipeline_error(struct pipeline *p, const char **message)
{
	int err;

	pthread_mutex_lock(&p->lock);
	err = atomic_load(&p->error);
	*message = p->error_text;
	pthread_mutex_unlock(&p->lock);
	return err;
}
