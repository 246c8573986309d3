/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Drawing the view with ncurses: the header (source, path, state, totals,
 * health, progress), the table of connections or hosts, the details pane
 * of the selected row, the help and the prompt line. Columns that do not
 * fit the width are left out, least useful first; addresses take the rest.
 */
#include <arpa/inet.h>
#include <curses.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/top.h"

#define HEADER_LINES  6
#define DETAILS_LINES 7

static bool screen_open;

int top_screen_open(char *err, size_t err_size)
{
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		snprintf(err, err_size,
			 "top needs a terminal on standard input and output "
			 "(without one, write a report: nasoone -w FILE)");
		return -1;
	}
	if (!newterm(NULL, stdout, stdin)) {
		snprintf(err, err_size, "cannot use the terminal '%s' (set TERM to a known type)",
			 getenv("TERM") ? getenv("TERM") : "");
		return -1;
	}
	screen_open = true;
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	curs_set(0);
	set_escdelay(25);
	if (has_colors()) {
		start_color();
		use_default_colors();
		init_pair(1, COLOR_CYAN, -1);	/* header labels */
		init_pair(2, COLOR_YELLOW, -1); /* warnings */
		init_pair(3, COLOR_GREEN, -1);	/* fresh rows */
		init_pair(4, COLOR_BLUE, -1);	/* stale rows */
	}
	return 0;
}

void top_screen_close(void)
{
	if (screen_open) {
		endwin();
		screen_open = false;
	}
}

size_t top_screen_table_height(const struct top_view *v)
{
	int h = LINES - HEADER_LINES - 2 - (v->details ? DETAILS_LINES : 0);

	return h > 0 ? (size_t)h : 0;
}

/* ---- numbers ---- */

static void human(char *buf, size_t size, double v, bool raw)
{
	static const char units[] = "kMGTPE";
	int u = -1;

	if (raw || v < 1000) {
		snprintf(buf, size, "%.0f", v);
		return;
	}
	while (v >= 999.95 && u < 5) {
		v /= 1000;
		u++;
	}
	snprintf(buf, size, v < 9.995 ? "%.2f%c" : v < 99.95 ? "%.1f%c" : "%.0f%c", v, units[u]);
}

static void human_u64(char *buf, size_t size, uint64_t v, bool raw)
{
	if (raw)
		snprintf(buf, size, "%" PRIu64, v);
	else
		human(buf, size, (double)v, false);
}

static void age_text(char *buf, size_t size, uint64_t ms, bool raw)
{
	uint64_t s = ms / 1000;

	if (raw)
		snprintf(buf, size, "%" PRIu64, ms);
	else if (s < 60)
		snprintf(buf, size, "%.1fs", (double)ms / 1000);
	else if (s < 3600)
		snprintf(buf, size, "%" PRIu64 "m%02" PRIu64 "s", s / 60, s % 60);
	else
		snprintf(buf, size, "%" PRIu64 "h%02" PRIu64 "m", s / 3600, s / 60 % 60);
}

static void time_text(char *buf, size_t size, uint64_t ms, bool raw)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (raw || !localtime_r(&t, &tm)) {
		snprintf(buf, size, "%" PRIu64, ms);
		return;
	}
	snprintf(buf, size, "%02d:%02d:%02d.%03u", tm.tm_hour, tm.tm_min, tm.tm_sec,
		 (unsigned int)(ms % 1000));
}

static const char *proto_text(uint32_t p)
{
	static const char *const names[] = { "-", "TCP", "UDP", "TCP,UDP" };

	return names[p & 3];
}

/* ---- columns ---- */

struct column {
	int id;
	const char *name;
	int width; /* 0: an address, flexible */
	bool left;
};

/* In the order of the screen; drop[] says which go first when the width is short. */
static const int conn_drop[] = { TOP_COL_FIRST, TOP_COL_PEAK,  TOP_COL_LAST,
				 TOP_COL_PPS,	TOP_COL_PROTO, TOP_COL_AGE };
static const int host_drop[] = { TOP_HCOL_FLOWS, TOP_HCOL_PACKETS_IN, TOP_HCOL_PACKETS_OUT };

static int conn_width(int id, bool raw)
{
	switch (id) {
	case TOP_COL_SPORT:
	case TOP_COL_DPORT:
		return 6; /* "sport" and the sort mark */
	case TOP_COL_PROTO:
		return 7;
	case TOP_COL_FIRST:
	case TOP_COL_LAST:
		return raw ? 13 : 12;
	case TOP_COL_AGE:
		return raw ? 9 : 6;
	case TOP_COL_SRC:
	case TOP_COL_DST:
		return 0;
	default:
		return raw ? 12 : 7;
	}
}

