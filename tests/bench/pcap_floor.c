/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The floor of the benchmark: a bare libpcap loop that reads every packet
 * of a file (pcap_next_ex) through a 128 KiB stdio buffer and does nothing
 * else. Prints "packets seconds".
 */
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define STDIO_BUFFER (128u << 10)

int main(int argc, char **argv)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *hdr;
	const u_char *data;
	struct timespec t0, t1;
	unsigned long long packets = 0, bytes = 0;
	char *buffer;
	pcap_t *p;
	FILE *fp;
	int ret;

	if (argc != 2) {
		fprintf(stderr, "usage: pcap_floor FILE.pcap\n");
		return 2;
	}
	fp = fopen(argv[1], "rb");
	buffer = malloc(STDIO_BUFFER);
	if (!fp || !buffer) {
		perror(argv[1]);
		return 1;
	}
	setvbuf(fp, buffer, _IOFBF, STDIO_BUFFER);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	p = pcap_fopen_offline(fp, errbuf);
	if (!p) {
		fprintf(stderr, "pcap_floor: %s: %s\n", argv[1], errbuf);
		return 1;
	}
	while ((ret = pcap_next_ex(p, &hdr, &data)) == 1) {
		packets++;
		bytes += data[0]; /* touch the packet, as any reader must */
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (ret == PCAP_ERROR)
		fprintf(stderr, "pcap_floor: %s: %s\n", argv[1], pcap_geterr(p));
	pcap_close(p);
	free(buffer);
	printf("%llu %.6f %llu\n", packets,
	       (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9,
	       bytes & 1);
	return ret == PCAP_ERROR;
}
