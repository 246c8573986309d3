/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The libpcap path's reader thread: read, filter and parse every frame in
 * capture order (fragment attribution depends on it) and hand one row per
 * packet to the counter that owns its key.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>

#include "capture/frag.h"
#include "count/pipeline_impl.h"
#include "nasoone/parse.h"

/* Reader-side state, kept on the reader's stack: plain counters, published in bulk. */
struct reader {
	struct pipeline *p;
	struct producer out;
	uint64_t skipped, seen_paused;
	struct timespec last_flush;
	uint64_t period_end; /* a file's next report rotation, on its clock */
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

/* The packet for a per-packet view; the transport header only when it was captured. */
static void show(struct reader *r, const struct nn_pkt *pkt, const struct packet *frame,
		 bool has_l4)
{
	const uint8_t *end = frame->data + frame->caplen;
	struct nasoone_packet np = {
		.ts_us = frame->ts_ms * 1000,
		.len = frame->len,
		.family = pkt->key.family,
		.l4proto = pkt->l4proto,
		.sport = ntohs(pkt->key.sport),
		.dport = ntohs(pkt->key.dport),
	};

	memcpy(np.saddr, pkt->key.saddr, 16);
	memcpy(np.daddr, pkt->key.daddr, 16);
	if (has_l4 && pkt->l4 && pkt->l4proto == NN_IPPROTO_TCP && pkt->l4 + 14 <= end) {
		np.has_l4 = 1;
		np.seq = nn_load_be32(pkt->l4 + 4);
		np.ack = nn_load_be32(pkt->l4 + 8);
		np.tcp_flags = pkt->l4[13] & 0x3f;
	} else if (has_l4 && pkt->l4 && pkt->l4proto == NN_IPPROTO_UDP && pkt->l4 + 6 <= end) {
		np.has_l4 = 1;
		np.udp_len = nn_load_be16(pkt->l4 + 4);
	}
	r->p->on_packet(&np, r->p->packet_ctx);
}

static void emit(struct reader *r, const struct nn_pkt *pkt, const struct packet *frame)
{
	struct flow_row row;

	row.key = pkt->key;
	row.first_ms = row.last_ms = frame->ts_ms;
	row.bytes = frame->len;
	row.ip_bytes = nn_ip_octets(pkt, frame->len, 1, (__u32)(pkt->l3 - frame->data));
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
	if (r->p->on_packet)
		show(r, &pkt, frame, verdict != NN_FRAGMENT);
	emit(r, &pkt, frame);
}

/*
 * A file's reports rotate at the first packet past a period's end: what
 * came before is handed to the counters and flushed before it is counted.
 */
static void rotate_if_due(struct reader *r, uint64_t ts_ms)
{
	uint64_t period = r->p->rotation_ms;

	if (r->period_end && ts_ms >= r->period_end) {
		flush_partial(r);
		pipeline_flush_wait(r->p);
	}
	if (!r->period_end || ts_ms >= r->period_end)
		r->period_end = (ts_ms / period + 1) * period;
}

/* The row cap, reached on a file: the report ends here, before the next packet. */
static void cap_flush(struct reader *r)
{
	flush_partial(r);
	pipeline_flush_wait(r->p);
}

static bool live_flush_due(struct reader *r)
{
	struct timespec now;

	/* A fast feed (on_changed) wants packets in the tables sooner. */
	long period = r->p->changes_ms && r->p->changes_ms / 2 < LIVE_FLUSH_MS
			      ? (long)r->p->changes_ms / 2
			      : LIVE_FLUSH_MS;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - r->last_flush.tv_sec) * 1000 +
		       (now.tv_nsec - r->last_flush.tv_nsec) / 1000000 >=
	       period;
}

void *reader_main(void *arg)
{
	struct pipeline *p = arg;
	struct reader r = { .p = p, .out = { .p = p, .may_drop = source_is_live(p->src) } };
	bool live = source_is_live(p->src);
	struct packet frame;
	uint64_t since_publish = 0;
	int ret;

	clock_gettime(CLOCK_MONOTONIC, &r.last_flush);
	while (!atomic_load_explicit(&p->stop, memory_order_relaxed)) {
		if (!live && atomic_load_explicit(&p->paused, memory_order_relaxed)) {
			/* Paused, every packet read is counted and in the tables. */
			flush_partial(&r);
			publish(&r);
			if (!wait_while_paused(p))
				break;
		}
		ret = source_next(p->src, &frame);
		if (ret == 1) {
			if (live && atomic_load_explicit(&p->paused, memory_order_relaxed)) {
				r.seen_paused++;
			} else {
				if (!live && p->rotation_ms)
					rotate_if_due(&r, frame.ts_ms);
				if (!live &&
				    atomic_load_explicit(&p->cap_reached, memory_order_relaxed))
					cap_flush(&r);
				account(&r, &frame);
			}
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
