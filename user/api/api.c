/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The public nasoone_* API: configuration, the state machine, errors. It is
 * the only owner of the capture pipeline; every transition happens under
 * the handle's lock, so calls from several threads cannot tear the state.
 */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "capture/bpf_src.h"
#include "nasoone.h"
#include "api/privs.h"
#include "capture/promisc.h"
#include "capture/source.h"
#include "count/pipeline.h"
#include "output/report.h"
#include "output/report_writer.h"
#include "api/handle.h"

#define MAX_PLANNED_CPUS 8192 /* the most CPUs a Linux kernel is built for */

static const char *const error_names[] = {
	[0] = "success",
	[-NASOONE_EINVAL] = "invalid argument",
	[-NASOONE_ESTATE] = "not allowed in the current state",
	[-NASOONE_ENOMEM] = "out of memory",
	[-NASOONE_ENOINPUT] = "no capture device or file was set",
	[-NASOONE_EINPUT] = "the capture file cannot be opened",
	[-NASOONE_EFORMAT] = "not a capture file nasoone can read",
	[-NASOONE_ECORRUPT] = "the capture file is damaged",
	[-NASOONE_EFILTER] = "invalid filter expression",
	[-NASOONE_EEXIST] = "the output file already exists",
	[-NASOONE_ENODIR] = "the output directory does not exist",
	[-NASOONE_EOUTPUT] = "the output cannot be written",
	[-NASOONE_ENODEV] = "no such capture device",
	[-NASOONE_EPERM] = "permission denied",
	[-NASOONE_ETHREAD] = "a thread could not be started",
	[-NASOONE_ECAPTURE] = "the live capture failed",
	[-NASOONE_ETIMEDOUT] = "timed out",
	[-NASOONE_EMODE] = "the requested capture path cannot run here",
	[-NASOONE_EPRIVS] = "privileges cannot be dropped",
};

const char *nasoone_strerror(int error)
{
	if (error > 0 || -error >= (int)(sizeof(error_names) / sizeof(error_names[0])))
		return "unknown error";
	return error_names[-error];
}

static const char *state_name(enum nasoone_state state)
{
	static const char *const names[] = { "initial", "running", "paused", "finished",
					     "stopped" };

	return names[state];
}

__attribute__((format(printf, 3, 4))) int api_fail(struct nasoone *n, int code, const char *fmt,
						   ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(n->last_error, sizeof(n->last_error), fmt, ap);
	va_end(ap);
	return code;
}

/* The state, with RUNNING turned into FINISHED once the file is exhausted. Lock held. */
enum nasoone_state api_state(struct nasoone *n)
{
	if (n->state == NASOONE_RUNNING && pipeline_finished(n->pipeline))
		n->state = NASOONE_FINISHED;
	return n->state;
}

int api_wrong_state(struct nasoone *n, const char *call)
{
	return api_fail(n, NASOONE_ESTATE, "%s: not allowed while the capture is %s", call,
			state_name(api_state(n)));
}

struct nasoone *nasoone_new(void)
{
	struct nasoone *n = calloc(1, sizeof(*n));

	if (!n)
		return NULL;
	pthread_mutex_init(&n->lock, NULL);
	n->state = NASOONE_INITIAL;
	n->interval_s = DEFAULT_INTERVAL;
	n->promisc_fd = -1;
	return n;
}

void nasoone_free(struct nasoone *n)
{
	enum nasoone_state state;

	if (!n)
		return;
	pthread_mutex_lock(&n->lock);
	state = api_state(n);
	pthread_mutex_unlock(&n->lock);
	if (state == NASOONE_RUNNING || state == NASOONE_PAUSED || state == NASOONE_FINISHED)
		nasoone_stop(n, NULL);
	pipeline_free(n->pipeline);
	promisc_release(n->promisc_fd);
	report_writer_free(n->writer);
	report_output_clear(&n->output);
	free(n->device);
	free(n->file);
	free(n->filter);
	free(n->user);
	pthread_mutex_destroy(&n->lock);
	free(n);
}

