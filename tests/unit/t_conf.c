/*
 * Unit tests for conf.c, the squid.conf grammar engine, through cfg_load():
 * the directive table's order and lookup, warnings and errors reported with
 * file:line (every error in one run), the grammar (comments, continuations,
 * CR, #line, if/else/endif, macros), include, quoted values and values read
 * from files.  What each directive stores is in t_conf_directives.c.
 */
#include "config.h"
#include "conf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "acl.h"
#include "cfg.h"
#include "tap.h"
#include "t_conf.h"

static char *
t_unsupported(struct conf_ctx *cx, void *field, int argc, char **argv)
{
	return NULL;
}

static void
test_engine(void)
{
	static const struct conf_directive sorted[] = {
		{ "a", t_unsupported, 0, NULL, 0, 0, 0, NULL },
		{ "b", t_unsupported, 0, NULL, 0, 0, 0, NULL },
		{ "b_c", t_unsupported, 0, NULL, 0, 0, 0, NULL },
		{ "bc", t_unsupported, 0, NULL, 0, 0, 0, NULL },
	};
	static const struct conf_directive unsorted[] = {
		{ "a", t_unsupported, 0, NULL, 0, 0, 0, NULL },
		{ "c", t_unsupported, 0, NULL, 0, 0, 0, NULL },
		{ "b", t_unsupported, 0, NULL, 0, 0, 0, NULL },
	};

	is_int(conf_table_unsorted(sorted, 4), 0, "sorted table");
	is_int(conf_table_unsorted(unsorted, 3), 2, "unsorted row found");
	ok(conf_lookup(sorted, 4, "b_c") == &sorted[2], "lookup b_c");
	ok(conf_lookup(sorted, 4, "bc") == &sorted[3], "lookup bc");
	ok(conf_lookup(sorted, 4, "c") == NULL, "lookup missing");
	ok(conf_intern("abc", 3) == conf_intern("abcd", 3), "intern dedups");
	is_str(conf_intern("abcd", 4), "abcd", "intern copies");
}

static void
test_warnings(void)
{
	struct cfg c;

	is_int(load(&c, "w.conf",
	    "cache_mem 64\n"
	    "via enable\n"
	    "announce_period 1 day\n"
	    "ssl_engine foo\n"
	    "dns_v4_first on\n"
	    "dns_nameservers foo 127.0.0.1\n"
	    "tcp_outgoing_dscp 0x20 all\n", 0), 0,
	    "warnings are not errors");
	is_int(c.cache_mem, 64, "unitless size is bytes");
	ok(logged("WARNING: %s:1: No units on 'cache_mem 64', assuming 64.00 "
	    "bytes", tpath("w.conf")), "no units warning");
	ok(logged("WARNING: %s:2: 'enable' is deprecated. Please update to use "
	    "'on'.", tpath("w.conf")), "enable warning");
	ok(logged("WARNING: %s:3: directive 'announce_period' is not supported by "
	    "cuttle yet; ignored", tpath("w.conf")), "unsupported directive");
	ok(logged("WARNING: %s:4: directive 'ssl_engine' is not supported by "
	    "cuttle yet; ignored", tpath("w.conf")), "ssl_engine unsupported");
	ok(logged("WARNING: %s:5: Directive 'dns_v4_first' is obsolete. Remove "
	    "this line.", tpath("w.conf")), "obsolete directive with hint");
	ok(logged("WARNING: %s:6: rejecting 'foo' as a name server",
	    tpath("w.conf")), "bad name server warns");
	ok(c.dns_nameservers != NULL && c.dns_nameservers->next == NULL &&
	    strcmp(c.dns_nameservers->s, "127.0.0.1") == 0,
	    "and is left out");
	ok(logged("WARNING: %s:7: directive 'tcp_outgoing_dscp' is not",
	    tpath("w.conf")), "aliases of unsupported directives have rows");
	is_int(count_lines("ERROR"), 0, "no ERROR line");
	cfg_free(&c);
}

