/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Unit tests of the flow table, user/count/flowtab.h: a delta row folds into the
 * row of its key (earliest first, latest last, bytes and packets added,
 * protocols or-ed), rows keep insertion order and never move, keys are
 * compared on all 40 bytes, and the memory per row stays small.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "count/flowtab.h"
#include "count/row_chunks.h"

#define MANY_KEYS 300000u

/* An IPv4 key 10.x.y.z:sport -> 192.0.2.1:dport, the address taken from n. */
static struct nn_flow_key key4(uint32_t n, uint16_t sport, uint16_t dport)
{
	struct nn_flow_key k;

	memset(&k, 0, sizeof(k));
	k.saddr[10] = k.saddr[11] = 0xff;
	k.daddr[10] = k.daddr[11] = 0xff;
	k.saddr[12] = 10;
	k.saddr[13] = (uint8_t)(n >> 16);
	k.saddr[14] = (uint8_t)(n >> 8);
	k.saddr[15] = (uint8_t)n;
	k.daddr[12] = 192;
	k.daddr[14] = 2;
	k.daddr[15] = 1;
	k.sport = htons(sport);
	k.dport = htons(dport);
	k.family = NN_FAMILY_IPV4;
	return k;
}

static struct flow_row delta(const struct nn_flow_key *key, uint64_t first, uint64_t last,
			     uint64_t bytes, uint64_t packets, uint32_t protos)
{
	struct flow_row d;

	memset(&d, 0, sizeof(d));
	d.key = *key;
	d.first_ms = first;
	d.last_ms = last;
	d.bytes = bytes;
	d.packets = packets;
	d.protos = protos;
	d.hash = row_hash(key);
	return d;
}

static struct flowtab *new_table(void)
{
	struct flowtab *t = flowtab_new();

	assert_non_null(t);
	return t;
}

static void add(struct flowtab *t, const struct flow_row *d)
{
	assert_int_equal(flowtab_add(t, d, NULL), 0);
}

/* The row of key, found by a walk over all rows (independent of the index). */
static const struct flow_row *find(const struct flowtab *t, const struct nn_flow_key *key)
{
	size_t i;

	for (i = 0; i < flowtab_size(t); i++)
		if (!memcmp(&flowtab_row(t, i)->key, key, sizeof(*key)))
			return flowtab_row(t, i);
	return NULL;
}

static void test_empty(void **state)
{
	struct flowtab *t = new_table();

	(void)state;
	assert_int_equal(flowtab_size(t), 0);
	assert_true(flowtab_memory(t) > 0);
	flowtab_free(t);
	flowtab_free(NULL);
}

/*
 * Prefetching is a hint: any hash, on an empty table (an empty slot is 0,
 * which names no row even for hash 0) or a full one, loads nothing it must
 * not and changes nothing.
 */
static void test_prefetch_any_hash(void **state)
{
	struct flowtab *t = new_table();
	struct nn_flow_key k = key4(7, 1234, 443);
	struct flow_row d = delta(&k, 1000, 2000, 1500, 3, NN_PROTO_TCP);
	uint32_t hashes[] = { 0, 1, 0xffffffffu, d.hash, d.hash ^ 1 };
	size_t i;

	(void)state;
	for (i = 0; i < 5; i++) {
		flowtab_prefetch(t, hashes[i], 0);
		flowtab_prefetch(t, hashes[i], 1);
	}
	add(t, &d);
	for (i = 0; i < 5; i++) {
		flowtab_prefetch(t, hashes[i], 0);
		flowtab_prefetch(t, hashes[i], 1);
	}
	assert_int_equal(flowtab_size(t), 1);
	assert_int_equal(flowtab_row(t, 0)->packets, 3);
	flowtab_free(t);
}

static void test_hash_is_a_function_of_the_key(void **state)
{
	struct nn_flow_key a = key4(1, 1000, 80), b = key4(1, 1000, 80);

	(void)state;
	assert_int_equal(row_hash(&a), row_hash(&b));
}

