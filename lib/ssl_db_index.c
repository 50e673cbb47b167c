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

int
ssl_db_index_parse(struct ssl_db_index *idx, const char *text, size_t len)
{
	const char *line = text, *end = text + len, *nl;
	size_t i;

	memset(idx, 0, sizeof(*idx));
	while (line < end) {
		if ((nl = memchr(line, '\n', end - line)) == NULL)
			break;	/* TXT_DB drops an unterminated last line */
		if (*line != '#' &&
		    ssl_db_index_parse_line(idx, line, nl - line) == -1)
			goto corrupt;
		line = nl + 1;
	}
	for (i = 0; i < idx->n; i++)
		if (ssl_db_index_find_key(idx, idx->rows[i].col[SSL_DB_KEY])
		    != (long)i ||
		    ssl_db_index_find_serial(idx,
		    idx->rows[i].col[SSL_DB_SERIAL]) != (long)i)
			goto corrupt;
	return 0;
corrupt:
	ssl_db_index_free(idx);
	return -1;
}

char *
ssl_db_index_format(const struct ssl_db_index *idx, size_t *len)
{
	size_t i, j, size = 1;
	const char *f;
	char *out, *p;

	for (i = 0; i < idx->n; i++)
		for (j = 0; j < SSL_DB_COLUMNS; j++)
			size += 2 * strlen(idx->rows[i].col[j]) + 1;
	if ((out = malloc(size)) == NULL)
		return NULL;
	p = out;
	for (i = 0; i < idx->n; i++) {
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

long
ssl_db_index_find_key(const struct ssl_db_index *idx, const char *key)
{
	size_t i;

	for (i = 0; i < idx->n; i++)
		if (strcmp(idx->rows[i].col[SSL_DB_KEY], key) == 0)
			return i;
	return -1;
}

/* Squid's serial index compares with leading zeros stripped. */
static const char *
ssl_db_index_unzero(const char *s)
{
	while (*s == '0')
		s++;
	return s;
}

long
ssl_db_index_find_serial(const struct ssl_db_index *idx, const char *serial)
{
	size_t i;

	serial = ssl_db_index_unzero(serial);
	for (i = 0; i < idx->n; i++)
		if (strcmp(ssl_db_index_unzero(idx->rows[i].col[SSL_DB_SERIAL]),
		    serial) == 0)
			return i;
	return -1;
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
}

void
ssl_db_index_free(struct ssl_db_index *idx)
{
	while (idx->n > 0)
		ssl_db_index_remove(idx, idx->n - 1);
	free(idx->rows);
	memset(idx, 0, sizeof(*idx));
}
