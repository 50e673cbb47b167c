/*
 * Unit tests for the byte buffer: appends, consuming, and buf_printf,
 * which formats into the free space first and again only for a line
 * longer than that (each length around the first guess, and after the
 * buffer's head moved).
 */
#include "config.h"
#include "buf.h"

#include <stdlib.h>
#include <string.h>

#include "tap.h"

/* buf_printf of a line of n 'a's after prefix, checked against memset. */
static void
t_printf_len(size_t n, const char *prefix)
{
	struct buf b;
	char *want = malloc(strlen(prefix) + n + 1);
	char *arg = malloc(n + 1);

	memset(arg, 'a', n);
	arg[n] = '\0';
	strcpy(want, prefix);
	strcat(want, arg);
	buf_init(&b);
	buf_append(&b, prefix, strlen(prefix));
	buf_printf(&b, "%s", arg);
	is_int(buf_avail(&b), strlen(want), "length after a %zu-byte line", n);
	ok(buf_avail(&b) == strlen(want) &&
	    memcmp(buf_head(&b), want, strlen(want)) == 0,
	    "bytes of a %zu-byte line", n);
	buf_free(&b);
	free(want);
	free(arg);
}

int
main(void)
{
	struct buf b;
	static const size_t lens[] = { 0, 1, 254, 255, 256, 257, 4095, 4096,
	    4097, 100000 };

	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		t_printf_len(lens[i], "");
		t_printf_len(lens[i], "HTTP/1.1 200 OK\r\n");
	}

	/* a buffer whose free space is short: formats after growing */
	buf_init(&b);
	char fill[4090];
	memset(fill, 'f', sizeof(fill));
	buf_append(&b, fill, sizeof(fill));
	buf_printf(&b, "Age: %d\r\n", 12345);
	is_int(buf_avail(&b), sizeof(fill) + 12, "a short line past the end");
	ok(memcmp(buf_head(&b) + sizeof(fill), "Age: 12345\r\n", 12) == 0,
	    "its bytes");

	/* a consumed head is moved down, not lost */
	buf_consume(&b, 4000);
	buf_printf(&b, "%s-%d", "x", 7);
	is_int(buf_avail(&b), sizeof(fill) - 4000 + 12 + 3, "after consume");
	ok(memcmp(buf_head(&b) + buf_avail(&b) - 3, "x-7", 3) == 0,
	    "appended after the remaining bytes");
	ok(memcmp(buf_head(&b), fill, 90) == 0, "remaining bytes intact");
	buf_free(&b);

	/* several lines in a row, as a response head is built */
	buf_init(&b);
	for (int i = 0; i < 100; i++)
		buf_printf(&b, "X-%d: %s\r\n", i, i % 2 ? "odd" : "even");
	/* "X-N: even\r\n" / "X-N: odd\r\n", N of one or two digits */
	is_int(buf_avail(&b), 5 * 11 + 5 * 10 + 45 * 12 + 45 * 11, "100 lines");
	ok(strncmp(buf_head(&b), "X-0: even\r\nX-1: odd\r\n", 21) == 0,
	    "first lines");
	buf_free(&b);

	/* nothing appended from a NULL pointer of length 0 */
	buf_init(&b);
	buf_append(&b, NULL, 0);
	is_int(buf_avail(&b), 0, "empty append");
	buf_free(&b);
	return tap_done();
}
