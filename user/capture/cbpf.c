/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Classic BPF to eBPF, for the in-kernel pcap filter (see cbpf.h).
 *
 * The translation keeps cBPF's machine: A in r7, X in r8 (32-bit values,
 * all arithmetic in ALU32/JMP32, which zero-extends), the context in r6,
 * the scratch memory M[0..15] on the stack. r6-r8 are callee-saved, so
 * helper calls (packet length, TC's slow loads) keep them. Each reachable
 * cBPF instruction becomes a short fixed sequence; jumps go through labels
 * (the cBPF instructions, ACCEPT and REJECT) that are resolved at the end.
 *
 * Packet loads follow bpf_filter(): out of bounds (or an offset X + k that
 * would wrap) means the filter returns 0, so the packet is rejected. The
 * check is the one the verifier understands: the offset is bounded by
 * 0xffff (the verifier's MAX_PACKET_OFF) first, then data + offset + size
 * is compared with data_end. data_end covers only the first buffer of a
 * multi-buffer XDP frame (the programs are xdp.frags) and only the linear
 * part of a TC skb, so a load beyond it falls back to bpf_xdp_load_bytes()
 * or bpf_skb_load_bytes(), which check against the whole packet: the same
 * packet libpcap would see.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture/cbpf.h"
#include <pcap/pcap.h>

#include "nasoone/flow.h"

#define REG_CTX BPF_REG_6
#define REG_A	BPF_REG_7
#define REG_X	BPF_REG_8

/* M[k] is the 32-bit word at r10 - 64 + 4k; TC's load buffer below it. */
#define MEM_OFF(k) (-64 + 4 * (int)(k))
#define BUF_OFF	   (-72)

/* The verifier gives no range to packet pointers beyond this offset. */
#define PKT_OFF_MAX 0xffff

/* Enough cBPF for the kernel's eBPF limit of 1M instructions, no more. */
#define CBPF_MAX_INSNS 1000000

/* Linux-only negative offsets of socket filters (SKF_LL_OFF and up). */
#define SKF_SPECIAL_MIN 0xffe00000u
#define SKF_NET_MIN	0xfff00000u
#define SKF_AD_MIN	0xfffff000u

struct fixup {
	size_t at;    /* the jump instruction */
	size_t label; /* cBPF index, or the REJECT/ACCEPT label */
	bool imm;     /* a gotol (32-bit imm) rather than a 16-bit off */
};

struct emitter {
	enum cbpf_ctx ctx;
	bool long_jumps; /* every label jump a gotol: the program is too big for off */
	bool nomem;
	struct ebpf_insn *insns;
	size_t len, cap;
	struct fixup *fix;
	size_t nfix, fixcap;
	size_t reject, accept; /* labels: n and n + 1 for an n-instruction program */
	bool accept_used;
};

static void set_err(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static struct ebpf_insn mk(__u8 code, __u8 dst, __u8 src, __s16 off, __s32 imm)
{
	struct ebpf_insn in = {
		.code = code,
		.dst_reg = dst,
		.src_reg = src,
		.off = off,
		.imm = imm,
	};

	return in;
}

/* Append one instruction; returns its index (failures are sticky, see nomem). */
static size_t emit(struct emitter *e, struct ebpf_insn in)
{
	if (e->len == e->cap) {
		size_t cap = e->cap ? 2 * e->cap : 256;
		struct ebpf_insn *p = realloc(e->insns, cap * sizeof(*p));

		if (!p) {
			e->nomem = true;
			return e->len;
		}
		e->insns = p;
		e->cap = cap;
	}
	e->insns[e->len] = in;
	return e->len++;
}

static void add_fixup(struct emitter *e, size_t at, size_t label, bool imm)
{
	if (e->nomem)
		return;
	if (e->nfix == e->fixcap) {
		size_t cap = e->fixcap ? 2 * e->fixcap : 64;
		struct fixup *p = realloc(e->fix, cap * sizeof(*p));

		if (!p) {
			e->nomem = true;
			return;
		}
		e->fix = p;
		e->fixcap = cap;
	}
	e->fix[e->nfix++] = (struct fixup){ .at = at, .label = label, .imm = imm };
	if (label == e->accept)
		e->accept_used = true;
}

/* Unconditional jump to a label. */
static void emit_ja(struct emitter *e, size_t label)
{
	if (e->long_jumps)
		add_fixup(e, emit(e, mk(BPF_JMP32 | BPF_JA, 0, 0, 0, 0)), label, true);
	else
		add_fixup(e, emit(e, mk(BPF_JMP | BPF_JA, 0, 0, 0, 0)), label, false);
}

/*
 * Conditional jump to a label. With long jumps the condition skips over a
 * jump past a gotol: "if cond goto +1; goto +1; gotol label".
 */
static void emit_jcond(struct emitter *e, __u8 code, __u8 dst, __u8 src, __s32 imm, size_t label)
{
	if (!e->long_jumps) {
		add_fixup(e, emit(e, mk(code, dst, src, 0, imm)), label, false);
		return;
	}
	emit(e, mk(code, dst, src, 1, imm));
	emit(e, mk(BPF_JMP | BPF_JA, 0, 0, 1, 0));
	add_fixup(e, emit(e, mk(BPF_JMP32 | BPF_JA, 0, 0, 0, 0)), label, true);
}

/* A short forward jump inside one instruction's sequence, patched by land(). */
static size_t emit_local(struct emitter *e, __u8 code, __u8 dst, __u8 src, __s32 imm)
{
	return emit(e, mk(code, dst, src, 0, imm));
}

static void land(struct emitter *e, size_t at)
{
	if (!e->nomem)
		e->insns[at].off = (__s16)(e->len - at - 1);
}

static __u8 ld_size(unsigned int sz)
{
	return sz == 4 ? BPF_W : sz == 2 ? BPF_H : BPF_B;
}

/*
 * dst = the sz bytes at offset k (BPF_ABS) or X + k (BPF_IND), big endian.
 * A load the packet cannot serve jumps to REJECT. Every load is emitted
 * this way, whatever its offset: a multi-buffer XDP frame or a TC skb may be
 * long enough for any offset, so only the helper can tell.
 */
static void emit_load(struct emitter *e, int mode, unsigned int sz, __u32 k, __u8 dst)
{
	/*
	 * Both contexts have a slow path: TC for a non-linear skb, XDP for the
	 * later buffers of a multi-buffer frame; their helpers take the same
	 * arguments and check against the whole packet.
	 */
	bool tc = e->ctx == CBPF_CTX_TC;
	bool direct = (__u64)k + sz <= PKT_OFF_MAX;
	size_t to_slow[2], to_done = 0;
	int nslow = 0;
	int data_off =
		tc ? (int)offsetof(struct __sk_buff, data) : (int)offsetof(struct xdp_md, data);
	int end_off = tc ? (int)offsetof(struct __sk_buff, data_end)
			 : (int)offsetof(struct xdp_md, data_end);

	if (mode == BPF_IND) {
		/* r1 = X + k in 64 bits: no wrap, as in bpf_filter(). */
		emit(e, mk(BPF_ALU | BPF_MOV | BPF_X, BPF_REG_1, REG_X, 0, 0));
		if (k <= INT32_MAX) {
			if (k)
				emit(e, mk(BPF_ALU64 | BPF_ADD | BPF_K, BPF_REG_1, 0, 0, (__s32)k));
		} else {
			emit(e, mk(BPF_ALU | BPF_MOV | BPF_K, BPF_REG_2, 0, 0, (__s32)k));
			emit(e, mk(BPF_ALU64 | BPF_ADD | BPF_X, BPF_REG_1, BPF_REG_2, 0, 0));
		}
		if (direct) {
			/* Bound the offset first: the verifier needs it to range the pointer. */
			to_slow[nslow++] = emit_local(e, BPF_JMP | BPF_JGT | BPF_K, BPF_REG_1, 0,
						      PKT_OFF_MAX - sz);
		}
	}
	if (direct) {
		emit(e, mk(BPF_LDX | BPF_MEM | BPF_W, BPF_REG_2, REG_CTX, (__s16)data_off, 0));
		emit(e, mk(BPF_LDX | BPF_MEM | BPF_W, BPF_REG_3, REG_CTX, (__s16)end_off, 0));
		if (mode == BPF_IND)
			emit(e, mk(BPF_ALU64 | BPF_ADD | BPF_X, BPF_REG_2, BPF_REG_1, 0, 0));
		else if (k)
			emit(e, mk(BPF_ALU64 | BPF_ADD | BPF_K, BPF_REG_2, 0, 0, (__s32)k));
		emit(e, mk(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_4, BPF_REG_2, 0, 0));
		emit(e, mk(BPF_ALU64 | BPF_ADD | BPF_K, BPF_REG_4, 0, 0, (__s32)sz));
		to_slow[nslow++] =
			emit_local(e, BPF_JMP | BPF_JGT | BPF_X, BPF_REG_4, BPF_REG_3, 0);
		emit(e, mk(BPF_LDX | BPF_MEM | ld_size(sz), dst, BPF_REG_2, 0, 0));
		to_done = emit_local(e, BPF_JMP | BPF_JA, 0, 0, 0);
	}
	/* Not in the linear part: the helper checks against the whole packet. */
	for (int i = 0; i < nslow; i++)
		land(e, to_slow[i]);
	if (mode == BPF_IND) {
		/* The helper takes a u32 offset and refuses more than INT_MAX. */
		emit_jcond(e, BPF_JMP | BPF_JGT | BPF_K, BPF_REG_1, 0, INT32_MAX, e->reject);
		emit(e, mk(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_2, BPF_REG_1, 0, 0));
	} else {
		emit(e, mk(BPF_ALU | BPF_MOV | BPF_K, BPF_REG_2, 0, 0, (__s32)k));
	}
	emit(e, mk(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_1, REG_CTX, 0, 0));
	emit(e, mk(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_3, BPF_REG_10, 0, 0));
	emit(e, mk(BPF_ALU64 | BPF_ADD | BPF_K, BPF_REG_3, 0, 0, BUF_OFF));
	emit(e, mk(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_4, 0, 0, (__s32)sz));
	emit(e, mk(BPF_JMP | BPF_CALL, 0, 0, 0,
		   e->ctx == CBPF_CTX_TC ? BPF_FUNC_skb_load_bytes : BPF_FUNC_xdp_load_bytes));
	emit_jcond(e, BPF_JMP | BPF_JNE | BPF_K, BPF_REG_0, 0, 0, e->reject);
	emit(e, mk(BPF_LDX | BPF_MEM | ld_size(sz), dst, BPF_REG_10, BUF_OFF, 0));
	if (direct)
		land(e, to_done);
	if (sz > 1)
		emit(e, mk(BPF_ALU | BPF_END | BPF_TO_BE, dst, 0, 0, (__s32)(8 * sz)));
}

/* dst = the packet length (cBPF's wirelen: here all the packet has). */
static void emit_len(struct emitter *e, __u8 dst)
{
	if (e->ctx == CBPF_CTX_TC) {
		emit(e, mk(BPF_LDX | BPF_MEM | BPF_W, dst, REG_CTX,
			   (__s16)offsetof(struct __sk_buff, len), 0));
		return;
	}
	/* data_end - data would be pointer arithmetic, refused without CAP_PERFMON. */
	emit(e, mk(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_1, REG_CTX, 0, 0));
	emit(e, mk(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_xdp_get_buff_len));
	emit(e, mk(BPF_ALU | BPF_MOV | BPF_X, dst, BPF_REG_0, 0, 0));
}

static bool is_load(__u16 code)
{
	switch (code) {
	case BPF_LD | BPF_W | BPF_ABS:
	case BPF_LD | BPF_H | BPF_ABS:
	case BPF_LD | BPF_B | BPF_ABS:
	case BPF_LD | BPF_W | BPF_IND:
	case BPF_LD | BPF_H | BPF_IND:
	case BPF_LD | BPF_B | BPF_IND:
	case BPF_LDX | BPF_MSH | BPF_B:
		return true;
	}
	return false;
}

static unsigned int load_size(__u16 code)
{
	return BPF_SIZE(code) == BPF_W ? 4 : BPF_SIZE(code) == BPF_H ? 2 : 1;
}

/*
 * Check instruction i of an n-instruction program and give its successors
 * (n meaning "ran off the end", which rejects). Returns 0 or -EINVAL with
 * the reason in err.
 */
static int check_insn(const struct bpf_insn *in, size_t i, size_t n, size_t succ[2], int *nsucc,
		      char *err, size_t errlen)
{
	const char *why = NULL;

	*nsucc = 0;
	switch (in->code) {
	case BPF_LD | BPF_W | BPF_ABS:
	case BPF_LD | BPF_H | BPF_ABS:
	case BPF_LD | BPF_B | BPF_ABS:
	case BPF_LD | BPF_W | BPF_IND:
	case BPF_LD | BPF_H | BPF_IND:
	case BPF_LD | BPF_B | BPF_IND:
	case BPF_LDX | BPF_MSH | BPF_B:
		/* Socket-filter specials only mean something to a live Linux capture. */
		if (in->k >= SKF_AD_MIN)
			why = "Linux ancillary data load (SKF_AD_OFF): only for live captures";
		else if (in->k >= SKF_NET_MIN)
			why = "Linux network-header offset (SKF_NET_OFF): only for live captures";
		else if (in->k >= SKF_SPECIAL_MIN)
			why = "Linux link-layer offset (SKF_LL_OFF): only for live captures";
		break;
	case BPF_LD | BPF_W | BPF_LEN:
	case BPF_LDX | BPF_W | BPF_LEN:
	case BPF_LD | BPF_IMM:
	case BPF_LDX | BPF_IMM:
	case BPF_ALU | BPF_ADD | BPF_K:
	case BPF_ALU | BPF_SUB | BPF_K:
	case BPF_ALU | BPF_MUL | BPF_K:
	case BPF_ALU | BPF_AND | BPF_K:
	case BPF_ALU | BPF_OR | BPF_K:
	case BPF_ALU | BPF_XOR | BPF_K:
	case BPF_ALU | BPF_ADD | BPF_X:
	case BPF_ALU | BPF_SUB | BPF_X:
	case BPF_ALU | BPF_MUL | BPF_X:
	case BPF_ALU | BPF_DIV | BPF_X:
	case BPF_ALU | BPF_MOD | BPF_X:
	case BPF_ALU | BPF_AND | BPF_X:
	case BPF_ALU | BPF_OR | BPF_X:
	case BPF_ALU | BPF_XOR | BPF_X:
	case BPF_ALU | BPF_LSH | BPF_X:
	case BPF_ALU | BPF_RSH | BPF_X:
	case BPF_ALU | BPF_NEG:
	case BPF_MISC | BPF_TAX:
	case BPF_MISC | BPF_TXA:
		break;
	case BPF_LD | BPF_MEM:
	case BPF_LDX | BPF_MEM:
	case BPF_ST:
	case BPF_STX:
		if (in->k >= BPF_MEMWORDS)
			why = "scratch memory index out of M[0..15]";
		break;
	case BPF_ALU | BPF_DIV | BPF_K:
	case BPF_ALU | BPF_MOD | BPF_K:
		if (!in->k)
			why = "division by constant zero";
		break;
	case BPF_ALU | BPF_LSH | BPF_K:
	case BPF_ALU | BPF_RSH | BPF_K:
		if (in->k >= 32)
			why = "constant shift by more than 31 bits";
		break;
	case BPF_RET | BPF_K:
	case BPF_RET | BPF_A:
		return 0;
	case BPF_JMP | BPF_JA:
		/* libpcap's "protochain" loops backwards; the verifier could not bound it. */
		if ((int32_t)in->k < 0)
			why = "backward jump (a loop, as \"protochain\" makes): not translated";
		else if ((uint64_t)i + 1 + in->k > n)
			why = "jump past the end of the program";
		else
			succ[(*nsucc)++] = i + 1 + in->k;
		break;
	case BPF_JMP | BPF_JEQ | BPF_K:
	case BPF_JMP | BPF_JGT | BPF_K:
	case BPF_JMP | BPF_JGE | BPF_K:
	case BPF_JMP | BPF_JSET | BPF_K:
	case BPF_JMP | BPF_JEQ | BPF_X:
	case BPF_JMP | BPF_JGT | BPF_X:
	case BPF_JMP | BPF_JGE | BPF_X:
	case BPF_JMP | BPF_JSET | BPF_X:
		if (i + 1 + in->jt > n || i + 1 + in->jf > n) {
			why = "jump past the end of the program";
		} else {
			succ[(*nsucc)++] = i + 1 + in->jt;
			succ[(*nsucc)++] = i + 1 + in->jf;
		}
		break;
	default:
		why = "unknown opcode";
		break;
	}
	if (why) {
		set_err(err, errlen, "cBPF insn %zu (code 0x%02x, k 0x%x): %s", i, in->code, in->k,
			why);
		return -EINVAL;
	}
	if (BPF_CLASS(in->code) != BPF_JMP)
		succ[(*nsucc)++] = i + 1;
	return 0;
}

static __u8 jmp_op_inverse(__u8 op)
{
	switch (op) {
	case BPF_JEQ:
		return BPF_JNE;
	case BPF_JGT:
		return BPF_JLE;
	case BPF_JGE:
		return BPF_JLT;
	}
	return 0; /* JSET has none */
}

/*
 * A conditional cBPF jump: "if A op K/X goto jt else goto jf". next is the
 * label emitted right after this instruction (SIZE_MAX after the last).
 */
static void emit_cond(struct emitter *e, const struct bpf_insn *in, size_t i, size_t next)
{
	size_t t = i + 1 + in->jt, f = i + 1 + in->jf;
	__u8 op = BPF_OP(in->code), inv = jmp_op_inverse(op);
	__u8 src = BPF_SRC(in->code) == BPF_X ? REG_X : 0;
	__u8 code = BPF_JMP32 | BPF_SRC(in->code);
	__s32 imm = src ? 0 : (__s32)in->k;

	if (t == f) {
		if (t != next)
			emit_ja(e, t);
	} else if (f == next) {
		emit_jcond(e, code | op, REG_A, src, imm, t);
	} else if (t == next && inv) {
		emit_jcond(e, code | inv, REG_A, src, imm, f);
	} else {
		emit_jcond(e, code | op, REG_A, src, imm, t);
		emit_ja(e, f);
	}
}

static void emit_alu(struct emitter *e, const struct bpf_insn *in)
{
	__u8 op = BPF_OP(in->code);
	size_t big, done;

	if (op == BPF_NEG) {
		emit(e, mk(BPF_ALU | BPF_NEG, REG_A, 0, 0, 0));
		return;
	}
	if (BPF_SRC(in->code) == BPF_K) {
		emit(e, mk(BPF_ALU | op | BPF_K, REG_A, 0, 0, (__s32)in->k));
		return;
	}
	switch (op) {
	case BPF_DIV:
	case BPF_MOD:
		/* eBPF gives 0 (or A) for X == 0; cBPF rejects the packet. */
		emit_jcond(e, BPF_JMP32 | BPF_JEQ | BPF_K, REG_X, 0, 0, e->reject);
		break;
	case BPF_LSH:
	case BPF_RSH:
		/* eBPF masks the count to 5 bits; bpf_filter() gives 0 from 32 on. */
		big = emit_local(e, BPF_JMP32 | BPF_JGT | BPF_K, REG_X, 0, 31);
		emit(e, mk(BPF_ALU | op | BPF_X, REG_A, REG_X, 0, 0));
		done = emit_local(e, BPF_JMP | BPF_JA, 0, 0, 0);
		land(e, big);
		emit(e, mk(BPF_ALU | BPF_MOV | BPF_K, REG_A, 0, 0, 0));
		land(e, done);
		return;
	}
	emit(e, mk(BPF_ALU | op | BPF_X, REG_A, REG_X, 0, 0));
}

/*
 * Instruction i, which is reachable; its fall-through successor i + 1 is
 * emitted right after it, unless i is the last one.
 */
static void emit_insn(struct emitter *e, const struct bpf_insn *in, size_t i, size_t n)
{
	size_t next = i + 1 < n ? i + 1 : SIZE_MAX;

	switch (BPF_CLASS(in->code)) {
	case BPF_LD:
	case BPF_LDX: {
		__u8 dst = BPF_CLASS(in->code) == BPF_LD ? REG_A : REG_X;

		if (is_load(in->code)) {
			emit_load(e, BPF_MODE(in->code) == BPF_IND ? BPF_IND : BPF_ABS,
				  load_size(in->code), in->k, dst);
			if (BPF_MODE(in->code) == BPF_MSH) {
				emit(e, mk(BPF_ALU | BPF_AND | BPF_K, dst, 0, 0, 0xf));
				emit(e, mk(BPF_ALU | BPF_LSH | BPF_K, dst, 0, 0, 2));
			}
		} else if (BPF_MODE(in->code) == BPF_IMM) {
			emit(e, mk(BPF_ALU | BPF_MOV | BPF_K, dst, 0, 0, (__s32)in->k));
		} else if (BPF_MODE(in->code) == BPF_LEN) {
			emit_len(e, dst);
		} else { /* BPF_MEM */
			emit(e, mk(BPF_LDX | BPF_MEM | BPF_W, dst, BPF_REG_10, MEM_OFF(in->k), 0));
		}
		break;
	}
	case BPF_ST:
	case BPF_STX:
		emit(e, mk(BPF_STX | BPF_MEM | BPF_W, BPF_REG_10,
			   BPF_CLASS(in->code) == BPF_ST ? REG_A : REG_X, MEM_OFF(in->k), 0));
		break;
	case BPF_ALU:
		emit_alu(e, in);
		break;
	case BPF_JMP:
		if (BPF_OP(in->code) == BPF_JA) {
			if (i + 1 + in->k != next)
				emit_ja(e, i + 1 + in->k);
		} else {
			emit_cond(e, in, i, next);
		}
		return;
	case BPF_RET:
		if (BPF_RVAL(in->code) == BPF_A) {
			emit_jcond(e, BPF_JMP32 | BPF_JNE | BPF_K, REG_A, 0, 0, e->accept);
			emit_ja(e, e->reject);
		} else {
			emit_ja(e, in->k ? e->accept : e->reject);
		}
		return;
	case BPF_MISC:
		if (BPF_MISCOP(in->code) == BPF_TAX)
			emit(e, mk(BPF_ALU | BPF_MOV | BPF_X, REG_X, REG_A, 0, 0));
		else
			emit(e, mk(BPF_ALU | BPF_MOV | BPF_X, REG_A, REG_X, 0, 0));
		break;
	}
}

/*
 * One translation of the checked program. Returns 0, -ENOMEM, or -ERANGE
 * when a 16-bit jump offset overflowed (try again with long jumps).
 */
static int emit_program(struct emitter *e, const struct bpf_insn *prog, size_t n,
			const bool *reachable, __u16 mem_read, int prog_array_fd, int pass_verdict)
{
	size_t *addr = calloc(n + 2, sizeof(*addr));

	if (!addr)
		return -ENOMEM;
	e->len = 0;
	e->nfix = 0;
	e->accept_used = false;

	emit(e, mk(BPF_ALU64 | BPF_MOV | BPF_X, REG_CTX, BPF_REG_1, 0, 0));
	emit(e, mk(BPF_ALU | BPF_MOV | BPF_K, REG_A, 0, 0, 0));
	emit(e, mk(BPF_ALU | BPF_MOV | BPF_K, REG_X, 0, 0, 0));
	/* The verifier refuses reads of stack it has not seen written. */
	for (unsigned int k = 0; k < BPF_MEMWORDS; k++)
		if (mem_read & (1u << k))
			emit(e, mk(BPF_ST | BPF_MEM | BPF_W, BPF_REG_10, 0, MEM_OFF(k), 0));

	for (size_t i = 0; i < n; i++) {
		if (!reachable[i])
			continue;
		addr[i] = e->len;
		emit_insn(e, &prog[i], i, n);
		/* Falling off the end of a cBPF program returns 0. */
		if (i + 1 == n && BPF_CLASS(prog[i].code) != BPF_RET &&
		    BPF_CLASS(prog[i].code) != BPF_JMP)
			emit_ja(e, e->reject);
	}

	/* ACCEPT falls into REJECT when the tail call fails (empty slot). */
	if (e->accept_used) {
		addr[e->accept] = e->len;
		emit(e, mk(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_1, REG_CTX, 0, 0));
		emit(e,
		     mk(BPF_LD | BPF_DW | BPF_IMM, BPF_REG_2, BPF_PSEUDO_MAP_FD, 0, prog_array_fd));
		emit(e, mk(0, 0, 0, 0, 0));
		emit(e, mk(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_3, 0, 0, NN_PROG_ACCOUNT));
		emit(e, mk(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_tail_call));
	}
	addr[e->reject] = e->len;
	emit(e, mk(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, pass_verdict));
	emit(e, mk(BPF_JMP | BPF_EXIT, 0, 0, 0, 0));

	if (e->nomem) {
		free(addr);
		return -ENOMEM;
	}
	for (size_t j = 0; j < e->nfix; j++) {
		const struct fixup *f = &e->fix[j];
		int64_t d = (int64_t)addr[f->label] - (int64_t)f->at - 1;

		if (f->imm) {
			e->insns[f->at].imm = (__s32)d;
		} else if (d < INT16_MIN || d > INT16_MAX) {
			free(addr);
			return -ERANGE;
		} else {
			e->insns[f->at].off = (__s16)d;
		}
	}
	free(addr);
	return 0;
}

int cbpf_translate(const struct bpf_program *prog, enum cbpf_ctx ctx, int prog_array_fd,
		   int pass_verdict, struct ebpf_insn **insns, size_t *count, char *err,
		   size_t errlen)
{
	struct emitter e = { .ctx = ctx };
	bool *reachable;
	__u16 mem_read = 0;
	size_t n;
	int ret;

	set_err(err, errlen, "%s", "");
	if (!prog || !insns || !count || (ctx != CBPF_CTX_XDP && ctx != CBPF_CTX_TC)) {
		set_err(err, errlen, "invalid argument");
		return -EINVAL;
	}
	n = prog->bf_len;
	if (!n || !prog->bf_insns || n > CBPF_MAX_INSNS) {
		set_err(err, errlen, "cBPF program of %zu instructions (1 to %d)", n,
			CBPF_MAX_INSNS);
		return -EINVAL;
	}
	reachable = calloc(n + 1, sizeof(*reachable));
	if (!reachable)
		return -ENOMEM;

	/* Jumps only go forward, so one pass in order finds what is reachable. */
	reachable[0] = true;
	for (size_t i = 0; i < n; i++) {
		size_t succ[2];
		int nsucc;

		ret = check_insn(&prog->bf_insns[i], i, n, succ, &nsucc, err, errlen);
		if (ret)
			goto out;
		if (!reachable[i])
			continue;
		for (int s = 0; s < nsucc; s++)
			reachable[succ[s]] = true;
		if (prog->bf_insns[i].code == (BPF_LD | BPF_MEM) ||
		    prog->bf_insns[i].code == (BPF_LDX | BPF_MEM))
			mem_read |= 1u << prog->bf_insns[i].k;
	}

	e.reject = n;
	e.accept = n + 1;
	ret = emit_program(&e, prog->bf_insns, n, reachable, mem_read, prog_array_fd, pass_verdict);
	if (ret == -ERANGE) {
		/* Over 32767 instructions to jump: every label jump becomes a gotol. */
		e.long_jumps = true;
		ret = emit_program(&e, prog->bf_insns, n, reachable, mem_read, prog_array_fd,
				   pass_verdict);
	}
	if (ret) {
		free(e.insns);
		goto out;
	}
	*insns = e.insns;
	*count = e.len;
out:
	free(e.fix);
	free(reachable);
	return ret;
}

/*
 * The verifier's reason, from the end of its log: the last lines that are
 * not its statistics, on one line.
 */
static void verifier_reason(const char *log, char *err, size_t errlen, int ret)
{
	const char *lines[2] = { NULL, NULL };
	int lens[2] = { 0, 0 };
	const char *end = log + strlen(log);

	while (end > log && !lines[0]) {
		const char *eol = end, *bol;

		while (eol > log && eol[-1] == '\n')
			eol--;
		bol = eol;
		while (bol > log && bol[-1] != '\n')
			bol--;
		if (eol > bol && strncmp(bol, "processed ", 10) &&
		    strncmp(bol, "verification time", 17)) {
			int at = lines[1] ? 0 : 1;

			lines[at] = bol;
			lens[at] = (int)(eol - bol);
		}
		end = bol;
	}
	if (!lines[1]) /* verified, then refused: the tail-call owner check (see cbpf.h) */
		set_err(err, errlen,
			"kernel refused the program: %s (no verifier message; is the prog array "
			"shared with programs of another type or expected_attach_type?)",
			strerror(-ret));
	else if (!lines[0])
		set_err(err, errlen, "verifier: %.*s", lens[1], lines[1]);
	else
		set_err(err, errlen, "verifier: %.*s | %.*s", lens[0], lines[0], lens[1], lines[1]);
}

int cbpf_load(enum cbpf_ctx ctx, const struct ebpf_insn *insns, size_t count, char *err,
	      size_t errlen)
{
	/* The log only on failure; the kernel keeps its end when it is too long. */
	static const size_t log_size = 1 << 20;
	LIBBPF_OPTS(bpf_prog_load_opts, opts);
	enum bpf_prog_type type;
	char *log;
	int fd, ret;

	set_err(err, errlen, "%s", "");
	if (!insns || !count) {
		set_err(err, errlen, "invalid argument");
		return -EINVAL;
	}
	if (ctx == CBPF_CTX_XDP) {
		type = BPF_PROG_TYPE_XDP;
		opts.expected_attach_type = BPF_XDP;
		/* Like the main programs (xdp.frags): tail calls need the same flag. */
		opts.prog_flags = BPF_F_XDP_HAS_FRAGS;
	} else {
		type = BPF_PROG_TYPE_SCHED_CLS;
	}
	fd = bpf_prog_load(type, "nasoone_filter", "GPL", insns, count, &opts);
	if (fd >= 0)
		return fd;
	ret = -errno;
	if (ret == -EPERM) {
		set_err(err, errlen,
			"loading BPF programs is not permitted (needs CAP_BPF, "
			"CAP_NET_ADMIN and CAP_PERFMON or root)");
		return ret;
	}
	log = malloc(log_size);
	if (!log) {
		set_err(err, errlen, "verifier: %s", strerror(-ret));
		return ret;
	}
	log[0] = '\0';
	opts.log_buf = log;
	opts.log_size = (__u32)log_size;
	opts.log_level = 1;
	fd = bpf_prog_load(type, "nasoone_filter", "GPL", insns, count, &opts);
	if (fd >= 0) { /* it passed the second time: keep it */
		free(log);
		return fd;
	}
	log[log_size - 1] = '\0';
	verifier_reason(log, err, errlen, ret);
	free(log);
	return ret;
}

int cbpf_load_filter(const char *expr, enum cbpf_ctx ctx, int prog_array_fd, int pass_verdict,
		     char *err, size_t errlen)
{
	struct bpf_program fp;
	struct ebpf_insn *insns = NULL;
	size_t count = 0;
	pcap_t *p;
	int ret;

	if (!expr) {
		set_err(err, errlen, "invalid argument");
		return -EINVAL;
	}
	p = pcap_open_dead(DLT_EN10MB, 262144);
	if (!p) {
		set_err(err, errlen, "pcap_open_dead: out of memory");
		return -ENOMEM;
	}
	if (pcap_compile(p, &fp, expr, 1, PCAP_NETMASK_UNKNOWN)) {
		set_err(err, errlen, "filter \"%s\": %s", expr, pcap_geterr(p));
		pcap_close(p);
		return -EINVAL;
	}
	pcap_close(p);
	ret = cbpf_translate(&fp, ctx, prog_array_fd, pass_verdict, &insns, &count, err, errlen);
	pcap_freecode(&fp);
	if (ret) {
		if (ret == -ENOMEM)
			set_err(err, errlen, "out of memory");
		return ret;
	}
	ret = cbpf_load(ctx, insns, count, err, errlen);
	free(insns);
	return ret;
}
