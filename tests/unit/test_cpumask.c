/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * CPU sets and per-CPU sums of the eBPF path (user/capture/cpumask.h) with
 * as many CPUs as a kernel may have: early drains were asked only for CPUs
 * below 64 and the kernel counters read 0 beyond 256 possible CPUs.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture/cpumask.h"

#define MANY 8192 /* CONFIG_NR_CPUS goes up to 8192 on x86-64 */

static void test_mask_any_cpu(void **state)
{
	static const unsigned int cpus[] = { 0, 1, 63, 64, 100, 255, 256, 4095, MANY - 1 };
	size_t words = cpumask_words(MANY);
	uint64_t *mask = calloc(words, sizeof(*mask));
	_Atomic uint64_t *shared = calloc(words, sizeof(*shared));
	unsigned int i, cpu, set = 0;

	(void)state;
	assert_non_null(mask);
	assert_non_null(shared);
	assert_int_equal(cpumask_words(1), 1);
	assert_int_equal(cpumask_words(64), 1);
	assert_int_equal(cpumask_words(65), 2);
	assert_true(cpumask_empty(mask, words));
	for (i = 0; i < sizeof(cpus) / sizeof(cpus[0]); i++)
		cpumask_set(mask, cpus[i]);
	assert_false(cpumask_empty(mask, words));
	cpumask_atomic_or(shared, mask, words);
	for (cpu = 0; cpu < MANY; cpu++)
		set += cpumask_atomic_test(shared, cpu);
	assert_int_equal(set, sizeof(cpus) / sizeof(cpus[0]));
	for (i = 0; i < sizeof(cpus) / sizeof(cpus[0]); i++) {
		assert_true(cpumask_atomic_test(shared, cpus[i]));
		cpumask_atomic_clear(shared, cpus[i]);
		assert_false(cpumask_atomic_test(shared, cpus[i]));
	}
	for (i = 0; i < words; i++)
		assert_int_equal(shared[i], 0);
	free(mask);
	free((void *)shared);
}

static void test_sum_any_cpu_count(void **state)
{
	uint64_t *values = calloc(MANY, sizeof(*values));
	unsigned int n;

	(void)state;
	assert_non_null(values);
	for (n = 0; n < MANY; n++)
		values[n] = n + 1;
	for (n = 1; n <= MANY; n *= 2)
		assert_int_equal(percpu_sum(values, n), (uint64_t)n * (n + 1) / 2);
	assert_int_equal(percpu_sum(values, 257), 257ull * 258 / 2);
	free(values);
}

static void test_parse_online_list(void **state)
{
	size_t words = cpumask_words(MANY);
	uint64_t *mask = calloc(words, sizeof(*mask));
	unsigned int cpu, n = 0;

	(void)state;
	assert_non_null(mask);
	assert_int_equal(cpumask_parse_list("0-3,8,300-301,8191\n", mask, MANY), 0);
	for (cpu = 0; cpu < MANY; cpu++)
		n += (unsigned int)(mask[cpu / 64] >> (cpu % 64) & 1);
	assert_int_equal(n, 8);
	assert_true(mask[0] & (1ull << 8));
	assert_true(mask[300 / 64] & (1ull << (300 % 64)));
	assert_true(mask[8191 / 64] & (1ull << 63));
	/* CPUs beyond the possible ones are left out. */
	memset(mask, 0, words * sizeof(*mask));
	assert_int_equal(cpumask_parse_list("0-8191", mask, 100), 0);
	assert_int_equal(mask[0], ~0ull);
	assert_int_equal(mask[1], (1ull << 36) - 1);
	assert_int_equal(mask[2], 0);
	assert_int_equal(cpumask_parse_list("0-", mask, MANY), -1);
	assert_int_equal(cpumask_parse_list("3-1", mask, MANY), -1);
	assert_int_equal(cpumask_parse_list("a", mask, MANY), -1);
	free(mask);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mask_any_cpu),
		cmocka_unit_test(test_sum_any_cpu_count),
		cmocka_unit_test(test_parse_online_list),
	};

	setvbuf(stdout, NULL, _IOLBF, 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
