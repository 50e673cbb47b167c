/*
 * ssl_db: the certificate cache directory on disk (see ssl_db.h).  Every
 * step copies Squid 5.7's certificate_db.cc in effect, including its
 * quirks (which row eviction takes first, when the size file is rebuilt,
 * that size counts whole blocks), because Squid's helper may be working on
 * the same directory at the same moment and must find what we leave.
 */
#include "config.h"
#include "ssl_db.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include "util.h"

static char *
ssl_db_path(const struct ssl_db *db, const char *name)
{
	return xasprintf("%s/%s", db->dir, name);
}

static char *
ssl_db_cert_path(const struct ssl_db *db, const char *serial)
{
	return xasprintf("%s/certs/%s.pem", db->dir, serial);
}

size_t
ssl_db_round(size_t size, size_t block)
{
	return (size + block - 1) / block * block;
}

int
ssl_db_date_in_future(const char *asn1_time)
{
	ASN1_TIME *t = ASN1_STRING_type_new(V_ASN1_UTCTIME);
	int rc = 0;

	/* Squid reads the column as UTCTime whatever its length. */
	if (t != NULL && ASN1_STRING_set(t, asn1_time, -1))
		rc = X509_cmp_current_time(t) > 0;
	ASN1_STRING_free(t);
	return rc;
}

char *
ssl_db_key(const struct tls_mint_req *req)
{
	const ASN1_BIT_STRING *sig;
	char *key, *p;
	size_t len;
	int i;

	len = strlen(req->cn) * 2 + 128;
	sig = NULL;
	if (req->mimic != NULL) {
		X509_get0_signature(&sig, NULL, req->mimic);
		if (sig != NULL)
			len += 2 * ASN1_STRING_length(sig);
	}
	if ((key = malloc(len)) == NULL)
		return NULL;
	p = key;
	*p = '\0';
	if (sig != NULL)
		for (i = 0; i < ASN1_STRING_length(sig); i++)
			p += sprintf(p, "%02x", ASN1_STRING_get0_data(sig)[i]);
	if (p == key)
		p += sprintf(p, "/CN=%s", req->cn);
	if (req->set_valid_after)
		p += sprintf(p, "+SetValidAfter=on");
	if (req->set_valid_before)
		p += sprintf(p, "+SetValidBefore=on");
	if (req->set_common_name)
		p += sprintf(p, "+SetCommonName=%s", req->cn);
	p += sprintf(p, "+Sign=%s", tls_mint_sign_name(req->sign));
	sprintf(p, "+SignHash=%s",
	    EVP_MD_get0_name(req->md != NULL ? req->md : EVP_sha256()));
	return key;
}

/* Forget the text idx was read from or written as. */
static void
ssl_db_forget_text(struct ssl_db *db)
{
	free(db->idx_text);
	db->idx_text = NULL;
	db->idx_len = 0;
}

/*
 * Read index.txt into db->idx (under the lock when db->lock_fd is set),
 * unless it still holds the text idx was last read from or written as.
 */
static int
ssl_db_load(struct ssl_db *db, char **err)
{
	char *path = ssl_db_path(db, "index.txt"), *text = NULL;
	size_t len = 0, cap = 0;
	ssize_t n;
	int fd, rc = -1;

	if (path == NULL || (fd = open(path, O_RDONLY)) == -1) {
		/* only a missing index means an uninitialized database */
		if (path != NULL && errno != ENOENT)
			*err = xasprintf("Failed to open file %s: %s", path,
			    strerror(errno));
		else
			*err = xasprintf("Uninitialized SSL certificate "
			    "database directory: %s. To initialize, run "
			    "\"security_file_certgen -c -s %s\".", db->dir,
			    db->dir);
		free(path);
		ssl_db_forget_text(db);
		ssl_db_index_free(&db->idx);
		return -1;
	}
	for (;;) {
		if (len + 4096 > cap) {
			char *t = realloc(text, cap = cap * 2 + 8192);
			if (t == NULL)
				goto out;
			text = t;
		}
		if ((n = read(fd, text + len, cap - len)) <= 0)
			break;
		len += n;
	}
	if (n == 0 && db->idx_text != NULL && len == db->idx_len &&
	    memcmp(text, db->idx_text, len) == 0) {
		rc = 0;		/* as we left it */
		goto out;
	}
	ssl_db_forget_text(db);
	ssl_db_index_free(&db->idx);
	if (n == -1 || ssl_db_index_parse(&db->idx, text, len) == -1)
		*err = xasprintf("The SSL certificate database %s is "
		    "corrupted. Please rebuild", db->dir);
	else {
		rc = 0;
		db->idx_text = text;
		db->idx_len = len;
		text = NULL;
	}
out:
	close(fd);
	free(text);
	free(path);
	return rc;
}

