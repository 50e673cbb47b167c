/*
 * ssl_db_index: index.txt as text.  Squid reads and writes it with
 * OpenSSL's TXT_DB, so this follows TXT_DB's rules exactly: TAB-separated
 * columns, a TAB inside a value escaped with a backslash, '#' lines
 * skipped, a last line without its newline ignored, a wrong column count
 * an error.  Squid indexes the key and the serial as unique, so a repeated
 * one makes the file corrupted here too.
 */
#include "config.h"
#include "ssl_db.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

static int
ssl_db_index_parse_line(struct ssl_db_index *idx, const char *line,
    size_t len)
{
	char *buf, *p, *col[SSL_DB_COLUMNS];
	size_t i, n = 0;
	int esc = 0, rc;

	if ((buf = malloc(len + 1)) == NULL)
		return -1;
	p = buf;
	col[n++] = p;
	for (i = 0; i < len; i++) {
		if (line[i] == '\t' && !esc) {
			*p++ = '\0';
			if (n >= SSL_DB_COLUMNS) {
				free(buf);
				return -1;	/* too many columns */
			}
			col[n++] = p;
			continue;
		}
		if (line[i] == '\t')
			p--;	/* drop the escaping backslash */
		esc = line[i] == '\\';
		*p++ = line[i];
	}
	*p = '\0';
	rc = n == SSL_DB_COLUMNS ?
	    ssl_db_index_append(idx, (const char *const *)col) : -1;
	free(buf);
	return rc;
}

/* Squid's serial index compares with leading zeros stripped. */
static const char *
ssl_db_index_unzero(const char *s)
{
	while (*s == '0')
		s++;
	return s;
}

static const char *
ssl_db_index_col(const struct ssl_db_index *idx, size_t row, int serial)
{
	return serial ? ssl_db_index_unzero(idx->rows[row].col[SSL_DB_SERIAL]) :
	    idx->rows[row].col[SSL_DB_KEY];
}

/*
 * The slot of value in one table: where its row is, or the empty slot
 * where it would go.
 */
static size_t *
ssl_db_index_slot(const struct ssl_db_index *idx, size_t *tab,
    const char *value, int serial)
{
	size_t mask = idx->slots - 1, s = util_hash_str(value) & mask;

	while (tab[s] != 0 &&
	    strcmp(ssl_db_index_col(idx, tab[s] - 1, serial), value) != 0)
		s = (s + 1) & mask;
	return &tab[s];
}

/* Enter row i in both tables; 1 if its key or serial was there. */
static int
ssl_db_index_enter(struct ssl_db_index *idx, size_t i)
{
	size_t *k = ssl_db_index_slot(idx, idx->by_key,
	    ssl_db_index_col(idx, i, 0), 0);
	size_t *s = ssl_db_index_slot(idx, idx->by_serial,
	    ssl_db_index_col(idx, i, 1), 1);
	int dup = *k != 0 || *s != 0;

	/* the first row keeps a repeated value, as a linear search finds */
	if (*k == 0)
		*k = i + 1;
	if (*s == 0)
		*s = i + 1;
	return dup;
}

/*
 * (Re)build both tables at most half full.  Returns 1 if a key or serial
 * repeats, -1 when out of memory (no tables: lookups then say "absent"
 * only after a rebuild succeeds), 0 otherwise.
 */
static int
ssl_db_index_hash(struct ssl_db_index *idx)
{
	size_t slots = 64, i;
	int dup = 0;

	while (slots < 2 * idx->n + 2)
		slots *= 2;
	free(idx->by_key);
	free(idx->by_serial);
	idx->by_key = calloc(slots, sizeof(size_t));
	idx->by_serial = calloc(slots, sizeof(size_t));
	idx->slots = slots;
	idx->stale = 0;
	if (idx->by_key == NULL || idx->by_serial == NULL) {
		free(idx->by_key);
		free(idx->by_serial);
		idx->by_key = idx->by_serial = NULL;
		idx->slots = 0;
		return -1;
	}
	for (i = 0; i < idx->n; i++)
		dup |= ssl_db_index_enter(idx, i);
	return dup;
}

/* Tables that are current, or -1. */
static int
ssl_db_index_fresh(struct ssl_db_index *idx)
{
	if (idx->slots == 0 || idx->stale)
		return ssl_db_index_hash(idx) == -1 ? -1 : 0;
	return 0;
}

static long
ssl_db_index_find(const struct ssl_db_index *cidx, const char *value,
    int serial)
{
	struct ssl_db_index *idx = (struct ssl_db_index *)cidx;
	size_t *slot;

	if (ssl_db_index_fresh(idx) == -1)
		return -1;
	slot = ssl_db_index_slot(idx, serial ? idx->by_serial : idx->by_key,
	    value, serial);
	return *slot == 0 ? -1 : (long)(*slot - 1);
}

