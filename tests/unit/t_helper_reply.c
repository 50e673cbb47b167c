/*
 * Unit tests for helper_reply: line framing (CR tolerated, partial lines),
 * the sslcrtd framing (length-checked, 0x01-terminated, garbage refused at
 * its first byte), channel IDs, and the reply grammar of Squid's Helper::Reply: result
 * words, key=value notes with quoted and %-encoded values, free text, BH
 * messages and the legacy forms that parse as "Unknown".
 */
#include "config.h"
#include "helper_reply.h"

#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "tap.h"

static struct helper_reply r;

static void
parse(const char *s)
{
	helper_reply_free(&r);
	helper_reply_parse(&r, s, strlen(s));
}

static void
t_frame(void)
{
	size_t used, len = 99;
	const char *two = "OK a=1\r\nERR\n";

	is_int(helper_frame_line("OK", 2, &len), 0, "no newline: incomplete");
	used = helper_frame_line(two, strlen(two), &len);
	is_int(used, 8, "first line with CRLF");
	is_int(len, 6, "CR not in the message");
	used = helper_frame_line(two + 8, strlen(two + 8), &len);
	is_int(used, 4, "second line");
	is_int(len, 3, "bare LF");
	is_int(helper_frame_line("\n", 1, &len), 1, "empty line is a message");
	is_int(len, 0, "of length 0");
}

/* Feed buf one byte at a time: the framer must say "incomplete" until the
 * 0x01, or "broken" as soon as a byte rules the reply out. */
static size_t
frame_bytewise(const char *buf, size_t len, size_t *msg_len, size_t *at)
{
	size_t used = 0;

	for (*at = 1; *at <= len; (*at)++)
		if ((used = helper_frame_certgen(buf, *at, msg_len)) != 0)
			return used;
	return 0;
}

static void
t_frame_certgen(void)
{
	/* as both Squid's and our security_file_certgen write it */
	static const char ok_reply[] = "OK 33 -----BEGIN CERTIFICATE-----\n"
	    "MIIC\n\x01" "BH message=\"helper broke\"\x01";
	const char *body;
	size_t used, len = 0, blen, at;

	used = helper_frame_certgen(ok_reply, strlen(ok_reply), &len);
	is_int(used, 40, "OK reply up to its 0x01");
	is_int(len, 39, "message without the 0x01");
	is_int(helper_certgen_reply(ok_reply, len, &body, &blen), HELPER_OK,
	    "OK");
	is_int(blen, 33, "body of the announced length");
	ok(strncmp(body, "-----BEGIN CERTIFICATE-----\nMIIC\n", blen) == 0,
	    "body is the PEM");
	is_int(frame_bytewise(ok_reply, strlen(ok_reply), &len, &at), 40,
	    "byte by byte: one reply");
	is_int(at, 40, "complete only with its 0x01");
	used = helper_frame_certgen(ok_reply + 40, strlen(ok_reply + 40), &len);
	is_int(used, strlen(ok_reply + 40), "BH reply");
	is_int(helper_certgen_reply(ok_reply + 40, len, &body, &blen),
	    HELPER_BH, "BH");
	ok(blen == 22 && strncmp(body, "message=\"helper broke\"", 22) == 0,
	    "BH text");
	is_int(helper_frame_certgen("BH\x01", 3, &len), 3, "bare BH");
	is_int(helper_certgen_reply("BH", 2, &body, &blen), HELPER_BH,
	    "bare BH parses");
	is_int(blen, 0, "with no text");
	is_int(helper_frame_certgen("ERR 4 oops\x01", 11, &len), 11, "ERR");
	is_int(helper_certgen_reply("ERR 4 oops", 10, &body, &blen),
	    HELPER_ERR, "ERR parses");
	ok(blen == 4 && strncmp(body, "oops", 4) == 0, "ERR text");
	is_int(helper_frame_certgen("OK 0 \x01", 6, &len), 6,
	    "an empty body frames");
	is_int(helper_frame_certgen("OK 4 a\nb\n\x01", 10, &len), 10,
	    "newlines are body bytes");

	/* garbage is refused at the first byte that rules it out */
	is_int(frame_bytewise("garbage\x01", 8, &len, &at),
	    HELPER_FRAME_BROKEN, "garbage is broken");
	is_int(at, 1, "at its first byte");
	is_int(frame_bytewise("OKAY 1 x\x01", 9, &len, &at),
	    HELPER_FRAME_BROKEN, "OKAY");
	is_int(at, 3, "at the A");
	is_int(frame_bytewise("OK 5 abc\x01", 9, &len, &at),
	    HELPER_FRAME_BROKEN, "body shorter than announced");
	is_int(at, 9, "when the 0x01 comes early");
	is_int(frame_bytewise("OK 2 abc\x01", 9, &len, &at),
	    HELPER_FRAME_BROKEN, "body longer than announced");
	is_int(at, 8, "when the byte after the body is no 0x01");
	is_int(frame_bytewise("OK x\x01", 5, &len, &at), HELPER_FRAME_BROKEN,
	    "no length");
	is_int(frame_bytewise("OK 12345678 x", 13, &len, &at),
	    HELPER_FRAME_BROKEN, "an 8-digit length");
	is_int(frame_bytewise("OK\x01", 3, &len, &at), HELPER_FRAME_BROKEN,
	    "OK without a length");
	is_int(frame_bytewise("\nOK 1 x\x01", 8, &len, &at),
	    HELPER_FRAME_BROKEN, "nothing may come before the word");
	is_int(frame_bytewise("BHX\x01", 4, &len, &at), HELPER_FRAME_BROKEN,
	    "BHX");
	is_int(helper_frame_certgen("", 0, &len), 0, "nothing yet");
	is_int(helper_frame_certgen("OK 1234", 7, &len), 0,
	    "a length still growing");
	is_int(helper_certgen_reply("OK 5 abc", 8, &body, &blen),
	    HELPER_UNKNOWN, "a reply that does not frame alone is unknown");
}

