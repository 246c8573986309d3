# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=bash
#
# Replay equivalence: `nasoone -r FILE --mode xdp` and `--mode tc` replay
# every frame of FILE through the in-kernel program (BPF_PROG_TEST_RUN) and
# must give the report of `--mode pcap` byte for byte, for every capture of
# `pcapgen rules`, `pcapgen corrupt` and the shared corpus
# (../shared/corpus/pcaps from the repository root). A damaged file must
# give the same exit status and the same rows (none when it is unreadable).
# One verdict per capture, covering both eBPF modes.

# shellcheck disable=SC2034 # run_tests (lib.sh) reads it
ALL_TESTS="test_equiv_rules test_equiv_corrupt test_equiv_corpus"

# equiv_one NAME FILE MUST_READ: MUST_READ=1 when libpcap must read FILE
# whole (exit 0).
equiv_one()
{
	local name=$1 file=$2 must_read=$3 why="" m prc

	replay "$TMP/pcap" "$file" pcap
	prc=$rc
	if [ "$must_read" = 1 ] && [ $prc -ne 0 ]; then
		fail "$name" "--mode pcap: $(status_text $prc): $(first_error "$TMP/pcap")"
		return
	fi
	if [ $prc -ne 0 ] && [ $prc -ne 1 ]; then
		fail "$name" "--mode pcap: $(status_text $prc): $(first_error "$TMP/pcap")"
		return
	fi
	if [ $prc -eq 0 ] && ! is_report "$TMP/pcap.txt"; then
		fail "$name" "--mode pcap: exit status 0 but no report"
		return
	fi
	replay_both "$TMP/r" "$file"
	for m in xdp tc; do
		if [ $m = xdp ]; then rc=$rc_xdp; else rc=$rc_tc; fi
		if [ $rc -ne $prc ]; then
			why+="${why:+; }--mode $m: $(status_text $rc) but pcap's is $prc"
			[ $rc -ne 0 ] && why+=" ($(first_error "$TMP/r-$m"))"
		elif ! same_file "$TMP/pcap.txt" "$TMP/r-$m.txt" "--mode $m (< pcap, > $m):"; then
			why+="${why:+; }--mode $m: report differs from pcap's"
		fi
	done
	verdict "$name" "$why"
}

# equiv_dir TAG DIR MUST_READ
equiv_dir()
{
	local tag=$1 dir=$2 must_read=$3 file found=0

	for file in $(captures_in "$dir"); do
		found=1
		equiv_one "equivalence $tag/${file##*/}" "$file" "$must_read"
	done
	[ $found = 1 ] || fail "equivalence $tag" "no capture in $dir"
}

test_equiv_rules()
{
	local t="equivalence rules" dir

	need_bpf "$t" || return 0
	make_tmp && trap cleanup EXIT
	if ! dir=$(gen_rules); then
		fail "$t" "pcapgen rules failed"
		return
	fi
	equiv_dir rules "$dir" 1
}

test_equiv_corrupt()
{
	local t="equivalence corrupt" dir

	need_bpf "$t" || return 0
	make_tmp && trap cleanup EXIT
	if ! dir=$(gen_corrupt); then
		fail "$t" "pcapgen corrupt failed"
		return
	fi
	equiv_dir corrupt "$dir" 0
}

test_equiv_corpus()
{
	local t="equivalence corpus" dir=$REPO_ROOT/../shared/corpus/pcaps

	if [ ! -d "$dir" ]; then
		skip "$t" "no shared corpus at $dir"
		return 0
	fi
	need_bpf "$t" || return 0
	make_tmp && trap cleanup EXIT
	equiv_dir corpus "$(realpath "$dir")" 0
}
