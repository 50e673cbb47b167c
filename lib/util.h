/*
 * Small helpers every program uses: checked allocation, bounded string
 * building, socket address formatting and parsing.
 */
#ifndef CUTTLE_UTIL_H
#define CUTTLE_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t m);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* "127.0.0.1" / "::1" (no brackets, no port), into buf of size n. */
const char *util_addr_str(const struct sockaddr *sa, char *buf, size_t n);
int util_addr_port(const struct sockaddr *sa);
/* Set the port of an IPv4 or IPv6 address (host order in, network out). */
void util_addr_set_port(struct sockaddr_storage *ss, int port);
/* Parse a numeric IPv4/IPv6 address (brackets allowed) and port. */
int util_addr_parse(const char *host, int port, struct sockaddr_storage *ss,
    socklen_t *len);
socklen_t util_addr_len(const struct sockaddr *sa);

/*
 * Squid's rfc1738_unescape, in place: "%%" becomes "%", "%XX" the byte,
 * except %00 (a NUL would cut the string); anything else stays.  Helper
 * replies and the credentials basic_ncsa_auth reads are decoded so.
 */
void util_rfc1738_unescape(char *s);

/*
 * The bytes Squid's rfc1738 escaping writes as %XX: controls, SP, DEL and
 * above, and RFC 1738's "unsafe" set.  '%' is not among them: whether it
 * is escaped depends on the caller (rfc1738_escape does, _unescaped not).
 */
static inline int
util_rfc1738_unsafe(unsigned char c)
{
	return c <= ' ' || c >= 0x7f || strchr("<>\"#{}|\\^~[]`'", c) != NULL;
}

int util_set_nonblock(int fd);
/*
 * A non-blocking connect() on fd got an event (writable: EPOLLOUT was in
 * it): -1 while it is still under way, else its outcome, 0 or an errno.
 */
int util_connect_result(int fd, int writable);
int util_strcaseeq_n(const char *a, size_t alen, const char *b);
uint64_t util_now_ms(void);	/* CLOCK_MONOTONIC */
/* djb2 of a string, for the workers' and helpers' hash tables; the
 * case-blind one for names (hosts) that compare so. */
unsigned util_hash_str(const char *s);
unsigned util_hash_casestr(const char *s);

#endif
