/* SPDX-License-Identifier: GPL-2.0-only */
#include "capture/cbpf.h" /* first: it reads <linux/bpf.h> with eBPF's bpf_insn renamed */

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdarg.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "capture/bpf_src_impl.h"
#include "capture/cpumask.h"
#include "nasoone.skel.h"
#include "nasoone/flow.h"
#include "nasoone/parse.h"

/* Debian's libbpf 1.1 predates tcx; the kernel has had these since 6.6. */
#define ATTACH_TCX_INGRESS 46
#define ATTACH_TCX_EGRESS  47
/*
 * Kernels before 6.6 have no tcx links: TC then goes through a netlink
 * cls_bpf filter, which outlives a killed process. A fixed handle and
 * priority mark nasoone's, so that the next run replaces a stale one.
 */
#define NETLINK_TC_HANDLE 0x6e61
#define NETLINK_TC_PRIO	  0x6e61
#define TC_VERDICT_PASS	  (-1) /* TCX_NEXT = TC_ACT_UNSPEC: later programs still run */
#define XDP_VERDICT_PASS  2    /* XDP_PASS */
#define DRAIN_BATCH	  1024 /* entries read per syscall, on the drain thread's stack */

/*
 * The program stamps packets with bpf_ktime_get_boot_ns(), CLOCK_BOOTTIME:
 * CLOCK_MONOTONIC that keeps counting while the system is suspended, as
 * CLOCK_REALTIME does, so a suspend does not move times (at the same cost
 * per packet as the monotonic clock, measured). Its offset to
 * CLOCK_REALTIME is read between two boottime reads, keeping the tightest
 * of a few tries, at every drain, and applied to every row that drain
 * reads. A row's times were taken up to one drain period before (half an
 * interval; longer if a drain was late), so whatever moved the offset since
 * then moves them: an NTP slew by up to 500 ppm of that age (0.5 ms per
 * second, 15 ms for a 30 s drain period), a clock step by the whole step.
 */
static int64_t realtime_offset_ns(void)
{
	struct timespec m1, r, m2;
	int64_t best_gap = INT64_MAX, offset = 0;
	int i;

	for (i = 0; i < 3; i++) {
		clock_gettime(CLOCK_BOOTTIME, &m1);
		clock_gettime(CLOCK_REALTIME, &r);
		clock_gettime(CLOCK_BOOTTIME, &m2);
		int64_t a = m1.tv_sec * 1000000000ll + m1.tv_nsec;
		int64_t b = m2.tv_sec * 1000000000ll + m2.tv_nsec;

		if (b - a < best_gap) {
			best_gap = b - a;
			offset = r.tv_sec * 1000000000ll + r.tv_nsec - (a + (b - a) / 2);
		}
	}
	return offset;
}

/* A kernel time to ms since the epoch: replayed times are ms already. */
static uint64_t to_ms(const struct bpf_src *b, uint64_t t, int64_t offset)
{
	return b->replay ? t : (t + (uint64_t)offset) / 1000000;
}

static void row_from(const struct bpf_src *b, struct flow_row *row, const struct nn_flow_key *key,
		     const struct nn_flow_val *val, int64_t offset)
{
	row->key = *key;
	row->first_ms = to_ms(b, val->first_ns, offset);
	row->last_ms = to_ms(b, val->last_ns, offset);
	row->bytes = val->bytes;
	row->ip_bytes = val->ip_bytes;
	row->packets = val->packets;
	row->protos = val->protos;
	row->hash = row_hash(key);
}

/* A CPU's map: IPv4 (the short key) or IPv6. */
static int new_inner_map(const struct bpf_src *b, bool ipv4)
{
	return bpf_map_create(BPF_MAP_TYPE_HASH, ipv4 ? "nasoone_cpu4" : "nasoone_cpu",
			      ipv4 ? sizeof(struct nn_flow_key4) : sizeof(struct nn_flow_key),
			      sizeof(struct nn_flow_val), b->flows_per_cpu, NULL);
}

