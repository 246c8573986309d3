/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * nasoone(8): the command line on top of libnasoone. It parses arguments,
 * installs signal handlers, reads keys, shows progress and calls nasoone_*;
 * reading, counting and writing the report all happen in the library.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "cli/flowlog.h"
#include "nasoone.h"
#include "cli/config.h"
#include "cli/modes.h"

#define EXIT_USAGE 2

/* How long the main loop waits between looks at flags, keys and progress. */
#define TICK_MS	     100
#define PROGRESS_MS  250

#define INTERVAL_MAX 86400
#define THREADS_MAX  64

static const char usage_text[] =
	"Usage: nasoone [-F] [-j THREADS] [-t SECONDS] [-m MODE] [-w REPORT] [-r FILE | -i IFACE] "
	"[expression]\n"
	"       nasoone -D | -h | --version\n"
	"\n"
	"Write one report row per directional 4-tuple (source ip and port,\n"
	"destination ip and port) of the TCP and UDP traffic read from a capture\n"
	"file or captured live on an interface.\n"
	"\n"
	"Options:\n"
	"  -r, --read FILE          read packets from FILE (pcap, pcapng, gzip'd)\n"
	"  -i, --interface IFACE    capture live on IFACE (default: the first interface\n"
	"                           that is up, has an address and is not loopback)\n"
	"  -w, --write REPORT       write the report to REPORT ('-' or none: standard\n"
	"                           output); a regular file is rewritten atomically\n"
	"                           every interval\n"
	"  -F, --force              replace REPORT if it exists\n"
	"  -t, --interval SECONDS   rewrite the report every SECONDS (1-86400, default 10)\n"
	"  -j, --threads THREADS    counting threads (0-64, default 0 = one per CPU)\n"
	"  -m, --mode MODE          capture path: auto (default: eBPF on an interface\n"
	"                           when it can run, else libpcap; libpcap for files),\n"
	"                           xdp (XDP ingress + TC egress), tc (TC both ways),\n"
	"                           pcap; with -r, xdp and tc replay the file through\n"
	"                           the in-kernel program\n"
	"      --map-entries N      eBPF: flows per CPU map (default 65536)\n"
	"      --ring-bytes N       eBPF: overflow ring size, a power of 2 (default 4 MiB)\n"
	"      --drain-ms N         eBPF: drain period (default: half the interval)\n"
	"      --format FORMAT      report format: nasoone (default), csv (RFC 4180),\n"
	"                           json (JSON Lines)\n"
	"      --idle-timeout S     a row ends after S seconds without a packet\n"
	"                           (default 60 on an interface, never for a file)\n"
	"      --active-timeout S   a row ends S seconds after its first packet\n"
	"                           (default 300 on an interface, never for a file)\n"
	"      --max-flows N        rows in memory before the report is finished and\n"
	"                           a new one begun (default 1000000 on an interface,\n"
	"                           no limit for a file; 0: no limit)\n"
	"  -G, --rotation SECONDS   finish the report every SECONDS and begin a new\n"
	"                           one; REPORT is then a strftime(3) pattern\n"
	"      --flow-log FILE      every row that ends, one JSON line each with\n"
	"                           its end reason ('-': standard output)\n"
	"      --mode summary|detailed  what to show while running: a table of the\n"
	"                           traffic per address every interval on stdout, or\n"
	"                           one line per packet (libpcap path); the report\n"
	"                           then goes only to -w\n"
	"      --config FILE        read options and [alert NAME] rules from FILE\n"
	"                           (the command line overrides it)\n"
	"      --print-config       show the effective configuration and exit\n"
	"  -D, --list-interfaces    list the capture devices and exit\n"
	"  -h, --help               show this help and exit\n"
	"      --version            show the version and exit\n"
	"  expression               a pcap-filter(7) expression; only matching packets\n"
	"                           are counted\n"
	"\n"
	"Signals and keys (when standard input is a terminal):\n"
	"  SIGUSR1, p   pause        SIGUSR2, r   resume\n"
	"  SIGINT, SIGTERM, q        stop, write the final report and exit\n"
	"\n"
	"EXAMPLES:\n"
	"  nasoone -r trace.pcap                    report of a capture file on stdout\n"
	"  nasoone -r trace.pcap.gz -w report.txt   the same into report.txt\n"
	"  nasoone -r trace.pcap -j 1 udp port 53   DNS over UDP only, one thread\n"
	"  nasoone -i eth0 -w /tmp/r.txt -F -t 5    live on eth0, report rewritten every 5 s\n"
	"  nasoone -i eth0 --mode tc                live on eth0 through TC only\n"
	"  nasoone -r trace.pcap --mode xdp         replay a file through the XDP program\n"
	"  nasoone -D                               list the capture devices\n";