static void test_insert_one_row_copied(void **state)
{
	struct flowtab *t = new_table();
	struct nn_flow_key k = key4(7, 1234, 443);
	struct flow_row d = delta(&k, 1000, 2000, 1500, 3, NN_PROTO_TCP);
	const struct flow_row *r;

	(void)state;
	add(t, &d);
	assert_int_equal(flowtab_size(t), 1);
	r = flowtab_row(t, 0);
	assert_memory_equal(&r->key, &k, sizeof(k));
	assert_int_equal(r->first_ms, 1000);
	assert_int_equal(r->last_ms, 2000);
	assert_int_equal(r->bytes, 1500);
	assert_int_equal(r->packets, 3);
	assert_int_equal(r->protos, NN_PROTO_TCP);
	assert_int_equal(r->hash, row_hash(&k));
	flowtab_free(t);
}

static void test_merge_semantics(void **state)
{
	struct flowtab *t = new_table();
	struct nn_flow_key k = key4(7, 1234, 443);
	struct flow_row d;
	const struct flow_row *r;

	(void)state;
	d = delta(&k, 5000, 6000, 100, 1, NN_PROTO_TCP);
	add(t, &d);
	/* Earlier first, earlier last: first moves, last stays. */
	d = delta(&k, 4000, 4500, 200, 2, NN_PROTO_TCP);
	add(t, &d);
	/* Later first, later last: last moves, first stays. */
	d = delta(&k, 5500, 9000, 300, 3, NN_PROTO_UDP);
	add(t, &d);
	/* Entirely inside: nothing moves but the sums. */
	d = delta(&k, 5000, 5000, 0, 0, 0);
	add(t, &d);
	assert_int_equal(flowtab_size(t), 1);
	r = flowtab_row(t, 0);
	assert_int_equal(r->first_ms, 4000);
	assert_int_equal(r->last_ms, 9000);
	assert_int_equal(r->bytes, 600);
	assert_int_equal(r->packets, 6);
	assert_int_equal(r->protos, NN_PROTO_TCP | NN_PROTO_UDP);
	flowtab_free(t);
}

static void test_merge_extreme_times(void **state)
{
	struct flowtab *t = new_table();
	struct nn_flow_key k = key4(1, 1, 1);
	struct flow_row d;
	const struct flow_row *r;

	(void)state;
	d = delta(&k, 1000, 1000, 1, 1, NN_PROTO_UDP);
	add(t, &d);
	d = delta(&k, 0, 0, 1, 1, NN_PROTO_UDP);
	add(t, &d);
	d = delta(&k, UINT64_MAX, UINT64_MAX, 1, 1, NN_PROTO_UDP);
	add(t, &d);
	r = flowtab_row(t, 0);
	assert_int_equal(r->first_ms, 0);
	assert_true(r->last_ms == UINT64_MAX);
	assert_int_equal(r->packets, 3);
	assert_int_equal(r->protos, NN_PROTO_UDP);
	flowtab_free(t);
}

static void test_insertion_order(void **state)
{
	struct flowtab *t = new_table();
	struct nn_flow_key k;
	struct flow_row d;
	uint32_t i;

	(void)state;
	for (i = 0; i < 100; i++) {
		k = key4(i * 7919u, 1, 2);
		d = delta(&k, i, i, i, 1, NN_PROTO_TCP);
		add(t, &d);
	}
	/* Merging into old rows does not reorder them. */
	for (i = 0; i < 100; i += 3) {
		k = key4(i * 7919u, 1, 2);
		d = delta(&k, 0, 0, 1, 1, NN_PROTO_UDP);
		add(t, &d);
	}
	assert_int_equal(flowtab_size(t), 100);
	for (i = 0; i < 100; i++) {
		k = key4(i * 7919u, 1, 2);
		assert_memory_equal(&flowtab_row(t, i)->key, &k, sizeof(k));
		assert_int_equal(flowtab_row(t, i)->packets, i % 3 ? 1 : 2);
	}
	flowtab_free(t);
}