/*
 * Write db->idx to index.txt: whole, as TXT_DB_write does, or (append)
 * only its last row after the rows the file already holds, which gives
 * the same bytes.
 */
static int
ssl_db_write_index(struct ssl_db *db, int append, char **err)
{
	char *path = ssl_db_path(db, "index.txt"), *text, *all;
	size_t len;
	FILE *f;
	int rc = -1;

	append = append && db->idx_text != NULL;
	text = append ? ssl_db_index_format_from(&db->idx, db->idx.n - 1, &len) :
	    ssl_db_index_format(&db->idx, &len);
	if (text == NULL) {
		ssl_db_forget_text(db);
		goto out;
	}
	if ((f = fopen(path, append ? "a" : "w")) == NULL) {
		*err = xasprintf("Failed to initialize %s file for writing",
		    path);
		ssl_db_forget_text(db);
		goto out;
	}
	rc = fwrite(text, 1, len, f) == len ? 0 : -1;
	if (fclose(f) != 0)
		rc = -1;
	if (rc == -1) {
		*err = xasprintf("Failed to write %s file", path);
		ssl_db_forget_text(db);
	} else if (!append) {
		ssl_db_forget_text(db);
		db->idx_text = text;
		db->idx_len = len;
		text = NULL;
	} else if ((all = realloc(db->idx_text, db->idx_len + len)) != NULL) {
		memcpy(all + db->idx_len, text, len);
		db->idx_text = all;
		db->idx_len += len;
	} else
		ssl_db_forget_text(db);
out:
	free(text);
	free(path);
	return rc;
}

static int
ssl_db_save(struct ssl_db *db, char **err)
{
	return ssl_db_write_index(db, 0, err);
}

static int
ssl_db_lock(struct ssl_db *db, char **err)
{
	char *path = ssl_db_path(db, "index.txt");

	/* The same lock Squid's helper takes, so the two can share DIR. */
	if ((db->lock_fd = open(path, O_RDWR)) == -1) {
		*err = xasprintf("Failed to open file %s", path);
		free(path);
		return -1;
	}
	if (flock(db->lock_fd, LOCK_EX) == -1) {
		*err = xasprintf("Failed to get a lock of %s", path);
		close(db->lock_fd);
		db->lock_fd = -1;
		free(path);
		return -1;
	}
	free(path);
	return 0;
}

static void
ssl_db_unlock(struct ssl_db *db)
{
	if (db->lock_fd != -1) {
		flock(db->lock_fd, LOCK_UN);
		close(db->lock_fd);
		db->lock_fd = -1;
	}
}

static size_t
ssl_db_file_size(const struct ssl_db *db, const char *path)
{
	struct stat st;

	if (stat(path, &st) == -1)
		return 0;
	return ssl_db_round(st.st_size, db->block);
}

static int
ssl_db_write_size(struct ssl_db *db, size_t size)
{
	char *path = ssl_db_path(db, "size");
	FILE *f = fopen(path, "w");
	int rc = -1;

	free(path);
	if (f != NULL) {
		rc = fprintf(f, "%zu", size) < 0 ? -1 : 0;
		if (fclose(f) != 0)
			rc = -1;
	}
	return rc;
}

static size_t
ssl_db_rebuild_size(struct ssl_db *db)
{
	size_t i, size = 0;
	char *path;

	for (i = 0; i < db->idx.n; i++) {
		path = ssl_db_cert_path(db, db->idx.rows[i].col[SSL_DB_SERIAL]);
		size += ssl_db_file_size(db, path);
		free(path);
	}
	ssl_db_write_size(db, size);
	return size;
}

/* The size file; rebuilt from the files when missing or unreadable. */
static size_t
ssl_db_read_size(struct ssl_db *db)
{
	char *path = ssl_db_path(db, "size"), buf[64], *end;
	unsigned long long v;
	FILE *f = fopen(path, "r");
	size_t n = 0;

	free(path);
	if (f != NULL) {
		n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
	}
	buf[n] = '\0';
	errno = 0;
	v = strtoull(buf, &end, 10);
	if (f == NULL || end == buf || errno != 0 || strchr(buf, '-') != NULL)
		return ssl_db_rebuild_size(db);
	return v;
}

/* Remove a row and its file, taking its blocks off the size. */
static int
ssl_db_delete_row(struct ssl_db *db, size_t i, char **err)
{
	char *path = ssl_db_cert_path(db, db->idx.rows[i].col[SSL_DB_SERIAL]);
	size_t size, fsize;
	int rc = 0;

	ssl_db_index_remove(&db->idx, i);
	ssl_db_forget_text(db);	/* idx differs from the file until saved */
	size = ssl_db_read_size(db);
	fsize = ssl_db_file_size(db, path);
	ssl_db_write_size(db, size > fsize ? size - fsize : 0);
	if (remove(path) == -1 && errno != ENOENT) {
		*err = xasprintf("Failed to remove certificate file %s from "
		    "db", path);
		rc = -1;
	}
	free(path);
	return rc;
}

