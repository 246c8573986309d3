/* SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "capture/input.h"
#include "capture/pcapfile.h"
#include "capture/pcapng.h"
#include "capture/source.h"

#define SNAPLEN	       262144
#define LIVE_TIMEOUT   100 /* ms: how long a live read waits before we look at the flags */
#define LIVE_BUFFER    (32 << 20)
#define MAX_LINKTYPES  32
#define MIXED_LINKTYPE "different from the type of the first interface"

/* A filter compiled for one link type (pcapng files may mix several). */
struct compiled_filter {
	int linktype;
	struct bpf_program prog;
};

struct source {
	bool live;
	bool nano; /* libpcap's timestamps are in ns, not us */
	pcap_t *pcap;
	struct pcapfile_reader *classic; /* own reader for classic pcap files */
	struct pcapng_reader *ng;	 /* own reader, after libpcap refused a link type */
	struct input_file in;
	char *path;
	char *filter;
	struct compiled_filter filters[MAX_LINKTYPES];
	int nfilters;
	struct source_counters counters;
	atomic_bool cancelled; /* source_cancel() was called */
	uint64_t limit;	       /* stop after this many packets passed the filter (-c), 0: none */
	uint64_t passed;
	char err[PCAP_ERRBUF_SIZE + 512];
};

const char *source_error(struct source *s)
{
	return s->err;
}

bool source_is_live(const struct source *s)
{
	return s->live;
}

/*
 * Compile as libpcap does for a capture file, which is not quite as for a
 * dead handle: for DLT_NULL, a file's IPv6 test takes every BSD family
 * value, in the byte order the file was written in. A 24-byte pcap header
 * in memory, with the file's link type and byte order, gives libpcap that
 * context (the filter then runs on the frames' bytes as they are).
 */
static pcap_t *open_as_savefile(int linktype, bool swapped, char *errbuf)
{
	/* LINKTYPE_ values; raw IP as 14 (BSD/OS) is not one libpcap knows. */
	uint32_t fields[6] = { 0xa1b2c3d4u, 2u | 4u << 16,
			       0,	    0,
			       SNAPLEN,	    (uint32_t)(linktype == 14 ? 101 : linktype) };
	static __thread uint8_t header[24];
	FILE *fp;
	pcap_t *p;
	int i;

	for (i = 0; i < 6; i++) {
		uint32_t v = swapped ? __builtin_bswap32(fields[i]) : fields[i];

		if (swapped && i == 1) /* two 16-bit fields, each swapped in place */
			v = (uint32_t)__builtin_bswap16(2) | (uint32_t)__builtin_bswap16(4) << 16;
		memcpy(header + 4 * i, &v, 4);
	}
	fp = fmemopen(header, sizeof(header), "rb");
	if (!fp) {
		snprintf(errbuf, PCAP_ERRBUF_SIZE, "out of memory");
		return NULL;
	}
	p = pcap_fopen_offline(fp, errbuf);
	if (!p)
		fclose(fp);
	return p;
}

static int compile_on(pcap_t *p, const char *expr, struct bpf_program *prog, char *err,
		      size_t errlen)
{
	if (pcap_compile(p, prog, expr, 1, PCAP_NETMASK_UNKNOWN)) {
		snprintf(err, errlen, "bad filter expression '%s': %s", expr, pcap_geterr(p));
		return -EINVAL;
	}
	return 0;
}

static int compile_filter(const char *expr, int linktype, bool swapped, struct bpf_program *prog,
			  char *err, size_t errlen)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	pcap_t *p = open_as_savefile(linktype, swapped, errbuf);
	int ret;

	if (!p) {
		snprintf(err, errlen, "cannot compile the filter for link type %d: %s", linktype,
			 errbuf);
		return -EINVAL;
	}
	ret = compile_on(p, expr, prog, err, errlen);
	pcap_close(p);
	return ret;
}

int source_check_filter(const char *filter, char *err, size_t errlen)
{
	struct bpf_program prog;
	int ret = compile_filter(filter, DLT_EN10MB, false, &prog, err, errlen);

	if (!ret)
		pcap_freecode(&prog);
	return ret;
}