enum { OPT_CONFIG = 0x100, OPT_PRINT_CONFIG };
enum view { VIEW_REPORT, VIEW_SUMMARY, VIEW_DETAILED };

static const struct option long_options[] = {
	{ "read", required_argument, NULL, 'r' },
	{ "interface", required_argument, NULL, 'i' },
	{ "write", required_argument, NULL, 'w' },
	{ "interval", required_argument, NULL, 't' },
	{ "threads", required_argument, NULL, 'j' },
	{ "force", no_argument, NULL, 'F' },
	{ "mode", required_argument, NULL, 'm' },
	{ "map-entries", required_argument, NULL, 'M' },
	{ "ring-bytes", required_argument, NULL, 'B' },
	{ "drain-ms", required_argument, NULL, 'T' },
	{ "format", required_argument, NULL, 'O' },
	{ "idle-timeout", required_argument, NULL, 'I' },
	{ "active-timeout", required_argument, NULL, 'A' },
	{ "max-flows", required_argument, NULL, 'X' },
	{ "flow-log", required_argument, NULL, 'L' },
	{ "rotation", required_argument, NULL, 'G' }, /* -G, as a key of the configuration file */
	{ "list-interfaces", no_argument, NULL, 'D' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ "config", required_argument, NULL, OPT_CONFIG },
	{ "print-config", no_argument, NULL, OPT_PRINT_CONFIG },
	{ NULL, 0, NULL, 0 },
};

/* Options that make no sense in a configuration file. */
static const char *const not_in_config[] = { "config",	"print-config",	   "help",
					     "version", "list-interfaces", NULL };

struct options {
	const char *file;
	const char *device;
	const char *output;
	unsigned int interval; /* 0: the library's default */
	long threads;	       /* -1: the library's default */
	bool force;
	bool list;
	enum nasoone_mode mode;
	long map_entries, ring_bytes, drain_ms; /* 0: the library's defaults */
	enum nasoone_format format;
	long idle_timeout, active_timeout, max_flows; /* -1: the library's defaults */
	long rotation;				      /* -G, 0: none */
	const char *flow_log;
	char *expression; /* trailing words, NULL when none */
	enum view view;
	const char *config; /* --config FILE */
	bool print_config;
	bool in_config; /* parsing the file's options, not the command line */
	bool file_in_config, device_in_config; /* so that -r on the command line beats -i */
	struct config cfg;
};

/* The library's defaults: set once, as the file's options and then the command line's fill them. */
#define OPTIONS_INIT                                                                               \
	{                                                                                          \
		.threads = -1, .idle_timeout = -1, .active_timeout = -1, .max_flows = -1           \
	}

/* "FILE:LINE" while a configuration file's value is checked, else NULL. */
static const char *error_where;

/* Set by the signal handlers, acted on by the main loop. */
static volatile sig_atomic_t stop_requested;
static volatile sig_atomic_t pause_requested;
static volatile sig_atomic_t resume_requested;

/* The terminal settings to restore when keys were read in raw mode. */
static struct termios saved_termios;
static bool termios_saved;

