/*
 * Unit tests for url_regex_rewrite's rules (helpers/rewrite/rules.c) and
 * request lines and answers (rwline.c): rule syntax, -i, "!", redirects,
 * back-references, comments, FILE:LINE errors, the required literal the
 * prefilter relies on (checked against regexec on every test URL), and
 * channel IDs, bad lines and quoting in answers.
 */
#include "config.h"
#include "../../helpers/rewrite/rules.h"
#include "../../helpers/rewrite/rwline.h"

#include <ctype.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "tap.h"
#include "util.h"

static struct rules *
parse(const char *text, int flags, char **errs)
{
	return rules_parse("rules", text, strlen(text), flags, errs);
}

/* "ACTION RESULT" for url against text, e.g. "rewrite http://b/". */
static const char *
run(const char *text, const char *url)
{
	static char got[1024];
	struct rules_match m;
	struct rules *rs;
	char out[512], prev[1024], *errs;
	int pass;

	if ((rs = parse(text, 0, &errs)) == NULL) {
		snprintf(got, sizeof(got), "error %s", errs);
		free(errs);
		return got;
	}
	/* the prefilter never changes a verdict */
	for (pass = 0; pass < 2; pass++) {
		rules_set_prefilter(rs, pass == 0);
		rules_match(rs, url, out, sizeof(out), &m);
		switch (m.action) {
		case RULES_NONE:
			snprintf(got, sizeof(got), "none");
			break;
		case RULES_STOP:
			snprintf(got, sizeof(got), "stop %u", m.line);
			break;
		case RULES_REWRITE:
			snprintf(got, sizeof(got), "rewrite %s", out);
			break;
		case RULES_REDIRECT:
			snprintf(got, sizeof(got), "%d %s", m.status, out);
			break;
		case RULES_TOO_LONG:
			snprintf(got, sizeof(got), "too long");
			break;
		}
		if (pass == 0)
			memcpy(prev, got, sizeof(prev));
		else if (strcmp(prev, got) != 0)
			snprintf(got, sizeof(got), "prefilter said %.900s", prev);
	}
	rules_free(rs);
	return got;
}

static const char *
errors(const char *text, int flags)
{
	static char got[2048];
	struct rules *rs;
	char *errs;

	if ((rs = parse(text, flags, &errs)) != NULL) {
		rules_free(rs);
		return "no error";
	}
	snprintf(got, sizeof(got), "%s", errs);
	free(errs);
	return got;
}

static void
t_rewrite(void)
{
	const char *r = "^http://a\\.test/(.*)  http://b.test/\\1\n";

	is_str(run(r, "http://a.test/x/y?z"), "rewrite http://b.test/x/y?z",
	    "\\1 carries the path");
	is_str(run(r, "http://A.test/x"), "none", "case-sensitive by default");
	is_str(run("-i ^http://a\\.test/(.*) http://b/\\1\n", "HTTP://A.TEST/X"),
	    "rewrite http://b/X", "-i: any case; the group keeps its case");
	is_str(run("^http://([^/]+)/(.*)$ http://\\2.\\1/&|\\0\n", "http://h/p"),
	    "rewrite http://p.h/http://h/p|http://h/p", "\\2 \\1 & \\0");
	is_str(run("^http://h/(x)?y http://n/[\\1]\n", "http://h/y"),
	    "rewrite http://n/[]", "an absent group is empty");
	is_str(run("^http://h/ http://n/?a=1\\&b=\\\\\n", "http://h/"),
	    "rewrite http://n/?a=1&b=\\", "\\& and \\\\ are themselves");
	is_str(run("h/ x\n\th/\tfirst-wins\n", "http://h/"), "rewrite x",
	    "the first match wins");
	is_str(run("nomatch x\n", "http://h/"), "none", "no rule matches");
}

/*
 * Anchored rules ("^" + literal + "(.*)", ".*", "$" or nothing) are matched
 * by comparing the literal; run() checks every verdict against regexec
 * (prefilter off), and these are the shapes and their near misses.
 */
