// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target: capture files as the library reads them. The input is
 * written to a memfd and opened by path (/proc/self/fd/N), a regular file
 * to the readers, so classic pcap goes through the mapped reader, pcapng
 * through libpcap, gzip'd files through zlib, each as source_open_file()
 * picks. Every frame handed over is read whole and parsed. Then the same
 * bytes go through the project's own pcapng reader (the one a file with
 * mixed link types ends in), through the input layer as well, and, gzip'd
 * by the target, through the source again: mutated bytes seldom stay a
 * valid deflate stream, so the fuzzer's own gzip inputs stop at zlib.
 *
 * Inputs of odd length are opened with a filter (even ones when gzip'd),
 * which compiles per link type: that path is fuzzed too, and the parity is
 * easy for the fuzzer to flip.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <zlib.h>

#include "capture/input.h"
#include "capture/packet.h"
#include "capture/pcapng.h"
#include "capture/source.h"
#include "nasoone/parse.h"

#include "fuzz.h"

/* Enough to see a reader loop; a gzip bomb must not make one input take minutes. */
#define MAX_FRAMES 100000

/* A memfd and the path the readers open it by. */
struct memfile {
	int fd;
	char path[64];
};

static struct memfile plain = { -1, "" }, zipped = { -1, "" };
static volatile uint8_t sink;

/* data as the content of f, from its first byte. */
static void load(struct memfile *f, const uint8_t *data, size_t size)
{
	size_t done = 0;

	if (f->fd < 0) {
		f->fd = memfd_create("nasoone-fuzz", MFD_CLOEXEC);
		FUZZ_CHECK(f->fd >= 0);
		snprintf(f->path, sizeof(f->path), "/proc/self/fd/%d", f->fd);
	}
	FUZZ_CHECK(ftruncate(f->fd, 0) == 0);
	while (done < size) {
		ssize_t n = pwrite(f->fd, data + done, size - done, (off_t)done);

		FUZZ_CHECK(n > 0);
		done += (size_t)n;
	}
}

/*
 * The input gzip'd (fast level): the fuzzer's bytes then reach the readers
 * through zlib, and the classic reader through its buffered (unmapped) path.
 */
static void load_gzipped(const uint8_t *data, size_t size)
{
	static uint8_t *out;
	static size_t cap;
	z_stream z = { 0 };
	size_t bound;

	FUZZ_CHECK(deflateInit2(&z, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) == Z_OK);
	bound = deflateBound(&z, (uLong)size);
	if (bound > cap) {
		free(out);
		out = malloc(bound);
		FUZZ_CHECK(out);
		cap = bound;
	}
	z.next_in = (Bytef *)data;
	z.avail_in = (uInt)size;
	z.next_out = out;
	z.avail_out = (uInt)cap;
	FUZZ_CHECK(deflate(&z, Z_FINISH) == Z_STREAM_END);
	load(&zipped, out, z.total_out);
	deflateEnd(&z);
}

/* Touch every byte of the frame and parse it: ASan or a fault tells a bad frame. */
static void consume(const struct packet *p)
{
	struct nn_pkt pkt;
	uint8_t x = 0;

	FUZZ_CHECK(p->caplen <= CAPLEN_MAX);
	FUZZ_CHECK(p->caplen == 0 || p->data);
	for (uint32_t i = 0; i < p->caplen; i++)
		x ^= p->data[i];
	sink = x;
	packet_parse(p, &pkt);
}

static void through_source(const char *path, const char *filter)
{
	struct source_counters c;
	struct source *s;
	struct packet p;
	uint64_t pos, size, frames = 0;
	char err[1024];
	int ret;

	ret = source_open_file(&s, path, filter, err, sizeof(err));
	if (ret) {
		FUZZ_CHECK(ret < 0 && !s && err[0]);
		return;
	}
	while (frames < MAX_FRAMES && (ret = source_next(s, &p)) == 1) {
		consume(&p);
		frames++;
	}
	if (frames < MAX_FRAMES) {
		FUZZ_CHECK(ret == -ENODATA || ret == -EBADMSG || ret == -EIO || ret == -EINVAL ||
			   ret == -ENOMEM);
		if (ret != -ENODATA)
			FUZZ_CHECK(source_error(s)[0]);
	}
	source_counters(s, &c);
	/* Every frame received is delivered or filtered; one whose link type the filter does
	 * not compile for (-EINVAL) ends the read unreceived, like a damaged record. */
	FUZZ_CHECK(c.filtered <= c.received && c.received - c.filtered == frames);
	source_progress(s, &pos, &size);
	source_close(s);
}

static void through_pcapng(const char *path)
{
	struct input_file in;
	struct pcapng_reader *r;
	struct packet p;
	uint64_t frames = 0;
	char err[1024];
	FILE *fp;
	int ret = 0;

	if (input_open(&in, path))
		return;
	fp = input_stream(&in);
	FUZZ_CHECK(fp);
	r = pcapng_open(fp, err, sizeof(err));
	if (r) {
		while (frames < MAX_FRAMES && (ret = pcapng_next(r, &p, err, sizeof(err))) == 1) {
			consume(&p);
			frames++;
		}
		FUZZ_CHECK(frames == MAX_FRAMES || ret <= 0);
		pcapng_close(r);
	}
	input_close(&in);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	load(&plain, data, size);
	through_source(plain.path, size % 2 ? "greater 1" : NULL);
	through_pcapng(plain.path);
	load_gzipped(data, size);
	through_source(zipped.path, size % 2 ? NULL : "greater 1");
	return 0;
}
