/*
 * Unit tests for ssl_db.c and ssl_db_index.c: index.txt rows as TXT_DB
 * reads and writes them, the cache key, size accounting in whole blocks,
 * lookup rules and the eviction order, on a DB in a temp directory.
 */
#include "config.h"
#include "ssl_db.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bn.h>

#include "tap.h"
#include "testca.h"

static char dbdir[256];

static void
test_index(void)
{
	static const char text[] =
	    "# a comment\n"
	    "/CN=a+Sign=signTrusted+SignHash=SHA256\t361119130423Z\t\t0AF7\t/CN=a\n"
	    "k\\\tb\t361119130423Z\t\tAF8\t/CN=b\n"
	    "unterminated\tline";
	struct ssl_db_index idx;
	char *out;
	size_t len;

	is_int(ssl_db_index_parse(&idx, text, strlen(text)), 0, "index parses");
	is_int(idx.n, 2, "comment and unterminated last line skipped");
	is_str(idx.rows[1].col[SSL_DB_KEY], "k\tb", "escaped TAB in a value");
	is_str(idx.rows[0].col[SSL_DB_REVOKED], "", "empty column");
	is_int(ssl_db_index_find_serial(&idx, "AF7"), 0,
	    "serials compare without leading zeros");
	is_int(ssl_db_index_find_key(&idx, "k\tb"), 1, "find by key");
	is_int(ssl_db_index_find_key(&idx, "nope"), -1, "missing key");
	out = ssl_db_index_format(&idx, &len);
	is_str(out, "/CN=a+Sign=signTrusted+SignHash=SHA256\t361119130423Z\t\t"
	    "0AF7\t/CN=a\nk\\\tb\t361119130423Z\t\tAF8\t/CN=b\n",
	    "written back as TXT_DB writes it");
	free(out);
	ssl_db_index_free(&idx);
	is_int(idx.n, 0, "freed");

	is_int(ssl_db_index_parse(&idx, "a\tb\tc\td\n", 8), -1,
	    "four columns: corrupted");
	is_int(ssl_db_index_parse(&idx, "a\tb\tc\td\te\tf\n", 12), -1,
	    "six columns: corrupted");
	is_int(ssl_db_index_parse(&idx, "\n", 1), -1, "empty line: corrupted");
	is_int(ssl_db_index_parse(&idx, "k\tx\t\t1\tn\nk\tx\t\t2\tn\n", 18), -1,
	    "repeated key: corrupted");
	is_int(ssl_db_index_parse(&idx, "k\tx\t\t1\tn\nj\tx\t\t01\tn\n", 19), -1,
	    "repeated serial: corrupted");
}

/*
 * Many rows: every one found by key and serial as rows are appended
 * (the tables grow), after removals (row numbers shift), and a big file
 * loads in linear time (the tables, not a search per row, check that
 * keys and serials are unique).
 */
static void
test_index_many(void)
{
	enum { N = 3000 };
	struct ssl_db_index idx;
	char key[32], serial[32], *text;
	const char *col[SSL_DB_COLUMNS] = { key, "x", NULL, serial, "n" };
	int i, bad = 0;
	size_t len;

	memset(&idx, 0, sizeof(idx));
	for (i = 0; i < N; i++) {
		snprintf(key, sizeof(key), "key%d", i);
		snprintf(serial, sizeof(serial), "%X", i + 1);
		if (ssl_db_index_append(&idx, col) != 0 ||
		    ssl_db_index_find_key(&idx, key) != i ||
		    ssl_db_index_find_key(&idx, "key0") != 0)
			bad++;
	}
	is_int(bad, 0, "each appended row found at once");
	ssl_db_index_remove(&idx, 0);
	ssl_db_index_remove(&idx, 100);
	for (i = 0, bad = 0; i < N; i++) {
		long want = i == 0 || i == 101 ? -1 : i < 101 ? i - 1 : i - 2;
		snprintf(key, sizeof(key), "key%d", i);
		snprintf(serial, sizeof(serial), "000%X", i + 1);
		if (ssl_db_index_find_key(&idx, key) != want ||
		    ssl_db_index_find_serial(&idx, serial) != want)
			bad++;
	}
	is_int(bad, 0, "rows found where they moved after removals");
	text = ssl_db_index_format(&idx, &len);
	ssl_db_index_free(&idx);
	is_int(ssl_db_index_parse(&idx, text, len), 0, "%d rows load", N - 2);
	is_int(ssl_db_index_find_serial(&idx, "BB8"), N - 3, "last serial");
	ssl_db_index_free(&idx);
	free(text);
}

