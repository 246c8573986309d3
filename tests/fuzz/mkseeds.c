// SPDX-License-Identifier: GPL-2.0-only
/*
 * Seed corpora for the fuzz targets, from the captures pcapgen writes:
 *
 *   mkseeds parse DIR FILE...  one seed per distinct frame: its link type's
 *                              index in fuzz_linktypes, then the frame
 *   mkseeds cbpf DIR FILE...   expressions compiled by libpcap for Ethernet,
 *                              each with a few distinct Ethernet frames
 *
 * (fuzz_file's seeds are the capture files themselves.) Seeds are named
 * by a hash of their bytes, so reruns give the same corpus.
 */
#include <errno.h>
#include <pcap/pcap.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

#define MAX_FRAMES  4096
#define FILE_FRAMES 256 /* distinct frames taken from one capture */

struct frame {
	int linktype;
	uint32_t len;
	uint8_t *data;
};

static struct frame frames[MAX_FRAMES];
static size_t nframes;

/* Expressions that give libpcap's code generator a wide range of shapes. */
static const char *const exprs[] = {
	"",
	"tcp",
	"udp",
	"ip",
	"ip6",
	"arp",
	"not ip",
	"vlan",
	"vlan 10 and udp",
	"vlan and vlan and tcp",
	"host 10.0.0.1",
	"src net 192.168.0.0/16 or dst port 22",
	"net 2001:db8::/32",
	"port 53",
	"portrange 1000-2000",
	"tcp and not port 22",
	"(tcp or udp) and port 443",
	"ip[8] = 64",
	"ip[6:2] & 0x1fff != 0",
	"tcp[tcpflags] & tcp-syn != 0",
	"tcp[((tcp[12:1] & 0xf0) >> 2):4] = 0x47455420",
	"icmp[icmptype] = icmp-echo",
	"icmp6",
	"ether host 00:11:22:33:44:55",
	"ether broadcast",
	"ether multicast",
	"greater 100",
	"less 64",
	"len - 14 > 100",
	"len >> ip[0] = 0",
	"ip[2:2] % 7 = 3",
	"ip[2:2] / 4 > 100",
	"-ip[8] = -64",
	"ip[0] ^ ip[1] = 0x45",
	"ip[0] * ip[8] > 1000",
	"ip[2:2] & ip[6:2] != 0",
	"ip6 and udp port 53",
	"ip6[6] = 17",
	"mpls and ip",
	"pppoes and tcp",
	"geneve",
	"ip and udp and dst port 4789",
	"sctp",
	"ip proto 47",
	"ether[1500:4] != 0",
	"ip host 10.0.0.1 and ip host 10.0.0.2",
	"not (host 10.0.0.1 or host 2001:db8::1) and (tcp or udp)",
};

static uint64_t fnv1a(const uint8_t *p, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < len; i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	return h;
}

static int write_seed(const char *dir, const uint8_t *data, size_t len)
{
	char path[4096];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%016llx", dir, (unsigned long long)fnv1a(data, len));
	fp = fopen(path, "wb");
	if (!fp || fwrite(data, 1, len, fp) != len || fclose(fp)) {
		fprintf(stderr, "mkseeds: cannot write %s: %s\n", path, strerror(errno));
		return -1;
	}
	return 0;
}

static bool known(const struct frame *f)
{
	for (size_t i = 0; i < nframes; i++)
		if (frames[i].linktype == f->linktype && frames[i].len == f->len &&
		    !memcmp(frames[i].data, f->data, f->len))
			return true;
	return false;
}

/* The distinct frames of the files that libpcap reads (up to its first error). */
static void read_frames(char **files, int n)
{
	char errbuf[PCAP_ERRBUF_SIZE];

	for (int i = 0; i < n; i++) {
		pcap_t *p = pcap_open_offline(files[i], errbuf);
		struct pcap_pkthdr *h;
		const u_char *data;
		size_t first = nframes;

		if (!p)
			continue; /* damaged on purpose: fuzz_file has them */
		while (nframes < MAX_FRAMES && nframes - first < FILE_FRAMES &&
		       pcap_next_ex(p, &h, &data) == 1) {
			struct frame f = { pcap_datalink(p), h->caplen, (uint8_t *)data };

			if (known(&f))
				continue;
			f.data = malloc(f.len ? f.len : 1);
			if (!f.data)
				exit(1);
			memcpy(f.data, data, f.len);
			frames[nframes++] = f;
		}
		pcap_close(p);
	}
}

