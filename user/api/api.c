/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The public nasoone_* API: configuration, the state machine, errors. It is
 * the only owner of the capture pipeline; every transition happens under
 * the handle's lock, so calls from several threads cannot tear the state.
 */
#include <errno.h>
#include <pcap/pcap.h>
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
#include "count/pipeline.h"
#include "output/report.h"
#include "output/report_writer.h"
#include "capture/source.h"

#define DEFAULT_INTERVAL   10
#define MAX_THREADS	   64
#define MAX_USER_CONSUMERS 15 /* and the report */

/*
 * Expiry and the cap on an interface, where a run lasts days: nfpcapd's
 * timeouts (a minute idle, five minutes active), and a million rows --
 * about 100 MB of live rows and as much for the report's period. A file
 * needs none: its report is cumulative and the file bounds it.
 */
#define LIVE_IDLE_S    60
#define LIVE_ACTIVE_S  300
#define LIVE_MAX_FLOWS 1000000

struct nasoone {
	pthread_mutex_t lock;
	enum nasoone_state state;
	char *device;
	char *file;
	char *filter;
	unsigned int interval_s;
	unsigned int threads;
	bool overwrite;
	enum nasoone_mode mode;
	uint32_t bpf_flows, bpf_ring;
	unsigned int drain_ms;
	bool expiry_set, max_flows_set;
	unsigned int idle_s, active_s, rotation_s;
	uint64_t max_flows;
	void (*on_packet)(const struct nasoone_packet *packet, void *ctx);
	void *packet_ctx;
	struct nasoone_consumer consumers[MAX_USER_CONSUMERS + 1]; /* [0]: the report */
	unsigned int nconsumers;				   /* the user's */
	struct report_writer *writer;
	char path[1536]; /* which capture path runs, and why */
	struct report_output output;
	struct pipeline *_Atomic pipeline; /* set at start, freed by nasoone_free() */
	struct nasoone_stats final_stats;
	char last_error[1024];
};

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

__attribute__((format(printf, 3, 4))) static int fail(struct nasoone *n, int code, const char *fmt,
						      ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(n->last_error, sizeof(n->last_error), fmt, ap);
	va_end(ap);
	return code;
}

/* The state, with RUNNING turned into FINISHED once the file is exhausted. Lock held. */
static enum nasoone_state current_state(struct nasoone *n)
{
	if (n->state == NASOONE_RUNNING && pipeline_finished(n->pipeline))
		n->state = NASOONE_FINISHED;
	return n->state;
}

static int wrong_state(struct nasoone *n, const char *call)
{
	return fail(n, NASOONE_ESTATE, "%s: not allowed while the capture is %s", call,
		    state_name(current_state(n)));
}

struct nasoone *nasoone_new(void)
{
	struct nasoone *n = calloc(1, sizeof(*n));

	if (!n)
		return NULL;
	pthread_mutex_init(&n->lock, NULL);
	n->state = NASOONE_INITIAL;
	n->interval_s = DEFAULT_INTERVAL;
	return n;
}

void nasoone_free(struct nasoone *n)
{
	enum nasoone_state state;

	if (!n)
		return;
	pthread_mutex_lock(&n->lock);
	state = current_state(n);
	pthread_mutex_unlock(&n->lock);
	if (state == NASOONE_RUNNING || state == NASOONE_PAUSED || state == NASOONE_FINISHED)
		nasoone_stop(n, NULL);
	pipeline_free(n->pipeline);
	report_writer_free(n->writer);
	report_output_clear(&n->output);
	free(n->device);
	free(n->file);
	free(n->filter);
	pthread_mutex_destroy(&n->lock);
	free(n);
}

/* Replace *slot by a copy of value; for the setters. */
static int set_string(struct nasoone *n, char **slot, const char *value)
{
	char *copy = value ? strdup(value) : NULL;

	if (value && !copy)
		return fail(n, NASOONE_ENOMEM, "out of memory");
	free(*slot);
	*slot = copy;
	return 0;
}