/*
 * Keys that differ in exactly one byte (address bytes, ports, family, the
 * pad bytes) are different rows: the table compares every byte.
 */
/* TCP and UDP of one 4-tuple: two rows that share a hash and know of each other. */
static void test_twins(void **state)
{
	struct flowtab *t = new_table();
	struct nn_flow_key tcp = key4(0x0a0b0c, 1000, 53), udp = tcp,
			   other = key4(0x0a0b0d, 1000, 53);
	struct flow_row d;

	(void)state;
	tcp.pad[NN_KEY_PROTO] = 6;
	udp.pad[NN_KEY_PROTO] = 17;
	other.pad[NN_KEY_PROTO] = 17;
	assert_int_equal(row_hash(&tcp), row_hash(&udp));
	assert_true(row_keys_twins(&tcp, &udp));
	assert_false(row_keys_twins(&tcp, &tcp));
	assert_false(row_keys_twins(&udp, &other));
	d = delta(&tcp, 1, 1, 100, 1, NN_PROTO_TCP);
	add(t, &d);
	d = delta(&other, 1, 1, 100, 1, NN_PROTO_UDP);
	add(t, &d);
	assert_int_equal(flowtab_row(t, 0)->protos, NN_PROTO_TCP); /* no twin yet */
	d = delta(&udp, 2, 2, 50, 1, NN_PROTO_UDP);
	add(t, &d);
	assert_int_equal(flowtab_size(t), 3);
	assert_int_equal(flowtab_row(t, 0)->protos, NN_PROTO_TCP | ROW_TWIN);
	assert_int_equal(flowtab_row(t, 1)->protos, NN_PROTO_UDP);
	assert_int_equal(flowtab_row(t, 2)->protos, NN_PROTO_UDP | ROW_TWIN);
	/* Counts stay apart. */
	assert_int_equal(flowtab_row(t, 0)->bytes, 100);
	assert_int_equal(flowtab_row(t, 2)->bytes, 50);
	flowtab_free(t);
}

static void test_one_byte_differences(void **state)
{
	struct flowtab *t = new_table();
	struct nn_flow_key base = key4(0x010203, 0x1234, 0x5678), k;
	struct flow_row d;
	size_t i, n = 0;
	uint8_t *b;

	(void)state;
	d = delta(&base, 1, 1, 1, 1, NN_PROTO_TCP);
	add(t, &d);
	n++;
	for (i = 0; i < sizeof(k); i++) {
		k = base;
		b = (uint8_t *)&k;
		b[i] ^= 0x01;
		d = delta(&k, 2, 2, 10, 1, NN_PROTO_UDP);
		add(t, &d);
		n++;
		k = base;
		b[i] ^= 0x80;
		d = delta(&k, 3, 3, 100, 1, NN_PROTO_UDP);
		add(t, &d);
		n++;
	}
	assert_int_equal(flowtab_size(t), n);
	/* The base row was not touched by any of its neighbours, but learnt that the
	 * one that differs in the protocol byte is its twin. */
	assert_int_equal(flowtab_row(t, 0)->bytes, 1);
	assert_int_equal(flowtab_row(t, 0)->protos, NN_PROTO_TCP | ROW_TWIN);
	/* Adding them all again merges, creating nothing. */
	for (i = 0; i < sizeof(k); i++) {
		k = base;
		b = (uint8_t *)&k;
		b[i] ^= 0x01;
		d = delta(&k, 2, 2, 10, 1, NN_PROTO_UDP);
		add(t, &d);
	}
	assert_int_equal(flowtab_size(t), n);
	for (i = 0; i < sizeof(k); i++) {
		const struct flow_row *r;

		k = base;
		b = (uint8_t *)&k;
		b[i] ^= 0x01;
		r = find(t, &k);
		assert_non_null(r);
		assert_int_equal(r->bytes, 20);
		assert_int_equal(r->packets, 2);
	}
	flowtab_free(t);
}

