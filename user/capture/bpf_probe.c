/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Can the eBPF path run here? The kernel features and privileges it needs,
 * asked one by one so the answer names what is missing (bpf_src.h).
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdio.h>
#include <unistd.h>

#include "capture/bpf_src.h"

int bpf_src_probe(char *why, size_t len)
{
	int fd;

	if (access("/sys/kernel/btf/vmlinux", R_OK)) {
		snprintf(why, len, "the kernel has no BTF (/sys/kernel/btf/vmlinux)");
		return -EOPNOTSUPP;
	}
	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "nasoone_probe", 4, 4, 1, NULL);
	if (fd < 0) {
		int ret = -errno;

		snprintf(why, len, "%s",
			 ret == -EPERM ? "no privilege for eBPF (needs root, or CAP_BPF and "
					 "CAP_NET_ADMIN)"
				       : "the kernel refuses BPF maps");
		return ret;
	}
	close(fd);
	if (libbpf_probe_bpf_map_type(BPF_MAP_TYPE_ARRAY_OF_MAPS, NULL) != 1 ||
	    libbpf_probe_bpf_map_type(BPF_MAP_TYPE_RINGBUF, NULL) != 1 ||
	    libbpf_probe_bpf_map_type(BPF_MAP_TYPE_LRU_HASH, NULL) != 1) {
		snprintf(why, len, "the kernel lacks map-in-map, ring buffer or LRU maps");
		return -EOPNOTSUPP;
	}
	/* Batch lookup on an empty hash map: ENOENT when the kernel has batch operations. */
	fd = bpf_map_create(BPF_MAP_TYPE_HASH, "nasoone_probe", 4, 4, 1, NULL);
	if (fd >= 0) {
		__u32 keys[1], vals[1], token, count = 1;
		int ret = bpf_map_lookup_batch(fd, NULL, &token, keys, vals, &count, NULL);
		int batch_errno = ret ? errno : 0;

		close(fd);
		if (ret && batch_errno != ENOENT) {
			snprintf(why, len, "the kernel lacks batch map operations");
			return -EOPNOTSUPP;
		}
	}
	if (libbpf_probe_bpf_prog_type(BPF_PROG_TYPE_XDP, NULL) != 1 ||
	    libbpf_probe_bpf_prog_type(BPF_PROG_TYPE_SCHED_CLS, NULL) != 1) {
		snprintf(why, len, "the kernel lacks XDP or TC programs");
		return -EOPNOTSUPP;
	}
	return 0;
}