/* The filter for a link type, compiled on first use. */
static const struct bpf_program *filter_for(struct source *s, int linktype, int *ret)
{
	int i;

	*ret = 0;
	for (i = 0; i < s->nfilters; i++)
		if (s->filters[i].linktype == linktype)
			return &s->filters[i].prog;
	if (s->nfilters == MAX_LINKTYPES) {
		*ret = -EINVAL;
		snprintf(s->err, sizeof(s->err), "more than %d link types in one file",
			 MAX_LINKTYPES);
		return NULL;
	}
	if (s->pcap && linktype == pcap_datalink(s->pcap))
		*ret = compile_on(s->pcap, s->filter, &s->filters[s->nfilters].prog, s->err,
				  sizeof(s->err)); /* the file's own handle knows it all */
	else
		*ret = compile_filter(s->filter, linktype,
				      s->classic && pcapfile_swapped(s->classic),
				      &s->filters[s->nfilters].prog, s->err, sizeof(s->err));
	if (*ret)
		return NULL;
	s->filters[s->nfilters].linktype = linktype;
	return &s->filters[s->nfilters++].prog;
}

static struct source *source_new(const char *name, const char *filter)
{
	struct source *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->in.fd = -1;
	s->path = strdup(strcmp(name, "-") ? name : "standard input"); /* for the messages */
	s->filter = filter && *filter ? strdup(filter) : NULL;
	if (!s->path || (filter && *filter && !s->filter)) {
		source_close(s);
		return NULL;
	}
	return s;
}

/* A pcapng section header block, in either byte order (its type is a palindrome). */
static bool pcapng_magic(const uint8_t magic[4])
{
	return magic[0] == 0x0a && magic[1] == 0x0d && magic[2] == 0x0d && magic[3] == 0x0a;
}

int source_open_file(struct source **out, const char *path, const char *filter, char *err,
		     size_t errlen)
{
	char msg[PCAP_ERRBUF_SIZE + 256];
	uint8_t magic[4] = { 0 };
	const char *name;
	struct source *s;
	FILE *stream;
	ssize_t n;
	int ret;

	*out = NULL;
	s = source_new(path, filter);
	if (!s)
		return -ENOMEM;
	name = s->path; /* "standard input" for "-" */
	ret = input_open(&s->in, path);
	s->in.cancel = &s->cancelled;
	if (ret) {
		snprintf(err, errlen, "cannot open %s: %s", name, strerror(-ret));
		goto fail;
	}
	/* A peek at the magic: input_rewind() replays it, on pipes too. */
	n = input_read(&s->in, magic, sizeof(magic));
	ret = n < 0 ? (int)n : input_rewind(&s->in);
	if (ret) {
		snprintf(err, errlen, "cannot read %s: %s", name, strerror(-ret));
		goto fail;
	}
	/* Classic pcap goes to the own reader; pcapng and the rest to libpcap. */
	if (n == sizeof(magic) && pcapfile_magic(magic)) {
		s->classic = pcapfile_open(&s->in, &ret, msg, sizeof(msg));
		if (ret) {
			snprintf(err, errlen, "%s is not a capture file nasoone can read: %s", name,
				 ret == -EBADMSG ? msg : strerror(-ret));
			goto fail;
		}
		if (s->filter && !filter_for(s, pcapfile_linktype(s->classic), &ret)) {
			snprintf(err, errlen, "%s", s->err);
			goto fail;
		}
		*out = s;
		return 0;
	}
	stream = input_stream(&s->in);
	if (!stream) {
		snprintf(err, errlen, "cannot read %s: %s", name, strerror(ENOMEM));
		ret = -ENOMEM;
		goto fail;
	}
	/*
	 * A pipe cannot be read again if libpcap stops at an interface of
	 * another link type: its pcapng goes to the own reader from the start.
	 */
	if (!s->in.seekable && n == sizeof(magic) && pcapng_magic(magic)) {
		s->ng = pcapng_open(stream, msg, sizeof(msg));
		if (!s->ng) {
			snprintf(err, errlen, "%s is not a capture file nasoone can read: %s", name,
				 msg);
			ret = -EBADMSG;
			goto fail;
		}
		*out = s;
		return 0;
	}
	s->pcap = pcap_fopen_offline_with_tstamp_precision(stream, PCAP_TSTAMP_PRECISION_NANO, msg);
	if (!s->pcap) {
		snprintf(err, errlen, "%s is not a capture file nasoone can read: %s", name, msg);
		ret = -EBADMSG;
		goto fail;
	}
	s->nano = pcap_get_tstamp_precision(s->pcap) == PCAP_TSTAMP_PRECISION_NANO;
	if (s->filter && !filter_for(s, pcap_datalink(s->pcap), &ret)) {
		snprintf(err, errlen, "%s", s->err);
		goto fail;
	}
	*out = s;
	return 0;
fail:
	source_close(s);
	return ret;
}

