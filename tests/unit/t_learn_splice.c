/*
 * Unit tests for learn_splice.c: the learned splice list, its lookups,
 * expiry, and the file format (escaping, corrupt lines, round trips).
 */
#include "config.h"
#include "learn_splice.h"

#include <stdlib.h>
#include <string.h>

#include "tap.h"

static unsigned bad_lines[16];
static unsigned nbad;

static void
note_bad(void *arg, unsigned line, const char *why)
{
	(void)arg;
	(void)why;
	if (nbad < 16)
		bad_lines[nbad++] = line;
}

static unsigned
parse(struct learn_splice_list *l, const char *text, int64_t now)
{
	nbad = 0;
	return learn_splice_parse(l, text, strlen(text), now, note_bad, NULL);
}

static void
test_add_find(void)
{
	struct learn_splice_list l;

	learn_splice_init(&l);
	is_int(learn_splice_add(&l, 200, "127.0.0.1", "Pinned.Example", "unknown_ca",
	    100), 1, "a new pair is new");
	is_int(learn_splice_add(&l, 150, "127.0.0.1", "pinned.example", "reset",
	    100), 0, "the same pair again is not new");
	ok(learn_splice_find(&l, "127.0.0.1", "PINNED.example", 100) != NULL,
	    "names match whatever their case");
	is_int(learn_splice_find(&l, "127.0.0.1", "pinned.example", 100)->expiry,
	    200, "an earlier expiry does not shorten the entry");
	is_str(learn_splice_find(&l, "127.0.0.1", "pinned.example", 100)->reason,
	    "unknown_ca", "... nor replace its reason");
	ok(learn_splice_find(&l, "127.0.0.2", "pinned.example", 100) == NULL,
	    "another client is not spliced");
	ok(learn_splice_find(&l, "127.0.0.1", "other.example", 100) == NULL,
	    "another name is not spliced");
	ok(learn_splice_find(&l, "127.0.0.1", "pinned.example", 200) == NULL,
	    "an entry is gone at its expiry");
	ok(learn_splice_has_client(&l, "127.0.0.1", 199), "has_client");
	ok(!learn_splice_has_client(&l, "127.0.0.1", 200),
	    "has_client: not after the expiry");
	ok(!learn_splice_has_client(&l, "127.0.0.2", 100),
	    "has_client: not another client");
	is_int(learn_splice_add(&l, 300, "127.0.0.1", "pinned.example", "reset",
	    250), 1, "an expired pair learned again is new");
	is_str(learn_splice_find(&l, "127.0.0.1", "pinned.example", 250)->reason,
	    "reset", "... with its new reason");
	is_int(learn_splice_add(&l, 300, "not-an-ip", "x", "reset", 0), -1,
	    "a client that is not an address is refused");
	is_int(learn_splice_add(&l, 300, "::1", "", "reset", 0), -1,
	    "an empty name is refused");
	is_int(learn_splice_add(&l, 300, "0:0::1", "a.example", "reset", 0), 1,
	    "IPv6 client");
	ok(learn_splice_find(&l, "::1", "a.example", 0) != NULL,
	    "IPv6 addresses compare in canonical form");
	/* many entries stay sorted */
	for (int i = 0; i < 200; i++) {
		char name[32];

		snprintf(name, sizeof(name), "h%d.example", (i * 37) % 200);
		learn_splice_add(&l, 1000, "10.0.0.1", name, "reset", 0);
	}
	int all = 1;
	for (int i = 0; i < 200; i++) {
		char name[32];

		snprintf(name, sizeof(name), "h%d.example", i);
		all &= learn_splice_find(&l, "10.0.0.1", name, 0) != NULL;
	}
	ok(all, "200 names all found");
	learn_splice_free(&l);
}

