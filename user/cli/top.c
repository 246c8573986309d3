/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * `nasoone top`: options, the main loop (a frame every refresh, keys in
 * between) and the capture's state machine (pause, resume, stop) through
 * the public library. The screen is restored on every way out: q, the
 * stop signals, SIGHUP and errors (top_screen_close() also runs at exit).
 */
#include <curses.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/top.h"

#define REFRESH_DEFAULT_MS 500

static const char top_usage_text[] =
	"Usage: nasoone top [--force] [-d SECONDS] [-j THREADS] [-t SECONDS] [-m MODE] [-w "
	"REPORT]\n"
	"                   [--exit-at-end] [-r FILE | -i IFACE] [expression]\n"
	"       nasoone top --report REPORT\n"
	"\n"
	"A live, sortable and filterable view of the rows of a capture (or of a report\n"
	"that another nasoone rewrites), refreshed every 0.5 s. Press ? in the view for\n"
	"the keys.\n"
	"\n"
	"Options as for nasoone: -r -i -w --force -t -j -m --format --idle-timeout\n"
	"--active-timeout --max-flows and the expression; and:\n"
	"  -d, --delay SECONDS      refresh every SECONDS (0.1-60, default 0.5)\n"
	"      --report REPORT      follow REPORT, rewritten by another nasoone -w REPORT\n"
	"      --exit-at-end        quit when the file is read to its end (default: the\n"
	"                           table stays, marked finished, until q)\n"
	"  -w, --write REPORT       also write the report (the final one on q)\n";

enum {
	OPT_REPORT = 256,
	OPT_EXIT_AT_END,
	OPT_FORMAT,
	OPT_IDLE,
	OPT_ACTIVE,
	OPT_MAX_FLOWS,
};

