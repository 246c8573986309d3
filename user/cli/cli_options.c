/* SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli/cli_options.h"

#define INTERVAL_MAX	86400
#define THREADS_MAX	64
#define DURATION_MAX	(10l * 365 * 86400)
#define BUFFER_KIB_MAX	(INT_MAX / 1024) /* libpcap takes an int of bytes */
#define FILTER_FILE_MAX (1 << 20)
#define REFRESH_MIN	0.1 /* nasoone top -d, seconds */
#define REFRESH_MAX	60

/* Long options without a letter. */
enum {
	OPT_FORCE = 256,
	OPT_DURATION,
	OPT_MAP_ENTRIES,
	OPT_RING_BYTES,
	OPT_DRAIN_MS,
	OPT_VERSION,
	OPT_FORMAT,
	OPT_IDLE_TIMEOUT,
	OPT_ACTIVE_TIMEOUT,
	OPT_MAX_FLOWS,
	OPT_FLOW_LOG,
	OPT_EXPORT,
	OPT_EXPORT_DOMAIN,
	OPT_CONFIG,
	OPT_PRINT_CONFIG,
	OPT_REPORT,
	OPT_EXIT_AT_END,
};

/* Which command takes an option (bits of enum cli_command). */
#define FOR_MAIN (1u << CLI_MAIN)
#define FOR_TOP	 (1u << CLI_TOP)
#define FOR_BOTH (FOR_MAIN | FOR_TOP)

/*
 * One option of either command: its names, the commands that take it and
 * its --help lines, in the order --help lists them. An entry without val
 * is a help line only; one without a name has a letter only.
 */
struct cli_option {
	const char *name;
	int has_arg;
	int val; /* the letter, or OPT_* */
	unsigned int commands;
	const char *help;
	const char *top_help; /* nasoone top's lines where they differ */
};

