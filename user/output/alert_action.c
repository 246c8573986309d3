/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What an alert does: a line on standard error or appended to a log file,
 * syslog(3), a desktop notification through notify-send, a command. Every
 * program runs through posix_spawnp() with an argument vector: no shell
 * ever sees a byte of packet data, which reaches a command only in
 * NASOONE_* environment variables.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "output/alert.h"

extern char **environ;

#define MAX_LOGS     16
#define MAX_CHILDREN 64 /* running commands; an alert past that runs no command (said once) */
#define MAX_ARGS     32

struct alert_actions {
	struct {
		char *path;
		FILE *file;
	} logs[MAX_LOGS];
	unsigned int nlogs;
	pid_t children[MAX_CHILDREN];
	unsigned int nchildren;
	bool syslog_open, no_bus_said, busy_said, log_failed_said;
	int bus; /* -1 unknown, 0 none, 1 a session bus */
};

struct alert_actions *alert_actions_new(void)
{
	struct alert_actions *a = calloc(1, sizeof(*a));

	if (a)
		a->bus = -1;
	return a;
}

static void reap(struct alert_actions *a, bool wait)
{
	unsigned int i = 0;

	while (i < a->nchildren) {
		if (waitpid(a->children[i], NULL, wait ? 0 : WNOHANG) != 0) {
			a->children[i] = a->children[--a->nchildren];
			continue;
		}
		i++;
	}
}

void alert_actions_free(struct alert_actions *a)
{
	if (!a)
		return;
	reap(a, true);
	for (unsigned int i = 0; i < a->nlogs; i++) {
		if (a->logs[i].file)
			fclose(a->logs[i].file);
		free(a->logs[i].path);
	}
	if (a->syslog_open)
		closelog();
	free(a);
}

static void flow_addr(char *buf, size_t size, const uint8_t *addr, uint8_t family)
{
	if (family == 4)
		inet_ntop(AF_INET, addr + 12, buf, (socklen_t)size);
	else
		inet_ntop(AF_INET6, addr, buf, (socklen_t)size);
}

static const char *proto_name(uint32_t protos)
{
	switch (protos & (NASOONE_PROTO_TCP | NASOONE_PROTO_UDP)) {
	case NASOONE_PROTO_TCP:
		return "tcp";
	case NASOONE_PROTO_UDP:
		return "udp";
	default:
		return "tcp+udp";
	}
}

/* ISO 8601 in UTC with milliseconds: the same line wherever it is read. */
static void format_time(char *buf, size_t size, uint64_t ms)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	gmtime_r(&t, &tm);
	snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d.%03uZ", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (unsigned int)(ms % 1000));
}

int alert_format_line(char *buf, size_t size, const struct alert_event *ev)
{
	const struct nasoone_flow *f = ev->flow;
	const struct alert_rule *r = ev->rule;
	char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN], when[64], extra[96] = "";
	bool v6 = f->family == 6;

	flow_addr(src, sizeof(src), f->saddr, f->family);
	flow_addr(dst, sizeof(dst), f->daddr, f->family);
	format_time(when, sizeof(when), ev->at_ms);
	if (!strcmp(ev->what, "threshold"))
		snprintf(extra, sizeof(extra), " (%" PRIu64 " bytes, %" PRIu64 " packets in %gs)",
			 ev->window_bytes, ev->window_packets, (double)r->window_ms / 1000);
	return snprintf(buf, size, "%s alert %s: %s %s %s%s%s:%u > %s%s%s:%u%s", when, r->name,
			ev->what, proto_name(f->protos), v6 ? "[" : "", src, v6 ? "]" : "",
			ntohs(f->sport), v6 ? "[" : "", dst, v6 ? "]" : "", ntohs(f->dport), extra);
}

static FILE *log_file(struct alert_actions *a, const char *path)
{
	unsigned int i;

	for (i = 0; i < a->nlogs; i++)
		if (!strcmp(a->logs[i].path, path))
			return a->logs[i].file;
	if (a->nlogs == MAX_LOGS)
		return NULL;
	a->logs[i].path = strdup(path);
	a->logs[i].file = a->logs[i].path ? fopen(path, "ae") : NULL;
	if (a->logs[i].file)
		setvbuf(a->logs[i].file, NULL, _IOLBF, 0);
	else if (!a->log_failed_said) {
		fprintf(stderr, "nasoone: cannot open the alert log %s: %s\n", path,
			strerror(errno));
		a->log_failed_said = true;
	}
	a->nlogs++;
	return a->logs[i].file;
}

/* Start argv with the flow in the environment; never waits for it (reaped later). */
static void spawn(struct alert_actions *a, char *const argv[], char *const envp[])
{
	pid_t pid;
	int err;

	reap(a, false);
	if (a->nchildren == MAX_CHILDREN) {
		if (!a->busy_said)
			fprintf(stderr,
				"nasoone: %u alert commands still running: "
				"later alerts start none until they end\n",
				MAX_CHILDREN);
		a->busy_said = true;
		return;
	}
	err = posix_spawnp(&pid, argv[0], NULL, NULL, argv, envp);
	if (err) {
		fprintf(stderr, "nasoone: cannot run the alert command %s: %s\n", argv[0],
			strerror(err));
		return;
	}
	a->children[a->nchildren++] = pid;
}

