/*
 * Unit tests for memcache.c, the memory cache shared by the workers: store,
 * look up, replace under a reader, per-policy eviction, refusals, several
 * processes hammering one region, a kid killed while holding pins, and a
 * kid dying with the lock held.  A rough cost per get and put is printed.
 */
#include "config.h"
#include "memcache.h"
#include "log.h"

#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tap.h"

#define PG MEMCACHE_PAGE

/* What the tests store as meta: enough to recheck the body and the key. */
struct t_meta {
	uint32_t seed, len, version;
	char key[32];
};

static uint8_t
t_byte(uint32_t seed, size_t i)
{
	return (uint8_t)(seed * 31 + i * 7 + (i >> 8));
}

static uint8_t *
t_body(uint32_t seed, size_t len)
{
	uint8_t *b = malloc(len ? len : 1);
	size_t i;

	for (i = 0; i < len; i++)
		b[i] = t_byte(seed, i);
	return b;
}

/* Store key with a patterned body of len bytes; memcache_put's result. */
static int
t_put(struct memcache *mc, const char *key, uint32_t seed, size_t len)
{
	struct t_meta m;
	struct iovec iov[2];
	uint8_t *b = t_body(seed, len);
	int rc;

	memset(&m, 0, sizeof(m));
	m.seed = seed;
	m.len = len;
	snprintf(m.key, sizeof(m.key), "%s", key);
	/* Two iovs, so bodies arrive in pieces as they do from a socket. */
	iov[0].iov_base = b;
	iov[0].iov_len = len / 3;
	iov[1].iov_base = b + len / 3;
	iov[1].iov_len = len - len / 3;
	rc = memcache_put(mc, key, strlen(key), &m, sizeof(m), iov, 2);
	free(b);
	return rc;
}

/* 0 if r's meta names key and its body has the right length and bytes. */
static int
t_verify(const struct memcache_ref *r, const char *key)
{
	struct t_meta m;
	struct iovec iov[3];
	size_t mlen, bytes, i;
	const void *mp = memcache_ref_meta(r, &mlen);
	uint64_t off = 0;
	int n, k;

	if (mlen != sizeof(m))
		return -1;
	memcpy(&m, mp, sizeof(m));
	if (strcmp(m.key, key) != 0 || memcache_ref_body_len(r) != m.len)
		return -2;
	/* Few iovs at a time, to walk the offsets. */
	while ((n = memcache_ref_body_iov(r, off, iov, 3, &bytes)) > 0) {
		for (k = 0; k < n; k++) {
			for (i = 0; i < iov[k].iov_len; i++)
				if (((uint8_t *)iov[k].iov_base)[i] !=
				    t_byte(m.seed, off + i))
					return -3;
			off += iov[k].iov_len;
		}
	}
	return off == m.len ? 0 : -4;
}

static int
t_has(struct memcache *mc, const char *key)
{
	struct memcache_ref *r = memcache_get(mc, key, strlen(key));

	memcache_release(r);
	return r != NULL;
}

static uint64_t
t_used(struct memcache *mc)
{
	struct memcache_stats st;

	memcache_stats(mc, &st);
	return st.bytes_used;
}

