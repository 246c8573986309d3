/* SPDX-License-Identifier: GPL-2.0-only */
#include <pthread.h>
#include <stdlib.h>

#include "count/row_chunks.h"

/*
 * Kept at most: enough for a taker running a little behind the giver, little
 * enough (5.5 MiB) that memory given back by tables that shrank or ended
 * still goes back to malloc, and from there to the system.
 */
#define KEEP_CHUNKS 16

static pthread_mutex_t kept_lock = PTHREAD_MUTEX_INITIALIZER;
static struct flow_row *kept[KEEP_CHUNKS];
static unsigned int nkept;

struct flow_row *row_chunk_new(void)
{
	struct flow_row *chunk = NULL;

	pthread_mutex_lock(&kept_lock);
	if (nkept)
		chunk = kept[--nkept];
	pthread_mutex_unlock(&kept_lock);
	return chunk ? chunk : malloc(ROW_CHUNK_ROWS * sizeof(struct flow_row));
}

void row_chunk_free(struct flow_row *chunk)
{
	if (!chunk)
		return;
	pthread_mutex_lock(&kept_lock);
	if (nkept < KEEP_CHUNKS) {
		kept[nkept++] = chunk;
		chunk = NULL;
	}
	pthread_mutex_unlock(&kept_lock);
	free(chunk);
}