static void test_family_and_pad_make_different_rows(void **state)
{
	struct flowtab *t = new_table();
	struct nn_flow_key v4 = key4(5, 53, 53), v6, padded;
	struct flow_row d;

	(void)state;
	/* The same 16 address bytes, once as IPv4 and once as a v4-mapped IPv6 packet. */
	v6 = v4;
	v6.family = NN_FAMILY_IPV6;
	padded = v4;
	padded.pad[2] = 1;
	d = delta(&v4, 1, 1, 1, 1, NN_PROTO_UDP);
	add(t, &d);
	d = delta(&v6, 1, 1, 2, 1, NN_PROTO_UDP);
	add(t, &d);
	d = delta(&padded, 1, 1, 4, 1, NN_PROTO_UDP);
	add(t, &d);
	assert_int_equal(flowtab_size(t), 3);
	assert_int_equal(find(t, &v4)->bytes, 1);
	assert_int_equal(find(t, &v6)->bytes, 2);
	assert_int_equal(find(t, &padded)->bytes, 4);
	flowtab_free(t);
}

/* Swapped ports, or source and destination swapped: the other direction. */
static void test_directional(void **state)
{
	struct flowtab *t = new_table();
	struct nn_flow_key ab = key4(9, 1000, 2000), ba, swapped_ports;
	struct flow_row d;

	(void)state;
	ba = ab;
	memcpy(ba.saddr, ab.daddr, 16);
	memcpy(ba.daddr, ab.saddr, 16);
	ba.sport = ab.dport;
	ba.dport = ab.sport;
	swapped_ports = ab;
	swapped_ports.sport = ab.dport;
	swapped_ports.dport = ab.sport;
	d = delta(&ab, 1, 1, 1, 1, NN_PROTO_TCP);
	add(t, &d);
	d = delta(&ba, 1, 1, 1, 1, NN_PROTO_TCP);
	add(t, &d);
	d = delta(&swapped_ports, 1, 1, 1, 1, NN_PROTO_TCP);
	add(t, &d);
	assert_int_equal(flowtab_size(t), 3);
	flowtab_free(t);
}

/* Ports that differ only in their byte order are different ports. */
static void test_port_byte_order(void **state)
{
	struct flowtab *t = new_table();
	struct nn_flow_key a = key4(1, 0x0102, 80), b = key4(1, 0x0201, 80);
	struct flow_row d;

	(void)state;
	d = delta(&a, 1, 1, 1, 1, NN_PROTO_TCP);
	add(t, &d);
	d = delta(&b, 1, 1, 1, 1, NN_PROTO_TCP);
	add(t, &d);
	assert_int_equal(flowtab_size(t), 2);
	flowtab_free(t);
}

/*
 * 300 000 distinct keys force the index to grow many times and the rows
 * over many chunks; every key is then found again through the index (a
 * second add merges instead of creating), and rows stay in insertion order.
 */
static void test_many_keys(void **state)
{
	struct flowtab *t = new_table();
	struct nn_flow_key k;
	struct flow_row d;
	const struct flow_row *r;
	size_t mem;
	uint32_t i;

	(void)state;
	for (i = 0; i < MANY_KEYS; i++) {
		/* Sequential addresses and a port that changes with them. */
		k = key4(i, (uint16_t)(i * 31u), 443);
		d = delta(&k, 1000 + i, 1000 + i, 60, 1, NN_PROTO_TCP);
		add(t, &d);
	}
	assert_int_equal(flowtab_size(t), MANY_KEYS);
	for (i = 0; i < MANY_KEYS; i++) {
		k = key4(i, (uint16_t)(i * 31u), 443);
		d = delta(&k, 500, 2000000 + i, 40, 1, NN_PROTO_UDP);
		add(t, &d);
	}
	assert_int_equal(flowtab_size(t), MANY_KEYS);
	for (i = 0; i < MANY_KEYS; i++) {
		r = flowtab_row(t, i);
		k = key4(i, (uint16_t)(i * 31u), 443);
		if (memcmp(&r->key, &k, sizeof(k)))
			fail_msg("row %u has another key", i);
		if (r->first_ms != 500 || r->last_ms != 2000000 + i || r->bytes != 100 ||
		    r->packets != 2 || r->protos != (NN_PROTO_TCP | NN_PROTO_UDP))
			fail_msg("row %u: first %llu last %llu bytes %llu packets %llu protos %u",
				 i, (unsigned long long)r->first_ms, (unsigned long long)r->last_ms,
				 (unsigned long long)r->bytes, (unsigned long long)r->packets,
				 r->protos);
	}
	mem = flowtab_memory(t);
	printf("flowtab: %u rows, %zu bytes, %.1f bytes per flow\n", MANY_KEYS, mem,
	       (double)mem / MANY_KEYS);
	assert_true(mem / MANY_KEYS < 150);
	assert_true(mem >= MANY_KEYS * sizeof(struct flow_row));
	flowtab_free(t);
}

