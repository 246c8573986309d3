/* SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <sched.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "capture/bpf_src.h"
#include "count/pipeline_impl.h"

void set_error(struct pipeline *p, int err, const char *text)
{
	int none = 0;

	/* The first error wins: it is the cause, later ones are consequences. */
	pthread_mutex_lock(&p->lock);
	if (atomic_compare_exchange_strong(&p->error, &none, err))
		snprintf(p->error_text, sizeof(p->error_text), "%s", text);
	pthread_mutex_unlock(&p->lock);
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

void pipeline_free(struct pipeline *p)
{
	unsigned int i;

	if (!p)
		return;
	for (i = 0; p->counters && i < p->ncounters; i++) {
		struct counter *c = &p->counters[i];

		queue_destroy(&c->full);
		queue_destroy(&c->free);
		flowtab_free(c->table);
		free(c->batches);
		free(c->changed);
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
	pthread_cond_destroy(&p->dispatch_wake);
	pthread_cond_destroy(&p->sweep_done);
	pthread_cond_destroy(&p->flushed);
	pthread_mutex_destroy(&p->sweep_lock);
	free(p);
}

static int counter_init(struct pipeline *p, struct counter *c)
{
	unsigned int i;

	c->pipeline = p;
	c->index = (unsigned int)(c - p->counters);
	queue_init(&c->full);
	queue_init(&c->free);
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
	pthread_cond_broadcast(&p->dispatch_wake);
	pthread_cond_broadcast(&p->drain_wake);
	pthread_mutex_unlock(&p->lock);
	if (p->reader_started)
		pthread_join(p->reader, NULL);
	if (p->dispatcher_started)
		pthread_join(p->dispatcher, NULL);
	for (i = 0; i < p->drainers_started; i++)
		pthread_join(p->drainers[i].thread, NULL);
	if (p->ring_started)
		pthread_join(p->ring_thread, NULL);
	p->reader_started = p->dispatcher_started = p->ring_started = false;
	p->drainers_started = 0;
	for (i = 0; i < p->ncounters; i++) {
		if (!p->counters[i].started)
			continue;
		queue_push(&p->counters[i].full, NULL);
		pthread_join(p->counters[i].thread, NULL);
		p->counters[i].started = false;
	}
}

/* The CPUs this process may run on. */
static unsigned int usable_cpus(void)
{
	cpu_set_t set;
	int n = 0;

	if (!sched_getaffinity(0, sizeof(set), &set))
		n = CPU_COUNT(&set);
	return n > 0 ? (unsigned int)n : 1;
}

/*
 * Counter threads, each with its own shard of the table. The eBPF path:
 * one per online CPU by default, as asked otherwise (its drains mostly
 * sleep). Live on libpcap: as asked, one per CPU besides the reader's by
 * default. Reading a file, the reader and every counter are busy all
 * along, so counters never outnumber the CPUs left besides the reader's
 * (at least one): more would only take turns on those CPUs, and a shard
 * more costs a table and its batches even on a thread of its own (-j 2
 * was 3-8 % slower than -j 1 on 2 CPUs, with more memory).
 */
static unsigned int choose_counters(const struct pipeline_config *cfg)
{
	long online = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned int cpus = cfg->cpus ? cfg->cpus : usable_cpus(), spare = cpus > 2 ? cpus - 1 : 1;
	bool file = cfg->src && !cfg->bpf && !source_is_live(cfg->src);
	unsigned int n;

	if (cfg->threads)
		n = file && cfg->threads > spare ? spare : cfg->threads;
	else
		n = cfg->bpf ? (online > 0 ? (unsigned int)online : 1) : spare;
	return n < MAX_COUNTERS ? n : MAX_COUNTERS;
}

unsigned int pipeline_counters(const struct pipeline *p)
{
	return p->ncounters;
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
	p->live = cfg->live;
	p->idle_ms = cfg->idle_ms;
	p->active_ms = cfg->active_ms;
	p->max_flows = cfg->max_flows;
	p->rotation_ms = cfg->rotation_ms;
	p->on_packet = cfg->on_packet;
	p->packet_ctx = cfg->packet_ctx;
	p->nconsumers = cfg->nconsumers < MAX_CONSUMERS ? cfg->nconsumers : MAX_CONSUMERS;
	if (p->nconsumers)
		memcpy(p->consumers, cfg->consumers, p->nconsumers * sizeof(p->consumers[0]));
	for (i = 0; i < p->nconsumers; i++) {
		unsigned int ms = p->consumers[i].changes_ms ? p->consumers[i].changes_ms : 100;

		if (p->consumers[i].on_changed && (!p->changes_ms || ms < p->changes_ms))
			p->changes_ms = ms;
	}
	/* Known before the first packet, so progress is right from the start. */
	if (p->src)
		source_progress(p->src, &position, &size);
	atomic_store(&p->size, size);
	p->interval_s = cfg->interval_s;
	p->drain_ms = cfg->drain_ms ? cfg->drain_ms : cfg->interval_s * 500;
	p->ncounters = choose_counters(cfg);
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->resumed, NULL);
	pthread_cond_init(&p->finished_cond, NULL);
	pthread_cond_init(&p->dispatch_wake, NULL);
	pthread_cond_init(&p->sweep_done, NULL);
	pthread_cond_init(&p->flushed, NULL);
	pthread_mutex_init(&p->sweep_lock, NULL);
	pthread_cond_init(&p->drain_wake, NULL);
	p->frags = frag_table_new();
	p->counters = calloc(p->ncounters, sizeof(*p->counters));
	if (!p->frags || !p->counters)
		goto fail;
	for (i = 0; i < p->ncounters; i++) {
		if (counter_init(p, &p->counters[i]))
			goto fail;
		/* A file: no packet waits for its counter (a live capture's partial batches are
		 * eager). */
		if (p->src && !p->bpf && !source_is_live(p->src))
			p->counters[i].full.wake_at = QUEUE_BATCHES / 2;
	}

	err = -EAGAIN;
	for (i = 0; i < p->ncounters; i++) {
		if (pthread_create(&p->counters[i].thread, NULL, counter_main, &p->counters[i]))
			goto fail_threads;
		p->counters[i].started = true;
	}
	if (pthread_create(&p->dispatcher, NULL, dispatch_main, p))
		goto fail_threads;
	p->dispatcher_started = true;
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
	/*
	 * Live, the program sees packets while paused and only counts them as
	 * such. A replayed file simply stops being read: a frame already on its
	 * way into the program when the pause came must still count.
	 */
	if (p->bpf && !p->src)
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
	struct nasoone_stats s;
	bool finished;

	pthread_mutex_lock(&p->lock);
	atomic_store(&p->stop, true);
	pthread_cond_broadcast(&p->resumed);
	pthread_cond_broadcast(&p->dispatch_wake);
	pthread_cond_broadcast(&p->flushed);
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
	if (p->dispatcher_started)
		pthread_join(p->dispatcher, NULL);
	p->reader_started = p->dispatcher_started = false;
	pipeline_stats(p, &s);
	atomic_store(&p->rows_at_stop, s.rows);
	atomic_store(&p->stopped, true);
	return dispatch_final(p);
}

void pipeline_flush(struct pipeline *p)
{
	pthread_mutex_lock(&p->lock);
	p->flush_tickets++;
	pthread_cond_broadcast(&p->dispatch_wake);
	pthread_mutex_unlock(&p->lock);
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
	for (i = 0; i < p->ncounters; i++) {
		s->rows += atomic_load_explicit(&p->counters[i].rows, memory_order_relaxed);
		if (atomic_load(&p->counters[i].stall_max_ns) > s->stall_max_ns)
			s->stall_max_ns = atomic_load(&p->counters[i].stall_max_ns);
	}
	if (atomic_load(&p->stopped))
		s->rows = atomic_load(&p->rows_at_stop);
	s->expired = atomic_load(&p->expired);
	s->evicted = atomic_load(&p->evicted);
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
