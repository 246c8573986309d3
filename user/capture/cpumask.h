/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Sets of CPUs for the eBPF path, as many as the kernel may have (possible
 * CPUs, not a fixed maximum): which CPUs' maps to drain early, and the sum
 * of one per-CPU counter.
 */
#ifndef NASOONE_CPUMASK_H
#define NASOONE_CPUMASK_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* 64-bit words that hold a bit for each of ncpus CPUs. */
static inline size_t cpumask_words(unsigned int ncpus)
{
	return ((size_t)ncpus + 63) / 64;
}

static inline void cpumask_set(uint64_t *mask, unsigned int cpu)
{
	mask[cpu / 64] |= 1ull << (cpu % 64);
}

static inline bool cpumask_empty(const uint64_t *mask, size_t words)
{
	for (size_t i = 0; i < words; i++)
		if (mask[i])
			return false;
	return true;
}

/* Shared between threads: the ring thread sets, each drain thread takes its bit. */
static inline void cpumask_atomic_or(_Atomic uint64_t *shared, const uint64_t *mask, size_t words)
{
	for (size_t i = 0; i < words; i++)
		if (mask[i])
			atomic_fetch_or(&shared[i], mask[i]);
}

static inline bool cpumask_atomic_test(_Atomic uint64_t *shared, unsigned int cpu)
{
	return atomic_load(&shared[cpu / 64]) & (1ull << (cpu % 64));
}

static inline void cpumask_atomic_clear(_Atomic uint64_t *shared, unsigned int cpu)
{
	atomic_fetch_and(&shared[cpu / 64], ~(1ull << (cpu % 64)));
}

/*
 * A CPU list as the kernel writes it (/sys/devices/system/cpu/online:
 * "0-3,8,10-11") into mask, CPUs from ncpus on left out. 0, or -1 when the
 * text is not such a list.
 */
static inline int cpumask_parse_list(const char *text, uint64_t *mask, unsigned int ncpus)
{
	const char *p = text;

	while (*p && *p != '\n') {
		unsigned long lo = 0, hi;
		const char *start = p;

		while (*p >= '0' && *p <= '9')
			lo = lo * 10 + (unsigned long)(*p++ - '0');
		if (p == start || lo > 1u << 30)
			return -1;
		hi = lo;
		if (*p == '-') {
			start = ++p;
			hi = 0;
			while (*p >= '0' && *p <= '9')
				hi = hi * 10 + (unsigned long)(*p++ - '0');
			if (p == start || hi < lo || hi > 1u << 30)
				return -1;
		}
		for (unsigned long cpu = lo; cpu <= hi && cpu < ncpus; cpu++)
			cpumask_set(mask, (unsigned int)cpu);
		if (*p == ',')
			p++;
		else if (*p && *p != '\n')
			return -1;
	}
	return 0;
}

/* The sum of a per-CPU counter as a PERCPU map lookup gives it: one value per possible CPU. */
static inline uint64_t percpu_sum(const uint64_t *values, unsigned int ncpus)
{
	uint64_t sum = 0;

	for (unsigned int i = 0; i < ncpus; i++)
		sum += values[i];
	return sum;
}

#endif /* NASOONE_CPUMASK_H */
