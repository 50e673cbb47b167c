/*
 * The store process end to end: a real store_main in a forked child, driven
 * through store_client from a small event loop here.  Covers the request
 * cycle, persistence across restarts, kill -9 in the middle of commits,
 * a corrupted index, eviction, and a full disk (a tiny tmpfs, root only).
 */
#include "config.h"
#include "store/store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "evloop.h"
#include "log.h"
#include "store_client.h"
#include "store_record.h"
#include "tap.h"

static struct cfg t_cfg;
static struct cfg_cache_dir t_cd;
static int t_sv[2];
static pid_t t_pid = -1;
static char t_log[512];
static struct store_client *t_sc;

static struct store_client_result t_res;
static char t_meta[4096];
static int t_done;
static struct ev_timer t_guard;

static void
t_guard_cb(struct ev_timer *t)
{
	evloop_stop();
}

static void
t_cb(void *arg, const struct store_client_result *r)
{
	t_res = *r;
	if (r->meta_len > 0 && r->meta_len < sizeof(t_meta)) {
		memcpy(t_meta, r->meta, r->meta_len);
		t_meta[r->meta_len] = '\0';
	}
	t_done = 1;
	evloop_stop();
}

/* Run the loop until t_cb fires; 0 if it did not within 5 s. */
static int
t_wait(uint32_t id)
{
	if (id == 0)
		return 0;
	t_done = 0;
	memset(&t_res, 0, sizeof(t_res));
	t_meta[0] = '\0';
	ev_timer_start(&t_guard, 5000);
	evloop_run();
	ev_timer_stop(&t_guard);
	return t_done;
}

static void
t_start(void)
{
	t_pid = fork();
	if (t_pid == 0) {
		int fd = open(t_log, O_WRONLY | O_CREAT | O_APPEND, 0644);
		log_init("store", 0);
		log_set_fd(fd);
		close(t_sv[1]);
		_exit(store_main(&t_cfg, &t_cd, &t_sv[0], 1, -1));
	}
}

static void
t_kill(void)
{
	if (t_pid > 0) {
		kill(t_pid, SIGKILL);
		waitpid(t_pid, NULL, 0);
		t_pid = -1;
	}
}

static int
t_stats(uint64_t *objects, uint64_t *bytes)
{
	if (!t_wait(store_client_stats(t_sc, t_cb, NULL)) ||
	    t_res.status != STORE_CLIENT_OK)
		return -1;
	*objects = t_res.objects;
	*bytes = t_res.bytes;
	return 0;
}

static void
t_body(int n, char *buf, size_t *len)
{
	*len = 1000 + (size_t)(n * 37) % 5000;
	memset(buf, 'a' + n % 26, *len);
	snprintf(buf, 16, "body%d.", n);
}

/* begin, write the record, commit; the store's answer to the commit */
static int
t_put(const char *key, const char *body, size_t len, int complete)
{
	const char *meta = "HTTP/1.1 200 OK\r\n\r\n";
	long hl;
	int fd;

	if (!t_wait(store_client_begin(t_sc, key, strlen(key), len, t_cb,
	    NULL)) || t_res.status != STORE_CLIENT_OK)
		return -1;
	fd = t_res.fd;
	hl = store_client_write_head(fd, key, strlen(key), meta, strlen(meta),
	    0, 0, time(NULL));
	if (hl < 0 || pwrite(fd, body, len, hl) != (ssize_t)len ||
	    (complete && store_client_write_head(fd, key, strlen(key), meta,
	    strlen(meta), len, 1, time(NULL)) != hl)) {
		close(fd);
		t_wait(store_client_abort(t_sc, t_res.token, t_cb, NULL));
		return -2;
	}
	close(fd);
	if (!t_wait(store_client_commit(t_sc, t_res.token, t_cb, NULL)))
		return -1;
	return t_res.status == STORE_CLIENT_OK ? 0 : t_res.error;
}