struct layout {
	struct column cols[TOP_COL_COUNT];
	int n;
	int addr_width;
};

static void make_layout(struct layout *l, bool hosts, bool raw, int width, int addr_want)
{
	int count = hosts ? TOP_HCOL_COUNT : TOP_COL_COUNT;
	bool dropped[TOP_COL_COUNT] = { false };
	const int *drop = hosts ? host_drop : conn_drop;
	size_t ndrop = hosts ? sizeof(host_drop) / sizeof(host_drop[0])
			     : sizeof(conn_drop) / sizeof(conn_drop[0]);
	int fixed, naddr = hosts ? 1 : 2, min_addr = 15;

	for (size_t d = 0;; d++) {
		fixed = 0;
		for (int c = 0; c < count; c++) {
			int w = hosts ? (c == TOP_HCOL_ADDR ? 0
					 : raw		    ? 12
							    : 8)
				      : conn_width(c, raw);

			if (!dropped[c])
				fixed += w + 1;
		}
		/* Addresses in full first; then columns go before addresses shrink. */
		if (fixed + naddr * (addr_want > 17	    ? 17
				     : addr_want > min_addr ? addr_want
							    : min_addr) <=
			    width ||
		    d == ndrop)
			break;
		dropped[drop[d]] = true;
	}
	l->addr_width = (width - fixed) / naddr;
	if (l->addr_width > addr_want)
		l->addr_width = addr_want;
	if (l->addr_width < 7)
		l->addr_width = 7;
	l->n = 0;
	for (int c = 0; c < count; c++) {
		if (dropped[c])
			continue;
		l->cols[l->n].id = c;
		l->cols[l->n].name = hosts ? top_host_column_name((enum top_host_column)c)
					   : top_column_name((enum top_column)c);
		l->cols[l->n].width = hosts ? (c == TOP_HCOL_ADDR ? 0
					       : raw		  ? 12
								  : 8)
					    : conn_width(c, raw);
		l->cols[l->n].left = l->cols[l->n].width == 0 || (!hosts && c == TOP_COL_PROTO);
		if (!l->cols[l->n].width)
			l->cols[l->n].width = l->addr_width;
		l->n++;
	}
}

/* One cell: text cut to width (an address keeps its end, with '+' for what is cut). */
static void cell(char *line, size_t size, size_t *pos, const struct column *c, const char *text)
{
	int len = (int)strlen(text), w = c->width;
	char buf[64];

	if (len > w) {
		snprintf(buf, sizeof(buf), "+%s", text + len - w + 1);
		text = buf;
		len = w;
	}
	if (*pos < size)
		*pos += (size_t)snprintf(line + *pos, size - *pos, c->left ? "%-*s " : "%*s ", w,
					 text);
}

static void conn_cell(char *out, size_t size, const struct top_model *m, const struct top_view *v,
		      const struct nasoone_flow *f, int id)
{
	struct top_rate r;

	top_model_rate(m, f, &r);
	switch (id) {
	case TOP_COL_SRC:
		top_format_addr(out, size, f->saddr, f->family);
		break;
	case TOP_COL_SPORT:
		snprintf(out, size, "%u", ntohs(f->sport));
		break;
	case TOP_COL_DST:
		top_format_addr(out, size, f->daddr, f->family);
		break;
	case TOP_COL_DPORT:
		snprintf(out, size, "%u", ntohs(f->dport));
		break;
	case TOP_COL_PROTO:
		snprintf(out, size, "%s", proto_text(f->protos));
		break;
	case TOP_COL_FIRST:
		time_text(out, size, f->first_ms, v->raw);
		break;
	case TOP_COL_LAST:
		time_text(out, size, f->last_ms, v->raw);
		break;
	case TOP_COL_BYTES:
		human_u64(out, size, f->bytes, v->raw);
		break;
	case TOP_COL_PACKETS:
		human_u64(out, size, f->packets, v->raw);
		break;
	case TOP_COL_BPS:
		human(out, size, r.bps, v->raw);
		break;
	case TOP_COL_PPS:
		human(out, size, r.pps, v->raw);
		break;
	case TOP_COL_PEAK:
		human(out, size, r.peak_bps, v->raw);
		break;
	case TOP_COL_AGE:
		age_text(out, size,
			 m->frame.clock_ms > f->last_ms ? m->frame.clock_ms - f->last_ms : 0,
			 v->raw);
		break;
	}
}