/* Replace *slot by a copy of value; for the setters. */
int api_set_string(struct nasoone *n, char **slot, const char *value)
{
	char *copy = value ? strdup(value) : NULL;

	if (value && !copy)
		return api_fail(n, NASOONE_ENOMEM, "out of memory");
	free(*slot);
	*slot = copy;
	return 0;
}

/* Lock n and check it is INITIAL; every setter starts with this. */
int api_lock_initial(struct nasoone *n, const char *call)
{
	if (!n)
		return NASOONE_EINVAL;
	pthread_mutex_lock(&n->lock);
	if (api_state(n) != NASOONE_INITIAL) {
		int ret = api_wrong_state(n, call);

		pthread_mutex_unlock(&n->lock);
		return ret;
	}
	return 0;
}

int api_unlock(struct nasoone *n, int ret)
{
	pthread_mutex_unlock(&n->lock);
	return ret;
}

/* Map a source's open error to the public code; the text is already in last_error. */
static int source_error_code(int err)
{
	switch (err) {
	case -ENOMEM:
		return NASOONE_ENOMEM;
	case -EBADMSG:
		return NASOONE_EFORMAT;
	case -EINVAL:
		return NASOONE_EFILTER;
	case -ENODEV:
		return NASOONE_ENODEV;
	case -EPERM:
		return NASOONE_EPERM;
	case -EIO:
		return NASOONE_ECAPTURE;
	default:
		return NASOONE_EINPUT;
	}
}

static int bpf_error_code(int err)
{
	switch (err) {
	case -ENOMEM:
		return NASOONE_ENOMEM;
	case -EPERM:
	case -EACCES:
		return NASOONE_EPERM;
	case -ENODEV:
		return NASOONE_ENODEV;
	case -EINVAL:
		return NASOONE_EFILTER;
	default:
		return NASOONE_EMODE;
	}
}

/* The eBPF source for a forced or automatic mode; 0 with *out set, or a NASOONE_E* code. */
static int open_bpf(struct nasoone *n, struct bpf_src **out)
{
	struct bpf_src_opts opts = {
		.ifname = n->file ? NULL : n->device,
		.mode = n->mode == NASOONE_MODE_TC ? BPF_SRC_TC : BPF_SRC_XDP,
		.filter = n->filter,
		.flows_per_cpu = n->bpf_flows,
		.ring_bytes = n->bpf_ring,
	};
	int ret = bpf_src_probe(n->last_error, sizeof(n->last_error));

	if (!ret)
		ret = bpf_src_open(out, &opts, n->last_error, sizeof(n->last_error));
	return ret ? bpf_error_code(ret) : 0;
}

/*
 * Why the eBPF path cannot take this run although the kernel could run it,
 * or NULL: the libpcap path then runs it in auto mode, a forced mode fails.
 */
static const char *bpf_unsuitable(const struct nasoone *n)
{
	if (n->device && !strcmp(n->device, "any"))
		return "eBPF attaches to one interface, and 'any' is libpcap's pseudo-device";
	if (n->packet_limit)
		return "-c COUNT needs an exact stop, which only the libpcap path makes";
	return NULL;
}

/* Open the libpcap path: the file or the live interface. 0 or -errno, the reason in last_error. */
static int open_libpcap(struct nasoone *n, struct source **src)
{
	struct source_live_opts live = { .no_promisc = n->no_promisc,
					 .buffer_bytes = n->buffer_bytes };
	int ret;

	if (n->file)
		ret = source_open_file(src, n->file, n->filter, n->last_error,
				       sizeof(n->last_error));
	else
		ret = source_open_live(src, n->device, n->filter, &live, n->last_error,
				       sizeof(n->last_error));
	if (!ret)
		source_set_limit(*src, n->packet_limit);
	return ret;
}