static const struct cli_option specs[] = {
	{ "read", required_argument, 'r', FOR_BOTH,
	  "  -r, --read FILE          read packets from FILE (pcap, pcapng, gzip'd)\n", NULL },
	{ "interface", required_argument, 'i', FOR_BOTH,
	  "  -i, --interface IFACE    capture live on IFACE, or on 'any' (libpcap) (default:\n"
	  "                           the first interface that is up, has an address and\n"
	  "                           is not loopback)\n",
	  NULL },
	{ "write", required_argument, 'w', FOR_BOTH,
	  "  -w, --write REPORT       write the report to REPORT ('-' or none: standard\n"
	  "                           output); a regular file is rewritten atomically\n"
	  "                           every interval; a text report, never a capture file\n",
	  "  -w, --write REPORT       also write the report (the final one on q)\n" },
	{ "force", no_argument, OPT_FORCE, FOR_BOTH,
	  "      --force              replace REPORT if it exists\n", NULL },
	{ "interval", required_argument, 't', FOR_BOTH,
	  "  -t, --interval SECONDS   rewrite the report every SECONDS (1-86400, default 10)\n",
	  NULL },
	{ "count", required_argument, 'c', FOR_MAIN,
	  "  -c, --count COUNT        stop after COUNT packets passed the filter\n", NULL },
	{ "duration", required_argument, OPT_DURATION, FOR_MAIN,
	  "      --duration SECONDS   stop after SECONDS\n", NULL },
	{ "filter-file", required_argument, 'F', FOR_MAIN,
	  "  -F, --filter-file FILE   read the filter expression from FILE ('#' starts a\n"
	  "                           comment)\n",
	  NULL },
	{ "no-promiscuous-mode", no_argument, 'p', FOR_MAIN,
	  "  -p, --no-promiscuous-mode  leave the interface's promiscuous mode alone\n", NULL },
	{ "buffer-size", required_argument, 'B', FOR_MAIN,
	  "  -B, --buffer-size KIB    libpcap's capture buffer in KiB (default 32768)\n", NULL },
	{ "relinquish-privileges", required_argument, 'Z', FOR_MAIN,
	  "  -Z, --relinquish-privileges USER\n"
	  "                           once the capture is open, run as USER (default as\n"
	  "                           root: nasoone if that user exists, else nobody;\n"
	  "                           -Z root keeps root)\n",
	  NULL },
	{ "threads", required_argument, 'j', FOR_BOTH,
	  "  -j, --threads THREADS    counting threads (0-64, default 0 = one per CPU, less the "
	  "reader)\n",
	  NULL },
	{ "mode", required_argument, 'm', FOR_BOTH,
	  "  -m, --mode MODE          capture path: auto (default: eBPF on an interface\n"
	  "                           when it can run and take the run, else libpcap;\n"
	  "                           libpcap for files), xdp (XDP ingress + TC egress),\n"
	  "                           tc (TC both ways), pcap; with -r, xdp and tc replay\n"
	  "                           the file through the in-kernel program\n",
	  NULL },
	{ "map-entries", required_argument, OPT_MAP_ENTRIES, FOR_MAIN,
	  "      --map-entries N      eBPF: flows per CPU map (default 65536)\n", NULL },
	{ "ring-bytes", required_argument, OPT_RING_BYTES, FOR_MAIN,
	  "      --ring-bytes N       eBPF: overflow ring size, a power of 2 (default 4 MiB)\n",
	  NULL },
	{ "drain-ms", required_argument, OPT_DRAIN_MS, FOR_MAIN,
	  "      --drain-ms N         eBPF: drain period (default: half the interval)\n", NULL },
	{ "format", required_argument, OPT_FORMAT, FOR_BOTH,
	  "      --format FORMAT      report format: nasoone (default), csv (RFC 4180),\n"
	  "                           json (JSON Lines)\n",
	  NULL },
	{ "idle-timeout", required_argument, OPT_IDLE_TIMEOUT, FOR_BOTH,
	  "      --idle-timeout S     a row ends after S seconds without a packet\n"
	  "                           (default 60 on an interface, never for a file)\n",
	  NULL },
	{ "active-timeout", required_argument, OPT_ACTIVE_TIMEOUT, FOR_BOTH,
	  "      --active-timeout S   a row ends S seconds after its first packet\n"
	  "                           (default 300 on an interface, never for a file)\n",
	  NULL },
	/* -m's other values: what nasoone shows (nasoone top is a view of its own). */
	{ NULL, 0, 0, FOR_MAIN,
	  "      --mode summary|detailed  what to show while running: a table of the\n"
	  "                           traffic per address every interval on stdout, or\n"
	  "                           one line per packet (libpcap path); the report\n"
	  "                           then goes only to -w\n",
	  NULL },
	{ "config", required_argument, OPT_CONFIG, FOR_MAIN,
	  "      --config FILE        read options and [alert NAME] rules from FILE\n"
	  "                           (the command line overrides it)\n",
	  NULL },
	{ "print-config", no_argument, OPT_PRINT_CONFIG, FOR_MAIN,
	  "      --print-config       show the effective configuration and exit\n", NULL },
	{ "max-flows", required_argument, OPT_MAX_FLOWS, FOR_BOTH,
	  "      --max-flows N        rows in memory before the report is finished and\n"
	  "                           a new one begun (default 1000000 on an interface,\n"
	  "                           no limit for a file; 0: no limit)\n",
	  NULL },
	/* --rotation: -G as a key of a configuration file. */
	{ "rotation", required_argument, 'G', FOR_MAIN,
	  "  -G SECONDS               finish the report every SECONDS and begin a new\n"
	  "                           one; REPORT is then a strftime(3) pattern\n",
	  NULL },
	{ "flow-log", required_argument, OPT_FLOW_LOG, FOR_MAIN,
	  "      --flow-log FILE      every row that ends, one JSON line each with\n"
	  "                           its end reason ('-': standard output)\n",
	  NULL },
	{ "export", required_argument, OPT_EXPORT, FOR_MAIN,
	  "      --export TARGET      every row that ends as an IPFIX record to a collector:\n"
	  "                           [udp://|tcp://]HOST[:PORT] (default udp, port 4739)\n",
	  NULL },
	{ "export-domain", required_argument, OPT_EXPORT_DOMAIN, FOR_MAIN,
	  "      --export-domain ID   IPFIX observation domain id (default 1)\n", NULL },
	{ NULL, no_argument, 'n', FOR_MAIN,
	  "  -n                       accepted: addresses are always numeric\n", NULL },
	{ NULL, no_argument, 'q', FOR_MAIN,
	  "  -q                       quiet: no path line, no statistics at the end\n", NULL },
	{ NULL, no_argument, 'v', FOR_MAIN,
	  "  -v                       verbose: the path line for files too, and the user\n"
	  "                           and capabilities left after the drop\n",
	  NULL },
	{ "list-interfaces", no_argument, 'D', FOR_MAIN,
	  "  -D, --list-interfaces    list the capture devices and exit\n", NULL },
	{ "delay", required_argument, 'd', FOR_TOP,
	  "  -d, --delay SECONDS      refresh every SECONDS (0.1-60, default 0.5)\n", NULL },
	{ "report", required_argument, OPT_REPORT, FOR_TOP,
	  "      --report REPORT      follow REPORT, rewritten by another nasoone -w REPORT\n",
	  NULL },
	{ "exit-at-end", no_argument, OPT_EXIT_AT_END, FOR_TOP,
	  "      --exit-at-end        quit when the file is read to its end (default: the\n"
	  "                           table stays, marked finished, until q)\n",
	  NULL },
	{ "help", no_argument, 'h', FOR_BOTH,
	  "  -h, --help               show this help and exit\n", NULL },
	{ "version", no_argument, OPT_VERSION, FOR_MAIN,
	  "      --version            show the version and exit\n", NULL },
	{ NULL, 0, 0, FOR_BOTH,
	  "  expression               a pcap-filter(7) expression; only matching packets\n"
	  "                           are counted\n",
	  NULL },
};