/* The first expired row, in file order; 1 if one was deleted. */
static int
ssl_db_delete_expired(struct ssl_db *db, char **err)
{
	size_t i;

	for (i = 0; i < db->idx.n; i++)
		if (!ssl_db_date_in_future(db->idx.rows[i].col[SSL_DB_EXPIRY]))
			return ssl_db_delete_row(db, i, err) == -1 ? -1 : 1;
	return 0;
}

int
ssl_db_create(const char *dir, char **err)
{
	struct ssl_db db = { .dir = (char *)dir };
	char *certs = ssl_db_path(&db, "certs");
	char *index = ssl_db_path(&db, "index.txt");
	FILE *f;
	int rc = -1;

	if (mkdir(dir, 0777) == -1)
		*err = xasprintf("Cannot create %s", dir);
	else if (mkdir(certs, 0777) == -1)
		*err = xasprintf("Cannot create %s", certs);
	else if (ssl_db_write_size(&db, 0) == -1)
		*err = xasprintf("Cannot open %s/size to open", dir);
	else if ((f = fopen(index, "w")) == NULL)
		*err = xasprintf("Cannot open %s to open", index);
	else {
		fclose(f);
		rc = 0;
	}
	free(certs);
	free(index);
	return rc;
}

struct ssl_db *
ssl_db_open(const char *dir, size_t max_size, size_t block, char **err)
{
	struct ssl_db *db = calloc(1, sizeof(*db));

	if (db == NULL || (db->dir = strdup(dir)) == NULL) {
		free(db);
		*err = xasprintf("out of memory");
		return NULL;
	}
	db->max_size = max_size;
	db->block = block ? block : 2048;
	db->lock_fd = -1;
	/* As Squid's startup check: the index must load; size gets fixed. */
	if (ssl_db_load(db, err) == -1) {
		ssl_db_close(db);
		return NULL;
	}
	(void)ssl_db_read_size(db);
	return db;
}

void
ssl_db_close(struct ssl_db *db)
{
	if (db == NULL)
		return;
	ssl_db_unlock(db);
	ssl_db_index_free(&db->idx);
	ssl_db_forget_text(db);
	free(db->dir);
	free(db);
}

static int
ssl_db_same_cert(X509 *a, X509 *b)
{
	unsigned char *da = NULL, *db = NULL;
	int la, lb, same;

	if (a == NULL || b == NULL)
		return 0;
	la = i2d_X509(a, &da);
	lb = i2d_X509(b, &db);
	same = la > 0 && la == lb && memcmp(da, db, la) == 0;
	OPENSSL_free(da);
	OPENSSL_free(db);
	return same;
}

/* certs/<SERIAL>.pem: the certificate, its key, then the origin's. */
static int
ssl_db_read_entry(const char *path, X509 **cert, EVP_PKEY **pkey,
    X509 **orig)
{
	FILE *f = fopen(path, "r");

	*cert = NULL;
	*pkey = NULL;
	*orig = NULL;
	if (f == NULL)
		return 0;
	if ((*cert = PEM_read_X509(f, NULL, NULL, NULL)) != NULL &&
	    (*pkey = PEM_read_PrivateKey(f, NULL, NULL, NULL)) != NULL)
		*orig = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	ERR_clear_error();
	if (*pkey == NULL) {
		X509_free(*cert);
		*cert = NULL;
		return -1;
	}
	return 1;
}

int
ssl_db_find(struct ssl_db *db, const char *key, X509 *mimic, X509 **cert,
    EVP_PKEY **pkey, char **err)
{
	X509 *orig = NULL;
	char *path;
	long i;
	int rc;

	*cert = NULL;
	*pkey = NULL;
	if (ssl_db_lock(db, err) == -1)
		return -1;
	if (ssl_db_load(db, err) == -1) {
		ssl_db_unlock(db);
		return -1;
	}
	rc = 0;
	if ((i = ssl_db_index_find_key(&db->idx, key)) >= 0 &&
	    ssl_db_date_in_future(db->idx.rows[i].col[SSL_DB_EXPIRY])) {
		path = ssl_db_cert_path(db, db->idx.rows[i].col[SSL_DB_SERIAL]);
		rc = ssl_db_read_entry(path, cert, pkey, &orig);
		if (rc == -1)
			*err = xasprintf("cannot read %s", path);
		free(path);
	}
	ssl_db_unlock(db);
	/* Reuse only for the same origin certificate, or for none. */
	if (rc == 1 && (orig != NULL || mimic != NULL) &&
	    !ssl_db_same_cert(orig, mimic)) {
		X509_free(*cert);
		EVP_PKEY_free(*pkey);
		*cert = NULL;
		*pkey = NULL;
		rc = 0;
	}
	X509_free(orig);
	return rc;
}