static void
test_basic(void)
{
	struct memcache *mc = memcache_create(64 * PG, 16 * PG, MEMCACHE_LRU, 2);
	struct memcache_stats st;
	struct memcache_ref *r;
	struct iovec iov[8];
	size_t bytes, mlen;
	char bigmeta[6000], bigkey[5000];
	int n;

	ok(mc != NULL, "create");
	ok(memcache_get(mc, "a", 1) == NULL, "miss on empty cache");
	is_int(t_put(mc, "http://x/a", 1, 1024), 0, "put 1 KiB");
	is_int(t_put(mc, "http://x/empty", 2, 0), 0, "put empty body");
	is_int(t_put(mc, "http://x/big", 3, 10 * PG + 17), 0, "put 10 pages");
	r = memcache_get(mc, "http://x/a", 10);
	ok(r != NULL && t_verify(r, "http://x/a") == 0, "get 1 KiB intact");
	memcache_release(r);
	r = memcache_get(mc, "http://x/empty", 14);
	ok(r != NULL && t_verify(r, "http://x/empty") == 0 &&
	    memcache_ref_body_len(r) == 0, "get empty body");
	is_int(memcache_ref_body_iov(r, 0, iov, 8, &bytes), 0, "no iov");
	memcache_release(r);
	r = memcache_get(mc, "http://x/big", 12);
	ok(r != NULL && t_verify(r, "http://x/big") == 0, "get 10 pages");
	n = memcache_ref_body_iov(r, 10 * PG, iov, 8, &bytes);
	is_int(bytes, 17, "iov from an offset near the end: bytes");
	ok(n >= 1 && ((uint8_t *)iov[n - 1].iov_base)[iov[n - 1].iov_len - 1]
	    == t_byte(3, 10 * PG + 16), "last byte right");
	is_int(memcache_ref_body_iov(r, 10 * PG + 17, iov, 8, &bytes), 0,
	    "iov past the end: none");
	memcache_release(r);
	ok(memcache_get(mc, "http://x/a", 9) == NULL, "prefix of a key misses");
	ok(memcache_get(mc, "http://x/b", 10) == NULL, "other key misses");

	/* Meta bigger than a page and a key spanning pages. */
	memset(bigmeta, 'm', sizeof(bigmeta));
	memset(bigkey, 'k', sizeof(bigkey));
	bigmeta[5999] = 'Z';
	bigkey[4999] = 'Q';
	iov[0].iov_base = "body";
	iov[0].iov_len = 4;
	is_int(memcache_put(mc, bigkey, sizeof(bigkey), bigmeta,
	    sizeof(bigmeta), iov, 1), 0, "put big meta and key");
	r = memcache_get(mc, bigkey, sizeof(bigkey));
	ok(r != NULL, "get by a 5000 byte key");
	if (r != NULL) {
		const char *m = memcache_ref_meta(r, &mlen);

		ok(mlen == sizeof(bigmeta) && memcmp(m, bigmeta, mlen) == 0,
		    "meta spanning pages comes back whole");
		n = memcache_ref_body_iov(r, 0, iov, 8, &bytes);
		ok(n == 1 && bytes == 4 && memcmp(iov[0].iov_base, "body", 4)
		    == 0, "body after a long head");
		memcache_release(r);
	}
	bigkey[4999] = 'R';
	ok(memcache_get(mc, bigkey, sizeof(bigkey)) == NULL,
	    "key differing in its last byte misses");

	/* add: stores only where nothing is (the collapsed-forwarding mark) */
	is_int(memcache_add(mc, "F mark", 6, "one", 3), 0,
	    "add where nothing is stored");
	is_int(memcache_add(mc, "F mark", 6, "two", 3), 1,
	    "add where something is: refused");
	r = memcache_get(mc, "F mark", 6);
	ok(r != NULL, "the first add is there");
	if (r != NULL) {
		const char *m = memcache_ref_meta(r, &mlen);
		ok(mlen == 3 && memcmp(m, "one", 3) == 0,
		    "the refused add changed nothing");
		memcache_release(r);
	}
	is_int(memcache_delete(mc, "F mark", 6), 1, "delete the mark");
	is_int(memcache_add(mc, "F mark", 6, "three", 5), 0, "add after delete");
	is_int(memcache_delete(mc, "F mark", 6), 1, "delete it again");

	is_int(memcache_delete(mc, "http://x/a", 10), 1, "delete");
	is_int(memcache_delete(mc, "http://x/a", 10), 0, "delete again: absent");
	ok(!t_has(mc, "http://x/a"), "deleted object gone");
	memcache_stats(mc, &st);
	is_int(st.objects, 3, "3 objects left");
	is_int(st.bytes_total, 64 * PG, "bytes_total");
	/* empty: 1 page; big: 11 pages; big meta+key: 3 pages. */
	is_int(st.bytes_used, 15 * PG, "bytes_used in pages");
	is_int(st.hits, 5, "hits counted (one of them the mark's)");
	is_int(st.misses, 5, "misses counted");
	is_int(memcache_check(mc), 0, "check");
	memcache_destroy(mc);
}