static void
test_errors(void)
{
	struct cfg c;
	const char *f = tpath("t.conf");

	is_int(load_free("cache_memory 64 MB\n"), 1, "unknown directive");
	ok(logged("ERROR: %s:1: unrecognized: 'cache_memory'", f),
	    "unrecognized message");
	is_int(load_free("Cache_mem 64 MB\n"), 1, "names are case-sensitive");
	is_int(load_free("cache_mem 64MB\n"), 1, "64MB glued");
	ok(logged("ERROR: %s:1: Invalid value: '64MB' is supposed to be a "
	    "number.", f), "64MB message");
	is_int(load_free("cache_mem lots\n"), 1, "no digits");
	is_int(load_free("cache_mem 10 XB\n"), 1, "bad unit");
	ok(logged("Unknown bytes unit 'XB'"), "bad unit message");
	is_int(load_free("connect_timeout 5\n"), 1, "time without unit");
	ok(logged("ERROR: %s:1: missing time unit", f), "missing time unit");
	is_int(load_free("connect_timeout 90 sec\n"), 1, "sec");
	ok(logged("ERROR: %s:1: unknown time unit 'sec'", f), "sec message");
	is_int(load_free("url_rewrite_program /bin/cat\nurl_rewrite_children 5 "
	    "on-persistent-overload=ERR\n"), 0, "on-persistent-overload loads");
	ok(logged("%s:2: url_rewrite_children: option "
	    "'on-persistent-overload=ERR' is not supported by cuttle; ignored",
	    f), "... with a warning naming it");
	is_int(load_free("max_stale 0\nconnect_timeout 0\n"), 0,
	    "a bare 0 is a time (Squid takes it)");
	is_int(load_free("via maybe\n"), 1, "bad boolean");
	ok(logged("ERROR: %s:1: Invalid option: Boolean options can only be "
	    "'on' or 'off'.", f), "boolean message");
	is_int(load_free("http_access allow nosuchacl\n"), 1, "missing acl");
	ok(logged("ERROR: %s:1: ACL not found: nosuchacl", f), "acl message");
	is_int(load_free("acl a badtype x\n"), 1, "bad acl type");
	ok(logged("badtype"), "acl type message");
	is_int(load_free("include /nonexistent-cuttle/*.conf\n"), 1,
	    "include glob without match");
	ok(logged("ERROR: %s:1: Unable to find configuration file: "
	    "/nonexistent-cuttle/*.conf", f), "include message");
	is_int(load_free("cache_effective_user\n"), 1, "missing value");
	ok(logged("ERROR: %s:1: 'cache_effective_user': missing value", f),
	    "missing value message");
	is_int(load_free("workers 1 2\n"), 1, "too many values");
	ok(logged("ERROR: %s:1: 'workers': unexpected '2'", f),
	    "too many message");
	is_int(load_free("workers -1\n"), 1, "negative workers");
	is_int(load_free("workers two\n"), 1, "workers two");
	is_int(load_free("logfile_rotate 1x\n"), 1, "logfile_rotate 1x");
	is_int(load_free("forwarded_for maybe\n"), 1, "forwarded_for maybe");
	is_int(load_free("debug_options ALL,1 foo\n"), 1, "debug_options foo");
	is_int(load_free("debug_options 100,1\n"), 1, "section 100");
	is_int(load_free("debug_options ALL,10\n"), 1, "level 10");
	is_int(load_free("debug_options 33,x\n"), 1, "level x");
	is_int(load_free("read_timeout -1 seconds\n"), 1, "negative time");
	/* fuzz_conf: minutes times 60 overflowed (UB) */
	is_int(load_free("refresh_pattern . 6871462520984087209 0% 1440\n"), 1,
	    "refresh_pattern min too large");
	ok(logged("too large"), "refresh_pattern says too large");
	is_int(load_free("refresh_pattern . 0 0% 5620492334958379008\n"), 1,
	    "refresh_pattern max too large");
	is_int(load_free("negative_ttl 5\n"), 1, "negative_ttl needs a unit");
	is_int(load_free("range_offset_limit 10 all\n"), 1,
	    "a non-zero size takes its unit before the acls, as in Squid");
	is_int(load_free("range_offset_limit -2\n"), 1, "only -1 is negative");
	is_int(load_free("reply_body_max_size 0 all\n"), 0,
	    "reply_body_max_size 0 takes no unit either");
	is_int(load_free("read_ahead_gap 0 KB\n"), 0,
	    "read_ahead_gap ignores a unit after 0, as Squid does");

	/* one run reports every error, with its line */
	is_int(load(&c, "t.conf",
	    "foo 1\n"
	    "cache_mem 1 MB\n"
	    "cache_mem 64MB\n"
	    "# comment\n"
	    "\n"
	    "connect_timeout 5\n"
	    "via maybe\n"
	    "bar\n", 0), 5, "five errors in one run");
	ok(logged("%s:1: unrecognized: 'foo'", f), "line 1");
	ok(logged("%s:3: Invalid value", f), "line 3");
	ok(logged("%s:6: missing time unit", f), "line 6");
	ok(logged("%s:7: Invalid option", f), "line 7");
	ok(logged("%s:8: unrecognized: 'bar'", f), "line 8");
	is_int(count_lines("ERROR: "), 5, "five ERROR lines");
	is_int(c.cache_mem, 1 << 20, "good lines still apply");
	cfg_free(&c);

	is_int(load_path(&c, tpath("does-not-exist.conf"), 0), 1,
	    "missing file is one error");
	ok(logged("Unable to open configuration file"), "missing file message");
	cfg_free(&c);
}

