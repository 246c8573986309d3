#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Command-line tests of nasoone(8): options, exit statuses, error lines and
# the report destinations.
#
#   tests/cli/test_cli.sh NASOONE_BIN PCAPGEN
#
# NASOONE_BIN is the binary under test; PCAPGEN the capture generator
# (`pcapgen sample FILE`, `pcapgen corrupt DIR`). Each test prints
# "[name] PASS|FAIL|SKIPPED"; the last line is "N passed, N failed" and the
# exit status is non-zero when a test failed.

set -u

if [ $# -ne 2 ]; then
	echo "usage: $0 NASOONE_BIN PCAPGEN" >&2
	exit 2
fi
NASOONE=$(realpath "$1")
PCAPGEN=$(realpath "$2")

HEADER='source ip; source port; destination ip; destination port; protocols; first; last; bytes; packets'

TMP=$(mktemp -d "${TMPDIR:-/tmp}/nasoone-cli.XXXXXX") || exit 1
trap 'rm -rf "$TMP"' EXIT
trap 'exit 130' INT TERM
# As root, nasoone runs as nobody once the capture is open (-Z): nobody
# must be able to rewrite the reports here.
if [ "$(id -u)" -eq 0 ] && id nobody >/dev/null 2>&1; then
	chown nobody "$TMP"
fi

passed=0
failed=0
skipped=0

pass()
{
	echo "[$1] PASS"
	passed=$((passed + 1))
}

# fail NAME WHY: the reason and the captured stderr go under the FAIL line.
fail()
{
	echo "[$1] FAIL: $2"
	if [ -s "$TMP/err" ]; then
		sed 's/^/    stderr: /' "$TMP/err" | head -n 5
	fi
	failed=$((failed + 1))
}

skip()
{
	echo "[$1] SKIPPED: $2"
	skipped=$((skipped + 1))
}

# run ARGS...: run nasoone with stdin from /dev/null and a time limit;
# stdout in $TMP/out, stderr in $TMP/err, exit status in $rc.
run()
{
	timeout -k 5 60 "$NASOONE" "$@" </dev/null >"$TMP/out" 2>"$TMP/err"
	rc=$?
}

lines()
{
	wc -l <"$1" | tr -d ' '
}

# one_error_line: stderr is exactly one line, starting with "nasoone: ".
one_error_line()
{
	[ "$(lines "$TMP/err")" -eq 1 ] && grep -q '^nasoone: ' "$TMP/err"
}

# A report: the header line, then rows of nine "; "-separated fields.
is_report()
{
	[ "$(head -n 1 "$1")" = "$HEADER" ] &&
		tail -n +2 "$1" | awk -F'; ' 'NF != 9 { bad = 1 } END { exit bad }'
}

SAMPLE=$TMP/sample.pcap
if ! "$PCAPGEN" sample "$SAMPLE" >/dev/null 2>"$TMP/err" || [ ! -s "$SAMPLE" ]; then
	fail setup "pcapgen sample did not write a capture"
	echo "$passed passed, $failed failed"
	exit 1
fi

# -- options ---------------------------------------------------------------

t="help"
run --help
if [ $rc -ne 0 ]; then
	fail $t "exit status $rc, expected 0"
elif ! grep -q -- '-r' "$TMP/out" || ! grep -q -- '-i' "$TMP/out" ||
	! grep -q -- '-w' "$TMP/out" || ! grep -q 'EXAMPLES' "$TMP/out"; then
	fail $t "usage does not mention -r, -i, -w and EXAMPLES"
elif [ -s "$TMP/err" ]; then
	fail $t "help wrote to stderr"
else
	pass $t
fi

t="help-short"
run -h
if [ $rc -eq 0 ] && grep -q -- '--read' "$TMP/out"; then
	pass $t
else
	fail $t "exit status $rc, or no usage on stdout"
fi

t="version"
run --version
if [ $rc -eq 0 ] && [ "$(cat "$TMP/out")" = "nasoone 0.1.0" ]; then
	pass $t
else
	fail $t "exit status $rc, output '$(head -c 80 "$TMP/out")'"
fi

t="unknown-option"
run --no-such-option
if [ $rc -eq 2 ] && one_error_line && grep -q -- '--no-such-option' "$TMP/err"; then
	pass $t
else
	fail $t "exit status $rc (expected 2) or not one line naming the option"
fi

t="unknown-short-option"
run -K
if [ $rc -eq 2 ] && one_error_line; then
	pass $t
else
	fail $t "exit status $rc (expected 2) or not one line"
fi

t="missing-argument"
run -r
if [ $rc -eq 2 ] && one_error_line; then
	pass $t
else
	fail $t "exit status $rc (expected 2) or not one line"
fi

# Bounded numbers: out of range, not a number, trailing garbage.
for args in "-t 0" "-t 86401" "-t -5" "-t 1x" "-j 999" "-j -1" "-j abc" "--threads=65"; do
	t="reject ${args// /=}"
	# shellcheck disable=SC2086 # the option and its value are two words
	run -r "$SAMPLE" -w "$TMP/never.txt" $args
	if [ $rc -eq 2 ] && one_error_line && [ ! -e "$TMP/never.txt" ]; then
		pass "$t"
	else
		fail "$t" "exit status $rc (expected 2), not one line, or a report was written"
	fi
done

t="read-and-interface"
run -r "$SAMPLE" -i lo
if [ $rc -eq 2 ] && one_error_line; then
	pass $t
else
	fail $t "exit status $rc (expected 2) or not one line"
fi

# -- nasoone top's options ---------------------------------------------------
# The same parser as nasoone's: a usage error is one line "nasoone top: ...
# (see nasoone top --help)" and exit status 2, before any terminal is needed
# (stdin is /dev/null here, so getting past the options would say "needs a
# terminal" instead).

# top_usage_error WORD: one line, top's prefix and pointer, naming WORD.
top_usage_error()
{
	[ $rc -eq 2 ] && [ "$(lines "$TMP/err")" -eq 1 ] && [ ! -s "$TMP/out" ] &&
		grep -q '^nasoone top: .* (see nasoone top --help)$' "$TMP/err" &&
		grep -q -e "$1" "$TMP/err"
}

t="top-help"
run top --help
if [ $rc -eq 0 ] && [ ! -s "$TMP/err" ] && grep -q -- '--delay SECONDS' "$TMP/out" &&
	grep -q -- '--report REPORT' "$TMP/out" && grep -q -- '--exit-at-end' "$TMP/out" &&
	grep -q -- '--max-flows' "$TMP/out" && ! grep -q -- '--count' "$TMP/out"; then
	pass $t
else
	fail $t "exit status $rc, or the usage does not list top's options (and only those)"
fi

# "ARGS|WORD": the arguments, and a word the error line must name. The
# fractions of whole-number options and -d nan were let through (the first
# without any line at all) before top used nasoone's parser.
for c in "-d abc|-d" "-d 0|-d" "-d 61|-d" "-d nan|-d" "--delay=0.01|-d" "-d|-d" \
	"--report|--report" "--no-such-option|--no-such-option" "-K|-K" "-c 5|-c" \
	"--version|--version" "-t 0|-t" "-t 1.5|-t" "-j 1.5|-j" "-j 65|-j" \
	"--max-flows 1.5|--max-flows" "--idle-timeout 1.5|--idle-timeout" \
	"-m summary|summary" "-m foo|foo" "--format xml|xml" \
	"-w $TMP/never.pcap -r $SAMPLE|text report" \
	"-r $SAMPLE -i lo|-r FILE" "-r $SAMPLE --report $TMP/r.txt|--report" \
	"--report $TMP/r.txt udp|--report" "--report $TMP/r.txt -w $TMP/never.txt|--report"; do
	args=${c%|*}
	t="top-reject ${args// /=}"
	t=${t//$TMP\//}
	# shellcheck disable=SC2086 # the option and its value are two words
	run top $args
	if top_usage_error "${c##*|}" && [ ! -e "$TMP/never.txt" ] && [ ! -e "$TMP/never.pcap" ]; then
		pass "$t"
	else
		fail "$t" "exit status $rc (expected 2), or not one line naming ${c##*|}"
	fi
done

# top's own options are not nasoone's.
t="main-rejects-top-options"
run -r "$SAMPLE" -d 1
if [ $rc -eq 2 ] && one_error_line && grep -q -- '-d' "$TMP/err"; then
	pass $t
else
	fail $t "exit status $rc (expected 2) or not one line naming -d"
fi

# -- input errors ------------------------------------------------------------

t="missing-file"
run -r "$TMP/no-such-file.pcap"
if [ $rc -eq 1 ] && one_error_line && grep -q 'no-such-file.pcap' "$TMP/err"; then
	pass $t
else
	fail $t "exit status $rc (expected 1) or not one line naming the file"
fi

t="not-a-capture"
printf 'this is not a capture file, just text that is long enough\n' >"$TMP/text.pcap"
run -r "$TMP/text.pcap" -w "$TMP/text-report.txt"
if [ $rc -eq 1 ] && grep -q '^nasoone: .*text.pcap' "$TMP/err" && [ "$(lines "$TMP/err")" -le 3 ]; then
	pass $t
else
	fail $t "exit status $rc (expected 1) or no line naming the file"
fi

# Every damaged capture from the generator: exit 1, an error line naming the
# file, no crash or sanitizer report (those exit with another status). When
# the generator gives NAME.expected, the report must hold exactly those rows
# (the complete records before the damage); an empty one means unreadable,
# and then no report may be left behind.
mkdir -p "$TMP/corrupt"
if ! "$PCAPGEN" corrupt "$TMP/corrupt" >/dev/null 2>"$TMP/err"; then
	fail corrupt "pcapgen corrupt failed"
else
	found=0
	for f in "$TMP"/corrupt/*.pcap "$TMP"/corrupt/*.pcapng "$TMP"/corrupt/*.pcap.gz; do
		[ -f "$f" ] || continue
		found=1
		name=$(basename "$f")
		t="corrupt $name"
		expected="$TMP/corrupt/${name%%.pcap*}.expected"
		rm -f "$TMP/corrupt.txt"
		run -r "$f" -w "$TMP/corrupt.txt"
		if [ $rc -ne 1 ]; then
			fail "$t" "exit status $rc, expected 1"
		elif ! grep -q "^nasoone: .*$name" "$TMP/err"; then
			fail "$t" "no error line naming the file"
		elif [ ! -f "$expected" ]; then
			pass "$t"
		elif [ ! -s "$expected" ]; then
			if [ -s "$TMP/corrupt.txt" ]; then
				fail "$t" "an unreadable file left a report with content"
			else
				pass "$t"
			fi
		elif [ ! -f "$TMP/corrupt.txt" ] || ! is_report "$TMP/corrupt.txt"; then
			fail "$t" "no report of the records before the damage"
		elif ! cmp -s <(tail -n +2 "$TMP/corrupt.txt" | sort) <(tail -n +2 "$expected" | sort); then
			fail "$t" "the rows differ from ${expected##*/}"
		else
			pass "$t"
		fi
	done
	[ $found -eq 1 ] || fail corrupt "pcapgen corrupt wrote no capture files"
fi

# A pcapng whose second interface brings a link type (147, DLT_USER0) the
# filter cannot compile for: reading stops there with one line saying so,
# the rows before it are written, the statistics still print, and the frame
# that stopped it is not "received" (received = counted + skipped + filtered).
t="filter-unfilterable-linktype"
python3 - "$TMP/mixed.pcapng" <<'PY'
import struct, sys
def blk(t, body):
    body += b"\0" * (-len(body) % 4)
    return struct.pack("<II", t, 12 + len(body)) + body + struct.pack("<I", 12 + len(body))
eth = bytes.fromhex("ffffffffffff0011223344550800" "450000280001000040060000" "0a0000010a000002")
eth += struct.pack(">HHIIBBHHH", 1234, 80, 0, 0, 0x50, 2, 1000, 0, 0)
def epb(i, us):
    return blk(6, struct.pack("<IIIII", i, us >> 32, us & 0xFFFFFFFF, len(eth), len(eth)) + eth)
f = blk(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))
f += blk(1, struct.pack("<HHI", 1, 0, 65535)) + blk(1, struct.pack("<HHI", 147, 0, 65535))
for i, us in ((0, 1672060821764000), (0, 1672060821765000), (1, 1672060821766000), (0, 1672060821767000)):
    f += epb(i, us)