/* Lock n and check it is INITIAL; every setter starts with this. */
static int lock_initial(struct nasoone *n, const char *call)
{
	if (!n)
		return NASOONE_EINVAL;
	pthread_mutex_lock(&n->lock);
	if (current_state(n) != NASOONE_INITIAL) {
		int ret = wrong_state(n, call);

		pthread_mutex_unlock(&n->lock);
		return ret;
	}
	return 0;
}

static int unlock_ret(struct nasoone *n, int ret)
{
	pthread_mutex_unlock(&n->lock);
	return ret;
}

int nasoone_set_capture_device(struct nasoone *n, const char *ifname)
{
	int ret = lock_initial(n, "set_capture_device");

	if (ret)
		return ret;
	if (!ifname || !*ifname)
		return unlock_ret(n, fail(n, NASOONE_EINVAL, "empty capture device name"));
	ret = set_string(n, &n->device, ifname);
	if (!ret)
		ret = set_string(n, &n->file, NULL);
	return unlock_ret(n, ret);
}

int nasoone_set_capture_file(struct nasoone *n, const char *path)
{
	struct stat st;
	int ret = lock_initial(n, "set_capture_file");

	if (ret)
		return ret;
	if (!path || !*path)
		return unlock_ret(n, fail(n, NASOONE_EINVAL, "empty capture file name"));
	if (stat(path, &st) || access(path, R_OK))
		return unlock_ret(
			n, fail(n, NASOONE_EINPUT, "cannot open %s: %s", path, strerror(errno)));
	if (S_ISDIR(st.st_mode))
		return unlock_ret(
			n, fail(n, NASOONE_EINPUT, "cannot open %s: %s", path, strerror(EISDIR)));
	ret = set_string(n, &n->file, path);
	if (!ret)
		ret = set_string(n, &n->device, NULL);
	return unlock_ret(n, ret);
}

int nasoone_set_output(struct nasoone *n, const char *path)
{
	int ret = lock_initial(n, "set_output");

	if (ret)
		return ret;
	if (!path || !*path)
		return unlock_ret(n, fail(n, NASOONE_EINVAL, "empty output file name"));
	ret = report_output_set(&n->output, path, n->overwrite);
	switch (ret) {
	case 0:
		break;
	case -EEXIST:
		ret = fail(n, NASOONE_EEXIST,
			   "%s already exists: choose another name or overwrite it (-F)", path);
		break;
	case -ENOENT:
		ret = fail(n, NASOONE_ENODIR, "the directory of %s does not exist", path);
		break;
	case -ENOMEM:
		ret = fail(n, NASOONE_ENOMEM, "out of memory");
		break;
	case -ELOOP:
		ret = fail(n, NASOONE_EOUTPUT, "%s is a symbolic link: give the real path", path);
		break;
	default:
		ret = fail(n, NASOONE_EOUTPUT, "cannot write the report to %s: %s", path,
			   strerror(-ret));
	}
	return unlock_ret(n, ret);
}

int nasoone_set_overwrite(struct nasoone *n, bool overwrite)
{
	int ret = lock_initial(n, "set_overwrite");

	if (ret)
		return ret;
	n->overwrite = overwrite;
	return unlock_ret(n, 0);
}

int nasoone_set_timeout(struct nasoone *n, unsigned int seconds)
{
	int ret = lock_initial(n, "set_timeout");

	if (ret)
		return ret;
	if (!seconds)
		return unlock_ret(n, fail(n, NASOONE_EINVAL, "the report interval must be > 0 s"));
	n->interval_s = seconds;
	return unlock_ret(n, 0);
}

int nasoone_set_format(struct nasoone *n, enum nasoone_format format)
{
	int ret = lock_initial(n, "set_format");

	if (ret)
		return ret;
	if (format < NASOONE_FORMAT_NASOONE || format > NASOONE_FORMAT_JSON)
		return unlock_ret(n,
				  fail(n, NASOONE_EINVAL, "unknown report format %d", (int)format));
	n->output.format = format;
	return unlock_ret(n, 0);
}