static void
test_grammar(void)
{
	struct cfg c;
	const char *f = tpath("g.conf");

	/* a token starting with # ends the line; inside a token it stays */
	is_int(load(&c, "g.conf",
	    "   cache_mem 64 MB # trailing comment\n"
	    "\tvisible_hostname foo#bar # x\n"
	    "cache_effective_user a\\\n"
	    "    b\\\n"
	    "# comment inside a continuation\n"
	    "  c\n"
	    "coredump_dir /x\r/ignored after CR\n"
	    "cache_log /l   \t\n"
	    "acl localnet src 10.0.0.0/8  # RFC1918\n"
	    "#line 100 \"other.conf\"\n"
	    "bogus_directive\n", 0), 1, "grammar");
	is_int(c.cache_mem, 64 << 20, "trailing # comment");
	is_str(c.visible_hostname, "foo#bar", "# inside a token is kept");
	is_str(c.effective_user, "abc",
	    "continuation: no space, leading blanks and comments dropped");
	is_str(c.coredump_dir, "/x", "a CR ends the line");
	is_str(c.cache_log, "/l", "trailing blanks trimmed");
	ok(logged("ERROR: other.conf:100: unrecognized: 'bogus_directive'"),
	    "#line resets file and line");
	cfg_free(&c);

	/* conditionals and macros */
	is_int(load(&c, "g.conf",
	    "if ${process_number} = 2\n"
	    "workers 2\n"
	    "visible_hostname kid-${process_number}.${process_name}."
	    "${service_name}.${other}\n"
	    "else\n"
	    "workers 9\n"
	    "endif\n"
	    "if false\n"
	    "unknown_but_skipped\n"
	    "if true\n"
	    "workers 8\n"
	    "endif\n"
	    "else\n"
	    "cache_effective_user elsebranch\n"
	    "endif\n"
	    "if true\n"
	    "coredump_dir /t\n"
	    "endif\n", 2), 0, "conditionals");
	is_int(c.workers, 2, "if INT = INT");
	is_str(c.visible_hostname, "kid-2.squid-2.squid.${other}",
	    "macros substituted, unknown ones kept");
	is_str(c.effective_user, "elsebranch", "else of false");
	is_str(c.coredump_dir, "/t", "if true");
	cfg_free(&c);
	is_int(load(&c, "g.conf", "if ${process_number} = 1\nworkers 2\n"
	    "else\nworkers 3\nendif\n", 0), 0, "process 0");
	is_int(c.workers, 3, "else branch for process 0");
	cfg_free(&c);
	is_int(load(&c, "g.conf", "else\n", 0), 1, "else without if");
	ok(logged("ERROR: %s:1: 'else' without 'if'", f), "else message");
	cfg_free(&c);
	is_int(load(&c, "g.conf", "endif\n", 0), 1, "endif without if");
	cfg_free(&c);
	is_int(load(&c, "g.conf", "if 1 = 1\nworkers 2\n", 0), 1,
	    "if without endif");
	ok(logged("if-statement without 'endif'"), "missing endif message");
	cfg_free(&c);
	is_int(load(&c, "g.conf", "if maybe\nworkers 2\nendif\n", 0), 1,
	    "bad if expression");
	is_int(c.workers, 1, "a bad expression is false");
	cfg_free(&c);
}