open(sys.argv[1], "wb").write(f)
PY
rm -f "$TMP/mixed.txt"
run -r "$TMP/mixed.pcapng" -w "$TMP/mixed.txt" tcp
if [ $rc -ne 1 ]; then
	fail $t "exit status $rc, expected 1"
elif grep -q 'cannot write the final report' "$TMP/err"; then
	fail $t "the reading error is reported as a failed report"
elif ! grep -q "^nasoone: reading stopped early: .*mixed.pcapng: packet 3: the filter 'tcp' cannot run on its link type 147" "$TMP/err"; then
	fail $t "no line saying where and why reading stopped"
elif ! grep -q '^2 packets received, 2 counted, 0 skipped, 0 filtered' "$TMP/err"; then
	fail $t "statistics missing or the stopping frame counted as received"
elif [ "$(tail -n +2 "$TMP/mixed.txt")" != "10.0.0.1; 1234; 10.0.0.2; 80; [TCP]; 1672060821764; 1672060821765; 108; 2" ]; then
	fail $t "the rows before the stop are not in the report"
else
	pass $t
fi

# The same file in the view (on a pseudo-terminal, quitting at the end): the
# reading error is said as such, after the statistics, and the report holds the rows.
t="top-filter-unfilterable-linktype"
if ! command -v script >/dev/null; then
	skip $t "script (util-linux) not found"
