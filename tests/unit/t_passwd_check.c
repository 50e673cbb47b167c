/*
 * Unit tests for passwd_check: rfc1738 decoding as Squid does it (%00 and
 * bad escapes kept, %% folded), request and password file line splitting,
 * MD5-crypt ($1$, $apr1$) against openssl passwd, and verification of each
 * hash type with Squid's DES "too long" rule.  Expected hashes were made
 * with openssl passwd and Python's crypt module.
 */
#include "config.h"
#include "passwd_check.h"

#include <stdio.h>
#include <string.h>

#include "tap.h"
#include "util.h"

static const char *
unesc(const char *in)
{
	static char buf[256];

	snprintf(buf, sizeof(buf), "%s", in);
	util_rfc1738_unescape(buf);
	return buf;
}

static void
t_unescape(void)
{
	is_str(unesc("we%20ird"), "we ird", "%%20");
	is_str(unesc("p%25s%20w%22d"), "p%s w\"d", "%%25 and %%22");
	is_str(unesc("%C3%BCmlaut"), "\xc3\xbcmlaut", "upper-case UTF-8");
	is_str(unesc("%c3%bc"), "\xc3\xbc", "lower-case hex");
	is_str(unesc("a%%b"), "a%b", "%%%% folds to %%");
	is_str(unesc("%%41"), "%41", "%%%% then plain text");
	is_str(unesc("a%00b"), "a%00b", "%%00 kept");
	is_str(unesc("a%zzb"), "a%zzb", "non-hex kept");
	is_str(unesc("a%2"), "a%2", "short escape at the end kept");
	is_str(unesc("a%"), "a%", "lone %% kept");
	is_str(unesc("%2%41"), "%2A", "bad escape then a good one");
}

static void
t_request(void)
{
	char buf[64], *u = NULL, *p = NULL;

#define REQ(s) (snprintf(buf, sizeof(buf), "%s", s), \
	passwd_check_request(buf, &u, &p))
	is_int(REQ("alice secret1"), 0, "plain request");
	is_str(u, "alice", "user");
	is_str(p, "secret1", "password");
	is_int(REQ("we%20ird p%25s%20w%22d"), 0, "escaped request");
	is_str(u, "we ird", "user decoded");
	is_str(p, "p%s w\"d", "password decoded");
	is_int(REQ("  bob  two  spaces "), 0, "leading spaces skipped");
	is_str(u, "bob", "user after spaces");
	is_str(p, " two  spaces ", "password keeps the rest");
	is_int(REQ("1 alice x"), 0, "no channel IDs");
	is_str(u, "1", "the ID is the user");
	is_str(p, "alice x", "and the rest the password");
	is_int(REQ(""), -1, "empty line");
	is_int(REQ("   "), -1, "only spaces");
	is_int(REQ("alice"), -1, "no password");
	is_int(REQ("alice "), -1, "empty password");
	is_int(REQ("alice\tpw"), -1, "tab is not a separator");
#undef REQ
}

static void
t_file_line(void)
{
	char buf[128], *u = NULL, *h = NULL;

#define LINE(s) (snprintf(buf, sizeof(buf), "%s", s), \
	passwd_check_file_line(buf, &u, &h))
	is_int(LINE("alice:$1$x$y\n"), PASSWD_LINE_ENTRY, "entry");
	is_str(u, "alice", "user");
	is_str(h, "$1$x$y", "hash");
	is_int(LINE("bob:hash:1000:gecos\r\n"), PASSWD_LINE_ENTRY, "extra fields");
	is_str(h, "hash", "extra fields ignored");
	is_int(LINE("cr:hash\r\n"), PASSWD_LINE_ENTRY, "CRLF");
	is_str(h, "hash", "CR stripped");
	is_int(LINE("::a::b\n"), PASSWD_LINE_ENTRY, "leading colons skipped");
	is_str(u, "a", "user after colons");
	is_str(h, "b", "empty fields skipped");
	is_int(LINE("# comment:x\n"), PASSWD_LINE_SKIP, "comment");
	is_int(LINE(" sp:x\n"), PASSWD_LINE_SKIP, "leading space");
	is_int(LINE("\tt:x\n"), PASSWD_LINE_SKIP, "leading tab");
	is_int(LINE("\n"), PASSWD_LINE_SKIP, "empty line");
	is_int(LINE("nopw\n"), PASSWD_LINE_SKIP, "no password field");
	is_int(LINE("nopw:\n"), PASSWD_LINE_SKIP, "empty password field");
	is_int(LINE("::\n"), PASSWD_LINE_NO_USER, "only separators");
	is_int(LINE("\r\n"), PASSWD_LINE_NO_USER, "CRLF only");
	is_int(LINE(""), PASSWD_LINE_NO_USER, "NUL at the start");
#undef LINE
}

