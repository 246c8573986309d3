/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The view's model: from frames (sets of rows) to rates, the filtered
 * rows in the order asked for, and the per-host summary.
 *
 * Rates: top_rates.c.
 *
 * Sorting: only the rows on screen are put in order (a quickselect of the
 * first offset+height rows, or of the last ones when the window is nearer
 * the end, then a sort of those), so a refresh is O(rows), not O(n log n).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>

#include "cli/top_rates.h"

void top_model_rate(const struct top_model *m, const struct nasoone_flow *flow,
		    struct top_rate *rate)
{
	size_t i = (size_t)(flow - m->frame.flows);

	*rate = *rate_of(m, i);
}

/* ---- keys and order ---- */

static uint64_t be32_at(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return ntohl(v);
}

static uint64_t be64_at(const uint8_t *p)
{
	return be32_at(p) << 32 | be32_at(p + 4);
}

/* Monotone in the report's address order (IPv4 first); ties are compared in full. */
static uint64_t addr_key(const uint8_t addr[16], uint8_t family)
{
	if (family == 4)
		return be32_at(addr + 12) << 16;
	return 1ull << 63 | be64_at(addr) >> 1;
}

static uint64_t float_key(float v)
{
	uint32_t bits;

	memcpy(&bits, &v, 4);
	return bits; /* rates are >= 0: their bits order as the numbers */
}

static int addr_cmp(const uint8_t *a, uint8_t fa, const uint8_t *b, uint8_t fb)
{
	if (fa != fb)
		return fa < fb ? -1 : 1;
	return memcmp(a, b, 16);
}

/* The report's order: first, source (IPv4 first), source port, destination, destination port. */
static int report_cmp(const struct nasoone_flow *a, const struct nasoone_flow *b)
{
	int c;

	if (a->first_ms != b->first_ms)
		return a->first_ms < b->first_ms ? -1 : 1;
	if ((c = addr_cmp(a->saddr, a->family, b->saddr, b->family)))
		return c;
	if (a->sport != b->sport)
		return ntohs(a->sport) < ntohs(b->sport) ? -1 : 1;
	if ((c = memcmp(a->daddr, b->daddr, 16)))
		return c;
	if (a->dport != b->dport)
		return ntohs(a->dport) < ntohs(b->dport) ? -1 : 1;
	return 0;
}

/* Ascending key = the column's natural order (largest first for amounts, newest first for last). */
static uint64_t flow_key(const struct top_model *m, size_t i)
{
	const struct nasoone_flow *f = &m->frame.flows[i];
	const struct top_rate *r = rate_of(m, i);

	switch (m->sort) {
	case TOP_COL_SRC:
		return addr_key(f->saddr, f->family);
	case TOP_COL_SPORT:
		return ntohs(f->sport);
	case TOP_COL_DST:
		return addr_key(f->daddr, f->family);
	case TOP_COL_DPORT:
		return ntohs(f->dport);
	case TOP_COL_PROTO:
		return f->protos & (NASOONE_PROTO_TCP | NASOONE_PROTO_UDP); /* not the twin mark */
	case TOP_COL_FIRST:
		return f->first_ms;
	case TOP_COL_LAST:
	case TOP_COL_AGE:
		return ~f->last_ms;
	case TOP_COL_BYTES:
		return ~f->bytes;
	case TOP_COL_PACKETS:
		return ~f->packets;
	case TOP_COL_BPS:
		return ~float_key(r->bps);
	case TOP_COL_PPS:
		return ~float_key(r->pps);
	case TOP_COL_PEAK:
		return ~float_key(r->peak_bps);
	case TOP_COL_COUNT:
		break;
	}
	return 0;
}

static uint64_t host_key(const struct top_model *m, const struct top_host *h)
{
	switch (m->host_sort) {
	case TOP_HCOL_ADDR:
		return addr_key(h->addr, h->family);
	case TOP_HCOL_FLOWS:
		return ~h->flows;
	case TOP_HCOL_BYTES_OUT:
		return ~h->bytes_out;
	case TOP_HCOL_PACKETS_OUT:
		return ~h->packets_out;
	case TOP_HCOL_BYTES_IN:
		return ~h->bytes_in;
	case TOP_HCOL_PACKETS_IN:
		return ~h->packets_in;
	case TOP_HCOL_BPS_OUT:
		return ~float_key((float)h->bps_out);
	case TOP_HCOL_BPS_IN:
		return ~float_key((float)h->bps_in);
	case TOP_HCOL_COUNT:
		break;
	}
	return 0;
}