else
	rm -f "$TMP/mixed-top.txt"
	TERM=xterm timeout -k 5 60 script -qec "'$NASOONE' top -r '$TMP/mixed.pcapng' -w '$TMP/mixed-top.txt' --exit-at-end tcp 2>'$TMP/err'" /dev/null >/dev/null </dev/null
	rc=$?
	if [ $rc -ne 1 ]; then
		fail $t "exit status $rc, expected 1"
	elif grep -q 'cannot write the final report' "$TMP/err"; then
		fail $t "the reading error is reported as a failed report"
	elif ! grep -q "^nasoone top: reading stopped early: .*packet 3: the filter 'tcp' cannot run on its link type 147" "$TMP/err" ||
		! grep -q '^2 packets received, 2 counted, 0 skipped, 0 filtered' "$TMP/err"; then
		fail $t "no reading error line or no statistics"
	elif ! cmp -s "$TMP/mixed-top.txt" "$TMP/mixed.txt"; then
		fail $t "the view's report differs from nasoone's"
	else
		pass $t
	fi
fi

# The reference report of the whole sample, for the tests below.
run -r "$SAMPLE" -w "$TMP/full.txt"
t="sample-report"
if [ $rc -eq 0 ] && is_report "$TMP/full.txt" && [ "$(lines "$TMP/full.txt")" -gt 1 ]; then
	pass $t
else
	fail $t "exit status $rc, or no report with rows in the file"
fi
full_rows=$(($(lines "$TMP/full.txt") - 1))

# The generator also knows the report its sample must give (rows compared
# in any order, as the corpus README says).
t="sample-expected"
if ! "$PCAPGEN" sample "$TMP/sample2.pcap" --expected "$TMP/sample.expected" >/dev/null 2>&1 ||
	[ ! -s "$TMP/sample.expected" ]; then
	skip $t "pcapgen gives no expected report"
elif ! cmp -s "$TMP/sample2.pcap" "$SAMPLE"; then
	fail $t "pcapgen sample is not deterministic"
elif cmp -s <(tail -n +2 "$TMP/full.txt" | sort) <(tail -n +2 "$TMP/sample.expected" | sort); then
	pass $t
else
	fail $t "the report differs from pcapgen's expected rows"
fi

t="statistics"
if [ $rc -eq 0 ] && grep -q 'packets received' "$TMP/err" && grep -q 'rows' "$TMP/err" &&
	[ "$(lines "$TMP/err")" -le 2 ] && [ ! -s "$TMP/out" ]; then
	pass $t
else
	fail $t "statistics not on stderr in at most two lines, or something on stdout"
fi

# A truncated copy of the sample: cut in the middle of the last records.
# The report holds the header and the rows counted before the damage.
t="truncated-file"
# A cut that happens to fall between two records reads as a clean end of
# file; one byte earlier is then inside a record (a record is >= 16 bytes).
size=$(stat -c %s "$SAMPLE")
for cut in $((size - size / 3 - 7)) $((size - size / 3 - 8)); do
	head -c $cut "$SAMPLE" >"$TMP/truncated.pcap"
	rm -f "$TMP/truncated.txt"
	run -r "$TMP/truncated.pcap" -w "$TMP/truncated.txt"
	[ $rc -eq 0 ] || break
done
if [ $rc -ne 1 ]; then
	fail $t "exit status $rc, expected 1"
elif ! grep -q '^nasoone: .*truncated.pcap' "$TMP/err"; then
	fail $t "no error line naming the file"
elif ! grep '^nasoone: .*truncated.pcap' "$TMP/err" | grep -Eqi '(packet|record|offset|byte)[^0-9]*[0-9]+|[0-9]+ *(packets?|records?|bytes?)'; then
	fail $t "the error line gives no packet number or offset"
elif [ ! -f "$TMP/truncated.txt" ] || ! is_report "$TMP/truncated.txt"; then
	fail $t "no report with a header was written"
elif [ "$(lines "$TMP/truncated.txt")" -lt 2 ] ||
	[ "$(($(lines "$TMP/truncated.txt") - 1))" -gt "$full_rows" ]; then
	fail $t "the report does not hold the rows counted before the damage"
else
	pass $t
fi

# -- pipes, FIFOs, standard input ---------------------------------------------

# run_stdin FILE ARGS...: like run, with stdin from FILE.
run_stdin()
{
	local f=$1
	shift
	timeout -k 5 60 "$NASOONE" "$@" <"$f" >"$TMP/out" 2>"$TMP/err"
	rc=$?
}

# run_pipe FILE ARGS...: like run, with FILE piped into stdin by cat.
run_pipe()
{
	local f=$1
	shift
	cat "$f" | timeout -k 5 60 "$NASOONE" "$@" >"$TMP/out" 2>"$TMP/err"
	rc=$?
}

t="read-stdin-dash"
run_stdin "$SAMPLE" -r -
if [ $rc -eq 0 ] && cmp -s "$TMP/out" "$TMP/full.txt"; then
	pass $t
else
	fail $t "exit status $rc, or the report differs from the file's"
fi

t="read-pipe-dev-stdin"
run_pipe "$SAMPLE" -r /dev/stdin
if [ $rc -eq 0 ] && cmp -s "$TMP/out" "$TMP/full.txt"; then
	pass $t
else
	fail $t "exit status $rc, or the report differs from the file's"
fi