static void
t_md5(void)
{
	char out[64], hex[33];

	is_str(passwd_check_md5crypt("secret", "$1$abcdefgh$cHJi5PXp/ki/ktXzqlk6I1",
	    out, sizeof(out)), "$1$abcdefgh$cHJi5PXp/ki/ktXzqlk6I1", "$1$");
	is_str(passwd_check_md5crypt("secret", "$apr1$xyz12345$",
	    out, sizeof(out)), "$apr1$xyz12345$hVFg3wOytQE97CWCezCu2/", "$apr1$");
	is_str(passwd_check_md5crypt("p%s w\"d", "$apr1$ab$", out, sizeof(out)),
	    "$apr1$ab$GvD1.5TYBF30RpXh/wScX1", "$apr1$ short salt");
	is_str(passwd_check_md5crypt("xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
	    "$1$aaaaaaaa", out, sizeof(out)), "$1$aaaaaaaa$ywLPtW7TWPTHH5iWc9KEt.",
	    "40-byte password");
	is_str(passwd_check_md5crypt("", "$1$s$", out, sizeof(out)),
	    "$1$s$iXWZU0LDEJ7Jjmms7KFsH0", "empty password");
	is_str(passwd_check_md5crypt("secret", "abcdefghijk", out, sizeof(out)),
	    "$1$abcdefgh$cHJi5PXp/ki/ktXzqlk6I1", "no magic: $1$, 8-byte salt");
	ok(passwd_check_md5crypt("secret", "$1$abc$", out, 10) == NULL,
	    "short output buffer refused");
	is_str(passwd_check_md5hex("plainpw", hex),
	    "e287b9f87a1dee9bee3c9cf81a750e7e", "plain MD5 hex");
}

static void
t_verify(void)
{
	static const struct {
		const char *stored, *pass;
		enum passwd_check_result want;
		const char *what;
	} v[] = {
		{ "abNANd1rDfiNc", "secret", PASSWD_CHECK_OK, "DES" },
		{ "abNANd1rDfiNc", "secreT", PASSWD_CHECK_WRONG, "DES wrong" },
		{ "cdujmk4V82pQ6", "longpass", PASSWD_CHECK_OK, "DES 8 bytes" },
		{ "cdujmk4V82pQ6", "longpassword", PASSWD_CHECK_TOO_LONG,
		  "DES over 8 bytes" },
		{ "cdujmk4V82pQ6", "longpasXX", PASSWD_CHECK_WRONG,
		  "DES over 8, prefix differs" },
		{ "$1$abcdefgh$cHJi5PXp/ki/ktXzqlk6I1", "secret", PASSWD_CHECK_OK,
		  "$1$" },
		{ "$1$abcdefgh$cHJi5PXp/ki/ktXzqlk6I1", "secrets",
		  PASSWD_CHECK_WRONG, "$1$ wrong" },
		{ "$1$aaaaaaaa$ywLPtW7TWPTHH5iWc9KEt.",
		  "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", PASSWD_CHECK_OK,
		  "$1$ long password" },
		{ "$5$saltsalt$zOFVkp0Kz29x0a6a4dSx8FZisA8Iwb0KzzvoRDFTN/8", "pw5",
		  PASSWD_CHECK_OK, "$5$" },
		{ "$6$saltsalt$vqfwhgbpDQsmrvB6w5/8F5c4CO40.Qu2BBSXMRAH03mtpJ3D3Unc"
		  "G8x1f8qam566S8Gqa9EQmwIXTEp9knEjA.", "pw6", PASSWD_CHECK_OK,
		  "$6$" },
		{ "$6$saltsalt$vqfwhgbpDQsmrvB6w5/8F5c4CO40.Qu2BBSXMRAH03mtpJ3D3Unc"
		  "G8x1f8qam566S8Gqa9EQmwIXTEp9knEjA.", "pw7", PASSWD_CHECK_WRONG,
		  "$6$ wrong" },
		{ "$apr1$xyz12345$hVFg3wOytQE97CWCezCu2/", "secret",
		  PASSWD_CHECK_OK, "$apr1$" },
		{ "$apr1$xyz12345$hVFg3wOytQE97CWCezCu2/", "Secret",
		  PASSWD_CHECK_WRONG, "$apr1$ wrong" },
		{ "e287b9f87a1dee9bee3c9cf81a750e7e", "plainpw", PASSWD_CHECK_OK,
		  "plain MD5" },
		{ "E287B9F87A1DEE9BEE3C9CF81A750E7E", "plainpw",
		  PASSWD_CHECK_WRONG, "plain MD5 is lower-case only" },
		{ "secret", "secret", PASSWD_CHECK_WRONG, "no clear text" },
		{ "*0", "x", PASSWD_CHECK_WRONG, "crypt failure token" },
	};
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		is_int(passwd_check_verify(v[i].stored, v[i].pass), v[i].want,
		    "verify: %s", v[i].what);
}

int
main(void)
{
	t_unescape();
	t_request();
	t_file_line();
	t_md5();
	t_verify();
	return tap_done();
}
