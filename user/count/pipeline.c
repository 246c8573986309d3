/* SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "capture/bpf_src.h"
#include "count/pipeline_impl.h"

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

void set_error(struct pipeline *p, int err, const char *text)
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

/* A paused file is simply not read; returns false when stopping. */
bool wait_while_paused(struct pipeline *p)
{
	pthread_mutex_lock(&p->lock);
	while (atomic_load(&p->paused) && !atomic_load(&p->stop))
		pthread_cond_wait(&p->resumed, &p->lock);
	pthread_mutex_unlock(&p->lock);
	return !atomic_load(&p->stop);
}

/* Every producer is done: let the counters empty their queues, then say so. */
void end_counting(struct pipeline *p)
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
