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
};

static const char usage_text[] =
	"Usage: nasoone [-npqv] [-c COUNT] [-B KIB] [-F FILE] [-j THREADS] [-t SECONDS]\n"
	"               [-m MODE] [-w REPORT] [-Z USER] [-r FILE | -i IFACE] [expression]\n"
	"       nasoone -D | -h | --version\n"
	"       nasoone top [options] [-r FILE | -i IFACE | --report REPORT]  (the live view)\n"
	"\n"
	"Write one report row per directional 4-tuple (source ip and port,\n"
	"destination ip and port) of the TCP and UDP traffic read from a capture\n"
	"file or captured live on an interface.\n"
	"\n"
	"Options:\n"
	"  -r, --read FILE          read packets from FILE (pcap, pcapng, gzip'd)\n"
	"  -i, --interface IFACE    capture live on IFACE, or on 'any' (libpcap) (default:\n"
	"                           the first interface that is up, has an address and\n"
	"                           is not loopback)\n"
	"  -w, --write REPORT       write the report to REPORT ('-' or none: standard\n"
	"                           output); a regular file is rewritten atomically\n"
	"                           every interval; a text report, never a capture file\n"
	"      --force              replace REPORT if it exists\n"
	"  -t, --interval SECONDS   rewrite the report every SECONDS (1-86400, default 10)\n"
	"  -c, --count COUNT        stop after COUNT packets passed the filter\n"
	"      --duration SECONDS   stop after SECONDS\n"
	"  -F, --filter-file FILE   read the filter expression from FILE ('#' starts a\n"
	"                           comment)\n"
	"  -p, --no-promiscuous-mode  leave the interface's promiscuous mode alone\n"
	"  -B, --buffer-size KIB    libpcap's capture buffer in KiB (default 32768)\n"
	"  -Z, --relinquish-privileges USER\n"
	"                           once the capture is open, run as USER (default as\n"
	"                           root: nasoone if that user exists, else nobody;\n"
	"                           -Z root keeps root)\n"
	"  -j, --threads THREADS    counting threads (0-64, default 0 = one per CPU, less the "
	"reader)\n"
	"  -m, --mode MODE          capture path: auto (default: eBPF on an interface\n"
	"                           when it can run and take the run, else libpcap;\n"
	"                           libpcap for files), xdp (XDP ingress + TC egress),\n"
	"                           tc (TC both ways), pcap; with -r, xdp and tc replay\n"
	"                           the file through the in-kernel program\n"
	"      --map-entries N      eBPF: flows per CPU map (default 65536)\n"
	"      --ring-bytes N       eBPF: overflow ring size, a power of 2 (default 4 MiB)\n"
	"      --drain-ms N         eBPF: drain period (default: half the interval)\n"
	"      --format FORMAT      report format: nasoone (default), csv (RFC 4180),\n"
	"                           json (JSON Lines)\n"
	"      --idle-timeout S     a row ends after S seconds without a packet\n"
	"                           (default 60 on an interface, never for a file)\n"
	"      --active-timeout S   a row ends S seconds after its first packet\n"
	"                           (default 300 on an interface, never for a file)\n"
	"      --mode summary|detailed  what to show while running: a table of the\n"
	"                           traffic per address every interval on stdout, or\n"
	"                           one line per packet (libpcap path); the report\n"
	"                           then goes only to -w\n"
	"      --config FILE        read options and [alert NAME] rules from FILE\n"
	"                           (the command line overrides it)\n"
	"      --print-config       show the effective configuration and exit\n"
	"      --max-flows N        rows in memory before the report is finished and\n"
	"                           a new one begun (default 1000000 on an interface,\n"
	"                           no limit for a file; 0: no limit)\n"
	"  -G SECONDS               finish the report every SECONDS and begin a new\n"
	"                           one; REPORT is then a strftime(3) pattern\n"
	"      --flow-log FILE      every row that ends, one JSON line each with\n"
	"                           its end reason ('-': standard output)\n"
	"      --export TARGET      every row that ends as an IPFIX record to a collector:\n"
	"                           [udp://|tcp://]HOST[:PORT] (default udp, port 4739)\n"
	"      --export-domain ID   IPFIX observation domain id (default 1)\n"
	"  -n                       accepted: addresses are always numeric\n"
	"  -q                       quiet: no path line, no statistics at the end\n"
	"  -v                       verbose: the path line for files too, and the user\n"
	"                           and capabilities left after the drop\n"
	"  -D, --list-interfaces    list the capture devices and exit\n"
	"  -h, --help               show this help and exit\n"
	"      --version            show the version and exit\n"
	"  expression               a pcap-filter(7) expression; only matching packets\n"
	"                           are counted\n"
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
	"  nasoone -i eth0 -c 1000 -F dns.filter    the first 1000 packets the filter takes\n"
	"  nasoone -i eth0 --mode tc                live on eth0 through TC only\n"
	"  nasoone -r trace.pcap --mode xdp         replay a file through the XDP program\n"
	"  nasoone -D                               list the capture devices\n";

