/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What the fuzz targets share: a broken promise is a crash (abort), so
 * libFuzzer keeps the input that shows it, with the line that failed.
 */
#ifndef NASOONE_FUZZ_H
#define NASOONE_FUZZ_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define FUZZ_FAIL(...)                                                                             \
	do {                                                                                       \
		fprintf(stderr, "%s:%d: ", __FILE__, __LINE__);                                    \
		fprintf(stderr, __VA_ARGS__);                                                      \
		fputc('\n', stderr);                                                               \
		abort();                                                                           \
	} while (0)

#define FUZZ_CHECK(cond)                                                                           \
	do {                                                                                       \
		if (!(cond))                                                                       \
			FUZZ_FAIL("check failed: %s", #cond);                                      \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* fuzz_parse: the first byte of an input picks one of these link types: every one
 * packet.c handles, and one it does not (802.11). */
static const int fuzz_linktypes[] = { 1, 113, 276, 0, 108, 12, 14, 101, 228, 229, 105 };
#define FUZZ_NLINKTYPES (sizeof(fuzz_linktypes) / sizeof(fuzz_linktypes[0]))

/*
 * fuzz_cbpf's inputs: a flags byte (FUZZ_CBPF_TCX_NEXT: TC's pass verdict
 * is TCX_NEXT, else TC_ACT_OK), a packet of the big-endian 16-bit length
 * that follows (as many bytes as there are, at most FUZZ_CBPF_MAX_PKT),
 * then classic instructions of FUZZ_CBPF_INSN bytes: an index into
 * fuzz_cbpf_codes (FUZZ_CBPF_RAW_CODE: the code is the upper half of k, k
 * its lower half), jt, jf, a mode byte and k in big endian. Jump offsets
 * are taken modulo the instructions left, so that most programs are valid,
 * unless the mode has FUZZ_CBPF_RAW_JUMPS. FUZZ_CBPF_SMALL_K keeps the low
 * 6 bits of k, FUZZ_CBPF_WRAP_K makes it 2^32 - 1 minus those: the edges
 * (shift counts, short offsets, wrapping sums) a random k seldom hits.
 */
#define FUZZ_CBPF_TCX_NEXT  0x01
#define FUZZ_CBPF_MAX_PKT   1514
#define FUZZ_CBPF_INSN	    8
#define FUZZ_CBPF_MAX_INSNS 256
#define FUZZ_CBPF_RAW_JUMPS 0x80
#define FUZZ_CBPF_SMALL_K   0x40
#define FUZZ_CBPF_WRAP_K    0x20

/* Every opcode libpcap's bpf_validate() knows. */
static const uint16_t fuzz_cbpf_codes[] = {
	0x06, 0x16,				  /* ret #k, ret a */
	0x20, 0x28, 0x30, 0x80, 0x81,		  /* ld [k] w/h/b, ld #len, ldx #len */
	0x40, 0x48, 0x50, 0xb1, 0x00, 0x01,	  /* ld [x+k] w/h/b, ldx msh, ld #k, ldx #k */
	0x60, 0x61, 0x02, 0x03,			  /* ld M[k], ldx M[k], st, stx */
	0x05, 0x15, 0x25, 0x35, 0x45,		  /* ja, jeq/jgt/jge/jset #k */
	0x1d, 0x2d, 0x3d, 0x4d,			  /* jeq/jgt/jge/jset x */
	0x04, 0x14, 0x24, 0x34, 0x94, 0x54, 0x44, /* add sub mul div mod and or #k */
	0xa4, 0x64, 0x74,			  /* xor lsh rsh #k */
	0x0c, 0x1c, 0x2c, 0x3c, 0x9c, 0x5c, 0x4c, /* the same with x */
	0xac, 0x6c, 0x7c, 0x84, 0x07, 0x87,	  /* xor lsh rsh x, neg, tax, txa */
};
#define FUZZ_CBPF_NCODES   (sizeof(fuzz_cbpf_codes) / sizeof(fuzz_cbpf_codes[0]))
#define FUZZ_CBPF_RAW_CODE FUZZ_CBPF_NCODES

#endif /* NASOONE_FUZZ_H */
