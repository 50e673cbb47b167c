/*
 * extacl: external_acl_type definitions (squid.conf's "external_acl_type
 * NAME [options] FORMAT... /path/helper [args]") and the helper request
 * line they produce.  FORMAT takes logformat codes and Squid's legacy
 * names (%SRC, %LOGIN, %>{Header}, ...) plus %ACL and %DATA; each value is
 * URL-escaped (protocol 3.0) or shell-quoted (protocol=2.5), so no value
 * can split or forge a helper line.  The worker side (lookups, the result
 * cache) is workers/external_acl.c.
 */
#ifndef CUTTLE_EXTACL_H
#define CUTTLE_EXTACL_H

#include <stddef.h>

#include "cfg.h"

struct alog_entry;
struct logformat;

enum extacl_item_kind {
	EXTACL_I_CODE,		/* a logformat code, compiled alone */
	EXTACL_I_DATA,		/* %DATA: the acl line's arguments */
	EXTACL_I_ACL		/* %ACL: the acl's name */
};

/*
 * How a value is encoded after it is rendered.  Without a modifier Squid
 * sends a code's value as its logformat does, which for most codes is
 * rfc1738_escape_unescaped (unsafe bytes, spaces and controls as %XX, '%'
 * kept: EXTACL_Q_PASS); we apply that to every code so that no value can
 * split a line.  %#code escapes '%' too (URL), %/code shell-quotes.
 */
#define EXTACL_Q_URL	0	/* rfc1738_escape */
#define EXTACL_Q_SHELL	1	/* strwordquote */
#define EXTACL_Q_RAW	2	/* as is, but CR and LF as %0D %0A */
#define EXTACL_Q_PASS	3	/* rfc1738_escape_unescaped */

struct extacl_item {
	enum extacl_item_kind kind;
	struct logformat *lf;		/* EXTACL_I_CODE */
	int		 quote;		/* EXTACL_Q_*, applied after rendering */
	int		 implicit;	/* %DATA appended by us: no space after */
};

struct extacl_type {
	char		*name;
	int		 ttl;		/* seconds, OK answers */
	int		 negative_ttl;	/* seconds, ERR answers */
	int		 grace;		/* percent of ttl left: refresh early */
	int		 cache_size;	/* entries; 0: no caching */
	struct cfg_helper_children children;
	int		 shell_quote;	/* protocol=2.5 */
	int		 require_auth;	/* %LOGIN / %ul: authenticate first */
	struct extacl_item *items;
	int		 nitems;
	char		**argv;		/* helper command line */
	struct extacl_type *next;
};

/*
 * Parse one external_acl_type line's words (argv[0] is NAME) and append
 * it to *list.  Returns NULL or a malloc'd error; warnings go through
 * *warning (malloc'd, "; "-joined, may stay NULL).
 */
char *extacl_type_parse(struct extacl_type **list, char **argv, int argc,
    char **warning);
const struct extacl_type *extacl_type_find(const struct extacl_type *list,
    const char *name);
void extacl_types_free(struct extacl_type **list);

/*
 * The helper request for one acl: FORMAT's values separated by spaces,
 * then "\n" (no channel ID).  Returns its length, or 0 if it does not fit
 * in outsz.
 */
size_t extacl_line(const struct extacl_type *t, const struct alog_entry *e,
    const char *acl_name, char *const *args, int nargs, char *out,
    size_t outsz);

#endif
