/*
 * Unit tests for mgr_share.c: a publication is read back whole with its kid
 * and generation; slots are independent; a cleared slot is empty; a
 * publication that does not fit is refused; a publication older than the
 * kid's noted version reads as such; a reader racing a writer in
 * another process never gets a torn copy; and a writer stopped (SIGSTOP)
 * in the middle of publishing leaves its last publication readable.
 */
#include "config.h"
#include "mgr_share.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tap.h"

static char buf[MGR_SHARE_SECTION_MAX];

/* Publication n: n's low byte repeated, 1000 + n % 50000 bytes. */
static size_t
pattern(unsigned n, char *p)
{
	size_t len = 1000 + n % 50000;

	memset(p, (int)(n & 0xff), len);
	return len;
}

/* Is p[0..len) one byte repeated, with the length that byte's n gives? */
static int
uniform(const char *p, ssize_t len)
{
	for (ssize_t i = 1; i < len; i++)
		if (p[i] != p[0])
			return 0;
	return len >= 1000;
}

/* Read slot into buf: its length, kid and generation. */
static ssize_t
rd(struct mgr_share *s, unsigned slot, int *kid, int *gen)
{
	struct mgr_share_part pt;
	ssize_t n = mgr_share_read(s, slot, &pt, buf);

	*kid = pt.kid;
	*gen = pt.generation;
	return n;
}

static pid_t
writer(struct mgr_share *s)
{
	pid_t pid = fork();

	if (pid == 0) {
		char *p = malloc(MGR_SHARE_SECTION_MAX);
		for (unsigned n = 1; n < 2000000; n++) {
			size_t len = pattern(n, p);
			mgr_share_publish(s, 3, 2, 7, 0, p, len);
		}
		_exit(0);
	}
	return pid;
}

int
main(void)
{
	struct mgr_share *s = mgr_share_create(4);
	int kid, gen;
	ssize_t n;

	ok(s != NULL, "created");
	is_int(mgr_share_slots(s), 4, "four slots");
	is_int(rd(s, 1, &kid, &gen), 0, "empty slot");
	is_int(kid, 0, "empty slot has no kid");

	ok(mgr_share_publish(s, 1, 2, 5, 0, "hello", 5) == 0, "publish");
	n = rd(s, 1, &kid, &gen);
	ok(n == 5 && memcmp(buf, "hello", 5) == 0, "read back");
	ok(kid == 2 && gen == 5, "kid and generation");
	mgr_share_publish(s, 1, 2, 5, 0, "second", 6);
	mgr_share_publish(s, 1, 2, 6, 0, "third!!", 7);
	n = rd(s, 1, &kid, &gen);
	ok(n == 7 && memcmp(buf, "third!!", 7) == 0 && gen == 6,
	    "the latest publication wins");
	is_int(rd(s, 0, &kid, &gen), 0,
	    "other slots untouched");

	/* a publication's version against the kid's noted one */
	struct mgr_share_part pt;
	mgr_share_publish(s, 2, 1, 1, 7, "v7", 2);
	mgr_share_note(s, 2, 4242, 7);
	mgr_share_read(s, 2, &pt, buf);
	ok(pt.version == 7 && pt.current == 7 && pt.pid == 4242,
	    "current publication");
	mgr_share_note(s, 2, 4242, 9);
	mgr_share_read(s, 2, &pt, buf);
	ok(pt.version == 7 && pt.current == 9, "stale publication");
	mgr_share_clear(s, 2);
	mgr_share_read(s, 2, &pt, buf);
	ok(pt.kid == 0 && pt.pid == 0 && pt.current == 0, "cleared note");

	mgr_share_clear(s, 1);
	is_int(rd(s, 1, &kid, &gen), 0, "cleared slot");
	mgr_share_publish(s, 1, 1, 1, 0, "again", 5);
	n = rd(s, 1, &kid, &gen);
	ok(n == 5 && kid == 1, "a new kid in a cleared slot");

	is_int(mgr_share_publish(s, 1, 1, 1, 0, buf, MGR_SHARE_SECTION_MAX + 1),
	    -1, "too long is refused");
	is_int(mgr_share_publish(s, 4, 1, 1, 0, "x", 1), -1, "no slot 4");
	is_int(rd(s, 9, &kid, &gen), 0, "no slot 9");

	/* a reader racing a writer in another process: never torn */
	pid_t w = writer(s);
	int torn = 0, copies = 0, busy = 0;
	struct timespec t0, t;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		n = rd(s, 3, &kid, &gen);
		if (n > 0) {
			copies++;
			torn += !uniform(buf, n) || kid != 2 || gen != 7;
		} else if (n == -1)
			busy++;
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while (t.tv_sec - t0.tv_sec < 1);
	is_int(torn, 0, "no torn copy in %d copies (%d busy)", copies, busy);
	ok(copies > 0, "copies were made while the writer ran");

	/* a writer stopped wherever it was: its last publication reads */
	kill(w, SIGSTOP);
	torn = 0;
	for (int i = 0; i < 100; i++) {
		n = rd(s, 3, &kid, &gen);
		torn += n <= 0 || !uniform(buf, n);
	}
	is_int(torn, 0, "a stopped writer never blocks or tears a read");
	kill(w, SIGKILL);
	waitpid(w, NULL, 0);
	n = rd(s, 3, &kid, &gen);
	ok(n > 0 && uniform(buf, n), "a killed writer's last publication");

	mgr_share_destroy(s);
	return tap_done();
}