/* IPv6 keys that differ only in the last address byte and in one port bit. */
static void test_many_ipv6_keys_close_together(void **state)
{
	struct flowtab *t = new_table();
	struct nn_flow_key k;
	struct flow_row d;
	uint32_t i, n = 0;

	(void)state;
	for (i = 0; i < 65536; i++) {
		memset(&k, 0, sizeof(k));
		k.family = NN_FAMILY_IPV6;
		k.saddr[0] = 0x20;
		k.saddr[1] = 0x01;
		k.saddr[14] = (uint8_t)(i >> 8);
		k.saddr[15] = (uint8_t)i;
		k.daddr[15] = 1;
		k.sport = htons(1);
		k.dport = htons(2);
		d = delta(&k, i, i, 1, 1, NN_PROTO_UDP);
		add(t, &d);
		k.dport = htons(3);
		d = delta(&k, i, i, 1, 1, NN_PROTO_UDP);
		add(t, &d);
		n += 2;
	}
	assert_int_equal(flowtab_size(t), n);
	for (i = 0; i < n; i++)
		assert_int_equal(flowtab_row(t, i)->packets, 1);
	flowtab_free(t);
}

/* Pointers from flowtab_row stay valid (same address, same contents) as the table grows. */
static void test_rows_do_not_move(void **state)
{
	struct flowtab *t = new_table();
	const struct flow_row *early[8];
	struct nn_flow_key k;
	struct flow_row d;
	uint32_t i;

	(void)state;
	for (i = 0; i < 8; i++) {
		k = key4(0xabc000 + i, 9, 9);
		d = delta(&k, i, i, i, 1, NN_PROTO_TCP);
		add(t, &d);
		early[i] = flowtab_row(t, i);
	}
	for (i = 0; i < MANY_KEYS; i++) {
		k = key4(i, 10, 10);
		d = delta(&k, 1, 1, 1, 1, NN_PROTO_UDP);
		add(t, &d);
	}
	for (i = 0; i < 8; i++) {
		assert_ptr_equal(early[i], flowtab_row(t, i));
		k = key4(0xabc000 + i, 9, 9);
		assert_memory_equal(&early[i]->key, &k, sizeof(k));
		assert_int_equal(early[i]->bytes, i);
	}
	/* A merge after the growth lands in the same row, visible through the old pointer. */
	k = key4(0xabc003, 9, 9);
	d = delta(&k, 0, 99, 1000, 1, NN_PROTO_UDP);
	add(t, &d);
	assert_int_equal(early[3]->bytes, 1003);
	assert_int_equal(early[3]->last_ms, 99);
	assert_int_equal(early[3]->protos, NN_PROTO_TCP | NN_PROTO_UDP);
	flowtab_free(t);
}

