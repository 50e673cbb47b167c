/*
 * Header mangling rules (see hdr_rules.h).  The lookup order and its
 * quirks are Squid 5.7's HeaderManglers::find, kept because configs rely
 * on them: "Other" covers only the headers Squid has no name for, a
 * registered header with a replacement but no access rules falls through
 * to "All", and an unregistered one with its own entry never does.
 */
#include "config.h"
#include "hdr_rules.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "logformat.h"
#include "util.h"

/* Squid 5.7's registered header names (src/http/RegisteredHeaders). */
static const char *const hdr_rules_names[] = {
	"Accept", "Accept-Charset", "Accept-Encoding", "Accept-Language",
	"Accept-Ranges", "Age", "Allow", "Alternate-Protocol",
	"Authentication-Info", "Authorization", "Cache-Control", "CDN-Loop",
	"Connection", "Content-Base", "Content-Disposition",
	"Content-Encoding", "Content-Language", "Content-Length",
	"Content-Location", "Content-MD5", "Content-Range", "Content-Type",
	"Cookie", "Cookie2", "Date", "ETag", "Expect", "Expires", "Forwarded",
	"From", "Host", "HTTP2-Settings", "If-Match", "If-Modified-Since",
	"If-None-Match", "If-Range", "If-Unmodified-Since", "Keep-Alive",
	"Key", "Last-Modified", "Link", "Location", "Max-Forwards",
	"Mime-Version", "Negotiate", "Origin", "Pragma",
	"Proxy-Authenticate", "Proxy-Authentication-Info",
	"Proxy-Authorization", "Proxy-Connection", "Proxy-support", "Public",
	"Range", "Referer", "Request-Range", "Retry-After", "Server",
	"Set-Cookie", "Set-Cookie2", "TE", "Title", "Trailer",
	"Transfer-Encoding", "Translate", "Unless-Modified-Since", "Upgrade",
	"User-Agent", "Vary", "Via", "Warning", "WWW-Authenticate", "X-Cache",
	"X-Cache-Lookup", "X-Forwarded-For", "X-Request-URI", "X-Squid-Error",
	"X-Accelerator-Vary", "X-Next-Services", "Surrogate-Capability",
	"Surrogate-Control", "Front-End-Https", "FTP-Command",
	"FTP-Arguments", "FTP-Pre", "FTP-Status", "FTP-Reason", NULL
};

int
hdr_rules_known(const char *name, size_t len)
{
	for (int i = 0; hdr_rules_names[i] != NULL; i++)
		if (strlen(hdr_rules_names[i]) == len &&
		    strncasecmp(hdr_rules_names[i], name, len) == 0)
			return 1;
	return 0;
}

static struct hdr_mangler *
hdr_rules_named(const struct hdr_rules *r, const char *name, size_t len)
{
	for (struct hdr_mangler *m = r->named; m != NULL; m = m->next)
		if (strlen(m->name) == len &&
		    strncasecmp(m->name, name, len) == 0)
			return m;
	return NULL;
}

struct hdr_mangler *
hdr_rules_track(struct hdr_rules *r, const char *name)
{
	struct hdr_mangler *m, **tail;

	/* exact case, as Squid: "all" and "other" are header names */
	if (strcmp(name, "All") == 0)
		return &r->all;
	if (strcmp(name, "Other") == 0)
		return &r->other;
	if ((m = hdr_rules_named(r, name, strlen(name))) != NULL)
		return m;
	m = xcalloc(1, sizeof(*m));
	m->name = xstrdup(name);
	for (tail = &r->named; *tail != NULL; tail = &(*tail)->next)
		;
	*tail = m;
	return m;
}

const struct hdr_mangler *
hdr_rules_find(const struct hdr_rules *r, const char *name, size_t len)
{
	const struct hdr_mangler *m = hdr_rules_named(r, name, len);
	int known = hdr_rules_known(name, len);

	if (known && m != NULL && m->acl.head != NULL)
		return m;
	if (!known && m != NULL)
		return m;
	if (!known && r->other.acl.head != NULL)
		return &r->other;
	if (r->all.acl.head != NULL)
		return &r->all;
	return NULL;
}

enum hdr_verdict
hdr_rules_verdict(const struct hdr_mangler *m, const struct acl_checklist *cl)
{
	int action = ACCESS_ALLOW;

	if (m == NULL || m->acl.head == NULL)
		return HDR_KEEP;
	/*
	 * No matching line gives the opposite of the last one, as in every
	 * Squid access list (so "X allow a" removes X where a fails).
	 */
	if (access_check(&m->acl, cl, ACCESS_ALLOW, &action, NULL) ==
	    ACL_MATCH && action == ACCESS_ALLOW)
		return HDR_KEEP;
	return m->replacement != NULL ? HDR_REPLACE : HDR_REMOVE;
}

int
hdr_rules_add_applies(const struct hdr_add *a, const struct acl_checklist *cl)
{
	return a->nrefs == 0 ||
	    acl_refs_match(a->refs, a->nrefs, cl) == ACL_MATCH;
}

static void
hdr_rules_mangler_clear(struct hdr_mangler *m)
{
	access_list_free(&m->acl);
	free(m->replacement);
	free(m->name);
}

void
hdr_add_free(struct hdr_add *a)
{
	free(a->name);
	free(a->value);
	if (a->format != NULL)
		logformat_free(a->format);
	free(a->refs);
	free(a);
}

void
hdr_rules_free(struct hdr_rules *r)
{
	struct hdr_mangler *m;
	struct hdr_add *a;

	while ((m = r->named) != NULL) {
		r->named = m->next;
		hdr_rules_mangler_clear(m);
		free(m);
	}
	hdr_rules_mangler_clear(&r->other);
	hdr_rules_mangler_clear(&r->all);
	while ((a = r->add) != NULL) {
		r->add = a->next;
		hdr_add_free(a);
	}
	memset(r, 0, sizeof(*r));
}