#define SPEC_COUNT (sizeof(specs) / sizeof(specs[0]))

/* What --help prints before and after the options, per command. */
static const char *const usage_head[] = {
	[CLI_MAIN] =
		"Usage: nasoone [-npqv] [-c COUNT] [-B KIB] [-F FILE] [-j THREADS] [-t SECONDS]\n"
		"               [-m MODE] [-w REPORT] [-Z USER] [-r FILE | -i IFACE] [expression]\n"
		"       nasoone -D | -h | --version\n"
		"       nasoone top [options] [-r FILE | -i IFACE | --report REPORT]  (the live "
		"view)\n"
		"\n"
		"Write one report row per directional 4-tuple (source ip and port,\n"
		"destination ip and port) of the TCP and UDP traffic read from a capture\n"
		"file or captured live on an interface.\n"
		"\n"
		"Options:\n",
	[CLI_TOP] = "Usage: nasoone top [--force] [-d SECONDS] [-j THREADS] [-t SECONDS] [-m "
		    "MODE] [-w REPORT]\n"
		    "                   [--exit-at-end] [-r FILE | -i IFACE] [expression]\n"
		    "       nasoone top --report REPORT\n"
		    "\n"
		    "A live, sortable and filterable view of the rows of a capture (or of a "
		    "report\n"
		    "that another nasoone rewrites), refreshed every 0.5 s. Press ? in the view "
		    "for\n"
		    "the keys.\n"
		    "\n"
		    "Options (those of nasoone mean what they mean there):\n",
};

static const char *const usage_tail[] = {
	[CLI_MAIN] =
		"\n"
		"Signals and keys (keys when standard input is a terminal):\n"
		"  SIGUSR1, s                     print the statistics to stderr\n"
		"  SIGRTMIN, p                    pause\n"
		"  SIGRTMIN+1, SIGUSR2, r         resume\n"
		"  SIGINT, SIGTERM, q             stop, write the final report and exit\n"
		"\n"
		"EXAMPLES:\n"
		"  nasoone -r trace.pcap                    report of a capture file on stdout\n"
		"  nasoone -r trace.pcap.gz -w report.txt   the same into report.txt\n"
		"  nasoone -r trace.pcap -j 1 udp port 53   DNS over UDP only, one thread\n"
		"  nasoone -i eth0 -w /tmp/r.txt --force -t 5  live on eth0, rewritten every 5 s\n"
		"  nasoone -i eth0 -c 1000 -F dns.filter    the first 1000 packets the filter "
		"takes\n"
		"  nasoone -i eth0 --mode tc                live on eth0 through TC only\n"
		"  nasoone -r trace.pcap --mode xdp         replay a file through the XDP program\n"
		"  nasoone -D                               list the capture devices\n",
	[CLI_TOP] = "",
};