static void
t_ids(void)
{
	uint64_t id = 0;
	const char *rest;
	size_t n;
	const char *s = "18446744073709551615 OK rewrite-url=x";

	ok(helper_reply_split_id("12 OK", 5, &id, &rest, &n) == 0, "ID SP");
	ok(id == 12 && n == 2 && strncmp(rest, "OK", 2) == 0, "ID 12, rest OK");
	ok(helper_reply_split_id(s, strlen(s), &id, &rest, &n) == 0 &&
	    id == UINT64_MAX, "64-bit ID");
	ok(helper_reply_split_id("7", 1, &id, &rest, &n) == 0 && n == 0,
	    "ID alone: empty reply");
	ok(helper_reply_split_id("OK 1", 4, &id, &rest, &n) == -1,
	    "no ID refused");
	ok(helper_reply_split_id("12OK", 4, &id, &rest, &n) == -1,
	    "ID must end in whitespace");
}

static void
t_results(void)
{
	parse("OK");
	is_int(r.result, HELPER_OK, "OK alone");
	parse("OK ");
	is_int(r.result, HELPER_OK, "OK with trailing space (basic_ncsa_auth)");
	parse("ERR");
	is_int(r.result, HELPER_ERR, "ERR");
	parse("");
	is_int(r.result, HELPER_ERR, "empty reply means ERR");
	parse("OKAY");
	is_int(r.result, HELPER_UNKNOWN, "OK must end the word");
	is_str(r.text, "OKAY", "unknown keeps the line as text");
	parse("BH");
	is_int(r.result, HELPER_BH, "BH");
	parse("TT abc==");
	is_int(r.result, HELPER_TT, "TT");
	is_str(helper_reply_get(&r, "token"), "abc==", "TT token");
	parse("AF tok alice");
	ok(r.result == HELPER_OK && strcmp(helper_reply_get(&r, "token"),
	    "tok") == 0 && strcmp(helper_reply_get(&r, "user"), "alice") == 0,
	    "AF token user");
	parse("AF bob");
	ok(r.result == HELPER_OK && strcmp(helper_reply_get(&r, "user"),
	    "bob") == 0, "AF user");
	parse("OK token=YWJj user=alice@EXAMPLE.COM");
	ok(r.result == HELPER_OK && strcmp(helper_reply_get(&r, "token"),
	    "YWJj") == 0 && strcmp(helper_reply_get(&r, "user"),
	    "alice@EXAMPLE.COM") == 0, "Negotiate kv OK token= user=");
	parse("NA ZGVuaWVk denied");
	ok(r.result == HELPER_ERR && helper_reply_get(&r, "user") == NULL,
	    "Negotiate NA with a token: refused, no user");
	parse("NA go away");
	ok(r.result == HELPER_ERR && strcmp(helper_reply_get(&r, "message"),
	    "go away") == 0, "NA text becomes message");
	is_str(helper_result_name(HELPER_UNKNOWN), "Unknown", "Unknown name");
}

