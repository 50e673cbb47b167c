/*
 * libFuzzer target for the external ACL request line (lib/extacl.c).
 * Input: NUL-separated fields, each a value a client controls: the user
 * name, the URL path, an X-A request header value (kept only if the head
 * parses, as the worker sees only parsed heads) and up to two acl
 * arguments.  Properties: the line ends in its only "\n", holds no "\r",
 * and, for codes without a modifier and URL-escaped arguments, has
 * exactly one non-empty word per value, so no value can split a request
 * or forge another one.
 */
#include "config.h"
#include "extacl.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>

#include "http_parse.h"
#include "logformat.h"
#include "fuzz.h"

static struct extacl_type *fuzz_types;

static const struct extacl_type *
fuzz_type(const char *line)
{
	char buf[256], *argv[16], *p, *save = NULL, *w = NULL, *err;
	int argc = 0;

	snprintf(buf, sizeof(buf), "%s", line);
	for (p = strtok_r(buf, " ", &save); p != NULL && argc < 16;
	    p = strtok_r(NULL, " ", &save))
		argv[argc++] = p;
	err = extacl_type_parse(&fuzz_types, argv, argc, &w);
	FUZZ_CHECK(err == NULL);
	free(w);
	return extacl_type_find(fuzz_types, argv[0]);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct extacl_type *plain, *mods;
	char *copy = fuzz_copy(data, size, 1), *f[5] = { "", "", "", "", "" };
	char *head, out[4096];
	struct alog_entry e;
	struct http_msg req;
	struct http_parse_error perr;
	struct sockaddr_in *sin = (struct sockaddr_in *)&e.client;
	size_t n, i, pos = 0;
	int nf = 0, nargs, words;

	if (plain == NULL) {
		plain = fuzz_type("p %un %PATH %>{X-A} %ACL /h");
		mods = fuzz_type("m protocol=2.5 %'un %/PATH %#>{X-A} %\"PATH "
		    "%[un %'DATA %ACL /h");
	}
	while (nf < 5 && pos <= size) {
		f[nf++] = copy + pos;
		pos += strlen(copy + pos) + 1;
	}
	memset(&e, 0, sizeof(e));
	memset(&req, 0, sizeof(req));
	sin->sin_family = AF_INET;
	inet_pton(AF_INET, "192.0.2.1", &sin->sin_addr);
	e.user = f[0];
	e.path = f[1];
	head = malloc(strlen(f[2]) + 64);
	FUZZ_CHECK(head != NULL);
	n = (size_t)sprintf(head, "GET / HTTP/1.1\r\nX-A: %s\r\n\r\n", f[2]);
	if (http_parse_request(&req, head, n, 65536, &perr) == HTTP_PARSE_OK)
		e.request = &req;
	/* acl arguments are config words: never empty */
	nargs = 0;
	for (i = 3; i < (size_t)nf; i++)
		if (f[i][0] != '\0')
			f[3 + nargs++] = f[i];

	n = extacl_line(plain, &e, "acl", f + 3, nargs, out, sizeof(out));
	if (n > 0) {
		FUZZ_CHECK(out[n - 1] == '\n' && strlen(out) == n);
		FUZZ_CHECK(memchr(out, '\n', n - 1) == NULL);
		FUZZ_CHECK(memchr(out, '\r', n) == NULL);
		words = 0;
		for (i = 0; i + 1 < n; i++) {
			FUZZ_CHECK(out[i] != ' ' || (i > 0 && out[i - 1] != ' '));
			if (out[i] != ' ' && (i == 0 || out[i - 1] == ' '))
				words++;
		}
		/* four codes, then the arguments or "-" */
		FUZZ_CHECK(words == 4 + (nargs > 0 ? nargs : 1));
	}
	n = extacl_line(mods, &e, "acl", f + 3, nargs, out, sizeof(out));
	if (n > 0) {
		FUZZ_CHECK(out[n - 1] == '\n' && strlen(out) == n);
		FUZZ_CHECK(memchr(out, '\n', n - 1) == NULL);
		FUZZ_CHECK(memchr(out, '\r', n) == NULL);
	}
	http_msg_free(&req);
	free(head);
	free(copy);
	return 0;
}
