// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target: the classic-BPF translator (user/capture/cbpf.c) as a
 * differential test. An input is a packet and a classic program (encoding
 * in fuzz.h). Every program goes through cbpf_translate() for XDP and TC,
 * valid or not (it must never misbehave). For the programs that libpcap's
 * bpf_validate() accepts, with opcodes its interpreter knows:
 *
 *   - the translation may refuse only what cbpf.h says it refuses (socket
 *     filter specials, backward jumps, constant shifts by 32 and more);
 *   - a translation must load (the verifier accepts it);
 *   - its verdict on the packet, and on shorter copies of it, run with
 *     BPF_PROG_TEST_RUN, equals pcap_offline_filter()'s.
 *
 * Programs that read a scratch word not written on every path before are
 * translated and loaded but not compared: libpcap 1.10.3 leaves that
 * memory uninitialized. The accept path tail-calls a program of this
 * target that returns a code no filter returns, as tests/unit/test_cbpf.c
 * does. Without the privilege to load BPF programs only the translation
 * is fuzzed. A load and a few test runs per context take well under a
 * millisecond, so the kernel runs every input.
 */
#include "capture/cbpf.h"
#include <pcap/pcap.h>

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nasoone/flow.h"

#include "fuzz.h"

#define XDP_PASS_CODE	2
#define XDP_ACCEPT_CODE 3  /* XDP_TX: only the accounting program returns it */
#define TC_ACCEPT_CODE	42 /* not a TC_ACT_* verdict */
#define TC_OK		0
#define TCX_NEXT	(-1)
#define ETH_LEN		14

struct ctxinfo {
	enum cbpf_ctx ctx;
	const char *name;
	int accept_code;
	int array_fd;
	int account_fd;
};

static struct ctxinfo cx[2] = {
	{ .ctx = CBPF_CTX_XDP, .name = "XDP", .accept_code = XDP_ACCEPT_CODE },
	{ .ctx = CBPF_CTX_TC, .name = "TC", .accept_code = TC_ACCEPT_CODE },
};
static bool can_load;

/* What the target did, printed now and then on stderr. */
static struct {
	unsigned long inputs, valid, refused, translated, loaded, compared, uncertain_mem;
} st;

static int test_run(int fd, const uint8_t *data, uint32_t len, uint32_t *retval)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = data, .data_size_in = len, .repeat = 1);

	if (bpf_prog_test_run_opts(fd, &opts))
		return -errno;
	*retval = opts.retval;
	return 0;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	for (int i = 0; i < 2; i++) {
		struct ebpf_insn account[] = {
			{ .code = BPF_ALU64 | BPF_MOV | BPF_K,
			  .dst_reg = BPF_REG_0,
			  .imm = cx[i].accept_code },
			{ .code = BPF_JMP | BPF_EXIT },
		};
		__u32 key = NN_PROG_ACCOUNT;
		char err[256];

		cx[i].array_fd =
			bpf_map_create(BPF_MAP_TYPE_PROG_ARRAY, "fuzz_cbpf", 4, 4, 2, NULL);
		cx[i].account_fd = cbpf_load(cx[i].ctx, account, 2, err, sizeof(err));
		if (cx[i].array_fd < 0 || cx[i].account_fd < 0) {
			fprintf(stderr,
				"fuzz_cbpf: cannot load BPF programs (%s): translation only\n",
				strerror(errno));
			return 0;
		}
		FUZZ_CHECK(!bpf_map_update_elem(cx[i].array_fd, &key, &cx[i].account_fd, BPF_ANY));
	}
	can_load = true;
	return 0;
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* The program of the input (n >= 1 instructions), or 0. */
static size_t decode(const uint8_t *p, size_t size, struct bpf_insn *prog)
{
	size_t n = size / FUZZ_CBPF_INSN;

	if (n > FUZZ_CBPF_MAX_INSNS)
		n = FUZZ_CBPF_MAX_INSNS;
	for (size_t i = 0; i < n; i++, p += FUZZ_CBPF_INSN) {
		size_t op = p[0] % (FUZZ_CBPF_NCODES + 1), left = n - i - 1;
		uint32_t k = be32(p + 4);

		if (p[3] & FUZZ_CBPF_SMALL_K)
			k &= 0x3f;
		else if (p[3] & FUZZ_CBPF_WRAP_K)
			k = UINT32_MAX - (k & 0x3f);

		prog[i].jt = p[1];
		prog[i].jf = p[2];
		if (!(p[3] & FUZZ_CBPF_RAW_JUMPS)) {
			prog[i].jt = left ? (uint8_t)(p[1] % left) : 0;
			prog[i].jf = left ? (uint8_t)(p[2] % left) : 0;
		}
		if (op == FUZZ_CBPF_RAW_CODE) {
			prog[i].code = (uint16_t)(k >> 16);
			prog[i].k = k & 0xffff;
		} else {
			prog[i].code = fuzz_cbpf_codes[op];
			prog[i].k = k;
		}
	}
	return n;
}