static const struct option long_options[] = {
	{ "read", required_argument, NULL, 'r' },
	{ "interface", required_argument, NULL, 'i' },
	{ "write", required_argument, NULL, 'w' },
	{ "interval", required_argument, NULL, 't' },
	{ "threads", required_argument, NULL, 'j' },
	{ "force", no_argument, NULL, OPT_FORCE },
	{ "count", required_argument, NULL, 'c' },
	{ "duration", required_argument, NULL, OPT_DURATION },
	{ "filter-file", required_argument, NULL, 'F' },
	{ "no-promiscuous-mode", no_argument, NULL, 'p' },
	{ "buffer-size", required_argument, NULL, 'B' },
	{ "relinquish-privileges", required_argument, NULL, 'Z' },
	{ "mode", required_argument, NULL, 'm' },
	{ "map-entries", required_argument, NULL, OPT_MAP_ENTRIES },
	{ "ring-bytes", required_argument, NULL, OPT_RING_BYTES },
	{ "drain-ms", required_argument, NULL, OPT_DRAIN_MS },
	{ "format", required_argument, NULL, OPT_FORMAT },
	{ "idle-timeout", required_argument, NULL, OPT_IDLE_TIMEOUT },
	{ "active-timeout", required_argument, NULL, OPT_ACTIVE_TIMEOUT },
	{ "max-flows", required_argument, NULL, OPT_MAX_FLOWS },
	{ "flow-log", required_argument, NULL, OPT_FLOW_LOG },
	{ "export", required_argument, NULL, OPT_EXPORT },
	{ "export-domain", required_argument, NULL, OPT_EXPORT_DOMAIN },
	{ "rotation", required_argument, NULL, 'G' }, /* -G, as a key of a configuration file */
	{ "config", required_argument, NULL, OPT_CONFIG },
	{ "print-config", no_argument, NULL, OPT_PRINT_CONFIG },
	{ "list-interfaces", no_argument, NULL, 'D' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 },
};

/* "FILE:LINE" while a configuration file's value is checked, else NULL. */
static const char *error_where;

const struct option *options_table(void)
{
	return long_options;
}

void options_error_where(const char *where)
{
	error_where = where;
}

/* One line on stderr for a usage error; the caller exits with EXIT_USAGE. */
__attribute__((format(printf, 1, 2))) static void usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", error_where ? error_where : "nasoone");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs(error_where ? "\n" : " (see nasoone --help)\n", stderr);
}

/* A command-line option, for --print-config (under its long name). */
static int note_option(struct options *o, int c, const char *arg)
{
	if (c == OPT_CONFIG || c == OPT_PRINT_CONFIG)
		return 0;
	for (const struct option *lo = long_options; lo->name; lo++)
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

static int parse_mode(const char *arg, enum nasoone_mode *mode, enum view *view)
{
	static const char *const names[] = { [NASOONE_MODE_AUTO] = "auto",
					     [NASOONE_MODE_XDP] = "xdp",
					     [NASOONE_MODE_TC] = "tc",
					     [NASOONE_MODE_PCAP] = "pcap" };
	unsigned int i;

	/* The article's [general] mode: what is shown, apart from the capture path. */
	if (!strcmp(arg, "summary") || !strcmp(arg, "detailed") || !strcmp(arg, "report")) {
		*view = arg[0] == 's' ? VIEW_SUMMARY : arg[0] == 'd' ? VIEW_DETAILED : VIEW_REPORT;
		return 0;
	}
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!strcmp(arg, names[i])) {
			*mode = (enum nasoone_mode)i;
			return 0;
		}
	}
	usage_error("unknown mode '%s': use auto, xdp, tc or pcap (the path), or summary, "
		    "detailed or report (what is shown)",
		    arg);
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
	char name[8];
	long v;
	int c;

	if (!o->initialized) {
		o->threads = -1;
		o->idle_timeout = o->active_timeout = o->max_flows = -1;
		o->export.domain = 1;
		o->initialized = true;
	}
	opterr = 0; /* our own one-line messages */
	optind = 0; /* the file's options, then the command line */
	while ((c = getopt_long(argc, argv, ":r:i:w:t:j:m:c:F:B:Z:G:pnqvDh", long_options, NULL)) !=
	       -1) {
		if (!o->in_config && note_option(o, c, optarg))
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
			if (parse_mode(optarg, &o->mode, &o->view))
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
		case 'h':
			fputs(usage_text, stdout);
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
	if (o->file && o->device) {
		usage_error("-r and -i cannot be used together: read a file or capture live");
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
			fprintf(stderr, "nasoone: cannot copy the filter expression: %s\n",
				strerror(ENOMEM));
			return EXIT_FAILURE;
		}
	}
	return 0;
}