static const struct option top_long_options[] = {
	{ "read", required_argument, NULL, 'r' },
	{ "interface", required_argument, NULL, 'i' },
	{ "write", required_argument, NULL, 'w' },
	{ "interval", required_argument, NULL, 't' },
	{ "threads", required_argument, NULL, 'j' },
	{ "force", no_argument, NULL, 'F' },
	{ "mode", required_argument, NULL, 'm' },
	{ "delay", required_argument, NULL, 'd' },
	{ "report", required_argument, NULL, OPT_REPORT },
	{ "exit-at-end", no_argument, NULL, OPT_EXIT_AT_END },
	{ "format", required_argument, NULL, OPT_FORMAT },
	{ "idle-timeout", required_argument, NULL, OPT_IDLE },
	{ "active-timeout", required_argument, NULL, OPT_ACTIVE },
	{ "max-flows", required_argument, NULL, OPT_MAX_FLOWS },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

struct top_options {
	const char *file, *device, *output, *report;
	unsigned int interval;
	long threads;
	bool force, exit_at_end;
	enum nasoone_mode mode;
	enum nasoone_format format;
	double idle_s, active_s, max_flows; /* < 0: the library's defaults */
	unsigned int refresh_ms;
	char expression[1024];
};

static volatile sig_atomic_t quit_signal;

static void on_quit_signal(int sig)
{
	quit_signal = sig;
}

__attribute__((format(printf, 1, 2))) static void top_usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("nasoone top: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs(" (see nasoone top --help)\n", stderr);
}

static int parse_number(const char *opt, const char *arg, double min, double max, double *out)
{
	char *end;
	double v = strtod(arg, &end);

	if (end == arg || *end || v < min || v > max) {
		top_usage_error("invalid %s value '%s': expected a number from %g to %g", opt, arg,
				min, max);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

static int parse_top_args(int argc, char **argv, struct top_options *o)
{
	double v;
	int c;

	o->threads = -1;
	o->idle_s = o->active_s = o->max_flows = -1;
	o->refresh_ms = REFRESH_DEFAULT_MS;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":r:i:w:t:j:m:d:h", top_long_options, NULL)) != -1) {
		switch (c) {
		case 'r':
			o->file = optarg;
			break;
		case 'i':
			o->device = optarg;
			break;
		case 'w':
			o->output = optarg;
			break;
		case 'F':
			o->force = true;
			break;
		case 't':
			if (parse_number("-t", optarg, 1, 86400, &v) || v != (unsigned int)v)
				return TOP_EXIT_USAGE;
			o->interval = (unsigned int)v;
			break;
		case 'j':
			if (parse_number("-j", optarg, 0, 64, &v) || v != (long)v)
				return TOP_EXIT_USAGE;
			o->threads = (long)v;
			break;
		case 'd':
			if (parse_number("-d", optarg, 0.1, 60, &v))
				return TOP_EXIT_USAGE;
			o->refresh_ms = (unsigned int)(v * 1000 + 0.5);
			break;
		case 'm':
			if (!strcmp(optarg, "auto"))
				o->mode = NASOONE_MODE_AUTO;
			else if (!strcmp(optarg, "xdp"))
				o->mode = NASOONE_MODE_XDP;
			else if (!strcmp(optarg, "tc"))
				o->mode = NASOONE_MODE_TC;
			else if (!strcmp(optarg, "pcap"))
				o->mode = NASOONE_MODE_PCAP;
			else {
				top_usage_error("unknown mode '%s': use auto, xdp, tc or pcap",
						optarg);
				return TOP_EXIT_USAGE;
			}
			break;
		case OPT_REPORT:
			o->report = optarg;
			break;
		case OPT_EXIT_AT_END:
			o->exit_at_end = true;
			break;
		case OPT_FORMAT:
			if (!strcmp(optarg, "nasoone"))
				o->format = NASOONE_FORMAT_NASOONE;
			else if (!strcmp(optarg, "csv"))
				o->format = NASOONE_FORMAT_CSV;
			else if (!strcmp(optarg, "json"))
				o->format = NASOONE_FORMAT_JSON;
			else {
				top_usage_error("unknown format '%s': use nasoone, csv or json",
						optarg);
				return TOP_EXIT_USAGE;
			}
			break;
		case OPT_IDLE:
		case OPT_ACTIVE:
			if (parse_number(c == OPT_IDLE ? "--idle-timeout" : "--active-timeout",
					 optarg, 0, 86400 * 7, &v) ||
			    v != (unsigned int)v)
				return TOP_EXIT_USAGE;
			*(c == OPT_IDLE ? &o->idle_s : &o->active_s) = v;
			break;
		case OPT_MAX_FLOWS:
			if (parse_number("--max-flows", optarg, 0, (double)(1ull << 40), &v) ||
			    v != (uint64_t)v)
				return TOP_EXIT_USAGE;
			o->max_flows = v;
			break;
		case 'h':
			fputs(top_usage_text, stdout);
			return -1;
		case ':':
			top_usage_error("option %s needs an argument", argv[optind - 1]);
			return TOP_EXIT_USAGE;
		default:
			top_usage_error("unknown option %s", argv[optind - 1]);
			return TOP_EXIT_USAGE;
		}
	}
	if (!!o->file + !!o->device + !!o->report > 1) {
		top_usage_error("use one of -r FILE, -i IFACE and --report REPORT");
		return TOP_EXIT_USAGE;
	}
	for (int i = optind; i < argc; i++) {
		size_t len = strlen(o->expression);

		if (len + strlen(argv[i]) + 2 > sizeof(o->expression)) {
			top_usage_error("the filter expression is too long");
			return TOP_EXIT_USAGE;
		}
		snprintf(o->expression + len, sizeof(o->expression) - len, "%s%s", len ? " " : "",
			 argv[i]);
	}
	if (o->report && (o->expression[0] || o->output)) {
		top_usage_error("--report reads a report: no expression or -w with it");
		return TOP_EXIT_USAGE;
	}
	return 0;
}

/* ---- the capture ---- */

static const char *error_detail(struct nasoone *n, int err)
{
	const char *d = nasoone_last_error(n);

	return d && *d ? d : nasoone_strerror(err);
}

