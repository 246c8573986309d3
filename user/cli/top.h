/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * `nasoone top`: the live view. It is a consumer of the public library
 * only (nasoone.h): a frame is a set of rows at one moment, taken from a
 * snapshot of a running capture or read back from a report file; the
 * model turns frames into rates, filtered and sorted rows and a per-host
 * summary; the screen draws the model with ncurses.
 *
 *   top.c         the main loop, the capture's state machine (the options:
 *                 cli_options.c, shared with nasoone)
 *   top_model.c   the filtered rows, partial sorting, per-host summary
 *   top_rates.c   the smoothed rates of the rows (top_rates.h: for the model)
 *   top_filter.c  the filter prompt's language
 *   top_screen.c  drawing (header, table, details, help)
 *   top_report.c  following a report file that someone else rewrites
 */
#ifndef NASOONE_TOP_H
#define NASOONE_TOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nasoone.h"

/* `nasoone top ARGS`: argv[0] is "top". The exit status. */
int top_main(int argc, char **argv);

/* One set of rows at one moment, whatever its source. */
struct top_frame {
	const struct nasoone_flow *flows;
	size_t count;
	uint64_t clock_ms; /* the counting clock of the rows (capture time for a file) */
	uint64_t generation;
	bool has_stats;
	struct nasoone_stats stats;
	struct nasoone_snapshot *snapshot; /* owned when the frame came from the library */
	struct nasoone_flow *owned;	   /* owned rows of a report file */
};

void top_frame_release(struct top_frame *frame);

/* ---- filter (top_filter.c) ---- */

#define TOP_FILTER_TERMS 16

enum top_term_kind {
	TOP_TERM_NET,	/* address or CIDR, either end */
	TOP_TERM_PORT,	/* either port */
	TOP_TERM_PROTO, /* NASOONE_PROTO_* bit */
	TOP_TERM_TEXT,	/* substring of either address as text */
};

struct top_term {
	enum top_term_kind kind;
	uint8_t addr[16];    /* v4-mapped for IPv4 */
	unsigned int prefix; /* in bits of the 16-byte form */
	uint16_t port;
	uint32_t proto;
	char text[64];
};

/* Terms are and-ed. An empty filter matches everything. */
struct top_filter {
	size_t count;
	struct top_term terms[TOP_FILTER_TERMS];
	char source[256]; /* as typed */
};

/* Parse text into f; 0, or -EINVAL with a one-line reason in err. */
int top_filter_parse(struct top_filter *f, const char *text, char *err, size_t err_size);
bool top_filter_match(const struct top_filter *f, const struct nasoone_flow *flow);
/* An address as the report writes it (v4-mapped shown as a.b.c.d). */
void top_format_addr(char *buf, size_t size, const uint8_t addr[16], uint8_t family);
/* The other way: "a.b.c.d" (v4-mapped, family 4) or an IPv6 address (6); false if neither. */
bool top_parse_addr(const char *s, uint8_t addr[16], uint8_t *family);

/* ---- model (top_model.c) ---- */

enum top_column {
	TOP_COL_SRC,
	TOP_COL_SPORT,
	TOP_COL_DST,
	TOP_COL_DPORT,
	TOP_COL_PROTO,
	TOP_COL_FIRST,
	TOP_COL_LAST,
	TOP_COL_BYTES,
	TOP_COL_PACKETS,
	TOP_COL_BPS,
	TOP_COL_PPS,
	TOP_COL_PEAK,
	TOP_COL_AGE,
	TOP_COL_COUNT,
};

enum top_host_column {
	TOP_HCOL_ADDR,
	TOP_HCOL_FLOWS,
	TOP_HCOL_BYTES_OUT,
	TOP_HCOL_PACKETS_OUT,
	TOP_HCOL_BYTES_IN,
	TOP_HCOL_PACKETS_IN,
	TOP_HCOL_BPS_OUT,
	TOP_HCOL_BPS_IN,
	TOP_HCOL_COUNT,
};