static void
test_include(void)
{
	struct cfg c;

	if (mkdir(tpath("inc.d"), 0700) == -1)
		perror("mkdir");
	write_file("inc.d/a.conf", "workers 3\n");
	write_file("inc.d/b.conf", "cache_effective_user fromb\nnope_b\n");
	write_file("inc.d/skip.txt", "nope\n");
	{
		char text[512];

		snprintf(text, sizeof(text), "cache_effective_user first\n"
		    "include %s/inc.d/*.conf\nvisible_hostname after\n", tdir);
		is_int(load(&c, "i.conf", text, 0), 1, "include glob");
	}
	is_int(c.workers, 3, "first match parsed");
	is_str(c.effective_user, "fromb", "second match parsed, in order");
	is_str(c.visible_hostname, "after", "parsing continues after include");
	ok(logged("ERROR: %s:2: unrecognized: 'nope_b'",
	    tpath("inc.d/b.conf")), "errors name the included file");
	cfg_free(&c);

	{
		char text[512];

		/* a file including itself stops at 16 levels */
		snprintf(text, sizeof(text), "workers 2\ninclude %s/self.conf\n",
		    tdir);
		write_file("self.conf", text);
		is_int(load_path(&c, tpath("self.conf"), 0), 1,
		    "include nesting deeper than 16 is an error");
		ok(logged("ERROR: %s:2: include nesting is deeper than 16 "
		    "levels", tpath("self.conf")), "nesting message");
		is_int(c.workers, 2, "the included copies still apply");
		cfg_free(&c);
	}
}

static void
test_values_files(void)
{
	struct cfg c;
	struct acl_checklist cl;
	const struct acl *a;
	char text[1024];

	write_file("regex.txt",
	    "# a comment line\n"
	    "\n"
	    "  ^http://one\\.example/  # trailing comment\n"
	    "two words\\.example # x\n");
	snprintf(text, sizeof(text),
	    "acl wl url_regex -i \"%s/regex.txt\"\n"
	    "acl missing url_regex \"%s/nofile.txt\"\n"
	    "configuration_includes_quoted_values on\n"
	    "visible_hostname \"a b\\tc\"\n"
	    "acl wl2 url_regex parameters(\"%s/regex.txt\")\n"
	    "configuration_includes_quoted_values off\n"
	    "cache_effective_user \"quoted\"\n", tdir, tdir, tdir);
	is_int(load(&c, "f.conf", text, 0), 0, "values from files");
	a = acl_find(&c.acls, "wl");
	ok(a != NULL, "file acl defined");
	memset(&cl, 0, sizeof(cl));
	cl.url = "http://ONE.example/x";
	ok(a != NULL && acl_match(a, &cl) == ACL_MATCH,
	    "first file value used, -i applies");
	cl.url = "http://x/two words.example";
	ok(a != NULL && acl_match(a, &cl) == ACL_MATCH,
	    "inner blanks of a file value survive");
	cl.url = "http://three.example/";
	ok(a != NULL && acl_match(a, &cl) == ACL_NOMATCH, "no other values");
	ok(logged("Can not open file %s/nofile.txt for reading", tdir),
	    "missing value file warns");
	is_str(c.visible_hostname, "a b\tc", "quoted value with escape");
	a = acl_find(&c.acls, "wl2");
	cl.url = "http://one.example/";
	ok(a != NULL && acl_match(a, &cl) == ACL_MATCH,
	    "parameters(\"file\") in quoted mode");
	is_str(c.effective_user, "\"quoted\"",
	    "quotes are literal in default mode");
	cfg_free(&c);

	is_int(load(&c, "f.conf", "configuration_includes_quoted_values on\n"
	    "visible_hostname \"a\\qb\"\n"
	    "cache_effective_user \"unterminated\n", 0), 2,
	    "bad escape and missing quote");
	ok(logged("Unsupported escape sequence"), "escape message");
	ok(logged("missing closing quote"), "quote message");
	cfg_free(&c);
}

int
main(void)
{
	if (t_conf_setup("t_conf") == -1)
		return 1;
	test_engine();
	test_warnings();
	test_errors();
	test_grammar();
	test_include();
	test_values_files();
	t_conf_cleanup();
	return tap_done();
}