static void
t_anchored(void)
{
	static const struct {
		const char *rule, *url, *want;
	} t[] = {
		{ "^http://a\\.t/(.*) X\\1\n", "http://a.t/p?q", "rewrite Xp?q" },
		{ "^http://a\\.t/(.*)$ X\\1|&\n", "http://a.t/p", "rewrite Xp|http://a.t/p" },
		{ "^http://a\\.t/(.*) X\\1\n", "http://a.t/", "rewrite X" },
		{ "^http://a\\.t/(.*) X\\1\n", "http://a.t", "none" },
		{ "^http://a\\.t/(.*) X\\1\n", "http://aXt/p", "none" },
		{ "^http://a\\.t/(.*) X\\1\n", "xhttp://a.t/p", "none" },
		{ "-i ^HTTP://A\\.T/(.*) X\\1\n", "http://a.T/Pq", "rewrite XPq" },
		{ "^http://a.t/(.*) X\\1\n", "http://aXt/p", "rewrite Xp" },
		{ "^http://a\\.t/ X&\n", "http://a.t/long", "rewrite Xhttp://a.t/" },
		{ "^http://a\\.t/$ X&\n", "http://a.t/", "rewrite Xhttp://a.t/" },
		{ "^http://a\\.t/$ X&\n", "http://a.t/p", "none" },
		{ "^http://a\\.t/.* X&\n", "http://a.t/p", "rewrite Xhttp://a.t/p" },
		{ "^http://a\\.t/.*$ X&\n", "http://a.t/p", "rewrite Xhttp://a.t/p" },
		{ "^http://a\\.t/(.*)x X\\1\n", "http://a.t/pxq", "rewrite Xp" },
		{ "^http://a\\.t/p* X&\n", "http://a.t/ppq", "rewrite Xhttp://a.t/pp" },
		{ "^http://a\\.t/\\w X&\n", "http://a.t/p", "rewrite Xhttp://a.t/p" },
		{ "^http://a\\.t/(.*) X\\1\n!^http://b\n", "http://b/", "stop 2" },
		{ "!^http://a\\.t/\n^h(.*) X\\1\n", "http://a.t/p", "stop 1" },
		{ "^ X&\n", "http://a.t/p", "rewrite X" },
		{ "^(.*) X\\1\n", "http://a.t/p", "rewrite Xhttp://a.t/p" },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		is_str(run(t[i].rule, t[i].url), t[i].want,
		    "anchored case %zu: %s", i, t[i].url);
}

static void
t_stop_and_redirect(void)
{
	const char *r =
	    "# keep the intranet as it is\n"
	    "\n"
	    "!^http://intra\\.\n"
	    "-i ! \\.EXAMPLE/\n"
	    "^http://([^/]*)/old/(.*) redirect:301:http://\\1/new/\\2\n"
	    "^http://[^/]*/tmp redirect:307:http://t/\n"
	    ".* http://catch/\n";

	is_str(run(r, "http://intra.test/old/a"), "stop 3", "! stops matching");
	is_str(run(r, "http://www.example/old/a"), "stop 4", "-i ! REGEX");
	is_str(run(r, "http://x.test/old/a/b"), "301 http://x.test/new/a/b",
	    "redirect with back-references");
	is_str(run(r, "http://x.test/tmp"), "307 http://t/", "redirect 307");
	is_str(run(r, "http://x.test/other"), "rewrite http://catch/",
	    "falls through to the last rule");
	is_str(run("\r\n  # indented comment\r\na b\r\n", "a"), "rewrite b",
	    "CRLF lines and indented comments");
}

static void
t_too_long(void)
{
	struct rules_match m;
	struct rules *rs;
	char out[8], *errs;

	rs = parse("(.*) \\1\\1\n", 0, &errs);
	ok(rs != NULL, "parsed");
	is_int(rules_match(rs, "abc", out, sizeof(out), &m), RULES_REWRITE,
	    "6 bytes fit in 8");
	is_str(out, "abcabc", "doubled");
	is_int(rules_match(rs, "abcd", out, sizeof(out), &m), RULES_TOO_LONG,
	    "8 bytes and a NUL do not");
	rules_free(rs);
}

static void
t_errors(void)
{
	is_str(errors("a b\n(unclosed x\n", 0),
	    "rules:2: bad regex \"(unclosed\": Unmatched ( or \\(\n", "bad regex");
	is_str(errors("# c\n\n-x a b\n", 0),
	    "rules:3: unknown option \"-x\" (only -i is known)\n", "bad option");
	is_str(errors("onlyregex\n", 0),
	    "rules:1: no replacement after the regex\n", "no replacement");
	is_str(errors("-i\n", 0), "rules:1: no regex after the options\n",
	    "options only");
	is_str(errors("a b c\n", 0),
	    "rules:1: unexpected \"c\" after the replacement\n", "extra word");
	is_str(errors("!a b\n", 0),
	    "rules:1: unexpected \"b\" after the regex of a \"!\" rule\n",
	    "! takes no replacement");
	is_str(errors("(a) \\2\n", 0),
	    "rules:1: \\2 in the replacement, but the regex has 1 group\n",
	    "back-reference past the groups");
	is_str(errors("a \\q\n", 0), "rules:1: unknown escape \"\\q\" in the "
	    "replacement (\\0..\\9, \\& and \\\\ are known)\n", "unknown escape");
	is_str(errors("a b\\\n", 0), "rules:1: replacement ends in \"\\\"\n",
	    "trailing backslash");
	is_str(errors("a redirect:300:http://x/\nb redirect:301\n"
	    "c redirect:301:\n", 0),
	    "rules:1: a redirect is \"redirect:STATUS:URL\" with STATUS 301, "
	    "302, 303, 307 or 308\n"
	    "rules:2: a redirect is \"redirect:STATUS:URL\" with STATUS 301, "
	    "302, 303, 307 or 308\n"
	    "rules:3: redirect without a URL\n", "every bad line, in one pass");
	is_str(errors("a redirect:302:http://x/\n", RULES_STORE_ID),
	    "rules:1: redirect rules do not apply to store IDs (-s)\n",
	    "no redirects in store-ID mode");
	/* found by the fuzzer: glibc's regcomp took gigabytes for this */
	is_str(errors("x\\.de/+++++++++++++++++++++++++++++++++++++++++ y\n", 0),
	    "rules:1: regex \"x\\.de/+++++++++++++++++++++++++++++++++++++++++\" "
	    "repeats too much: its repetitions would expand past 10000 copies "
	    "when compiled\n", "stacked quantifiers");
	ok(strstr(errors("(a{1,100}){1,200} y\n", 0), "repeats too much") != NULL,
	    "nested intervals");
	is_str(errors("^([0-9]{1,3}\\.){3}[0-9]{1,3}(:[0-9]+)?/ y\n.{0,5000}$ z\n", 0),
	    "no error", "ordinary repetitions pass");
	/* found by the fuzzer: a 30-deep "x???...?" repeated took minutes */
	{
		static const char *const loops[] = {
			"x??????????????????????????????+++++", "(x?)+",
			"(a|)*", "(|a)+", "(a?b*){1,900}", "x?{2}", "(^)*",
			"((x?)?)+", "(\\b)+", "(x{0,3})+", "(a|b|c?)*",
			"x*{0,}",
		};
		static const char *const fine[] = {
			"(x?)?", "(www\\.)?a", "(/[^/]*)*$", "([a-z]*\\.)+",
			"x?{1}", "(a|b?c)+", "(x+)+", "x{0}y*", "(a?b)*",
		};
		char line[256];
		size_t k;

		for (k = 0; k < sizeof(loops) / sizeof(loops[0]); k++) {
			snprintf(line, sizeof(line), "%s y\n", loops[k]);
			ok(strstr(errors(line, 0), "repeats a part that can "
			    "match nothing") != NULL, "refused: %s", loops[k]);
		}
		for (k = 0; k < sizeof(fine) / sizeof(fine[0]); k++) {
			snprintf(line, sizeof(line), "%s y\n", fine[k]);
			is_str(errors(line, 0), "no error", "taken: %s",
			    fine[k]);
		}
	}
	ok(strstr(errors("a\nb\nc\nd\ne\nf\ng\nh\ni\nj\nk\nl\nm\nn\no\np\nq\n"
	    "r\ns\nt\nu\nv\n", 0), "rules: 2 more errors\n") != NULL,
	    "past 20 errors, a count");
	is_str(errors("a b\n\0c d\n", 0), "no error", "(strlen stops at NUL)");
	{
		char *errs;
		struct rules *rs = rules_parse("f", "a b\n\0c d\n", 9, 0, &errs);

		ok(rs == NULL, "a NUL byte is an error");
		is_str(errs, "f:2: NUL byte in the line\n", "at its line");
		free(errs);
	}
	{
		char *errs;

		ok(rules_load("/nonexistent/rules", 0, &errs) == NULL,
		    "a missing file");
		is_str(errs, "/nonexistent/rules: No such file or directory\n",
		    "is one error");
		free(errs);
	}
}

static const char *
literal(const char *re)
{
	static char got[256];
	size_t len;
	char *lit = rules_literal(re, &len);

	if (lit == NULL)
		return "(none)";
	snprintf(got, sizeof(got), "%s", lit);
	if (strlen(lit) != len)
		return "(bad length)";
	free(lit);
	return got;
}

static void
t_literal(void)
{
	is_str(literal("^http://www\\.example\\.com/(.*)"),
	    "http://www.example.com/", "escaped dots are literal");
	is_str(literal("^http://(www\\.)?exa|mple"), "(none)",
	    "a top-level | names nothing");
	is_str(literal("^http://(a|b)\\.longer-part/"), ".longer-part/",
	    "a | inside a group is fine");
	is_str(literal("abcd*efgh"), "efgh", "a starred character is out");
	is_str(literal("abcd+e"), "abc", "a plussed one too");
	is_str(literal("xy(z){2}abc"), "abc", "an interval is skipped whole");
	is_str(literal("x\\{2}abc"), "x{2",
	    "an escaped { is a character (a lone } ends a run)");
	is_str(literal("[a-z]+\\.tld[]x]yz"), ".tld", "classes end a run");
	is_str(literal("a[[:alpha:]]]bcd"), "]bcd",
	    "a named class inside a bracket");
	is_str(literal("ab\\wcde\\1"), "cde", "\\w and \\1 are not literal");
	is_str(literal(".*"), "(none)", "nothing literal");
	is_str(literal("(unclosed"), "(none)", "unbalanced");
	is_str(literal("a?b?"), "(none)", "all optional");
	is_str(literal("^abc$"), "abc", "anchors end a run");
}

/*
 * The property the prefilter rests on: whatever a regex matches contains
 * its literal.  Each pair is a regex and a URL it matches.
 */
static void
t_literal_sound(void)
{
	static const char *cases[][2] = {
		{ "^http://(www\\.)?example\\.com/", "http://example.com/x" },
		{ "ab*c", "ac" },
		{ "ab?cd", "acd" },
		{ "x{0}yz", "yz" },
		{ "a(b|c)d\\.e", "acd.e" },
		{ "[.]com/", "x.com/" },
		{ "\\.deb$", "http://d/p.deb" },
		{ "-i HeLLo", "hello" },
		{ "(a)\\1bcde", "aabcde" },
		{ "x)yz", "x)yz" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int icase = strncmp(cases[i][0], "-i ", 3) == 0;
		const char *re = cases[i][0] + (icase ? 3 : 0);
		char *lit, low[256], *p;
		size_t len, k;
		regex_t rx;

		if (regcomp(&rx, re, REG_EXTENDED | REG_NOSUB |
		    (icase ? REG_ICASE : 0)) != 0) {
			ok(0, "%s compiles", re);
			continue;
		}
		ok(regexec(&rx, cases[i][1], 0, NULL, 0) == 0, "%s matches %s",
		    re, cases[i][1]);
		regfree(&rx);
		lit = rules_literal(re, &len);
		snprintf(low, sizeof(low), "%s", cases[i][1]);
		for (p = low; *p != '\0'; p++)
			*p = (char)tolower((unsigned char)*p);
		for (k = 0; lit != NULL && k < len; k++)
			lit[k] = (char)tolower((unsigned char)lit[k]);
		ok(lit == NULL || strstr(low, lit) != NULL,
		    "%s: literal \"%s\" is in %s", re, lit ? lit : "", low);
		free(lit);
	}
}

/* Many rules sharing pieces: the index must still find the right one. */
static void
t_many_rules(void)
{
	struct rules_match m;
	struct rules *rs;
	char out[256], *errs, *text, url[128];
	size_t cap = 1 << 20, len = 0;
	int i;

	text = xmalloc(cap);
	for (i = 0; i < 2000; i++)
		len += (size_t)snprintf(text + len, cap - len,
		    "^http://site%d\\.example\\.com/(.*) http://m%d/\\1\n", i, i);
	len += (size_t)snprintf(text + len, cap - len, "-i \\.ISO$ http://iso/\n");
	rs = rules_parse("many", text, len, 0, &errs);
	ok(rs != NULL && rules_count(rs) == 2001, "2001 rules");
	rules_match(rs, "http://site1999.example.com/a", out, sizeof(out), &m);
	is_str(out, "http://m1999/a", "the last site rule");
	rules_match(rs, "http://site19.example.com/a", out, sizeof(out), &m);
	is_str(out, "http://m19/a", "not site19's longer cousins");
	rules_match(rs, "http://other/x.iso", out, sizeof(out), &m);
	is_str(out, "http://iso/", "the -i rule after them");
	for (i = 0; i < 3000; i += 7) {
		snprintf(url, sizeof(url), "http://SITE%d.example.com/p", i);
		rules_match(rs, url, out, sizeof(out), &m);
		if (m.action != RULES_NONE) {
			ok(0, "%s is case-sensitive", url);
			break;
		}
	}
	ok(i >= 3000, "no case-sensitive rule matched an upper-case URL");
	rules_free(rs);
	free(text);
}

static const char *
answer(const char *text, int flags, const char *line)
{
	static char got[1024];
	struct rules_match m;
	struct rules *rs;
	struct rwline rq;
	struct buf out;
	char res[256], *copy, *errs;
	const char *why;

	rs = rules_parse("r", text, strlen(text), flags, &errs);
	if (rs == NULL)
		return errs;
	buf_init(&out);
	copy = xstrndup(line, strlen(line) + 1);	/* room for the NUL */
	if (rwline_parse(copy, strlen(line), &rq, &why) == -1)
		rwline_bh(&out, &rq, why);
	else {
		rules_match(rs, rq.url, res, sizeof(res), &m);
		rwline_answer(&out, &rq, &m, res, flags & RULES_STORE_ID);
	}
	snprintf(got, sizeof(got), "%.*s", (int)buf_avail(&out), buf_head(&out));
	buf_free(&out);
	free(copy);
	rules_free(rs);
	return got;
}

static void
t_rwline(void)
{
	const char *r = "^http://a/(.*) http://b/\\1\n"
	    "^http://r/ redirect:302:http://t/\n!^http://keep/\n";

	is_str(answer(r, 0, "http://a/x 127.0.0.1/- - GET myip=127.0.0.1 myport=3128"),
	    "OK rewrite-url=\"http://b/x\"\n", "no channel ID");
	is_str(answer(r, 0, "17 http://a/x 127.0.0.1/- - GET"),
	    "17 OK rewrite-url=\"http://b/x\"\n", "the channel ID echoed");
	is_str(answer(r, 0, "3 http://r/z"), "3 OK status=302 url=\"http://t/\"\n",
	    "redirect");
	is_str(answer(r, 0, "4 http://keep/z"), "4 ERR\n", "! answers ERR");
	is_str(answer(r, 0, "http://none/"), "ERR\n", "no match: ERR");
	is_str(answer("^http://a/(.*) http://b/\\1\n", RULES_STORE_ID,
	    "9 http://a/y"),
	    "9 OK store-id=\"http://b/y\"\n", "store-ID mode");
	is_str(answer(r, 0, "5 http://a/sp%20ace?x=\"y\\z\""),
	    "5 OK rewrite-url=\"http://b/sp%20ace?x=\\\"y\\\\z\\\"\"\n",
	    "quoted: %%20 kept, \" and \\ escaped");
	is_str(answer(r, 0, ""), "BH message=\"empty request\"\n", "empty line");
	is_str(answer(r, 0, "  \t"), "BH message=\"empty request\"\n", "blanks");
	is_str(answer(r, 0, "12"), "12 BH message=\"no URL after the channel ID\"\n",
	    "an ID alone");
	is_str(answer(r, 0, "12 "), "12 BH message=\"no URL after the channel ID\"\n",
	    "an ID and a space");
	is_str(answer(r, 0, "123456789012345678901 http://a/"),
	    "ERR\n", "21 digits are a word, not an ID");
	is_str(answer(r, 0, "1.2.3.4:443 x"), "ERR\n", "a CONNECT host:port");
	is_str(answer("^http://e/(x)? \\1\n", 0, "6 http://e/"),
	    "6 BH message=\"the rule's result is empty\"\n", "an empty result");
	is_str(answer("(.*) \\1\\1\\1\\1\\1\\1\\1\\1\n", 0, "http://long/"
	    "0123456789012345678901234567890123456789"),
	    "BH message=\"the rule's result is too long\"\n", "a result past 256");
	is_str(answer(r, 0, "8\thttp://a/t"), "8 OK rewrite-url=\"http://b/t\"\n",
	    "a tab after the ID");
}

/* etc/store_id.rules as shipped: what each mirror's file is stored as. */
static void
t_shipped_store_id_rules(void)
{
	static const struct {
		const char *url, *id;
	} cases[] = {
		{ "http://deb.debian.org/debian/pool/main/h/hello/h_2.10_amd64.deb",
		  "http://debian.squid.internal/pool/main/h/hello/h_2.10_amd64.deb" },
		{ "http://ftp.de.debian.org/debian/pool/main/h/hello/h_2.10_amd64.deb",
		  "http://debian.squid.internal/pool/main/h/hello/h_2.10_amd64.deb" },
		{ "http://ftp.debian.org:8080/debian/pool/main/a/a.deb",
		  "http://debian.squid.internal/pool/main/a/a.deb" },
		{ "http://deb.debian.org/debian/dists/bookworm/InRelease", NULL },
		{ "http://evil.example/debian/pool/main/a/a.deb", NULL },
		{ "http://security.debian.org/debian-security/pool/updates/o/l.deb",
		  "http://debian-security.squid.internal/pool/updates/o/l.deb" },
		{ "http://deb.debian.org/debian-security/pool/updates/o/l.deb",
		  "http://debian-security.squid.internal/pool/updates/o/l.deb" },
		{ "http://de.archive.ubuntu.com/ubuntu/pool/main/h/h.deb",
		  "http://ubuntu.squid.internal/pool/main/h/h.deb" },
		{ "http://security.ubuntu.com/ubuntu/pool/main/h/h.deb",
		  "http://ubuntu.squid.internal/pool/main/h/h.deb" },
		{ "https://files.pythonhosted.org/packages/aa/bb/cc/r-2.31.0.whl",
		  "http://pypi.squid.internal/packages/aa/bb/cc/r-2.31.0.whl" },
		{ "https://mirrors.aliyun.com/pypi/packages/aa/bb/cc/r-2.31.0.whl",
		  "http://pypi.squid.internal/packages/aa/bb/cc/r-2.31.0.whl" },
		{ "https://files.pythonhosted.org/packages/aa/bb/cc/r.whl?x=1", NULL },
		{ "https://pypi.org/simple/requests/", NULL },
		{ "https://registry.npmjs.org/left-pad/-/left-pad-1.3.0.tgz",
		  "http://npm.squid.internal/left-pad/-/left-pad-1.3.0.tgz" },
		{ "https://registry.npmmirror.com/left-pad/-/left-pad-1.3.0.tgz",
		  "http://npm.squid.internal/left-pad/-/left-pad-1.3.0.tgz" },
		{ "https://registry.npmjs.org/@types/node/-/node-20.1.0.tgz",
		  "http://npm.squid.internal/@types/node/-/node-20.1.0.tgz" },
		{ "https://registry.npmjs.org/left-pad", NULL },
	};
	const char *src = getenv("CUTTLE_SRCDIR");
	char path[4096], res[512], *errs = NULL;
	struct rules_match m;
	struct rules *rs;

	snprintf(path, sizeof(path), "%s/etc/store_id.rules",
	    src != NULL ? src : ".");
	rs = rules_load(path, RULES_STORE_ID, &errs);
	ok(rs != NULL, "etc/store_id.rules loads in store-ID mode%s%s",
	    errs != NULL ? ": " : "", errs != NULL ? errs : "");
	free(errs);
	if (rs == NULL)
		return;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		rules_match(rs, cases[i].url, res, sizeof(res), &m);
		if (cases[i].id == NULL)
			is_int(m.action, RULES_NONE, "%s: no store ID",
			    cases[i].url);
		else
			is_str(m.action == RULES_REWRITE ? res : "(none)",
			    cases[i].id, "%s", cases[i].url);
	}
	rules_free(rs);
}

int
main(void)
{
	t_rewrite();
	t_anchored();
	t_stop_and_redirect();
	t_too_long();
	t_errors();
	t_literal();
	t_literal_sound();
	t_many_rules();
	t_rwline();
	t_shipped_store_id_rules();
	return tap_done();
}
