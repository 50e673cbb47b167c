/*
 * auth_share: the credentials table the workers share (auth_share.h).
 * Open addressing with a short probe window: a key lives in one of
 * AUTH_SHARE_PROBE slots from its hash, so every operation touches a
 * bounded number of slots, and a full window evicts its oldest entry.
 * The password is kept only as SHA-256(salt | scheme | user | password)
 * with a salt drawn when the table is made, so the mapping (a core file,
 * a kid's memory) never holds a usable password.
 *
 * Crash safety: any write inside the lock may be half done when a kid
 * dies there, and nothing in a slot says whether it is whole, so the next
 * locker that gets EOWNERDEAD clears the table.  Everyone then asks the
 * helper again once: the price of a crash is a few helper lookups.
 */
#include "config.h"
#include "auth_share.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "cfg.h"
#include "log.h"
#include "logformat.h"

#define AUTH_SHARE_PROBE	8
#define AUTH_SHARE_SCHEME_MAX	15
#define AUTH_SHARE_SALT		16
#define AUTH_SHARE_MAGIC	0x61757468736872ULL	/* "authshr" */

struct auth_share_slot {
	uint64_t	 keyhash;
	int64_t		 checked;	/* monotonic seconds */
	uint8_t		 digest[32];
	uint8_t		 used;
	char		 scheme[AUTH_SHARE_SCHEME_MAX + 1];
	char		 user[AUTH_SHARE_USER_MAX + 1];
};

/* The start of the mapping; the slots follow. */
struct auth_share {
	uint64_t	 magic;
	size_t		 map_size;
	unsigned	 nslots;	/* a power of two */
	unsigned	 used;
	uint64_t	 fingerprint;
	uint8_t		 salt[AUTH_SHARE_SALT];
	pthread_mutex_t	 lock;
	struct auth_share_slot slots[];
};

static void
auth_share_clear_locked(struct auth_share *s)
{
	memset(s->slots, 0, (size_t)s->nslots * sizeof(s->slots[0]));
	s->used = 0;
}

void
auth_share_lock(struct auth_share *s)
{
	int r = pthread_mutex_lock(&s->lock);

	if (r == EOWNERDEAD) {
		log_warnx("shared credentials: a process died holding the "
		    "lock; clearing them");
		auth_share_clear_locked(s);
		pthread_mutex_consistent(&s->lock);
	} else if (r != 0) {
		errno = r;
		fatal("shared credentials: pthread_mutex_lock");
	}
}

void
auth_share_unlock(struct auth_share *s)
{
	pthread_mutex_unlock(&s->lock);
}

struct auth_share *
auth_share_create(unsigned nslots)
{
	struct auth_share *s;
	pthread_mutexattr_t ma;
	unsigned n = AUTH_SHARE_PROBE;
	size_t size;
	int r;

	if (nslots > (1u << 24)) {
		log_errx("shared credentials: %u slots is too many", nslots);
		return NULL;
	}
	while (n < nslots)
		n <<= 1;
	size = sizeof(*s) + (size_t)n * sizeof(s->slots[0]);
	s = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
	    -1, 0);
	if (s == MAP_FAILED) {
		log_err("shared credentials: mmap %zu bytes", size);
		return NULL;
	}
	s->map_size = size;		/* the rest is zero-filled */
	s->nslots = n;
	if (RAND_bytes(s->salt, sizeof(s->salt)) != 1) {
		log_errx("shared credentials: no random salt");
		munmap(s, size);
		return NULL;
	}
	if ((r = pthread_mutexattr_init(&ma)) != 0 ||
	    (r = pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED)) != 0 ||
	    (r = pthread_mutexattr_setrobust(&ma, PTHREAD_MUTEX_ROBUST)) != 0 ||
	    (r = pthread_mutex_init(&s->lock, &ma)) != 0) {
		errno = r;
		log_err("shared credentials: shared mutex");
		munmap(s, size);
		return NULL;
	}
	pthread_mutexattr_destroy(&ma);
	s->magic = AUTH_SHARE_MAGIC;
	return s;
}

void
auth_share_destroy(struct auth_share *s)
{
	if (s != NULL)
		munmap(s, s->map_size);
}

static uint64_t
auth_share_fnv(uint64_t h, const char *s)
{
	for (;; s++) {
		h = (h ^ (uint8_t)*s) * 0x100000001b3ULL;
		if (*s == '\0')
			return h;
	}
}

uint64_t
auth_share_fingerprint(const struct cfg_auth_basic *b)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	if (b->program == NULL)
		return h;
	for (char **a = b->program; *a != NULL; a++)
		h = auth_share_fnv(h, *a);
	h = auth_share_fnv(h, b->casesensitive ? "cs" : "ci");
	h = auth_share_fnv(h, b->utf8 ? "utf8" : "raw");
	if (b->key_extras != NULL)
		h = auth_share_fnv(h, logformat_spec(b->key_extras));
	return h;
}

/* FNV-1a over "scheme\0user". */
static uint64_t
auth_share_keyhash(const char *scheme, const char *user)
{
	return auth_share_fnv(auth_share_fnv(0xcbf29ce484222325ULL, scheme),
	    user);
}