static const char *const command_names[] = { [CLI_MAIN] = "nasoone", [CLI_TOP] = "nasoone top" };

/* getopt_long()'s tables of each command, made from specs[] on first use. */
static struct option long_options[2][SPEC_COUNT + 1];
static char short_options[2][2 * SPEC_COUNT + 2];

static void build_tables(enum cli_command cmd)
{
	struct option *lo = long_options[cmd];
	char *so = short_options[cmd];

	if (*so)
		return;
	*so++ = ':'; /* our own one-line messages for a missing argument */
	for (size_t i = 0; i < SPEC_COUNT; i++) {
		const struct cli_option *s = &specs[i];

		if (!(s->commands & (1u << cmd)) || !s->val)
			continue;
		if (s->name)
			*lo++ = (struct option){ s->name, s->has_arg, NULL, s->val };
		if (s->val < 256) {
			*so++ = (char)s->val;
			if (s->has_arg == required_argument)
				*so++ = ':';
		}
	}
}

static void print_usage(enum cli_command cmd)
{
	fputs(usage_head[cmd], stdout);
	for (size_t i = 0; i < SPEC_COUNT; i++)
		if (specs[i].commands & (1u << cmd))
			fputs(cmd == CLI_TOP && specs[i].top_help ? specs[i].top_help
								  : specs[i].help,
			      stdout);
	fputs(usage_tail[cmd], stdout);
}

/* "FILE:LINE" while a configuration file's value is checked, else NULL. */
static const char *error_where;
/* The command whose options are parsed, for its name in the error lines. */
static enum cli_command error_command;

const struct option *options_table(void)
{
	build_tables(CLI_MAIN);
	return long_options[CLI_MAIN];
}

void options_error_where(const char *where)
{
	error_where = where;
}

/* One line on stderr for a usage error; the caller exits with EXIT_USAGE. */
__attribute__((format(printf, 1, 2))) static void usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", error_where ? error_where : command_names[error_command]);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (error_where)
		fputc('\n', stderr);
	else
		fprintf(stderr, " (see %s --help)\n", command_names[error_command]);
}

/* A command-line option, for --print-config (under its long name). */
static int note_option(struct options *o, int c, const char *arg)
{
	if (c == OPT_CONFIG || c == OPT_PRINT_CONFIG)
		return 0;
	for (const struct option *lo = options_table(); lo->name; lo++)
		if (lo->val == c)
			return config_note(&o->cfg, lo->name, lo->has_arg ? arg : NULL);
	return 0;
}

/*
 * Parse arg as a decimal integer within [min, max] into *out. On failure,
 * print one line naming the option and the accepted range; -EINVAL when
 * arg is not a number, -ERANGE when it is out of range.
 */
static int parse_bounded_long(const char *opt, const char *arg, long min, long max, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(arg, &end, 10);
	if (end == arg || *end || arg[0] == '\0') {
		usage_error("invalid %s value '%s': expected an integer from %ld to %ld", opt, arg,
			    min, max);
		return -EINVAL;
	}
	if (errno == ERANGE || v < min || v > max) {
		usage_error("%s value '%s' out of range: expected %ld to %ld", opt, arg, min, max);
		return -ERANGE;
	}
	*out = v;
	return 0;
}

