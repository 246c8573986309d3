/* SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "api/privs.h"

struct target {
	uid_t uid;
	gid_t gid;
	char name[64];
};

/* The highest capability this kernel knows (for the bounding set). */
static int last_cap(void)
{
	FILE *f = fopen("/proc/sys/kernel/cap_last_cap", "re");
	int v = 40;

	if (f) {
		if (fscanf(f, "%d", &v) != 1)
			v = 40;
		fclose(f);
	}
	return v;
}

static int lookup(const char *name, struct target *t)
{
	struct passwd pw, *res = NULL;
	char buf[4096];
	int ret = getpwnam_r(name, &pw, buf, sizeof(buf), &res);

	if (ret || !res)
		return ret ? -ret : -ENOENT;
	t->uid = pw.pw_uid;
	t->gid = pw.pw_gid;
	snprintf(t->name, sizeof(t->name), "%s", name);
	return 0;
}

static bool has_effective(int cap)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2];

	if (syscall(SYS_capget, &hdr, data))
		return false;
	return (cap < 32 ? data[0].effective >> cap : data[1].effective >> (cap - 32)) & 1;
}

/* Keep only the capabilities in keep (a bit per capability) in every set of this thread. */
static int set_caps(uint64_t keep)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2];

	memset(data, 0, sizeof(data));
	data[0].effective = data[0].permitted = (uint32_t)keep;
	data[1].effective = data[1].permitted = (uint32_t)(keep >> 32);
	if (syscall(SYS_capset, &hdr, data))
		return -errno;
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) && errno != EINVAL)
		return -errno;
	return 0;
}

/*
 * Can t create and rename files in dir? Asked of the kernel by a child
 * that takes t's identity (ACLs and every parent directory count), so
 * this process changes nothing when the answer is no.
 */
static bool can_write(const struct target *t, const char *path, int mode)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return false;
	if (pid == 0) {
		/* uid 0 is asked without capabilities: access() then checks as for anyone. */
		if (setgroups(0, NULL) || setresgid(t->gid, t->gid, t->gid) ||
		    setresuid(t->uid, t->uid, t->uid) || (t->uid == 0 && set_caps(0)))
			_exit(2);
		_exit(access(path, mode) ? 1 : 0);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return false;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* What of the report t could not write, or NULL. */
static const char *unwritable(const struct target *t, const struct privs_request *r)
{
	if (r->report_dir && !can_write(t, r->report_dir, W_OK | X_OK))
		return r->report_dir;
	if (r->report_file && !can_write(t, r->report_file, W_OK))
		return r->report_file;
	return NULL;
}

/* Before 6.5 the bpf() syscall itself wants CAP_BPF when unprivileged BPF is off. */
bool privs_bpf_needs_cap(void)
{
	struct utsname u;
	int major = 0, minor = 0;

	if (uname(&u) || sscanf(u.release, "%d.%d", &major, &minor) != 2)
		return true;
	return major < 6 || (major == 6 && minor < 5);
}

static int drop_bounding(uint64_t keep)
{
	int cap, last = last_cap();

	/* Without CAP_SETPCAP (not root, e.g. a systemd unit's user) the bounding set stays. */
	if (prctl(PR_CAPBSET_READ, CAP_SETPCAP, 0, 0, 0) != 1 || !has_effective(CAP_SETPCAP))
		return 0;

	for (cap = 0; cap <= last && cap < 64; cap++) {
		if (keep & (1ull << cap))
			continue;
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) && errno != EINVAL)
			return -errno;
	}
	return 0;
}

/* "none", or the names of the capabilities in keep, comma-separated. */
static const char *cap_names(uint64_t keep, char *buf, size_t size)
{
	static const struct {
		int cap;
		const char *name;
	} names[] = { { CAP_DAC_OVERRIDE, "cap_dac_override" },
		      { CAP_NET_ADMIN, "cap_net_admin" },
		      { CAP_BPF, "cap_bpf" } };
	size_t len = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (keep & (1ull << names[i].cap))
			len += (size_t)snprintf(buf + len, size - len, "%s%s", len ? "," : "",
						names[i].name);
	return len ? buf : "none";
}

int privs_drop(const struct privs_request *r, char *summary, size_t len, char *err, size_t errlen)
{
	uint64_t keep = 0;
	struct target t;
	char why[512] = "", caps[64];
	const char *where;
	bool switch_user;
	int ret;

	if (r->keep_net_admin)
		keep |= 1ull << CAP_NET_ADMIN;
	if (r->keep_bpf)
		keep |= 1ull << CAP_BPF;
	if (r->user) {
		ret = lookup(r->user, &t);
		if (ret) {
			snprintf(err, errlen, "cannot drop privileges: no user %s%s", r->user,
				 ret == -ENOENT ? "" : strerror(-ret));
			return -ENOENT;
		}
	} else if (geteuid() == 0) {
		if (lookup(PRIVS_DEFAULT_USER, &t) && lookup(PRIVS_FALLBACK_USER, &t)) {
			snprintf(err, errlen,
				 "cannot drop privileges: neither user %s nor %s exists "
				 "(name one with -Z USER)",
				 PRIVS_DEFAULT_USER, PRIVS_FALLBACK_USER);
			return -ENOENT;
		}
	} else {
		t.uid = getuid();
		t.gid = getgid();
		snprintf(t.name, sizeof(t.name), "the current user");
	}
	switch_user = t.uid != getuid() || t.uid != geteuid() || t.gid != getgid();
	if (switch_user && geteuid() != 0) {
		snprintf(err, errlen, "cannot become %s: only root can change user", t.name);
		return -EPERM;
	}
	where = switch_user ? unwritable(&t, r) : NULL;
	if (switch_user && where) {
		if (r->user) {
			snprintf(err, errlen,
				 "user %s cannot write %s, where the report is written: give it to "
				 "%s, "
				 "write the report elsewhere, or choose another user with -Z",
				 t.name, where, t.name);
			return -EACCES;
		}
		/*
		 * The default user: stay uid 0 without the capabilities of root,
		 * but with CAP_DAC_OVERRIDE when even that cannot rewrite the report
		 * (a directory of another user, as with sudo in a home directory).
		 */
		snprintf(why, sizeof(why), "%s cannot write %s (-Z USER or another directory)",
			 t.name, where);
		t = (struct target){ .uid = 0, .gid = 0, .name = "root" };
		if (unwritable(&t, r))
			keep |= 1ull << CAP_DAC_OVERRIDE;
	}
	/* The bounding set needs CAP_SETPCAP, which goes with the uid. */
	ret = drop_bounding(keep);
	if (!ret && switch_user && keep && prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0))
		ret = -errno;
	if (!ret && switch_user &&
	    (setgroups(0, NULL) || setresgid(t.gid, t.gid, t.gid) ||
	     setresuid(t.uid, t.uid, t.uid)))
		ret = -errno;
	if (!ret)
		ret = set_caps(keep);
	if (!ret && prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0))
		ret = -errno;
	if (!ret && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		ret = -errno;
	if (ret) {
		/* Half done: the caller must not go on with the capture. */
		snprintf(err, errlen, "cannot drop privileges to %s: %s", t.name, strerror(-ret));
		return ret;
	}
	snprintf(summary, len, "uid %u (%s), gid %u, capabilities: %s%s%s", (unsigned)getuid(),
		 switch_user ? t.name : "unchanged", (unsigned)getgid(),
		 cap_names(keep, caps, sizeof(caps)), *why ? "; uid 0 kept because " : "", why);
	return 0;
}