struct order {
	const struct top_model *m;
	int sign; /* -1 reverses */
};

static int row_cmp(const struct order *o, const struct top_row *a, const struct top_row *b)
{
	const struct top_model *m = o->m;
	int c = 0;

	if (a->key != b->key)
		return (a->key < b->key ? -1 : 1) * o->sign;
	if (m->hosts_mode) {
		const struct top_host *x = &m->hosts[a->index], *y = &m->hosts[b->index];

		c = addr_cmp(x->addr, x->family, y->addr, y->family);
	} else {
		const struct nasoone_flow *x = &m->frame.flows[a->index];
		const struct nasoone_flow *y = &m->frame.flows[b->index];

		if (m->sort == TOP_COL_SRC)
			c = addr_cmp(x->saddr, x->family, y->saddr, y->family);
		else if (m->sort == TOP_COL_DST)
			c = addr_cmp(x->daddr, x->family, y->daddr, y->family);
		if (!c)
			c = report_cmp(x, y);
	}
	return c * o->sign;
}

static void swap_rows(struct top_row *a, struct top_row *b)
{
	struct top_row t = *a;

	*a = *b;
	*b = t;
}

static void insertion_sort(const struct order *o, struct top_row *r, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		struct top_row v = r[i];
		size_t j = i;

		while (j > 0 && row_cmp(o, &v, &r[j - 1]) < 0) {
			r[j] = r[j - 1];
			j--;
		}
		r[j] = v;
	}
}

/* Put the k smallest rows (in o's order) first, in no particular order (Hoare's quickselect). */
static void select_first(const struct order *o, struct top_row *r, size_t n, size_t k)
{
	size_t lo = 0, hi = n; /* the k-th lies in [lo, hi) */

	while (hi - lo > 16 && k > lo && k < hi) {
		size_t mid = lo + (hi - lo) / 2, i = lo, j = hi - 1;
		struct top_row pivot;

		/* Median of three as the pivot, moved to mid. */
		if (row_cmp(o, &r[mid], &r[lo]) < 0)
			swap_rows(&r[mid], &r[lo]);
		if (row_cmp(o, &r[hi - 1], &r[mid]) < 0) {
			swap_rows(&r[hi - 1], &r[mid]);
			if (row_cmp(o, &r[mid], &r[lo]) < 0)
				swap_rows(&r[mid], &r[lo]);
		}
		pivot = r[mid];
		for (;;) {
			while (row_cmp(o, &r[i], &pivot) < 0)
				i++;
			while (row_cmp(o, &r[j], &pivot) > 0)
				j--;
			if (i >= j)
				break;
			swap_rows(&r[i], &r[j]);
			i++;
			j--;
		}
		/* [lo, j] <= pivot <= [j + 1, hi) */
		if (k <= j + 1)
			hi = j + 1;
		else
			lo = j + 1;
	}
	if (k > lo && k < hi)
		insertion_sort(o, r + lo, hi - lo);
}

static void sort_rows(const struct order *o, struct top_row *r, size_t n)
{
	/* A small quicksort over the selected rows (they are at most a few screens). */
	while (n > 16) {
		size_t k = n / 2;

		select_first(o, r, n, k);
		sort_rows(o, r, k);
		r += k;
		n -= k;
	}
	insertion_sort(o, r, n);
}

/* ---- the per-host summary ---- */

static size_t host_hash(const uint8_t addr[16], uint8_t family)
{
	return (size_t)mix64(load64(addr) ^ mix64(load64(addr + 8) ^ family));
}

static int hosts_add(struct top_model *m, uint32_t *slots, size_t mask, const uint8_t addr[16],
		     uint8_t family, const struct nasoone_flow *f, double bps, bool out)
{
	struct top_host *h = NULL;

	for (size_t i = host_hash(addr, family) & mask;; i = (i + 1) & mask) {
		if (!slots[i]) {
			h = &m->hosts[m->hosts_count];
			memset(h, 0, sizeof(*h));
			memcpy(h->addr, addr, 16);
			h->family = family;
			slots[i] = (uint32_t)++m->hosts_count;
			break;
		}
		h = &m->hosts[slots[i] - 1];
		if (h->family == family && !memcmp(h->addr, addr, 16))
			break;
	}
	h->flows++;
	if (out) {
		h->bytes_out += f->bytes;
		h->packets_out += f->packets;
		h->bps_out += bps;
	} else {
		h->bytes_in += f->bytes;
		h->packets_in += f->packets;
		h->bps_in += bps;
	}
	return 0;
}

