/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Writing the report's rows to a file descriptor, formatted through large
 * buffers (no syscall per row). A large report is formatted by several
 * threads, block by block, and written in order by the calling thread:
 * at a million rows, formatting is most of a report's time, and the
 * counting threads are idle by then.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "output/report.h"

#define WRITE_BUFFER   (1u << 20)
#define BLOCK_ROWS     4096 /* rows a thread formats at a time: a few hundred KiB */
#define MAX_FORMATTERS 4    /* beyond that, writing and memory bandwidth decide */
#define SLOTS_PER      4    /* blocks in flight per thread, so that no thread waits on the writer */
#define PREFETCH_AHEAD 8    /* rows lie in sort order, scattered: load them before they are due */

static int write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Rows from..to-1 into buf (room for every one of them); returns the length. */
static size_t format_rows(char *buf, const struct flow_row *const *rows, size_t from, size_t to,
			  size_t count, enum nasoone_format format)
{
	size_t used = 0, i;

	for (i = from; i < to; i++) {
		if (i + PREFETCH_AHEAD < count)
			__builtin_prefetch(rows[i + PREFETCH_AHEAD]);
		used += report_format_row_as(buf + used, rows[i], format);
	}
	return used;
}

static int write_serial(int fd, const struct flow_row *const *rows, size_t count,
			enum nasoone_format format)
{
	char *buf = malloc(WRITE_BUFFER);
	size_t used, i, n;
	int err = 0;

	if (!buf)
		return -ENOMEM;
	used = strlen(report_header(format));
	memcpy(buf, report_header(format), used);
	for (i = 0; i < count; i += n) {
		n = (WRITE_BUFFER - used) / REPORT_ROW_MAX;
		if (!n) {
			err = write_all(fd, buf, used);
			if (err)
				goto out;
			used = 0;
			continue;
		}
		if (n > count - i)
			n = count - i;
		used += format_rows(buf + used, rows, i, i + n, count, format);
	}
	err = write_all(fd, buf, used);
out:
	free(buf);
	return err;
}

/*
 * Blocks are claimed in order; block b goes to slot b % nslots, which is
 * free once block b - nslots was written. The writer formats blocks too
 * while it waits, so that it never idles behind a late formatter.
 */
struct slot {
	char *buf;
	size_t len;
	bool ready;
};

struct job {
	const struct flow_row *const *rows;
	size_t count, nblocks;
	enum nasoone_format format;
	pthread_mutex_t lock;
	pthread_cond_t changed;
	size_t next, written; /* blocks claimed, blocks written */
	bool stop;	      /* every block written, or a write failed */
	unsigned int nslots;
	struct slot slots[MAX_FORMATTERS * SLOTS_PER];
};

/* Claim the next block if its slot is free (lock held): its number, or SIZE_MAX. */
static size_t claim(struct job *j)
{
	if (j->stop || j->next >= j->nblocks || j->next >= j->written + j->nslots)
		return SIZE_MAX;
	return j->next++;
}

/* Format block b into its slot (lock held on entry and on return). */
static void format_block(struct job *j, size_t b)
{
	struct slot *s = &j->slots[b % j->nslots];
	size_t from = b * BLOCK_ROWS,
	       to = from + BLOCK_ROWS < j->count ? from + BLOCK_ROWS : j->count;

	pthread_mutex_unlock(&j->lock);
	s->len = format_rows(s->buf, j->rows, from, to, j->count, j->format);
	pthread_mutex_lock(&j->lock);
	s->ready = true;
	pthread_cond_broadcast(&j->changed);
}

static void *formatter_main(void *arg)
{
	struct job *j = arg;
	size_t b;

	pthread_mutex_lock(&j->lock);
	for (;;) {
		b = claim(j);
		if (b != SIZE_MAX) {
			format_block(j, b);
			continue;
		}
		if (j->stop || j->next >= j->nblocks)
			break;
		pthread_cond_wait(&j->changed, &j->lock);
	}
	pthread_mutex_unlock(&j->lock);
	return NULL;
}

unsigned int report_cpus(void)
{
	cpu_set_t set;
	int n = 0;

	if (!sched_getaffinity(0, sizeof(set), &set))
		n = CPU_COUNT(&set);
	return n > 0 ? (unsigned int)n : 1;
}

static int write_parallel(int fd, const struct flow_row *const *rows, size_t count,
			  enum nasoone_format format, unsigned int threads)
{
	struct job j = { .rows = rows, .count = count, .format = format };
	pthread_t helpers[MAX_FORMATTERS];
	unsigned int nhelpers = 0, i;
	const char *header = report_header(format);
	size_t b;
	int err;

	j.nblocks = (count + BLOCK_ROWS - 1) / BLOCK_ROWS;
	j.nslots = threads * SLOTS_PER;
	for (i = 0; i < j.nslots; i++) {
		/* Mapped lazily: only the bytes formatted are ever touched. */
		j.slots[i].buf = malloc((size_t)BLOCK_ROWS * REPORT_ROW_MAX);
		if (!j.slots[i].buf) {
			err = -ENOMEM;
			goto out;
		}
	}
	pthread_mutex_init(&j.lock, NULL);
	pthread_cond_init(&j.changed, NULL);
	for (i = 0; i + 1 < threads; i++) {
		if (pthread_create(&helpers[nhelpers], NULL, formatter_main, &j))
			break; /* fewer helpers: the writer formats the rest */
		nhelpers++;
	}
	err = write_all(fd, header, strlen(header));
	pthread_mutex_lock(&j.lock);
	for (b = 0; !err && b < j.nblocks; b++) {
		struct slot *s = &j.slots[b % j.nslots];
		size_t mine;

		while (!s->ready) {
			mine = claim(&j);
			if (mine != SIZE_MAX)
				format_block(&j, mine);
			else
				pthread_cond_wait(&j.changed, &j.lock);
		}
		pthread_mutex_unlock(&j.lock);
		err = write_all(fd, s->buf, s->len);
		pthread_mutex_lock(&j.lock);
		s->ready = false;
		j.written++;
		pthread_cond_broadcast(&j.changed);
	}
	j.stop = true;
	pthread_cond_broadcast(&j.changed);
	pthread_mutex_unlock(&j.lock);
	for (i = 0; i < nhelpers; i++)
		pthread_join(helpers[i], NULL);
	pthread_mutex_destroy(&j.lock);
	pthread_cond_destroy(&j.changed);
out:
	for (i = 0; i < j.nslots; i++)
		free(j.slots[i].buf);
	return err;
}

int report_write_fd(int fd, const struct flow_row *const *rows, size_t count)
{
	return report_write_fd_as(fd, rows, count, NASOONE_FORMAT_NASOONE);
}

int report_write_fd_as(int fd, const struct flow_row *const *rows, size_t count,
		       enum nasoone_format format)
{
	unsigned int threads = count >= 4 * BLOCK_ROWS ? report_cpus() : 1;

	if (threads > MAX_FORMATTERS)
		threads = MAX_FORMATTERS;
	if (threads < 2)
		return write_serial(fd, rows, count, format);
	return write_parallel(fd, rows, count, format, threads);
}
