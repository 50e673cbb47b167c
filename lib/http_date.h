/*
 * HTTP-date (RFC 9110 5.6.7) parsing and formatting without locale, strptime
 * or timegm: Date, Expires, Last-Modified and If-Modified-Since are read on
 * every cacheable request, so this is plain arithmetic on the fixed layouts.
 */
#ifndef CUTTLE_HTTP_DATE_H
#define CUTTLE_HTTP_DATE_H

#include <stddef.h>
#include <time.h>

/* "Sun, 06 Nov 1994 08:49:37 GMT": 29 characters plus the NUL. */
#define HTTP_DATE_LEN		29
#define HTTP_DATE_BUFSZ		(HTTP_DATE_LEN + 1)

/*
 * Parse s[0..len) in IMF-fixdate, RFC 850 or asctime form (leading and
 * trailing whitespace allowed; day, month and "GMT" in any case).  Returns seconds since the epoch, or -1 when
 * the text is not a valid HTTP-date.  Dates before 1970 return 0: every use
 * only needs "in the past", and -1 must stay the error value.  A two-digit
 * RFC 850 year more than 50 years in the future means the previous century
 * (RFC 9110 5.6.7).
 */
time_t http_date_parse(const char *s, size_t len);

/*
 * Write t as IMF-fixdate into buf (size >= HTTP_DATE_BUFSZ, NUL
 * terminated).  Returns HTTP_DATE_LEN, or 0 if buf is too small or t is
 * negative or past year 9999.
 */
size_t http_date_format(time_t t, char *buf, size_t size);

#endif