static void host_cell(char *out, size_t size, const struct top_view *v, const struct top_host *h,
		      int id)
{
	switch (id) {
	case TOP_HCOL_ADDR:
		top_format_addr(out, size, h->addr, h->family);
		break;
	case TOP_HCOL_FLOWS:
		human_u64(out, size, h->flows, v->raw);
		break;
	case TOP_HCOL_BYTES_OUT:
		human_u64(out, size, h->bytes_out, v->raw);
		break;
	case TOP_HCOL_PACKETS_OUT:
		human_u64(out, size, h->packets_out, v->raw);
		break;
	case TOP_HCOL_BYTES_IN:
		human_u64(out, size, h->bytes_in, v->raw);
		break;
	case TOP_HCOL_PACKETS_IN:
		human_u64(out, size, h->packets_in, v->raw);
		break;
	case TOP_HCOL_BPS_OUT:
		human(out, size, h->bps_out, v->raw);
		break;
	case TOP_HCOL_BPS_IN:
		human(out, size, h->bps_in, v->raw);
		break;
	}
}

/* A line at y, cut to the width. */
static void put_line(int y, const char *text)
{
	mvaddnstr(y, 0, text, COLS);
	clrtoeol();
}

/* ---- header ---- */

static void draw_header(const struct top_model *m, const struct top_view *v,
			const struct top_status *s)
{
	const struct nasoone_stats *st = &m->frame.stats;
	char a[32], b[32], c[32], d[32], line[512];
	time_t now = time(NULL);
	struct tm tm;

	localtime_r(&now, &tm);
	snprintf(line, sizeof(line), "nasoone top - %s - %s - every %.1f s - %02d:%02d:%02d",
		 s->source, s->state, s->refresh_ms / 1000.0, tm.tm_hour, tm.tm_min, tm.tm_sec);
	attron(A_BOLD);
	put_line(0, line);
	attroff(A_BOLD);
	if (s->path)
		snprintf(line, sizeof(line), "%s", s->path);
	else
		snprintf(line, sizeof(line), "report read %u times (reread when it is replaced)",
			 s->report_reads);
	put_line(1, line);
	human_u64(a, sizeof(a), m->frame.count, v->raw);
	human_u64(b, sizeof(b), m->shown_packets, v->raw);
	human_u64(c, sizeof(c), m->shown_bytes, v->raw);
	human(d, sizeof(d), m->shown_bps, v->raw);
	snprintf(line, sizeof(line),
		 "rows %s  shown %zu  packets %s  bytes %s  rate %s B/s %.0f pkt/s", a, m->shown, b,
		 c, d, m->shown_pps);
	put_line(2, line);
	if (m->frame.has_stats) {
		snprintf(line, sizeof(line),
			 "received %" PRIu64 "  dropped %" PRIu64 " (if %" PRIu64
			 ")  filtered %" PRIu64 "  skipped %" PRIu64 "  paused %" PRIu64
			 "  expired %" PRIu64,
			 st->received, st->dropped, st->if_dropped, st->filtered, st->skipped,
			 st->paused, st->expired);
		if (st->dropped || st->if_dropped)
			attron(COLOR_PAIR(2));
		put_line(3, line);
		attroff(COLOR_PAIR(2));
		if (st->map_capacity)
			snprintf(line, sizeof(line),
				 "eBPF overflow %" PRIu64 "  unattributed %" PRIu64
				 "  fullest map %" PRIu64 "/%" PRIu64 " (%.0f%%)",
				 st->overflow, st->unattributed, st->map_fill_max, st->map_capacity,
				 100.0 * (double)st->map_fill_max / (double)st->map_capacity);
		else
			snprintf(line, sizeof(line), "eBPF: not on this path");
		if (st->unattributed)
			attron(COLOR_PAIR(2));
		put_line(4, line);
		attroff(COLOR_PAIR(2));
	} else {
		put_line(3, "");
		put_line(4, "");
	}
	if (s->is_file && s->progress >= 0) {
		int bar = COLS - 44 > 10 ? (COLS - 44 > 60 ? 60 : COLS - 44) : 10;
		int full = (int)(s->progress * bar + 0.5);
		char eta[32] = "-";
		size_t p = 0;

		if (s->eta_s >= 0)
			snprintf(eta, sizeof(eta), "%.0f s", s->eta_s);
		line[p++] = '[';
		for (int i = 0; i < bar; i++)
			line[p++] = i < full ? '#' : '.';
		human(a, sizeof(a), s->file_pps, false);
		snprintf(line + p, sizeof(line) - p, "] %5.1f%%  %s pkt/s  left %s",
			 100.0 * s->progress, a, eta);
		put_line(5, line);
	} else {
		put_line(5, "");
	}
	(void)v;
}