/* As parse_bounded_long() for a decimal number that may have a fraction (nasoone top -d). */
static int parse_bounded_double(const char *opt, const char *arg, double min, double max,
				double *out)
{
	char *end;
	double v = strtod(arg, &end);

	/* Written so that NaN fails too. */
	if (end == arg || *end || !(v >= min && v <= max)) {
		usage_error("invalid %s value '%s': expected a number from %g to %g", opt, arg, min,
			    max);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

/* Join the trailing words with spaces, as tcpdump's copy_argv(); NULL when none or no memory. */
static char *copy_argv(char **argv)
{
	size_t len = 0;
	char *buf, *p;

	if (!*argv)
		return NULL;
	for (char **a = argv; *a; a++)
		len += strlen(*a) + 1;
	buf = malloc(len);
	if (!buf)
		return NULL;
	p = buf;
	for (char **a = argv; *a; a++) {
		size_t l = strlen(*a);

		memcpy(p, *a, l);
		p += l;
		*p++ = ' ';
	}
	p[-1] = '\0';
	return buf;
}

/*
 * The option getopt_long() stopped at: "-c" for a short one (optopt), the
 * word as typed for a long one. glibc sets optopt to 0 for an unknown long
 * option; for a missing argument optind has moved past the option itself.
 */
static const char *bad_option_name(int c, char **argv, char *buf, size_t size)
{
	const char *arg = argv[optind - 1];

	if ((c == ':' || !optopt) && arg && !strncmp(arg, "--", 2))
		return arg;
	snprintf(buf, size, "-%c", optopt ? optopt : '?');
	return buf;
}

static int parse_format(const char *arg, enum nasoone_format *format)
{
	static const char *const names[] = { [NASOONE_FORMAT_NASOONE] = "nasoone",
					     [NASOONE_FORMAT_CSV] = "csv",
					     [NASOONE_FORMAT_JSON] = "json" };
	unsigned int i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!strcmp(arg, names[i])) {
			*format = (enum nasoone_format)i;
			return 0;
		}
	}
	usage_error("unknown format '%s': use nasoone, csv or json", arg);
	return -1;
}

/* The capture path, or (views) also what nasoone shows; nasoone top is a view of its own. */
static int parse_mode(const char *arg, bool views, enum nasoone_mode *mode, enum view *view)
{
	static const char *const names[] = { [NASOONE_MODE_AUTO] = "auto",
					     [NASOONE_MODE_XDP] = "xdp",
					     [NASOONE_MODE_TC] = "tc",
					     [NASOONE_MODE_PCAP] = "pcap" };
	unsigned int i;

	/* The article's [general] mode: what is shown, apart from the capture path. */
	if (views &&
	    (!strcmp(arg, "summary") || !strcmp(arg, "detailed") || !strcmp(arg, "report"))) {
		*view = arg[0] == 's' ? VIEW_SUMMARY : arg[0] == 'd' ? VIEW_DETAILED : VIEW_REPORT;
		return 0;
	}
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!strcmp(arg, names[i])) {
			*mode = (enum nasoone_mode)i;
			return 0;
		}
	}
	if (views)
		usage_error("unknown mode '%s': use auto, xdp, tc or pcap (the path), or summary, "
			    "detailed or report (what is shown)",
			    arg);
	else
		usage_error("unknown mode '%s': use auto, xdp, tc or pcap", arg);
	return -1;
}

/* Why tcpdump's -t forms are refused, for a -t value that is not a number. */
static void bad_interval(const char *arg)
{
	bool tcpdump_form = arg[strspn(arg, "t")] == '\0';

	usage_error("%s%s: -t SECONDS is the report interval (1-%d); tcpdump's timestamp formats "
		    "(-t, -tt, -ttt, -tttt, -ttttt) do not apply, as nasoone prints no packets",
		    tcpdump_form ? "-t" : "invalid -t value ", tcpdump_form ? arg : arg,
		    INTERVAL_MAX);
}

/* tcpdump's -w writes a capture; nasoone's writes a text report: refuse a capture's name. */
static bool capture_name(const char *path)
{
	static const char *const ends[] = { ".pcap", ".pcapng", ".cap", ".pcap.gz", ".pcapng.gz" };
	size_t len = strlen(path);

	for (size_t i = 0; i < sizeof(ends) / sizeof(ends[0]); i++) {
		size_t l = strlen(ends[i]);

		if (len > l && !strcasecmp(path + len - l, ends[i]))
			return true;
	}
	return false;
}

/*
 * -F FILE: the expression in FILE, as tcpdump reads it, with '#' comments
 * (to the end of the line) left out. NULL after one error line.
 */