t="read-gzip-fifo"
rm -f "$TMP/in.fifo"
mkfifo "$TMP/in.fifo"
gzip -c "$SAMPLE" >"$TMP/in.fifo" &
gzpid=$!
run -r "$TMP/in.fifo"
kill $gzpid 2>/dev/null
wait $gzpid 2>/dev/null
if [ $rc -eq 0 ] && cmp -s "$TMP/out" "$TMP/full.txt"; then
	pass $t
else
	fail $t "exit status $rc, or the report differs from the file's"
fi

# Standard input already inside a file (a script read a preamble first): the
# capture starts there, mapped or not.
t="read-stdin-offset"
{ head -c 100 /dev/zero; cat "$SAMPLE"; } >"$TMP/preamble.bin"
{ dd bs=100 count=1 of=/dev/null 2>/dev/null; timeout -k 5 60 "$NASOONE" -r -; } \
	<"$TMP/preamble.bin" >"$TMP/out" 2>"$TMP/err"
rc=$?
if [ $rc -eq 0 ] && cmp -s "$TMP/out" "$TMP/full.txt"; then
	pass $t
else
	fail $t "exit status $rc, or the report differs from the file's"
fi

# Every generated capture, damaged ones too, gives through a pipe (and as
# standard input redirected from the file) the exit status and report it
# gives as a file; a pcapng with interfaces of several link types included.
mkdir -p "$TMP/rules"
if ! "$PCAPGEN" rules "$TMP/rules" >/dev/null 2>"$TMP/err"; then
	fail pipes "pcapgen rules failed"
else
	for f in "$TMP"/rules/*.pcap* "$TMP"/corrupt/*.pcap*; do
		[ -f "$f" ] || continue
		t="pipe ${f#"$TMP"/}"
		run -r "$f"
		rc_file=$rc
		cp "$TMP/out" "$TMP/file-report.txt"
		run_pipe "$f" -r -
		rc_pipe=$rc
		cp "$TMP/out" "$TMP/pipe-report.txt"
		run_stdin "$f" -r -
		if [ $rc_pipe -ne $rc_file ] || [ $rc -ne $rc_file ]; then
			fail "$t" "exit status $rc_pipe (pipe), $rc (stdin), $rc_file as a file"
		elif ! cmp -s "$TMP/pipe-report.txt" "$TMP/file-report.txt" ||
			! cmp -s "$TMP/out" "$TMP/file-report.txt"; then
			fail "$t" "the report differs from the file's"
		else
			pass "$t"
		fi
	done
fi

# -- filter ------------------------------------------------------------------

t="bad-filter"
run -r "$SAMPLE" -w "$TMP/never.txt" 'bogus(('
if [ $rc -eq 1 ] && one_error_line && grep -qi 'filter' "$TMP/err" && [ ! -e "$TMP/never.txt" ]; then
	pass $t
else
	fail $t "exit status $rc (expected 1), not one line about the filter, or a report"
fi

t="filter-udp"
run -r "$SAMPLE" -w "$TMP/udp.txt" udp
if [ $rc -ne 0 ] || ! is_report "$TMP/udp.txt"; then
	fail $t "exit status $rc, or no report"
elif [ "$(lines "$TMP/udp.txt")" -lt 2 ]; then
	fail $t "no UDP rows (the sample should hold UDP traffic)"
elif tail -n +2 "$TMP/udp.txt" | awk -F'; ' '$5 != "[UDP]" && $5 != "[TCP, UDP]" { bad = 1 } END { exit !bad }'; then
	fail $t "a row without UDP in the filtered report"
elif ! tail -n +2 "$TMP/full.txt" | grep -q '; \[TCP\]; '; then
	skip $t "the sample has no TCP-only row, so nothing was there to filter out"
elif [ "$(lines "$TMP/udp.txt")" -ge "$(lines "$TMP/full.txt")" ]; then
	fail $t "the filter removed no row"
else
	pass $t
fi

# Words after the options form one expression, as in tcpdump.
t="filter-words"
run -r "$SAMPLE" -w "$TMP/words.txt" udp or tcp
run2_rc=$rc
if [ $run2_rc -eq 0 ] && cmp -s <(tail -n +2 "$TMP/words.txt") <(tail -n +2 "$TMP/full.txt"); then
	pass $t
else
	fail $t "exit status $run2_rc, or 'udp or tcp' did not keep every row"
fi

# -- output ------------------------------------------------------------------

t="stdout-default"
run -r "$SAMPLE"
if [ $rc -eq 0 ] && cmp -s "$TMP/out" "$TMP/full.txt"; then
	pass $t
else
	fail $t "exit status $rc, or stdout differs from the -w report"
fi

t="stdout-dash"
run -r "$SAMPLE" -w -
if [ $rc -eq 0 ] && cmp -s "$TMP/out" "$TMP/full.txt" && [ ! -e ./- ]; then
	pass $t
else
	fail $t "exit status $rc, or stdout differs from the -w report"
fi

t="existing-output"
printf 'keep me\n' >"$TMP/existing.txt"
run -r "$SAMPLE" -w "$TMP/existing.txt"
if [ $rc -eq 1 ] && one_error_line && [ "$(cat "$TMP/existing.txt")" = "keep me" ]; then
	pass $t
else
	fail $t "exit status $rc (expected 1), not one line, or the file changed"
fi

t="existing-output-force"
run -r "$SAMPLE" -w "$TMP/existing.txt" --force
if [ $rc -eq 0 ] && cmp -s "$TMP/existing.txt" "$TMP/full.txt"; then
	pass $t
else
	fail $t "exit status $rc, or the file was not replaced by the report"
fi

t="existing-output-force-long"
printf 'keep me\n' >"$TMP/existing.txt"
run --read "$SAMPLE" --write "$TMP/existing.txt" --force --interval 5 --threads 2
if [ $rc -eq 0 ] && cmp -s "$TMP/existing.txt" "$TMP/full.txt"; then
	pass $t
else
	fail $t "exit status $rc, or the long options did not work"
fi

t="output-missing-directory"
run -r "$SAMPLE" -w "$TMP/no/such/dir/report.txt"
if [ $rc -eq 1 ] && one_error_line && [ ! -e "$TMP/no" ]; then
	pass $t
else
	fail $t "exit status $rc (expected 1), or not one line"
fi

t="output-dev-null"
run -r "$SAMPLE" -w /dev/null
if [ $rc -eq 0 ] && [ ! -s "$TMP/out" ] && [ -c /dev/null ]; then
	pass $t
else
	fail $t "exit status $rc, or /dev/null was replaced"
fi

# The report never replaces the capture it is made from, whatever the name
# (the same path, another spelling of it, a hard link): same device and inode.
# The names do not end in .pcap, which -w refuses by name alone.
cp "$SAMPLE" "$TMP/self.dump"
ln -f "$TMP/self.dump" "$TMP/self-link.dump"
for out in "$TMP/self.dump" "$TMP/../${TMP##*/}/self.dump" "$TMP/self-link.dump"; do
	t="output-is-input ${out##*/}"
	run -r "$TMP/self.dump" -w "$out" --force
	if [ $rc -eq 1 ] && one_error_line && grep -q 'capture' "$TMP/err" &&
		cmp -s "$TMP/self.dump" "$SAMPLE"; then
		pass "$t"
	else
		fail "$t" "exit status $rc (expected 1), not one line, or the capture was changed"
	fi
	cp "$SAMPLE" "$TMP/self.dump" 2>/dev/null
	ln -f "$TMP/self.dump" "$TMP/self-link.dump"
