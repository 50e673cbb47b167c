/*
 * Unit tests for extacl: external_acl_type options and their Squid 5.7
 * defaults, FORMAT codes (legacy names, logformat codes, header forms,
 * %ACL, %DATA), errors, and the helper request line, whose values are
 * encoded so that spaces, '%', quotes, newlines or non-ASCII bytes in a
 * request can never split or forge a helper line.  Also the "external"
 * and "tag" ACL types that use them.
 */
#include "config.h"
#include "extacl.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "acl.h"
#include "http_parse.h"
#include "logformat.h"
#include "tap.h"

static struct extacl_type *types;

/* Parse a line of words split at spaces; returns the error or NULL. */
static char *
parse(const char *line, char **warning)
{
	char buf[1024], *argv[64], *p, *save = NULL, *w = NULL, *err;
	int argc = 0;

	snprintf(buf, sizeof(buf), "%s", line);
	for (p = strtok_r(buf, " ", &save); p != NULL && argc < 64;
	    p = strtok_r(NULL, " ", &save))
		argv[argc++] = p;
	err = extacl_type_parse(&types, argv, argc, &w);
	if (warning != NULL)
		*warning = w;
	else
		free(w);
	return err;
}

static const struct extacl_type *
last(void)
{
	const struct extacl_type *t = types;

	while (t != NULL && t->next != NULL)
		t = t->next;
	return t;
}

static void
t_defaults(void)
{
	const struct extacl_type *t;

	ok(parse("d %SRC /bin/helper -x", NULL) == NULL, "minimal line");
	t = extacl_type_find(types, "d");
	ok(t != NULL, "found by name");
	is_int(t->ttl, 3600, "ttl default 3600");
	is_int(t->negative_ttl, 3600, "negative_ttl defaults to ttl");
	is_int(t->grace, 1, "grace 1 (as Squid's code)");
	is_int(t->cache_size, 262144, "cache default 262144 entries");
	is_int(t->children.n_max, 5, "children-max 5");
	is_int(t->children.n_startup, 0, "children-startup 0");
	is_int(t->children.n_idle, 1, "children-idle 1");
	is_int(t->children.concurrency, 0, "concurrency 0");
	is_int(t->children.queue_size, 10, "queue-size 2*children-max");
	is_int(t->shell_quote, 0, "protocol 3.0");
	is_int(t->nitems, 2, "SRC and the implicit DATA");
	is_str(t->argv[0], "/bin/helper", "program");
	is_str(t->argv[1], "-x", "its argument");
	ok(t->argv[2] == NULL, "argv ends");
}

static void
t_options(void)
{
	const struct extacl_type *t;
	char *w = NULL;

	ok(parse("o ttl=60 negative_ttl=5 grace=50 cache=10 children-max=3 "
	    "children-startup=9 children-idle=0 concurrency=4 queue-size=7 "
	    "protocol=2.5 ipv4 %LOGIN %>{Host} /h", &w) == NULL,
	    "every option");
	t = last();
	is_int(t->ttl, 60, "ttl");
	is_int(t->negative_ttl, 5, "negative_ttl");
	is_int(t->grace, 50, "grace");
	is_int(t->cache_size, 10, "cache");
	is_int(t->children.n_max, 3, "children-max");
	is_int(t->children.n_startup, 3, "startup capped at max");
	is_int(t->children.n_idle, 1, "idle at least 1");
	is_int(t->children.concurrency, 4, "concurrency");
	is_int(t->children.queue_size, 7, "queue-size");
	is_int(t->shell_quote, 1, "protocol=2.5");
	is_int(t->require_auth, 1, "LOGIN requires auth");
	ok(w != NULL && strstr(w, "deprecated") != NULL,
	    "the header form warns it is deprecated");
	free(w);
	w = NULL;
	ok(parse("c children=2 %SRC /h", &w) == NULL, "children= accepted");
	is_int(last()->children.n_max, 2, "children= sets the maximum");
	ok(w != NULL && strstr(w, "children-max") != NULL, "with a warning");
	free(w);
	ok(parse("z cache=0 ttl=0 protocol=3.0 %>a %un %>rm %ru %>h{Host} "
	    "%<h{Server} %ACL %DATA /h", NULL) == NULL, "logformat codes");
	is_int(last()->nitems, 8, "no implicit DATA when used");
	is_int(last()->require_auth, 0, "un does not require auth");
}