int nasoone_set_expiry(struct nasoone *n, unsigned int idle_s, unsigned int active_s)
{
	int ret = lock_initial(n, "set_expiry");

	if (ret)
		return ret;
	n->idle_s = idle_s;
	n->active_s = active_s;
	n->expiry_set = true;
	return unlock_ret(n, 0);
}

int nasoone_set_max_flows(struct nasoone *n, uint64_t max_flows)
{
	int ret = lock_initial(n, "set_max_flows");

	if (ret)
		return ret;
	n->max_flows = max_flows;
	n->max_flows_set = true;
	return unlock_ret(n, 0);
}

int nasoone_set_rotation(struct nasoone *n, unsigned int seconds)
{
	int ret = lock_initial(n, "set_rotation");

	if (ret)
		return ret;
	n->rotation_s = seconds;
	return unlock_ret(n, 0);
}

int nasoone_add_consumer(struct nasoone *n, const struct nasoone_consumer *consumer)
{
	int ret = lock_initial(n, "add_consumer");

	if (ret)
		return ret;
	if (!consumer)
		return unlock_ret(n, fail(n, NASOONE_EINVAL, "no consumer given"));
	if (n->nconsumers == MAX_USER_CONSUMERS)
		return unlock_ret(
			n, fail(n, NASOONE_EINVAL, "at most %d consumers", MAX_USER_CONSUMERS));
	n->consumers[1 + n->nconsumers++] = *consumer;
	return unlock_ret(n, 0);
}

int nasoone_set_threads(struct nasoone *n, unsigned int threads)
{
	int ret = lock_initial(n, "set_threads");

	if (ret)
		return ret;
	if (threads > MAX_THREADS)
		return unlock_ret(n, fail(n, NASOONE_EINVAL, "at most %d threads", MAX_THREADS));
	n->threads = threads;
	return unlock_ret(n, 0);
}

int nasoone_set_mode(struct nasoone *n, enum nasoone_mode mode)
{
	int ret = lock_initial(n, "set_mode");

	if (ret)
		return ret;
	if (mode < NASOONE_MODE_AUTO || mode > NASOONE_MODE_PCAP)
		return unlock_ret(n, fail(n, NASOONE_EINVAL, "unknown capture mode %d", (int)mode));
	n->mode = mode;
	return unlock_ret(n, 0);
}

int nasoone_set_bpf_tuning(struct nasoone *n, uint32_t flows_per_cpu, uint32_t ring_bytes,
			   unsigned int drain_ms)
{
	int ret = lock_initial(n, "set_bpf_tuning");

	if (ret)
		return ret;
	/* The kernel wants a power-of-2 ring of at least a page. */
	if (ring_bytes && (ring_bytes < 4096 || (ring_bytes & (ring_bytes - 1))))
		return unlock_ret(n, fail(n, NASOONE_EINVAL,
					  "the ring size must be a power of 2, at least 4096"));
	n->bpf_flows = flows_per_cpu;
	n->bpf_ring = ring_bytes;
	n->drain_ms = drain_ms;
	return unlock_ret(n, 0);
}

const char *nasoone_get_path(struct nasoone *n)
{
	return n ? n->path : "";
}

int nasoone_set_packet_callback(struct nasoone *n,
				void (*fn)(const struct nasoone_packet *packet, void *ctx),
				void *ctx)
{
	int ret = lock_initial(n, "set_packet_callback");

	if (ret)
		return ret;
	n->on_packet = fn;
	n->packet_ctx = ctx;
	return unlock_ret(n, 0);
}