static void
test_replace_under_reader(void)
{
	struct memcache *mc = memcache_create(32 * PG, 16 * PG, MEMCACHE_LRU, 2);
	struct memcache_ref *old, *cur;
	struct t_meta m;
	size_t mlen;

	is_int(t_put(mc, "k", 10, 3 * PG), 0, "put v1");
	old = memcache_get(mc, "k", 1);
	is_int(t_put(mc, "k", 20, 5000), 0, "put v2 while v1 is pinned");
	cur = memcache_get(mc, "k", 1);
	ok(old != NULL && t_verify(old, "k") == 0, "v1 bytes intact");
	memcpy(&m, memcache_ref_meta(old, &mlen), sizeof(m));
	is_int(m.seed, 10, "old ref still v1");
	memcpy(&m, memcache_ref_meta(cur, &mlen), sizeof(m));
	is_int(m.seed, 20, "new lookups see v2");
	ok(t_verify(cur, "k") == 0, "v2 intact");
	is_int(t_used(mc), (4 + 2) * PG, "both versions hold pages");
	is_int(memcache_check(mc), 0, "check with an unlinked pinned entry");
	memcache_release(old);
	is_int(t_used(mc), 2 * PG, "v1 freed on its last release");
	ok(t_verify(cur, "k") == 0, "v2 untouched by v1's release");

	/* Delete under a reader: unlinked, still readable. */
	is_int(memcache_delete(mc, "k", 1), 1, "delete pinned object");
	ok(!t_has(mc, "k"), "deleted object no longer found");
	ok(t_verify(cur, "k") == 0, "reader still reads it");
	memcache_release(cur);
	is_int(t_used(mc), 0, "all pages free");

	/* update_meta keeps the body, swaps the meta. */
	is_int(t_put(mc, "u", 30, 9000), 0, "put u");
	old = memcache_get(mc, "u", 1);
	memcpy(&m, memcache_ref_meta(old, &mlen), sizeof(m));
	m.version = 7;
	is_int(memcache_update_meta(mc, "u", 1, &m, sizeof(m)), 0,
	    "update_meta");
	cur = memcache_get(mc, "u", 1);
	ok(cur != NULL && t_verify(cur, "u") == 0, "body kept");
	memcpy(&m, memcache_ref_meta(cur, &mlen), sizeof(m));
	is_int(m.version, 7, "new meta seen");
	memcpy(&m, memcache_ref_meta(old, &mlen), sizeof(m));
	is_int(m.version, 0, "pinned old meta unchanged");
	memcache_release(old);
	memcache_release(cur);
	is_int(memcache_update_meta(mc, "nope", 4, &m, sizeof(m)), -1,
	    "update_meta of an absent object");
	old = memcache_get(mc, "u", 1);
	is_int(t_put(mc, "u", 31, 100), 0, "u replaced while pinned");
	m.version = 8;
	is_int(memcache_ref_update_meta(old, &m, sizeof(m)), -1,
	    "ref_update_meta refuses a replaced object");
	memcache_release(old);
	cur = memcache_get(mc, "u", 1);
	memcpy(&m, memcache_ref_meta(cur, &mlen), sizeof(m));
	ok(m.seed == 31 && m.version == 0 && t_verify(cur, "u") == 0,
	    "the newer object kept its own meta");
	m.version = 9;
	is_int(memcache_ref_update_meta(cur, &m, sizeof(m)), 0,
	    "ref_update_meta of the current object");
	memcache_release(cur);
	cur = memcache_get(mc, "u", 1);
	memcpy(&m, memcache_ref_meta(cur, &mlen), sizeof(m));
	ok(m.version == 9 && t_verify(cur, "u") == 0, "updated");
	memcache_release(cur);
	is_int(memcache_check(mc), 0, "check");
	memcache_destroy(mc);
}

static void
test_refusals(void)
{
	struct memcache *mc = memcache_create(8 * PG, 2 * PG, MEMCACHE_LRU, 1);
	struct memcache_ref *r[8];
	struct memcache_stats st;
	char key[16];
	int i;

	ok(memcache_create(100, PG, MEMCACHE_LRU, 1) == NULL,
	    "cache_mem below one page refused");
	is_int(t_put(mc, "big", 1, 2 * PG), -1,
	    "body + meta over maximum_object_size_in_memory refused");
	is_int(t_put(mc, "fits", 1, 2 * PG - sizeof(struct t_meta)), 0,
	    "exactly maximum_object_size_in_memory stored");
	is_int(memcache_delete(mc, "fits", 4), 1, "delete it");

	for (i = 0; i < 8; i++) {
		snprintf(key, sizeof(key), "p%d", i);
		t_put(mc, key, i, 100);
		r[i] = memcache_get(mc, key, strlen(key));
	}
	ok(r[7] != NULL, "8 one-page objects pinned");
	is_int(t_put(mc, "new", 1, 100), -1, "full and all pinned: put fails");
	memcache_stats(mc, &st);
	is_int(st.objects, 8, "no pinned object was evicted");
	is_int(st.evictions, 0, "no evictions counted");
	is_int(memcache_check(mc), 0, "check after the failed put");
	memcache_release(r[3]);
	is_int(t_put(mc, "new", 1, 100), 0, "one unpinned: put succeeds");
	ok(!t_has(mc, "p3") && t_has(mc, "new"), "the unpinned one was evicted");
	for (i = 0; i < 8; i++)
		if (i != 3)
			memcache_release(r[i]);
	is_int(memcache_check(mc), 0, "check");
	memcache_destroy(mc);
}

