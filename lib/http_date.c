/*
 * HTTP-date parsing and IMF-fixdate formatting.  The three RFC 9110 forms
 * have fixed field positions once the weekday is skipped, so each is matched
 * by position; calendar conversion uses the days-from-civil arithmetic so
 * neither the C library's locale nor the TZ environment is involved.
 * RFC 9110 makes the names case-sensitive but asks recipients to be robust,
 * and origins do send "THU" or "gmt", so day, month and zone names match
 * in any ASCII case; anything else that is not the grammar is refused.
 */
#include "config.h"
#include "http_date.h"

#include <stdint.h>
#include <string.h>

/* from Thursday: 1970-01-01 was one */
static const char http_date_wkday[7][4] = {
	"Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"
};
static const char http_date_month[12][4] = {
	"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	"Jul", "Aug", "Sep", "Oct", "Nov", "Dec"
};
static const char *const http_date_weekday_long[7] = {
	"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday",
	"Sunday"
};

/* Days since 1970-01-01 of a proleptic Gregorian date. */
static int64_t
http_date_days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void
http_date_civil_from_days(int64_t z, int *yp, int *mp, int *dp)
{
	int64_t era, doe, yoe, y, doy, mp_;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	y = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp_ = (5 * doy + 2) / 153;
	*dp = (int)(doy - (153 * mp_ + 2) / 5 + 1);
	*mp = (int)(mp_ < 10 ? mp_ + 3 : mp_ - 9);
	*yp = (int)(y + (*mp <= 2));
}

static int
http_date_is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
http_date_mdays(int y, int m)
{
	static const int md[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };

	return m == 2 && http_date_is_leap(y) ? 29 : md[m - 1];
}

/* n decimal digits at p, or -1. */
static int
http_date_digits(const char *p, int n)
{
	int v = 0, i;

	for (i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		v = v * 10 + (p[i] - '0');
	}
	return v;
}

static char
http_date_lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c + ('a' - 'A')) : c;
}

/* Does p[0..n) spell name in any ASCII case? */
static int
http_date_name_eq(const char *p, const char *name, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (http_date_lower(p[i]) != http_date_lower(name[i]))
			return 0;
	return 1;
}

/* Month number 1-12 of a three-letter name, or -1. */
static int
http_date_month_num(const char *p)
{
	int i;

	for (i = 0; i < 12; i++)
		if (http_date_name_eq(p, http_date_month[i], 3))
			return i + 1;
	return -1;
}

static int
http_date_is_wkday(const char *p)
{
	int i;

	for (i = 0; i < 7; i++)
		if (http_date_name_eq(p, http_date_wkday[i], 3))
			return 1;
	return 0;
}

/* "HH:MM:SS" at p. */
static int
http_date_hms(const char *p, int *h, int *mi, int *s)
{
	if (p[2] != ':' || p[5] != ':')
		return -1;
	*h = http_date_digits(p, 2);
	*mi = http_date_digits(p + 3, 2);
	*s = http_date_digits(p + 6, 2);
	if (*h < 0 || *h > 23 || *mi < 0 || *mi > 59 || *s < 0 || *s > 60)
		return -1;
	if (*s == 60)		/* leap second: :59 is close enough */
		*s = 59;
	return 0;
}

static time_t
http_date_make(int y, int m, int d, int h, int mi, int s)
{
	int64_t t;

	if (m < 1 || d < 1 || d > http_date_mdays(y, m))
		return -1;
	if (y < 1970)
		return 0;
	t = http_date_days_from_civil(y, m, d) * 86400 + h * 3600 + mi * 60 +
	    s;
	if ((int64_t)(time_t)t != t)
		return -1;
	return (time_t)t;
}

/* RFC 850's two-digit year: the most recent such year not > 50 years ahead. */
static int
http_date_rfc850_year(int yy)
{
	time_t now = time(NULL);
	int cy, cm, cd, y;

	http_date_civil_from_days((int64_t)now / 86400, &cy, &cm, &cd);
	y = cy - cy % 100 + yy;
	if (y > cy + 50)
		y -= 100;
	else if (y <= cy - 50)
		y += 100;
	return y;
}