int nasoone_set_filter(struct nasoone *n, const char *expression)
{
	int ret = lock_initial(n, "set_filter");

	if (ret)
		return ret;
	if (expression && *expression &&
	    source_check_filter(expression, n->last_error, sizeof(n->last_error)))
		return unlock_ret(n, NASOONE_EFILTER);
	ret = set_string(n, &n->filter, expression && *expression ? expression : NULL);
	return unlock_ret(n, ret);
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
 * Choose and open the capture path: libpcap for files unless a mode is
 * forced (then the file is replayed through the BPF program), eBPF for
 * interfaces when it can run, libpcap otherwise. n->path says which and why.
 */
static int open_sources(struct nasoone *n, struct source **src, struct bpf_src **bpf)
{
	bool want_bpf = n->mode == NASOONE_MODE_XDP || n->mode == NASOONE_MODE_TC;
	char why[256] = "";
	int ret;

	if (want_bpf || (n->mode == NASOONE_MODE_AUTO && n->device)) {
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
		if (!ret) {
			snprintf(n->path, sizeof(n->path), "%s", bpf_src_describe(*bpf));
			return 0;
		}
		if (want_bpf || ret == NASOONE_EFILTER || ret == NASOONE_ENODEV)
			return ret; /* forced, or an error libpcap would give too */
		snprintf(why, sizeof(why), "%.*s", (int)sizeof(why) - 1, n->last_error);
	}
	if (n->file)
		ret = source_open_file(src, n->file, n->filter, n->last_error,
				       sizeof(n->last_error));
	else
		ret = source_open_live(src, n->device, n->filter, n->last_error,
				       sizeof(n->last_error));
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
		snprintf(n->path, sizeof(n->path), "libpcap: reading %s", n->file);
	else if (n->mode == NASOONE_MODE_PCAP)
		snprintf(n->path, sizeof(n->path), "libpcap on %s (requested)", n->device);
	else
		snprintf(n->path, sizeof(n->path), "libpcap on %s, because eBPF cannot run: %s",
			 n->device, why);
	return 0;
}

int nasoone_start(struct nasoone *n)
{
	struct pipeline_config cfg = { 0 };
	struct pipeline *p;
	long cpus;
	int ret = lock_initial(n, "start");

	if (ret)
		return ret;
	if (!n->file && !n->device)
		return unlock_ret(n, fail(n, NASOONE_ENOINPUT,
					  "nothing to capture: set a capture file or device"));
	ret = open_sources(n, &cfg.src, &cfg.bpf);
	if (ret)
		return unlock_ret(n, ret);
	if (n->on_packet && cfg.bpf) {
		bpf_src_close(cfg.bpf);
		source_close(cfg.src);
		return unlock_ret(n,
				  fail(n, NASOONE_EMODE,
				       "a per-packet view needs the libpcap path: the eBPF path "
				       "counts in the kernel without copying packets (use the pcap "
				       "mode)"));
	}
	cfg.on_packet = n->on_packet;
	cfg.packet_ctx = n->packet_ctx;

	ret = n->rotation_s ? 0 : report_output_create(&n->output);
	if (ret) {
		source_close(cfg.src);
		bpf_src_close(cfg.bpf);
		return unlock_ret(n, fail(n, ret == -EEXIST ? NASOONE_EEXIST : NASOONE_EOUTPUT,
					  "cannot create %s: %s", n->output.path, strerror(-ret)));
	}
	cpus = sysconf(_SC_NPROCESSORS_ONLN);
	cfg.threads = n->threads ? n->threads : cpus > 0 ? (unsigned int)cpus : 1;
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
		return unlock_ret(n, fail(n, NASOONE_ENOMEM, "out of memory"));
	}
	cfg.consumers = n->consumers;
	cfg.nconsumers = 1 + n->nconsumers;
	ret = pipeline_start(&p, &cfg);
	if (ret)
		return unlock_ret(n, ret == -ENOMEM ? fail(n, NASOONE_ENOMEM, "out of memory")
						    : fail(n, NASOONE_ETHREAD,
							   "cannot start the capture threads"));
	atomic_store(&n->pipeline, p);
	n->state = NASOONE_RUNNING;
	return unlock_ret(n, 0);
}