/* eBPF on an interface: promiscuous like libpcap unless -p. 0 or a NASOONE_E* code. */
static int bpf_promisc(struct nasoone *n)
{
	int fd;

	if (n->file || n->no_promisc)
		return 0;
	fd = promisc_hold(n->device, n->last_error, sizeof(n->last_error));
	if (fd < 0)
		return fd == -EPERM || fd == -EACCES ? NASOONE_EPERM
		       : fd == -ENODEV		     ? NASOONE_ENODEV
						     : NASOONE_ECAPTURE;
	n->promisc_fd = fd;
	return 0;
}

/*
 * Choose and open the capture path: libpcap for files unless a mode is
 * forced (then the file is replayed through the BPF program), eBPF for
 * interfaces when it can run and can take the run, libpcap otherwise
 * (then the path line says why). n->path says which and why.
 */
static int open_sources(struct nasoone *n, struct source **src, struct bpf_src **bpf)
{
	bool want_bpf = n->mode == NASOONE_MODE_XDP || n->mode == NASOONE_MODE_TC;
	const char *unsuitable = bpf_unsuitable(n);
	char why[256] = "";
	int ret;

	if (want_bpf && unsuitable)
		return api_fail(n, NASOONE_EMODE,
				"--mode %s cannot run: %s (use --mode pcap or auto)",
				n->mode == NASOONE_MODE_TC ? "tc" : "xdp", unsuitable);
	if (want_bpf && n->buffer_bytes)
		return api_fail(
			n, NASOONE_EMODE,
			"-B sets libpcap's capture buffer, and the eBPF path has none: it "
			"counts in the kernel (its overflow ring is --ring-bytes); drop -B");
	if (unsuitable)
		snprintf(why, sizeof(why), "%s", unsuitable);
	else if (want_bpf || (n->mode == NASOONE_MODE_AUTO && n->device)) {
		ret = open_bpf(n, bpf);
		if (!ret && n->file) {
			/* Replay: the kernel filters, the file is read unfiltered. */
			ret = source_open_file(src, n->file, NULL, n->last_error,
					       sizeof(n->last_error));
			if (ret) {
				bpf_src_close(*bpf);
				*bpf = NULL;
				return source_error_code(ret);
			}
		}
		if (!ret && (ret = bpf_promisc(n))) {
			bpf_src_close(*bpf);
			*bpf = NULL;
			return ret;
		}
		if (!ret) {
			snprintf(n->path, sizeof(n->path), "%s%s", bpf_src_describe(*bpf),
				 n->buffer_bytes ? " (-B ignored: the eBPF path has no capture "
						   "buffer; its overflow ring is --ring-bytes)"
						 : "");
			return 0;
		}
		/*
		 * Forced, or an error libpcap would give too. A filter that compiled
		 * (nasoone_set_filter() checked it) but that the translation to eBPF
		 * refuses runs on libpcap in auto mode.
		 */
		if (ret == NASOONE_EFILTER) {
			char text[sizeof(n->last_error)];

			snprintf(text, sizeof(text), "%s", n->last_error);
			snprintf(n->last_error, sizeof(n->last_error),
				 "the filter cannot be translated to eBPF: %.900s%s", text,
				 want_bpf ? " (use --mode pcap or auto)" : "");
		}
		if (want_bpf || ret == NASOONE_ENODEV)
			return ret;
		snprintf(why, sizeof(why), "%.*s", (int)sizeof(why) - 1, n->last_error);
	}
	ret = open_libpcap(n, src);
	if (ret) {
		if (*why) {
			/* Both paths failed: say why eBPF was not used either. */
			size_t len = strlen(n->last_error);

			snprintf(n->last_error + len, sizeof(n->last_error) - len,
				 " (and eBPF cannot run: %s)", why);
		}
		return source_error_code(ret);
	}
	if (n->file)
		snprintf(n->path, sizeof(n->path), "libpcap: reading %s",
			 strcmp(n->file, "-") ? n->file : "standard input");
	else if (n->mode == NASOONE_MODE_PCAP)
		snprintf(n->path, sizeof(n->path), "libpcap on %s (requested)", n->device);
	else
		snprintf(n->path, sizeof(n->path), "libpcap on %s, because eBPF cannot run: %s",
			 n->device, why);
	return 0;
}