static int configure(struct nasoone *n, const struct top_options *o, const char *device, char *err,
		     size_t size)
{
	int rc = o->file ? nasoone_set_capture_file(n, o->file)
			 : nasoone_set_capture_device(n, device);

	if (!rc && o->force)
		rc = nasoone_set_overwrite(n, true);
	if (!rc && o->output)
		rc = nasoone_set_output(n, o->output);
	if (!rc && o->interval)
		rc = nasoone_set_timeout(n, o->interval);
	if (!rc && o->threads >= 0)
		rc = nasoone_set_threads(n, (unsigned int)o->threads);
	if (!rc && o->expression[0])
		rc = nasoone_set_filter(n, o->expression);
	if (!rc)
		rc = nasoone_set_format(n, o->format);
	if (!rc && o->max_flows >= 0)
		rc = nasoone_set_max_flows(n, (uint64_t)o->max_flows);
	/* As nasoone: one timeout given, the other is "never". */
	if (!rc && (o->idle_s >= 0 || o->active_s >= 0))
		rc = nasoone_set_expiry(n, o->idle_s >= 0 ? (unsigned int)o->idle_s : 0,
					o->active_s >= 0 ? (unsigned int)o->active_s : 0);
	if (!rc)
		rc = nasoone_set_mode(n, o->mode);
	/* eBPF rows reach userspace at each drain: drain at every refresh, not every 5 s. */
	if (!rc)
		rc = nasoone_set_bpf_tuning(n, 0, 0, o->refresh_ms);
	if (!rc)
		rc = nasoone_start(n);
	if (rc)
		snprintf(err, size, "cannot start on %s: %s", o->file ? o->file : device,
			 error_detail(n, rc));
	return rc;
}

static const char *state_text(enum nasoone_state s)
{
	switch (s) {
	case NASOONE_RUNNING:
		return "running";
	case NASOONE_PAUSED:
		return "paused";
	case NASOONE_FINISHED:
		return "finished";
	case NASOONE_STOPPED:
		return "stopped";
	default:
		return "starting";
	}
}

struct top_app {
	struct top_options *o;
	struct nasoone *n;
	struct top_report *report;
	struct top_model model;
	struct top_view view;
	struct top_status status;
	char source[300];
	char message[300];
	bool stopped;
	struct nasoone_stats final;
	/* Progress of a file: the read rate over wall time. */
	uint64_t prog_ms, prog_received, prog_bytes;
	double prog_pps, prog_bps;
};

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int stop_capture(struct top_app *a)
{
	int rc;

	if (!a->n || a->stopped)
		return 0;
	rc = nasoone_stop(a->n, &a->final);
	a->stopped = true;
	if (rc)
		snprintf(a->message, sizeof(a->message), "cannot write the final report: %s",
			 error_detail(a->n, rc));
	else if (a->o->output)
		snprintf(a->message, sizeof(a->message), "stopped: final report written to %s",
			 a->o->output);
	else
		snprintf(a->message, sizeof(a->message), "stopped");
	a->model.frame.stats = a->final;
	return rc;
}

static void update_progress(struct top_app *a)
{
	struct nasoone_progress p;
	uint64_t t = mono_ms();

	a->status.progress = -1;
	if (!a->o->file || a->stopped || nasoone_get_progress(a->n, &p) || !p.input_size)
		return;
	a->status.progress = (double)p.input_bytes / (double)p.input_size;
	if (a->status.progress > 1)
		a->status.progress = 1;
	if (a->prog_ms && t > a->prog_ms) {
		double dt = (double)(t - a->prog_ms) / 1000;

		a->prog_pps = (double)(p.received - a->prog_received) / dt;
		a->prog_bps = (double)(p.input_bytes - a->prog_bytes) / dt;
	}
	a->prog_ms = t;
	a->prog_received = p.received;
	a->prog_bytes = p.input_bytes;
	a->status.file_pps = a->prog_pps;
	a->status.eta_s =
		a->prog_bps > 0 ? (double)(p.input_size - p.input_bytes) / a->prog_bps : -1;
	if (p.input_bytes >= p.input_size)
		a->status.eta_s = 0;
}

