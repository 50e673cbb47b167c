/*
 * The Basic credentials table the workers share (lib/auth_share.c):
 * lookups by exact credentials only, no password in the mapping, sharing
 * across fork, forgetting, the authenticate_ttl sweep, eviction in a full
 * table, reconfigure keeping or clearing, and recovery of the robust
 * mutex after a child dies holding it.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "auth_share.h"
#include "cfg.h"
#include "tap.h"

/* Does the mapping contain needle anywhere? */
static int
mapping_has(const struct auth_share *s, size_t size,
    const char *needle)
{
	const char *p = (const char *)s;
	size_t n = strlen(needle);

	for (size_t i = 0; i + n <= size; i++)
		if (memcmp(p + i, needle, n) == 0)
			return 1;
	return 0;
}

static void
t_basics(void)
{
	struct auth_share *s = auth_share_create(64);
	time_t t = 0;

	ok(s != NULL, "created");
	is_int(auth_share_lookup(s, "basic", "alice", "pw1", &t), 0,
	    "empty: unknown");
	auth_share_store(s, "basic", "alice", "pw1", 1000);
	is_int(auth_share_lookup(s, "basic", "alice", "pw1", &t), 1, "found");
	is_int((int)t, 1000, "with its check time");
	is_int(auth_share_lookup(s, "basic", "alice", "pw2", &t), 0,
	    "another password is not");
	is_int(auth_share_lookup(s, "digest", "alice", "pw1", &t), 0,
	    "nor another scheme");
	is_int(auth_share_lookup(s, "basic", "Alice", "pw1", &t), 0,
	    "nor another user");
	ok(!mapping_has(s, auth_share_size(s), "pw1"),
	    "the password is not in the mapping");
	auth_share_store(s, "basic", "alice", "pw2", 1005);
	is_int(auth_share_lookup(s, "basic", "alice", "pw1", &t), 0,
	    "a new password replaces the old");
	is_int(auth_share_lookup(s, "basic", "alice", "pw2", &t), 1,
	    "and is found");
	is_int((int)auth_share_count(s), 1, "one entry per user");
	auth_share_forget(s, "basic", "alice", "pw1");
	is_int(auth_share_lookup(s, "basic", "alice", "pw2", &t), 1,
	    "forgetting other credentials keeps the entry");
	auth_share_forget(s, "basic", "alice", "pw2");
	is_int(auth_share_lookup(s, "basic", "alice", "pw2", &t), 0,
	    "forgotten");
	is_int((int)auth_share_count(s), 0, "none left");

	char longuser[AUTH_SHARE_USER_MAX + 2];
	memset(longuser, 'u', sizeof(longuser) - 1);
	longuser[sizeof(longuser) - 1] = '\0';
	auth_share_store(s, "basic", longuser, "pw", 1);
	is_int(auth_share_lookup(s, "basic", longuser, "pw", &t), 0,
	    "too long a user name is not shared");
	auth_share_destroy(s);
}

static void
t_fork_and_expire(void)
{
	struct auth_share *s = auth_share_create(64);
	time_t t;
	pid_t pid;
	int status;

	if ((pid = fork()) == 0) {
		auth_share_store(s, "basic", "bob", "secret", 50);
		_exit(0);
	}
	waitpid(pid, &status, 0);
	is_int(auth_share_lookup(s, "basic", "bob", "secret", &t), 1,
	    "a child's entry is seen by the parent");
	auth_share_store(s, "basic", "carol", "x", 60);
	is_int(auth_share_expire(s, 50), 1, "the sweep drops entries at or "
	    "before the cutoff");
	is_int(auth_share_lookup(s, "basic", "bob", "secret", &t), 0,
	    "bob is gone");
	is_int(auth_share_lookup(s, "basic", "carol", "x", &t), 1,
	    "carol stays");
	auth_share_destroy(s);
}

static void
t_eviction(void)
{
	struct auth_share *s = auth_share_create(8);	/* one window */
	char user[32];
	time_t t;

	for (int i = 0; i < 20; i++) {
		snprintf(user, sizeof(user), "user%d", i);
		auth_share_store(s, "basic", user, "pw", 100 + i);
	}
	is_int((int)auth_share_count(s), 8, "bounded: full at 8");
	is_int(auth_share_lookup(s, "basic", "user19", "pw", &t), 1,
	    "the newest is kept");
	is_int(auth_share_lookup(s, "basic", "user0", "pw", &t), 0,
	    "the oldest was evicted");
	auth_share_destroy(s);
}

static void
t_configure(void)
{
	struct auth_share *s = auth_share_create(64);
	char *prog1[] = { "/bin/helper", "a", NULL };
	char *prog2[] = { "/bin/helper", "b", NULL };
	struct cfg_auth_basic b;
	time_t t;

	memset(&b, 0, sizeof(b));
	b.program = prog1;
	uint64_t f1 = auth_share_fingerprint(&b);
	auth_share_configure(s, f1);
	auth_share_store(s, "basic", "dan", "pw", 1);
	b.realm = "another realm";
	is_int(auth_share_configure(s, auth_share_fingerprint(&b)), 0,
	    "a new realm keeps the table");
	is_int(auth_share_lookup(s, "basic", "dan", "pw", &t), 1, "kept");
	b.casesensitive = 1;
	ok(auth_share_fingerprint(&b) != f1, "casesensitive changes it");
	b.casesensitive = 0;
	b.program = prog2;
	is_int(auth_share_configure(s, auth_share_fingerprint(&b)), 1,
	    "another program clears it");
	is_int(auth_share_lookup(s, "basic", "dan", "pw", &t), 0, "cleared");
	auth_share_destroy(s);
}

static void
t_robust_mutex(void)
{
	struct auth_share *s = auth_share_create(64);
	time_t t;
	pid_t pid;
	int status;

	auth_share_store(s, "basic", "erin", "pw", 7);
	if ((pid = fork()) == 0) {
		auth_share_lock(s);
		_exit(0);	/* dies holding the lock */
	}
	waitpid(pid, &status, 0);
	ok(WIFEXITED(status), "the child died holding the lock");
	/* would hang here without PTHREAD_MUTEX_ROBUST */
	is_int(auth_share_lookup(s, "basic", "erin", "pw", &t), 0,
	    "the next locker recovers and clears the table");
	auth_share_store(s, "basic", "erin", "pw", 8);
	is_int(auth_share_lookup(s, "basic", "erin", "pw", &t), 1,
	    "and the table works again");
	auth_share_destroy(s);
}

int
main(void)
{
	t_basics();
	t_fork_and_expire();
	t_eviction();
	t_configure();
	t_robust_mutex();
	auth_share_lookup(NULL, "basic", "x", "y", NULL);
	ok(1, "a NULL table is no table");
	return tap_done();
}
