/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The configuration file, read by libinih (see config.h). libinih as
 * Debian builds it tells a handler no line numbers and strips only ';'
 * comments, so lines are counted by our own reader and values are
 * unquoted here: "a \"b\"", 'literal', bare words, a trailing # comment.
 */
#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli_options.h"
#include "cli/config.h"

#define VALUE_MAX	 1024
#define HIDDEN_SEMICOLON '\x1f' /* a ';' inside quotes, while libinih reads the line */

struct loader {
	struct config *cfg;
	const char *path;
	FILE *file;
	int line;		 /* the line libinih is working on */
	int section_line;	 /* the line of the latest [section] */
	bool in_section;	 /* a [section] header was read */
	struct alert_rule *rule; /* of the current [alert NAME], or NULL */
	int *rule_lines;	 /* the [alert] line of each rule */
	const struct option *options;
	const char *const *excluded;
	config_check_fn check;
	void *ctx;
	bool failed;
	bool too_long;
};

__attribute__((format(printf, 3, 4))) static void fail_at(struct loader *l, int line,
							  const char *fmt, ...)
{
	va_list ap;

	if (l->failed)
		return; /* one line: the first thing wrong */
	l->failed = true;
	fprintf(stderr, "%s:%d: ", l->path, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static const char *rule_name(const char *section, char *buf, size_t size);
static int start_rule(struct loader *l, const char *section);

/* fgets() that counts lines and notes the start of each section. */
static char *read_line(char *str, int num, void *stream)
{
	struct loader *l = stream;
	char *s, quote;
	size_t len;

	if (!fgets(str, num, l->file))
		return NULL;
	len = strlen(str);
	if (len && str[len - 1] != '\n' && !feof(l->file) && !l->too_long) {
		l->too_long = true;
		fail_at(l, l->line + 1, "line too long (at most %d characters)", num - 2);
	}
	l->line++;
	/* libinih ends a value at " ;" even inside quotes: hide those from it. */
	for (s = str, quote = 0; *s; s++) {
		if (quote && *s == '\\' && quote == '"' && s[1])
			s++;
		else if (quote && *s == quote)
			quote = 0;
		else if (!quote && (*s == '"' || *s == '\''))
			quote = *s;
		else if (quote && *s == ';')
			*s = HIDDEN_SEMICOLON;
	}
	for (s = str; isspace((unsigned char)*s); s++)
		;
	if (*s == '[') {
		char name[128];
		size_t n = strcspn(s + 1, "]");

		/*
		 * Sections start here, not at their first key: libinih says
		 * nothing of a section without keys, and an empty [alert NAME] is
		 * a rule (every flow, on its first packet).
		 */
		l->section_line = l->line;
		snprintf(name, sizeof(name), "%.*s", (int)(n < 127 ? n : 127), s + 1);
		l->in_section = true;
		l->rule = NULL;
		if (s[1 + n] != ']' || l->failed)
			; /* libinih reports the line */
		else if (!strncmp(name, "alert", 5))
			start_rule(l, name);
		else if (strcmp(name, "general"))
			fail_at(l, l->line, "unknown section [%s]: use [general] or [alert NAME]",
				name);
	}
	return str;
}

static int append(char ***v, size_t *n, const char *s)
{
	char **grown = realloc(*v, (*n + 2) * sizeof(**v));

	if (!grown)
		return -ENOMEM;
	*v = grown;
	if (!(grown[*n] = strdup(s)))
		return -ENOMEM;
	grown[++*n] = NULL;
	return 0;
}

int config_note(struct config *cfg, const char *key, const char *value)
{
	struct config_setting *grown;
	char *copy = strdup(value ? value : "yes");
	size_t i;

	if (!copy)
		return -ENOMEM;
	/* mode is two settings: what is shown, and the capture path (printed as mode both). */
	if (!strcmp(key, "mode") && value &&
	    (!strcmp(value, "summary") || !strcmp(value, "detailed") || !strcmp(value, "report")))
		key = "mode#view";
	for (i = 0; i < cfg->nsettings; i++) {
		if (!strcmp(cfg->settings[i].key, key)) {
			free(cfg->settings[i].value);
			cfg->settings[i].value = copy;
			return 0;
		}
	}
	grown = realloc(cfg->settings, (cfg->nsettings + 1) * sizeof(*grown));
	if (!grown || !(grown[cfg->nsettings].key = strdup(key))) {
		if (grown)
			cfg->settings = grown;
		free(copy);
		return -ENOMEM;
	}
	cfg->settings = grown;
	grown[cfg->nsettings++].value = copy;
	return 0;
}

/* The value as written: quotes and escapes resolved, a trailing comment dropped. */
static const char *unquote(const char *raw, char *out, size_t size)
{
	size_t n = 0;
	char quote = raw[0];
	const char *p;

	if (quote == '"' || quote == '\'') {
		for (p = raw + 1; *p && *p != quote; p++) {
			char c = *p;

			if (quote == '"' && c == '\\') {
				c = *++p;
				if (c == 'n')
					c = '\n';
				else if (c == 't')
					c = '\t';
				else if (c != '"' && c != '\\')
					return "unknown escape in a quoted string (use \\\" \\\\ "
					       "\\n \\t)";
			}
			if (n + 1 >= size)
				return "value too long";
			out[n++] = c == HIDDEN_SEMICOLON ? ';' : c;
		}
		if (*p != quote)
			return "unterminated quoted string";
		for (p++; isspace((unsigned char)*p); p++)
			;
		if (*p && *p != '#' && *p != ';')
			return "text after the closing quote";
		out[n] = '\0';
		return NULL;
	}
	for (p = raw; *p && !(*p == '#' && (p == raw || isspace((unsigned char)p[-1]))); p++) {
		if (n + 1 >= size)
			return "value too long";
		out[n++] = *p;
	}
	while (n && isspace((unsigned char)out[n - 1]))
		n--;
	out[n] = '\0';
	return NULL;
}

static bool excluded(struct loader *l, const char *name)
{
	for (const char *const *e = l->excluded; e && *e; e++)
		if (!strcmp(*e, name))
			return true;
	return false;
}

static int general_key(struct loader *l, const char *key, const char *value)
{
	struct config *cfg = l->cfg;
	const struct option *o;
	char where[512], arg[256];
	size_t argc = (size_t)cfg->argc;

	if (!strcmp(key, "filter")) {
		free(cfg->filter);
		cfg->filter = strdup(value);
		return cfg->filter && !config_note(cfg, key, value) ? 0 : -ENOMEM;
	}
	for (o = l->options; o->name; o++)
		if (!strcmp(o->name, key) && !excluded(l, key))
			break;
	if (!o->name) {
		fail_at(l, l->line, "unknown key '%s' in [general]", key);
		return -EINVAL;
	}
	snprintf(where, sizeof(where), "%s:%d", l->path, l->line);
	snprintf(arg, sizeof(arg), "--%s", key);
	if (o->has_arg == no_argument) {
		bool on = !strcasecmp(value, "yes") || !strcasecmp(value, "true") ||
			  !strcmp(value, "1") || !strcasecmp(value, "on");

		if (!on && strcasecmp(value, "no") && strcasecmp(value, "false") &&
		    strcmp(value, "0") && strcasecmp(value, "off")) {
			fail_at(l, l->line, "bad value '%s' for %s: use yes or no", value, key);
			return -EINVAL;
		}
		if (!on)
			return 0; /* the default: nothing to pass */
		value = NULL;
	}
	if (l->check(where, o, value, l->ctx)) {
		l->failed = true; /* check printed the line */
		return -EINVAL;
	}
	if (append(&cfg->argv, &argc, arg) || (value && append(&cfg->argv, &argc, value)))
		return -ENOMEM;
	cfg->argc = (int)argc;
	return config_note(cfg, key, value);
}

/* "alert", "alert NAME", "alert.NAME", "alert \"NAME\"": the rule's name, or NULL. */
static const char *rule_name(const char *section, char *buf, size_t size)
{
	size_t n;

	if (strncmp(section, "alert", 5))
		return NULL;
	section += 5;
	if (!*section)
		return "default"; /* the article's one [alert] */
	if (*section != ' ' && *section != '\t' && *section != '.')
		return NULL;
	while (*section == ' ' || *section == '\t' || *section == '.')
		section++;
	if (unquote(section, buf, size))
		return NULL;
	for (n = 0; buf[n]; n++)
		if (!isalnum((unsigned char)buf[n]) && !strchr("_-.", buf[n]))
			return NULL;
	return n && n < ALERT_NAME_MAX ? buf : NULL;
}

static int start_rule(struct loader *l, const char *section)
{
	struct config *cfg = l->cfg;
	char buf[ALERT_NAME_MAX + 8];
	const char *name = rule_name(section, buf, sizeof(buf));
	struct alert_rule *grown;
	int *lines;

	if (!name) {
		if (!strncmp(section, "alert", 5))
			fail_at(l, l->section_line,
				"bad rule name in [%s]: letters, digits, '_', '-', '.' "
				"(at most %d)",
				section, ALERT_NAME_MAX - 1);
		else
			fail_at(l, l->section_line,
				"unknown section [%s]: use [general] or [alert NAME]", section);
		return -EINVAL;
	}
	for (size_t i = 0; i < cfg->nrules; i++) {
		if (!strcmp(cfg->rules[i].name, name)) {
			fail_at(l, l->section_line, "duplicate rule name '%s' (first at line %d)",
				name, l->rule_lines[i]);
			return -EINVAL;
		}
	}
	grown = realloc(cfg->rules, (cfg->nrules + 1) * sizeof(*grown));
	if (!grown)
		return -ENOMEM;
	cfg->rules = grown;
	lines = realloc(l->rule_lines, (cfg->nrules + 1) * sizeof(*lines));
	if (!lines)
		return -ENOMEM;
	l->rule_lines = lines;
	lines[cfg->nrules] = l->section_line;
	alert_rule_init(&grown[cfg->nrules], name);
	l->rule = &grown[cfg->nrules++];
	return 0;
}

static int on_key(void *user, const char *section, const char *key, const char *raw)
{
	struct loader *l = user;
	char value[VALUE_MAX], name[64], err[256];
	const char *bad;
	size_t i;
	int ret;

	if (l->failed)
		return 1;
	(void)section; /* known since read_line() saw its header */
	if (!l->in_section) {
		fail_at(l, l->line, "'%s' before any [section]: put it under [general]", key);
		return 0;
	}
	snprintf(name, sizeof(name), "%s", key);
	for (i = 0; name[i]; i++)
		if (name[i] == '_')
			name[i] = '-'; /* TOML style map_entries is --map-entries */
	if ((bad = unquote(raw, value, sizeof(value)))) {
		fail_at(l, l->line, "%s: %s", name, bad);
		return 0;
	}
	if (!l->rule) {
		ret = general_key(l, name, value);
	} else {
		ret = alert_rule_set(l->rule, name, value, err, sizeof(err));
		if (ret)
			fail_at(l, l->line, "%s", err);
	}
	if (ret == -ENOMEM)
		fail_at(l, l->line, "out of memory");
	return !ret;
}

int config_load(struct config *cfg, const char *path, const struct option *options,
		const char *const *excl, config_check_fn check, void *ctx)
{
	struct loader l = {
		.cfg = cfg,
		.path = path,
		.options = options,
		.excluded = excl,
		.check = check,
		.ctx = ctx,
	};
	int ret;

	l.file = fopen(path, "re");
	if (!l.file) {
		fprintf(stderr, "nasoone: cannot read the configuration %s: %s\n", path,
			strerror(errno));
		return EXIT_USAGE;
	}
	ret = ini_parse_stream(read_line, &l, on_key, &l);
	fclose(l.file);
	if (ret > 0)
		fail_at(&l, ret, "not a [section] header nor a key = value line");
	for (size_t i = 0; !l.failed && i < cfg->nrules; i++) {
		const struct alert_rule *r = &cfg->rules[i];

		if (r->on == ALERT_ON_THRESHOLD && !r->bytes && !r->packets && !r->rate)
			fail_at(&l, l.rule_lines[i],
				"[alert %s]: on = threshold needs bytes, packets or rate", r->name);
	}
	free(l.rule_lines);
	return l.failed ? EXIT_USAGE : 0;
}

void config_free(struct config *cfg)
{
	for (int i = 0; i < cfg->argc; i++)
		free(cfg->argv[i]);
	free(cfg->argv);
	for (size_t i = 0; i < cfg->nrules; i++)
		alert_rule_clear(&cfg->rules[i]);
	free(cfg->rules);
	for (size_t i = 0; i < cfg->nsettings; i++) {
		free(cfg->settings[i].key);
		free(cfg->settings[i].value);
	}
	free(cfg->settings);
	free(cfg->filter);
	memset(cfg, 0, sizeof(*cfg));
}

static void print_quoted(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', out);
		if (*s == '\n')
			fputs("\\n", out);
		else if (*s == '\t')
			fputs("\\t", out);
		else
			fputc(*s, out);
	}
	fputc('"', out);
}

void config_print(const struct config *cfg, FILE *out)
{
	fputs("[general]\n", out);
	for (size_t i = 0; i < cfg->nsettings; i++) {
		fprintf(out, "%.*s = ", (int)strcspn(cfg->settings[i].key, "#"),
			cfg->settings[i].key);
		print_quoted(out, cfg->settings[i].value);
		fputc('\n', out);
	}
	for (size_t i = 0; i < cfg->nrules; i++) {
		fputc('\n', out);
		alert_rule_print(&cfg->rules[i], out);
	}
}

/* Options that make no sense in a configuration file. */
static const char *const not_in_config[] = { "config",	"print-config",	   "help",
					     "version", "list-interfaces", NULL };

/* A value of the configuration file, checked by the command line's own parser. */
static int check_option(const char *where, const struct option *opt, const char *value, void *ctx)
{
	char name[128], *argv[] = { "nasoone", name, (char *)value, NULL };
	struct options scratch = { .in_config = true };
	int ret;

	(void)ctx;
	snprintf(name, sizeof(name), "--%s", opt->name);
	options_error_where(where);
	ret = parse_args(value ? 3 : 2, argv, &scratch);
	options_error_where(NULL);
	free(scratch.expression);
	return ret;
}

int config_parse_args(int argc, char **argv, struct options *o)
{
	struct options first = { .in_config = true };
	char **fargv;
	int ret;

	/* Where the file is (and --help, --version, errors of the command line). */
	ret = parse_args(argc, argv, &first);
	free(first.expression);
	if (ret || !first.config)
		return ret ? ret : parse_args(argc, argv, o);
	ret = config_load(&o->cfg, first.config, options_table(), not_in_config, check_option,
			  NULL);
	if (ret)
		return ret;
	fargv = calloc((size_t)o->cfg.argc + 2, sizeof(*fargv));
	if (!fargv)
		return EXIT_FAILURE;
	fargv[0] = argv[0];
	for (int i = 0; i < o->cfg.argc; i++)
		fargv[i + 1] = o->cfg.argv[i];
	o->in_config = true;
	ret = parse_args(o->cfg.argc + 1, fargv, o);
	o->in_config = false;
	free(fargv);
	if (ret)
		return ret;
	ret = parse_args(argc, argv, o);
	if (!ret && !o->expression && o->cfg.filter && !(o->expression = strdup(o->cfg.filter)))
		ret = EXIT_FAILURE;
	if (!ret && o->expression && config_note(&o->cfg, "filter", o->expression))
		ret = EXIT_FAILURE;
	return ret;
}