int nasoone_pause(struct nasoone *n)
{
	if (!n)
		return NASOONE_EINVAL;
	pthread_mutex_lock(&n->lock);
	if (current_state(n) != NASOONE_RUNNING)
		return unlock_ret(n, wrong_state(n, "pause"));
	pipeline_set_paused(n->pipeline, true);
	n->state = NASOONE_PAUSED;
	return unlock_ret(n, 0);
}

int nasoone_resume(struct nasoone *n)
{
	if (!n)
		return NASOONE_EINVAL;
	pthread_mutex_lock(&n->lock);
	if (current_state(n) != NASOONE_PAUSED)
		return unlock_ret(n, wrong_state(n, "resume"));
	pipeline_set_paused(n->pipeline, false);
	n->state = NASOONE_RUNNING;
	return unlock_ret(n, 0);
}

int nasoone_stop(struct nasoone *n, struct nasoone_stats *stats)
{
	enum nasoone_state state;
	const char *text;
	int ret;

	if (!n)
		return NASOONE_EINVAL;
	pthread_mutex_lock(&n->lock);
	state = current_state(n);
	if (state != NASOONE_RUNNING && state != NASOONE_PAUSED && state != NASOONE_FINISHED)
		return unlock_ret(n, wrong_state(n, "stop"));
	pipeline_stop(n->pipeline);
	pipeline_stats(n->pipeline, &n->final_stats);
	pipeline_release(n->pipeline);
	n->state = NASOONE_STOPPED;
	if (stats)
		*stats = n->final_stats;
	ret = pipeline_error(n->pipeline, &text);
	/* A consumer (the report among them) that failed: the output is incomplete. */
	ret = ret == -EPIPE ? fail(n, NASOONE_EOUTPUT, "%s", text) : 0;
	return unlock_ret(n, ret);
}

/* The pipeline of a capture that is running, paused or finished, with n locked; else NULL. */
static struct pipeline *running_pipeline(struct nasoone *n, const char *call, int *ret)
{
	enum nasoone_state state;

	pthread_mutex_lock(&n->lock);
	state = current_state(n);
	if (state != NASOONE_RUNNING && state != NASOONE_PAUSED && state != NASOONE_FINISHED) {
		*ret = wrong_state(n, call);
		pthread_mutex_unlock(&n->lock);
		return NULL;
	}
	return n->pipeline;
}

int nasoone_snapshot(struct nasoone *n, struct nasoone_snapshot **snapshot)
{
	struct pipeline *p;
	int ret = 0;

	if (!n || !snapshot)
		return NASOONE_EINVAL;
	*snapshot = NULL;
	p = running_pipeline(n, "snapshot", &ret);
	if (!p)
		return ret;
	/*
	 * Under the handle's lock: stop() waits for the copy, and the copy
	 * waits only for the counters' next step.
	 */
	ret = pipeline_snapshot(p, snapshot);
	return unlock_ret(n, ret ? fail(n, NASOONE_ENOMEM, "out of memory for a snapshot") : 0);
}

void nasoone_snapshot_free(struct nasoone_snapshot *snapshot)
{
	pipeline_snapshot_free(snapshot);
}

int nasoone_flush(struct nasoone *n)
{
	struct pipeline *p;
	int ret = 0;

	if (!n)
		return NASOONE_EINVAL;
	p = running_pipeline(n, "flush", &ret);
	if (!p)
		return ret;
	pipeline_flush(p);
	return unlock_ret(n, 0);
}

static int flow_ptr_cmp(const void *a, const void *b)
{
	return report_row_cmp(flow_as_row(a), flow_as_row(b));
}

void nasoone_sort_flows(struct nasoone_flow *flows, size_t count)
{
	if (flows && count)
		qsort(flows, count, sizeof(*flows), flow_ptr_cmp);
}

int nasoone_format_flow(char *buf, size_t size, const struct nasoone_flow *flow,
			enum nasoone_format format)
{
	size_t len;