time_t
http_date_parse(const char *s, size_t len)
{
	int y, m, d, h, mi, sec, i;
	const char *p;
	size_t n;

	while (len > 0 && (*s == ' ' || *s == '\t')) {
		s++;
		len--;
	}
	while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
		len--;

	/* IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT" */
	if (len == 29 && s[3] == ',') {
		if (!http_date_is_wkday(s) || s[4] != ' ' || s[7] != ' ' ||
		    s[11] != ' ' || s[16] != ' ' || s[25] != ' ' ||
		    !http_date_name_eq(s + 26, "GMT", 3))
			return -1;
		d = http_date_digits(s + 5, 2);
		m = http_date_month_num(s + 8);
		y = http_date_digits(s + 12, 4);
		if (d < 0 || m < 0 || y < 0 ||
		    http_date_hms(s + 17, &h, &mi, &sec) == -1)
			return -1;
		return http_date_make(y, m, d, h, mi, sec);
	}

	/* asctime: "Sun Nov  6 08:49:37 1994" */
	if (len == 24 && s[3] == ' ') {
		if (!http_date_is_wkday(s) || s[7] != ' ' || s[10] != ' ' ||
		    s[19] != ' ')
			return -1;
		m = http_date_month_num(s + 4);
		if (s[8] == ' ')
			d = http_date_digits(s + 9, 1);
		else
			d = http_date_digits(s + 8, 2);
		y = http_date_digits(s + 20, 4);
		if (d < 0 || m < 0 || y < 0 ||
		    http_date_hms(s + 11, &h, &mi, &sec) == -1)
			return -1;
		return http_date_make(y, m, d, h, mi, sec);
	}

	/* RFC 850: "Sunday, 06-Nov-94 08:49:37 GMT" */
	for (i = 0; i < 7; i++) {
		n = strlen(http_date_weekday_long[i]);
		if (len == n + 24 &&
		    http_date_name_eq(s, http_date_weekday_long[i], n))
			break;
	}
	if (i == 7)
		return -1;
	p = s + n;
	if (p[0] != ',' || p[1] != ' ' || p[4] != '-' || p[8] != '-' ||
	    p[11] != ' ' || p[20] != ' ' ||
	    !http_date_name_eq(p + 21, "GMT", 3))
		return -1;
	d = http_date_digits(p + 2, 2);
	m = http_date_month_num(p + 5);
	y = http_date_digits(p + 9, 2);
	if (d < 0 || m < 0 || y < 0 ||
	    http_date_hms(p + 12, &h, &mi, &sec) == -1)
		return -1;
	return http_date_make(http_date_rfc850_year(y), m, d, h, mi, sec);
}

static void
http_date_put2(char *p, int v)
{
	p[0] = (char)('0' + v / 10);
	p[1] = (char)('0' + v % 10);
}

size_t
http_date_format(time_t t, char *buf, size_t size)
{
	int64_t days, secs;
	int y, m, d;
	char *p = buf;

	if (size < HTTP_DATE_BUFSZ || t < 0)
		return 0;
	days = (int64_t)t / 86400;
	secs = (int64_t)t % 86400;
	http_date_civil_from_days(days, &y, &m, &d);
	if (y > 9999)
		return 0;
	memcpy(p, http_date_wkday[days % 7], 3);
	memcpy(p + 3, ", ", 2);
	http_date_put2(p + 5, d);
	p[7] = ' ';
	memcpy(p + 8, http_date_month[m - 1], 3);
	p[11] = ' ';
	http_date_put2(p + 12, y / 100);
	http_date_put2(p + 14, y % 100);
	p[16] = ' ';
	http_date_put2(p + 17, (int)(secs / 3600));
	p[19] = ':';
	http_date_put2(p + 20, (int)(secs / 60 % 60));
	p[22] = ':';
	http_date_put2(p + 23, (int)(secs % 60));
	memcpy(p + 25, " GMT", 5);	/* includes the NUL */
	return HTTP_DATE_LEN;
}