/* Fill a 4-page region with a, b, c, d, use a then the others, add e. */
static const char *
t_lfu_victim(enum memcache_policy pol)
{
	static const char *names[] = { "a", "b", "c", "d" };
	struct memcache *mc = memcache_create(4 * PG, 4 * PG, pol, 1);
	static char gone[16];
	int i;

	for (i = 0; i < 4; i++)
		t_put(mc, names[i], i, 100);
	for (i = 0; i < 5; i++)
		t_has(mc, "a");
	t_has(mc, "b");
	t_has(mc, "c");
	t_has(mc, "d");
	t_put(mc, "e", 9, 100);
	gone[0] = '\0';
	for (i = 0; i < 4; i++)
		if (!t_has(mc, names[i]))
			strcat(gone, names[i]);
	if (memcache_check(mc) != 0)
		strcat(gone, "!check");
	memcache_destroy(mc);
	return gone;
}

/* 8 pages: small s1 s2 (1 page), large l1 l2 (3 pages) used once; add n. */
static const char *
t_gdsf_victim(enum memcache_policy pol)
{
	static const char *names[] = { "s1", "s2", "l1", "l2" };
	struct memcache *mc = memcache_create(8 * PG, 4 * PG, pol, 1);
	static char gone[16];
	int i;

	t_put(mc, "s1", 1, 100);
	t_put(mc, "s2", 2, 100);
	t_put(mc, "l1", 3, 3 * PG - 200);
	t_put(mc, "l2", 4, 3 * PG - 200);
	for (i = 0; i < 4; i++)
		t_has(mc, names[i]);
	t_put(mc, "n", 5, 100);
	gone[0] = '\0';
	for (i = 0; i < 4; i++)
		if (!t_has(mc, names[i]))
			strcat(gone, names[i]);
	if (memcache_check(mc) != 0)
		strcat(gone, "!check");
	memcache_destroy(mc);
	return gone;
}

static void
test_policies(void)
{
	const char *g;

	is_str(t_lfu_victim(MEMCACHE_LRU), "a", "lru evicts the least recent");
	is_str(t_lfu_victim(MEMCACHE_HEAP_LRU), "a",
	    "heap LRU evicts the least recent");
	g = t_lfu_victim(MEMCACHE_HEAP_LFUDA);
	ok(strlen(g) == 1 && strchr("bcd", g[0]) != NULL,
	    "heap LFUDA keeps the frequently used a (evicted %s)", g);
	is_str(t_gdsf_victim(MEMCACHE_LRU), "s1", "lru evicts the oldest small");
	g = t_gdsf_victim(MEMCACHE_HEAP_GDSF);
	ok(strcmp(g, "l1") == 0 || strcmp(g, "l2") == 0,
	    "heap GDSF evicts a large object, keeps small ones (evicted %s)", g);
}

/* A child's hammering; exit status = errors seen. */
static void
t_hammer(struct memcache *mc, int kid, int iters)
{
	struct memcache_ref *held[8] = { 0 };
	unsigned seed = 1234 + kid * 7919;
	char key[16];
	int i, e, errors = 0, nheld = 0;

	memcache_attach(mc, kid);
	for (i = 0; i < iters; i++) {
		int op = rand_r(&seed) % 100;
		struct memcache_ref *r;

		snprintf(key, sizeof(key), "key%d", rand_r(&seed) % 40);
		if (op < 55) {
			r = memcache_get(mc, key, strlen(key));
			if (r != NULL && (e = t_verify(r, key)) != 0) {
				printf("# kid %d iter %d %s: error %d\n", kid,
				    i, key, e);
				errors++;
			}
			if (r != NULL && nheld < 8 && op < 8)
				held[nheld++] = r;
			else
				memcache_release(r);
		} else if (op < 85) {
			/* Up to 6 pages; a put may fail when all is pinned. */
			t_put(mc, key, rand_r(&seed), rand_r(&seed) % (6 * PG));
		} else if (op < 92) {
			memcache_delete(mc, key, strlen(key));
		} else if (op < 96) {
			r = memcache_get(mc, key, strlen(key));
			if (r != NULL) {
				struct t_meta m;
				size_t mlen;

				memcpy(&m, memcache_ref_meta(r, &mlen),
				    sizeof(m));
				m.version++;
				memcache_ref_update_meta(r, &m, sizeof(m));
				memcache_release(r);
			}
		} else if (nheld > 0) {
			r = held[--nheld];
			if ((e = t_verify(r, ((struct t_meta *)
			    memcache_ref_meta(r, &(size_t){0}))->key)) != 0) {
				printf("# kid %d iter %d held: error %d\n",
				    kid, i, e);
				errors++;
			}
			memcache_release(r);
		}
	}
	while (nheld > 0)
		memcache_release(held[--nheld]);
	fflush(stdout);
	_exit(errors > 255 ? 255 : errors);
}