done

# -- determinism -------------------------------------------------------------

t="threads-deterministic"
run -r "$SAMPLE" -w "$TMP/j1.txt" -j 1
rc1=$rc
# Planned for 5 CPUs: 4 counters really run on the file, even on 2 CPUs.
NASOONE_CPUS=5 run -r "$SAMPLE" -w "$TMP/j4.txt" -j 4
if [ $rc1 -eq 0 ] && [ $rc -eq 0 ] && cmp -s "$TMP/j1.txt" "$TMP/j4.txt"; then
	pass $t
else
	fail $t "exit statuses $rc1/$rc, or -j 1 and -j 4 reports differ"
fi

# NASOONE_CPUS plans the threads for that many CPUs; a bad value is an error at start.
t="nasoone-cpus"
said=$(NASOONE_CPUS=5 "$NASOONE" -v -r "$SAMPLE" -w /dev/null -j 4 2>&1 | grep 'counting thread')
dflt=$(NASOONE_CPUS=3 "$NASOONE" -v -r "$SAMPLE" -w /dev/null 2>&1 | grep 'counting thread')
bad_ok=1
for v in 0 x -1 8193 2.5 " 3"; do
	NASOONE_CPUS=$v "$NASOONE" -r "$SAMPLE" -w "$TMP/cpus.txt" 2>"$TMP/err"
	rc=$?
	if [ $rc -ne 1 ] || [ -e "$TMP/cpus.txt" ] ||
		! grep -q "^nasoone: cannot start: NASOONE_CPUS='$v' is not a number of CPUs: give 1 to 8192, or unset it$" "$TMP/err"; then
		bad_ok=0
		bad="'$v': status $rc, $(head -n 1 "$TMP/err")"
	fi
	rm -f "$TMP/cpus.txt"
done
if [ "$said" = "nasoone: 4 counting threads" ] && [ "$dflt" = "nasoone: 2 counting threads" ] &&
	[ $bad_ok -eq 1 ]; then
	pass $t
else
	fail $t "-j 4 with 5 CPUs: '$said'; default with 3: '$dflt'; ${bad:-bad values refused}"
fi

# -- live capture --------------------------------------------------------------

t="unknown-device"
run -i nosuchif0
if [ $rc -eq 1 ] && one_error_line && grep -q 'nosuchif0' "$TMP/err"; then
	pass $t
else
	fail $t "exit status $rc (expected 1), or not one line naming the device"
fi

t="list-interfaces"
run -D
if [ $rc -eq 0 ] && grep -Eq '^[0-9]+\.[^ ]+' "$TMP/out" && ! grep -Evq '^[0-9]+\.[^ ]+( \(.*\))?$' "$TMP/out"; then
	pass $t
else
	fail $t "exit status $rc, or lines not like '1.eth0 (description)'"
fi

# Signals during a live capture on the loopback device: SIGUSR1 prints the
# statistics (as tcpdump), SIGRTMIN pauses, SIGUSR2 resumes, SIGINT stops
# cleanly (final report, statistics, exit 0).
# Needs the capability to capture.
t="signals-live"
if [ "$(id -u)" -ne 0 ]; then
	skip $t "capturing needs root"
else
	# Started directly (not under timeout(1)) so that SIGINT reaches nasoone
	# itself; a watchdog kills it if it does not stop.
	"$NASOONE" -i lo -w "$TMP/live.txt" -t 1 </dev/null >"$TMP/out" 2>"$TMP/err" &
	pid=$!
	# Until it runs (the report file is created at start) or gives up.
	for _ in $(seq 50); do
		if [ -e "$TMP/live.txt" ] || ! kill -0 $pid 2>/dev/null; then
			break
		fi
		sleep 0.1
	done
	sleep 0.3
	kill -USR1 $pid 2>/dev/null
	sleep 0.3
	kill -RTMIN $pid 2>/dev/null
	sleep 0.3
	kill -USR2 $pid 2>/dev/null
	sleep 0.3
	kill -INT $pid 2>/dev/null
	# A watchdog: it must exit within 10 s of SIGINT.
	hung=0
	for _ in $(seq 100); do
		kill -0 $pid 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 $pid 2>/dev/null; then
		hung=1
		kill -KILL $pid 2>/dev/null
	fi
	wait $pid 2>/dev/null
	rc=$?
	if [ $hung -eq 1 ]; then
		fail $t "still running 10 s after SIGINT"
	elif grep -qi 'permission\|not permitted\|CAP_NET' "$TMP/err"; then
		skip $t "no permission to capture on lo"
	elif [ $rc -ne 0 ] || ! is_report "$TMP/live.txt" || ! grep -q 'packets received' "$TMP/err"; then
		fail $t "exit status $rc, or no final report and statistics after SIGINT"
	elif [ "$(grep -c 'packets\? received' "$TMP/err")" -ne 2 ]; then
		fail $t "SIGUSR1 did not print the statistics once before the final ones"
	elif ! grep -q '^nasoone: paused' "$TMP/err" || ! grep -q '^nasoone: resumed' "$TMP/err"; then
		fail $t "SIGRTMIN and SIGUSR2 did not pause and resume"
	else
		pass $t
	fi
fi