static void
t_notes(void)
{
	parse("OK rewrite-url=http://a/b%20c");
	is_str(helper_reply_get(&r, "rewrite-url"), "http://a/b c",
	    "unquoted value is %%-decoded");
	parse("OK status=301 url=\"http://a/x%20y\"");
	is_str(helper_reply_get(&r, "status"), "301", "status");
	is_str(helper_reply_get(&r, "url"), "http://a/x%20y",
	    "quoted value is not decoded");
	parse("OK a=%41%");
	is_str(helper_reply_get(&r, "a"), "A%", "stray %% kept");
	parse("OK a=%4");
	is_str(helper_reply_get(&r, "a"), "%4", "2-byte value not decoded");
	parse("OK a=%00x");
	is_str(helper_reply_get(&r, "a"), "%00x", "%%00 kept");
	parse("OK a=100%%x");
	is_str(helper_reply_get(&r, "a"), "100%x", "%%%% is %% (rfc1738)");
	parse("ERR message=\"say \\\"hi\\\"\\\\ \\n\" log=x y z");
	is_str(helper_reply_get(&r, "message"), "say \"hi\"\\ \n",
	    "quoted escapes");
	is_str(helper_reply_get(&r, "log"), "x", "second note");
	is_str(r.text, "y z", "free text after notes");
	parse("OK user=a not a note x=1");
	is_int(r.nkv, 1, "notes stop at the first plain word");
	is_str(r.text, "not a note x=1", "rest is text");
	parse("OK =x");
	is_int(r.nkv, 0, "empty key is text");
	parse("OK a=\"unterminated");
	ok(r.nkv == 0 && strcmp(r.text, "a=\"unterminated") == 0,
	    "unterminated quote is text");
	parse("OK clt_conn_tag=t group=a group=b");
	is_str(helper_reply_get(&r, "group"), "b", "last value of a key");
	is_int(r.nkv, 3, "repeated keys kept");
	parse("OK k=");
	is_str(helper_reply_get(&r, "k"), "", "empty value");
}

static void
t_bh(void)
{
	char *acc = NULL;

	parse("BH message=\"helper%20broke\"");
	is_str(helper_reply_get(&r, "message"), "helper%20broke",
	    "BH quoted message not decoded");
	acc = helper_reply_notes_append(acc, &r);
	acc = helper_reply_notes_append(acc, &r);
	is_str(acc, "message: helper%20broke; message: helper%20broke; ",
	    "notes accumulate as Squid logs them");
	free(acc);
	parse("BH something bad happened");
	is_str(helper_reply_get(&r, "message"), "something bad happened",
	    "BH free text becomes message");
	is_str(r.text, "", "and leaves no text");
}

static void
t_legacy(void)
{
	parse("302:http://example.com/");
	is_int(r.result, HELPER_UNKNOWN, "30x:URL is Unknown");
	is_str(r.text, "302:http://example.com/", "with the line as text");
	parse("http://example.com/new extra words");
	ok(r.result == HELPER_UNKNOWN && strcmp(r.line,
	    "http://example.com/new extra words") == 0, "bare URL form");
}

int
main(void)
{
	log_init("t_helper_reply", 0);
	t_frame();
	t_frame_certgen();
	t_ids();
	t_results();
	t_notes();
	t_bh();
	t_legacy();
	helper_reply_free(&r);
	return tap_done();
}