static void
test_processes(enum memcache_policy pol, const char *name)
{
	struct memcache *mc = memcache_create(48 * PG, 8 * PG, pol, 4);
	struct memcache_stats st;
	pid_t pid[4];
	int i, st_, bad = 0;

	fflush(stdout);	/* or each child prints the parent's buffer again */
	for (i = 0; i < 4; i++)
		if ((pid[i] = fork()) == 0)
			t_hammer(mc, i + 1, 20000);
	for (i = 0; i < 4; i++) {
		waitpid(pid[i], &st_, 0);
		if (!WIFEXITED(st_) || WEXITSTATUS(st_) != 0) {
			printf("# child %d status %#x\n", i + 1, st_);
			bad++;
		}
	}
	is_int(bad, 0, "%s: 4 processes saw only intact objects", name);
	is_int(memcache_check(mc), 0, "%s: invariants hold afterwards", name);
	memcache_stats(mc, &st);
	ok(st.hits > 1000 && st.evictions > 100,
	    "%s: real sharing and eviction (%llu hits, %llu evictions)", name,
	    (unsigned long long)st.hits, (unsigned long long)st.evictions);
	memcache_destroy(mc);
}

static void
test_kill_with_pins(void)
{
	struct memcache *mc = memcache_create(16 * PG, 8 * PG, MEMCACHE_LRU, 2);
	int p[2];
	char c;
	pid_t pid;

	t_put(mc, "x", 1, 2 * PG);
	t_put(mc, "y", 2, 100);
	if (pipe(p) == -1)
		return;
	fflush(stdout);
	if ((pid = fork()) == 0) {
		memcache_attach(mc, 2);
		memcache_get(mc, "x", 1);
		memcache_get(mc, "y", 1);
		memcache_get(mc, "y", 1);
		if (write(p[1], "r", 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	is_int(read(p[0], &c, 1), 1, "child pinned its objects");
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	is_int(memcache_delete(mc, "x", 1), 1, "delete x");
	is_int(memcache_delete(mc, "y", 1), 1, "delete y");
	is_int(t_used(mc), 4 * PG, "dead kid's pins keep the pages");
	is_int(memcache_check(mc), 0, "check before reap");
	memcache_reap(mc, 2);
	is_int(t_used(mc), 0, "reap freed them");
	is_int(memcache_check(mc), 0, "check after reap");
	close(p[0]);
	close(p[1]);
	memcache_destroy(mc);
}

/*
 * Kill -9 a writer at random moments, inside the lock or while it copies
 * into reserved pages; reap it; the region must stay sound every time.
 */
static void
test_kill_writer_loop(void)
{
	struct memcache *mc = memcache_create(256 * PG, 64 * PG,
	    MEMCACHE_HEAP_LFUDA, 2);
	unsigned seed = 42;
	int round, bad = 0;
	pid_t pid;

	fflush(stdout);
	for (round = 0; round < 100; round++) {
		if ((pid = fork()) == 0) {
			char key[16];
			int i;

			memcache_attach(mc, 1);
			for (i = 0;; i++) {
				snprintf(key, sizeof(key), "w%d", i % 50);
				/* mostly small, so kills land in the lock too */
				t_put(mc, key, i, i % 10 ? i % 3000 :
				    (i * 7919) % (60 * PG));
				memcache_release(memcache_get(mc, key,
				    strlen(key)));
			}
		}
		usleep(200 + rand_r(&seed) % 2000);
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		memcache_reap(mc, 1);
		/* the dead writer's reservation is freed, the rest holds */
		if (memcache_check(mc) != 0)
			bad++;
	}
	is_int(bad, 0, "100 writers killed at random: region sound after reap");
	memcache_destroy(mc);
}

static void
test_die_locked(enum memcache_policy pol, int scramble)
{
	struct memcache *mc = memcache_create(16 * PG, 16 * PG, pol, 1);
	struct memcache_ref *r;
	struct memcache_stats st;
	pid_t pid;
	int s;

	t_put(mc, "a", 1, 100);
	t_put(mc, "b", 2, 5000);
	t_put(mc, "c", 3, 100);
	r = memcache_get(mc, "b", 1);	/* a pin that the rebuild must count */
	t_has(mc, "a");
	fflush(stdout);
	if ((pid = fork()) == 0) {
		memcache_attach(mc, 1);
		memcache_test_die_locked(mc, scramble);
	}
	waitpid(pid, &s, 0);
	ok(WIFEXITED(s), "child exited holding the lock");
	ok(t_has(mc, "a") && t_has(mc, "c"),
	    "lock recovered, objects found (scramble %d)", scramble);
	is_int(memcache_check(mc), 0, "index rebuilt consistent (scramble %d)",
	    scramble);
	ok(t_verify(r, "b") == 0, "pinned object still intact");
	memcache_release(r);
	memcache_stats(mc, &st);
	is_int(st.objects, 3, "3 objects");
	is_int(st.bytes_used, 4 * PG, "4 pages used");
	/* LRU order survives the rebuild (via stamps): c is now the oldest. */
	t_has(mc, "b");
	t_has(mc, "a");
	t_put(mc, "d", 4, 12 * PG + 1);	/* needs 13 pages: evicts c only */
	ok(!t_has(mc, "c") && t_has(mc, "a") && t_has(mc, "b"),
	    "replacement order kept across the rebuild");
	is_int(memcache_check(mc), 0, "check");
	memcache_destroy(mc);
}

static double
t_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
test_timing(void)
{
	struct memcache *mc = memcache_create(64 << 20, 1 << 20, MEMCACHE_LRU, 1);
	const char *key = "http://example.com/some/path/to/object-1k.bin";
	struct iovec iov[4];
	struct memcache_ref *r;
	size_t bytes;
	double t0, t1;
	char keys[1000][64];
	int i, n = 1000000, nput = 200000;

	t_put(mc, key, 1, 1024);
	for (i = 0; i < 1000; i++) {
		snprintf(keys[i], sizeof(keys[i]),
		    "http://example.com/some/path/object-%d.bin", i);
		t_put(mc, keys[i], i, 1024);
	}
	t0 = t_now();
	for (i = 0; i < n; i++) {
		r = memcache_get(mc, keys[i % 1000], strlen(keys[i % 1000]));
		memcache_ref_body_iov(r, 0, iov, 4, &bytes);
		memcache_release(r);
	}
	t1 = t_now();
	printf("# get+iov+release of 1 KiB (1000 keys): %.0f ns\n",
	    (t1 - t0) / n * 1e9);
	{
		static char body[1024], meta[300];
		struct iovec biov = { body, sizeof(body) };

		t0 = t_now();
		for (i = 0; i < nput; i++)
			memcache_put(mc, keys[i % 1000],
			    strlen(keys[i % 1000]), meta, sizeof(meta), &biov,
			    1);
		t1 = t_now();
	}
	printf("# put of 1 KiB replacing an older copy: %.0f ns\n",
	    (t1 - t0) / nput * 1e9);
	r = memcache_get(mc, keys[5], strlen(keys[5]));
	ok(r != NULL && memcache_ref_body_len(r) == 1024, "last put stored");
	memcache_release(r);
	ok(memcache_check(mc) == 0, "check after timing loops");
	memcache_destroy(mc);
}

int
main(void)
{
	log_init("t_memcache", 0);
	test_basic();
	test_replace_under_reader();
	test_refusals();
	test_policies();
	test_processes(MEMCACHE_LRU, "lru");
	test_processes(MEMCACHE_HEAP_GDSF, "heap GDSF");
	test_processes(MEMCACHE_HEAP_LFUDA, "heap LFUDA");
	test_processes(MEMCACHE_HEAP_LRU, "heap LRU");
	test_kill_with_pins();
	test_kill_writer_loop();
	test_die_locked(MEMCACHE_LRU, 0);
	test_die_locked(MEMCACHE_LRU, 1);
	test_die_locked(MEMCACHE_HEAP_LRU, 1);
	test_timing();
	return tap_done();
}