/*
 * The CPUs online now. A kernel may have far more possible CPUs (slots,
 * ids) than online ones; unreadable, every possible CPU counts as online.
 */
static int read_online(struct bpf_src *b)
{
	size_t words = cpumask_words(b->ncpus);
	char text[4096];
	FILE *f;
	bool ok = false;

	b->online = calloc(words, sizeof(*b->online));
	if (!b->online)
		return -ENOMEM;
	f = fopen("/sys/devices/system/cpu/online", "r");
	if (f) {
		ok = fgets(text, sizeof(text), f) &&
		     !cpumask_parse_list(text, b->online, b->ncpus) &&
		     !cpumask_empty(b->online, words);
		fclose(f);
	}
	if (!ok) {
		memset(b->online, 0, words * sizeof(*b->online));
		for (unsigned int cpu = 0; cpu < b->ncpus; cpu++)
			cpumask_set(b->online, cpu);
	}
	return 0;
}

/*
 * Every online CPU gets a map in its slot of "flows" and a spare for the
 * first swap. The slot of a CPU that comes online later stays empty: its
 * packets go through the overflow ring (counted, never lost while the ring
 * has room).
 */
static int fill_slots(struct bpf_src *b)
{
	int outer = bpf_map__fd(b->skel->maps.flows), outer4 = bpf_map__fd(b->skel->maps.flows4);
	unsigned int cpu;
	int ret;

	b->active = calloc(b->ncpus, sizeof(int));
	b->spare = calloc(b->ncpus, sizeof(int));
	b->active4 = calloc(b->ncpus, sizeof(int));
	b->spare4 = calloc(b->ncpus, sizeof(int));
	if (!b->active || !b->spare || !b->active4 || !b->spare4)
		return -ENOMEM;
	for (cpu = 0; cpu < b->ncpus; cpu++)
		b->active[cpu] = b->spare[cpu] = b->active4[cpu] = b->spare4[cpu] = -1;
	ret = read_online(b);
	if (ret)
		return ret;
	for (cpu = 0; cpu < b->ncpus; cpu++) {
		if (!bpf_src_cpu_counts(b, cpu))
			continue;
		b->active[cpu] = new_inner_map(b, false);
		b->spare[cpu] = new_inner_map(b, false);
		b->active4[cpu] = new_inner_map(b, true);
		b->spare4[cpu] = new_inner_map(b, true);
		if (b->active[cpu] < 0 || b->spare[cpu] < 0 || b->active4[cpu] < 0 ||
		    b->spare4[cpu] < 0)
			return -errno;
		if (bpf_map_update_elem(outer, &cpu, &b->active[cpu], BPF_ANY) ||
		    bpf_map_update_elem(outer4, &cpu, &b->active4[cpu], BPF_ANY))
			return -errno;
	}
	return 0;
}

/*
 * Only the programs this mode runs go through the verifier, which takes most
 * of a start (a TC program about a second): XDP on ingress and TC on egress
 * live, TC on both with --mode tc, the ingress program alone for a replay.
 */
static void choose_programs(struct bpf_src *b)
{
	bool xdp = b->mode == BPF_SRC_XDP, live = !b->replay;

	bpf_program__set_autoload(b->skel->progs.nasoone_xdp, xdp);
	bpf_program__set_autoload(b->skel->progs.nasoone_xdp_account, xdp);
	bpf_program__set_autoload(b->skel->progs.nasoone_tc_ingress, !xdp);
	bpf_program__set_autoload(b->skel->progs.nasoone_tc_egress, live);
	bpf_program__set_autoload(b->skel->progs.nasoone_tc_account, !xdp || live);
}