/* The environment of a command: ours, and the event in NASOONE_* variables. */
static void run_command(struct alert_actions *a, const struct alert_event *ev, const char *line)
{
	const struct nasoone_flow *f = ev->flow;
	char vars[12][1100], cmd[1024], *argv[MAX_ARGS + 1], *tok, *save;
	char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN], when[64];
	size_t nenv = 0, n = 0, k;
	char **envp;

	snprintf(cmd, sizeof(cmd), "%s", ev->rule->exec);
	for (tok = strtok_r(cmd, " \t", &save); tok && n < MAX_ARGS;
	     tok = strtok_r(NULL, " \t", &save))
		argv[n++] = tok;
	argv[n] = NULL;
	if (!n)
		return;
	flow_addr(src, sizeof(src), f->saddr, f->family);
	flow_addr(dst, sizeof(dst), f->daddr, f->family);
	format_time(when, sizeof(when), ev->at_ms);
	snprintf(vars[0], sizeof(vars[0]), "NASOONE_RULE=%s", ev->rule->name);
	snprintf(vars[1], sizeof(vars[1]), "NASOONE_EVENT=%s", ev->what);
	snprintf(vars[2], sizeof(vars[2]), "NASOONE_PROTO=%s", proto_name(f->protos));
	snprintf(vars[3], sizeof(vars[3]), "NASOONE_SRC=%s", src);
	snprintf(vars[4], sizeof(vars[4]), "NASOONE_SPORT=%u", ntohs(f->sport));
	snprintf(vars[5], sizeof(vars[5]), "NASOONE_DST=%s", dst);
	snprintf(vars[6], sizeof(vars[6]), "NASOONE_DPORT=%u", ntohs(f->dport));
	snprintf(vars[7], sizeof(vars[7]), "NASOONE_FAMILY=%u", f->family);
	snprintf(vars[8], sizeof(vars[8]), "NASOONE_BYTES=%" PRIu64, f->bytes);
	snprintf(vars[9], sizeof(vars[9]), "NASOONE_PACKETS=%" PRIu64, f->packets);
	snprintf(vars[10], sizeof(vars[10]), "NASOONE_TIME=%s", when);
	snprintf(vars[11], sizeof(vars[11]), "NASOONE_LINE=%s", line);
	while (environ && environ[nenv])
		nenv++;
	envp = malloc((nenv + 13) * sizeof(*envp));
	if (!envp)
		return;
	for (k = 0, n = 0; k < nenv; k++)
		if (strncmp(environ[k], "NASOONE_", 8))
			envp[n++] = environ[k];
	for (k = 0; k < 12; k++)
		envp[n++] = vars[k];
	envp[n] = NULL;
	spawn(a, argv, envp);
	free(envp);
}

/* A session bus: DBUS_SESSION_BUS_ADDRESS, or the user's bus socket (systemd's place). */
static bool session_bus(struct alert_actions *a)
{
	const char *runtime = getenv("XDG_RUNTIME_DIR");
	char path[512];
	struct stat st;

	if (a->bus >= 0)
		return a->bus;
	a->bus = getenv("DBUS_SESSION_BUS_ADDRESS") && *getenv("DBUS_SESSION_BUS_ADDRESS");
	if (!a->bus && runtime && *runtime) {
		snprintf(path, sizeof(path), "%s/bus", runtime);
		a->bus = stat(path, &st) == 0 && S_ISSOCK(st.st_mode);
	}
	return a->bus;
}

static void notify(struct alert_actions *a, const struct alert_event *ev, const char *line)
{
	char title[ALERT_NAME_MAX + 32];
	char *argv[] = { "notify-send", "-a", "nasoone", title, (char *)line, NULL };

	if (!session_bus(a)) {
		if (!a->no_bus_said)
			fprintf(stderr, "nasoone: no session bus (DBUS_SESSION_BUS_ADDRESS unset): "
					"alerts are not sent as desktop notifications\n");
		a->no_bus_said = true;
		return;
	}
	snprintf(title, sizeof(title), "nasoone alert %s", ev->rule->name);
	spawn(a, argv, environ);
}

void alert_actions_fire(const struct alert_event *ev, void *ctx)
{
	struct alert_actions *a = ctx;
	const struct alert_rule *r = ev->rule;
	char line[1024];
	FILE *log;

	if (!r->to_stderr && !r->log_path && !r->to_syslog && r->notify == ALERT_NOTIFY_NO &&
	    !r->exec)
		return; /* counted only */
	alert_format_line(line, sizeof(line), ev);
	if (r->to_stderr)
		fprintf(stderr, "%s\n", line);
	if (r->log_path && (log = log_file(a, r->log_path)))
		fprintf(log, "%s\n", line);
	if (r->to_syslog) {
		if (!a->syslog_open)
			openlog("nasoone", LOG_PID, LOG_DAEMON);
		a->syslog_open = true;
		syslog(LOG_WARNING, "%s", line);
	}
	if (r->notify != ALERT_NOTIFY_NO)
		notify(a, ev, line);
	if (r->exec)
		run_command(a, ev, line);
}
