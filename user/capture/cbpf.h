/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The in-kernel pcap filter: libpcap compiles the user's expression to
 * classic BPF (cBPF), exactly what pcap_offline_filter() runs, and this
 * translates it to an eBPF program that sits at NN_PROG_FILTER of the main
 * program's PROG_ARRAY. On accept it tail-calls NN_PROG_ACCOUNT (and
 * returns the pass verdict if that fails); on reject it returns the pass
 * verdict: nasoone never drops anything.
 *
 * Both <linux/bpf.h> and libpcap's <pcap/bpf.h> define a struct bpf_insn
 * (eBPF's code/registers/offset/immediate, cBPF's code/jt/jf/k), and a
 * filter translator needs both. This header reads the kernel's and
 * libbpf's headers with the name changed to struct ebpf_insn, so a file
 * can use both instruction sets with their real definitions (no copy of a
 * layout to keep in sync; the compiler checks every field). It must
 * therefore come before anything that includes <linux/bpf.h> or
 * <bpf/bpf.h>; <pcap/pcap.h> may come before or after it.
 */
#ifndef NASOONE_CBPF_H
#define NASOONE_CBPF_H

#include <stddef.h>

#if defined(_UAPI__LINUX_BPF_H__) && !defined(NASOONE_CBPF_EBPF_INSN)
#error "include cbpf.h before <linux/bpf.h> and <bpf/bpf.h>: it reads them with bpf_insn renamed"
#endif
#define NASOONE_CBPF_EBPF_INSN
#define bpf_insn ebpf_insn
#include <linux/bpf.h>
#include <bpf/bpf.h>
#undef bpf_insn

struct bpf_program; /* libpcap's compiled classic filter, <pcap/pcap.h> */

/* Where the filter runs: its context, program type and packet access. */
enum cbpf_ctx {
	CBPF_CTX_XDP, /* struct xdp_md; loaded as XDP, expected_attach_type BPF_XDP */
	CBPF_CTX_TC,  /* struct __sk_buff; loaded as SCHED_CLS, expected_attach_type 0 */
};

/*
 * Translate the classic program prog into a complete eBPF program for ctx:
 * on accept (a non-zero return in cBPF) it tail-calls slot NN_PROG_ACCOUNT
 * of prog_array_fd; otherwise, and when the tail call fails, it returns
 * pass_verdict (XDP_PASS for XDP; for TC the main program's choice, e.g.
 * TC_ACT_OK or TCX_NEXT). Packet loads past the end of the packet reject,
 * as in cBPF. *insns is malloc()ed (free() it) with *count instructions.
 * Returns 0, -EINVAL with err telling the cBPF instruction and why, or
 * -ENOMEM. err may be NULL.
 */
int cbpf_translate(const struct bpf_program *prog, enum cbpf_ctx ctx, int prog_array_fd,
		   int pass_verdict, struct ebpf_insn **insns, size_t *count, char *err,
		   size_t errlen);

/*
 * Load a translated program as ctx's program type. Returns the program fd
 * or a negative errno, with err holding the verifier's last lines.
 */
int cbpf_load(enum cbpf_ctx ctx, const struct ebpf_insn *insns, size_t count, char *err,
	      size_t errlen);

/*
 * Compile expr (pcap-filter(7)) for Ethernet as libpcap does for
 * pcap_open_dead(DLT_EN10MB, 262144), translate it and load it. Returns
 * the program fd or a negative errno with a one-line reason in err: the
 * compile error, the untranslatable instruction, or the verifier's last
 * lines. The kernel only tail-calls between programs of the same type and
 * expected_attach_type, so the programs sharing prog_array_fd must be
 * loaded as enum cbpf_ctx says (libbpf's SEC("xdp") and SEC("tc") are).
 * Needs CAP_BPF, CAP_NET_ADMIN and CAP_PERFMON: without CAP_PERFMON the
 * verifier refuses variable packet offsets (X-indexed loads), as it does
 * for the main program's parser.
 */
int cbpf_load_filter(const char *expr, enum cbpf_ctx ctx, int prog_array_fd, int pass_verdict,
		     char *err, size_t errlen);

#endif /* NASOONE_CBPF_H */