/*
 * libpcap 1.10.3's bpf_validate() checks an opcode's class and operation
 * but not its unused bits, which its interpreter does not accept (it
 * returns 0): a program libpcap accepts has only opcodes it knows too.
 */
static bool known_codes(const struct bpf_insn *prog, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		size_t c;

		for (c = 0; c < FUZZ_CBPF_NCODES; c++)
			if (fuzz_cbpf_codes[c] == prog[i].code)
				break;
		if (c == FUZZ_CBPF_NCODES)
			return false;
	}
	return true;
}

/*
 * Whether every scratch word read is written before on every path (jumps
 * only go forward in a translated program; a backward one refuses).
 */
static bool mem_defined(const struct bpf_insn *prog, size_t n)
{
	uint32_t in[FUZZ_CBPF_MAX_INSNS + 1];
	bool reached[FUZZ_CBPF_MAX_INSNS + 1] = { true };

	in[0] = 0;
	for (size_t i = 0; i < n; i++) {
		const struct bpf_insn *p = &prog[i];
		uint32_t out;
		size_t succ[2];
		int nsucc = 0;

		if (!reached[i])
			continue;
		if ((p->code == (BPF_LD | BPF_MEM) || p->code == (BPF_LDX | BPF_MEM)) &&
		    !(in[i] & (1u << p->k)))
			return false;
		out = in[i];
		if (p->code == BPF_ST || p->code == BPF_STX)
			out |= 1u << p->k;
		if (BPF_CLASS(p->code) == BPF_RET)
			continue;
		if (BPF_CLASS(p->code) != BPF_JMP) {
			succ[nsucc++] = i + 1;
		} else if (BPF_OP(p->code) == BPF_JA) {
			succ[nsucc++] = i + 1 + p->k;
		} else {
			succ[nsucc++] = i + 1 + p->jt;
			succ[nsucc++] = i + 1 + p->jf;
		}
		for (int s = 0; s < nsucc; s++) {
			if (succ[s] > n)
				return false; /* not a valid program */
			in[succ[s]] = reached[succ[s]] ? in[succ[s]] & out : out;
			reached[succ[s]] = true;
		}
	}
	return true;
}

/* What cbpf.h documents as refused, for a program libpcap accepts. */
static bool documented_refusal(const char *err)
{
	return strstr(err, "only for live captures") || strstr(err, "backward jump") ||
	       strstr(err, "constant shift by more than 31 bits");
}

/*
 * TC test runs refuse an untagged IPv4 or IPv6 frame shorter than its
 * fixed L3 header (the kernel reads addresses from it).
 */
static bool runnable(enum cbpf_ctx ctx, const uint8_t *pkt, uint32_t len)
{
	uint16_t type;

	if (len < ETH_LEN)
		return false;
	type = (uint16_t)(pkt[12] << 8 | pkt[13]);
	return ctx != CBPF_CTX_TC ||
	       (!(type == 0x0800 && len < ETH_LEN + 20) && !(type == 0x86dd && len < ETH_LEN + 40));
}