	if (!buf || !flow || size < REPORT_ROW_MAX || format < NASOONE_FORMAT_NASOONE ||
	    format > NASOONE_FORMAT_JSON)
		return NASOONE_EINVAL;
	len = report_format_row_as(buf, flow_as_row(flow), format);
	buf[len] = '\0';
	return (int)len;
}

int nasoone_wait(struct nasoone *n, int timeout_ms)
{
	struct pipeline *p;
	enum nasoone_state state;

	if (!n)
		return NASOONE_EINVAL;
	pthread_mutex_lock(&n->lock);
	state = current_state(n);
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
	state = current_state(n);
	pthread_mutex_unlock(&n->lock);
	return state;
}

uint64_t nasoone_get_packets(struct nasoone *n)
{
	struct pipeline *p = n ? atomic_load(&n->pipeline) : NULL;

	return p ? pipeline_counted(p) : 0;
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
	return unlock_ret(n, 0);
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
	return unlock_ret(n, 0);
}

int nasoone_get_error(struct nasoone *n)
{
	const char *text;
	int err, code;

	if (!n)
		return NASOONE_EINVAL;
	pthread_mutex_lock(&n->lock);
	if (!n->pipeline)
		return unlock_ret(n, 0);
	err = pipeline_error(n->pipeline, &text);
	code = err == 0		 ? 0
	       : err == -EBADMSG ? NASOONE_ECORRUPT
	       : err == -ENOMEM	 ? NASOONE_ENOMEM
	       : err == -EIO	 ? NASOONE_ECAPTURE
				 : NASOONE_EOUTPUT;
	if (code)
		fail(n, code, "%s", text);
	return unlock_ret(n, code);
}

const char *nasoone_last_error(struct nasoone *n)
{
	if (!n)
		return "invalid handle (NULL)";
	return n->last_error;
}

int nasoone_list_devices(struct nasoone_device **devices, size_t *count)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	pcap_if_t *all, *d;
	struct nasoone_device *list;
	size_t n = 0;

	if (!devices || !count)
		return NASOONE_EINVAL;
	*devices = NULL;
	*count = 0;
	if (pcap_findalldevs(&all, errbuf))
		return NASOONE_ECAPTURE;
	for (d = all; d; d = d->next)
		n++;
	list = calloc(n ? n : 1, sizeof(*list));
	if (!list) {
		pcap_freealldevs(all);
		return NASOONE_ENOMEM;
	}
	n = 0;
	for (d = all; d; d = d->next) {
		if (!d->addresses)
			continue; /* only interfaces one can see traffic of by address */
		list[n].name = strdup(d->name);
		list[n].description = strdup(d->description ? d->description : "");
		if (!list[n].name || !list[n].description) {
			nasoone_free_devices(list, n + 1);
			pcap_freealldevs(all);
			return NASOONE_ENOMEM;
		}
		n++;
	}
	pcap_freealldevs(all);
	*devices = list;
	*count = n;
	return 0;
}

void nasoone_free_devices(struct nasoone_device *devices, size_t count)
{
	size_t i;

	for (i = 0; devices && i < count; i++) {
		free(devices[i].name);
		free(devices[i].description);
	}
	free(devices);
}

int nasoone_default_device(char *name, size_t size)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	pcap_if_t *all, *d;
	int ret = NASOONE_ENODEV;

	if (!name || !size)
		return NASOONE_EINVAL;
	if (pcap_findalldevs(&all, errbuf))
		return NASOONE_ECAPTURE;
	for (d = all; d; d = d->next) {
		if (!d->addresses || (d->flags & PCAP_IF_LOOPBACK) || !(d->flags & PCAP_IF_UP))
			continue;
		if (strlen(d->name) >= size) {
			ret = NASOONE_EINVAL;
			break;
		}
		strcpy(name, d->name);
		ret = 0;
		break;
	}
	pcap_freealldevs(all);
	return ret;
}