static void
test_key(void)
{
	struct tls_mint_req req = { .cn = "host.dom" };
	char *k;

	k = ssl_db_key(&req);
	is_str(k, "/CN=host.dom+Sign=signTrusted+SignHash=SHA256",
	    "key without a mimic cert; defaults filled in");
	free(k);
	req.cn = "forced.example";
	req.set_common_name = req.set_valid_after = req.set_valid_before = 1;
	req.md = EVP_sha384();
	req.sign = TLS_MINT_SIGN_UNTRUSTED;
	k = ssl_db_key(&req);
	is_str(k, "/CN=forced.example+SetValidAfter=on+SetValidBefore=on"
	    "+SetCommonName=forced.example+Sign=signUntrusted+SignHash=SHA384",
	    "key with every adaptation");
	free(k);
	req.mimic = testca_origin;
	req.set_common_name = req.set_valid_after = req.set_valid_before = 0;
	req.md = NULL;
	k = ssl_db_key(&req);
	ok(strlen(k) > 128 && strspn(k, "0123456789abcdef") > 128 &&
	    strstr(k, "+Sign=signUntrusted+SignHash=SHA256") != NULL,
	    "mimic: the origin signature in lowercase hex");
	free(k);
}

static char *
file_text(const char *name)
{
	char path[512], *s;
	FILE *f;
	long n;

	snprintf(path, sizeof(path), "%s/%s", dbdir, name);
	if ((f = fopen(path, "r")) == NULL)
		return strdup("(missing)");
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	s = calloc(1, n + 1);
	if (fread(s, 1, n, f) != (size_t)n)
		s[0] = '\0';
	fclose(f);
	return s;
}

static void
put_file(const char *name, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dbdir, name);
	f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
}

static long
size_file(void)
{
	char *s = file_text("size");
	long v = atol(s);

	free(s);
	return v;
}

/* Mint for host and store it; the cert's serial in hex in serial. */
static void
add_host(struct ssl_db *db, const char *host, char *serial, size_t n)
{
	struct tls_mint_req req = {
		.ca_cert = testca, .ca_key = testca_key, .cn = host,
	};
	EVP_PKEY *key;
	X509 *c = tls_mint(&req, &key);
	char *k = ssl_db_key(&req), *err = NULL, *hex;
	BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(c), NULL);

	hex = BN_bn2hex(bn);
	snprintf(serial, n, "%s", hex);
	if (ssl_db_add(db, k, c, key, NULL, &err) == -1)
		printf("# add %s: %s\n", host, err ? err : "failed");
	OPENSSL_free(hex);
	BN_free(bn);
	free(k);
	free(err);
	X509_free(c);
	EVP_PKEY_free(key);
}

/* Is key for host in db (found by the handle, not by reading files)? */
static int
has_host(struct ssl_db *db, const char *host)
{
	struct tls_mint_req req = {
		.ca_cert = testca, .ca_key = testca_key, .cn = host,
	};
	char *k = ssl_db_key(&req), *err = NULL;
	X509 *cert = NULL;
	EVP_PKEY *key = NULL;
	int r = ssl_db_find(db, k, NULL, &cert, &key, &err);

	X509_free(cert);
	EVP_PKEY_free(key);
	free(k);
	free(err);
	return r == 1;
}

/*
 * Two handles on one directory, as two helpers (or ours and Squid's):
 * each keeps its parsed index between requests and appends new rows, yet
 * sees every change the other (or anyone) makes to index.txt, and the
 * file stays exactly what a whole rewrite would make.
 */
static void
test_db_shared(void)
{
	struct ssl_db *a, *b;
	struct ssl_db_index idx;
	char *err = NULL, *s, *again, serial[64], path[512];
	size_t len;

	snprintf(dbdir, sizeof(dbdir), "/tmp/t_ssl_db_shared.%d", (int)getpid());
	is_int(ssl_db_create(dbdir, &err), 0, "create");
	a = ssl_db_open(dbdir, 1 << 20, 4096, &err);
	b = ssl_db_open(dbdir, 1 << 20, 4096, &err);
	ok(a != NULL && b != NULL, "two handles");
	add_host(a, "s1.test", serial, sizeof(serial));
	add_host(b, "s2.test", serial, sizeof(serial));
	add_host(a, "s3.test", serial, sizeof(serial));
	ok(has_host(a, "s2.test") && has_host(b, "s3.test") &&
	    has_host(b, "s1.test"), "each sees the other's rows");
	s = file_text("index.txt");
	ok(strstr(s, "/CN=s1.test") < strstr(s, "/CN=s2.test") &&
	    strstr(s, "/CN=s2.test") < strstr(s, "/CN=s3.test"),
	    "rows in the order they were added");
	memset(&idx, 0, sizeof(idx));
	is_int(ssl_db_index_parse(&idx, s, strlen(s)), 0, "the file parses");
	again = ssl_db_index_format(&idx, &len);
	is_str(again, s, "appended rows are what a whole rewrite writes");
	free(again);
	ssl_db_index_free(&idx);
	/* someone else drops the middle row behind both handles' backs */
	{
		char *nl1 = strchr(s, '\n'), *nl2 = strchr(nl1 + 1, '\n');

		memmove(nl1 + 1, nl2 + 1, strlen(nl2 + 1) + 1);
	}
	put_file("index.txt", s);
	free(s);
	ok(!has_host(a, "s2.test") && has_host(a, "s3.test") &&
	    !has_host(b, "s2.test"), "a change by another writer is seen");
	ssl_db_close(a);
	ssl_db_close(b);
	snprintf(path, sizeof(path), "rm -rf '%s'", dbdir);
	if (system(path) != 0)
		printf("# cleanup failed\n");
}

