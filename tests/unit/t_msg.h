/*
 * t_msg(): parse a literal request or response into a heap http_msg for the
 * unit tests of the cache rules; a text that does not parse aborts the test,
 * since every case is written to be valid HTTP.
 */
#ifndef CUTTLE_T_MSG_H
#define CUTTLE_T_MSG_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http_parse.h"

static struct http_msg *
t_msg(const char *s, int is_req)
{
	struct http_msg *m = calloc(1, sizeof(*m));
	struct http_parse_error err = { 0, NULL, HTTP_PERR_NONE };
	enum http_parse_result r;

	if (m == NULL)
		abort();
	if (is_req)
		r = http_parse_request(m, s, strlen(s), 65536, &err);
	else
		r = http_parse_response(m, s, strlen(s), 65536, "GET", 3, &err);
	if (r != HTTP_PARSE_OK) {
		printf("# cannot parse: %s (%s)\n", s, err.reason);
		abort();
	}
	return m;
}

#endif
