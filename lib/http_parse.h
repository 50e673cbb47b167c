/*
 * Strict HTTP/1.x message parser (RFC 9112).  It parses a request or response
 * head in place: names and values point into the caller's buffer, nothing is
 * copied.  Anything ambiguous (smuggling material) is an error with the status
 * code to answer, never a guess.  The chunked decoder is incremental so bodies
 * can stream through without being buffered whole.
 */
#ifndef CUTTLE_HTTP_PARSE_H
#define CUTTLE_HTTP_PARSE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct http_header {
	const char	*name;
	size_t		 name_len;
	const char	*value;		/* leading/trailing OWS trimmed */
	size_t		 value_len;
};

enum http_body_kind {
	HTTP_BODY_NONE,		/* no body (or known-empty, e.g. 204/304/HEAD) */
	HTTP_BODY_LENGTH,	/* Content-Length bytes follow */
	HTTP_BODY_CHUNKED,	/* final Transfer-Encoding is chunked */
	HTTP_BODY_EOF		/* response delimited by connection close */
};

struct http_msg {
	/* request line */
	const char	*method;
	size_t		 method_len;
	const char	*target;
	size_t		 target_len;
	int		 target_ws;	/* SP or HTAB inside: see uri_ws.h */
	/* status line */
	int		 status;
	const char	*reason;
	size_t		 reason_len;
	/* both */
	int		 vmajor, vminor;	/* 1.0 or 1.1 */
	struct http_header *hdr;		/* malloc'd array, see http_msg_free */
	int		 nhdr, hdr_cap;
	size_t		 head_len;		/* bytes of the head incl. final CRLF */
	enum http_body_kind body;
	int64_t		 content_length;	/* HTTP_BODY_LENGTH only */
	int		 keep_alive;		/* per version + Connection header */
	int		 expect_continue;	/* request: Expect: 100-continue */
};

/* Result of a parse call. */
enum http_parse_result {
	HTTP_PARSE_OK = 0,
	HTTP_PARSE_INCOMPLETE = 1,	/* need more bytes */
	HTTP_PARSE_ERROR = -1		/* see err */
};

/*
 * What failed, for callers that act on it; reason (below) says it in words
 * for logs, and several reasons share a code where no caller needs to tell
 * them apart.
 */
enum http_parse_errcode {
	HTTP_PERR_NONE = 0,
	HTTP_PERR_HEAD_TOO_LARGE,	/* past max_head: 414 request line, 431
					   request head, 502 response head */
	HTTP_PERR_NO_VERSION,		/* HTTP/0.9: request line without a
					   version, response not "HTTP/" */
	HTTP_PERR_BAD_VERSION,		/* request version not HTTP/d.d */
	HTTP_PERR_UNSUPPORTED_VERSION,	/* not 1.x (505 for requests) */
	HTTP_PERR_BAD_METHOD,
	HTTP_PERR_BAD_TARGET,		/* empty, or a byte not allowed */
	HTTP_PERR_BAD_STATUS_LINE,	/* its version, code or reason */
	HTTP_PERR_BARE_CR_LF,		/* a CR or LF not in a CRLF pair */
	HTTP_PERR_OBS_FOLD,		/* field line starting with SP/HTAB */
	HTTP_PERR_BAD_FIELD,		/* bad name, or control char in value */
	HTTP_PERR_MULTIPLE_HOST,
	HTTP_PERR_AMBIGUOUS_FRAMING,	/* Transfer-Encoding with
					   Content-Length or in HTTP/1.0,
					   Connection naming either */
	HTTP_PERR_UNKNOWN_CODING,	/* request transfer-coding: 501 */
	HTTP_PERR_BAD_TRANSFER_ENCODING, /* malformed, or not chunked last */
	HTTP_PERR_BAD_CONTENT_LENGTH,	/* invalid, or instances disagree */
	HTTP_PERR_BAD_CHUNK,		/* chunked decoder (http_chunked) */
	HTTP_PERR_NO_MEMORY
};

struct http_parse_error {
	int		 status;	/* 400, 414, 431, 501, 505 ...; 502 for responses */
	const char	*reason;	/* short text for logs, static */
	enum http_parse_errcode code;
};

/*
 * Parse a request head from buf[0..len).  max_head bounds the head size
 * (request_header_max_size): past it the error is 431 (or 414 for an overlong
 * request line).  Leading empty lines before the request line are skipped as
 * RFC 9112 2.2 allows (they count in head_len).  On OK, m->body says how the
 * body is framed; a request without Content-Length or chunked has no body.
 */
enum http_parse_result http_parse_request(struct http_msg *m, const char *buf,
    size_t len, size_t max_head, struct http_parse_error *err);

/*
 * Parse a response head.  req_method (may be NULL) and the status decide
 * bodyless responses (HEAD, 1xx, 204, 304, 2xx to CONNECT).  Errors use
 * status 502.  A response that does not start with "HTTP/" (HTTP/0.9) is an
 * error.
 */
enum http_parse_result http_parse_response(struct http_msg *m, const char *buf,
    size_t len, size_t max_head, const char *req_method, size_t req_method_len,
    struct http_parse_error *err);

void http_msg_free(struct http_msg *m);	/* frees hdr, keeps m reusable */

/* Case-insensitive header lookup; returns the first match or NULL. */
const struct http_header *http_msg_header(const struct http_msg *m,
    const char *name);
/* Does a comma-separated header (all its instances) contain token? */
int http_msg_has_token(const struct http_msg *m, const char *name,
    const char *token);

/* Incremental chunked decoder: feed bytes, get body data spans out. */
enum http_chunk_state {
	HTTP_CHUNK_SIZE, HTTP_CHUNK_EXT, HTTP_CHUNK_SIZE_LF, HTTP_CHUNK_DATA,
	HTTP_CHUNK_DATA_CR, HTTP_CHUNK_DATA_LF, HTTP_CHUNK_TRAILER,
	HTTP_CHUNK_TRAILER_LF, HTTP_CHUNK_TRAILER_LINE, HTTP_CHUNK_DONE
};

struct http_chunked {
	enum http_chunk_state state;
	uint64_t	 remaining;	/* data bytes left in this chunk */
	int		 size_digits;
	size_t		 line_len;	/* guards overlong size/ext/trailer lines */
	enum http_parse_errcode error;	/* HTTP_PERR_BAD_CHUNK once it failed */
};

void http_chunked_init(struct http_chunked *c);
/*
 * Consume up to len bytes of chunked encoding.  *consumed gets how many bytes
 * of input were used (the wire bytes to forward verbatim), *data_off and
 * *data_len the first span of body payload within them (0 length if none);
 * call again with the rest.  Returns HTTP_PARSE_OK when the last chunk and
 * trailers are complete (c->state == HTTP_CHUNK_DONE), HTTP_PARSE_INCOMPLETE
 * when more is needed, HTTP_PARSE_ERROR on a malformed or overflowing size.
 */
enum http_parse_result http_chunked_feed(struct http_chunked *c,
    const char *buf, size_t len, size_t *consumed, size_t *data_off,
    size_t *data_len);

/* Is c a valid token character (RFC 9110 tchar)? */
int http_is_tchar(unsigned char c);

#endif