int source_open_live(struct source **out, const char *ifname, const char *filter,
		     const struct source_live_opts *opts, char *err, size_t errlen)
{
	char pcap_err[PCAP_ERRBUF_SIZE] = "";
	struct source *s;
	int ret;

	*out = NULL;
	s = source_new(ifname, filter);
	if (!s)
		return -ENOMEM;
	s->live = true;
	s->pcap = pcap_create(ifname, pcap_err);
	if (!s->pcap) {
		snprintf(err, errlen, "cannot capture on %s: %s", ifname, pcap_err);
		ret = -EIO;
		goto fail;
	}
	pcap_set_snaplen(s->pcap, SNAPLEN);
	pcap_set_promisc(s->pcap, opts && opts->no_promisc ? 0 : 1);
	pcap_set_timeout(s->pcap, LIVE_TIMEOUT);
	pcap_set_buffer_size(s->pcap,
			     opts && opts->buffer_bytes ? (int)opts->buffer_bytes : LIVE_BUFFER);
	pcap_set_tstamp_precision(s->pcap, PCAP_TSTAMP_PRECISION_NANO);
	ret = pcap_activate(s->pcap);
	if (ret < 0) {
		const char *why = pcap_geterr(s->pcap);

		if (ret == PCAP_ERROR_NO_SUCH_DEVICE) {
			snprintf(err, errlen, "no such interface %s (see nasoone -D): %s", ifname,
				 why);
			ret = -ENODEV;
		} else if (ret == PCAP_ERROR_PERM_DENIED) {
			snprintf(err, errlen,
				 "no permission to capture on %s: run as root or grant "
				 "CAP_NET_RAW: %s",
				 ifname, why);
			ret = -EPERM;
		} else {
			snprintf(err, errlen, "cannot capture on %s: %s", ifname,
				 *why ? why : pcap_statustostr(ret));
			ret = -EIO;
		}
		goto fail;
	}
	s->nano = pcap_get_tstamp_precision(s->pcap) == PCAP_TSTAMP_PRECISION_NANO;
	/*
	 * Non-blocking, with our own poll() bounded by LIVE_TIMEOUT: a blocking
	 * read on a TPACKET_V3 ring can wait forever on an idle interface, and
	 * the reader must see stop and pause requests promptly.
	 */
	if (pcap_setnonblock(s->pcap, 1, pcap_err) || pcap_get_selectable_fd(s->pcap) < 0) {
		snprintf(err, errlen, "cannot capture on %s: %s", ifname,
			 *pcap_err ? pcap_err : "no selectable descriptor");
		ret = -EIO;
		goto fail;
	}
	/*
	 * The filter runs here, not in the kernel, so that "received" counts
	 * every packet the interface saw and "filtered" the ones the filter
	 * refused, as on the eBPF path and for files (the kernel's socket
	 * filter gives no count of what it refuses).
	 */
	if (s->filter && !filter_for(s, pcap_datalink(s->pcap), &ret)) {
		snprintf(err, errlen, "%s", s->err);
		goto fail;
	}
	*out = s;
	return 0;
fail:
	source_close(s);
	return ret;
}

/*
 * libpcap refused an interface with another link type: reread the file
 * with the own pcapng reader, skipping the packets already delivered.
 */
static int switch_to_pcapng(struct source *s)
{
	struct packet skip;
	uint64_t i;
	int ret;

	pcap_close(s->pcap); /* closes in.fp */
	s->pcap = NULL;
	s->in.fp = NULL;
	/* The same descriptor from its first byte, not the name again (it may be "-"). */
	ret = input_rewind(&s->in);
	if (ret) {
		snprintf(s->err, sizeof(s->err), "cannot read %s again from the start: %s", s->path,
			 strerror(-ret));
		return -EIO;
	}
	s->ng = input_stream(&s->in) ? pcapng_open(s->in.fp, s->err, sizeof(s->err)) : NULL;
	if (!s->ng)
		return -EBADMSG;
	for (i = 0; i < s->counters.received; i++) {
		ret = pcapng_next(s->ng, &skip, s->err, sizeof(s->err));
		if (ret != 1)
			return ret ? ret : -EBADMSG;
	}
	return 0;
}