/* -F on the capture file itself would replace the capture by its report. */
static int check_output_is_not_input(struct nasoone *n, struct source *src)
{
	struct stat st;

	if (!src || source_file_stat(src, &st) || !S_ISREG(st.st_mode) ||
	    !report_output_is_file(&n->output, &st))
		return 0;
	return api_fail(n, NASOONE_EOUTPUT,
			"the report %s is the capture file %s: write the report to another file",
			n->output.path, n->file);
}

/*
 * Give up root once the capture and the output are open, before the threads
 * start (they inherit the credentials). What is left needs no privilege but
 * the netlink TC detach (CAP_NET_ADMIN) and, before Linux 6.5, the bpf()
 * calls on the maps (CAP_BPF). 0 or a NASOONE_E* code.
 */
static int drop_privileges(struct nasoone *n, const struct bpf_src *bpf)
{
	struct privs_request r = {
		.user = n->user,
		.keep_net_admin = bpf && bpf_src_uses_netlink(bpf),
		.keep_bpf = bpf && privs_bpf_needs_cap(),
	};
	char *copy = NULL;
	int ret;

	if (n->output.kind == REPORT_REGULAR) {
		copy = strdup(n->output.path);
		if (!copy)
			return api_fail(n, NASOONE_ENOMEM, "out of memory");
		r.report_dir = dirname(copy);
	} else if (n->output.kind == REPORT_DIRECT && n->output.path) {
		r.report_file = n->output.path;
	}
	ret = privs_drop(&r, n->privileges, sizeof(n->privileges), n->last_error,
			 sizeof(n->last_error));
	free(copy);
	return ret ? NASOONE_EPRIVS : 0;
}

/*
 * NASOONE_CPUS: the CPUs to plan the threads for, where those the process
 * may run on are too many (a container whose CPU quota is below the CPUs
 * it sees) or too few (the tests' multi-counter file paths on 2 CPUs).
 * *cpus: 0 when unset. 0 or NASOONE_EINVAL.
 */
static int planned_cpus(struct nasoone *n, unsigned int *cpus)
{
	const char *text = getenv("NASOONE_CPUS");
	unsigned long v;
	char *end;

	*cpus = 0;
	if (!text || !*text)
		return 0;
	errno = 0;
	v = strtoul(text, &end, 10);
	if (errno || *end || v < 1 || v > MAX_PLANNED_CPUS || text[0] < '0' || text[0] > '9')
		return api_fail(n, NASOONE_EINVAL,
				"NASOONE_CPUS='%.64s' is not a number of CPUs: give 1 to %d, or "
				"unset it",
				text, MAX_PLANNED_CPUS);
	*cpus = (unsigned int)v;
	return 0;
}

