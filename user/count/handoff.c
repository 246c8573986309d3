/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Hand-over between the threads: bounded queues of row batches, and the
 * producers (the reader, the drain threads) that fill one batch per
 * counter thread and pass it on full.
 */
#include <pthread.h>
#include <stdatomic.h>

#include "count/pipeline_impl.h"

void queue_init(struct queue *q)
{
	pthread_mutex_init(&q->lock, NULL);
	pthread_cond_init(&q->changed, NULL);
	q->wake_at = 1;
}

void queue_destroy(struct queue *q)
{
	pthread_mutex_destroy(&q->lock);
	pthread_cond_destroy(&q->changed);
}

void queue_push(struct queue *q, struct batch *b)
{
	pthread_mutex_lock(&q->lock);
	/* Never full: each queue holds at most every batch of its counter, plus the marker. */
	q->items[(q->head + q->count) % (QUEUE_BATCHES + 1)] = b;
	q->count++;
	pthread_cond_signal(&q->changed);
	pthread_mutex_unlock(&q->lock);
}

/*
 * Reading a file, a counter faster than the reader would sleep and be
 * woken at every batch: each wake-up costs both threads a system call,
 * and, with more busy threads than CPUs, may take the reader's CPU. Woken
 * once a few batches wait, it folds them in one go.
 */
void queue_push_full(struct queue *q, struct batch *b)
{
	pthread_mutex_lock(&q->lock);
	q->items[(q->head + q->count) % (QUEUE_BATCHES + 1)] = b;
	q->count++;
	if (q->count >= q->wake_at)
		pthread_cond_signal(&q->changed);
	pthread_mutex_unlock(&q->lock);
}

void queue_kick(struct queue *q)
{
	pthread_mutex_lock(&q->lock);
	q->kicked = true;
	pthread_cond_signal(&q->changed);
	pthread_mutex_unlock(&q->lock);
}

/* Pop a batch (a kick ends the wait too); when wait is false and the queue is empty, *ok is false.
 */
struct batch *queue_pop(struct queue *q, bool wait, bool *ok)
{
	struct batch *b = NULL;

	pthread_mutex_lock(&q->lock);
	while (wait && !q->count && !q->kicked)
		pthread_cond_wait(&q->changed, &q->lock);
	q->kicked = false;
	*ok = q->count > 0;
	if (*ok) {
		b = q->items[q->head];
		q->head = (q->head + 1) % (QUEUE_BATCHES + 1);
		q->count--;
	}
	pthread_mutex_unlock(&q->lock);
	return b;
}

void producer_flush(struct producer *pr)
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
void producer_add(struct producer *pr, const struct flow_row *row)
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
		queue_push_full(&p->counters[shard].full, b);
		pr->filling[shard] = NULL;
	}
}