static void
t_errors(void)
{
	char *e;

	ok((e = parse("e ttl=x %SRC /h", NULL)) != NULL, "bad number");
	free(e);
	ok((e = parse("e foo=1 %SRC /h", NULL)) != NULL &&
	    strstr(e, "foo=1") != NULL, "unknown option named");
	free(e);
	ok((e = parse("e %SRC", NULL)) != NULL && strstr(e, "helper") != NULL,
	    "missing helper");
	free(e);
	ok((e = parse("e /h", NULL)) != NULL && strstr(e, "FORMAT") != NULL,
	    "missing FORMAT");
	free(e);
	ok((e = parse("e %NOPE /h", NULL)) != NULL && strstr(e, "%NOPE") !=
	    NULL, "unknown code named");
	free(e);
	ok((e = parse("e %SRCxyz /h", NULL)) != NULL, "trailing junk refused");
	free(e);
	ok((e = parse("e protocol=4.0 %SRC /h", NULL)) != NULL,
	    "unknown protocol");
	free(e);
	ok(extacl_type_find(types, "e") == NULL, "refused lines define nothing");
}

static struct http_msg req;

static void
entry(struct alog_entry *e, const char *head)
{
	struct http_parse_error err;
	struct sockaddr_in *sin = (struct sockaddr_in *)&e->client;

	memset(e, 0, sizeof(*e));
	sin->sin_family = AF_INET;
	sin->sin_port = htons(40000);
	inet_pton(AF_INET, "192.0.2.7", &sin->sin_addr);
	http_msg_free(&req);
	memset(&req, 0, sizeof(req));
	if (http_parse_request(&req, head, strlen(head), 65536, &err) !=
	    HTTP_PARSE_OK)
		printf("# request did not parse\n");
	e->request = &req;
	e->method = "GET";
	e->url = e->url_orig = "http://example.com/a b";
	e->host = "example.com";
	e->path = "/a b";
	e->scheme = "http";
	e->port = 80;
}

static const char *
line(const char *name, const char *acl, char *const *args, int nargs,
    const struct alog_entry *e)
{
	static char out[4096];
	const struct extacl_type *t = extacl_type_find(types, name);

	if (t == NULL || extacl_line(t, e, acl, args, nargs, out,
	    sizeof(out)) == 0)
		return "(none)";
	return out;
}