static void on_stop_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static void on_pause_signal(int sig)
{
	(void)sig;
	pause_requested = 1;
}

static void on_resume_signal(int sig)
{
	(void)sig;
	resume_requested = 1;
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

/*
 * Report a failed library call in one line: "nasoone: <what> [<prep>
 * <name>]: <detail>", e.g. "nasoone: cannot write the report to r.txt:
 * ...". The detail (nasoone_last_error()) says what to do; "<prep> <name>"
 * is left out when the detail already names it, so nothing is said twice.
 */
static void api_error(struct nasoone *n, int err, const char *what, const char *prep,
		      const char *name)
{
	const char *detail = n ? nasoone_last_error(n) : NULL;

	if (!detail || !*detail)
		detail = nasoone_strerror(err);
	if (name && !strstr(detail, name))
		fprintf(stderr, "nasoone: %s%s%s %s: %s\n", what, prep ? " " : "", prep ? prep : "",
			name, detail);
	else
		fprintf(stderr, "nasoone: %s: %s\n", what, detail);
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

/* The mode's names; a view or a capture path. */
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

/* Fill o from argv: 0 to go on, -1 when done (--help, --version), else the exit status. */
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

static int parse_args(int argc, char **argv, struct options *o)
{
	char name[8];
	long v;
	int c;

	opterr = 0; /* our own one-line messages */
	optind = 0;
	while ((c = getopt_long(argc, argv, ":r:i:w:t:j:m:G:FDh", long_options, NULL)) != -1) {
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
			o->output = optarg;
			break;
		case 't':
			if (parse_bounded_long("-t", optarg, 1, INTERVAL_MAX, &v))
				return EXIT_USAGE;
			o->interval = (unsigned int)v;
			break;
		case 'j':
			if (parse_bounded_long("-j", optarg, 0, THREADS_MAX, &v))
				return EXIT_USAGE;
			o->threads = v;
			break;
		case 'F':
			o->force = true;
			break;
		case 'm':
			if (parse_mode(optarg, &o->mode, &o->view))
				return EXIT_USAGE;
			break;
		case 'M':
			if (parse_bounded_long("--map-entries", optarg, 1, 1l << 26,
					       &o->map_entries))
				return EXIT_USAGE;
			break;
		case 'B':
			if (parse_bounded_long("--ring-bytes", optarg, 4096, 1l << 30,
					       &o->ring_bytes))
				return EXIT_USAGE;
			break;
		case 'T':
			if (parse_bounded_long("--drain-ms", optarg, 1, 3600000, &o->drain_ms))
				return EXIT_USAGE;
			break;
		case 'O':
			if (parse_format(optarg, &o->format))
				return EXIT_USAGE;
			break;
		case 'I':
			if (parse_bounded_long("--idle-timeout", optarg, 0, INTERVAL_MAX * 7l,
					       &o->idle_timeout))
				return EXIT_USAGE;
			break;
		case 'A':
			if (parse_bounded_long("--active-timeout", optarg, 0, INTERVAL_MAX * 7l,
					       &o->active_timeout))
				return EXIT_USAGE;
			break;
		case 'X':
			if (parse_bounded_long("--max-flows", optarg, 0, 1l << 40, &o->max_flows))
				return EXIT_USAGE;
			break;
		case 'G':
			if (parse_bounded_long("-G", optarg, 1, INTERVAL_MAX * 7l, &o->rotation))
				return EXIT_USAGE;
			break;
		case 'L':
			o->flow_log = optarg;
			break;
		case 'D':
			o->list = true;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return -1;
		case 'V':
			printf("nasoone %s\n", NASOONE_VERSION);
			return -1;
		case ':':
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
	if (optind < argc) {
		o->expression = copy_argv(&argv[optind]);
		if (!o->expression) {
			fprintf(stderr, "nasoone: cannot copy the filter expression: %s\n",
				strerror(ENOMEM));
			return EXIT_FAILURE;
		}
	}
	return 0;
}

/* -D: "1.eth0 (description)", one device a line, like tcpdump -D. */
static int list_devices(void)
{
	struct nasoone_device *devs = NULL;
	size_t count = 0;
	int err;

	err = nasoone_list_devices(&devs, &count);
	if (err) {
		fprintf(stderr, "nasoone: cannot list capture devices: %s\n",
			nasoone_strerror(err));
		return EXIT_FAILURE;
	}
	for (size_t i = 0; i < count; i++) {
		const char *desc = devs[i].description;

		if (desc && *desc)
			printf("%zu.%s (%s)\n", i + 1, devs[i].name, desc);
		else
			printf("%zu.%s\n", i + 1, devs[i].name);
	}
	nasoone_free_devices(devs, count);
	if (fflush(stdout) == EOF) {
		fprintf(stderr, "nasoone: cannot write the device list: %s\n", strerror(errno));
		return EXIT_FAILURE;
	}
	return EXIT_SUCCESS;
}

static void restore_terminal(void)
{
	if (termios_saved) {
		tcsetattr(STDIN_FILENO, TCSANOW, &saved_termios);
		termios_saved = false;
	}
}

/*
 * Read single keys from stdin when it is the controlling terminal and we
 * are in the foreground (tcsetattr from the background would stop us with
 * SIGTTOU). Echo and line buffering go off; ISIG stays, so ^C still sends
 * SIGINT. The old settings come back at exit (atexit) and on every return.
 */
static bool enable_keys(void)
{
	struct termios raw;

	if (!isatty(STDIN_FILENO) || tcgetpgrp(STDIN_FILENO) != getpgrp())
		return false;
	if (tcgetattr(STDIN_FILENO, &saved_termios))
		return false;
	raw = saved_termios;
	raw.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
	raw.c_cc[VMIN] = 0;
	raw.c_cc[VTIME] = 0;
	termios_saved = true;
	if (tcsetattr(STDIN_FILENO, TCSANOW, &raw)) {
		termios_saved = false;
		return false;
	}
	return true;
}

/* Turn pending keys into the same flags the signals set. */
static void read_keys(void)
{
	struct pollfd pfd = { .fd = STDIN_FILENO, .events = POLLIN };
	char buf[16];
	ssize_t len;

	if (poll(&pfd, 1, 0) <= 0 || !(pfd.revents & POLLIN))
		return;
	len = read(STDIN_FILENO, buf, sizeof(buf));
	for (ssize_t i = 0; i < len; i++) {
		switch (buf[i]) {
		case 'p':
		case 'P':
			pause_requested = 1;
			break;
		case 'r':
		case 'R':
			resume_requested = 1;
			break;
		case 'q':
		case 'Q':
			stop_requested = 1;
			break;
		}
	}
}

static int install_signals(void)
{
	/*
	 * The stop signals act once (SA_RESETHAND): a second ^C while the
	 * final report is written ends the process, as the user asked twice.
	 * The report file is replaced by rename(), so it is never half written.
	 */
	static const struct {
		int sig;
		void (*handler)(int);
		int flags;
	} table[] = {
		{ SIGINT, on_stop_signal, SA_RESETHAND },
		{ SIGTERM, on_stop_signal, SA_RESETHAND },
		{ SIGUSR1, on_pause_signal, 0 },
		{ SIGUSR2, on_resume_signal, 0 },
	};
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		sa.sa_handler = table[i].handler;
		sa.sa_flags = table[i].flags;
		if (sigaction(table[i].sig, &sa, NULL)) {
			fprintf(stderr, "nasoone: cannot install the handler for signal %d: %s\n",
				table[i].sig, strerror(errno));
			return -1;
		}
	}
	return 0;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* The progress line on stderr, redrawn in place with \r. */
struct progress {
	bool enabled;
	bool shown;
	uint64_t last_ms;
	uint64_t last_received;
	double rate;
};

static void progress_draw(struct progress *p, struct nasoone *n, bool paused)
{
	struct nasoone_progress np;
	uint64_t t = now_ms();
	double pct = 0;

	if (!p->enabled || t - p->last_ms < PROGRESS_MS || nasoone_get_progress(n, &np))
		return;
	if (np.received >= p->last_received && t > p->last_ms && p->last_ms)
		p->rate = (double)(np.received - p->last_received) * 1000.0 /
			  (double)(t - p->last_ms);
	p->last_ms = t;
	p->last_received = np.received;
	if (np.input_size)
		pct = 100.0 * (double)np.input_bytes / (double)np.input_size;
	if (pct > 100.0)
		pct = 100.0;
	fprintf(stderr, "\r\033[K%5.1f%%  %" PRIu64 " packets  %.0f packets/s  %" PRIu64 " rows%s",
		pct, np.received, paused ? 0.0 : p->rate, np.rows, paused ? "  (paused)" : "");
	fflush(stderr);
	p->shown = true;
}

static void progress_clear(struct progress *p)
{
	if (p->shown) {
		fputs("\r\033[K", stderr);
		fflush(stderr);
		p->shown = false;
	}
}

/* Act on the pause/resume flags; a request that does not fit the state is ignored. */
static void apply_pause_resume(struct nasoone *n, struct progress *p)
{
	int err;

	if (pause_requested) {
		pause_requested = 0;
		if (nasoone_get_state(n) == NASOONE_RUNNING) {
			err = nasoone_pause(n);
			progress_clear(p);
			if (err && err != NASOONE_ESTATE)
				api_error(n, err, "cannot pause", NULL, NULL);
			else if (!err)
				fputs("nasoone: paused (SIGUSR2 or r resumes)\n", stderr);
		}
	}
	if (resume_requested) {
		resume_requested = 0;
		if (nasoone_get_state(n) == NASOONE_PAUSED) {
			err = nasoone_resume(n);
			progress_clear(p);
			if (err && err != NASOONE_ESTATE)
				api_error(n, err, "cannot resume", NULL, NULL);
			else if (!err)
				fputs("nasoone: resumed\n", stderr);
		}
	}
}

/*
 * Wait for the end of the run: a file read to its end (FINISHED), a reading
 * error, or a stop request (signal or key). Never blocks longer than a tick,
 * so flags and keys are handled promptly.
 */
static void run_loop(struct nasoone *n, bool keys, struct progress *p)
{
	while (!stop_requested) {
		enum nasoone_state state;
		int rc;

		if (keys)
			read_keys();
		apply_pause_resume(n, p);
		if (stop_requested)
			break;
		state = nasoone_get_state(n);
		if (state == NASOONE_FINISHED || nasoone_get_error(n))
			break;
		rc = state == NASOONE_RUNNING ? nasoone_wait(n, TICK_MS) : NASOONE_ESTATE;
		if (rc == 0)
			break;
		if (rc != NASOONE_ETIMEDOUT)
			poll(NULL, 0, TICK_MS); /* paused, or a wait that cannot block */
		progress_draw(p, n, state == NASOONE_PAUSED);
	}
}

static void print_stats(const struct nasoone_stats *s)
{
	fprintf(stderr,
		"%" PRIu64 " packets received, %" PRIu64 " counted, %" PRIu64 " skipped, %" PRIu64
		" filtered\n",
		s->received, s->counted, s->skipped, s->filtered);
	fprintf(stderr,
		"%" PRIu64 " packets dropped, %" PRIu64 " dropped by interface, %" PRIu64
		" seen while paused, %" PRIu64 " rows\n",
		s->dropped, s->if_dropped, s->paused, s->rows);
	if (s->map_capacity)
		fprintf(stderr,
			"eBPF: %" PRIu64 " packets through the overflow ring, %" PRIu64
			" unattributed, at most %" PRIu64 " of %" PRIu64 " flows in one CPU map"
			", %" PRIu64 " ns program run time\n",
			s->overflow, s->unattributed, s->map_fill_max, s->map_capacity,
			s->run_time_ns);
	if (s->unattributed)
		fprintf(stderr,
			"nasoone: warning: %" PRIu64 " packets could not be attributed to a flow "
			"(map and overflow ring full): raise --map-entries or --ring-bytes\n",
			s->unattributed);
}

/* The report destination as the user knows it. */
static const char *output_name(const struct options *o)
{
	return !o->output || !strcmp(o->output, "-") ? "standard output" : o->output;
}

/* A failure about the input, file or device. */
static void input_error(struct nasoone *n, int err, const struct options *o, const char *device)
{
	if (o->file)
		api_error(n, err, "cannot read the capture file", NULL, o->file);
	else
		api_error(n, err, "cannot capture", "on", device);
}

/* A failure of nasoone_start(): about the output, the filter or the input. */
static void start_error(struct nasoone *n, int err, const struct options *o, const char *device)
{
	switch (err) {
	case NASOONE_EEXIST:
	case NASOONE_ENODIR:
	case NASOONE_EOUTPUT:
		api_error(n, err, "cannot write the report", "to", output_name(o));
		break;
	case NASOONE_EFILTER:
		api_error(n, err, "cannot set the filter", NULL, NULL);
		break;
	default:
		input_error(n, err, o, device);
	}
}

/* The error that ended reading early (nasoone_get_error()), in one line. */
static void reading_error(struct nasoone *n, int err, const struct options *o, const char *device)
{
	const char *name = o->file ? o->file : device;
	const char *detail = nasoone_last_error(n);

	if (!detail || !*detail)
		detail = nasoone_strerror(err);
	if (strstr(detail, name))
		fprintf(stderr, "nasoone: %s stopped early: %s\n", o->file ? "reading" : "capture",
			detail);
	else
		fprintf(stderr, "nasoone: %s %s stopped early: %s\n",
			o->file ? "reading" : "capture on", name, detail);
}

/* Configure n from the options; 0 or EXIT_FAILURE after one error line. */
static int configure(struct nasoone *n, const struct options *o, const char *device)
{
	int err;

	err = o->file ? nasoone_set_capture_file(n, o->file)
		      : nasoone_set_capture_device(n, device);
	if (err) {
		input_error(n, err, o, device);
		return EXIT_FAILURE;
	}
	/* Before the output: an existing file is refused unless overwrite is set. */
	if (o->force && (err = nasoone_set_overwrite(n, true))) {
		api_error(n, err, "cannot allow replacing the report", NULL, NULL);
		return EXIT_FAILURE;
	}
	/* Summary and detailed modes own standard output: the report goes only to -w. */
	err = o->view != VIEW_REPORT && !o->output
		      ? 0
		      : nasoone_set_output(n, o->output ? o->output : "-");
	if (err) {
		api_error(n, err, "cannot write the report", "to", output_name(o));
		return EXIT_FAILURE;
	}
	if (o->interval && (err = nasoone_set_timeout(n, o->interval))) {
		api_error(n, err, "cannot set the report interval", NULL, NULL);
		return EXIT_FAILURE;
	}
	if (o->threads >= 0 && (err = nasoone_set_threads(n, (unsigned int)o->threads))) {
		api_error(n, err, "cannot set the number of threads", NULL, NULL);
		return EXIT_FAILURE;
	}
	if (o->expression && (err = nasoone_set_filter(n, o->expression))) {
		api_error(n, err, "cannot set the filter", NULL, NULL);
		return EXIT_FAILURE;
	}
	if ((err = nasoone_set_format(n, o->format)) ||
	    (o->rotation && (err = nasoone_set_rotation(n, (unsigned int)o->rotation))) ||
	    (o->max_flows >= 0 && (err = nasoone_set_max_flows(n, (uint64_t)o->max_flows)))) {
		api_error(n, err, "cannot set the report", NULL, NULL);
		return EXIT_FAILURE;
	}
	if ((o->idle_timeout >= 0 || o->active_timeout >= 0) &&
	    (err = nasoone_set_expiry(n, o->idle_timeout >= 0 ? (unsigned int)o->idle_timeout : 0,
				      o->active_timeout >= 0 ? (unsigned int)o->active_timeout
							     : 0))) {
		api_error(n, err, "cannot set the expiry", NULL, NULL);
		return EXIT_FAILURE;
	}
	if (o->view == VIEW_DETAILED &&
	    (o->mode == NASOONE_MODE_XDP || o->mode == NASOONE_MODE_TC)) {
		fprintf(stderr,
			"nasoone: detailed mode shows every packet: it needs the libpcap path "
			"(--mode pcap); the eBPF path counts in the kernel without copying "
			"packets\n");
		return EXIT_USAGE;
	}
	if (o->view == VIEW_DETAILED &&
	    (err = nasoone_set_packet_callback(n, modes_print_packet, NULL))) {
		api_error(n, err, "cannot show packets", NULL, NULL);
		return EXIT_FAILURE;
	}
	/* Detailed live: libpcap, as auto would pick eBPF. */
	if ((err = nasoone_set_mode(n, o->view == VIEW_DETAILED && o->mode == NASOONE_MODE_AUTO
					       ? NASOONE_MODE_PCAP
					       : o->mode)) ||
	    (err = nasoone_set_bpf_tuning(n, (uint32_t)o->map_entries, (uint32_t)o->ring_bytes,
					  (unsigned int)o->drain_ms))) {
		api_error(n, err, "cannot set the capture mode", NULL, NULL);
		return EXIT_FAILURE;
	}
	return 0;
}

static int run(const struct options *o)
{
	struct modes extras = { 0 };
	struct progress progress = { 0 };
	struct nasoone_stats stats = { 0 };
	struct flowlog *flow_log = NULL;
	char device[256] = "";
	struct nasoone *n;
	int ret = EXIT_FAILURE;
	bool keys;
	int err, rerr;

	if (!o->file) {
		if (o->device) {
			snprintf(device, sizeof(device), "%s", o->device);
		} else if ((err = nasoone_default_device(device, sizeof(device)))) {
			fprintf(stderr,
				"nasoone: no capture device found: %s (use -i IFACE or -r FILE)\n",
				nasoone_strerror(err));
			return EXIT_FAILURE;
		}
	}
	if (install_signals())
		return EXIT_FAILURE;
	n = nasoone_new();
	if (!n) {
		fprintf(stderr, "nasoone: cannot create a capture: %s\n",
			nasoone_strerror(NASOONE_ENOMEM));
		return EXIT_FAILURE;
	}
	if ((err = configure(n, o, device)) ||
	    (err = modes_add_consumers(n, o->cfg.rules, o->cfg.nrules, o->view == VIEW_SUMMARY,
				       &extras))) {
		ret = err;
		goto out;
	}
	if (o->flow_log) {
		struct nasoone_consumer consumer;

		flow_log = flowlog_open(o->flow_log, o->force, &consumer);
		if (!flow_log) {
			fprintf(stderr, "nasoone: cannot write the flow log %s: %s%s\n",
				o->flow_log, strerror(errno),
				errno == EEXIST ? " (use -F to replace it)" : "");
			goto out;
		}
		err = nasoone_add_consumer(n, &consumer);
		if (err) {
			api_error(n, err, "cannot add the flow log", NULL, NULL);
			goto out;
		}
	}
	err = nasoone_start(n);
	if (err) {
		start_error(n, err, o, device);
		goto out;
	}
	/* Which path counts, and why: a live capture always says so, a file when forced. */
	if (!o->file || o->mode != NASOONE_MODE_AUTO)
		fprintf(stderr, "nasoone: %s\n", nasoone_get_path(n));

	keys = enable_keys();
	progress.enabled = o->file && isatty(STDERR_FILENO);
	run_loop(n, keys, &progress);
	restore_terminal();
	progress_clear(&progress);

	err = nasoone_stop(n, &stats);
	if (err)
		api_error(n, err, "cannot write the final report", "to", output_name(o));
	else
		print_stats(&stats);
	if (!err && extras.alerts)
		fprintf(stderr, "%" PRIu64 " alerts\n", alert_engine_fired(extras.alerts));
	/* A damaged file or a failed live capture: the rows before it were written. */
	rerr = nasoone_get_error(n);
	if (rerr)
		reading_error(n, rerr, o, device);
	if (!err && !rerr)
		ret = EXIT_SUCCESS;
out:
	restore_terminal();
	nasoone_free(n); /* stops the capture: the flow log gets its last rows */
	flowlog_close(flow_log);
	modes_free(&extras);
	return ret;
}

/* A value of the configuration file, checked by the command line's own parser. */
static int check_option(const char *where, const struct option *opt, const char *value, void *ctx)
{
	char name[128], *argv[] = { "nasoone", name, (char *)value, NULL };
	struct options scratch = OPTIONS_INIT;

	scratch.in_config = true;
	int ret;

	(void)ctx;
	snprintf(name, sizeof(name), "--%s", opt->name);
	error_where = where;
	ret = parse_args(value ? 3 : 2, argv, &scratch);
	error_where = NULL;
	free(scratch.expression);
	return ret;
}

/*
 * The options: --config's file first (its [general] keys as arguments),
 * then the command line over it. 0 to go on, -1 when done, else the exit status.
 */
static int parse_all(int argc, char **argv, struct options *o)
{
	struct options first = OPTIONS_INIT;
	char **fargv;
	int ret;

	/* Where the file is (and --help, --version, errors of the command line). */
	first.in_config = true;
	ret = parse_args(argc, argv, &first);
	free(first.expression);
	if (ret || !first.config)
		return ret ? ret : parse_args(argc, argv, o);
	ret = config_load(&o->cfg, first.config, long_options, not_in_config, check_option, NULL);
	if (ret)
		return ret;
	fargv = calloc((size_t)o->cfg.argc + 2, sizeof(*fargv));
	if (!fargv)
		return EXIT_FAILURE;
	fargv[0] = argv[0];
	for (int i = 0; i < o->cfg.argc; i++)
		fargv[i + 1] = o->cfg.argv[i];
	o->in_config = true;
	ret = parse_args(o->cfg.argc + 1, fargv, o);
	o->in_config = false;
	free(fargv);
	if (ret)
		return ret;
	ret = parse_args(argc, argv, o);
	if (!ret && !o->expression && o->cfg.filter && !(o->expression = strdup(o->cfg.filter)))
		ret = EXIT_FAILURE;
	return ret;
}

int main(int argc, char **argv)
{
	struct options o = OPTIONS_INIT;
	int ret;

	ret = parse_all(argc, argv, &o);
	if (ret < 0) {
		ret = EXIT_SUCCESS; /* --help, --version */
		goto out;
	}
	if (ret > 0)
		goto out;
	if (o.expression && config_note(&o.cfg, "filter", o.expression)) {
		ret = EXIT_FAILURE;
		goto out;
	}
	if (o.print_config) {
		config_print(&o.cfg, stdout);
		ret = fflush(stdout) == EOF ? EXIT_FAILURE : EXIT_SUCCESS;
		goto out;
	}
	atexit(restore_terminal);
	if (o.list)
		ret = list_devices();
	else
		ret = run(&o);
out:
	free(o.expression);
	config_free(&o.cfg);
	return ret;
}
