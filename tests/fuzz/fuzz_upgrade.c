/*
 * libFuzzer target for upgrade_offer_filter() and upgrade_accepts(): the
 * Upgrade offer of a client's request (untrusted) filtered by fixed rules,
 * and a server's 101 Upgrade (untrusted) checked against the offer.  Input:
 * the request's header lines, a NUL, then the server's Upgrade value.
 * What is kept must be members of the offer, as many as the count says,
 * and must itself read as an offer that accepts each of its members.
 */
#include "config.h"
#include "acl.h"
#include "buf.h"
#include "cfg.h"
#include "http_parse.h"
#include "upgrade_rules.h"

#include <stdint.h>

#include "fuzz.h"

static struct cfg_upgrade_rule fuzz_h2c = { "h2c/1", 3, { NULL, NULL, 2 },
    NULL };
static struct cfg_upgrade_rule fuzz_ws = { "websocket", 9, { NULL, NULL, 2 },
    &fuzz_h2c };
static struct access_rule fuzz_allow = { ACCESS_ALLOW, NULL, 0, NULL, 0,
    NULL };
static struct access_rule fuzz_deny = { ACCESS_DENY, NULL, 0, NULL, 0,
    NULL };
static struct cfg_upgrade fuzz_rules = { &fuzz_ws, { NULL, NULL, 2 } };

static void
fuzz_setup(void)
{
	/* websocket allowed, h2c/1 denied, any other name allowed */
	fuzz_ws.acl.head = fuzz_ws.acl.tail = &fuzz_allow;
	fuzz_h2c.acl.head = fuzz_h2c.acl.tail = &fuzz_deny;
	fuzz_rules.other.head = fuzz_rules.other.tail = &fuzz_allow;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, '\0', size);
	size_t hlen = nul != NULL ? (size_t)(nul - data) : size;
	const char *srv = nul != NULL ? (const char *)nul + 1 : "";
	size_t slen = nul != NULL ? size - hlen - 1 : 0;
	struct http_msg m;
	struct http_parse_error err;
	struct acl_checklist cl;
	struct buf head, out;

	fuzz_setup();
	buf_init(&head);
	buf_init(&out);
	buf_append(&head, "GET / HTTP/1.1\r\n", 16);
	buf_append(&head, data, hlen);
	buf_append(&head, "\r\n\r\n", 4);
	memset(&m, 0, sizeof(m));
	if (http_parse_request(&m, buf_head(&head), buf_avail(&head), 65536,
	    &err) == HTTP_PARSE_OK) {
		memset(&cl, 0, sizeof(cl));
		int n = upgrade_offer_filter(&fuzz_rules, &m, &cl, &out);
		FUZZ_CHECK(n >= 0);
		FUZZ_CHECK((n == 0) == (buf_avail(&out) == 0));
		/* each member kept accepts itself, and the whole list too */
		char *o = fuzz_copy(n > 0 ? (const uint8_t *)buf_head(&out) :
		    (const uint8_t *)"", buf_avail(&out), 0);
		if (n > 0)
			FUZZ_CHECK(upgrade_accepts(o, buf_avail(&out), o,
			    buf_avail(&out)));
		int commas = 0;
		for (size_t i = 0; i < buf_avail(&out); i++)
			commas += o[i] == ',';
		FUZZ_CHECK(n == 0 || commas == n - 1);
		char *s = fuzz_copy((const uint8_t *)srv, slen, 0);
		(void)upgrade_accepts(o, buf_avail(&out), s, slen);
		free(s);
		free(o);
	}
	http_msg_free(&m);
	buf_free(&head);
	buf_free(&out);
	return 0;
}
