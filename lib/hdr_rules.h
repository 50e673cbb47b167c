/*
 * Header mangling rules, Squid's request_header_access/_replace/_add and
 * reply_header_access/_replace/_add: which rule set governs a header
 * field (its own, "Other", "All"), whether a field is kept, replaced or
 * removed, and which headers are added.  Pure: the caller fills the
 * checklist and edits the message (workers/hdr_mangle.c).
 */
#ifndef CUTTLE_HDR_RULES_H
#define CUTTLE_HDR_RULES_H

#include <stddef.h>

#include "acl.h"

struct logformat;

/* One header name's rules (or "Other"'s, or "All"'s). */
struct hdr_mangler {
	char		*name;		/* as first configured */
	struct access_list acl;		/* empty: no access rules */
	char		*replacement;	/* *_header_replace; NULL: none */
	struct hdr_mangler *next;
};

/* One *_header_add line. */
struct hdr_add {
	char		*name;
	char		*value;		/* an unquoted value, taken as is */
	struct logformat *format;	/* a quoted value: %codes */
	struct acl_ref	*refs;		/* ANDed; none: always */
	int		 nrefs;
	struct hdr_add	*next;
};

/* Everything configured for one direction. */
struct hdr_rules {
	struct hdr_mangler *named;	/* header names, case-insensitive */
	struct hdr_mangler other;	/* "Other": headers Squid does not know */
	struct hdr_mangler all;		/* "All": the last resort */
	struct hdr_add	*add;
};

/* What to do with one field. */
enum hdr_verdict {
	HDR_KEEP,
	HDR_REPLACE,	/* send the mangler's replacement value instead */
	HDR_REMOVE
};

/* Is name one of Squid 5.7's registered header names (any case)? */
int hdr_rules_known(const char *name, size_t len);
/*
 * The rule set for the mangler named name ("All", "Other" or a header),
 * created on first use, as Squid's HeaderManglers::track.
 */
struct hdr_mangler *hdr_rules_track(struct hdr_rules *r, const char *name);
/*
 * The rules that govern a field named name, as Squid's
 * HeaderManglers::find: a registered header's own access rules, an
 * unregistered header's own entry (rules or not), "Other" for an
 * unregistered header, then "All"; NULL: none.
 */
const struct hdr_mangler *hdr_rules_find(const struct hdr_rules *r,
    const char *name, size_t len);
/*
 * The verdict on a field governed by m.  As Squid's fast check, an
 * answer that cannot be had without waiting (a slow ACL) denies.
 */
enum hdr_verdict hdr_rules_verdict(const struct hdr_mangler *m,
    const struct acl_checklist *cl);
/* Does an add line apply?  Slow ACLs that would wait do not match. */
int hdr_rules_add_applies(const struct hdr_add *a,
    const struct acl_checklist *cl);
/* Is anything configured for this direction? */
/* Any rule at all?  Inline: a request without rules pays a test only. */
static inline int
hdr_rules_active(const struct hdr_rules *r)
{
	return r->named != NULL || r->other.acl.head != NULL ||
	    r->all.acl.head != NULL || r->add != NULL;
}
void hdr_rules_free(struct hdr_rules *r);
/* Free one add line (not the ones after it). */
void hdr_add_free(struct hdr_add *a);

#endif
