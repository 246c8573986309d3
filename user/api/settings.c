/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The setters: every one runs in state INITIAL only, checks its value and
 * stores it in the handle for nasoone_start().
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api/handle.h"
#include "capture/source.h"

int nasoone_set_capture_device(struct nasoone *n, const char *ifname)
{
	int ret = api_lock_initial(n, "set_capture_device");

	if (ret)
		return ret;
	if (!ifname || !*ifname)
		return api_unlock(n, api_fail(n, NASOONE_EINVAL, "empty capture device name"));
	ret = api_set_string(n, &n->device, ifname);
	if (!ret)
		ret = api_set_string(n, &n->file, NULL);
	return api_unlock(n, ret);
}

int nasoone_set_capture_file(struct nasoone *n, const char *path)
{
	struct stat st;
	int ret = api_lock_initial(n, "set_capture_file");

	if (ret)
		return ret;
	if (!path || !*path)
		return api_unlock(n, api_fail(n, NASOONE_EINVAL, "empty capture file name"));
	/* "-" is standard input; any other name must be a readable file, FIFO or device. */
	if (strcmp(path, "-") && (stat(path, &st) || access(path, R_OK)))
		return api_unlock(n, api_fail(n, NASOONE_EINPUT, "cannot open %s: %s", path,
					      strerror(errno)));
	if (strcmp(path, "-") && S_ISDIR(st.st_mode))
		return api_unlock(n, api_fail(n, NASOONE_EINPUT, "cannot open %s: %s", path,
					      strerror(EISDIR)));
	ret = api_set_string(n, &n->file, path);
	if (!ret)
		ret = api_set_string(n, &n->device, NULL);
	return api_unlock(n, ret);
}

int nasoone_set_output(struct nasoone *n, const char *path)
{
	int ret = api_lock_initial(n, "set_output");

	if (ret)
		return ret;
	if (!path || !*path)
		return api_unlock(n, api_fail(n, NASOONE_EINVAL, "empty output file name"));
	ret = report_output_set(&n->output, path, n->overwrite);
	switch (ret) {
	case 0:
		break;
	case -EEXIST:
		ret = api_fail(n, NASOONE_EEXIST,
			       "%s already exists: choose another name or overwrite it (--force)",
			       path);
		break;
	case -ENOENT:
		ret = api_fail(n, NASOONE_ENODIR, "the directory of %s does not exist", path);
		break;
	case -ENOMEM:
		ret = api_fail(n, NASOONE_ENOMEM, "out of memory");
		break;
	case -ELOOP:
		ret = api_fail(n, NASOONE_EOUTPUT, "%s is a symbolic link: give the real path",
			       path);
		break;
	default:
		ret = api_fail(n, NASOONE_EOUTPUT, "cannot write the report to %s: %s", path,
			       strerror(-ret));
	}
	return api_unlock(n, ret);
}

int nasoone_set_overwrite(struct nasoone *n, bool overwrite)
{
	int ret = api_lock_initial(n, "set_overwrite");

	if (ret)
		return ret;
	n->overwrite = overwrite;
	return api_unlock(n, 0);
}

int nasoone_set_timeout(struct nasoone *n, unsigned int seconds)
{
	int ret = api_lock_initial(n, "set_timeout");

	if (ret)
		return ret;
	if (!seconds)
		return api_unlock(n,
				  api_fail(n, NASOONE_EINVAL, "the report interval must be > 0 s"));
	n->interval_s = seconds;
	return api_unlock(n, 0);
}

int nasoone_set_format(struct nasoone *n, enum nasoone_format format)
{
	int ret = api_lock_initial(n, "set_format");

	if (ret)
		return ret;
	if (format < NASOONE_FORMAT_NASOONE || format > NASOONE_FORMAT_JSON)
		return api_unlock(
			n, api_fail(n, NASOONE_EINVAL, "unknown report format %d", (int)format));
	n->output.format = format;
	return api_unlock(n, 0);
}

int nasoone_set_expiry(struct nasoone *n, unsigned int idle_s, unsigned int active_s)
{
	int ret = api_lock_initial(n, "set_expiry");

	if (ret)
		return ret;
	n->idle_s = idle_s;
	n->active_s = active_s;
	n->expiry_set = true;
	return api_unlock(n, 0);
}

int nasoone_set_max_flows(struct nasoone *n, uint64_t max_flows)
{
	int ret = api_lock_initial(n, "set_max_flows");

	if (ret)
		return ret;
	n->max_flows = max_flows;
	n->max_flows_set = true;
	return api_unlock(n, 0);
}

