/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * --flow-log FILE: every row that ends (expiry, the cap, rotation, stop),
 * one JSON line each with its end reason, as softflowd or nfpcapd would
 * export it. A consumer built only on the public API, as any program
 * linking libnasoone could write one.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/flowlog.h"

struct flowlog {
	FILE *file;
	char error[512];
	const char *path;
};

static int on_expired(const struct nasoone_flow *flows, size_t count, void *ctx)
{
	struct flowlog *log = ctx;
	char line[512];
	size_t i;
	int len;

	for (i = 0; i < count; i++) {
		len = nasoone_format_flow(line, sizeof(line), &flows[i], NASOONE_FORMAT_JSON);
		if (len < 0 || fwrite(line, 1, (size_t)len, log->file) != (size_t)len)
			goto fail;
	}
	return 0;
fail:
	snprintf(log->error, sizeof(log->error), "cannot write the flow log %s: %s", log->path,
		 strerror(errno));
	return NASOONE_EOUTPUT;
}

static int on_close(const struct nasoone_stats *stats, void *ctx)
{
	struct flowlog *log = ctx;

	(void)stats;
	if (fflush(log->file) == EOF) {
		snprintf(log->error, sizeof(log->error), "cannot write the flow log %s: %s",
			 log->path, strerror(errno));
		return NASOONE_EOUTPUT;
	}
	return 0;
}

static const char *last_error(void *ctx)
{
	return ((struct flowlog *)ctx)->error;
}

struct flowlog *flowlog_open(const char *path, bool overwrite, struct nasoone_consumer *consumer)
{
	struct flowlog *log = calloc(1, sizeof(*log));
	int fd;

	if (!log)
		return NULL;
	log->path = path;
	if (!strcmp(path, "-"))
		fd = dup(STDOUT_FILENO);
	else
		fd = open(path,
			  O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC |
				  (overwrite ? O_TRUNC : O_EXCL),
			  0644);
	if (fd < 0 || !(log->file = fdopen(fd, "w"))) {
		int err = errno;

		if (fd >= 0)
			close(fd);
		free(log);
		errno = err;
		return NULL;
	}
	memset(consumer, 0, sizeof(*consumer));
	consumer->name = "flow log";
	consumer->ctx = log;
	consumer->on_expired = on_expired;
	consumer->on_close = on_close;
	consumer->last_error = last_error;
	return log;
}

void flowlog_close(struct flowlog *log)
{
	if (!log)
		return;
	fclose(log->file);
	free(log);
}