static char *read_filter_file(const char *path)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t len = 0;
	bool comment = false;
	int c;

	if (!f) {
		fprintf(stderr,
			"nasoone: cannot read the filter file %s: %s (-F FILE reads the filter "
			"expression from FILE, as in tcpdump; to replace an existing report use "
			"--force)\n",
			path, strerror(errno));
		return NULL;
	}
	buf = malloc(FILTER_FILE_MAX + 1);
	while (buf && (c = getc(f)) != EOF && len < FILTER_FILE_MAX) {
		if (c == '#')
			comment = true;
		else if (c == '\n')
			comment = false;
		if (!comment)
			buf[len++] = c == '\n' || c == '\t' || c == '\r' ? ' ' : (char)c;
	}
	if (!buf || ferror(f) || len == FILTER_FILE_MAX) {
		fprintf(stderr, "nasoone: cannot read the filter file %s: %s\n", path,
			!buf	    ? strerror(ENOMEM)
			: ferror(f) ? strerror(errno)
				    : "larger than 1 MiB");
		free(buf);
		fclose(f);
		return NULL;
	}
	fclose(f);
	buf[len] = '\0';
	if (!buf[strspn(buf, " ")]) {
		fprintf(stderr, "nasoone: the filter file %s holds no expression\n", path);
		free(buf);
		return NULL;
	}
	return buf;
}

