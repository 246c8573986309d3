/* SPDX-License-Identifier: GPL-2.0-only */
/* Replay mode of the eBPF source: captured frames through the program with BPF_PROG_TEST_RUN. */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <string.h>

#include "capture/bpf_src_impl.h"
#include "nasoone.skel.h"
#include "nasoone/parse.h"

#define REPLAY_MIN_FRAME 14 /* BPF_PROG_TEST_RUN wants at least an Ethernet header */
/*
 * BPF_PROG_TEST_RUN builds a TC skb in one page (4096 bytes less headroom
 * and shared info), so longer frames are replayed cut to this size; their
 * length still comes from the capture (replay_len), and the headers that
 * decide the flow are far shorter.
 */
#define REPLAY_TC_MAX_FRAME 3072

/* Captures of other link types are replayed as Ethernet frames carrying the same IP packet. */
static size_t as_ethernet(const struct packet *p, uint8_t *frame, size_t size)
{
	size_t hdr = 0, len;
	uint16_t ethertype = 0;
	const uint8_t *d = p->data;

	switch (p->linktype) {
	case 1:
		len = p->caplen < size ? p->caplen : size;
		memcpy(frame, d, len);
		return len;
	case 113: /* SLL: protocol at 14 */
	case 276: /* SLL2: protocol at 0 */
		hdr = p->linktype == 113 ? 16 : 20;
		if (p->caplen >= hdr)
			ethertype = (uint16_t)(d[p->linktype == 113 ? 14 : 0] << 8 |
					       d[p->linktype == 113 ? 15 : 1]);
		break;
	case 0:
	case 108: /* BSD loopback: a 4-byte family in either byte order */
		hdr = 4;
		if (p->caplen >= 4) {
			uint32_t be = (uint32_t)d[0] << 24 | d[1] << 16 | d[2] << 8 | d[3];
			uint32_t le = (uint32_t)d[3] << 24 | d[2] << 16 | d[1] << 8 | d[0];
			uint32_t fam = p->linktype == 108 || be < 256 ? be : le;

			ethertype = fam == 2				    ? 0x0800
				    : (fam == 24 || fam == 28 || fam == 30) ? 0x86dd
									    : 0;
		}
		break;
	case 12:
	case 14:
	case 101:
	case 228:
	case 229:
		if (p->caplen >= 1)
			ethertype = p->linktype == 228	 ? 0x0800
				    : p->linktype == 229 ? 0x86dd
				    : (d[0] >> 4) == 4	 ? 0x0800
				    : (d[0] >> 4) == 6	 ? 0x86dd
							 : 0;
		break;
	default:
		break; /* nothing counts: an empty ethertype makes the program skip it */
	}
	memset(frame, 0, 14);
	frame[12] = (uint8_t)(ethertype >> 8);
	frame[13] = (uint8_t)ethertype;
	len = p->caplen > hdr ? p->caplen - hdr : 0;
	if (len > size - 14)
		len = size - 14;
	memcpy(frame + 14, d + hdr, len);
	return 14 + len;
}

int bpf_src_replay(struct bpf_src *b, const struct packet *p)
{
	static __thread uint8_t frame[262144 + 64];
	struct bpf_program *prog = b->mode == BPF_SRC_XDP ? b->skel->progs.nasoone_xdp
							  : b->skel->progs.nasoone_tc_ingress;
	size_t len = as_ethernet(p, frame, sizeof(frame));
	LIBBPF_OPTS(bpf_test_run_opts, run, .data_in = frame, .repeat = 1);

	if (b->mode == BPF_SRC_TC && len > REPLAY_TC_MAX_FRAME)
		len = REPLAY_TC_MAX_FRAME;
	if (len < REPLAY_MIN_FRAME) {
		memset(frame + len, 0, REPLAY_MIN_FRAME - len);
		len = REPLAY_MIN_FRAME;
	}
	run.data_size_in = (__u32)len;
	/* The capture's time and wire length, instead of the clock and the copy's length. */
	b->skel->bss->replay_ts_ms = p->ts_ms;
	b->skel->bss->replay_len = p->len;
	if (bpf_prog_test_run_opts(bpf_program__fd(prog), &run)) {
		int err = -errno;
		struct nn_pkt pkt;

		/*
		 * The TC test run refuses some frames cut inside the IP header.
		 * Such a frame cannot count anywhere; count it as the program
		 * would (seen and skipped), after checking with the parser.
		 */
		if (err == -EINVAL && b->mode == BPF_SRC_TC && packet_parse(p, &pkt) < 0) {
			b->replay_refused++;
			return 0;
		}
		return err;
	}
	return 0;
}