int nasoone_start(struct nasoone *n)
{
	struct pipeline_config cfg = { 0 };
	struct pipeline *p;
	int ret = api_lock_initial(n, "start");

	if (ret)
		return ret;
	if (!n->file && !n->device)
		return api_unlock(n, api_fail(n, NASOONE_ENOINPUT,
					      "nothing to capture: set a capture file or device"));
	ret = planned_cpus(n, &cfg.cpus);
	if (ret)
		return api_unlock(n, ret);
	ret = open_sources(n, &cfg.src, &cfg.bpf);
	if (ret)
		return api_unlock(n, ret);
	if (n->on_packet && cfg.bpf) {
		bpf_src_close(cfg.bpf);
		source_close(cfg.src);
		return api_unlock(n, api_fail(n, NASOONE_EMODE,
					      "a per-packet view needs the libpcap path: the eBPF "
					      "path counts in the kernel without copying packets "
					      "(use the pcap mode)"));
	}
	cfg.on_packet = n->on_packet;
	cfg.packet_ctx = n->packet_ctx;

	ret = check_output_is_not_input(n, cfg.src);
	if (ret) {
		source_close(cfg.src);
		bpf_src_close(cfg.bpf);
		promisc_release(n->promisc_fd);
		n->promisc_fd = -1;
		return api_unlock(n, ret);
	}
	/* Dropped before the report file is created: a failure leaves no empty file behind. */
	if (n->drop_privs && (ret = drop_privileges(n, cfg.bpf))) {
		source_close(cfg.src);
		bpf_src_close(cfg.bpf);
		promisc_release(n->promisc_fd);
		n->promisc_fd = -1;
		return api_unlock(n, ret);
	}
	ret = n->rotation_s ? 0 : report_output_create(&n->output);
	if (ret) {
		source_close(cfg.src);
		bpf_src_close(cfg.bpf);
		return api_unlock(n,
				  api_fail(n, ret == -EEXIST ? NASOONE_EEXIST : NASOONE_EOUTPUT,
					   "cannot create %s: %s", n->output.path, strerror(-ret)));
	}
	cfg.threads = n->threads; /* 0: the pipeline chooses from the CPUs */
	cfg.interval_s = n->interval_s;
	cfg.drain_ms = n->drain_ms;
	cfg.live = !n->file;
	cfg.idle_ms = (n->expiry_set ? n->idle_s : cfg.live ? LIVE_IDLE_S : 0) * 1000ull;
	cfg.active_ms = (n->expiry_set ? n->active_s : cfg.live ? LIVE_ACTIVE_S : 0) * 1000ull;
	cfg.max_flows = n->max_flows_set ? n->max_flows : cfg.live ? LIVE_MAX_FLOWS : 0;
	cfg.rotation_ms = n->rotation_s * 1000ull;
	n->writer = report_writer_new(&n->output, n->rotation_s > 0, &n->consumers[0]);
	if (!n->writer) {
		source_close(cfg.src);
		bpf_src_close(cfg.bpf);
		return api_unlock(n, api_fail(n, NASOONE_ENOMEM, "out of memory"));
	}
	cfg.consumers = n->consumers;
	cfg.nconsumers = 1 + n->nconsumers;
	ret = pipeline_start(&p, &cfg);
	if (ret)
		return api_unlock(n, ret == -ENOMEM ? api_fail(n, NASOONE_ENOMEM, "out of memory")
						    : api_fail(n, NASOONE_ETHREAD,
							       "cannot start the capture threads"));
	atomic_store(&n->pipeline, p);
	n->file_src = cfg.src;
	n->state = NASOONE_RUNNING;
	return api_unlock(n, 0);
}

int nasoone_pause(struct nasoone *n)
{
	if (!n)
		return NASOONE_EINVAL;
	pthread_mutex_lock(&n->lock);
	if (api_state(n) != NASOONE_RUNNING)
		return api_unlock(n, api_wrong_state(n, "pause"));
	pipeline_set_paused(n->pipeline, true);
	n->state = NASOONE_PAUSED;
	return api_unlock(n, 0);
}

int nasoone_resume(struct nasoone *n)
{
	if (!n)
		return NASOONE_EINVAL;
	pthread_mutex_lock(&n->lock);
	if (api_state(n) != NASOONE_PAUSED)
		return api_unlock(n, api_wrong_state(n, "resume"));
	pipeline_set_paused(n->pipeline, false);
	n->state = NASOONE_RUNNING;
	return api_unlock(n, 0);
}

static int reading_error(struct nasoone *n);

int nasoone_stop(struct nasoone *n, struct nasoone_stats *stats)
{
	enum nasoone_state state;
	const char *text;
	int ret;

	if (!n)
		return NASOONE_EINVAL;
	pthread_mutex_lock(&n->lock);
	state = api_state(n);
	if (state != NASOONE_RUNNING && state != NASOONE_PAUSED && state != NASOONE_FINISHED)
		return api_unlock(n, api_wrong_state(n, "stop"));
	/* A reader waiting on a silent pipe or FIFO must see the stop too. */
	if (n->file_src)
		source_cancel(n->file_src);
	pipeline_stop(n->pipeline);
	n->file_src = NULL; /* closed by the pipeline */
	promisc_release(n->promisc_fd);
	n->promisc_fd = -1;
	pipeline_stats(n->pipeline, &n->final_stats);
	pipeline_release(n->pipeline);
	n->state = NASOONE_STOPPED;
	if (stats)
		*stats = n->final_stats;
	ret = pipeline_error(n->pipeline, &text);
	/* A consumer (the report among them) that failed: the output is incomplete. */
	if (ret == -EPIPE)
		return api_unlock(n, api_fail(n, NASOONE_EOUTPUT, "%s", text));
	/* The output is complete; a reading that ended early still says so here. */
	return api_unlock(n, reading_error(n));
}