static int next_frame(struct source *s, struct packet *p)
{
	struct pcap_pkthdr *hdr;
	const u_char *data;
	char msg[PCAP_ERRBUF_SIZE + 256];
	int ret;

	if (s->classic || s->ng) {
		ret = s->classic ? pcapfile_next(s->classic, p, msg, sizeof(msg))
				 : pcapng_next(s->ng, p, msg, sizeof(msg));
		if (ret == 0)
			return -ENODATA;
		if (ret < 0)
			snprintf(s->err, sizeof(s->err), "%s: %s", s->path, msg);
		return ret;
	}
	ret = pcap_next_ex(s->pcap, &hdr, &data);
	if (ret == 1) {
		p->data = data;
		p->caplen = hdr->caplen;
		p->len = hdr->len;
		p->linktype = pcap_datalink(s->pcap);
		p->ts_ms = (uint64_t)hdr->ts.tv_sec * 1000 +
			   (uint64_t)hdr->ts.tv_usec / (s->nano ? 1000000 : 1000);
		return 1;
	}
	if (ret == 0) {
		struct pollfd pfd = { .fd = pcap_get_selectable_fd(s->pcap), .events = POLLIN };

		poll(&pfd, 1, LIVE_TIMEOUT);
		return 0;
	}
	if (ret == PCAP_ERROR_BREAK)
		return -ENODATA;
	if (s->live) {
		snprintf(s->err, sizeof(s->err), "capture on %s failed: %s", s->path,
			 pcap_geterr(s->pcap));
		return -EIO;
	}
	if (strstr(pcap_geterr(s->pcap), MIXED_LINKTYPE)) {
		ret = switch_to_pcapng(s);
		return ret ? ret : next_frame(s, p);
	}
	snprintf(s->err, sizeof(s->err), "%s: packet %llu: %s", s->path,
		 (unsigned long long)s->counters.received + 1, pcap_geterr(s->pcap));
	return -EBADMSG;
}

/* The frame after the last one received has a link type the filter cannot compile for. */
static int unfilterable(struct source *s, int linktype, int ret)
{
	char why[sizeof(s->err)];
	const char *detail = strstr(s->err, "': ");

	/* compile_on() says "bad filter expression 'EXPR': WHY": keep WHY. */
	snprintf(why, sizeof(why), "%s", detail ? detail + 3 : s->err);
	snprintf(s->err, sizeof(s->err),
		 "%.256s: packet %llu: the filter '%.128s' cannot run on its link type %d: %.256s",
		 s->path, (unsigned long long)s->counters.received + 1, s->filter, linktype, why);
	return ret;
}

/* A packet that passed the filter. */
static int counted_in(struct source *s)
{
	s->passed++;
	return 1;
}

void source_set_limit(struct source *s, uint64_t packets)
{
	s->limit = packets;
}

int source_next(struct source *s, struct packet *p)
{
	const struct bpf_program *prog;
	struct pcap_pkthdr hdr;
	int ret;

	for (;;) {
		if (s->limit && s->passed >= s->limit)
			return -ENODATA; /* -c: nothing more is read */
		ret = next_frame(s, p);
		/* Cancelled: a record cut by the stop is not damage, just the end. */
		if (ret < 0 && atomic_load(&s->cancelled))
			return -ENODATA;
		if (ret != 1)
			return ret;
		if (!s->filter) {
			s->counters.received++;
			return counted_in(s);
		}
		/*
		 * A later pcapng interface may bring a link type the filter
		 * cannot compile for: reading ends there, and that frame, like
		 * a damaged record, is not received (received = passed + filtered).
		 */
		prog = filter_for(s, p->linktype, &ret);
		if (!prog)
			return unfilterable(s, p->linktype, ret);
		s->counters.received++;
		hdr.caplen = p->caplen;
		hdr.len = p->len;
		if (pcap_offline_filter(prog, &hdr, p->data))
			return counted_in(s);
		s->counters.filtered++;
	}
}

void source_counters(struct source *s, struct source_counters *c)
{
	struct pcap_stat ps;

	if (s->live && s->pcap && !pcap_stats(s->pcap, &ps)) {
		s->counters.dropped = ps.ps_drop;
		s->counters.if_dropped = ps.ps_ifdrop;
	}
	*c = s->counters;
}

void source_progress(struct source *s, uint64_t *position, uint64_t *size)
{
	/* A mapped file is not read through its descriptor: its reader knows where it is. */
	if (s->classic && !s->in.gz)
		*position = pcapfile_offset(s->classic);
	else
		*position = s->live ? 0 : input_position(&s->in);
	*size = s->live ? 0 : s->in.size;
}

void source_cancel(struct source *s)
{
	atomic_store(&s->cancelled, true);
}

int source_file_stat(struct source *s, struct stat *st)
{
	if (s->live || s->in.fd < 0)
		return -EBADF;
	return fstat(s->in.fd, st) ? -errno : 0;
}

void source_close(struct source *s)
{
	int i;

	if (!s)
		return;
	for (i = 0; i < s->nfilters; i++)
		pcap_freecode(&s->filters[i].prog);
	if (s->pcap) {
		pcap_close(s->pcap);
		s->in.fp = NULL; /* pcap_close() closed it */
	}
	pcapng_close(s->ng);
	pcapfile_close(s->classic);
	input_close(&s->in);
	free(s->path);
	free(s->filter);
	free(s);
}
