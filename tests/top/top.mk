# SPDX-License-Identifier: GPL-2.0-only
# Tests of `nasoone top` driven through tmux (tests/top/run.sh): the screen
# against the report of the same capture, sorting, filters, the per-host
# summary, pause/resume, q and signals, resize, --report, and live on veth
# pairs in private namespaces in each mode (those need root, else SKIPPED).
# TOP_ONLY=WORD runs only the tests whose name contains WORD.

.PHONY: test-top

test-top: $(NASOONE_BIN) $(OUTPUT)/pcapgen
	$(call msg,TEST,top)
	$(Q)bash tests/top/run.sh $(NASOONE_BIN) $(OUTPUT)/pcapgen $(OUTPUT)/top

# The view's cost (not a test): tests/bench/top_bench.sh, run by `make bench`.
TOP_BENCH_OBJS := $(OUTPUT)/obj/cli/top_model.o $(OUTPUT)/obj/cli/top_rates.o \
	$(OUTPUT)/obj/cli/top_filter.o

$(OUTPUT)/top_bench: tests/bench/top_bench.c $(TOP_BENCH_OBJS) $(OUTPUT)/libnasoone.a
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $^ $(ALL_LDFLAGS) $(LDLIBS) -lm -o $@

.PHONY: bench-top
bench-top: $(NASOONE_BIN) $(OUTPUT)/pcapgen $(OUTPUT)/top_bench
	$(Q)tests/bench/top_bench.sh $(NASOONE_BIN) $(OUTPUT)/pcapgen $(OUTPUT)/top_bench \
		$(OUTPUT)/bench-top
