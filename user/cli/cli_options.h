/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * nasoone(8)'s command line: the options, tcpdump's letters where they
 * apply and a one-line reason where they do not, into struct options.
 * `nasoone top` takes a part of them and its own, from the same table.
 */
#ifndef NASOONE_CLI_OPTIONS_H
#define NASOONE_CLI_OPTIONS_H

#include <getopt.h>
#include <stdbool.h>

#include "nasoone.h"
#include "cli/config.h"
#include "output/export.h"

#define EXIT_USAGE 2

/* The command whose options these are. */
enum cli_command { CLI_MAIN, CLI_TOP };

struct options {
	enum cli_command command; /* set before parse_args(); CLI_MAIN by default */
	const char *file;
	const char *device;
	const char *output;
	unsigned int interval; /* 0: the library's default */
	long threads;	       /* -1: the library's default */
	bool force;
	bool list;
	enum nasoone_mode mode;
	long map_entries, ring_bytes, drain_ms; /* 0: the library's defaults */
	long count;				/* -c, 0: none */
	long duration;				/* --duration seconds, 0: none */
	long buffer_kib;			/* -B, 0: the library's default */
	const char *filter_file;		/* -F */
	const char *user;			/* -Z, NULL: the default */
	bool no_promisc;			/* -p */
	int verbose;				/* -v: 1 and more; -q: -1 */
	enum nasoone_format format;
	long idle_timeout, active_timeout, max_flows; /* -1: the library's defaults */
	long rotation;				      /* -G, 0: none */
	const char *flow_log;
	struct export_options export; /* --export, --export-domain; .target NULL: none */
	char *expression;	      /* trailing words or -F's file, NULL when none */
	/* The configuration file (cli/config.c) and the article's modes. */
	enum view { VIEW_REPORT, VIEW_SUMMARY, VIEW_DETAILED } view;
	const char *config; /* --config FILE */
	bool print_config;
	bool initialized; /* the defaults are set (parse_args runs twice) */
	bool in_config;	  /* parsing the file's options, not the command line */
	bool file_in_config, device_in_config; /* so that -r on the command line beats -i */
	struct config cfg;
	/* nasoone top's own options. */
	const char *report;	 /* --report REPORT */
	bool exit_at_end;	 /* --exit-at-end */
	unsigned int refresh_ms; /* -d, 0: the view's default */
};

/* Fill o from argv: 0 to go on, -1 when done (--help, --version), else the exit status. */
int parse_args(int argc, char **argv, struct options *o);
/* The long options: the keys of a configuration file's [general] section. */
const struct option *options_table(void);
/* Usage errors begin with where ("FILE:LINE") instead of "nasoone" while it is set. */
void options_error_where(const char *where);
/* --config's file first, then the command line (config.c); as parse_args. */
int config_parse_args(int argc, char **argv, struct options *o);

#endif /* NASOONE_CLI_OPTIONS_H */