static int
ssl_db_write_entry(const char *path, X509 *cert, EVP_PKEY *pkey, X509 *orig)
{
	FILE *f = fopen(path, "w");
	int ok;

	if (f == NULL)
		return -1;
	ok = PEM_write_X509(f, cert) &&
	    PEM_write_PrivateKey(f, pkey, NULL, NULL, 0, NULL, NULL) &&
	    (orig == NULL || PEM_write_X509(f, orig));
	if (fclose(f) != 0)
		ok = 0;
	return ok ? 0 : -1;
}

/* Make room for one more certificate (Squid's order of eviction). */
static int
ssl_db_make_room(struct ssl_db *db, char **err)
{
	size_t size = ssl_db_read_size(db);
	int r;

	if ((size == 0 && db->idx.n > 0) || (size > 0 && db->idx.n == 0) ||
	    size > 10 * db->max_size)
		size = ssl_db_rebuild_size(db);
	while (size > db->max_size) {
		if ((r = ssl_db_delete_expired(db, err)) == -1)
			return -1;
		if (r == 0)
			break;
		size = ssl_db_read_size(db);
	}
	while (size > db->max_size) {
		if (db->idx.n == 0) {
			ssl_db_rebuild_size(db);
			ssl_db_save(db, err);
			return -1;
		}
		if (ssl_db_delete_row(db, 0, err) == -1)
			return -1;
		size = ssl_db_read_size(db);
	}
	return 0;
}

static int
ssl_db_add_locked(struct ssl_db *db, const char *key, X509 *cert,
    EVP_PKEY *pkey, X509 *orig, char **err)
{
	const ASN1_TIME *t = X509_get0_notAfter(cert);
	const char *col[SSL_DB_COLUMNS];
	char *serial = NULL, *subject = NULL, *expiry = NULL, *path = NULL;
	size_t rows = db->idx.n;
	BIGNUM *bn;
	long i;
	int rc = -1;

	if ((bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), NULL))
	    == NULL || (serial = BN_bn2hex(bn)) == NULL)
		goto out;
	/* Serials are derived from the contents: already stored. */
	if (ssl_db_index_find_serial(&db->idx, serial) >= 0) {
		rc = 0;
		goto out;
	}
	if ((i = ssl_db_index_find_key(&db->idx, key)) >= 0 &&
	    ssl_db_delete_row(db, i, err) == -1)
		goto out;
	if (ssl_db_make_room(db, err) == -1)
		goto out;	/* *err NULL: nothing left to evict */
	expiry = strndup((const char *)ASN1_STRING_get0_data(t),
	    ASN1_STRING_length(t));
	subject = X509_NAME_oneline(X509_get_subject_name(cert), NULL, 0);
	path = ssl_db_cert_path(db, serial);
	if (expiry == NULL || subject == NULL || path == NULL)
		goto out;
	col[SSL_DB_KEY] = key;
	col[SSL_DB_EXPIRY] = expiry;
	col[SSL_DB_REVOKED] = NULL;
	col[SSL_DB_SERIAL] = serial;
	col[SSL_DB_NAME] = subject;
	if (ssl_db_index_append(&db->idx, col) == -1)
		goto out;
	if (ssl_db_write_entry(path, cert, pkey, orig) == -1) {
		ssl_db_index_remove(&db->idx, db->idx.n - 1);
		ssl_db_save(db, err);
		goto out;
	}
	ssl_db_write_size(db, ssl_db_read_size(db) +
	    ssl_db_file_size(db, path));
	/* nothing removed on the way: the new row goes after the others */
	rc = ssl_db_write_index(db, db->idx.n == rows + 1, err);
out:
	BN_free(bn);
	OPENSSL_free(serial);
	OPENSSL_free(subject);
	free(expiry);
	free(path);
	return rc;
}

int
ssl_db_add(struct ssl_db *db, const char *key, X509 *cert, EVP_PKEY *pkey,
    X509 *mimic, char **err)
{
	int rc;

	if (ssl_db_lock(db, err) == -1)
		return -1;
	rc = ssl_db_load(db, err);
	if (rc == 0)
		rc = ssl_db_add_locked(db, key, cert, pkey, mimic, err);
	ssl_db_unlock(db);
	return rc;
}
