/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * `nasoone top`: options, the main loop (a frame every refresh, keys in
 * between) and the capture's state machine (pause, resume, stop) through
 * the public library. The screen is restored on every way out: q, the
 * stop signals, SIGHUP and errors (top_screen_close() also runs at exit).
 */
#include <curses.h>
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli_options.h"
#include "cli/stats.h"
#include "cli/top.h"

#define REFRESH_DEFAULT_MS 500

static volatile sig_atomic_t quit_signal;

static void on_quit_signal(int sig)
{
	quit_signal = sig;
}

/* ---- the capture ---- */

static const char *error_detail(struct nasoone *n, int err)
{
	const char *d = nasoone_last_error(n);

	return d && *d ? d : nasoone_strerror(err);
}

static int configure(struct nasoone *n, const struct options *o, const char *device, char *err,
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
	if (!rc && o->expression)
		rc = nasoone_set_filter(n, o->expression);
	if (!rc)
		rc = nasoone_set_format(n, o->format);
	if (!rc && o->max_flows >= 0)
		rc = nasoone_set_max_flows(n, (uint64_t)o->max_flows);
	/* As nasoone: one timeout given, the other is "never". */
	if (!rc && (o->idle_timeout >= 0 || o->active_timeout >= 0))
		rc = nasoone_set_expiry(n, o->idle_timeout >= 0 ? (unsigned int)o->idle_timeout : 0,
					o->active_timeout >= 0 ? (unsigned int)o->active_timeout
							       : 0);
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
	struct options *o;
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
	/* A reading error comes after the report was written: only EOUTPUT means it was not. */
	if (rc == NASOONE_EOUTPUT)
		snprintf(a->message, sizeof(a->message), "cannot write the final report: %s",
			 error_detail(a->n, rc));
	else if (rc)
		snprintf(a->message, sizeof(a->message), "%s stopped early: %s",
			 a->o->file ? "reading" : "capture", error_detail(a->n, rc));
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

int top_main(int argc, char **argv)
{
	struct options o = { .command = CLI_TOP };
	struct top_app a = { 0 };
	char device[256] = "", err[512] = "";
	int ret, rc;

	ret = parse_args(argc, argv, &o);
	if (ret) {
		free(o.expression);
		return ret < 0 ? EXIT_SUCCESS : ret;
	}
	if (!o.refresh_ms)
		o.refresh_ms = REFRESH_DEFAULT_MS;
	a.o = &o;
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		fprintf(stderr, "nasoone top: needs a terminal on standard input and output "
				"(without one, write a report: nasoone -w FILE)\n");
		ret = EXIT_USAGE;
		goto out;
	}
	if (top_model_init(&a.model)) {
		fprintf(stderr, "nasoone top: out of memory\n");
		ret = EXIT_FAILURE;
		goto out;
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
		ret = EXIT_USAGE;
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
		int stop_rc = stop_capture(&a);

		if (stop_rc != NASOONE_EOUTPUT && !was_stopped)
			cli_print_stats(&a.final);
		if (stop_rc) {
			fprintf(stderr, "nasoone top: %s\n", a.message);
			ret = EXIT_FAILURE;
		}
		if (o.output && stop_rc != NASOONE_EOUTPUT && !rc)
			fprintf(stderr, "nasoone top: final report written to %s\n", o.output);
	}
out:
	top_screen_close();
	top_model_free(&a.model);
	top_report_close(a.report);
	nasoone_free(a.n);
	free(o.expression);
	return ret;
}