static void compare(struct ctxinfo *c, int fd, int pass, const struct bpf_program *prog,
		    const uint8_t *pkt, uint32_t len)
{
	struct pcap_pkthdr h = { .caplen = len, .len = len };
	bool want, got;
	uint32_t r = 0;
	int err;

	if (!runnable(c->ctx, pkt, len))
		return;
	err = test_run(fd, pkt, len, &r);
	FUZZ_CHECK(!err || err == -ENOMEM);
	if (err)
		return;
	if ((int)r != c->accept_code && (int)r != pass)
		FUZZ_FAIL("%s: the filter returned %d (accept %d, pass %d)", c->name, (int)r,
			  c->accept_code, pass);
	want = pcap_offline_filter(prog, &h, pkt) != 0;
	got = (int)r == c->accept_code;
	if (want != got)
		FUZZ_FAIL("%s on a %u-byte packet: libpcap %s, the translation %s", c->name, len,
			  want ? "accepts" : "rejects", got ? "accepts" : "rejects");
	st.compared++;
}

static void report(void)
{
	fprintf(stderr,
		"fuzz_cbpf: %lu inputs, %lu valid, %lu refused, %lu translations (%lu loaded), "
		"%lu verdicts compared, %lu not compared (scratch read before write)\n",
		st.inputs, st.valid, st.refused, st.translated, st.loaded, st.compared,
		st.uncertain_mem);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct bpf_insn insns[FUZZ_CBPF_MAX_INSNS];
	struct bpf_program prog = { .bf_insns = insns };
	const uint8_t *pkt;
	uint32_t plen;
	bool valid, comparable;

	if (size < 3)
		return 0;
	plen = (uint32_t)data[1] << 8 | data[2];
	if (plen > FUZZ_CBPF_MAX_PKT)
		plen = FUZZ_CBPF_MAX_PKT;
	if (plen > size - 3)
		plen = (uint32_t)(size - 3);
	pkt = data + 3;
	prog.bf_len = (u_int)decode(pkt + plen, size - 3 - plen, insns);
	if (!prog.bf_len)
		return 0;
	st.inputs++;
	valid = bpf_validate(insns, (int)prog.bf_len) && known_codes(insns, prog.bf_len);
	st.valid += valid;
	comparable = valid && mem_defined(insns, prog.bf_len);
	st.uncertain_mem += valid && !comparable;

	for (int i = 0; i < 2; i++) {
		struct ctxinfo *c = &cx[i];
		int pass = c->ctx == CBPF_CTX_XDP	  ? XDP_PASS_CODE
			   : data[0] & FUZZ_CBPF_TCX_NEXT ? TCX_NEXT
							  : TC_OK;
		struct ebpf_insn *out = NULL;
		size_t count = 0;
		char err[512];
		int ret, fd;

		ret = cbpf_translate(&prog, c->ctx, can_load ? c->array_fd : -1, pass, &out, &count,
				     err, sizeof(err));
		if (ret) {
			FUZZ_CHECK(ret == -EINVAL && err[0] && !out);
			if (valid && !documented_refusal(err))
				FUZZ_FAIL("%s: a program libpcap accepts was refused: %s", c->name,
					  err);
			st.refused++;
			continue;
		}
		FUZZ_CHECK(out && count > 0);
		st.translated++;
		if (!can_load) {
			free(out);
			continue;
		}
		fd = cbpf_load(c->ctx, out, count, err, sizeof(err));
		free(out);
		if (fd < 0 && fd != -ENOMEM)
			FUZZ_FAIL(
				"%s: the kernel refused a translation of %u instructions: %s (%s)",
				c->name, prog.bf_len, err, strerror(-fd));
		if (fd < 0)
			continue;
		st.loaded++;
		if (comparable) {
			/* The packet, and shorter copies: loads off the end must reject. */
			compare(c, fd, pass, &prog, pkt, plen);
			if (plen > ETH_LEN) {
				compare(c, fd, pass, &prog, pkt, ETH_LEN + (plen - ETH_LEN) / 2);
				compare(c, fd, pass, &prog, pkt, plen - 1);
			}
		}
		close(fd);
	}
	if (!(st.inputs & (st.inputs - 1)) && st.inputs >= 1024)
		report();
	return 0;
}
