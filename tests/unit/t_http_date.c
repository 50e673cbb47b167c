/*
 * Unit tests for HTTP-date parsing and formatting: the three RFC 9110 forms
 * of the same instant, calendar edge cases, malformed dates that must be
 * refused, and a format/parse round trip over a spread of instants.
 */
#include "config.h"
#include "http_date.h"

#include <string.h>

#include "tap.h"

static long long
t_parse(const char *s)
{
	return (long long)http_date_parse(s, strlen(s));
}

int
main(void)
{
	char buf[HTTP_DATE_BUFSZ];
	time_t t;
	int i;

	/* RFC 9110 5.6.7's example instant in its three forms */
	is_int(t_parse("Sun, 06 Nov 1994 08:49:37 GMT"), 784111777, "IMF-fixdate");
	is_int(t_parse("Sunday, 06-Nov-94 08:49:37 GMT"), 784111777, "RFC 850");
	is_int(t_parse("Sun Nov  6 08:49:37 1994"), 784111777, "asctime, 1-digit day");
	is_int(t_parse("Wed Nov 16 08:49:37 1994"), 784111777 + 10 * 86400,
	    "asctime, 2-digit day");
	is_int(t_parse("  Sun, 06 Nov 1994 08:49:37 GMT\t"), 784111777,
	    "surrounding whitespace ignored");
	is_int(t_parse("Thu, 01 Jan 1970 00:00:00 GMT"), 0, "epoch");
	is_int(t_parse("Thu, 29 Feb 2024 23:59:59 GMT"), 1709251199, "leap day");
	is_int(t_parse("Fri, 31 Dec 1999 23:59:60 GMT"), 946684799,
	    "leap second clamps to :59");
	is_int(t_parse("Mon, 01 Jan 1900 00:00:00 GMT"), 0, "pre-epoch is 0");
	is_int(t_parse("Sunday, 06-Nov-24 08:49:37 GMT"), 1730882977,
	    "RFC 850 year 24 is 2024");
	/* RFC 9110 5.6.7: names are case-sensitive, recipients lenient */
	is_int(t_parse("SUN, 06 Nov 1994 08:49:37 GMT"), 784111777,
	    "weekday accepted in any case");
	is_int(t_parse("Sun, 06 NOV 1994 08:49:37 GMT"), 784111777,
	    "month name accepted in any case");
	is_int(t_parse("Sun, 06 Nov 1994 08:49:37 gMT"), 784111777,
	    "GMT accepted in any case");
	is_int(t_parse("sun, 06 nov 1994 08:49:37 gmt"), 784111777,
	    "IMF-fixdate all lower case");
	is_int(t_parse("SUNDAY, 06-NOV-94 08:49:37 gmt"), 784111777,
	    "RFC 850 in odd case");
	is_int(t_parse("sun nov  6 08:49:37 1994"), 784111777,
	    "asctime in lower case");

	/* refused */
	is_int(t_parse(""), -1, "empty");
	is_int(t_parse("0"), -1, "Expires: 0");
	is_int(t_parse("Sun, 06 Nov 1994 08:49:37 UTC"), -1, "UTC not GMT");
	is_int(t_parse("Sun, 06 Nov 1994 08:49:37 utc"), -1, "utc not GMT");
	is_int(t_parse("Sun, 06 Nov 1994 08:49:37 G\x8dT"), -1,
	    "zone only case-folds letters");
	is_int(t_parse("S\xd5n, 06 Nov 1994 08:49:37 GMT"), -1,
	    "weekday only case-folds letters");
	is_int(t_parse("Sun, 06 N\xcfv 1994 08:49:37 GMT"), -1,
	    "month only case-folds letters");
	is_int(t_parse("Sun, 06 Nov 1994 08:49:37 EST"), -1, "EST");
	is_int(t_parse("SUNDAy, 06-Nov-94 08:49:37 UTC"), -1, "RFC 850 in UTC");
	is_int(t_parse("Sun, 6 Nov 1994 08:49:37 GMT"), -1, "1-digit day in IMF");
	is_int(t_parse("Sun, 31 Nov 1994 08:49:37 GMT"), -1, "Nov 31");
	is_int(t_parse("Sun, 29 Feb 2023 08:49:37 GMT"), -1, "Feb 29 2023");
	is_int(t_parse("Sun, 06 Nov 1994 24:00:00 GMT"), -1, "hour 24");
	is_int(t_parse("Sun, 06 Nov 1994 08:60:37 GMT"), -1, "minute 60");
	is_int(t_parse("Sun, 06 Xyz 1994 08:49:37 GMT"), -1, "bad month");
	is_int(t_parse("Sun, 06 Nov 19x4 08:49:37 GMT"), -1, "bad year");
	is_int(t_parse("Abc, 06 Nov 1994 08:49:37 GMT"), -1, "bad weekday");
	is_int(t_parse("Sunday, 06-Nov-1994 08:49:37 GMT"), -1,
	    "RFC 850 with 4-digit year");
	is_int(t_parse("Sun Nov 6 08:49:37 1994"), -1, "asctime unpadded day");
	is_int(t_parse("Sun, 06 Nov 1994 08:49:37 GMT junk"), -1, "trailing junk");
	is_int(t_parse("Sun, 06 Nov 1994 08:49:37"), -1, "missing GMT");

	/* format */
	is_int(http_date_format(784111777, buf, sizeof(buf)), HTTP_DATE_LEN,
	    "format length");
	is_str(buf, "Sun, 06 Nov 1994 08:49:37 GMT", "format RFC example");
	http_date_format(0, buf, sizeof(buf));
	is_str(buf, "Thu, 01 Jan 1970 00:00:00 GMT", "format epoch");
	http_date_format(1709251199, buf, sizeof(buf));
	is_str(buf, "Thu, 29 Feb 2024 23:59:59 GMT", "format leap day");
	is_int(http_date_format(0, buf, HTTP_DATE_LEN), 0, "buffer too small");
	is_int(http_date_format(-5, buf, sizeof(buf)), 0, "negative time");

	/* round trip across centuries and leap years */
	for (i = 0, t = 0; i < 2000; i++, t += 1234567 + i * 7919) {
		http_date_format(t, buf, sizeof(buf));
		if (http_date_parse(buf, strlen(buf)) != t)
			break;
	}
	is_int(i, 2000, "round trip of 2000 instants (last %s)", buf);
	return tap_done();
}