/* ---- the table ---- */

static int addr_want(const struct top_model *m)
{
	int want = 15;
	char a[INET6_ADDRSTRLEN];

	for (size_t i = 0; i < m->window_count; i++) {
		if (m->hosts_mode) {
			const struct top_host *h = &m->hosts[m->window[i].index];

			top_format_addr(a, sizeof(a), h->addr, h->family);
		} else {
			const struct nasoone_flow *f = &m->frame.flows[m->window[i].index];

			top_format_addr(a, sizeof(a), f->saddr, f->family);
			if ((int)strlen(a) > want)
				want = (int)strlen(a);
			top_format_addr(a, sizeof(a), f->daddr, f->family);
		}
		if ((int)strlen(a) > want)
			want = (int)strlen(a);
	}
	return want;
}

static void draw_table(const struct top_model *m, const struct top_view *v, int y0, int height)
{
	struct layout l;
	char line[1024], text[64];
	int sort = m->hosts_mode ? (int)m->host_sort : (int)m->sort;

	make_layout(&l, m->hosts_mode, v->raw, COLS, addr_want(m));
	/* The column header: the sort column marked with its direction. */
	size_t pos = 0;
	for (int c = 0; c < l.n; c++) {
		const char *mark = l.cols[c].id == sort ? (m->reverse ? "^" : "v") : "";
		int w = l.cols[c].width - (int)strlen(mark);

		snprintf(text, sizeof(text), "%.*s%s", w, l.cols[c].name, mark);
		cell(line, sizeof(line), &pos, &l.cols[c], text);
	}
	attron(A_REVERSE);
	put_line(y0, line);
	mvchgat(y0, 0, -1, A_REVERSE, 0, NULL);
	attroff(A_REVERSE);
	for (int y = 0; y < height; y++) {
		size_t i = (size_t)y;

		if (i >= m->window_count) {
			put_line(y0 + 1 + y, "");
			continue;
		}
		pos = 0;
		for (int c = 0; c < l.n; c++) {
			if (m->hosts_mode)
				host_cell(text, sizeof(text), v, &m->hosts[m->window[i].index],
					  l.cols[c].id);
			else
				conn_cell(text, sizeof(text), m, v,
					  &m->frame.flows[m->window[i].index], l.cols[c].id);
			cell(line, sizeof(line), &pos, &l.cols[c], text);
		}
		if (v->scroll + i == v->selected)
			attron(A_REVERSE);
		else if (!m->hosts_mode) {
			const struct nasoone_flow *f = &m->frame.flows[m->window[i].index];

			/* Staleness by colour, as iftop and RustNet: fresh green, idle blue. */
			if (f->last_ms + 2000 >= m->frame.clock_ms)
				attron(COLOR_PAIR(3));
			else if (f->last_ms + 30000 < m->frame.clock_ms)
				attron(COLOR_PAIR(4));
		}
		put_line(y0 + 1 + y, line);
		attrset(A_NORMAL);
	}
}