static void
t_line(void)
{
	struct alog_entry e;
	char *args[] = { "a b", "100%", "q\"x", "n\nl", "\xc3\xa9", "'" };
	char *w = NULL;

	entry(&e, "GET http://example.com/ HTTP/1.1\r\nHost: example.com\r\n"
	    "X-Evil: a b\r\n\r\n");
	free(parse("l1 %SRC %SRCPORT %METHOD %DST %PORT %PROTO %PATH "
	    "%>{X-Evil} %<{Server} %un %>ha{Missing} %ul /h", &w));
	free(w);
	is_str(line("l1", "x", NULL, 0, &e), "192.0.2.7 40000 GET example.com "
	    "80 http /a%20b a%20b - - - - -\n", "legacy codes, '-' for none, "
	    "implicit DATA '-' with no args");
	is_str(line("l1", "x", args, 6, &e), "192.0.2.7 40000 GET example.com "
	    "80 http /a%20b a%20b - - - - a%20b 100%25 q%22x n%0Al %C3%A9 "
	    "%27\n", "each argument URL-escaped on its own");
	free(parse("l2 protocol=2.5 %PATH %>{X-Evil} /h", NULL));
	is_str(line("l2", "x", args, 6, &e), "/a%20b a%20b \"a b\" 100% "
	    "q\\\"x n\\nl \xc3\xa9 '\n", "protocol=2.5: codes escaped "
	    "as in 3.0, arguments shell-quoted, newline escaped");
	free(parse("l3 %ACL %DATA %#DATA %'DATA %SRC /h", NULL));
	is_str(line("l3", "my acl", args, 2, &e), "my%20acl a%20b 100%25 "
	    "a%2520b%20100%2525 a%20b 100%25 192.0.2.7 \n",
	    "#DATA encodes the whole string again; a space ends every "
	    "value, as Squid");
	free(parse("l4 %'>h{X-Evil} %/PATH /h", NULL));
	is_str(line("l4", "x", NULL, 0, &e), "a b \"/a b\" -\n",
	    "explicit modifiers win over the protocol");
	/* nothing from the request may add a line to the helper's input */
	e.path = "/x\r\nOK user=evil";
	free(parse("l5 %PATH %PATH protocol=2.5 /h", NULL));
	is_str(line("l1", "x", args + 3, 1, &e), "192.0.2.7 40000 GET "
	    "example.com 80 http /x%0D%0AOK%20user=evil a%20b - - - - n%0Al\n",
	    "CR LF in a value escaped");
	e.user = NULL;
	e.path = "\n\n";
	is_str(line("l4", "x", NULL, 0, &e), "a b \\n\\n -\n",
	    "a value's own newlines are escaped, not dropped (shell)");
	free(parse("l7 %PATH /h", NULL));
	is_str(line("l7", "x", NULL, 0, &e), "%0A%0A -\n",
	    "a value's own newlines are escaped, not dropped");
	/* a user name (Basic credentials may hold anything) stays one word */
	e.user = "a b\r\nERR";
	free(parse("l6 %un %'un %/un %#un /h", NULL));
	is_str(line("l6", "x", NULL, 0, &e), "a%20b%0D%0AERR a b%0D%0AERR "
	    "\"a b\\r\\nERR\" a%20b%0D%0AERR -\n", "CR LF never pass, "
	    "whatever the modifier");
	{
		char small[16];
		const struct extacl_type *t = extacl_type_find(types, "l1");

		is_int(extacl_line(t, &e, "x", NULL, 0, small, sizeof(small)),
		    0, "too long for the buffer: 0, never a cut line");
	}
}

static void
t_acl(void)
{
	struct acl_set set;
	const struct extacl_type *t;
	char *const *args;
	int nargs;
	char *w = NULL, *e;
	char *a1[] = { "g", "external", "d", "admins", "x y" };
	char *a2[] = { "h", "external", "nosuch" };
	char *a3[] = { "t", "tag", "gold" };
	char *a4[] = { "lg", "external", "o" };
	struct acl_checklist cl;

	acl_set_init(&set);
	set.ext_types = &types;
	ok(acl_parse(&set, a1, 5, &w) == NULL, "acl external with args");
	free(w);
	w = NULL;
	ok(acl_external(acl_find(&set, "g"), &t, &args, &nargs) &&
	    strcmp(t->name, "d") == 0 && nargs == 2 &&
	    strcmp(args[1], "x y") == 0, "type and args kept");
	ok((e = acl_parse(&set, a2, 3, &w)) != NULL && strstr(e, "nosuch"),
	    "unknown external_acl_type refused");
	free(e);
	free(w);
	w = NULL;
	ok((e = acl_parse(&set, a1, 5, &w)) != NULL, "defined twice refused");
	free(e);
	free(w);
	w = NULL;
	ok(acl_parse(&set, a4, 3, &w) == NULL, "LOGIN type");
	free(w);
	w = NULL;
	ok(acl_is_auth(acl_find(&set, "lg")), "LOGIN makes it an auth ACL");
	ok(!acl_is_auth(acl_find(&set, "g")), "others are not");
	ok(acl_parse(&set, a3, 3, &w) == NULL, "tag ACL");
	free(w);
	memset(&cl, 0, sizeof(cl));
	is_int(acl_match(acl_find(&set, "g"), &cl), ACL_NOMATCH,
	    "no external callback: no match");
	is_int(acl_match(acl_find(&set, "t"), &cl), ACL_NOMATCH, "no tag");
	const char *tag = "gold";
	cl.tag = &tag;
	is_int(acl_match(acl_find(&set, "t"), &cl), ACL_MATCH, "tag matches");
	tag = "Gold";
	is_int(acl_match(acl_find(&set, "t"), &cl), ACL_NOMATCH,
	    "case-sensitive");
	acl_set_free(&set);
}

int
main(void)
{
	t_defaults();
	t_options();
	t_errors();
	t_line();
	t_acl();
	extacl_types_free(&types);
	http_msg_free(&req);
	return tap_done();
}