static int
auth_share_digest(const struct auth_share *s, const char *scheme,
    const char *user, const char *secret, uint8_t out[32])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned len = 0;
	int ok;

	ok = ctx != NULL && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1 &&
	    EVP_DigestUpdate(ctx, s->salt, sizeof(s->salt)) == 1 &&
	    EVP_DigestUpdate(ctx, scheme, strlen(scheme) + 1) == 1 &&
	    EVP_DigestUpdate(ctx, user, strlen(user) + 1) == 1 &&
	    EVP_DigestUpdate(ctx, secret, strlen(secret)) == 1 &&
	    EVP_DigestFinal_ex(ctx, out, &len) == 1 && len == 32;
	EVP_MD_CTX_free(ctx);
	return ok ? 0 : -1;
}

/* Can this key be shared at all? */
static int
auth_share_fits(const struct auth_share *s, const char *scheme,
    const char *user)
{
	return s != NULL && strlen(scheme) <= AUTH_SHARE_SCHEME_MAX &&
	    strlen(user) <= AUTH_SHARE_USER_MAX;
}

/* The slot holding scheme/user, or NULL; under the lock. */
static struct auth_share_slot *
auth_share_find(struct auth_share *s, uint64_t h, const char *scheme,
    const char *user)
{
	for (unsigned i = 0; i < AUTH_SHARE_PROBE; i++) {
		struct auth_share_slot *e =
		    &s->slots[(h + i) & (s->nslots - 1)];
		if (e->used && e->keyhash == h &&
		    strcmp(e->scheme, scheme) == 0 &&
		    strcmp(e->user, user) == 0)
			return e;
	}
	return NULL;
}

/*
 * What every call on one user's credentials starts with: can they be
 * shared, their digest and key hash, the lock, and their slot (NULL:
 * none).  Returns -1 (and holds no lock) if they cannot be shared.
 */
static int
auth_share_begin(struct auth_share *s, const char *scheme, const char *user,
    const char *secret, uint8_t d[32], uint64_t *h,
    struct auth_share_slot **e)
{
	if (!auth_share_fits(s, scheme, user) ||
	    auth_share_digest(s, scheme, user, secret, d) == -1)
		return -1;
	*h = auth_share_keyhash(scheme, user);
	auth_share_lock(s);
	*e = auth_share_find(s, *h, scheme, user);
	return 0;
}

int
auth_share_lookup(struct auth_share *s, const char *scheme,
    const char *user, const char *secret, time_t *checked)
{
	struct auth_share_slot *e;
	uint8_t d[32];
	uint64_t h;
	int found = 0;

	if (auth_share_begin(s, scheme, user, secret, d, &h, &e) == -1)
		return 0;
	if (e != NULL && memcmp(e->digest, d, sizeof(d)) == 0) {
		*checked = (time_t)e->checked;
		found = 1;
	}
	auth_share_unlock(s);
	return found;
}

void
auth_share_store(struct auth_share *s, const char *scheme,
    const char *user, const char *secret, time_t checked)
{
	struct auth_share_slot *e;
	uint8_t d[32];
	uint64_t h;

	if (auth_share_begin(s, scheme, user, secret, d, &h, &e) == -1)
		return;
	if (e == NULL) {
		/* a free slot in the window, else its oldest entry */
		for (unsigned i = 0; i < AUTH_SHARE_PROBE; i++) {
			struct auth_share_slot *c =
			    &s->slots[(h + i) & (s->nslots - 1)];
			if (!c->used) {
				e = c;
				break;
			}
			if (e == NULL || c->checked < e->checked)
				e = c;
		}
		if (!e->used)
			s->used++;
		memset(e, 0, sizeof(*e));
		e->keyhash = h;
		strcpy(e->scheme, scheme);	/* lengths checked: fits */
		strcpy(e->user, user);
		e->used = 1;
	}
	memcpy(e->digest, d, sizeof(d));
	if ((int64_t)checked > e->checked)
		e->checked = (int64_t)checked;
	auth_share_unlock(s);
}

void
auth_share_forget(struct auth_share *s, const char *scheme,
    const char *user, const char *secret)
{
	struct auth_share_slot *e;
	uint8_t d[32];
	uint64_t h;

	if (auth_share_begin(s, scheme, user, secret, d, &h, &e) == -1)
		return;
	if (e != NULL && memcmp(e->digest, d, sizeof(d)) == 0) {
		memset(e, 0, sizeof(*e));
		s->used--;
	}
	auth_share_unlock(s);
}

int
auth_share_expire(struct auth_share *s, time_t cutoff)
{
	int n = 0;

	if (s == NULL)
		return 0;
	auth_share_lock(s);
	for (unsigned i = 0; i < s->nslots && s->used > 0; i++) {
		struct auth_share_slot *e = &s->slots[i];
		if (e->used && e->checked <= (int64_t)cutoff) {
			memset(e, 0, sizeof(*e));
			s->used--;
			n++;
		}
	}
	auth_share_unlock(s);
	return n;
}

int
auth_share_configure(struct auth_share *s, uint64_t fingerprint)
{
	int cleared = 0;

	if (s == NULL)
		return 0;
	auth_share_lock(s);
	if (s->fingerprint != fingerprint) {
		cleared = s->used > 0;
		auth_share_clear_locked(s);
		s->fingerprint = fingerprint;
	}
	auth_share_unlock(s);
	return cleared;
}

size_t
auth_share_size(const struct auth_share *s)
{
	return s->map_size;
}

unsigned
auth_share_count(struct auth_share *s)
{
	unsigned n;

	if (s == NULL)
		return 0;
	auth_share_lock(s);
	n = s->used;
	auth_share_unlock(s);
	return n;
}