/* A new frame from the capture or the report; 0, or -1 to end with a.message. */
static int take_frame(struct top_app *a)
{
	struct top_frame fr = { 0 };
	int rc;

	if (a->report) {
		rc = top_report_poll(a->report, &fr, a->message, sizeof(a->message));
		if (rc < 0)
			return -1;
		a->status.report_reads = top_report_reads(a->report);
		if (rc == 0)
			return 0;
	} else {
		struct nasoone_snapshot *s;
		enum nasoone_state st = nasoone_get_state(a->n);

		a->status.state = state_text(a->stopped ? NASOONE_STOPPED : st);
		update_progress(a);
		if (a->stopped)
			return 0;
		if (nasoone_get_error(a->n))
			snprintf(a->message, sizeof(a->message), "%s",
				 error_detail(a->n, nasoone_get_error(a->n)));
		if (st == NASOONE_FINISHED && a->o->exit_at_end)
			return 1;
		rc = nasoone_snapshot(a->n, &s);
		if (rc) {
			snprintf(a->message, sizeof(a->message), "cannot take a snapshot: %s",
				 error_detail(a->n, rc));
			return 0;
		}
		fr.snapshot = s;
		fr.flows = s->flows;
		fr.count = s->count;
		fr.clock_ms = s->clock_ms;
		fr.generation = s->generation;
		fr.stats = s->stats;
		fr.has_stats = true;
	}
	if (top_model_set_frame(&a->model, &fr)) {
		snprintf(a->message, sizeof(a->message), "out of memory for %zu rows",
			 a->model.frame.count);
		return -1;
	}
	return 0;
}

/* Keep the selection within the rows and on screen (n rows), the window to match. */
static bool clamp_view(struct top_view *v, size_t n, size_t h)
{
	size_t scroll = v->scroll;

	if (v->selected >= n)
		v->selected = n ? n - 1 : 0;
	if (v->selected < v->scroll)
		v->scroll = v->selected;
	if (h && v->selected >= v->scroll + h)
		v->scroll = v->selected - h + 1;
	if (v->scroll + h > n)
		v->scroll = n > h ? n - h : 0;
	return v->scroll != scroll;
}

/* Select the window: with the last count of rows, then again if the count moved it. */
static int relayout(struct top_app *a)
{
	struct top_view *v = &a->view;
	struct top_model *m = &a->model;
	size_t h = top_screen_table_height(v);

	clamp_view(v, m->hosts_mode ? m->hosts_count : m->shown, h);
	m->offset = v->scroll;
	m->height = h;
	if (top_model_refresh(m))
		return -1;
	if (!clamp_view(v, m->hosts_mode ? m->hosts_count : m->shown, h))
		return 0;
	m->offset = v->scroll;
	return top_model_refresh(m);
}

static void prompt_key(struct top_app *a, int ch)
{
	struct top_view *v = &a->view;
	char err[200];

	if (ch == 27) {
		v->prompting = false;
	} else if (ch == '\n' || ch == '\r' || ch == KEY_ENTER) {
		v->prompting = false;
		if (top_filter_parse(&a->model.filter, v->prompt, err, sizeof(err)))
			snprintf(a->message, sizeof(a->message), "filter: %s", err);
		else
			v->selected = v->scroll = 0;
	} else if (ch == KEY_BACKSPACE || ch == 127 || ch == 8) {
		if (v->prompt_len)
			v->prompt[--v->prompt_len] = '\0';
	} else if (ch >= 32 && ch < 127 && v->prompt_len + 1 < sizeof(v->prompt)) {
		v->prompt[v->prompt_len++] = (char)ch;
		v->prompt[v->prompt_len] = '\0';
	}
}

static void pause_resume(struct top_app *a, int want) /* 1 pause, 0 resume, -1 toggle */
{
	enum nasoone_state s;
	int rc;

	if (!a->n || a->stopped)
		return;
	s = nasoone_get_state(a->n);
	if (want < 0)
		want = s == NASOONE_RUNNING;
	if (want && s == NASOONE_RUNNING)
		rc = nasoone_pause(a->n);
	else if (!want && s == NASOONE_PAUSED)
		rc = nasoone_resume(a->n);
	else
		return;
	if (rc)
		snprintf(a->message, sizeof(a->message), "%s", error_detail(a->n, rc));
	a->status.state = state_text(nasoone_get_state(a->n));
}