static int install_programs(struct bpf_src *b, const char *filter, char *err, size_t errlen)
{
	struct {
		struct bpf_map *array;
		struct bpf_program *account;
		enum cbpf_ctx ctx;
		int pass;
	} chains[2] = {
		{ b->skel->maps.xdp_progs, b->skel->progs.nasoone_xdp_account, CBPF_CTX_XDP,
		  XDP_VERDICT_PASS },
		{ b->skel->maps.tc_progs, b->skel->progs.nasoone_tc_account, CBPF_CTX_TC,
		  TC_VERDICT_PASS },
	};
	__u32 slot;
	int i, fd, array;

	for (i = 0; i < 2; i++) {
		if (!bpf_program__autoload(chains[i].account))
			continue; /* a hook this mode does not attach */
		array = bpf_map__fd(chains[i].array);
		slot = NN_PROG_ACCOUNT;
		fd = bpf_program__fd(chains[i].account);
		if (bpf_map_update_elem(array, &slot, &fd, BPF_ANY))
			return -errno;
		if (!filter)
			continue;
		fd = cbpf_load_filter(filter, chains[i].ctx, array, chains[i].pass, err, errlen);
		if (fd < 0)
			return fd;
		b->filter_fds[i] = fd;
		slot = NN_PROG_FILTER;
		if (bpf_map_update_elem(array, &slot, &fd, BPF_ANY))
			return -errno;
	}
	return 0;
}

static const char *xdp_mode_name(int ifindex)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);

	if (bpf_xdp_query(ifindex, 0, &q))
		return "unknown mode";
	switch (q.attach_mode) {
	case XDP_ATTACHED_DRV:
		return "native";
	case XDP_ATTACHED_SKB:
		return "generic";
	case XDP_ATTACHED_HW:
		return "offloaded";
	default:
		return "multi";
	}
}

/*
 * TC on one direction (0 ingress, 1 egress): a tcx link where the kernel
 * has them, else a netlink cls_bpf filter (replacing one a killed run left
 * behind). NASOONE_TC_NETLINK=1 forces netlink, to test that path here.
 */
static int attach_tc(struct bpf_src *b, int prog_fd, int dir)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = b->ifindex,
		    .attach_point = dir ? BPF_TC_EGRESS : BPF_TC_INGRESS);
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = NETLINK_TC_HANDLE, .priority = NETLINK_TC_PRIO,
		    .prog_fd = prog_fd, .flags = BPF_TC_F_REPLACE);
	const char *force = getenv("NASOONE_TC_NETLINK");
	int ret;

	if (!force || strcmp(force, "1")) {
		b->links[dir] = bpf_link_create(prog_fd, b->ifindex,
						dir ? ATTACH_TCX_EGRESS : ATTACH_TCX_INGRESS, NULL);
		if (b->links[dir] >= 0)
			return 0;
		if (errno != EINVAL && errno != EOPNOTSUPP)
			return -errno;
	}
	ret = bpf_tc_hook_create(&hook);
	if (ret && ret != -EEXIST)
		return ret;
	ret = bpf_tc_attach(&hook, &opts);
	if (!ret)
		b->netlink[dir] = true;
	return ret;
}

static void detach_tc_netlink(struct bpf_src *b, int dir)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = b->ifindex,
		    .attach_point = dir ? BPF_TC_EGRESS : BPF_TC_INGRESS);
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = NETLINK_TC_HANDLE, .priority = NETLINK_TC_PRIO);

	bpf_tc_detach(&hook, &opts);
	b->netlink[dir] = false;
}

/*
 * bpf_link attachments: the kernel detaches them when the last descriptor
 * closes, so even a SIGKILLed nasoone leaves nothing behind. XDP tries the
 * driver's native mode and falls back to generic.
 */