static void draw_details(const struct top_model *m, const struct top_view *v, int y0)
{
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN], t1[32], t2[32], line[512];
	size_t i = v->selected - v->scroll;

	mvhline(y0, 0, '-', COLS); /* ASCII: the screen reads the same in a text capture */
	for (int y = 1; y < DETAILS_LINES; y++)
		put_line(y0 + y, "");
	if (v->selected < v->scroll || i >= m->window_count) {
		put_line(y0 + 1, "(no row selected)");
		return;
	}
	if (m->hosts_mode) {
		const struct top_host *h = &m->hosts[m->window[i].index];

		top_format_addr(a, sizeof(a), h->addr, h->family);
		snprintf(line, sizeof(line), "host %s (IPv%u) in %" PRIu64 " rows", a, h->family,
			 h->flows);
		put_line(y0 + 1, line);
		snprintf(line, sizeof(line),
			 "sent     %" PRIu64 " bytes  %" PRIu64 " packets  %.0f B/s", h->bytes_out,
			 h->packets_out, h->bps_out);
		put_line(y0 + 2, line);
		snprintf(line, sizeof(line),
			 "received %" PRIu64 " bytes  %" PRIu64 " packets  %.0f B/s", h->bytes_in,
			 h->packets_in, h->bps_in);
		put_line(y0 + 3, line);
		return;
	}
	const struct nasoone_flow *f = &m->frame.flows[m->window[i].index];
	struct top_rate r;
	uint64_t dur = f->last_ms - f->first_ms;

	top_model_rate(m, f, &r);
	top_format_addr(a, sizeof(a), f->saddr, f->family);
	top_format_addr(b, sizeof(b), f->daddr, f->family);
	snprintf(line, sizeof(line), "%s port %u -> %s port %u  %s  IPv%u", a, ntohs(f->sport), b,
		 ntohs(f->dport), proto_text(f->protos), f->family);
	put_line(y0 + 1, line);
	time_text(t1, sizeof(t1), f->first_ms, false);
	time_text(t2, sizeof(t2), f->last_ms, false);
	snprintf(line, sizeof(line), "first %" PRIu64 " (%s)  last %" PRIu64 " (%s)  lasted %.3f s",
		 f->first_ms, t1, f->last_ms, t2, (double)dur / 1000);
	put_line(y0 + 2, line);
	snprintf(line, sizeof(line),
		 "%" PRIu64 " bytes  %" PRIu64 " packets  %.1f bytes a packet  average %.0f B/s",
		 f->bytes, f->packets, f->packets ? (double)f->bytes / (double)f->packets : 0.0,
		 dur ? (double)f->bytes * 1000 / (double)dur : 0.0);
	put_line(y0 + 3, line);
	snprintf(line, sizeof(line),
		 "now %.0f B/s %.1f pkt/s (smoothed over %d s)  peak %.0f B/s %.1f pkt/s", r.bps,
		 r.pps, TOP_RATE_TAU_MS / 1000, r.peak_bps, r.peak_pps);
	put_line(y0 + 4, line);
	age_text(t1, sizeof(t1),
		 m->frame.clock_ms > f->last_ms ? m->frame.clock_ms - f->last_ms : 0, false);
	snprintf(line, sizeof(line), "last packet %s ago", t1);
	put_line(y0 + 5, line);
}

static const char *const help_lines[] = {
	"nasoone top: keys",
	"",
	"  < >          sort by the column to the left / right",
	"  R            reverse the order",
	"  / f          filter: IP or CIDR (either end), port N, tcp, udp, text",
	"  c            clear the filter",
	"  s Tab        per-host summary / per-connection rows",
	"  d Enter      details of the selected row",
	"  n            raw numbers / human-readable numbers",
	"  p r space    pause / resume / toggle (the counts show what was seen)",
	"  x            stop the capture (the final report is written), keep the view",
	"  q            stop, write the final report, and quit",
	"  Up Down j k  move; PgUp PgDn: a page; Home End g G: first / last",
	"  ?            this help (any key closes it)",
};

static void draw_help(void)
{
	int n = (int)(sizeof(help_lines) / sizeof(help_lines[0]));
	int w = 80 < COLS ? 80 : COLS, y0 = (LINES - n - 2) / 2;

	if (y0 < 0)
		y0 = 0;
	for (int i = 0; i < n + 2 && y0 + i < LINES; i++) {
		move(y0 + i, 0);
		clrtoeol();
		if (i > 0 && i <= n)
			mvaddnstr(y0 + i, 1, help_lines[i - 1], w - 2);
	}
}

void top_screen_draw(const struct top_model *m, const struct top_view *v,
		     const struct top_status *s)
{
	char line[512];
	int height = (int)top_screen_table_height(v);
	int sort = m->hosts_mode ? (int)m->host_sort : (int)m->sort;

	erase();
	draw_header(m, v, s);
	draw_table(m, v, HEADER_LINES, height);
	if (v->details)
		draw_details(m, v, HEADER_LINES + 1 + height);
	if (v->prompting) {
		snprintf(line, sizeof(line), "filter: %s", v->prompt);
		put_line(LINES - 1, line);
		curs_set(1);
	} else {
		curs_set(0);
		snprintf(line, sizeof(line), "%s | sort %s%s | filter %s | %s%s",
			 m->hosts_mode ? "hosts" : "connections",
			 m->hosts_mode ? top_host_column_name((enum top_host_column)sort)
				       : top_column_name((enum top_column)sort),
			 m->reverse ? " reversed" : "", m->filter.count ? m->filter.source : "none",
			 s->message ? s->message : "? help  q quit", "");
		if (s->message)
			attron(COLOR_PAIR(2));
		put_line(LINES - 1, line);
		attroff(COLOR_PAIR(2));
	}
	if (v->help)
		draw_help();
	refresh();
}