/* The hosts of the filtered flows (m->rows holds their indexes). */
static int hosts_build(struct top_model *m)
{
	size_t need = 2 * m->shown + 1, cap = 64;
	uint32_t *slots;

	if (need > m->hosts_cap) {
		free(m->hosts);
		m->hosts = malloc(need * sizeof(*m->hosts));
		if (!m->hosts) {
			m->hosts_cap = 0;
			return -ENOMEM;
		}
		m->hosts_cap = need;
	}
	while (cap < 2 * need)
		cap *= 2;
	slots = calloc(cap, sizeof(*slots));
	if (!slots)
		return -ENOMEM;
	m->hosts_count = 0;
	for (size_t i = 0; i < m->shown; i++) {
		size_t fi = m->rows[i].index;
		const struct nasoone_flow *f = &m->frame.flows[fi];
		double bps = rate_of(m, fi)->bps;

		hosts_add(m, slots, cap - 1, f->saddr, f->family, f, bps, true);
		hosts_add(m, slots, cap - 1, f->daddr, f->family, f, bps, false);
	}
	free(slots);
	return 0;
}

/* ---- the model ---- */

int top_model_init(struct top_model *m)
{
	memset(m, 0, sizeof(*m));
	m->sort = TOP_COL_BYTES;
	m->host_sort = TOP_HCOL_BYTES_OUT;
	m->rates = top_rates_new();
	return m->rates ? 0 : -ENOMEM;
}

void top_model_free(struct top_model *m)
{
	top_frame_release(&m->frame);
	top_rates_free(m->rates);
	free(m->rows);
	free(m->hosts);
	free(m->window);
	memset(m, 0, sizeof(*m));
}

void top_frame_release(struct top_frame *frame)
{
	nasoone_snapshot_free(frame->snapshot);
	free(frame->owned);
	memset(frame, 0, sizeof(*frame));
}

static uint64_t thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int top_model_set_frame(struct top_model *m, struct top_frame *frame)
{
	uint64_t t0 = thread_cpu_ns();
	int err;

	/* A frame never refreshed still counts for the rates. */
	if (m->rates_pending && (err = top_model_refresh(m)))
		return err;
	top_frame_release(&m->frame);
	m->frame = *frame;
	memset(frame, 0, sizeof(*frame));
	m->rates_pending = true; /* computed by the next top_model_refresh() */
	m->last_update_ns = thread_cpu_ns() - t0;
	return 0;
}

/* ---- the window: a bounded heap of the best rows when it is near the top ---- */

#define HEAP_MAX 4096

/* The heap keeps the k first rows in o's order, its worst row at [0]. */
static void heap_offer(const struct order *o, struct top_row *h, size_t *n, size_t k,
		       struct top_row v)
{
	size_t i;

	if (*n < k) {
		/* Sift up. */
		for (i = (*n)++; i > 0 && row_cmp(o, &h[(i - 1) / 2], &v) < 0; i = (i - 1) / 2)
			h[i] = h[(i - 1) / 2];
		h[i] = v;
		return;
	}
	if (!k || row_cmp(o, &v, &h[0]) >= 0)
		return;
	/* Replace the worst and sift down. */
	for (i = 0;;) {
		size_t c = 2 * i + 1;

		if (c >= k)
			break;
		if (c + 1 < k && row_cmp(o, &h[c + 1], &h[c]) > 0)
			c++;
		if (row_cmp(o, &h[c], &v) <= 0)
			break;
		h[i] = h[c];
		i = c;
	}
	h[i] = v;
}

static int grow(struct top_row **rows, size_t *cap, size_t need)
{
	if (need <= *cap)
		return 0;
	free(*rows);
	*cap = need + need / 4;
	*rows = malloc(*cap * sizeof(**rows));
	if (!*rows) {
		*cap = 0;
		return -ENOMEM;
	}
	return 0;
}