static int attach(struct bpf_src *b, const char *ifname, char *err, size_t errlen)
{
	LIBBPF_OPTS(bpf_link_create_opts, native, .flags = XDP_FLAGS_DRV_MODE);
	int xdp = bpf_program__fd(b->skel->progs.nasoone_xdp);
	int tc_in = bpf_program__fd(b->skel->progs.nasoone_tc_ingress);
	int tc_out = bpf_program__fd(b->skel->progs.nasoone_tc_egress);
	int ret;

	b->ifindex = (int)if_nametoindex(ifname);
	if (!b->ifindex) {
		snprintf(err, errlen, "no such interface %s (see nasoone -D)", ifname);
		return -ENODEV;
	}
	if (b->mode == BPF_SRC_XDP) {
		b->links[0] = bpf_link_create(xdp, b->ifindex, BPF_XDP, &native);
		if (b->links[0] < 0)
			b->links[0] = bpf_link_create(xdp, b->ifindex, BPF_XDP, NULL);
		ret = b->links[0] < 0 ? -errno : 0;
	} else {
		ret = attach_tc(b, tc_in, 0);
	}
	if (ret) {
		snprintf(err, errlen, "cannot attach %s to %s ingress: %s",
			 b->mode == BPF_SRC_XDP ? "XDP" : "TC", ifname, strerror(-ret));
		return ret;
	}
	ret = attach_tc(b, tc_out, 1);
	if (ret) {
		snprintf(err, errlen, "cannot attach TC to %s egress: %s", ifname, strerror(-ret));
		return ret;
	}
	if (b->mode == BPF_SRC_XDP)
		snprintf(b->description, sizeof(b->description),
			 "eBPF: XDP (%s) on %s ingress, TC (%s) on egress",
			 xdp_mode_name(b->ifindex), ifname,
			 b->netlink[1] ? "netlink cls_bpf" : "tcx link");
	else
		snprintf(b->description, sizeof(b->description),
			 "eBPF: TC (%s) on %s ingress and egress",
			 b->netlink[0] ? "netlink cls_bpf" : "tcx link", ifname);
	return 0;
}

static int ring_record(void *ctx, void *data, size_t size)
{
	struct bpf_src *b = ctx;
	const struct nn_overflow *rec = data;
	struct nn_flow_val val;
	struct flow_row row;

	if (size < sizeof(*rec))
		return 0;
	memset(&val, 0, sizeof(val));
	val.first_ns = val.last_ns = rec->ts_ns;
	val.bytes = rec->bytes;
	val.ip_bytes = rec->ip_bytes;
	val.packets = rec->packets;
	val.protos = rec->protos;
	row_from(b, &row, &rec->key, &val, realtime_offset_ns());
	b->ring_fn(&row, b->ring_ctx);
	if (rec->cpu < b->ncpus)
		cpumask_set(b->ring_full, rec->cpu);
	return 0;
}

/*
 * libbpf's own messages: nasoone says what failed in one line of its own,
 * so they are shown only with NASOONE_DEBUG=1 (verifier logs included).
 */
