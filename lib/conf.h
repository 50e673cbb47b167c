/*
 * conf: the squid.conf grammar engine.  It reads lines (continuations,
 * comments, include, if/else/endif, ${macros}), splits them into words and
 * dispatches each directive through one sorted table of rows (name,
 * handler, field offset, default, flags, arity).  Handlers return NULL or a
 * malloc'd error message, so one run reports every error as
 * "FILE:LINE: message" and counts them; warnings do not count.
 */
#ifndef CUTTLE_CONF_H
#define CUTTLE_CONF_H

#include <stddef.h>

struct conf_parser;		/* engine state of one load, opaque */
struct conf_directive;

/* What a handler knows about the line it is handling. */
struct conf_ctx {
	struct conf_parser *parser;
	const struct conf_directive *dir;
	const char	*file;		/* "(default)" for defaults */
	int		 line;
	const char	*name;		/* as written (maybe an alias) */
	const char	*rest;		/* raw text after the name */
	void		*base;		/* the struct being filled */
	int		 is_default;
};

/*
 * field is base + row offset.  argv holds the words after the name (file
 * values already expanded for CONF_FILE_VALUES rows).
 */
typedef char *(*conf_handler)(struct conf_ctx *cx, void *field, int argc,
    char **argv);

/* a list: its default applies only when the config never sets it */
#define CONF_DEFAULT_IF_NONE	0x01
/* a "file" word stands for the values written in that file */
#define CONF_FILE_VALUES	0x02
/*
 * only a restart applies a change: a reconfigure warns and keeps the running
 * value (conf_restart_keep).  Flag an alias's main row only: values are
 * compared per field, so one row covers every name that sets it.
 */
#define CONF_RESTART		0x04

#define CONF_ARGS_ANY	-1		/* max_args: no limit */

struct conf_directive {
	const char	*name;
	conf_handler	 handler;
	size_t		 off;
	const char	*dflt;		/* as squid.conf words, or NULL */
	unsigned	 flags;
	int		 min_args, max_args;
	/*
	 * obsolete rows: what instead; unsupported rows: the value cuttle
	 * already behaves as ("*": every value is moot), taken silently
	 */
	const char	*hint;
};

/*
 * Parse path into base through table (n rows, sorted by name).  Applies the
 * defaults first (CONF_DEFAULT_IF_NONE ones last).  Returns the number of
 * errors reported.
 */
int conf_load(const struct conf_directive *table, size_t n, void *base,
    const char *path, int process_number);
/* ${service_name} and ${process_name}; "squid" unless set (-n NAME). */
void conf_set_service_name(const char *name);
/* The row for name, or NULL (binary search). */
const struct conf_directive *conf_lookup(const struct conf_directive *table,
    size_t n, const char *name);
/* 0 if the table is strictly sorted, else the index of the first bad row. */
size_t conf_table_unsorted(const struct conf_directive *table, size_t n);

/*
 * What conf_restart_keep needs to know of a field's type, for the handlers
 * that are not conf.c's own generic setters (those it knows itself).
 */
struct conf_value_ops {
	conf_handler	 handler;	/* the rows this applies to */
	int		(*same)(const void *a, const void *b);
	/* replace fresh's value (freeing it) with a copy of running's */
	void		(*keep)(void *fresh, const void *running);
	/* the value in squid.conf words, cut to len */
	void		(*show)(const void *v, char *buf, size_t len);
};

/* name changed from, to; told before the running value is copied back */
typedef void (*conf_restart_report)(const char *name, const char *from,
    const char *to, void *arg);

/*
 * For each CONF_RESTART row whose value differs between running and fresh
 * (two bases loaded through table), call report, then copy the running
 * value into fresh, so that fresh describes what really stays in effect.
 * ops (nops) cover the flagged rows whose handler is not a generic setter.
 * Returns how many values were kept.
 */
int conf_restart_keep(const struct conf_directive *table, size_t n,
    void *fresh, const void *running, const struct conf_value_ops *ops,
    size_t nops, conf_restart_report report, void *arg);
/* n if every CONF_RESTART row has ops, else the index of the first without. */
size_t conf_restart_unknown(const struct conf_directive *table, size_t n,
    const struct conf_value_ops *ops, size_t nops);

/* A copy of s[0..len) kept for the life of the process (file names). */
const char *conf_intern(const char *s, size_t len);

/* Report from inside a handler or a post-load check. */
void conf_warn(const struct conf_ctx *cx, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Report an error at file:line outside a handler; counts it. */
void conf_error_at(struct conf_parser *p, const char *file, int line,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/*
 * Generic setters.  Field types: size int64_t bytes, time int64_t ms, bool
 * and int int, string char * ("none" gives NULL with string_none).
 * quoted_values switches the engine's tokenizer; ignore accepts silently;
 * unsupported and obsolete warn with the name (and the row's hint).
 */
char *conf_set_size(struct conf_ctx *, void *, int, char **);
char *conf_set_time(struct conf_ctx *, void *, int, char **);
char *conf_set_bool(struct conf_ctx *, void *, int, char **);
char *conf_set_int(struct conf_ctx *, void *, int, char **);
char *conf_set_string(struct conf_ctx *, void *, int, char **);
char *conf_set_string_none(struct conf_ctx *, void *, int, char **);
char *conf_set_quoted_values(struct conf_ctx *, void *, int, char **);
char *conf_ignore(struct conf_ctx *, void *, int, char **);
char *conf_unsupported(struct conf_ctx *, void *, int, char **);
char *conf_obsolete(struct conf_ctx *, void *, int, char **);

#endif
