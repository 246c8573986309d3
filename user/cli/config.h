/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The configuration file (--config FILE): [section] headers, key = value
 * lines, quoted or bare strings, # and ; comments, read by libinih.
 * [general] takes the long options' names as keys ("interval = 5" is
 * "--interval 5"); each [alert NAME] section is one alert rule. The keys
 * become an argument vector that the command line's own parser reads
 * before the command line, which therefore overrides the file.
 */
#ifndef NASOONE_CONFIG_H
#define NASOONE_CONFIG_H

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>

#include "output/alert.h"

/* Checks one option as the command line would: 0, or non-zero after one line on stderr. */
typedef int (*config_check_fn)(const char *where, const struct option *opt, const char *value,
			       void *ctx);

struct config {
	char **argv; /* "--key", "value", ... from [general], NULL-terminated */
	int argc;
	char *filter; /* [general] filter: the expression, when the command line has none */
	struct alert_rule *rules;
	size_t nrules;
	/* What --print-config shows: each key's last value, file first, then the command line. */
	struct config_setting {
		char *key, *value;
	} * settings;
	size_t nsettings;
};

/*
 * Read path into cfg. Keys of [general] are the names in options (except
 * those in excluded); each value is checked through check. 0, or 2 after
 * one line "FILE:LINE: what is wrong" on stderr.
 */
int config_load(struct config *cfg, const char *path, const struct option *options,
		const char *const *excluded, config_check_fn check, void *ctx);
void config_free(struct config *cfg);
/* Note a setting for --print-config (a later one replaces an earlier one of the key). */
int config_note(struct config *cfg, const char *key, const char *value);
/* The effective configuration, in the file's syntax. */
void config_print(const struct config *cfg, FILE *out);

#endif /* NASOONE_CONFIG_H */