int top_model_refresh(struct top_model *m)
{
	uint64_t t0 = thread_cpu_ns();
	const struct top_frame *fr = &m->frame;
	struct order o = { m, m->reverse ? -1 : 1 };
	size_t n, k, want, heap_n = 0, heap_k = m->offset + m->height;
	/* Near the top of a connection table: one pass with a bounded heap, no sort of all rows. */
	bool heap = !m->hosts_mode && heap_k <= HEAP_MAX, from_end;

	struct rates_pass rp = { 0 };
	bool rates = m->rates_pending;

	/* Twice the flows in the summary: at most two hosts a flow. */
	if (grow(&m->rows, &m->rows_cap, heap ? heap_k + 1 : 2 * fr->count + 1))
		return -ENOMEM;
	if (rates && top_rates_begin(m, &rp))
		return -ENOMEM;
	m->shown = 0;
	m->shown_bytes = m->shown_packets = 0;
	m->shown_bps = m->shown_pps = 0;
	for (size_t i = 0; i < fr->count; i++) {
		const struct nasoone_flow *f = &fr->flows[i];
		const struct top_rate *r;

		/* The rates of the next batch, while its rows are in the cache. */
		if (rates && i % RATE_BATCH == 0 &&
		    top_rates_batch(m, &rp, i,
				    fr->count - i < RATE_BATCH ? fr->count - i : RATE_BATCH))
			return -ENOMEM;
		if (m->filter.count && !top_filter_match(&m->filter, f))
			continue;
		r = rate_of(m, i);
		m->shown_bytes += f->bytes;
		m->shown_packets += f->packets;
		m->shown_bps += r->bps;
		m->shown_pps += r->pps;
		if (heap)
			heap_offer(&o, m->rows, &heap_n, heap_k,
				   (struct top_row){ flow_key(m, i), i });
		else
			m->rows[m->shown] =
				(struct top_row){ m->hosts_mode ? 0 : flow_key(m, i), i };
		m->shown++;
	}
	if (rates)
		top_rates_end(m, &rp);
	if (m->hosts_mode) {
		if (hosts_build(m))
			return -ENOMEM;
		for (size_t i = 0; i < m->hosts_count; i++)
			m->rows[i] = (struct top_row){ host_key(m, &m->hosts[i]), i };
		n = m->hosts_count;
	} else {
		n = m->shown;
	}
	if (m->offset > n)
		m->offset = n;
	want = m->height < n - m->offset ? m->height : n - m->offset;
	if (heap) {
		from_end = false;
		k = heap_n;
	} else {
		/* The window [offset, offset + height), selected from whichever end is nearer. */
		from_end = m->offset + want > n - m->offset;
		if (from_end)
			o.sign = -o.sign;
		k = from_end ? n - m->offset : m->offset + want;
		select_first(&o, m->rows, n, k);
	}
	sort_rows(&o, m->rows, k);
	if (grow(&m->window, &m->window_cap, want + 1))
		return -ENOMEM;
	for (size_t j = 0; j < want; j++)
		m->window[j] = m->rows[from_end ? n - 1 - (m->offset + j) : m->offset + j];
	m->window_count = want;
	m->last_update_ns += thread_cpu_ns() - t0;
	return 0;
}

static const char *const column_names[TOP_COL_COUNT] = {
	[TOP_COL_SRC] = "source",  [TOP_COL_SPORT] = "sport", [TOP_COL_DST] = "destination",
	[TOP_COL_DPORT] = "dport", [TOP_COL_PROTO] = "proto", [TOP_COL_FIRST] = "first",
	[TOP_COL_LAST] = "last",   [TOP_COL_BYTES] = "bytes", [TOP_COL_PACKETS] = "packets",
	[TOP_COL_BPS] = "bytes/s", [TOP_COL_PPS] = "pkts/s",  [TOP_COL_PEAK] = "peak",
	[TOP_COL_AGE] = "age",
};

static const char *const host_column_names[TOP_HCOL_COUNT] = {
	[TOP_HCOL_ADDR] = "host",      [TOP_HCOL_FLOWS] = "rows",
	[TOP_HCOL_BYTES_OUT] = "sent", [TOP_HCOL_PACKETS_OUT] = "sent_pkts",
	[TOP_HCOL_BYTES_IN] = "recv",  [TOP_HCOL_PACKETS_IN] = "recv_pkts",
	[TOP_HCOL_BPS_OUT] = "sent/s", [TOP_HCOL_BPS_IN] = "recv/s",
};

const char *top_column_name(enum top_column c)
{
	return c < TOP_COL_COUNT ? column_names[c] : "?";
}

const char *top_host_column_name(enum top_host_column c)
{
	return c < TOP_HCOL_COUNT ? host_column_names[c] : "?";
}
