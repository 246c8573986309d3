/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Rows in memory: consumers, snapshots, flushes, and the helpers to sort
 * and format the rows they hand out.
 */
#include <stdlib.h>

#include "api/handle.h"
#include "count/pipeline.h"
#include "row.h"

int nasoone_add_consumer(struct nasoone *n, const struct nasoone_consumer *consumer)
{
	int ret = api_lock_initial(n, "add_consumer");

	if (ret)
		return ret;
	if (!consumer)
		return api_unlock(n, api_fail(n, NASOONE_EINVAL, "no consumer given"));
	if (n->nconsumers == MAX_USER_CONSUMERS)
		return api_unlock(
			n, api_fail(n, NASOONE_EINVAL, "at most %d consumers", MAX_USER_CONSUMERS));
	n->consumers[1 + n->nconsumers++] = *consumer;
	return api_unlock(n, 0);
}

/* The pipeline of a capture that is running, paused or finished, with n locked; else NULL. */
static struct pipeline *running_pipeline(struct nasoone *n, const char *call, int *ret)
{
	enum nasoone_state state;

	pthread_mutex_lock(&n->lock);
	state = api_state(n);
	if (state != NASOONE_RUNNING && state != NASOONE_PAUSED && state != NASOONE_FINISHED) {
		*ret = api_wrong_state(n, call);
		pthread_mutex_unlock(&n->lock);
		return NULL;
	}
	return n->pipeline;
}

int nasoone_snapshot(struct nasoone *n, struct nasoone_snapshot **snapshot)
{
	struct pipeline *p;
	int ret = 0;

	if (!n || !snapshot)
		return NASOONE_EINVAL;
	*snapshot = NULL;
	p = running_pipeline(n, "snapshot", &ret);
	if (!p)
		return ret;
	/*
	 * Under the handle's lock: stop() waits for the copy, and the copy
	 * waits only for the counters' next step.
	 */
	ret = pipeline_snapshot(p, snapshot);
	return api_unlock(n, ret ? api_fail(n, NASOONE_ENOMEM, "out of memory for a snapshot") : 0);
}

void nasoone_snapshot_free(struct nasoone_snapshot *snapshot)
{
	pipeline_snapshot_free(snapshot);
}

int nasoone_flush(struct nasoone *n)
{
	struct pipeline *p;
	int ret = 0;

	if (!n)
		return NASOONE_EINVAL;
	p = running_pipeline(n, "flush", &ret);
	if (!p)
		return ret;
	pipeline_flush(p);
	return api_unlock(n, 0);
}

static int flow_ptr_cmp(const void *a, const void *b)
{
	return report_row_cmp(flow_as_row(a), flow_as_row(b));
}

void nasoone_sort_flows(struct nasoone_flow *flows, size_t count)
{
	if (flows && count)
		qsort(flows, count, sizeof(*flows), flow_ptr_cmp);
}

int nasoone_format_flow(char *buf, size_t size, const struct nasoone_flow *flow,
			enum nasoone_format format)
{
	size_t len;

	if (!buf || !flow || size < REPORT_ROW_MAX || format < NASOONE_FORMAT_NASOONE ||
	    format > NASOONE_FORMAT_JSON)
		return NASOONE_EINVAL;
	len = report_format_row_as(buf, flow_as_row(flow), format);
	buf[len] = '\0';
	return (int)len;
}