/* One key; true when the user quits. */
static bool handle_key(struct top_app *a, int ch)
{
	struct top_view *v = &a->view;
	struct top_model *m = &a->model;
	size_t page = top_screen_table_height(v);
	int ncols = m->hosts_mode ? TOP_HCOL_COUNT : TOP_COL_COUNT;
	int *sort = m->hosts_mode ? (int *)&m->host_sort : (int *)&m->sort;

	if (v->prompting) {
		prompt_key(a, ch);
		return false;
	}
	if (v->help) {
		v->help = false;
		return false;
	}
	a->message[0] = '\0';
	switch (ch) {
	case 'q':
	case 'Q':
		return true;
	case '?':
	case 'h':
		v->help = true;
		break;
	case '<':
	case ',':
		*sort = (*sort + ncols - 1) % ncols;
		break;
	case '>':
	case '.':
		*sort = (*sort + 1) % ncols;
		break;
	case 'R':
		m->reverse = !m->reverse;
		break;
	case '/':
	case 'f':
		v->prompting = true;
		snprintf(v->prompt, sizeof(v->prompt), "%s", m->filter.source);
		v->prompt_len = strlen(v->prompt);
		break;
	case 'c':
		memset(&m->filter, 0, sizeof(m->filter));
		break;
	case 's':
	case '\t':
		m->hosts_mode = !m->hosts_mode;
		v->selected = v->scroll = 0;
		break;
	case 'd':
	case '\n':
	case '\r':
	case KEY_ENTER:
		v->details = !v->details;
		break;
	case 'n':
		v->raw = !v->raw;
		break;
	case 'p':
		pause_resume(a, 1);
		break;
	case 'r':
		pause_resume(a, 0);
		break;
	case ' ':
		pause_resume(a, -1);
		break;
	case 'x':
		stop_capture(a);
		a->status.state = "stopped";
		break;
	case KEY_UP:
	case 'k':
		if (v->selected)
			v->selected--;
		break;
	case KEY_DOWN:
	case 'j':
		v->selected++;
		break;
	case KEY_PPAGE:
		v->selected = v->selected > page ? v->selected - page : 0;
		v->scroll = v->scroll > page ? v->scroll - page : 0;
		break;
	case KEY_NPAGE:
		v->selected += page;
		v->scroll += page;
		break;
	case KEY_HOME:
	case 'g':
		v->selected = v->scroll = 0;
		break;
	case KEY_END:
	case 'G':
		v->selected = SIZE_MAX / 2;
		break;
	case KEY_RESIZE:
	case 12: /* ^L */
		clearok(curscr, TRUE);
		break;
	}
	return false;
}

static int install_quit_signals(void)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_quit_signal;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		if (sigaction(sigs[i], &sa, NULL))
			return -errno;
	return 0;
}

static int run_view(struct top_app *a)
{
	uint64_t next = 0;
	bool dirty = true;

	for (;;) {
		uint64_t now = mono_ms();
		int ch, rc = 0;

		if (quit_signal)
			return 0;
		if (now >= next) {
			rc = take_frame(a);
			if (rc < 0)
				return -1;
			if (rc > 0)
				return 0; /* --exit-at-end */
			next = now + a->o->refresh_ms;
			dirty = true;
		}
		if (dirty) {
			a->status.message = a->message[0] ? a->message : NULL;
			if (relayout(a)) {
				snprintf(a->message, sizeof(a->message), "out of memory");
				return -1;
			}
			top_screen_draw(&a->model, &a->view, &a->status);
			dirty = false;
		}
		now = mono_ms();
		/* Wake at least every 50 ms: --exit-at-end leaves as soon as the file ends. */
		timeout(next > now ? (int)(next - now < 50 ? next - now : 50) : 0);
		ch = getch();
		if (ch != ERR) {
			if (handle_key(a, ch))
				return 0;
			dirty = true;
		} else if (a->n && a->o->exit_at_end && !a->stopped &&
			   nasoone_get_state(a->n) == NASOONE_FINISHED) {
			return 0;
		}
	}
}