static int libbpf_message(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	static int debug = -1;

	if (debug < 0)
		debug = getenv("NASOONE_DEBUG") && !strcmp(getenv("NASOONE_DEBUG"), "1");
	if (!debug || level == LIBBPF_DEBUG)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

int bpf_src_open(struct bpf_src **out, const struct bpf_src_opts *opts, char *err, size_t errlen)
{
	struct bpf_src *b = calloc(1, sizeof(*b));
	int ret = -ENOMEM, ncpus;

	*out = NULL;
	if (!b)
		return -ENOMEM;
	libbpf_set_print(libbpf_message);
	b->filter_fds[0] = b->filter_fds[1] = b->links[0] = b->links[1] = -1;
	b->mode = opts->mode;
	b->replay = !opts->ifname;
	b->flows_per_cpu = opts->flows_per_cpu ? opts->flows_per_cpu : NN_FLOWS_PER_CPU;
	ncpus = libbpf_num_possible_cpus();
	if (ncpus <= 0)
		goto fail;
	b->ncpus = (unsigned int)ncpus;

	b->skel = nasoone_bpf__open();
	if (!b->skel) {
		ret = -errno;
		snprintf(err, errlen, "cannot open the BPF object: %s", strerror(-ret));
		goto fail;
	}
	b->skel->rodata->use_filter = opts->filter != NULL;
	b->skel->rodata->replay = b->replay;
	bpf_map__set_max_entries(b->skel->maps.flows, b->ncpus);
	bpf_map__set_max_entries(b->skel->maps.flows4, b->ncpus);
	if (opts->ring_bytes)
		bpf_map__set_max_entries(b->skel->maps.overflow, opts->ring_bytes);
	choose_programs(b);
	ret = nasoone_bpf__load(b->skel);
	if (ret == -EINVAL)
		ret = -EOPNOTSUPP; /* a verifier refusal: this kernel cannot run it */
	if (ret) {
		snprintf(err, errlen, "cannot load the BPF programs: %s%s", strerror(-ret),
			 ret == -EPERM ? " (needs root, or CAP_BPF and CAP_NET_ADMIN)" : "");
		goto fail;
	}
	ret = fill_slots(b);
	if (ret == -EINVAL)
		ret = -EOPNOTSUPP;
	if (ret) {
		snprintf(err, errlen, "cannot create the per-CPU flow maps: %s", strerror(-ret));
		goto fail;
	}
	ret = install_programs(b, opts->filter, err, errlen);
	if (ret)
		goto fail;
	b->ring = ring_buffer__new(bpf_map__fd(b->skel->maps.overflow), ring_record, b, NULL);
	if (!b->ring) {
		ret = -errno;
		snprintf(err, errlen, "cannot open the overflow ring buffer: %s", strerror(-ret));
		goto fail;
	}
	if (opts->ifname) {
		ret = attach(b, opts->ifname, err, errlen);
		if (ret == -EINVAL)
			ret = -EOPNOTSUPP; /* e.g. no tcx links before Linux 6.6 */
		if (ret)
			goto fail;
	} else {
		snprintf(b->description, sizeof(b->description),
			 "eBPF: capture replayed through the %s program (BPF_PROG_TEST_RUN)",
			 b->mode == BPF_SRC_XDP ? "XDP" : "TC");
	}
	*out = b;
	return 0;
fail:
	bpf_src_close(b);
	/* -EINVAL means a bad filter to the caller; any other kernel refusal is "not here". */
	if (ret != -EPERM && ret != -ENODEV && ret != -ENOMEM && ret != -EINVAL)
		ret = -EOPNOTSUPP;
	return ret;
}

const char *bpf_src_describe(const struct bpf_src *b)
{
	return b->description;
}

bool bpf_src_uses_netlink(const struct bpf_src *b)
{
	return b->netlink[0] || b->netlink[1];
}

unsigned int bpf_src_ncpus(const struct bpf_src *b)
{
	return b->ncpus;
}

bool bpf_src_cpu_counts(const struct bpf_src *b, unsigned int cpu)
{
	return cpu < b->ncpus && (b->online[cpu / 64] >> (cpu % 64) & 1);
}

/* Read and delete every entry of a retired map (no program can reach it any more). */
static int drain_map(struct bpf_src *b, int fd, bool ipv4, bpf_src_row_fn fn, void *ctx,
		     uint64_t *rows)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	/* Per call: drain threads of different CPUs run this at the same time. */
	struct nn_flow_key keys[DRAIN_BATCH], key;
	struct nn_flow_key4 keys4[DRAIN_BATCH];
	struct nn_flow_val vals[DRAIN_BATCH];
	int64_t offset = realtime_offset_ns();
	__u32 token = 0, count, i;
	struct flow_row row;
	bool first = true;
	int ret;

	*rows = 0;
	for (;;) {
		count = DRAIN_BATCH;
		ret = bpf_map_lookup_and_delete_batch(fd, first ? NULL : &token, &token,
						      ipv4 ? (void *)keys4 : (void *)keys, vals,
						      &count, &opts);
		if (ret && errno != ENOENT)
			return -errno;
		for (i = 0; i < count; i++) {
			if (ipv4)
				nn_flow_key_from4(&key, &keys4[i]);
			row_from(b, &row, ipv4 ? &key : &keys[i], &vals[i], offset);
			fn(&row, ctx);
		}
		*rows += count;
		if (ret) /* ENOENT: that was the last batch */
			return 0;
		first = false;
	}
}

