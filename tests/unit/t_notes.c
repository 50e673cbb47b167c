/*
 * Unit tests for annotations: the NotePairs operations (notes.c) as Squid
 * 5.7 defines them, helper replies turned into notes, the note ACL (name
 * only, values, -m and -m=delimiters) and the %note / %{key}note /
 * %{key:sep}note log codes with their default URL escaping.
 */
#include "config.h"
#include "notes.h"

#include <stdlib.h>
#include <string.h>

#include "acl.h"
#include "helper_reply.h"
#include "logformat.h"
#include "tap.h"

static void
t_pairs(void)
{
	struct notes a = { NULL, 0, 0 }, b = { NULL, 0, 0 };
	static const char *const appendables[] = { "group", "tag", NULL };
	char *s;

	notes_add(&a, "k", "1");
	notes_add(&a, "k", "2");
	notes_add(&a, "group", "g1");
	s = notes_find(&a, "k", ",");
	is_str(s, "1,2", "find joins a key's values");
	free(s);
	ok(notes_find(&a, "none", ",") == NULL, "find: NULL for no key");
	notes_add(&b, "empty", "");
	s = notes_find(&b, "empty", ",");
	is_str(s, "", "find: an empty value is found (fuzz)");
	free(s);
	notes_free(&b);
	is_str(notes_find_first(&a, "k"), "1", "find_first");
	s = notes_to_string(&a, "\r\n");
	is_str(s, "k: 1\r\nk: 2\r\ngroup: g1\r\n", "to_string");
	free(s);

	notes_add(&b, "k", "3");
	notes_add(&b, "group", "g2");
	notes_replace_or_add_or_append(&a, &b, appendables);
	s = notes_to_string(&a, ";");
	is_str(s, "group: g1;k: 3;group: g2;",
	    "replaceOrAddOrAppend: k replaced, group appended");
	free(s);
	notes_replace_or_add(&a, &b);
	s = notes_to_string(&a, ";");
	is_str(s, "k: 3;group: g2;", "replaceOrAdd replaces every key");
	free(s);
	notes_append_new_only(&a, &b);
	is_int(a.n, 2, "appendNewOnly skips pairs already there");
	notes_remove(&a, "k");
	is_int(a.n, 1, "remove");
	ok(notes_has_pair(&a, "group", "g2"), "has_pair");
	notes_free(&a);
	notes_free(&b);
	ok(notes_to_string(&a, ";") == NULL, "empty list: NULL");
}

static void
t_reply(void)
{
	struct helper_reply r;
	struct notes ns = { NULL, 0, 0 };
	const char *line = "OK clt_conn_tag=blue user=bob x-a=%41b q=\"%41\"";
	char *s;

	helper_reply_parse(&r, line, strlen(line));
	helper_reply_to_notes(&r, &ns);
	s = notes_to_string(&ns, "|");
	is_str(s, "clt_conn_tag: blue|user: bob|x-a: Ab|q: %41|",
	    "every kv-pair is a note, decoded as the reply parser decodes");
	free(s);
	helper_reply_free(&r);
	notes_free(&ns);
}

static struct acl_set set;

static int
t_acl(const char *line, const struct notes *ns)
{
	char buf[512], *argv[32], *p, *save = NULL, *warn = NULL, *err;
	int argc = 0;
	struct acl_checklist cl;

	acl_set_free(&set);
	acl_set_init(&set);
	snprintf(buf, sizeof(buf), "%s", line);
	for (p = strtok_r(buf, " ", &save); p != NULL && argc < 32;
	    p = strtok_r(NULL, " ", &save))
		argv[argc++] = p;
	err = acl_parse(&set, argv, argc, &warn);
	free(warn);
	if (err != NULL) {
		free(err);
		return -1;
	}
	memset(&cl, 0, sizeof(cl));
	cl.notes = ns;
	return acl_match(acl_find(&set, argv[0]), &cl) == ACL_MATCH;
}

static void
t_note_acl(void)
{
	struct notes ns = { NULL, 0, 0 };

	notes_add(&ns, "group", "staff,admins");
	notes_add(&ns, "tier", "gold");
	is_int(t_acl("a note tier", &ns), 1, "name only: any value");
	is_int(t_acl("a note tier gold silver", &ns), 1, "one of the values");
	is_int(t_acl("a note tier Gold", &ns), 0, "values are case-sensitive");
	is_int(t_acl("a note other", &ns), 0, "absent name");
	is_int(t_acl("a note group admins", &ns), 0,
	    "without -m the whole value must match");
	is_int(t_acl("a note group staff,admins", &ns), 1, "whole value");
	is_int(t_acl("a note -m group admins", &ns), 1, "-m: a token");
	is_int(t_acl("a note -m=; group admins", &ns), 0,
	    "-m=; splits on ';' only");
	is_int(t_acl("a note", &ns), -1, "a name is required");
	is_int(t_acl("a note tier", NULL), 0, "no notes: no match");
	notes_free(&ns);
	acl_set_free(&set);
}

static void
t_logcodes(void)
{
	struct notes ns = { NULL, 0, 0 };
	struct alog_entry e;
	char line[1024], *err = NULL;
	struct logformat *f;

	memset(&e, 0, sizeof(e));
	e.dns_ms = e.upstream_ms = -1;
	f = logformat_compile("t", "[%note] [%{k}note] [%{k:;}note] "
	    "[%{none}note] [%'{k}note]", &err);
	ok(f != NULL, "%%note codes compile");
	logformat_render(f, &e, 0, line, sizeof(line));
	is_str(line, "[-] [-] [-] [-] [-]\n", "no notes: dashes");
	notes_add(&ns, "k", "a b");
	notes_add(&ns, "k", "c");
	notes_add(&ns, "j", "d");
	e.notes = &ns;
	logformat_render(f, &e, 0, line, sizeof(line));
	is_str(line, "[k:%20a%20b%0D%0Ak:%20c%0D%0Aj:%20d%0D%0A] [a%20b,c] "
	    "[a%20b;c] [-] [a b,c]\n",
	    "all notes, one key, a separator, raw with '");
	logformat_free(f);
	notes_free(&ns);
}

int
main(void)
{
	t_pairs();
	t_reply();
	t_note_acl();
	t_logcodes();
	return tap_done();
}