static void
test_format_roundtrip(void)
{
	struct learn_splice_list l, m;
	const char *hostile = "evil\nname with spaces%0A\r\x01\x7f\xff.example";
	size_t len;
	char *text;

	learn_splice_init(&l);
	learn_splice_init(&m);
	learn_splice_add(&l, 500, "192.0.2.7", hostile, "unknown_ca", 0);
	learn_splice_add(&l, 500, "192.0.2.7", "ok.example", "early_hangup", 0);
	learn_splice_add(&l, 50, "192.0.2.8", "old.example", "reset", 0);
	text = learn_splice_format(&l, 100, &len);
	is_int(strlen(text), len, "format: length");
	ok(strstr(text, "old.example") == NULL, "format drops expired entries");
	ok(text[0] == '#', "format starts with a comment");
	{
		int lines = 0;

		for (size_t i = 0; i < len; i++)
			lines += text[i] == '\n';
		is_int(lines, 3, "one line per live entry, and the header");
	}
	ok(strstr(text, "evil%0Aname%20with%20spaces%250a%0D%01%7F%FF.example")
	    != NULL, "a hostile name is escaped");
	is_int(parse(&m, text, 100), 0, "the formatted text parses cleanly");
	is_int(m.n, 2, "both live entries read back");
	{
		char lower[64];

		snprintf(lower, sizeof(lower), "%s", hostile);
		ok(learn_splice_find(&m, "192.0.2.7", lower, 100) != NULL,
		    "the hostile name reads back unchanged");
	}
	free(text);
	learn_splice_free(&l);
	learn_splice_free(&m);
}

static void
test_corrupt(void)
{
	struct learn_splice_list l;

	learn_splice_init(&l);
	is_int(parse(&l,
	    "# comment\n"
	    "\n"
	    "900 127.0.0.1 good.example unknown_ca\n"	/* 3 */
	    "900 127.0.0.1 two  spaces\n"		/* 4 bad */
	    "900 127.0.0.1 three\n"			/* 5 bad */
	    "900 127.0.0.1 a.example reset extra\n"	/* 6 bad */
	    "9x0 127.0.0.1 b.example reset\n"		/* 7 bad */
	    "900 300.0.0.1 c.example reset\n"		/* 8 bad */
	    "900 127.0.0.1 d%0 reset\n"			/* 9 bad */
	    "900 127.0.0.1 e%00x reset\n"		/* 10 bad */
	    "900 127.0.0.1 tab\there reset\n"		/* 11 bad */
	    "99999999999999999999 127.0.0.1 f reset\n"	/* 12 bad */
	    "10 127.0.0.1 expired.example reset\n"	/* 13 dropped */
	    "900 127.0.0.1 trailing reset \n"		/* 14 bad */
	    "900 127.0.0.1 last.example reset",		/* 15, no newline */
	    100), 10, "ten corrupt lines");
	is_int(nbad, 10, "each reported");
	is_int(bad_lines[0], 4, "first bad line number");
	is_int(bad_lines[9], 14, "last bad line number");
	is_int(l.n, 2, "two good entries");
	ok(learn_splice_find(&l, "127.0.0.1", "good.example", 100) != NULL,
	    "good line kept");
	ok(learn_splice_find(&l, "127.0.0.1", "last.example", 100) != NULL,
	    "a last line without a newline is read");
	ok(learn_splice_find(&l, "127.0.0.1", "expired.example", 5) == NULL,
	    "an expired line is dropped");
	is_int(parse(&l, "900 127.0.0.1 dup.example reset\n"
	    "950 127.0.0.1 DUP.example unknown_ca\n", 100), 0,
	    "duplicate lines are not corrupt");
	is_int(l.n, 1, "... and make one entry");
	is_int(learn_splice_find(&l, "127.0.0.1", "dup.example", 0)->expiry, 950,
	    "... with the later expiry");
	is_int(parse(&l, "", 0), 0, "an empty file");
	is_int(l.n, 0, "... is an empty list");
	learn_splice_free(&l);
}

int
main(void)
{
	test_add_find();
	test_format_roundtrip();
	test_corrupt();
	return tap_done();
}