int nasoone_set_rotation(struct nasoone *n, unsigned int seconds)
{
	int ret = api_lock_initial(n, "set_rotation");

	if (ret)
		return ret;
	n->rotation_s = seconds;
	return api_unlock(n, 0);
}

int nasoone_set_threads(struct nasoone *n, unsigned int threads)
{
	int ret = api_lock_initial(n, "set_threads");

	if (ret)
		return ret;
	if (threads > MAX_THREADS)
		return api_unlock(n,
				  api_fail(n, NASOONE_EINVAL, "at most %d threads", MAX_THREADS));
	n->threads = threads;
	return api_unlock(n, 0);
}

int nasoone_set_mode(struct nasoone *n, enum nasoone_mode mode)
{
	int ret = api_lock_initial(n, "set_mode");

	if (ret)
		return ret;
	if (mode < NASOONE_MODE_AUTO || mode > NASOONE_MODE_PCAP)
		return api_unlock(
			n, api_fail(n, NASOONE_EINVAL, "unknown capture mode %d", (int)mode));
	n->mode = mode;
	return api_unlock(n, 0);
}

int nasoone_set_bpf_tuning(struct nasoone *n, uint32_t flows_per_cpu, uint32_t ring_bytes,
			   unsigned int drain_ms)
{
	int ret = api_lock_initial(n, "set_bpf_tuning");

	if (ret)
		return ret;
	/* The kernel wants a power-of-2 ring of at least a page. */
	if (ring_bytes && (ring_bytes < 4096 || (ring_bytes & (ring_bytes - 1))))
		return api_unlock(n, api_fail(n, NASOONE_EINVAL,
					      "the ring size must be a power of 2, at least 4096"));
	n->bpf_flows = flows_per_cpu;
	n->bpf_ring = ring_bytes;
	n->drain_ms = drain_ms;
	return api_unlock(n, 0);
}

int nasoone_set_promiscuous(struct nasoone *n, bool promiscuous)
{
	int ret = api_lock_initial(n, "set_promiscuous");

	if (ret)
		return ret;
	n->no_promisc = !promiscuous;
	return api_unlock(n, 0);
}

int nasoone_set_buffer_size(struct nasoone *n, size_t bytes)
{
	int ret = api_lock_initial(n, "set_buffer_size");

	if (ret)
		return ret;
	if (bytes > INT_MAX)
		return api_unlock(
			n,
			api_fail(n, NASOONE_EINVAL,
				 "the capture buffer is less than 2 GiB (libpcap takes an int)"));
	n->buffer_bytes = bytes;
	return api_unlock(n, 0);
}

int nasoone_set_packet_limit(struct nasoone *n, uint64_t packets)
{
	int ret = api_lock_initial(n, "set_packet_limit");

	if (ret)
		return ret;
	n->packet_limit = packets;
	return api_unlock(n, 0);
}

int nasoone_set_privilege_drop(struct nasoone *n, bool drop, const char *user)
{
	int ret = api_lock_initial(n, "set_privilege_drop");

	if (ret)
		return ret;
	if (user && !*user)
		return api_unlock(n, api_fail(n, NASOONE_EINVAL, "empty user name"));
	ret = api_set_string(n, &n->user, drop ? user : NULL);
	if (!ret)
		n->drop_privs = drop;
	return api_unlock(n, ret);
}

const char *nasoone_get_privileges(struct nasoone *n)
{
	return n ? n->privileges : "";
}

const char *nasoone_get_path(struct nasoone *n)
{
	return n ? n->path : "";
}

int nasoone_set_packet_callback(struct nasoone *n,
				void (*fn)(const struct nasoone_packet *packet, void *ctx),
				void *ctx)
{
	int ret = api_lock_initial(n, "set_packet_callback");

	if (ret)
		return ret;
	n->on_packet = fn;
	n->packet_ctx = ctx;
	return api_unlock(n, 0);
}

int nasoone_set_filter(struct nasoone *n, const char *expression)
{
	int ret = api_lock_initial(n, "set_filter");

	if (ret)
		return ret;
	if (expression && *expression &&
	    source_check_filter(expression, n->last_error, sizeof(n->last_error)))
		return api_unlock(n, NASOONE_EFILTER);
	ret = api_set_string(n, &n->filter, expression && *expression ? expression : NULL);
	return api_unlock(n, ret);
}
