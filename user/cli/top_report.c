/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * `nasoone top --report FILE`: follow a report that another nasoone
 * rewrites. nasoone replaces its report by rename(), so the name points to
 * a new file at every interval: each poll stats the name and reads it again
 * when the inode, size or modification time changed. The first line must
 * be the report's header; a row that does not parse is an error that
 * names the line.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/top.h"

#define REPORT_HEADER                                                                              \
	"source ip; source port; destination ip; destination port; protocols; first; last; "       \
	"bytes; packets"

struct top_report {
	char *path;
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
	bool read_once;
	bool incomplete; /* the last read ended inside a line: read again */
	unsigned int reads;
};

static bool parse_u64(const char *s, uint64_t *v)
{
	char *end;

	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	*v = strtoull(s, &end, 10);
	return !*end && errno != ERANGE;
}

static bool parse_protos(const char *s, uint32_t *protos)
{
	if (!strcmp(s, "[TCP]"))
		*protos = NASOONE_PROTO_TCP;
	else if (!strcmp(s, "[UDP]"))
		*protos = NASOONE_PROTO_UDP;
	else if (!strcmp(s, "[TCP, UDP]"))
		*protos = NASOONE_PROTO_TCP | NASOONE_PROTO_UDP;
	else if (!strcmp(s, "[]"))
		*protos = 0;
	else
		return false;
	return true;
}

/* "a; b; ...; i" into a flow; false when it is not a report row. */
static bool parse_row(char *line, struct nasoone_flow *f)
{
	char *field[9], *p = line;
	uint64_t sport, dport;
	uint8_t dfamily;
	int n = 0;

	for (;;) {
		char *sep = strstr(p, "; ");

		if (n == 9)
			return false;
		field[n++] = p;
		if (!sep)
			break;
		*sep = '\0';
		p = sep + 2;
	}
	memset(f, 0, sizeof(*f));
	if (n != 9 || !top_parse_addr(field[0], f->saddr, &f->family) ||
	    !top_parse_addr(field[2], f->daddr, &dfamily) || dfamily != f->family ||
	    !parse_u64(field[1], &sport) || sport > 65535 || !parse_u64(field[3], &dport) ||
	    dport > 65535 || !parse_protos(field[4], &f->protos) ||
	    !parse_u64(field[5], &f->first_ms) || !parse_u64(field[6], &f->last_ms) ||
	    !parse_u64(field[7], &f->bytes) || !parse_u64(field[8], &f->packets))
		return false;
	f->sport = htons((uint16_t)sport);
	f->dport = htons((uint16_t)dport);
	return true;
}

/* Read the whole report into frame; 0 or -errno with a reason. */
static int read_report(struct top_report *r, struct top_frame *frame, char *err, size_t err_size)
{
	struct nasoone_flow *flows = NULL;
	size_t count = 0, cap = 0, line_no = 1;
	uint64_t max_last = 0;
	char *line = NULL;
	size_t line_cap = 0;
	ssize_t len;
	FILE *f;
	int ret = 0;

	f = fopen(r->path, "r");
	if (!f) {
		ret = -errno;
		snprintf(err, err_size, "cannot open the report %s: %s", r->path, strerror(errno));
		return ret;
	}
	len = getline(&line, &line_cap, f);
	if (len < 0 || strncmp(line, REPORT_HEADER "\n", (size_t)len) ||
	    (size_t)len < sizeof(REPORT_HEADER) - 1) {
		/* An empty file is a report being created: try again later. */
		if (len < 0 && !ferror(f)) {
			r->incomplete = true;
			ret = 0;
			goto out_empty;
		}
		snprintf(err, err_size,
			 "%s is not a nasoone report: its first line is not the report header "
			 "(write one with nasoone -w FILE)",
			 r->path);
		ret = -EINVAL;
		goto out;
	}
	r->incomplete = line[len - 1] != '\n';
	while ((len = getline(&line, &line_cap, f)) > 0) {
		line_no++;
		if (line[len - 1] != '\n') {
			r->incomplete = true; /* written in place, not yet to its end */
			break;
		}
		line[len - 1] = '\0';
		if (count == cap) {
			struct nasoone_flow *nf;

			cap = cap ? 2 * cap : 1024;
			nf = realloc(flows, cap * sizeof(*flows));
			if (!nf) {
				snprintf(err, err_size, "out of memory reading %s", r->path);
				ret = -ENOMEM;
				goto out;
			}
			flows = nf;
		}
		if (!parse_row(line, &flows[count])) {
			snprintf(err, err_size, "%s line %zu is not a report row: %.60s", r->path,
				 line_no, line);
			ret = -EINVAL;
			goto out;
		}
		if (flows[count].last_ms > max_last)
			max_last = flows[count].last_ms;
		count++;
	}
	frame->owned = flows;
	frame->flows = flows;
	frame->count = count;
	/* The counting clock of a report: its newest packet, or the rewrite time when live. */
	frame->clock_ms = max_last;
	{
		uint64_t mtime_ms =
			(uint64_t)r->mtime.tv_sec * 1000 + (uint64_t)r->mtime.tv_nsec / 1000000;

		if (mtime_ms > max_last && mtime_ms - max_last < 86400000ull)
			frame->clock_ms = mtime_ms;
	}
	frame->generation = ++r->reads;
	flows = NULL;
	ret = 1;
	goto out;
out_empty:
	frame->generation = ++r->reads;
	ret = 1;
out:
	free(flows);
	free(line);
	fclose(f);
	return ret;
}

struct top_report *top_report_open(const char *path, char *err, size_t err_size)
{
	struct top_report *r = calloc(1, sizeof(*r));
	struct top_frame frame = { 0 };
	int rc;

	if (!r || !(r->path = strdup(path))) {
		free(r);
		snprintf(err, err_size, "out of memory");
		return NULL;
	}
	/* A first read checks that it is a report; the caller polls again for its frame. */
	rc = top_report_poll(r, &frame, err, err_size);
	top_frame_release(&frame);
	if (rc < 0) {
		top_report_close(r);
		return NULL;
	}
	r->read_once = false;
	r->reads = 0;
	return r;
}

void top_report_close(struct top_report *r)
{
	if (r) {
		free(r->path);
		free(r);
	}
}

int top_report_poll(struct top_report *r, struct top_frame *frame, char *err, size_t err_size)
{
	struct stat st;

	if (stat(r->path, &st)) {
		int e = errno;

		snprintf(err, err_size, "cannot read the report %s: %s", r->path, strerror(e));
		return -e;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, err_size,
			 "%s is not a regular file: follow a report written by "
			 "nasoone -w FILE",
			 r->path);
		return -EINVAL;
	}
	if (r->read_once && !r->incomplete && st.st_dev == r->dev && st.st_ino == r->ino &&
	    st.st_size == r->size && st.st_mtim.tv_sec == r->mtime.tv_sec &&
	    st.st_mtim.tv_nsec == r->mtime.tv_nsec)
		return 0;
	r->dev = st.st_dev;
	r->ino = st.st_ino;
	r->size = st.st_size;
	r->mtime = st.st_mtim;
	r->read_once = true;
	return read_report(r, frame, err, err_size);
}

unsigned int top_report_reads(const struct top_report *r)
{
	return r->reads;
}