int parse_args(int argc, char **argv, struct options *o)
{
	enum cli_command cmd = o->command;
	char name[8];
	double d;
	long v;
	int c;

	if (!o->initialized) {
		o->threads = -1;
		o->idle_timeout = o->active_timeout = o->max_flows = -1;
		o->export.domain = 1;
		o->initialized = true;
	}
	build_tables(cmd);
	error_command = cmd;
	opterr = 0; /* our own one-line messages */
	optind = 0; /* the file's options, then the command line */
	while ((c = getopt_long(argc, argv, short_options[cmd], long_options[cmd], NULL)) != -1) {
		/* --print-config shows nasoone's options; nasoone top has no configuration file. */
		if (cmd == CLI_MAIN && !o->in_config && note_option(o, c, optarg))
			return EXIT_FAILURE;
		switch (c) {
		case 'r':
			o->file = optarg;
			if (o->device_in_config)
				o->device = NULL; /* the command line overrides the file */
			o->file_in_config = o->in_config;
			break;
		case 'i':
			o->device = optarg;
			if (o->file_in_config)
				o->file = NULL;
			o->device_in_config = o->in_config;
			break;
		case OPT_CONFIG:
			o->config = optarg;
			break;
		case OPT_PRINT_CONFIG:
			o->print_config = true;
			break;
		case 'w':
			if (capture_name(optarg)) {
				usage_error(
					"-w %s: nasoone writes a text report, not a capture file "
					"(tcpdump -w saves packets); name the report e.g. "
					"report.txt",
					optarg);
				return EXIT_USAGE;
			}
			o->output = optarg;
			break;
		case 't':
			if (strspn(optarg, "0123456789") != strlen(optarg) || !*optarg) {
				bad_interval(optarg);
				return EXIT_USAGE;
			}
			if (parse_bounded_long("-t", optarg, 1, INTERVAL_MAX, &v))
				return EXIT_USAGE;
			o->interval = (unsigned int)v;
			break;
		case 'j':
			if (parse_bounded_long("-j", optarg, 0, THREADS_MAX, &v))
				return EXIT_USAGE;
			o->threads = v;
			break;
		case OPT_FORCE:
			o->force = true;
			break;
		case 'c':
			if (parse_bounded_long("-c", optarg, 1, LONG_MAX, &o->count))
				return EXIT_USAGE;
			break;
		case OPT_DURATION:
			if (parse_bounded_long("--duration", optarg, 1, DURATION_MAX, &o->duration))
				return EXIT_USAGE;
			break;
		case 'F':
			if (optarg[0] == '-') {
				usage_error(
					"-F %s: -F FILE reads the filter expression from FILE, as "
					"in tcpdump; to replace an existing report use --force",
					optarg);
				return EXIT_USAGE;
			}
			o->filter_file = optarg;
			break;
		case 'B':
			if (parse_bounded_long("-B", optarg, 1, BUFFER_KIB_MAX, &o->buffer_kib))
				return EXIT_USAGE;
			break;
		case 'Z':
			o->user = optarg;
			break;
		case 'p':
			o->no_promisc = true;
			break;
		case 'n':
			break; /* nasoone never resolves names */
		case 'q':
			o->verbose = -1;
			break;
		case 'v':
			o->verbose = o->verbose < 0 ? 1 : o->verbose + 1;
			break;
		case 'm':
			if (parse_mode(optarg, cmd == CLI_MAIN, &o->mode, &o->view))
				return EXIT_USAGE;
			break;
		case OPT_MAP_ENTRIES:
			if (parse_bounded_long("--map-entries", optarg, 1, 1l << 26,
					       &o->map_entries))
				return EXIT_USAGE;
			break;
		case OPT_RING_BYTES:
			if (parse_bounded_long("--ring-bytes", optarg, 4096, 1l << 30,
					       &o->ring_bytes))
				return EXIT_USAGE;
			break;
		case OPT_DRAIN_MS:
			if (parse_bounded_long("--drain-ms", optarg, 1, 3600000, &o->drain_ms))
				return EXIT_USAGE;
			break;
		case OPT_FORMAT:
			if (parse_format(optarg, &o->format))
				return EXIT_USAGE;
			break;
		case OPT_IDLE_TIMEOUT:
			if (parse_bounded_long("--idle-timeout", optarg, 0, INTERVAL_MAX * 7l,
					       &o->idle_timeout))
				return EXIT_USAGE;
			break;
		case OPT_ACTIVE_TIMEOUT:
			if (parse_bounded_long("--active-timeout", optarg, 0, INTERVAL_MAX * 7l,
					       &o->active_timeout))
				return EXIT_USAGE;
			break;
		case OPT_MAX_FLOWS:
			if (parse_bounded_long("--max-flows", optarg, 0, 1l << 40, &o->max_flows))
				return EXIT_USAGE;
			break;
		case 'G':
			if (parse_bounded_long("-G", optarg, 1, INTERVAL_MAX * 7l, &o->rotation))
				return EXIT_USAGE;
			break;
		case OPT_FLOW_LOG:
			o->flow_log = optarg;
			break;
		case OPT_EXPORT:
			o->export.target = optarg;
			break;
		case OPT_EXPORT_DOMAIN:
			if (parse_bounded_long("--export-domain", optarg, 0, UINT32_MAX, &v))
				return EXIT_USAGE;
			o->export.domain = (uint32_t)v;
			break;
		case 'D':
			o->list = true;
			break;
		case 'd':
			if (parse_bounded_double("-d", optarg, REFRESH_MIN, REFRESH_MAX, &d))
				return EXIT_USAGE;
			o->refresh_ms = (unsigned int)(d * 1000 + 0.5);
			break;
		case OPT_REPORT:
			o->report = optarg;
			break;
		case OPT_EXIT_AT_END:
			o->exit_at_end = true;
			break;
		case 'h':
			print_usage(cmd);
			return -1;
		case OPT_VERSION:
			printf("nasoone %s\n", NASOONE_VERSION);
			return -1;
		case ':':
			if (optopt == 't')
				bad_interval("");
			else if (optopt == 'F')
				usage_error(
					"option -F needs an argument: a file holding the filter "
					"expression, as in tcpdump (to replace an existing report "
					"use --force)");
			else
				usage_error("option %s needs an argument",
					    bad_option_name(c, argv, name, sizeof(name)));
			return EXIT_USAGE;
		default:
			usage_error("unknown option %s",
				    bad_option_name(c, argv, name, sizeof(name)));
			return EXIT_USAGE;
		}
	}
	if (o->file && o->device && cmd == CLI_MAIN) {
		usage_error("-r and -i cannot be used together: read a file or capture live");
		return EXIT_USAGE;
	}
	if (!!o->file + !!o->device + !!o->report > 1) {
		usage_error("use one of -r FILE, -i IFACE and --report REPORT");
		return EXIT_USAGE;
	}
	if (o->report && (optind < argc || o->output)) {
		usage_error("--report reads a report: no expression or -w with it");
		return EXIT_USAGE;
	}
	if (o->filter_file && optind < argc) {
		usage_error("-F %s and an expression on the command line: give the filter one way",
			    o->filter_file);
		return EXIT_USAGE;
	}
	if (o->filter_file) {
		o->expression = read_filter_file(o->filter_file);
		if (!o->expression)
			return EXIT_FAILURE;
	} else if (optind < argc) {
		o->expression = copy_argv(&argv[optind]);
		if (!o->expression) {
			fprintf(stderr, "%s: cannot copy the filter expression: %s\n",
				command_names[cmd], strerror(ENOMEM));
			return EXIT_FAILURE;
		}
	}
	return 0;
}