# The same without root, reading a FIFO whose writer stays silent after the
# sample: SIGHUP must stop the reader waiting on it (within 10 s), with the
# header in the report file from the start and the sample's rows at the end.
t="sighup-fifo"
rm -f "$TMP/hup.fifo" "$TMP/hup2.txt"
mkfifo "$TMP/hup.fifo"
exec 7<>"$TMP/hup.fifo" # a writer that never closes, without a child process
"$NASOONE" -r "$TMP/hup.fifo" -w "$TMP/hup2.txt" -t 60 </dev/null >"$TMP/out" 2>"$TMP/err" &
pid=$!
cat "$SAMPLE" >&7 & # more than a pipe holds: blocks until read
catpid=$!
for _ in $(seq 50); do
	if [ -s "$TMP/hup2.txt" ] || ! kill -0 $pid 2>/dev/null; then
		break
	fi
	sleep 0.1
done
sleep 0.5
header_at_start=$(head -n 1 "$TMP/hup2.txt" 2>/dev/null)
kill -HUP $pid 2>/dev/null
hung=1
for _ in $(seq 100); do
	if ! kill -0 $pid 2>/dev/null; then
		hung=0
		break
	fi
	sleep 0.1
done
kill -KILL $pid 2>/dev/null
wait $pid 2>/dev/null
rc=$?
kill $catpid 2>/dev/null
wait $catpid 2>/dev/null
exec 7>&-
if [ "$header_at_start" != "$HEADER" ]; then
	fail $t "the report file had no header before the first interval"
elif [ $hung -eq 1 ]; then
	fail $t "still running 10 s after SIGHUP (the reader waits on the FIFO)"
elif [ $rc -ne 0 ] || ! cmp -s "$TMP/hup2.txt" "$TMP/full.txt" || ! grep -q 'packets received' "$TMP/err"; then
	fail $t "exit status $rc, or not the sample's report and statistics after SIGHUP"
else
	pass $t
fi

# -- tcpdump's option letters ---------------------------------------------------

# -F FILE is tcpdump's: the filter expression read from FILE ('#' comments).
t="filter-file"
printf 'udp # the DNS of the sample\n' >"$TMP/udp.filter"
run -r "$SAMPLE" -w "$TMP/ffile.txt" -F "$TMP/udp.filter"
if [ $rc -eq 0 ] && cmp -s "$TMP/ffile.txt" "$TMP/udp.txt"; then
	pass $t
else
	fail $t "exit status $rc, or -F FILE did not filter as the expression 'udp'"
fi

t="filter-file-and-expression"
run -r "$SAMPLE" -w "$TMP/never.txt" -F "$TMP/udp.filter" tcp
if [ $rc -eq 2 ] && one_error_line && [ ! -e "$TMP/never.txt" ]; then
	pass $t
else
	fail $t "exit status $rc (expected 2), or not one line"
fi

# The old -F (force) as it was typed: at the end, or before another option.
for args in "-F" "-F -t 5" "-F $TMP/no-such.filter"; do
	t="filter-file-legacy ${args// /=}"
	# shellcheck disable=SC2086 # the option and its value are two words
	run -r "$SAMPLE" -w "$TMP/existing.txt" $args
	if [ $rc -ne 0 ] && one_error_line && grep -q -- '--force' "$TMP/err" &&
		cmp -s "$TMP/existing.txt" "$TMP/full.txt"; then
		pass "$t"
	else
		fail "$t" "exit status $rc, not one line pointing to --force, or the file changed"
	fi
done

# tcpdump's -t forms are timestamp formats: refused with the reason.
for args in "-t" "-tt" "-tttt" "-t udp"; do
	t="timestamp-forms ${args// /=}"
	# shellcheck disable=SC2086
	run -r "$SAMPLE" -w "$TMP/never.txt" $args
	if [ $rc -eq 2 ] && one_error_line && grep -q 'timestamp' "$TMP/err" && [ ! -e "$TMP/never.txt" ]; then
		pass "$t"
	else
		fail "$t" "exit status $rc (expected 2), or not one line about timestamp formats"
	fi
done

# -w NAME.pcap would be a capture for tcpdump: refused, nothing created.
for name in x.pcap x.pcapng x.PCAP x.pcap.gz; do
	t="write-capture-name $name"
	run -r "$SAMPLE" -w "$TMP/$name"
	if [ $rc -eq 2 ] && one_error_line && grep -q 'text report' "$TMP/err" && [ ! -e "$TMP/$name" ]; then
		pass "$t"
	else
		fail "$t" "exit status $rc (expected 2), not one line, or a file was created"
	fi
done

# -c COUNT: exactly the first COUNT packets that pass the filter.
t="count"
run -r "$SAMPLE" -w "$TMP/c3.txt" -c 3 udp
if [ $rc -ne 0 ] || ! is_report "$TMP/c3.txt"; then
	fail $t "exit status $rc, or no report"
elif [ "$(tail -n +2 "$TMP/c3.txt" | awk -F'; ' '{ n += $9 } END { print n + 0 }')" -ne 3 ]; then
	fail $t "the report holds $(tail -n +2 "$TMP/c3.txt" | awk -F'; ' '{ n += $9 } END { print n + 0 }') packets, not 3"
elif ! grep -q '^3 packets received, 3 counted' "$TMP/err" && ! grep -q '^[0-9]* packets received, 3 counted, 0 skipped, [0-9]* filtered' "$TMP/err"; then
	fail $t "statistics do not say 3 counted"
else
	pass $t
fi

# SIGHUP (an ssh session that drops) stops like SIGTERM: final report,
# statistics, exit 0. The report file holds its header from the start, long
# before the first interval (-t 60).
t="sighup-live"
if [ "$(id -u)" -ne 0 ]; then
	skip $t "capturing needs root"
else
	rm -f "$TMP/hup.txt"
	"$NASOONE" -i lo -w "$TMP/hup.txt" -t 60 </dev/null >"$TMP/out" 2>"$TMP/err" &
	pid=$!
	for _ in $(seq 50); do
		if [ -e "$TMP/hup.txt" ] || ! kill -0 $pid 2>/dev/null; then
			break
		fi
		sleep 0.1
	done
	sleep 0.5
	header_at_start=$(head -n 1 "$TMP/hup.txt" 2>/dev/null)
	kill -HUP $pid 2>/dev/null
	for _ in $(seq 100); do
		kill -0 $pid 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL $pid 2>/dev/null
	wait $pid 2>/dev/null
	rc=$?
	if grep -qi 'permission\|not permitted\|CAP_NET' "$TMP/err"; then
		skip $t "no permission to capture on lo"
	elif [ "$header_at_start" != "$HEADER" ]; then
		fail $t "the report file had no header before the first interval"
	elif [ $rc -ne 0 ] || ! is_report "$TMP/hup.txt" || ! grep -q 'packets received' "$TMP/err"; then
		fail $t "exit status $rc, or no final report and statistics after SIGHUP"
	else
		pass $t
	fi