/* A flow's rates, smoothed (exponentially, time constant TOP_RATE_TAU_MS) as iftop's. */
struct top_rate {
	double bps, pps;
	double peak_bps, peak_pps;
};

#define TOP_RATE_TAU_MS 2000

/* One IP of the per-host summary: sent = as a source, received = as a destination. */
struct top_host {
	uint8_t addr[16];
	uint8_t family;
	uint64_t flows;
	uint64_t bytes_out, packets_out, bytes_in, packets_in;
	double bps_out, bps_in;
};

struct top_rate_table;

/* A row of the table being built: a sort key and the index of its flow (or host). */
struct top_row {
	uint64_t key;
	uint64_t index;
};

struct top_model {
	struct top_frame frame;
	struct top_rate_table *rates;
	struct top_filter filter;
	bool hosts_mode;
	enum top_column sort;
	enum top_host_column host_sort;
	bool reverse; /* ascending instead of the column's natural order */
	/* Of the filtered rows: */
	size_t shown;
	uint64_t shown_bytes, shown_packets;
	double shown_bps, shown_pps; /* sums of the rows' smoothed rates */
	double total_bps, total_pps; /* of all rows */
	struct top_row *rows;
	size_t rows_cap;
	struct top_host *hosts;
	size_t hosts_count, hosts_cap;
	/* The window asked for: rows [offset, offset + height) in order, in window[]. */
	size_t offset, height;
	struct top_row *window;
	size_t window_count, window_cap;
	bool rates_pending;	 /* a new frame: the next refresh computes its rates */
	uint64_t last_update_ns; /* CPU time of the last frame and refresh, for the benchmark */
};

int top_model_init(struct top_model *m);
void top_model_free(struct top_model *m);
/* Take the frame (the model owns it from now on); the next refresh computes its rates. */
int top_model_set_frame(struct top_model *m, struct top_frame *frame);
/* Filter, summarise and select the window again (after a key or a new frame). */
int top_model_refresh(struct top_model *m);
/* The rates of a flow of the current frame. */
void top_model_rate(const struct top_model *m, const struct nasoone_flow *flow,
		    struct top_rate *rate);
const char *top_column_name(enum top_column c);
const char *top_host_column_name(enum top_host_column c);

/* ---- report follower (top_report.c) ---- */

struct top_report;

/* Open path and check its header; NULL with a one-line reason in err. */
struct top_report *top_report_open(const char *path, char *err, size_t err_size);
void top_report_close(struct top_report *r);
/*
 * Read the report again if it was replaced or changed since the last read:
 * 1 with a new frame, 0 when unchanged, -errno with a reason in err.
 */
int top_report_poll(struct top_report *r, struct top_frame *frame, char *err, size_t err_size);
unsigned int top_report_reads(const struct top_report *r);

/* ---- screen (top_screen.c) ---- */

/* What the header shows besides the model. */
struct top_status {
	const char *source;  /* "eth0", "trace.pcap", "report r.txt" */
	const char *path;    /* nasoone_get_path(), or NULL */
	const char *state;   /* "running", "paused", "finished", "stopped", "following" */
	const char *message; /* a line for the user (an error, "report written"), or NULL */
	unsigned int refresh_ms;
	bool is_file;
	double progress; /* 0..1 for a file, < 0 when unknown */
	double file_pps; /* packets read per second */
	double eta_s;	 /* < 0 when unknown */
	unsigned int report_reads;
};

struct top_view {
	bool raw;     /* raw numbers (as in the report) instead of human-readable ones */
	bool details; /* the details pane of the selected row */
	bool help;
	size_t selected; /* index among the filtered rows */
	size_t scroll;	 /* first row on screen */
	char prompt[256];
	bool prompting;
	size_t prompt_len;
};

int top_screen_open(char *err, size_t err_size);
void top_screen_close(void);
/* Rows of the table at the current size (the model's window height). */
size_t top_screen_table_height(const struct top_view *v);
void top_screen_draw(const struct top_model *m, const struct top_view *v,
		     const struct top_status *s);

#endif /* NASOONE_TOP_H */
