/*
 * units: the value syntaxes of squid.conf, as pure functions.  Sizes are a
 * number and a separate unit word ("64 MB"), times likewise ("5 minutes",
 * returned in milliseconds), booleans are on/off, percentages "20%".  Each
 * parser returns NULL on success or a malloc'd error message for the config
 * engine to report with the file and line.
 */
#ifndef CUTTLE_UNITS_H
#define CUTTLE_UNITS_H

#include <stdint.h>

#define UNITS_BYTES	1
#define UNITS_KB	1024

/*
 * "NUMBER [UNIT]": unit is the next word or NULL.  Without a unit the value
 * is taken in dflt_unit bytes and *unitless is set so the caller can warn
 * as Squid does.  Fractions are allowed ("1.5 GB").
 */
char *units_size(const char *number, const char *unit, int64_t dflt_unit,
    int64_t *bytes, int *unitless);
/* A size with its unit attached, as option values have it ("4MB", "100"). */
char *units_size_glued(const char *word, int64_t *bytes);
/* "NUMBER UNIT" in milliseconds; the unit is mandatory, as in Squid 5.7. */
char *units_time(const char *number, const char *unit, int64_t *ms);
/* on/off; enable/disable also work, with *warning set (malloc'd). */
char *units_bool(const char *word, int *on, char **warning);
/* "20%" or "20": a non-negative integer. */
char *units_percent(const char *word, int *pct);
/* A whole decimal integer (workers, logfile_rotate ...). */
char *units_int(const char *word, int64_t *val);
/* base 0: also 0-prefixed octal and 0x hex, as Squid reads a TYPE: int. */
char *units_int_base(const char *word, int base, int64_t *val);
/* printf into a fresh buffer; never NULL (aborts on allocation failure). */
char *units_strf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