fi

# Singular: "1 packet", "1 row".
t="singular"
run -r "$SAMPLE" -w "$TMP/c1.txt" -c 1 udp
if [ $rc -eq 0 ] && grep -q ' 1 row$' "$TMP/err" && ! grep -q ' 1 rows' "$TMP/err"; then
	pass $t
else
	fail $t "exit status $rc, or not '1 row'"
fi

t="count-zero"
run -r "$SAMPLE" -c 0
if [ $rc -eq 2 ] && one_error_line; then
	pass $t
else
	fail $t "exit status $rc (expected 2), or not one line"
fi

# -n is accepted (addresses are always numeric); -q says nothing; -v names the path.
t="quiet-numeric"
run -r "$SAMPLE" -w "$TMP/q.txt" -n -q
if [ $rc -eq 0 ] && [ ! -s "$TMP/err" ] && cmp -s "$TMP/q.txt" "$TMP/full.txt"; then
	pass $t
else
	fail $t "exit status $rc, something on stderr with -q, or another report"
fi

t="verbose"
run -r "$SAMPLE" -w "$TMP/v.txt" -v
if [ $rc -eq 0 ] && grep -q '^nasoone: libpcap: reading' "$TMP/err" && grep -q 'packets received' "$TMP/err"; then
	pass $t
else
	fail $t "exit status $rc, or no path line with -v"
fi

# -B is libpcap's buffer: refused by a forced eBPF mode, with the reason.
t="buffer-forced-ebpf"
run -r "$SAMPLE" -w "$TMP/never.txt" --mode xdp -B 1024
if [ $rc -eq 1 ] && one_error_line && grep -q -- '-B' "$TMP/err" && [ ! -e "$TMP/never.txt" ]; then
	pass $t
else
	fail $t "exit status $rc (expected 1), or not one line about -B"
fi

t="count-forced-ebpf"
run -r "$SAMPLE" -w "$TMP/never.txt" --mode tc -c 5
if [ $rc -eq 1 ] && one_error_line && grep -q -- '-c' "$TMP/err" && [ ! -e "$TMP/never.txt" ]; then
	pass $t
else
	fail $t "exit status $rc (expected 1), or not one line about -c"
fi

# -Z USER (root only): a user that does not exist, one that cannot write
# the report's directory: start fails, nothing is created.
t="user-unknown"
if [ "$(id -u)" -ne 0 ]; then
	skip $t "needs root"
else
	run -r "$SAMPLE" -w "$TMP/never.txt" -Z no-such-user-nasoone
	if [ $rc -eq 1 ] && one_error_line && grep -q 'no-such-user-nasoone' "$TMP/err" && [ ! -e "$TMP/never.txt" ]; then
		pass $t
	else
		fail $t "exit status $rc (expected 1), not one line naming the user, or a report"
	fi
fi

t="user-cannot-write"
if [ "$(id -u)" -ne 0 ] || ! id nobody >/dev/null 2>&1; then
	skip $t "needs root and the user nobody"
else
	mkdir -m 0755 "$TMP/rootonly"
	chown root "$TMP/rootonly"
	run -r "$SAMPLE" -w "$TMP/rootonly/r.txt" -Z nobody
	if [ $rc -eq 1 ] && one_error_line && grep -q 'nobody cannot write' "$TMP/err" && [ ! -e "$TMP/rootonly/r.txt" ]; then
		pass $t
	else
		fail $t "exit status $rc (expected 1), not one line, or a report was created"
	fi
	# The default user: the uid stays 0 (capabilities go), with a note; -Z root keeps root quietly.
	t="user-default-cannot-write"
	run -r "$SAMPLE" -w "$TMP/rootonly/r.txt"
	if [ $rc -eq 0 ] && grep -q '^nasoone: note: running as uid 0' "$TMP/err" && cmp -s "$TMP/rootonly/r.txt" "$TMP/full.txt"; then
		pass $t
	else
		fail $t "exit status $rc, no note, or not the full report"
	fi
	t="user-root"
	run -r "$SAMPLE" -w "$TMP/rootonly/r2.txt" -Z root
	if [ $rc -eq 0 ] && [ "$(lines "$TMP/err")" -eq 2 ] && cmp -s "$TMP/rootonly/r2.txt" "$TMP/full.txt"; then
		pass $t
	else
		fail $t "exit status $rc, a note with -Z root, or not the full report"
	fi
	t="user-nobody"
	run -r "$SAMPLE" -w "$TMP/nobody.txt" -Z nobody -v
	if [ $rc -eq 0 ] && grep -q "^nasoone: running as uid $(id -u nobody) (nobody), gid $(id -g nobody), capabilities: none" "$TMP/err" &&
		[ "$(stat -c %U "$TMP/nobody.txt")" = nobody ] && cmp -s "$TMP/nobody.txt" "$TMP/full.txt"; then
		pass $t
	else
		fail $t "exit status $rc, no 'running as' line, or the report is not nobody's full report"
	fi
fi

# -D: devices with an IPv4 or IPv6 address, and any; nothing else.
t="list-interfaces-addresses"
run -D
want=$( (ip -o addr show 2>/dev/null | awk '{ print $2 }' | sed 's/@.*//'; echo any) | sort -u)
got=$(sed -e 's/^[0-9]*\.//' -e 's/ (.*)$//' "$TMP/out" | sort -u)
if [ $rc -eq 0 ] && [ "$want" = "$got" ]; then
	pass $t
else
	fail $t "listed '$(echo $got)', interfaces with an address and any are '$(echo $want)'"
fi

# --duration on a live capture: stops by itself, final report, exit 0.
t="duration"
if [ "$(id -u)" -ne 0 ]; then
	skip $t "capturing needs root"
else
	start=$(date +%s%N)
	run -i lo --duration 1 -w "$TMP/dur.txt" -t 1
	ms=$((($(date +%s%N) - start) / 1000000))
	if grep -qi 'permission\|not permitted' "$TMP/err"; then
		skip $t "no permission to capture on lo"
	elif [ $rc -eq 0 ] && is_report "$TMP/dur.txt" && [ $ms -ge 1000 ] && [ $ms -lt 30000 ]; then
		pass $t
	else
		fail $t "exit status $rc, no report, or it ran $ms ms"
	fi
