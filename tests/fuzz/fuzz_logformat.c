/*
 * libFuzzer target for the access-log format compiler and renderer.  Input:
 * one flags byte (output size, log_mime_hdrs), the logformat spec up to a
 * NUL byte, then an HTTP head: the logged request if it parses as one, the
 * reply head if it parses as a response (the worker logs only heads its
 * parser accepted, so no NUL or bare CR reaches the renderer).  A format that compiles is rendered for a
 * full transaction and for one with every optional field left out; the
 * line must fit the buffer, end in "\n" and be as long as reported.
 */
#include "config.h"
#include "logformat.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>

#include "http_parse.h"
#include "fuzz.h"

static void
fuzz_addr(struct sockaddr_storage *ss, const char *ip, int port)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (strchr(ip, ':') != NULL) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		inet_pton(AF_INET6, ip, &s6->sin6_addr);
	} else {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		inet_pton(AF_INET, ip, &s4->sin_addr);
	}
}

static void
fuzz_full(struct alog_entry *e, const struct http_msg *req,
    const char *head, size_t head_len)
{
	memset(e, 0, sizeof(*e));
	e->start.tv_sec = 1795352790;
	e->start.tv_usec = 999999;
	e->end.tv_sec = 1795352791;
	e->end.tv_usec = 938123;
	fuzz_addr(&e->client, "127.0.0.1", 46912);
	fuzz_addr(&e->local, "::1", 3128);
	fuzz_addr(&e->server, "192.0.2.7", 80);
	e->result_tag = "TCP_MISS";
	e->hier = "HIER_DIRECT";
	e->status = 200;
	e->upstream_status = 200;
	e->bytes_out = 382;
	e->bytes_in = 77;
	e->reply_header_size = 250;
	e->method = "GET";
	e->url = "http://origin.test/a?b=%20c";
	e->url_orig = "http://origin.test/a?b=%20c";
	e->scheme = "http";
	e->host = "origin.test";
	e->port = 80;
	e->path = "/a?b=%20c";
	e->vmajor = e->vminor = 1;
	e->user = "alice bob";
	e->mime_type = "text/html";
	e->err_code = "ERR_CONNECT_FAIL";
	e->err_detail = "WITH_SERVER";
	e->request = req;
	e->reply_head = head;
	e->reply_head_len = head_len;
	e->dns_ms = 3;
	e->upstream_ms = 12;
	e->seq = 42;
	e->xaction = 7;
	e->bump_mode = "peek";
	e->sni = "tls.test";
	e->client_fqdn = "localhost";
}

/* What an early error (no request parsed, no server) leaves. */
static void
fuzz_empty(struct alog_entry *e)
{
	memset(e, 0, sizeof(*e));
	fuzz_addr(&e->client, "127.0.0.1", 46912);
	fuzz_addr(&e->local, "127.0.0.1", 3128);
	e->result_tag = "NONE_NONE";
	e->hier = "HIER_NONE";
	e->status = 400;
	e->dns_ms = e->upstream_ms = -1;
	e->err_code = "ERR_INVALID_REQ";
}

static void
fuzz_render(const struct logformat *f, const struct alog_entry *e, int mime,
    size_t outsz)
{
	char *out = malloc(outsz);
	size_t n;

	if (out == NULL)
		abort();
	n = logformat_render(f, e, mime, out, outsz);
	if (outsz >= 2) {
		FUZZ_CHECK(n < outsz && n > 0);
		FUZZ_CHECK(out[n] == '\0' && out[n - 1] == '\n');
		FUZZ_CHECK(strlen(out) == n);
	}
	free(out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t sizes[] = { 16384, 1, 2, 3, 17, 64, 256, 4096 };
	struct http_msg req, rep;
	struct http_parse_error perr;
	struct alog_entry full, empty;
	struct logformat *f;
	const uint8_t *nul;
	char *spec, *head, *err = NULL;
	size_t spec_len, head_len, outsz;
	int mime, have_req, have_rep;

	if (size < 1)
		return 0;
	outsz = sizes[data[0] & 7];
	mime = (data[0] >> 3) & 1;
	data++;
	size--;
	nul = memchr(data, '\0', size);
	spec_len = nul ? (size_t)(nul - data) : size;
	spec = fuzz_copy(data, spec_len, 1);
	head_len = nul ? size - spec_len - 1 : 0;
	head = fuzz_copy(nul ? nul + 1 : data, head_len, 0);

	f = logformat_compile("fuzz", spec, &err);
	if (f == NULL) {
		FUZZ_CHECK(err != NULL);
		free(err);
		free(spec);
		free(head);
		return 0;
	}
	FUZZ_CHECK(strcmp(logformat_name(f), "fuzz") == 0);
	memset(&req, 0, sizeof(req));
	memset(&rep, 0, sizeof(rep));
	have_req = http_parse_request(&req, head, head_len, 65536, &perr) ==
	    HTTP_PARSE_OK;
	have_rep = http_parse_response(&rep, head, head_len, 65536, "GET", 3,
	    &perr) == HTTP_PARSE_OK;
	fuzz_full(&full, have_req ? &req : NULL, have_rep ? head : NULL,
	    have_rep ? rep.head_len : 0);
	fuzz_empty(&empty);
	fuzz_render(f, &full, mime, outsz);
	fuzz_render(f, &empty, mime, outsz);
	logformat_free(f);
	http_msg_free(&req);
	http_msg_free(&rep);
	free(spec);
	free(head);
	return 0;
}
