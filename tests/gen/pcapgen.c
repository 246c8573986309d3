/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * pcapgen: deterministic capture files with their expected reports.
 *
 *   pcapgen sample FILE [--expected REPORT]
 *   pcapgen rules DIR
 *   pcapgen corrupt DIR
 *   pcapgen mix --packets N --flows F [--seed S] [--snaplen L] [--expected REPORT] OUT
 */
#include <stdio.h>
#include <string.h>

#include "pcapgen.h"

static int usage(void)
{
	fputs("usage: pcapgen sample FILE [--expected REPORT]\n"
	      "       pcapgen rules DIR\n"
	      "       pcapgen corrupt DIR\n"
	      "       pcapgen mix --packets N --flows F [--seed S] [--snaplen L]\n"
	      "                   [--expected REPORT] OUT\n"
	      "       pcapgen collide --packets N [--random] OUT\n",
	      stderr);
	return 2;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return usage();
	if (!strcmp(argv[1], "sample") && (argc == 3 || argc == 5)) {
		if (argc == 5 && strcmp(argv[3], "--expected"))
			return usage();
		gen_sample(argv[2], argc == 5 ? argv[4] : NULL);
		return 0;
	}
	if (!strcmp(argv[1], "rules") && argc == 3) {
		gen_rules(argv[2]);
		return 0;
	}
	if (!strcmp(argv[1], "corrupt") && argc == 3) {
		gen_corrupt(argv[2]);
		return 0;
	}
	if (!strcmp(argv[1], "mix"))
		return gen_mix(argc - 2, argv + 2);
	if (!strcmp(argv[1], "collide"))
		return gen_collide(argc - 2, argv + 2);
	return usage();
}