static void print_final(const struct top_app *a)
{
	const struct nasoone_stats *s = &a->final;

	fprintf(stderr,
		"%" PRIu64 " packets received, %" PRIu64 " counted, %" PRIu64 " skipped, %" PRIu64
		" filtered\n",
		s->received, s->counted, s->skipped, s->filtered);
	fprintf(stderr,
		"%" PRIu64 " packets dropped, %" PRIu64 " dropped by interface, %" PRIu64
		" seen while paused, %" PRIu64 " rows\n",
		s->dropped, s->if_dropped, s->paused, s->rows);
}

int top_main(int argc, char **argv)
{
	struct top_options o = { 0 };
	struct top_app a = { 0 };
	char device[256] = "", err[512] = "";
	int ret, rc;

	ret = parse_top_args(argc, argv, &o);
	if (ret)
		return ret < 0 ? EXIT_SUCCESS : ret;
	a.o = &o;
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		fprintf(stderr, "nasoone top: needs a terminal on standard input and output "
				"(without one, write a report: nasoone -w FILE)\n");
		return TOP_EXIT_USAGE;
	}
	if (top_model_init(&a.model)) {
		fprintf(stderr, "nasoone top: out of memory\n");
		return EXIT_FAILURE;
	}
	if (install_quit_signals()) {
		fprintf(stderr, "nasoone top: cannot install the signal handlers: %s\n",
			strerror(errno));
		ret = EXIT_FAILURE;
		goto out;
	}
	a.status.refresh_ms = o.refresh_ms;
	a.status.progress = -1;
	if (o.report) {
		a.report = top_report_open(o.report, err, sizeof(err));
		if (!a.report) {
			fprintf(stderr, "nasoone top: %s\n", err);
			ret = EXIT_FAILURE;
			goto out;
		}
		snprintf(a.source, sizeof(a.source), "report %s", o.report);
		a.status.state = "following";
	} else {
		if (!o.file && !o.device && (rc = nasoone_default_device(device, sizeof(device)))) {
			fprintf(stderr, "nasoone top: no capture device found: %s (use -i IFACE)\n",
				nasoone_strerror(rc));
			ret = EXIT_FAILURE;
			goto out;
		}
		if (o.device)
			snprintf(device, sizeof(device), "%s", o.device);
		a.n = nasoone_new();
		if (!a.n || configure(a.n, &o, device, err, sizeof(err))) {
			fprintf(stderr, "nasoone top: %s\n", a.n ? err : "out of memory");
			ret = EXIT_FAILURE;
			goto out;
		}
		snprintf(a.source, sizeof(a.source), "%s %s", o.file ? "file" : "interface",
			 o.file ? o.file : device);
		a.status.path = nasoone_get_path(a.n);
		a.status.is_file = o.file != NULL;
	}
	a.status.source = a.source;
	if (top_screen_open(err, sizeof(err))) {
		fprintf(stderr, "nasoone top: %s\n", err);
		ret = TOP_EXIT_USAGE;
		goto out;
	}
	rc = run_view(&a);
	top_screen_close();
	ret = rc ? EXIT_FAILURE : EXIT_SUCCESS;
	if (rc)
		fprintf(stderr, "nasoone top: %s\n", a.message);
	if (quit_signal)
		fprintf(stderr, "nasoone top: %s, stopping\n", strsignal(quit_signal));
	if (a.n) {
		bool was_stopped = a.stopped;

		if (stop_capture(&a)) {
			fprintf(stderr, "nasoone top: %s\n", a.message);
			ret = EXIT_FAILURE;
		} else if (!was_stopped) {
			print_final(&a);
		}
		if (o.output && !ret)
			fprintf(stderr, "nasoone top: final report written to %s\n", o.output);
	}
out:
	top_screen_close();
	top_model_free(&a.model);
	top_report_close(a.report);
	nasoone_free(a.n);
	return ret;
}