fi

# -B on the libpcap path: a capture buffer of that many KiB, accepted and running.
t="buffer-live-pcap"
if [ "$(id -u)" -ne 0 ]; then
	skip $t "capturing needs root"
else
	run -i lo --mode pcap -B 4096 --duration 1 -w "$TMP/buf.txt" -t 1 -v
	if grep -qi 'permission\|not permitted' "$TMP/err"; then
		skip $t "no permission to capture on lo"
	elif [ $rc -eq 0 ] && is_report "$TMP/buf.txt" && grep -q '^nasoone: libpcap on lo (requested)' "$TMP/err"; then
		pass $t
	else
		fail $t "exit status $rc, or no report with -B 4096"
	fi
fi

# pkg-config --static: a program links against libnasoone.a with what it names.
# tasks_while_reading CPULIST ARGS...: the threads of nasoone reading a FIFO
# that stays open (every thread started, none finished), on CPULIST only.
tasks_while_reading()
{
	local cpus=$1 pid n=0 i
	shift
	rm -f "$TMP/threads.fifo"
	mkfifo "$TMP/threads.fifo"
	taskset -c "$cpus" timeout -k 5 60 "$NASOONE" -r "$TMP/threads.fifo" -w /dev/null "$@" \
		</dev/null >/dev/null 2>"$TMP/err" &
	pid=$!
	exec 7>"$TMP/threads.fifo"
	cat "$SAMPLE" >&7
	# The threads start once the file's header is read; wait until their number holds.
	for i in $(seq 50); do
		sleep 0.1
		[ "$(pgrep -P $pid -x nasoone)" ] || continue
		n=$(ls /proc/"$(pgrep -P $pid -x nasoone)"/task 2>/dev/null | wc -l)
		[ "$n" -ge 4 ] && [ "$i" -ge 5 ] && break
	done
	exec 7>&-
	wait $pid
	echo "$n"
}

# Reading a file, never more counter threads than the CPUs the process may
# use besides the reader's (at least one): by default one counter per such
# CPU, and no more when -j asks more. Threads: main, reader, consumer, and
# the counter threads. On 2 CPUs a second counter thread took the reader's
# CPU (-j 2 and the default were slower than -j 1).
t="counter-threads-leave-the-reader-a-cpu"
allowed_cpus()
{
	sed -n 's/^Cpus_allowed_list:\s*//p' /proc/self/status | tr ',' '\n' |
		while IFS=- read -r a b; do seq "$a" "${b:-$a}"; done
}
first=$(allowed_cpus | sed -n 1p)
second=$(allowed_cpus | sed -n 2p)
if ! command -v taskset >/dev/null || ! command -v pgrep >/dev/null || [ -z "$second" ]; then
	skip $t "no taskset or pgrep, or fewer than 2 CPUs allowed"
else
	one=$(tasks_while_reading "$first")
	two=$(tasks_while_reading "$first,$second")
	asked=$(tasks_while_reading "$first,$second" -j 3)
	third=$(allowed_cpus | sed -n 3p)
	three=5
	[ -n "$third" ] && three=$(tasks_while_reading "$first,$second,$third" -j 8)
	if [ "$one" -eq 4 ] && [ "$two" -eq 4 ] && [ "$asked" -eq 4 ] && [ "$three" -eq 5 ]; then
		pass $t
	else
		fail $t "threads: $one on 1 CPU, $two on 2, $asked with -j 3 on 2 (4 expected), $three with -j 8 on 3 (5)"
	fi
fi

# Reading a file, a counter asked beyond the CPUs left besides the reader's
# is not made: -j 8 on 2 CPUs counts with one shard, as -j 1 does, so it
# takes no more memory (on the build that gave each its own table, sharing
# one thread, -j 8 took 15 MiB more for 200k flows, -j 3 2 MiB), and -v says so.
t="file-counters-fit-the-cpus"
if ! command -v taskset >/dev/null || [ ! -x /usr/bin/time ] || [ -z "$second" ]; then
	skip $t "no taskset or /usr/bin/time, or fewer than 2 CPUs allowed"
else
	"$PCAPGEN" mix --packets 400000 --flows 200000 --seed 3 "$TMP/fit.pcap" >/dev/null
	peak_kib()
	{
		taskset -c "$first,$second" /usr/bin/time -f %M "$NASOONE" -r "$TMP/fit.pcap" \
			-w /dev/null "$@" 2>&1 >/dev/null | tail -n 1
	}
	one=$(peak_kib -j 1)
	eight=$(peak_kib -j 8)
	said=$(taskset -c "$first,$second" "$NASOONE" -v -r "$TMP/fit.pcap" -w /dev/null -j 3 2>&1 |
		grep 'counting thread')
	if [ "$eight" -le $((one + 1024)) ] &&
		[ "$said" = "nasoone: 1 counting thread of the 3 asked: reading a file, counters never outnumber the CPUs left besides the reader's" ]; then
		pass $t
	else
		fail $t "peak $one KiB with -j 1, $eight with -j 8 (at most 1 MiB more expected); -v said: '$said'"
	fi
fi

t="pkg-config-static"
REPO=$(cd "$(dirname "$0")/../.." && pwd)
if ! command -v pkg-config >/dev/null || ! command -v cc >/dev/null || [ ! -f "$REPO/libnasoone.a" ]; then
	skip $t "no pkg-config, compiler, or libnasoone.a at the top of the tree"
else
	mkdir -p "$TMP/pc/lib/pkgconfig" "$TMP/pc/include"
	cp "$REPO/libnasoone.a" "$TMP/pc/lib/" && cp "$REPO/include/nasoone.h" "$TMP/pc/include/"
	sed "s|^prefix=.*|prefix=$TMP/pc|" "$REPO/nasoone.pc" >"$TMP/pc/lib/pkgconfig/nasoone.pc"
	printf '#include <nasoone.h>\nint main(void) { struct nasoone *n = nasoone_new(); nasoone_free(n); return !n; }\n' >"$TMP/pc/t.c"
	# shellcheck disable=SC2046 # pkg-config's words
	if cc "$TMP/pc/t.c" -o "$TMP/pc/t" $(PKG_CONFIG_PATH=$TMP/pc/lib/pkgconfig pkg-config --static --cflags --libs nasoone) 2>"$TMP/err" &&
		"$TMP/pc/t"; then
		pass $t
	else
		fail $t "cc with pkg-config --static --libs nasoone failed"
	fi
fi

echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