/* Memory grows with the rows and stays bounded per row at every size. */
static void test_memory_per_row(void **state)
{
	static const uint32_t sizes[] = { 10000, 50000, 100000, 200000, 300000 };
	struct flowtab *t = new_table();
	struct nn_flow_key k;
	struct flow_row d;
	size_t prev = flowtab_memory(t), mem;
	uint32_t i = 0, s;

	(void)state;
	for (s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		for (; i < sizes[s]; i++) {
			k = key4(i, 1, 1);
			d = delta(&k, 1, 1, 1, 1, NN_PROTO_TCP);
			add(t, &d);
		}
		mem = flowtab_memory(t);
		printf("flowtab: %u rows: %.1f bytes per flow\n", sizes[s], (double)mem / sizes[s]);
		assert_true(mem >= prev);
		assert_true(mem / sizes[s] < 150);
		prev = mem;
	}
	flowtab_free(t);
}

/* Remove rows at random: the others stay findable, lower rows keep their place. */
static void test_remove_keeps_lower_rows(void **state)
{
	struct flowtab *t = new_table();
	struct nn_flow_key k;
	struct flow_row d;
	size_t index;
	uint32_t i, left = 5000;
	static bool gone[5000];

	(void)state;
	memset(gone, 0, sizeof(gone));
	for (i = 0; i < 5000; i++) {
		k = key4(i, 1, 2);
		d = delta(&k, i, i, i, 1, NN_PROTO_TCP);
		add(t, &d);
	}
	for (i = 0; i < 4000; i++) {
		uint32_t victim = (i * 2654435761u) % 5000;
		size_t at;

		if (gone[victim])
			continue;
		k = key4(victim, 1, 2);
		for (at = 0; memcmp(&flowtab_row(t, at)->key, &k, sizeof(k)); at++)
			;
		flowtab_remove(t, at);
		gone[victim] = true;
		left--;
		assert_int_equal(flowtab_size(t), left);
	}
	/* Every row left is found again (a merge, not a new row); none that left is. */
	for (i = 0; i < 5000; i++) {
		k = key4(i, 1, 2);
		d = delta(&k, 0, 0, 0, 0, 0);
		assert_int_equal(flowtab_add(t, &d, &index), 0);
		assert_int_equal(flowtab_size(t), gone[i] ? left + 1 : left);
		assert_memory_equal(&flowtab_row(t, index)->key, &k, sizeof(k));
		if (gone[i]) {
			assert_int_equal(flowtab_row(t, index)->packets, 0);
			flowtab_remove(t, index);
		} else {
			assert_int_equal(flowtab_row(t, index)->packets, 1);
		}
	}
	flowtab_free(t);
}

static size_t drained;

static void count_drained(struct flow_row *rows, size_t n, void *ctx)
{
	(void)rows;
	(void)ctx;
	drained += n;
}

static void test_clear_and_drain(void **state)
{
	struct flowtab *t = new_table();
	struct nn_flow_key k;
	struct flow_row d;
	uint32_t i;

	(void)state;
	for (i = 0; i < 10000; i++) {
		k = key4(i, 1, 2);
		d = delta(&k, i, i, i, 1, NN_PROTO_TCP);
		add(t, &d);
	}
	flowtab_clear(t);
	assert_int_equal(flowtab_size(t), 0);
	for (i = 0; i < 9000; i++) {
		k = key4(i, 1, 2);
		d = delta(&k, i, i, i, 1, NN_PROTO_TCP);
		add(t, &d);
	}
	assert_int_equal(flowtab_size(t), 9000); /* nothing left over from before the clear */
	drained = 0;
	flowtab_drain(t, count_drained, NULL);
	assert_int_equal(drained, 9000);
	assert_int_equal(flowtab_size(t), 0);
	flowtab_free(t);
}

/*
 * Keys made to collide under the unkeyed hash of nasoone 0.1 (the same
 * construction as `pcapgen collide`): that hash folded the key eight bytes
 * at a time through an invertible step, so the destination's first eight
 * bytes can cancel what the source's last eight changed. With the keyed
 * hash they must scatter like any other keys.
 */
static uint64_t old_step(uint64_t h, uint64_t w)
{
	h ^= w;
	h *= 0xff51afd7ed558ccdull;
	return h ^ (h >> 32);
}

