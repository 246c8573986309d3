/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * nasoone(8): the command line on top of libnasoone. It takes the options
 * (cli_options.c), installs signal handlers, reads keys, shows progress and
 * calls nasoone_*; reading, counting and writing the report all happen in
 * the library.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli_options.h"
#include "cli/config.h"
#include "cli/flowlog.h"
#include "cli/modes.h"
#include "cli/stats.h"
#include "nasoone.h"
#include "cli/top.h"

/* How long the main loop waits between looks at flags, keys and progress. */
#define TICK_MS	    100
#define PROGRESS_MS 250

/* Set by the signal handlers, acted on by the main loop. */
static volatile sig_atomic_t stop_requested;
static volatile sig_atomic_t pause_requested;
static volatile sig_atomic_t resume_requested;
static volatile sig_atomic_t stats_requested;

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

static void on_stats_signal(int sig)
{
	(void)sig;
	stats_requested = 1;
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
		case 's':
		case 'S':
			stats_requested = 1;
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
		/* A dropped ssh session must not lose the report. */
		{ SIGHUP, on_stop_signal, SA_RESETHAND },
		/* tcpdump's: SIGUSR1 prints the statistics; pause and resume are our own. */
		{ SIGUSR1, on_stats_signal, SA_RESTART },
		{ -1 /* SIGRTMIN */, on_pause_signal, SA_RESTART },
		{ -2 /* SIGRTMIN + 1 */, on_resume_signal, SA_RESTART },
		{ SIGUSR2, on_resume_signal, SA_RESTART },
	};
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		/* SIGRTMIN is not a constant: negative entries count from it. */
		int sig = table[i].sig < 0 ? SIGRTMIN - table[i].sig - 1 : table[i].sig;

		sa.sa_handler = table[i].handler;
		sa.sa_flags = table[i].flags;
		if (sigaction(sig, &sa, NULL)) {
			fprintf(stderr, "nasoone: cannot install the handler for signal %d: %s\n",
				sig, strerror(errno));
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
				fputs("nasoone: paused (SIGRTMIN+1, SIGUSR2 or r resumes)\n",
				      stderr);
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

/* SIGUSR1 or s: the statistics so far, as tcpdump prints them on SIGUSR1. */
static void apply_stats_request(struct nasoone *n, struct progress *p)
{
	struct nasoone_stats stats;

	if (!stats_requested)
		return;
	stats_requested = 0;
	if (nasoone_get_stats(n, &stats))
		return;
	progress_clear(p);
	cli_print_stats(&stats);
}

/*
 * Wait for the end of the run: a file read to its end (FINISHED, also
 * after -c COUNT packets), a reading error, --duration passed, or a stop
 * request (signal or key). Never blocks longer than a tick, so flags and
 * keys are handled promptly.
 */
static void run_loop(struct nasoone *n, bool keys, struct progress *p, const struct options *o)
{
	uint64_t deadline = o->duration ? now_ms() + (uint64_t)o->duration * 1000 : 0;

	while (!stop_requested) {
		enum nasoone_state state;
		int rc, wait_ms = TICK_MS;

		if (keys)
			read_keys();
		apply_pause_resume(n, p);
		apply_stats_request(n, p);
		if (stop_requested)
			break;
		if (deadline) {
			uint64_t t = now_ms();

			if (t >= deadline)
				break;
			if (deadline - t < (uint64_t)wait_ms)
				wait_ms = (int)(deadline - t);
		}
		state = nasoone_get_state(n);
		if (state == NASOONE_FINISHED || nasoone_get_error(n))
			break;
		rc = state == NASOONE_RUNNING ? nasoone_wait(n, wait_ms) : NASOONE_ESTATE;
		if (rc == 0)
			break;
		if (rc != NASOONE_ETIMEDOUT)
			poll(NULL, 0, wait_ms); /* paused, or a wait that cannot block */
		progress_draw(p, n, state == NASOONE_PAUSED);
	}
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
		api_error(n, err, "cannot read the capture file", NULL,
			  strcmp(o->file, "-") ? o->file : "standard input");
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
	case NASOONE_EPRIVS:
		api_error(n, err, "cannot drop privileges", NULL, NULL);
		break;
	case NASOONE_EINVAL:
		api_error(n, err, "cannot start", NULL, NULL);
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
	if (o->no_promisc && (err = nasoone_set_promiscuous(n, false))) {
		api_error(n, err, "cannot leave promiscuous mode off", NULL, NULL);
		return EXIT_FAILURE;
	}
	if (o->buffer_kib && (err = nasoone_set_buffer_size(n, (size_t)o->buffer_kib * 1024))) {
		api_error(n, err, "cannot set the capture buffer size", NULL, NULL);
		return EXIT_FAILURE;
	}
	if (o->count && (err = nasoone_set_packet_limit(n, (uint64_t)o->count))) {
		api_error(n, err, "cannot set the packet count", NULL, NULL);
		return EXIT_FAILURE;
	}
	/* -Z root: keep root, as tcpdump does for the user it runs as. */
	if ((!o->user || strcmp(o->user, "root")) &&
	    (err = nasoone_set_privilege_drop(n, true, o->user))) {
		api_error(n, err, "cannot drop privileges", NULL, NULL);
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

/* -v: the counting threads, and why fewer run than -j asked. */
static void print_threads(unsigned int threads, const struct options *o)
{
	fprintf(stderr, "nasoone: %u counting thread%s", threads, threads == 1 ? "" : "s");
	if (o->threads > 0 && threads < (unsigned int)o->threads)
		fprintf(stderr,
			" of the %ld asked: reading a file, counters never outnumber the "
			"CPUs left besides the reader's",
			o->threads);
	fputc('\n', stderr);
}

static int run(const struct options *o)
{
	struct modes extras = { 0 };
	struct progress progress = { 0 };
	struct nasoone_stats stats = { 0 };
	struct flowlog *flow_log = NULL;
	struct exporter *export = NULL;
	char device[256] = "";
	const char *privileges;
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
				errno == EEXIST ? " (use --force to replace it)" : "");
			goto out;
		}
		err = nasoone_add_consumer(n, &consumer);
		if (err) {
			api_error(n, err, "cannot add the flow log", NULL, NULL);
			goto out;
		}
	}
	if (o->export.target && !(export = exporter_attach(n, &o->export, o->file ? NULL : device)))
		goto out;
	err = nasoone_start(n);
	if (err) {
		start_error(n, err, o, device);
		goto out;
	}
	/* Which path counts, and why: a live capture always says so, a file when forced. */
	if (o->verbose > 0 || (o->verbose == 0 && (!o->file || o->mode != NASOONE_MODE_AUTO)))
		fprintf(stderr, "nasoone: %s\n", nasoone_get_path(n));
	if (o->verbose > 0)
		print_threads(nasoone_get_threads(n), o);
	privileges = nasoone_get_privileges(n);
	if (o->verbose > 0 && *privileges)
		fprintf(stderr, "nasoone: running as %s\n", privileges);
	else if (o->verbose == 0 && strstr(privileges, "uid 0 kept"))
		fprintf(stderr, "nasoone: note: running as %s\n", privileges);

	/* Standard input carrying the capture holds no keys. */
	keys = !(o->file && !strcmp(o->file, "-")) && enable_keys();
	progress.enabled = o->file && isatty(STDERR_FILENO) && o->verbose >= 0;
	run_loop(n, keys, &progress, o);
	restore_terminal();
	progress_clear(&progress);

	/* 0, the report's failure, or (report written) the error that ended reading early. */
	err = nasoone_stop(n, &stats);
	if (err == NASOONE_EOUTPUT)
		api_error(n, err, "cannot write the final report", "to", output_name(o));
	else if (o->verbose >= 0)
		cli_print_stats(&stats);
	if (export && o->verbose >= 0)
		exporter_print_stats(export, stderr);
	if (err != NASOONE_EOUTPUT && o->verbose >= 0 && extras.alerts)
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
	exporter_free(export);
	modes_free(&extras);
	return ret;
}

int main(int argc, char **argv)
{
	struct options o = { 0 };
	int ret;

	if (argc > 1 && !strcmp(argv[1], "top"))
		return top_main(argc - 1, argv + 1);
	/* The configuration file's options, then the command line's over them. */
	ret = config_parse_args(argc, argv, &o);
	if (ret < 0) {
		ret = EXIT_SUCCESS; /* --help, --version */
		goto out;
	}
	if (ret > 0)
		goto out;
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
