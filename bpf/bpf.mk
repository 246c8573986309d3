# SPDX-License-Identifier: GPL-2.0-only
# BPF objects and skeletons (see bpf/).