static void test_crafted_collisions_stay_short(void **state)
{
	struct flowtab *t = new_table();
	uint64_t w[5], h, first_state = 0;
	struct nn_flow_key k;
	struct flow_row d;
	uint32_t i, j;

	(void)state;
	for (i = 0; i < 20000; i++) {
		memset(&k, 0, sizeof(k));
		k.saddr[0] = 0x20;
		k.saddr[1] = 0x01;
		k.saddr[7] = 1;
		for (j = 0; j < 4; j++)
			k.saddr[12 + j] = (uint8_t)((i + 1) >> (8 * (3 - j)));
		memcpy(w, &k, 16);
		h = old_step(old_step(0x9e3779b97f4a7c15ull, w[0]), w[1]) ^ 0x0123456789abcdefull;
		memcpy(k.daddr, &h, 8);
		k.sport = htons(5353);
		k.dport = htons(53);
		k.family = NN_FAMILY_IPV6;
		/* They do collide under the old hash: the state after the third word is one. */
		memcpy(w, &k, sizeof(w));
		h = old_step(old_step(old_step(0x9e3779b97f4a7c15ull, w[0]), w[1]), w[2]);
		if (i == 0)
			first_state = h;
		assert_true(h == first_state);
		d = delta(&k, i, i, 1, 1, NN_PROTO_UDP);
		add(t, &d);
	}
	assert_int_equal(flowtab_size(t), 20000);
	/* Random keys at this load probe a few dozen slots at worst; one chain would be 19999. */
	assert_true(flowtab_longest_probe(t) < 200);
	flowtab_free(t);
}

/*
 * A chunk given back is the next one taken (memory already mapped, as the
 * report's store takes the drained tables' chunks), up to the few kept;
 * beyond those, chunks go back to malloc (make test-asan sees a chunk
 * kept twice or written out of bounds).
 */
static void test_row_chunks_are_passed_on(void **state)
{
	struct flow_row *chunks[40], *again;
	int i;

	(void)state;
	for (i = 0; i < 40; i++) {
		chunks[i] = row_chunk_new();
		assert_non_null(chunks[i]);
		/* Writable to the last row. */
		memset(&chunks[i][ROW_CHUNK_ROWS - 1], 0xa5, sizeof(struct flow_row));
	}
	row_chunk_free(chunks[7]);
	again = row_chunk_new();
	assert_ptr_equal(again, chunks[7]);
	row_chunk_free(again);
	for (i = 0; i < 40; i++)
		if (i != 7)
			row_chunk_free(chunks[i]);
	row_chunk_free(NULL);
	/* The kept ones come out again, each once. */
	for (i = 0; i < 40; i++)
		chunks[i] = row_chunk_new();
	for (i = 0; i < 40; i++) {
		int j;

		assert_non_null(chunks[i]);
		for (j = 0; j < i; j++)
			assert_ptr_not_equal(chunks[i], chunks[j]);
	}
	for (i = 0; i < 40; i++)
		row_chunk_free(chunks[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_prefetch_any_hash),
		cmocka_unit_test(test_hash_is_a_function_of_the_key),
		cmocka_unit_test(test_insert_one_row_copied),
		cmocka_unit_test(test_merge_semantics),
		cmocka_unit_test(test_merge_extreme_times),
		cmocka_unit_test(test_insertion_order),
		cmocka_unit_test(test_one_byte_differences),
		cmocka_unit_test(test_twins),
		cmocka_unit_test(test_family_and_pad_make_different_rows),
		cmocka_unit_test(test_directional),
		cmocka_unit_test(test_port_byte_order),
		cmocka_unit_test(test_many_keys),
		cmocka_unit_test(test_many_ipv6_keys_close_together),
		cmocka_unit_test(test_rows_do_not_move),
		cmocka_unit_test(test_memory_per_row),
		cmocka_unit_test(test_remove_keeps_lower_rows),
		cmocka_unit_test(test_clear_and_drain),
		cmocka_unit_test(test_row_chunks_are_passed_on),
		cmocka_unit_test(test_crafted_collisions_stay_short),
	};

	setvbuf(stdout, NULL, _IOLBF, 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