static void
test_db(void)
{
	struct ssl_db *db;
	struct tls_mint_req req = {
		.ca_cert = testca, .ca_key = testca_key, .cn = "h1.test",
	};
	char *err = NULL, *s, *k, serial[4][64], path[512];
	X509 *cert;
	EVP_PKEY *key;
	struct stat st;

	snprintf(dbdir, sizeof(dbdir), "/tmp/t_ssl_db.%d", (int)getpid());
	ok(ssl_db_open(dbdir, 8192, 4096, &err) == NULL && err != NULL &&
	    strstr(err, "Uninitialized SSL certificate database directory: ")
	    == err, "uninitialized DIR");
	free(err);
	err = NULL;
	is_int(ssl_db_create(dbdir, &err), 0, "create");
	s = file_text("size");
	is_str(s, "0", "size starts at 0, no newline");
	free(s);
	is_int(ssl_db_create(dbdir, &err), -1, "create twice fails");
	ok(err != NULL && strncmp(err, "Cannot create ", 14) == 0, "message");
	free(err);
	err = NULL;

	/* Room for two 4096-byte blocks; each cert file takes one. */
	db = ssl_db_open(dbdir, 8192, 4096, &err);
	ok(db != NULL, "open");
	add_host(db, "h1.test", serial[0], sizeof(serial[0]));
	add_host(db, "h2.test", serial[1], sizeof(serial[1]));
	is_int(size_file(), 8192, "size counts whole blocks");
	add_host(db, "h1.test", serial[0], sizeof(serial[0]));
	is_int(size_file(), 8192, "same serial again: nothing added");

	k = ssl_db_key(&req);
	is_int(ssl_db_find(db, k, NULL, &cert, &key, &err), 1, "found");
	ok(cert != NULL && EVP_PKEY_eq(key, testca_key) == 1, "cert and key read");
	X509_free(cert);
	EVP_PKEY_free(key);
	is_int(ssl_db_find(db, k, testca_origin, &cert, &key, &err), 0,
	    "a request with an origin cert does not match a row without");
	free(k);

	/* Eviction starts only once size is over -M before an insert. */
	add_host(db, "h3.test", serial[2], sizeof(serial[2]));
	is_int(size_file(), 12288, "at -M exactly: no eviction yet");
	add_host(db, "h4.test", serial[3], sizeof(serial[3]));
	is_int(size_file(), 12288, "over -M: one row evicted, one added");
	snprintf(path, sizeof(path), "%s/certs/%s.pem", dbdir, serial[0]);
	ok(stat(path, &st) == -1, "the oldest row's file went");
	s = file_text("index.txt");
	ok(strstr(s, "/CN=h1.test") == NULL && strstr(s, "/CN=h2.test+") &&
	    strstr(s, "/CN=h2.test") < strstr(s, "/CN=h3.test") &&
	    strstr(s, "/CN=h3.test") < strstr(s, "/CN=h4.test"),
	    "the oldest row went first; the others keep their order");
	free(s);

	/* An expired row goes before the oldest live one. */
	s = file_text("index.txt");
	memcpy(strchr(strstr(s, "/CN=h3.test+"), '\t') + 1, "000101000000Z", 13);
	put_file("index.txt", s);
	free(s);
	add_host(db, "h5.test", serial[0], sizeof(serial[0]));
	s = file_text("index.txt");
	ok(strstr(s, "/CN=h2.test+") && !strstr(s, "/CN=h3.test+") &&
	    strstr(s, "/CN=h4.test+") && strstr(s, "/CN=h5.test+"),
	    "the expired row was evicted first");
	free(s);

	/* A size file that cannot be right is rebuilt from the files. */
	put_file("size", "0");
	add_host(db, "h6.test", serial[0], sizeof(serial[0]));
	is_int(size_file(), 12288, "size rebuilt, then accounted");
	s = file_text("index.txt");
	ok(!strstr(s, "/CN=h2.test+"), "and the oldest evicted after the rebuild");
	free(s);
	ssl_db_close(db);

	is_int(ssl_db_round(1, 4096), 4096, "round up");
	is_int(ssl_db_round(4096, 4096), 4096, "exact");
	is_int(ssl_db_round(0, 4096), 0, "empty");
	ok(ssl_db_date_in_future("491231235959Z"), "2049 is in the future");
	ok(!ssl_db_date_in_future("000101000000Z"), "2000 is past");

	put_file("index.txt", "broken\n");
	err = NULL;
	ok(ssl_db_open(dbdir, 8192, 4096, &err) == NULL && err &&
	    strstr(err, "is corrupted. Please rebuild"), "corrupted index");
	free(err);
	snprintf(path, sizeof(path), "rm -rf '%s'", dbdir);
	if (system(path) != 0)
		printf("# cleanup failed\n");
}

int
main(void)
{
	testca_init();
	test_index();
	test_index_many();
	test_key();
	test_db();
	test_db_shared();
	return tap_done();
}
