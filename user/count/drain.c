/* SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "capture/bpf_src.h"
#include "capture/cpumask.h"
#include "count/pipeline_impl.h"

/*
 * The eBPF path: one drain thread per CPU that swaps and merges that CPU's
 * map, one thread for the overflow ring, and for a replayed file the
 * thread that runs every frame through the program.
 */

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

#define DRAIN_FAILURES_REPORTED 3 /* periodic drains that fail in a row before it is an error */
#define LAST_DRAIN_TRIES	3
#define LAST_DRAIN_RETRY_MS	50

/*
 * A drain that fails leaves the rows it did not read in the retired map,
 * which the next swap puts back in the slot: the next drain reads them, so
 * a periodic failure only delays rows. Errors that last, and a last drain
 * that cannot be done, are the capture failing (-EIO: NASOONE_ECAPTURE).
 */
static void drain_failed(struct pipeline *p, unsigned int cpu, int err, bool last)
{
	char text[160];

	snprintf(text, sizeof(text), "cannot drain the eBPF flow map of CPU %u: %s%s", cpu,
		 strerror(-err), last ? " (the rows still in it are lost)" : "");
	set_error(p, -EIO, text);
}

/* The last drain of a CPU: retried a few times, its rows are lost otherwise. */
static int last_drain(struct pipeline *p, struct drainer *d)
{
	struct timespec pause = { 0, LAST_DRAIN_RETRY_MS * 1000000L };
	int err = 0, i;

	for (i = 0; i < LAST_DRAIN_TRIES; i++) {
		if (i)
			nanosleep(&pause, NULL);
		/*
		 * Twice: the first swap waits until no program still runs (a
		 * generic XDP detach does not wait for them, and one that looked
		 * up the slot late wrote into the map swapped in); the second
		 * retires that map too, now that nothing can write to it.
		 */
		err = bpf_src_drain(p->bpf, d->cpu, drained_row, d->out);
		if (!err)
			err = bpf_src_drain(p->bpf, d->cpu, drained_row, d->out);
		producer_flush(d->out);
		if (!err)
			return 0;
	}
	return err;
}

/*
 * One per CPU with a map: swap that CPU's map and merge the retired one,
 * every drain period, at once when the map overflowed, and a last time
 * when stopping (after the programs were detached or the replay ended).
 */
static void *drainer_main(void *arg)
{
	struct drainer *d = arg;
	struct pipeline *p = d->pipeline;
	struct timespec deadline;
	unsigned int failures = 0;
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
		while (!atomic_load(&p->drain_stop) &&
		       !cpumask_atomic_test(p->early_drain_mask, d->cpu) &&
		       pthread_cond_timedwait(&p->drain_wake, &p->lock, &deadline) != ETIMEDOUT)
			;
		cpumask_atomic_clear(p->early_drain_mask, d->cpu);
		last = atomic_load(&p->drain_stop);
		pthread_mutex_unlock(&p->lock);

		if (last) {
			err = last_drain(p, d);
			if (err)
				drain_failed(p, d->cpu, err, true);
		} else {
			err = bpf_src_drain(p->bpf, d->cpu, drained_row, d->out);
			producer_flush(d->out);
			failures = err ? failures + 1 : 0;
			if (failures == DRAIN_FAILURES_REPORTED)
				drain_failed(p, d->cpu, err, false);
		}
		if (d == p->drainers) /* one of them publishes */
			publish_bpf(p);
	} while (!last);
	return NULL;
}

/* Packets that found their CPU's map full: count them, and drain that CPU early. */
static void *ring_main(void *arg)
{
	struct pipeline *p = arg;
	size_t words = cpumask_words(bpf_src_ncpus(p->bpf));
	uint64_t *full = calloc(words, sizeof(*full));

	if (!full) {
		set_error(p, -ENOMEM, "out of memory for the overflow ring");
		return NULL;
	}
	while (!atomic_load(&p->ring_stop)) {
		memset(full, 0, words * sizeof(*full));
		if (bpf_src_poll_ring(p->bpf, 100, drained_row, p->ring_out, full) < 0)
			break;
		producer_flush(p->ring_out);
		if (!cpumask_empty(full, words)) {
			pthread_mutex_lock(&p->lock);
			cpumask_atomic_or(p->early_drain_mask, full, words);
			pthread_cond_broadcast(&p->drain_wake);
			pthread_mutex_unlock(&p->lock);
		}
	}
	free(full);
	return NULL;
}

/*
 * The end of the eBPF path, once no packet can arrive any more: a last
 * drain of every CPU, the rest of the ring, then the counters finish.
 */
void bpf_finish(struct pipeline *p)
{
	unsigned int i;
	/* Where no drain thread is left, the bits of full CPUs ask for nothing. */
	uint64_t *full = calloc(cpumask_words(bpf_src_ncpus(p->bpf)), sizeof(*full));

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
	while (full && bpf_src_poll_ring(p->bpf, 0, drained_row, p->ring_out, full) > 0)
		;
	if (!full)
		set_error(p, -ENOMEM, "out of memory for the last read of the overflow ring");
	free(full);
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
			set_error(p, -EIO, text); /* the replay failed, not the file */
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

int start_bpf_threads(struct pipeline *p)
{
	unsigned int i, cpu, ncpus = bpf_src_ncpus(p->bpf);

	/* One drain thread per CPU with a map: those online at the start. */
	for (cpu = 0, p->ndrainers = 0; cpu < ncpus; cpu++)
		p->ndrainers += bpf_src_cpu_counts(p->bpf, cpu);
	/* The early-drain mask (a bit per possible CPU) after the drainers: freed with them. */
	p->drainers = calloc(1, p->ndrainers * sizeof(*p->drainers) +
					cpumask_words(ncpus) * sizeof(*p->early_drain_mask));
	p->ring_out = calloc(p->ndrainers + 1, sizeof(*p->ring_out));
	if (!p->drainers || !p->ring_out)
		return -ENOMEM;
	p->early_drain_mask = (_Atomic uint64_t *)(void *)(p->drainers + p->ndrainers);
	/* ring_out[0] is the ring thread's producer, ring_out[1 + i] drainer i's. */
	for (i = 0; i <= p->ndrainers; i++)
		p->ring_out[i].p = p;
	for (i = 0, cpu = 0; i < p->ndrainers; i++, cpu++) {
		while (!bpf_src_cpu_counts(p->bpf, cpu))
			cpu++;
		p->drainers[i].pipeline = p;
		p->drainers[i].cpu = cpu;
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
