/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * libnasoone: per-connection traffic reports from a live interface or a
 * capture file.
 *
 * A capture is a state machine:
 *
 *   INITIAL --start--> RUNNING <--pause/resume--> PAUSED
 *                         |  (a file read to its end)
 *                         v
 *                      FINISHED
 *   RUNNING, PAUSED, FINISHED --stop--> STOPPED
 *
 * Configure in INITIAL (capture device or file, output, report interval,
 * filter), then start. start() returns at once; threads read, count and
 * rewrite the report every interval. stop() joins them, writes the final
 * report and returns the statistics. While it runs, the rows can be read
 * in memory (nasoone_snapshot()) and handed to consumers (see "Flows in
 * memory" below). Every call returns 0 or a negative
 * NASOONE_E* code (nasoone_strerror() names it; nasoone_last_error() gives
 * the one-line detail of the last failure); a call made in the wrong state
 * returns NASOONE_ESTATE and changes nothing.
 */
#ifndef NASOONE_H
#define NASOONE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define NASOONE_VERSION "0.1.0"

enum nasoone_state {
	NASOONE_INITIAL,
	NASOONE_RUNNING,
	NASOONE_PAUSED,
	NASOONE_FINISHED, /* the capture file was read to its end (or to damage) */
	NASOONE_STOPPED,
};

enum nasoone_error {
	NASOONE_OK = 0,
	NASOONE_EINVAL = -1,	 /* invalid argument */
	NASOONE_ESTATE = -2,	 /* not allowed in the current state */
	NASOONE_ENOMEM = -3,	 /* out of memory */
	NASOONE_ENOINPUT = -4,	 /* neither a capture device nor a file was set */
	NASOONE_EINPUT = -5,	 /* the capture file cannot be opened */
	NASOONE_EFORMAT = -6,	 /* not a capture file this library reads */
	NASOONE_ECORRUPT = -7,	 /* the capture file is damaged after some packets */
	NASOONE_EFILTER = -8,	 /* the filter expression does not compile */
	NASOONE_EEXIST = -9,	 /* the output file exists (see nasoone_set_overwrite) */
	NASOONE_ENODIR = -10,	 /* the output's directory does not exist */
	NASOONE_EOUTPUT = -11,	 /* the output cannot be created or written */
	NASOONE_ENODEV = -12,	 /* no such capture device */
	NASOONE_EPERM = -13,	 /* permission denied (capture needs root/CAP_NET_RAW) */
	NASOONE_ETHREAD = -14,	 /* a thread could not be started */
	NASOONE_ECAPTURE = -15,	 /* the live capture failed */
	NASOONE_ETIMEDOUT = -16, /* nasoone_wait(): still running after the timeout */
	NASOONE_EMODE = -17,	 /* the requested capture path cannot run here */
	NASOONE_EPRIVS = -18,	 /* privileges cannot be dropped (see nasoone_set_privilege_drop) */
};

/* Which path captures: see nasoone_set_mode(). */
enum nasoone_mode {
	NASOONE_MODE_AUTO, /* live: eBPF (XDP + TC) when possible, else libpcap; files: libpcap */
	NASOONE_MODE_XDP,  /* XDP on ingress, TC on egress; a file is replayed through it */
	NASOONE_MODE_TC,   /* TC on ingress and egress; a file is replayed through it */
	NASOONE_MODE_PCAP, /* libpcap */
};

/* Capture statistics, returned by nasoone_stop() and nasoone_get_stats(). */
struct nasoone_stats {
	/*
	 * The same in every mode: received are the packets read from the file
	 * or seen on the interface before the filter, filtered the ones the
	 * filter refused; received = counted + skipped + filtered + paused
	 * (+ dropped, lost before they could be looked at, on libpcap).
	 */
	uint64_t received;   /* packets read from the file or the interface */
	uint64_t dropped;    /* lost by the capture buffer or a full internal queue */
	uint64_t if_dropped; /* dropped by the interface or its driver */
	uint64_t counted;    /* packets added to a report row */
	uint64_t skipped;    /* read but not counted: non-IP, other protocols, truncated */
	uint64_t filtered;   /* rejected by the filter */
	uint64_t paused;     /* seen on a live capture while paused, not counted */
	uint64_t rows;	     /* live rows in memory (after stop: those live when it stopped) */
	uint64_t expired;    /* rows handed to consumers as final records */
	uint64_t evicted;    /* of those, ended early because the row cap was reached */
	uint64_t
		stall_max_ns; /* longest a counter stopped counting for a snapshot or expiry step */
	/* eBPF path only (0 otherwise): */
	uint64_t overflow; /* packets that found their CPU's map full and went through the ring */
	uint64_t unattributed; /* packets counted nowhere: map and ring both full (should be 0) */
	uint64_t map_fill_max; /* most flows found in one CPU's map at a drain */
	uint64_t map_capacity; /* entries of one CPU's map */
	uint64_t run_time_ns;  /* program run time (needs sysctl kernel.bpf_stats_enabled=1) */
	uint64_t run_count;    /* program runs measured: 0 when run time was not measured */
};

/* Progress of a running capture, cheap enough to poll for a progress line. */
struct nasoone_progress {
	uint64_t input_bytes; /* bytes of the file consumed so far (compressed size for .gz) */
	uint64_t input_size;  /* size of the file, 0 for a live capture */
	uint64_t received;
	uint64_t rows;
};

struct nasoone;

/* A new capture in state INITIAL, or NULL when out of memory. */
struct nasoone *nasoone_new(void);
/* Stop the capture if it runs (the final report is written) and free it. NULL is fine. */
void nasoone_free(struct nasoone *n);

/*
 * Input: exactly one of a device (live capture) or a file (pcap, pcapng,
 * gzip'd; a regular file, a FIFO or a pipe; "-" is standard input).
 */
int nasoone_set_capture_device(struct nasoone *n, const char *ifname);
int nasoone_set_capture_file(struct nasoone *n, const char *path);

/*
 * Report destination. "-" is standard output. An existing regular file is
 * refused unless nasoone_set_overwrite(n, true) was called first; a missing
 * directory is refused. A regular file is replaced atomically at every
 * interval; a non-regular output (terminal, FIFO, /dev/null) gets the final
 * report, written directly. Without an output the report goes nowhere.
 */
int nasoone_set_output(struct nasoone *n, const char *path);
int nasoone_set_overwrite(struct nasoone *n, bool overwrite);
/* Report interval in seconds, > 0 (default 10). */
int nasoone_set_timeout(struct nasoone *n, unsigned int seconds);
/* The report's format: the text below (default), CSV (RFC 4180, with a header), or JSON Lines. */
enum nasoone_format {
	NASOONE_FORMAT_NASOONE, /* "a; b; c" rows under the header line, as since the first version
				 */
	NASOONE_FORMAT_CSV,
	NASOONE_FORMAT_JSON,
};
int nasoone_set_format(struct nasoone *n, enum nasoone_format format);
/*
 * Expiry, in seconds, 0 = never: a row ends after idle_s without a packet,
 * or active_s after its first packet (a new row starts with the next
 * packet). Defaults: 60 and 300 on an interface (nfpcapd's), never for a
 * file. Time is the wall clock live, the capture's clock for a file.
 */
int nasoone_set_expiry(struct nasoone *n, unsigned int idle_s, unsigned int active_s);
/*
 * Most rows kept in memory, 0 = no limit. At the cap the rows idle
 * longest end first (NASOONE_END_EVICTED), and the report is finished and a
 * new one begun. Default: 1000000 on an interface, no limit for a file.
 */
int nasoone_set_max_flows(struct nasoone *n, uint64_t max_flows);
/*
 * Report rotation (tcpdump's -G): every seconds, every row ends
 * (NASOONE_END_FORCED), the report is finished and a new one begun; the
 * output name is then a strftime(3) pattern of the period's start. 0 = off.
 */
int nasoone_set_rotation(struct nasoone *n, unsigned int seconds);
/*
 * Counting threads, at most 64. 0 (the default): reading packets (libpcap),
 * one per CPU the process may use besides the reader's, at least one; on
 * the eBPF path, one per online CPU. Reading a file (libpcap), never more
 * than that default: the reader and every counter are busy all along, and
 * more counters would only take turns on the same CPUs. The environment
 * variable NASOONE_CPUS (1 to 8192), when set, is the number of CPUs these
 * rules count instead of those the process may run on (any other value
 * fails nasoone_start() with NASOONE_EINVAL). nasoone_get_threads() says,
 * after start, how many run.
 */
int nasoone_set_threads(struct nasoone *n, unsigned int threads);
unsigned int nasoone_get_threads(struct nasoone *n);
/*
 * The capture path (default NASOONE_MODE_AUTO). A forced path that cannot
 * run is an error at start (NASOONE_EMODE, NASOONE_EPERM), never a silent
 * fallback. nasoone_get_path() says, after start, which path runs and why.
 */
int nasoone_set_mode(struct nasoone *n, enum nasoone_mode mode);
const char *nasoone_get_path(struct nasoone *n);
/*
 * eBPF tuning, 0 keeps a default: entries of each CPU's flow map (65536),
 * bytes of the overflow ring (4 MiB), drain period in ms (half the interval).
 */
int nasoone_set_bpf_tuning(struct nasoone *n, uint32_t flows_per_cpu, uint32_t ring_bytes,
			   unsigned int drain_ms);
/*
 * Promiscuous mode (default on, as libpcap and tcpdump): on every path, the
 * eBPF one holding it through a packet socket like libpcap does. false is
 * tcpdump's -p.
 */
int nasoone_set_promiscuous(struct nasoone *n, bool promiscuous);
/*
 * libpcap's capture buffer in bytes, below 2 GiB (tcpdump's -B, in KiB there), 0: the
 * default (32 MiB). The eBPF path has none: a forced xdp/tc mode refuses it
 * (NASOONE_EMODE at start), auto mode ignores it there and says so in
 * nasoone_get_path().
 */
int nasoone_set_buffer_size(struct nasoone *n, size_t bytes);
/*
 * Stop reading after this many packets passed the filter (tcpdump's -c),
 * 0: no limit; the capture then becomes FINISHED as at the end of a file.
 * Only the libpcap path stops exactly: auto mode takes it for such a run,
 * a forced xdp/tc mode refuses it (NASOONE_EMODE at start).
 */
int nasoone_set_packet_limit(struct nasoone *n, uint64_t packets);
/*
 * Drop privileges in nasoone_start(), once the capture is open (eBPF
 * attached, libpcap activated) and before the report file is created and
 * the threads start: the uid and primary gid of user (tcpdump's -Z), no
 * supplementary groups, no-new-privs, and only the capabilities the rest
 * of the run needs in every set (none; CAP_NET_ADMIN when TC went through
 * netlink cls_bpf, to detach it; CAP_BPF before Linux 6.5). user NULL:
 * "nasoone" if that user exists, else "nobody", when running as root (not
 * root: the user stays, the capabilities go). The report is rewritten by
 * rename() in its directory, so the user must be able to write there: a
 * named user who cannot makes start fail (NASOONE_EPRIVS, nothing created);
 * the default user who cannot leaves uid 0, without capabilities.
 * nasoone_get_privileges() says what was left. Default: no drop.
 */
int nasoone_set_privilege_drop(struct nasoone *n, bool drop, const char *user);
/* After start: "uid 65534 (nobody), gid 65534, capabilities: none", "" without a drop. */
const char *nasoone_get_privileges(struct nasoone *n);
/* A pcap-filter(7) expression; NULL or "" clears it. Checked at once. */
int nasoone_set_filter(struct nasoone *n, const char *expression);

int nasoone_start(struct nasoone *n);
int nasoone_pause(struct nasoone *n);
int nasoone_resume(struct nasoone *n);
/*
 * Join every thread, write the final report, fill stats (may be NULL).
 * NASOONE_EOUTPUT when the report could not be written; else the error
 * that ended reading early (NASOONE_ECORRUPT, NASOONE_ECAPTURE,
 * NASOONE_ENOMEM, as nasoone_get_error()) with the rows read before it
 * written; else 0. The state is STOPPED and stats filled in every case.
 */
int nasoone_stop(struct nasoone *n, struct nasoone_stats *stats);
/*
 * Block until the capture is FINISHED or timeout_ms passed (-1: no limit).
 * 0 when finished, NASOONE_ETIMEDOUT otherwise, NASOONE_ESTATE when not running.
 */
int nasoone_wait(struct nasoone *n, int timeout_ms);

enum nasoone_state nasoone_get_state(struct nasoone *n);
/* Packets counted so far; safe from any thread, one atomic load per thread. */
uint64_t nasoone_get_packets(struct nasoone *n);
int nasoone_get_stats(struct nasoone *n, struct nasoone_stats *stats);
int nasoone_get_progress(struct nasoone *n, struct nasoone_progress *progress);
/*
 * The error that ended reading (NASOONE_ECORRUPT, NASOONE_ECAPTURE) or 0.
 * The rows counted before it are kept and written.
 */
int nasoone_get_error(struct nasoone *n);

/*
 * ---- Flows in memory ----
 *
 * A row as the library hands it out: the report's fields, in the layout of
 * the library's own rows (so that a snapshot is a copy, not a conversion).
 * A row is a directional 4-tuple and its protocol (as an IPFIX flow key):
 * a 4-tuple that carries TCP and UDP is two rows in memory, which the
 * report merges into one.
 */
#define NASOONE_PROTO_TCP 0x1
#define NASOONE_PROTO_UDP 0x2
/* The 4-tuple has a row of the other protocol too (the report merges the two). */
#define NASOONE_PROTO_TWIN 0x4

/* Why a row ended: IPFIX flowEndReason (RFC 7012, IE 136) values. */
enum nasoone_end_reason {
	NASOONE_END_LIVE = 0,	 /* not ended: a row of a snapshot */
	NASOONE_END_IDLE = 1,	 /* no packet for the idle timeout */
	NASOONE_END_ACTIVE = 2,	 /* the active timeout since its first packet */
	NASOONE_END_FORCED = 4,	 /* stop, rotation or nasoone_flush() */
	NASOONE_END_EVICTED = 5, /* the row cap was reached */
};

struct nasoone_flow {
	uint8_t saddr[16]; /* IPv4 as v4-mapped ::ffff:a.b.c.d */
	uint8_t daddr[16];
	uint16_t sport; /* network byte order, as on the wire: ntohs() for the number */
	uint16_t dport;
	uint8_t family;	    /* 4 or 6 */
	uint8_t end_reason; /* enum nasoone_end_reason */
	uint8_t protocol;   /* IP protocol, 6 (TCP) or 17 (UDP): part of the key */
	uint8_t reserved;
	uint64_t first_ms; /* ms since the epoch (truncated), first and last packet */
	uint64_t last_ms;
	uint64_t bytes; /* frame lengths, as in the report */
	uint64_t packets;
	uint32_t protos; /* NASOONE_PROTO_* bits: the bit of protocol */
	uint32_t reserved2;
	uint64_t ip_bytes; /* IP octets (IP header and payload), IPFIX's octetDeltaCount */
};

/* All live rows at one moment, with the statistics of that moment. */
struct nasoone_snapshot {
	uint64_t generation; /* grows by one with every snapshot of this capture */
	uint64_t clock_ms;   /* the counting clock: wall time live, capture time for a file */
	struct nasoone_stats stats;
	size_t count;
	const struct nasoone_flow *flows; /* in no particular order: see nasoone_sort_flows() */
};

/*
 * Take a snapshot of the live rows while counting goes on: each counter
 * copies its rows in short steps between batches (never more than a few
 * hundred microseconds away from counting), so the copy of one counter is
 * consistent at one instant. On the eBPF path rows reach userspace at
 * every drain. Allowed while running, paused or finished; free with
 * nasoone_snapshot_free(). Any thread.
 */
int nasoone_snapshot(struct nasoone *n, struct nasoone_snapshot **snapshot);
void nasoone_snapshot_free(struct nasoone_snapshot *snapshot);
/* Sort rows in the report's order (first, source ip with IPv4 first, ports, destination). */
void nasoone_sort_flows(struct nasoone_flow *flows, size_t count);
/*
 * One row as a string in a format, newline included (a row that ended
 * says why in JSON: "end"); its length, or NASOONE_EINVAL when size < 512.
 */
int nasoone_format_flow(char *buf, size_t size, const struct nasoone_flow *flow,
			enum nasoone_format format);
/*
 * End every live row now (NASOONE_END_FORCED): consumers receive them as
 * expired records, then on_flush. Counting goes on. Running or paused.
 */
int nasoone_flush(struct nasoone *n);

/*
 * A consumer of rows: the report file is one, and so can be a program
 * linking libnasoone. Every callback is optional and runs on the
 * library's consumer thread, one consumer after the other, never on a
 * counting thread: a slow consumer delays the other consumers, never the
 * counting. A callback returns 0, or a negative NASOONE_E* that ends the
 * capture as a failed output would (nasoone_get_error()).
 */
struct nasoone_consumer {
	const char *name; /* for error messages */
	void *ctx;
	/* Every interval (nasoone_set_timeout()): all live rows. Valid during the call. */
	int (*on_snapshot)(const struct nasoone_snapshot *snapshot, void *ctx);
	/* Rows that ended (expiry, cap, rotation, flush, stop), final: they leave memory. */
	int (*on_expired)(const struct nasoone_flow *flows, size_t count, void *ctx);
	/* A flush ended: every row live at it came through on_expired. clock_ms: as in snapshots.
	 */
	int (*on_flush)(uint64_t clock_ms, void *ctx);
	/* The capture stopped: the last rows came (after a last flush); nothing follows. */
	int (*on_close)(const struct nasoone_stats *stats, void *ctx);
	/* Optional: a one-line detail of the consumer's last failure, for nasoone_last_error(). */
	const char *(*last_error)(void *ctx);
	/*
	 * Optional, a fast feed (alerts): every changes_ms (0: 100), the rows
	 * that are new or changed since the last call, with their totals at
	 * the moment of the copy; a row comes again once it changes again.
	 * Only changed rows are copied (each counter keeps a bit per row), so
	 * this is cheap when little changes. A row that ends comes through
	 * on_expired, perhaps without having come here. On the eBPF path rows
	 * change at each drain (nasoone_set_bpf_tuning()'s drain_ms).
	 */
	int (*on_changed)(const struct nasoone_flow *flows, size_t count, uint64_t clock_ms,
			  void *ctx);
	unsigned int changes_ms;
};
/* Add a consumer (INITIAL only; copied, up to 16). */
int nasoone_add_consumer(struct nasoone *n, const struct nasoone_consumer *consumer);

/* One counted packet, as a per-packet view prints it (libpcap path only). */
struct nasoone_packet {
	uint64_t ts_us;	   /* capture time, microseconds since the epoch */
	uint32_t len;	   /* on the wire */
	uint8_t family;	   /* 4 or 6 */
	uint8_t l4proto;   /* 6 (TCP) or 17 (UDP) */
	uint8_t tcp_flags; /* TCP: FIN 0x01 SYN 0x02 RST 0x04 PSH 0x08 ACK 0x10 URG 0x20 */
	uint8_t has_l4;	   /* the transport header was captured (not a later fragment) */
	uint8_t saddr[16]; /* as in struct nasoone_flow */
	uint8_t daddr[16];
	uint16_t sport, dport; /* host byte order */
	uint32_t seq, ack;     /* TCP */
	uint16_t udp_len;      /* UDP: its length field */
};
/*
 * Call fn for every counted packet, on the reading thread, before it is
 * counted: a slow fn slows counting (and, live, drops packets). INITIAL
 * only; NULL clears it. The eBPF path counts in the kernel without copying
 * packets: nasoone_start() then fails with NASOONE_EMODE.
 */
int nasoone_set_packet_callback(struct nasoone *n,
				void (*fn)(const struct nasoone_packet *packet, void *ctx),
				void *ctx);

/* A static description of a NASOONE_E* code. */
const char *nasoone_strerror(int error);
/* One line about the last failure on n: what failed, on what, what to do. */
const char *nasoone_last_error(struct nasoone *n);

/* Capture devices that have an IPv4 or IPv6 address, and "any"; with descriptions (may be ""). */
struct nasoone_device {
	char *name;
	char *description;
};
int nasoone_list_devices(struct nasoone_device **devices, size_t *count);
void nasoone_free_devices(struct nasoone_device *devices, size_t count);
/* The first device with an IPv4 or IPv6 address that is up and not loopback. */
int nasoone_default_device(char *name, size_t size);

/*
 * Filter builder: each call adds one term; terms of the same kind are
 * or-ed, kinds are and-ed. nasoone_filter_expression() returns the
 * pcap-filter expression (owned by the builder, valid until it changes).
 */
enum nasoone_filter_proto {
	NASOONE_FILTER_ANY,
	NASOONE_FILTER_TCP,
	NASOONE_FILTER_UDP,
};
struct nasoone_filter;
struct nasoone_filter *nasoone_filter_new(void);
void nasoone_filter_free(struct nasoone_filter *f);
int nasoone_filter_add_host(struct nasoone_filter *f, const char *address);
int nasoone_filter_add_src_host(struct nasoone_filter *f, const char *address);
int nasoone_filter_add_dst_host(struct nasoone_filter *f, const char *address);
int nasoone_filter_set_proto(struct nasoone_filter *f, enum nasoone_filter_proto proto);
int nasoone_filter_add_port(struct nasoone_filter *f, uint16_t port);
int nasoone_filter_add_src_port(struct nasoone_filter *f, uint16_t port);
int nasoone_filter_add_dst_port(struct nasoone_filter *f, uint16_t port);
const char *nasoone_filter_expression(struct nasoone_filter *f);

#ifdef __cplusplus
}
#endif

#endif /* NASOONE_H */
