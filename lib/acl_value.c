/*
 * The small ACL value types: number ranges (port, localport, http_status),
 * words (method, proto, myportname) and time windows (time), each parsed
 * from an acl line and tested by acl_match.
 */
#include "config.h"
#include "acl.h"
#include "acl_int.h"
#include "notes.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util.h"

char *
acl_range_parse(struct acl *a, const char *v, int open_ok)
{
	const char *p = v;
	char *end;
	long lo, hi;

	if (!isdigit((unsigned char)*p))
		return xasprintf("No digits were found in the input value '%s'",
		    v);
	errno = 0;
	lo = strtol(p, &end, 10);
	hi = lo;
	if (*end == '-') {
		p = end + 1;
		if (*p == '\0' && open_ok) {
			hi = 1L << 30;
			end = (char *)p;
		}
		else if (!isdigit((unsigned char)*p))
			return xasprintf("No digits were found in the input "
			    "value '%s'", p);
		else
			hi = strtol(p, &end, 10);
	}
	if (*end != '\0')
		return xasprintf("Bad number or range '%s'", v);
	if (errno != 0 || lo > 1L << 30 || hi > 1L << 30)
		return xasprintf("Number out of range '%s'", v);
	a->ranges = acl_grow(a->ranges, &a->ranges_cap, a->nranges + 1,
	    sizeof(*a->ranges));
	a->ranges[a->nranges].lo = (int)lo;
	a->ranges[a->nranges].hi = (int)hi;
	a->nranges++;
	return NULL;
}

int
acl_range_match(const struct acl *a, int v)
{
	int i;

	for (i = 0; i < a->nranges; i++)
		if (v >= a->ranges[i].lo && v <= a->ranges[i].hi)
			return 1;
	return 0;
}

void
acl_word_add(struct acl *a, const char *v)
{
	a->words = acl_grow(a->words, &a->words_cap, a->nwords + 1,
	    sizeof(*a->words));
	a->words[a->nwords++] = xstrdup(v);
}

int
acl_word_match(const struct acl *a, const char *s, int icase)
{
	int i;

	if (s == NULL)
		return 0;
	for (i = 0; i < a->nwords; i++)
		if ((icase ? strcasecmp : strcmp)(a->words[i], s) == 0)
			return 1;
	return 0;
}

/* One annotation value (or a token of it) against the ACL's values. */
static int
acl_note_value(const struct acl *a, const char *v, size_t len)
{
	if (a->nwords == 0)
		return 1;	/* a name-only note ACL matches any value */
	for (int i = 0; i < a->nwords; i++)
		if (strlen(a->words[i]) == len &&
		    memcmp(a->words[i], v, len) == 0)
			return 1;
	return 0;
}

/*
 * Squid's ACLNoteStrategy: some annotation named a->note_name whose value
 * (with -m, some token of it between delimiters) is one of the values.
 */
int
acl_note_match(const struct acl *a, const struct notes *ns)
{
	if (ns == NULL || a->note_name == NULL)
		return 0;
	for (int i = 0; i < ns->n; i++) {
		const char *v = ns->v[i].value;

		if (strcmp(ns->v[i].key, a->note_name) != 0)
			continue;
		if (a->note_delims == NULL) {
			if (acl_note_value(a, v, strlen(v)))
				return 1;
			continue;
		}
		while (*v != '\0') {
			size_t skip = strspn(v, a->note_delims);
			size_t len = strcspn(v + skip, a->note_delims);

			v += skip;
			if (len > 0 && acl_note_value(a, v, len))
				return 1;
			v += len;
		}
	}
	return 0;
}

static void
acl_time_add(struct acl *a, int days, int start, int end)
{
	a->times = acl_grow(a->times, &a->times_cap, a->ntimes + 1,
	    sizeof(*a->times));
	a->times[a->ntimes].days = days;
	a->times[a->ntimes].start = start;
	a->times[a->ntimes].end = end;
	a->ntimes++;
}

/*
 * "time [SMTWHFA|D...] [HH:MM-HH:MM]...": day letters accumulate until a
 * range uses them (no letters: every day); letters left at the end mean
 * those whole days.
 */
char *
acl_time_parse(struct acl *a, char **vals, int n, struct acl_msgs *w)
{
	static const char letters[] = "SMTWHFA";
	int i, days = 0, h1, m1, h2, m2;
	const char *p, *l;
	char trail;

	for (i = 0; i < n; i++) {
		if (isdigit((unsigned char)vals[i][0])) {
			if (sscanf(vals[i], "%d:%d-%d:%d%c", &h1, &m1, &h2, &m2,
			    &trail) != 4 || h1 < 0 || h1 > 23 || m1 < 0 ||
			    m1 > 59 || h2 < 0 || h2 > 24 || m2 < 0 || m2 > 59 ||
			    (h2 == 24 && m2 != 0))
				return xasprintf("Bad time range '%s'", vals[i]);
			if (h1 * 60 + m1 > h2 * 60 + m2)
				return xasprintf("Reversed time range '%s'",
				    vals[i]);
			acl_time_add(a, days ? days : 0x7f, h1 * 60 + m1,
			    h2 * 60 + m2);
			days = 0;
			continue;
		}
		for (p = vals[i]; *p != '\0'; p++) {
			if (*p == 'D')
				days |= 0x3e;	/* Monday to Friday */
			else if (*p == '-')
				;		/* Squid's placeholder */
			else if ((l = strchr(letters, *p)) != NULL)
				days |= 1 << (l - letters);
			else
				acl_warn(w, "Bad Day '%c' in time ACL '%s'",
				    *p, a->name);
		}
	}
	if (days != 0)
		acl_time_add(a, days, 0, 24 * 60 - 1);
	return NULL;
}

int
acl_time_match(const struct acl *a, time_t now)
{
	struct tm tm;
	int i, m;

	if (localtime_r(&now, &tm) == NULL)
		return 0;
	m = tm.tm_hour * 60 + tm.tm_min;
	for (i = 0; i < a->ntimes; i++)
		if ((a->times[i].days & (1 << tm.tm_wday)) &&
		    m >= a->times[i].start && m <= a->times[i].end)
			return 1;
	return 0;
}