/* 1 hit with exactly body and meta, 0 miss, -1 anything else */
static int
t_get_meta(const char *key, const char *body, size_t len, const char *meta)
{
	char *got;
	int rc;

	if (!t_wait(store_client_lookup(t_sc, key, strlen(key), t_cb, NULL)))
		return -1;
	if (t_res.status == STORE_CLIENT_MISS)
		return 0;
	if (t_res.status != STORE_CLIENT_OK)
		return -1;
	got = malloc(len + 1);
	rc = t_res.body_len == len &&
	    pread(t_res.fd, got, len + 1, (off_t)t_res.body_off) ==
	    (ssize_t)len && memcmp(got, body, len) == 0 &&
	    strcmp(t_meta, meta) == 0 ? 1 : -1;
	free(got);
	close(t_res.fd);
	return rc;
}

static int
t_get(const char *key, const char *body, size_t len)
{
	return t_get_meta(key, body, len, "HTTP/1.1 200 OK\r\n\r\n");
}

static int
t_count_dir(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *de;
	int n = 0;

	if (d == NULL)
		return -1;
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

/* Every file of the tree is a valid complete record; returns their count. */
static int
t_check_tree(int *bad)
{
	char path[1024], fpath[1400];
	int n = 0;

	*bad = 0;
	for (int a = 0; a < t_cd.l1; a++)
		for (int b = 0; b < t_cd.l2; b++) {
			DIR *d;
			struct dirent *de;

			snprintf(path, sizeof(path), "%s/%02X/%02X",
			    t_cd.path, a, b);
			if ((d = opendir(path)) == NULL)
				continue;
			while ((de = readdir(d)) != NULL) {
				static unsigned char buf[70000];
				struct store_record r;
				struct stat sb;
				ssize_t len;
				int fd;

				if (de->d_name[0] == '.')
					continue;
				snprintf(fpath, sizeof(fpath), "%s/%s", path,
				    de->d_name);
				n++;
				fd = open(fpath, O_RDONLY);
				len = fd == -1 ? -1 : read(fd, buf,
				    sizeof(buf));
				if (fd == -1 || fstat(fd, &sb) == -1 ||
				    len < 0 ||
				    store_record_decode(buf, (size_t)len, &r)
				    != STORE_RECORD_OK ||
				    store_record_validate(&r, (uint64_t)
				    sb.st_size) != STORE_RECORD_OK)
					(*bad)++;
				if (fd != -1)
					close(fd);
			}
			closedir(d);
		}
	return n;
}

static int
t_log_has(const char *needle)
{
	char buf[65536];
	int fd = open(t_log, O_RDONLY);
	ssize_t n;

	if (fd == -1)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		return 0;
	buf[n] = '\0';
	return strstr(buf, needle) != NULL;
}

static void
t_setup(const char *dir, int64_t max_size)
{
	memset(&t_cd, 0, sizeof(t_cd));
	t_cd.type = "ufs";
	t_cd.path = (char *)dir;
	t_cd.max_size = max_size;
	t_cd.l1 = 2;
	t_cd.l2 = 4;
	t_cd.max_obj_size = -1;
	snprintf(t_log, sizeof(t_log), "%s.log", dir);
	unlink(t_log);
}

/* The kill -9 test: four writers commit in parallel until the store dies. */
#define T_CHAINS	4
struct t_chain {
	int		 n;		/* object number being stored */
	uint32_t	 id;		/* outstanding request */
	int		 state;		/* 0 begin sent, 1 commit sent */
};
static struct t_chain t_chains[T_CHAINS];
static int t_next_obj, t_committed[2000], t_stop_chains;

static void t_chain_cb(void *arg, const struct store_client_result *r);

static void
t_chain_begin(struct t_chain *c)
{
	char key[64];

	if (t_next_obj >= 2000)
		return;
	c->n = t_next_obj++;
	c->state = 0;
	snprintf(key, sizeof(key), "GET http://t.test/k%d", c->n);
	c->id = store_client_begin(t_sc, key, strlen(key), 0, t_chain_cb, c);
}

static void
t_chain_cb(void *arg, const struct store_client_result *r)
{
	struct t_chain *c = arg;
	char key[64], body[8000];
	size_t len;
	long hl;

	c->id = 0;
	if (c->state == 1 && r->status == STORE_CLIENT_OK)
		t_committed[c->n] = 1;
	if (c->state == 0 && r->status == STORE_CLIENT_OK) {
		snprintf(key, sizeof(key), "GET http://t.test/k%d", c->n);
		t_body(c->n, body, &len);
		hl = store_client_write_head(r->fd, key, strlen(key), "HTTP/1.1 "
		    "200 OK\r\n\r\n", 19, 0, 0, time(NULL));
		if (hl > 0 && pwrite(r->fd, body, len, hl) == (ssize_t)len)
			store_client_write_head(r->fd, key, strlen(key),
			    "HTTP/1.1 200 OK\r\n\r\n", 19, len, 1, time(NULL));
		close(r->fd);
		c->state = 1;
		c->id = store_client_commit(t_sc, r->token, t_chain_cb, c);
		return;
	}
	if (!t_stop_chains)
		t_chain_begin(c);
}

static void
t_killer_cb(struct ev_timer *t)
{
	t_kill();
	t_stop_chains = 1;
	for (int i = 0; i < T_CHAINS; i++)
		if (t_chains[i].id != 0)
			store_client_cancel(t_sc, t_chains[i].id);
	evloop_stop();
}

static void
t_kill9(void)
{
	struct ev_timer killer;
	char tmp[1100], key[64], body[8000];
	uint64_t objs, bytes;
	int rounds_ok = 1, lost = 0, wrong = 0, bad, files, total = 0;

	ev_timer_init(&killer, t_killer_cb, NULL);
	for (int round = 0; round < 3; round++) {
		t_stop_chains = 0;
		for (int i = 0; i < T_CHAINS; i++)
			t_chain_begin(&t_chains[i]);
		ev_timer_start(&killer, 40 + (uint64_t)round * 25);
		ev_timer_start(&t_guard, 5000);
		evloop_run();
		ev_timer_stop(&t_guard);
		t_start();
		/* twice: aborts for cancelled begins go out after the first */
		if (t_stats(&objs, &bytes) == -1 ||
		    t_stats(&objs, &bytes) == -1)
			rounds_ok = 0;
	}
	ok(rounds_ok, "store restarted after each kill -9");
	for (int n = 0; n < t_next_obj; n++) {
		size_t len;
		int rc;

		snprintf(key, sizeof(key), "GET http://t.test/k%d", n);
		t_body(n, body, &len);
		rc = t_get(key, body, len);
		if (rc == -1)
			wrong++;
		else if (rc == 0 && t_committed[n])
			lost++;
		total += t_committed[n];
	}
	printf("# kill -9: %d objects begun, %d commits acknowledged\n",
	    t_next_obj, total);
	ok(total > 10, "commits happened before the kills (%d)", total);
	is_int(lost, 0, "no acknowledged commit lost");
	is_int(wrong, 0, "no lookup served a wrong or partial body");
	snprintf(tmp, sizeof(tmp), "%s/tmp", t_cd.path);
	is_int(t_count_dir(tmp), 0, "no temp files left");
	files = t_check_tree(&bad);
	is_int(bad, 0, "every file in the tree is a complete record");
	t_stats(&objs, &bytes);
	is_int(files, objs, "files on disk == indexed objects");
}

static void
t_enospc(const char *base)
{
	static char mnt[1024], cache[1100], tmp[1200], body[64 * 1024];
	char key[64];
	uint64_t objs, bytes;
	int stored = 0, rc = 0, i;

	if (geteuid() != 0) {
		printf("# skip ENOSPC test: needs root to mount a tmpfs\n");
		return;
	}
	snprintf(mnt, sizeof(mnt), "%s/small", base);
	mkdir(mnt, 0700);
	if (mount("tmpfs", mnt, "tmpfs", 0, "size=512k") == -1) {
		printf("# skip ENOSPC test: mount tmpfs: %s\n", strerror(errno));
		return;
	}
	snprintf(cache, sizeof(cache), "%s/cache", mnt);
	t_setup(cache, 64 << 20);	/* far more than the filesystem holds */
	ok(store_create_dirs(&t_cd) == 0, "ENOSPC: -z on the tmpfs");
	t_start();
	memset(body, 'z', sizeof(body));
	for (i = 0; i < 20; i++) {
		snprintf(key, sizeof(key), "GET http://full.test/%d", i);
		if ((rc = t_put(key, body, sizeof(body), 1)) != 0)
			break;
		stored++;
	}
	ok(stored > 0 && i < 20, "ENOSPC: the disk filled after %d objects "
	    "(rc %d)", stored, rc);
	ok(t_stats(&objs, &bytes) == 0, "ENOSPC: store still answers");
	is_int(objs, stored, "ENOSPC: the failed object is not indexed");
	snprintf(key, sizeof(key), "GET http://full.test/%d", 0);
	is_int(t_get(key, body, sizeof(body)), 1,
	    "ENOSPC: earlier objects still served");
	snprintf(key, sizeof(key), "GET http://full.test/%d", stored);
	is_int(t_get(key, body, sizeof(body)), 0,
	    "ENOSPC: the failed object is a miss");
	snprintf(tmp, sizeof(tmp), "%s/tmp", t_cd.path);
	is_int(t_count_dir(tmp), 0, "ENOSPC: temp file removed");
	snprintf(key, sizeof(key), "GET http://full.test/%d", 0);
	t_wait(store_client_delete(t_sc, key, strlen(key), t_cb, NULL));
	snprintf(key, sizeof(key), "GET http://full.test/again");
	is_int(t_put(key, body, 1000, 1), 0,
	    "ENOSPC: storing works again once there is room");
	t_kill();
	t_start();
	is_int(t_stats(&objs, &bytes), 0, "ENOSPC: restarted");
	is_int(objs, stored, "ENOSPC: restart finds the objects");
	t_kill();
	umount2(mnt, MNT_DETACH);
}

/* The path of the one object file of the tree (or "" without one). */
static void
t_find_file(char *out, size_t n)
{
	char path[1024];

	out[0] = '\0';
	for (int a = 0; a < t_cd.l1; a++)
		for (int b = 0; b < t_cd.l2; b++) {
			DIR *d;
			struct dirent *de;

			snprintf(path, sizeof(path), "%s/%02X/%02X",
			    t_cd.path, a, b);
			if ((d = opendir(path)) == NULL)
				continue;
			while ((de = readdir(d)) != NULL)
				if (de->d_name[0] != '.')
					snprintf(out, n, "%.1000s/%.255s",
					    path, de->d_name);
			closedir(d);
		}
}

/* A descriptor still reads body at off. */
static int
t_fd_reads(int fd, uint64_t off, const char *body, size_t len)
{
	char got[10000];

	return pread(fd, got, len, (off_t)off) == (ssize_t)len &&
	    memcmp(got, body, len) == 0;
}

/* UPDATE: a new meta for a stored body, in place or in a new file. */
static void
t_update(const char *base)
{
	static const char key[] = "GET http://u.test/";
	const char *m0 = "HTTP/1.1 200 OK\r\n\r\n";
	const char *m1 = "HTTP/1.1 200 OK\r\nCache-Control: max-age=60\r\n\r\n";
	static char m2[3000];
	char dir[256], body[10000], path[1400], tpath[512];
	const char *metas[3];
	uint64_t off0, objs, bytes;
	size_t len, kl = strlen(key);
	int fd0, fd1, bad;

	snprintf(m2, sizeof(m2), "HTTP/1.1 200 OK\r\nX-Big: %02500d\r\n\r\n",
	    7);
	snprintf(dir, sizeof(dir), "%s/upd", base);
	snprintf(tpath, sizeof(tpath), "%s/tmp", dir);
	t_setup(dir, 10 << 20);
	store_create_dirs(&t_cd);
	t_start();
	t_body(5, body, &len);
	is_int(t_put(key, body, len, 1), 0, "update: object stored");
	ok(t_wait(store_client_update(t_sc, "GET http://none/", 16, m0,
	    strlen(m0), m1, strlen(m1), t_cb, NULL)) &&
	    t_res.status == STORE_CLIENT_MISS, "update of a missing key: miss");
	ok(t_wait(store_client_update(t_sc, key, kl, m1, strlen(m1), m1,
	    strlen(m1), t_cb, NULL)) && t_res.status == STORE_CLIENT_MISS,
	    "update of another version: miss");
	is_int(t_get(key, body, len), 1, "and the object is unchanged");

	/* in place */
	t_wait(store_client_lookup(t_sc, key, kl, t_cb, NULL));
	fd0 = t_res.fd;
	off0 = t_res.body_off;
	ok(t_wait(store_client_update(t_sc, key, kl, m0, strlen(m0), m1,
	    strlen(m1), t_cb, NULL)) && t_res.status == STORE_CLIENT_OK,
	    "update in place");
	is_int(t_get_meta(key, body, len, m1), 1, "hit with the new meta");
	ok(t_res.body_off == off0, "the body did not move");
	ok(t_fd_reads(fd0, off0, body, len), "an earlier reader still reads "
	    "the body");
	ok(t_check_tree(&bad) == 1 && bad == 0, "one valid file");
	t_kill();
	t_start();
	is_int(t_get_meta(key, body, len, m1), 1, "new meta after restart");

	/* too long for the room: a new file */
	t_wait(store_client_lookup(t_sc, key, kl, t_cb, NULL));
	fd1 = t_res.fd;
	ok(t_wait(store_client_update(t_sc, key, kl, m1, strlen(m1), m2,
	    strlen(m2), t_cb, NULL)) && t_res.status == STORE_CLIENT_OK,
	    "update into a new file");
	is_int(t_get_meta(key, body, len, m2), 1, "hit with the long meta");
	ok(t_res.body_off > off0, "the body moved");
	ok(t_fd_reads(fd1, off0, body, len) && t_fd_reads(fd0, off0, body,
	    len), "earlier readers still read the old file's body");
	ok(t_check_tree(&bad) == 1 && bad == 0, "the old file is gone");
	is_int(t_count_dir(tpath), 0, "no temp file left");
	close(fd0);
	close(fd1);
	t_kill();
	t_start();
	is_int(t_get_meta(key, body, len, m2), 1, "long meta after restart");

	/* kill -9 in the middle of a stream of updates, both kinds */
	metas[0] = m0;
	metas[1] = m1;
	metas[2] = m2;
	{
		int cur = 2, good = 1;

		for (int round = 0; round < 20; round++) {
			for (int i = 0; i < 40; i++) {
				int next = (cur + 1 + i % 2) % 3;
				store_client_update(t_sc, key, kl, metas[cur],
				    strlen(metas[cur]), metas[next],
				    strlen(metas[next]), NULL, NULL);
				cur = next;
			}
			usleep((useconds_t)(200 + rand() % 3000));
			t_kill();
			/* what the dead store did not read is not resent */
			{
				char drain[200000];
				while (recv(t_sv[0], drain, sizeof(drain),
				    MSG_DONTWAIT) > 0)
					;
			}
			t_start();
			int hit = -1;
			for (int k = 0; k < 3 && hit != 1; k++)
				if ((hit = t_get_meta(key, body, len,
				    metas[k])) == 1)
					cur = k;
			if (hit != 1 || t_check_tree(&bad) != 1 || bad != 0 ||
			    t_stats(&objs, &bytes) != 0 || objs != 1)
				good = 0;
			if (!good)
				break;
		}
		ok(good, "kill -9 during updates: the object is whole, with "
		    "one of its metas, in one valid file");
	}

	/* a header torn by a crash is refused, not served */
	t_kill();
	t_find_file(path, sizeof(path));
	{
		int fd = open(path, O_WRONLY);
		ok(fd != -1 && pwrite(fd, "XX", 2, STORE_RECORD_FIXED +
		    (off_t)kl + 5) == 2, "header damaged");
		close(fd);
	}
	t_start();
	is_int(t_get(key, body, len), 0, "a torn header: miss");
	ok(t_check_tree(&bad) == 0, "and its file is removed");
	t_kill();
}

int
main(void)
{
	char base[] = "/tmp/t_store.XXXXXX", dir[256], path[512];
	char body[10000];
	uint64_t objs, bytes;
	size_t len;
	int fd, bad;

	signal(SIGPIPE, SIG_IGN);
	log_init("t_store", 0);
	if (mkdtemp(base) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	evloop_init();
	ev_timer_init(&t_guard, t_guard_cb, NULL);
	t_cfg.cache_swap_low = 90;
	t_cfg.cache_swap_high = 95;
	t_cfg.maximum_object_size = 4 << 20;
	t_cfg.cache_replacement_policy = CFG_POLICY_LRU;

	/* -z */
	snprintf(dir, sizeof(dir), "%s/cache", base);
	t_setup(dir, 10 << 20);
	is_int(store_create_dirs(&t_cd), 0, "store_create_dirs");
	snprintf(path, sizeof(path), "%s/01/03", dir);
	ok(access(path, F_OK) == 0, "L1/L2 tree made");
	snprintf(path, sizeof(path), "%s/cuttle.gdbm", dir);
	ok(access(path, F_OK) == 0, "empty index made");
	is_int(store_create_dirs(&t_cd), 0, "-z again leaves what exists");

	/* a missing directory is a clear error */
	{
		struct cfg_cache_dir missing = t_cd;
		int status;
		pid_t p;

		snprintf(path, sizeof(path), "%s/nope", base);
		missing.path = path;
		if ((p = fork()) == 0) {
			int lfd = open(t_log, O_WRONLY | O_CREAT | O_APPEND,
			    0644);
			log_set_fd(lfd);
			_exit(store_main(&t_cfg, &missing, NULL, 0, -1));
		}
		waitpid(p, &status, 0);
		ok(WIFEXITED(status) && WEXITSTATUS(status) == 1,
		    "missing cache_dir: the store exits 1");
		ok(t_log_has("run cuttle -z"), "and says why");
	}

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, t_sv) == -1) {
		perror("socketpair");
		return 1;
	}
	t_start();
	t_sc = store_client_new(t_sv[1]);

	/* the request cycle */
	is_int(t_get("GET http://a.test/", "", 0), 0, "miss before storing");
	is_int(t_put("GET http://a.test/", "hello world", 11, 1), 0,
	    "commit accepted");
	is_int(t_get("GET http://a.test/", "hello world", 11), 1,
	    "hit: body and metadata right");
	ok(t_res.timestamp > 0, "hit carries the store time");
	is_int(t_put("GET http://a.test/", "second version", 14, 1), 0,
	    "replacing commit accepted");
	is_int(t_get("GET http://a.test/", "second version", 14), 1,
	    "hit: the new version");
	is_int(t_put("GET http://b.test/", "partial", 7, 0), EINVAL,
	    "incomplete record refused");
	is_int(t_get("GET http://b.test/", "", 0), 0, "and not cached");
	snprintf(path, sizeof(path), "%s/tmp", dir);
	is_int(t_count_dir(path), 0, "refused temp file removed");
	ok(t_wait(store_client_begin(t_sc, "GET http://c.test/", 18, 0, t_cb,
	    NULL)) && t_res.status == STORE_CLIENT_OK && t_res.fd >= 0,
	    "begin gives a descriptor");
	close(t_res.fd);
	is_int(t_count_dir(path), 1, "temp file exists");
	t_wait(store_client_abort(t_sc, t_res.token, t_cb, NULL));
	is_int(t_count_dir(path), 0, "abort removes it");
	{
		uint32_t id = store_client_begin(t_sc, "GET http://d.test/",
		    18, 0, t_cb, NULL);
		store_client_cancel(t_sc, id);
		id = store_client_lookup(t_sc, "GET http://a.test/", 18, t_cb,
		    NULL);
		store_client_cancel(t_sc, id);
		t_stats(&objs, &bytes);
		is_int(t_res.objects, 1, "stats after cancelled requests");
		t_stats(&objs, &bytes);
		is_int(t_count_dir(path), 0, "cancelled begin aborted");
		is_int(store_client_pending(t_sc), 0, "nothing pending");
	}
	is_int(t_wait(store_client_begin(t_sc, "GET http://e.test/", 18,
	    (uint64_t)8 << 20, t_cb, NULL)) ? t_res.error : -1, EFBIG,
	    "begin over maximum_object_size refused");
	ok(t_wait(store_client_delete(t_sc, "GET http://a.test/", 18, t_cb,
	    NULL)) && t_res.status == STORE_CLIENT_OK, "delete");
	is_int(t_get("GET http://a.test/", "", 0), 0, "miss after delete");
	ok(t_wait(store_client_delete(t_sc, "GET http://a.test/", 18, t_cb,
	    NULL)) && t_res.status == STORE_CLIENT_MISS, "delete again: miss");

	/* persistence */
	t_body(1, body, &len);
	is_int(t_put("GET http://p.test/1", body, len, 1), 0, "store p1");
	t_body(2, body, &len);
	is_int(t_put("GET http://p.test/2", body, len, 1), 0, "store p2");
	t_kill();
	t_start();
	is_int(t_get("GET http://p.test/2", body, len), 1,
	    "hit after restart");
	ok(t_stats(&objs, &bytes) == 0 && objs == 2, "2 objects after restart");
	ok(t_log_has("cache_dir") && t_log_has(": 2 objects"),
	    "start logs the object count");

	/* kill -9 while committing */
	t_kill9();

	/* a corrupted index */
	t_kill();
	snprintf(path, sizeof(path), "%s/cuttle.gdbm", dir);
	fd = open(path, O_WRONLY);
	memset(body, 0xab, 4096);
	ok(fd != -1 && pwrite(fd, body, 4096, 0) == 4096, "index overwritten");
	close(fd);
	t_start();
	{
		uint64_t o2, b2;
		t_body(1, body, &len);
		is_int(t_get("GET http://p.test/1", body, len), 1,
		    "hit after the index was rebuilt");
		is_int(t_stats(&o2, &b2), 0, "stats after the rebuild");
		ok(o2 > 2, "rebuilt %llu objects", (unsigned long long)o2);
		ok(t_log_has("index rebuilt from"), "cache.log says "
		    "'index rebuilt from N files'");
		t_kill();
		fd = open(path, O_WRONLY | O_TRUNC);
		close(fd);
		t_start();
		is_int(t_stats(&objs, &bytes), 0, "stats after truncation");
		is_int(objs, o2, "truncated index: all objects found again");
	}
	t_kill();

	/* eviction: 100 KB, 10 KB objects, LRU */
	snprintf(dir, sizeof(dir), "%s/small", base);
	t_setup(dir, 100 * 1024);
	store_create_dirs(&t_cd);
	t_start();
	memset(body, 'e', 9000);
	{
		char key[64];
		int all = 1;

		for (int i = 0; i < 12; i++) {
			snprintf(key, sizeof(key), "GET http://ev.test/%d", i);
			if (t_put(key, body, 9000, 1) != 0)
				all = 0;
			if (i == 7)
				t_get("GET http://ev.test/0", body, 9000);
		}
		ok(all, "12 objects committed");
		is_int(t_stats(&objs, &bytes), 0, "stats");
		ok(bytes <= 100 * 1024 / 100 * 95, "under cache_swap_high: "
		    "%llu bytes in %llu objects", (unsigned long long)bytes,
		    (unsigned long long)objs);
		ok(objs < 12, "some were evicted");
		is_int(t_get("GET http://ev.test/0", body, 9000), 1,
		    "recently used object kept");
		is_int(t_get("GET http://ev.test/1", body, 9000), 0,
		    "least recently used object evicted");
		is_int(t_get("GET http://ev.test/11", body, 9000), 1,
		    "newest object kept");
		ok(t_check_tree(&bad) == (int)objs && bad == 0,
		    "evicted files are gone from the disk");
	}
	t_kill();

	t_update(base);

	t_enospc(base);

	store_client_free(t_sc);
	if (getenv("KEEP") == NULL) {
		char cmd[600];
		snprintf(cmd, sizeof(cmd), "rm -rf %s %s", base, base);
		if (system(cmd) != 0)
			printf("# could not remove %s\n", base);
	}
	return tap_done();
}