static int parse_seeds(const char *dir)
{
	uint8_t buf[1 + 65536];
	int written = 0;

	for (size_t i = 0; i < nframes; i++) {
		size_t lt, len = frames[i].len < 65536 ? frames[i].len : 65536;

		for (lt = 0; lt < FUZZ_NLINKTYPES; lt++)
			if (fuzz_linktypes[lt] == frames[i].linktype)
				break;
		if (lt == FUZZ_NLINKTYPES)
			continue;
		buf[0] = (uint8_t)lt;
		memcpy(buf + 1, frames[i].data, len);
		if (write_seed(dir, buf, 1 + len))
			return 1;
		written++;
	}
	printf("mkseeds: %d parser seeds in %s\n", written, dir);
	return 0;
}

/* One seed: flags, packet, then the program in fuzz_cbpf's encoding. */
static int cbpf_seed(const char *dir, const struct bpf_program *prog, const struct frame *f,
		     uint8_t flags)
{
	size_t plen = f->len < FUZZ_CBPF_MAX_PKT ? f->len : FUZZ_CBPF_MAX_PKT;
	size_t n = prog->bf_len, len = 3 + plen + n * FUZZ_CBPF_INSN;
	uint8_t *buf = malloc(len), *p;
	int ret;

	if (!buf)
		return -1;
	buf[0] = flags;
	buf[1] = (uint8_t)(plen >> 8);
	buf[2] = (uint8_t)plen;
	memcpy(buf + 3, f->data, plen);
	p = buf + 3 + plen;
	for (size_t i = 0; i < n; i++, p += FUZZ_CBPF_INSN) {
		const struct bpf_insn *in = &prog->bf_insns[i];
		size_t c;

		for (c = 0; c < FUZZ_CBPF_NCODES; c++)
			if (fuzz_cbpf_codes[c] == in->code)
				break;
		p[0] = (uint8_t)c; /* an unknown code would come out as a raw one */
		p[1] = in->jt;
		p[2] = in->jf;
		p[3] = 0;
		p[4] = (uint8_t)(in->k >> 24);
		p[5] = (uint8_t)(in->k >> 16);
		p[6] = (uint8_t)(in->k >> 8);
		p[7] = (uint8_t)in->k;
	}
	ret = write_seed(dir, buf, len);
	free(buf);
	return ret;
}

static int cbpf_seeds(const char *dir)
{
	pcap_t *dead = pcap_open_dead(DLT_EN10MB, 262144);
	size_t eth[MAX_FRAMES], neth = 0;
	int written = 0;

	for (size_t i = 0; i < nframes; i++)
		if (frames[i].linktype == DLT_EN10MB && frames[i].len >= 14)
			eth[neth++] = i;
	if (!dead || !neth) {
		fprintf(stderr, "mkseeds: no Ethernet frames for the cBPF seeds\n");
		return 1;
	}
	for (size_t e = 0; e < sizeof(exprs) / sizeof(exprs[0]); e++) {
		struct bpf_program prog;

		if (pcap_compile(dead, &prog, exprs[e], 1, PCAP_NETMASK_UNKNOWN)) {
			fprintf(stderr, "mkseeds: \"%s\": %s\n", exprs[e], pcap_geterr(dead));
			return 1;
		}
		if (prog.bf_len > FUZZ_CBPF_MAX_INSNS) {
			pcap_freecode(&prog);
			continue;
		}
		/* A few frames spread over the set, both TC pass verdicts. */
		for (size_t k = 0; k < 4; k++) {
			const struct frame *f =
				&frames[eth[(e * 7919 + k * (neth / 4 + 1)) % neth]];

			if (cbpf_seed(dir, &prog, f, (uint8_t)(k & 1)))
				return 1;
			written++;
		}
		pcap_freecode(&prog);
	}
	pcap_close(dead);
	printf("mkseeds: %d cBPF seeds in %s\n", written, dir);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 4 || (strcmp(argv[1], "parse") && strcmp(argv[1], "cbpf"))) {
		fputs("usage: mkseeds parse|cbpf DIR CAPTURE...\n", stderr);
		return 2;
	}
	read_frames(argv + 3, argc - 3);
	return !strcmp(argv[1], "parse") ? parse_seeds(argv[2]) : cbpf_seeds(argv[2]);
}