int
ssl_db_index_parse_more(struct ssl_db_index *idx, const char *text,
    size_t len)
{
	const char *line = text, *end = text + len, *nl;
	size_t first = idx->n, i;

	while (line < end) {
		if ((nl = memchr(line, '\n', end - line)) == NULL)
			break;	/* TXT_DB drops an unterminated last line */
		if (*line != '#' &&
		    ssl_db_index_parse_line(idx, line, nl - line) == -1)
			return -1;
		line = nl + 1;
	}
	/* a key or serial already there: the whole file is corrupted */
	for (i = first; i < idx->n; i++)
		if (ssl_db_index_find_key(idx, idx->rows[i].col[SSL_DB_KEY]) !=
		    (long)i || ssl_db_index_find_serial(idx,
		    idx->rows[i].col[SSL_DB_SERIAL]) != (long)i)
			return -1;
	return 0;
}

int
ssl_db_index_parse(struct ssl_db_index *idx, const char *text, size_t len)
{
	const char *line = text, *end = text + len, *nl;

	memset(idx, 0, sizeof(*idx));
	while (line < end) {
		if ((nl = memchr(line, '\n', end - line)) == NULL)
			break;	/* TXT_DB drops an unterminated last line */
		if (*line != '#' &&
		    ssl_db_index_parse_line(idx, line, nl - line) == -1)
			goto corrupt;
		line = nl + 1;
	}
	/* a repeated key or serial corrupts the file, as in TXT_DB */
	if (ssl_db_index_hash(idx) != 0)
		goto corrupt;
	return 0;
corrupt:
	ssl_db_index_free(idx);
	return -1;
}

char *
ssl_db_index_format_from(const struct ssl_db_index *idx, size_t from,
    size_t *len)
{
	size_t i, j, size = 1;
	const char *f;
	char *out, *p;

	for (i = from; i < idx->n; i++)
		for (j = 0; j < SSL_DB_COLUMNS; j++)
			size += 2 * strlen(idx->rows[i].col[j]) + 1;
	if ((out = malloc(size)) == NULL)
		return NULL;
	p = out;
	for (i = from; i < idx->n; i++) {
		for (j = 0; j < SSL_DB_COLUMNS; j++) {
			for (f = idx->rows[i].col[j]; *f != '\0'; f++) {
				if (*f == '\t')
					*p++ = '\\';
				*p++ = *f;
			}
			*p++ = j + 1 < SSL_DB_COLUMNS ? '\t' : '\n';
		}
	}
	*p = '\0';
	*len = p - out;
	return out;
}

char *
ssl_db_index_format(const struct ssl_db_index *idx, size_t *len)
{
	return ssl_db_index_format_from(idx, 0, len);
}

long
ssl_db_index_find_key(const struct ssl_db_index *idx, const char *key)
{
	return ssl_db_index_find(idx, key, 0);
}

long
ssl_db_index_find_serial(const struct ssl_db_index *idx, const char *serial)
{
	return ssl_db_index_find(idx, ssl_db_index_unzero(serial), 1);
}

int
ssl_db_index_append(struct ssl_db_index *idx,
    const char *const col[SSL_DB_COLUMNS])
{
	struct ssl_db_row *rows, *r;
	size_t j;

	if (idx->n == idx->cap) {
		rows = realloc(idx->rows, (idx->cap ? idx->cap * 2 : 16) *
		    sizeof(*rows));
		if (rows == NULL)
			return -1;
		idx->rows = rows;
		idx->cap = idx->cap ? idx->cap * 2 : 16;
	}
	r = &idx->rows[idx->n];
	for (j = 0; j < SSL_DB_COLUMNS; j++) {
		if ((r->col[j] = strdup(col[j] ? col[j] : "")) == NULL) {
			while (j > 0)
				free(r->col[--j]);
			return -1;
		}
	}
	idx->n++;
	if (idx->slots != 0 && !idx->stale) {
		if (2 * idx->n + 2 > idx->slots)
			idx->stale = 1;	/* grown: rebuilt when next used */
		else
			(void)ssl_db_index_enter(idx, idx->n - 1);
	}
	return 0;
}

void
ssl_db_index_remove(struct ssl_db_index *idx, size_t i)
{
	size_t j;

	for (j = 0; j < SSL_DB_COLUMNS; j++)
		free(idx->rows[i].col[j]);
	memmove(&idx->rows[i], &idx->rows[i + 1],
	    (idx->n - i - 1) * sizeof(idx->rows[0]));
	idx->n--;
	idx->stale = 1;		/* row numbers after i moved */
}

void
ssl_db_index_free(struct ssl_db_index *idx)
{
	while (idx->n > 0)
		ssl_db_index_remove(idx, idx->n - 1);
	free(idx->rows);
	free(idx->by_key);
	free(idx->by_serial);
	memset(idx, 0, sizeof(*idx));
}