int nasoone_wait(struct nasoone *n, int timeout_ms)
{
	struct pipeline *p;
	enum nasoone_state state;

	if (!n)
		return NASOONE_EINVAL;
	pthread_mutex_lock(&n->lock);
	state = api_state(n);
	p = n->pipeline;
	pthread_mutex_unlock(&n->lock);
	if (state == NASOONE_FINISHED)
		return 0;
	if (state != NASOONE_RUNNING && state != NASOONE_PAUSED)
		return NASOONE_ESTATE;
	/* The pipeline lives until nasoone_free(), so waiting without the lock is safe. */
	return pipeline_wait(p, timeout_ms) ? NASOONE_ETIMEDOUT : 0;
}

enum nasoone_state nasoone_get_state(struct nasoone *n)
{
	enum nasoone_state state;

	if (!n)
		return NASOONE_INITIAL;
	pthread_mutex_lock(&n->lock);
	state = api_state(n);
	pthread_mutex_unlock(&n->lock);
	return state;
}

uint64_t nasoone_get_packets(struct nasoone *n)
{
	struct pipeline *p = n ? atomic_load(&n->pipeline) : NULL;

	return p ? pipeline_counted(p) : 0;
}

unsigned int nasoone_get_threads(struct nasoone *n)
{
	struct pipeline *p = n ? atomic_load(&n->pipeline) : NULL;

	return p ? pipeline_counters(p) : 0;
}

int nasoone_get_stats(struct nasoone *n, struct nasoone_stats *stats)
{
	if (!n || !stats)
		return NASOONE_EINVAL;
	pthread_mutex_lock(&n->lock);
	if (n->state == NASOONE_STOPPED)
		*stats = n->final_stats;
	else if (n->pipeline)
		pipeline_stats(n->pipeline, stats);
	else
		memset(stats, 0, sizeof(*stats));
	return api_unlock(n, 0);
}

int nasoone_get_progress(struct nasoone *n, struct nasoone_progress *progress)
{
	if (!n || !progress)
		return NASOONE_EINVAL;
	pthread_mutex_lock(&n->lock);
	if (n->pipeline)
		pipeline_progress(n->pipeline, progress);
	else
		memset(progress, 0, sizeof(*progress));
	return api_unlock(n, 0);
}

/* The error that ended reading as a NASOONE_E* code (its text into last_error), or 0. Lock held. */
static int reading_error(struct nasoone *n)
{
	const char *text;
	int err, code;

	if (!n->pipeline)
		return 0;
	err = pipeline_error(n->pipeline, &text);
	/* -EPIPE: a consumer (the report) failed; the rest come from the source. */
	code = err == 0		 ? 0
	       : err == -EPIPE	 ? NASOONE_EOUTPUT
	       : err == -EBADMSG ? NASOONE_ECORRUPT
	       : err == -ENOMEM	 ? NASOONE_ENOMEM
	       : err == -EINVAL	 ? NASOONE_EFILTER
				 : NASOONE_ECAPTURE;
	if (code)
		api_fail(n, code, "%s", text);
	return code;
}

int nasoone_get_error(struct nasoone *n)
{
	if (!n)
		return NASOONE_EINVAL;
	pthread_mutex_lock(&n->lock);
	return api_unlock(n, reading_error(n));
}

const char *nasoone_last_error(struct nasoone *n)
{
	if (!n)
		return "invalid handle (NULL)";
	return n->last_error;
}