/* Swap one of a CPU's maps (IPv4 or IPv6) for its spare; the retired map's fd. */
static int swap_slot(int outer, unsigned int cpu, int *active, int *spare)
{
	int retired;

	/*
	 * The update of a map-in-map slot waits for an RCU grace period: once
	 * it returns, no program still holds the old map, which is ours alone.
	 */
	if (bpf_map_update_elem(outer, &cpu, &spare[cpu], BPF_ANY))
		return -errno;
	retired = active[cpu];
	active[cpu] = spare[cpu];
	spare[cpu] = retired;
	return retired;
}

int bpf_src_drain(struct bpf_src *b, unsigned int cpu, bpf_src_row_fn fn, void *ctx)
{
	uint64_t rows = 0, rows4 = 0;
	int retired, retired4, ret = 0;

	if (cpu >= b->ncpus || b->active[cpu] < 0)
		return 0; /* no map: this CPU's packets come through the ring */
	retired = swap_slot(bpf_map__fd(b->skel->maps.flows), cpu, b->active, b->spare);
	retired4 = swap_slot(bpf_map__fd(b->skel->maps.flows4), cpu, b->active4, b->spare4);
	/* A failed swap leaves that map in its slot: the next drain reads it. */
	if (retired >= 0)
		ret = drain_map(b, retired, false, fn, ctx, &rows);
	else
		ret = retired;
	if (retired4 >= 0) {
		int ret4 = drain_map(b, retired4, true, fn, ctx, &rows4);

		if (!ret)
			ret = ret4;
	} else if (!ret) {
		ret = retired4;
	}
	if (rows4 > rows)
		rows = rows4;
	/* Drain threads of several CPUs update it: a lock-free maximum. */
	uint64_t seen = __atomic_load_n(&b->last_fill_max, __ATOMIC_RELAXED);

	while (rows > seen && !__atomic_compare_exchange_n(&b->last_fill_max, &seen, rows, true,
							   __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
	return ret;
}

int bpf_src_poll_ring(struct bpf_src *b, int timeout_ms, bpf_src_row_fn fn, void *ctx,
		      uint64_t *full_cpus)
{
	int ret;

	b->ring_fn = fn;
	b->ring_ctx = ctx;
	b->ring_full = full_cpus;
	ret = timeout_ms ? ring_buffer__poll(b->ring, timeout_ms) : ring_buffer__consume(b->ring);
	return ret == -EINTR ? 0 : ret;
}

void bpf_src_set_paused(struct bpf_src *b, bool paused)
{
	__atomic_store_n(&b->skel->bss->paused, paused ? 1 : 0, __ATOMIC_RELEASE);
}

void bpf_src_detach(struct bpf_src *b)
{
	int i;

	for (i = 0; i < 2; i++) {
		if (b->links[i] >= 0)
			close(b->links[i]);
		b->links[i] = -1;
		if (b->netlink[i])
			detach_tc_netlink(b, i);
	}
}

void bpf_src_close(struct bpf_src *b)
{
	unsigned int cpu;
	int i;

	if (!b)
		return;
	bpf_src_detach(b);
	ring_buffer__free(b->ring);
	for (i = 0; i < 2; i++)
		if (b->filter_fds[i] >= 0)
			close(b->filter_fds[i]);
	for (cpu = 0; b->active && b->spare && b->active4 && b->spare4 && cpu < b->ncpus; cpu++) {
		if (b->active[cpu] >= 0)
			close(b->active[cpu]);
		if (b->spare[cpu] >= 0)
			close(b->spare[cpu]);
		if (b->active4[cpu] >= 0)
			close(b->active4[cpu]);
		if (b->spare4[cpu] >= 0)
			close(b->spare4[cpu]);
	}
	free(b->active);
	free(b->spare);
	free(b->active4);
	free(b->spare4);
	free(b->online);
	nasoone_bpf__destroy(b->skel);
	free(b);
}
