/*
 * store_record: encoding and checking of the header that opens every cache
 * file (layout in store_record.h).  The CRC covers the whole header so that
 * a torn or overwritten header is refused rather than trusted; the body is
 * covered by the complete flag and the exact file size instead, because
 * checksumming gigabytes at every start would make restarts slow.
 */
#include "config.h"
#include "store_record.h"

#include <string.h>

static void
store_record_put16(unsigned char *p, uint16_t v)
{
	p[0] = v & 0xff;
	p[1] = v >> 8;
}

static void
store_record_put32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (v >> (8 * i)) & 0xff;
}

static void
store_record_put64(unsigned char *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (v >> (8 * i)) & 0xff;
}

static uint16_t
store_record_get16(const unsigned char *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t
store_record_get32(const unsigned char *p)
{
	uint32_t v = 0;

	for (int i = 3; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static uint64_t
store_record_get64(const unsigned char *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

uint32_t
store_record_crc32(const void *p, size_t n)
{
	static uint32_t table[256];
	static int ready;
	const unsigned char *s = p;
	uint32_t c = 0xffffffffu;

	if (!ready) {
		for (uint32_t i = 0; i < 256; i++) {
			uint32_t v = i;
			for (int k = 0; k < 8; k++)
				v = v & 1 ? 0xedb88320u ^ (v >> 1) : v >> 1;
			table[i] = v;
		}
		ready = 1;
	}
	for (size_t i = 0; i < n; i++)
		c = table[(c ^ s[i]) & 0xff] ^ (c >> 8);
	return c ^ 0xffffffffu;
}

size_t
store_record_header_len(size_t key_len, size_t meta_len)
{
	return STORE_RECORD_FIXED + key_len + meta_len + 4;
}

size_t
store_record_slack(size_t len)
{
	return (len + STORE_RECORD_SLACK + 511) / 512 * 512 - len;
}

size_t
store_record_encode(const struct store_record *r, void *buf, size_t cap)
{
	unsigned char *p = buf;
	size_t len;

	if (r->key_len == 0 || r->key_len > STORE_RECORD_KEY_MAX ||
	    r->meta_len > STORE_RECORD_META_MAX || r->pad > STORE_RECORD_PAD_MAX)
		return 0;
	len = store_record_header_len(r->key_len, r->meta_len) + r->pad;
	if (cap < len)
		return 0;
	memcpy(p, STORE_RECORD_MAGIC, 4);
	store_record_put16(p + 4, STORE_RECORD_VERSION);
	store_record_put16(p + 6, (uint16_t)r->flags);
	store_record_put32(p + 8, (uint32_t)len);
	store_record_put32(p + 12, (uint32_t)r->key_len);
	store_record_put32(p + 16, (uint32_t)r->meta_len);
	store_record_put32(p + 20, (uint32_t)r->pad);
	store_record_put64(p + 24, r->body_len);
	store_record_put64(p + 32, (uint64_t)r->timestamp);
	memcpy(p + STORE_RECORD_FIXED, r->key, r->key_len);
	if (r->meta_len > 0)
		memcpy(p + STORE_RECORD_FIXED + r->key_len, r->meta,
		    r->meta_len);
	memset(p + len - 4 - r->pad, 0, r->pad);
	store_record_put32(p + len - 4, store_record_crc32(p, len - 4));
	return len;
}

int
store_record_decode(const void *buf, size_t len, struct store_record *r)
{
	const unsigned char *p = buf;
	uint32_t hdr_len, key_len, meta_len, pad;

	memset(r, 0, sizeof(*r));
	if (len < STORE_RECORD_FIXED)
		return len >= 4 && memcmp(p, STORE_RECORD_MAGIC, 4) != 0 ?
		    STORE_RECORD_BAD_MAGIC : STORE_RECORD_SHORT;
	if (memcmp(p, STORE_RECORD_MAGIC, 4) != 0)
		return STORE_RECORD_BAD_MAGIC;
	if (store_record_get16(p + 4) != STORE_RECORD_VERSION)
		return STORE_RECORD_BAD_VERSION;
	hdr_len = store_record_get32(p + 8);
	key_len = store_record_get32(p + 12);
	meta_len = store_record_get32(p + 16);
	pad = store_record_get32(p + 20);
	/* checked one by one so that the sum below cannot wrap */
	if (key_len == 0 || key_len > STORE_RECORD_KEY_MAX ||
	    meta_len > STORE_RECORD_META_MAX || pad > STORE_RECORD_PAD_MAX ||
	    hdr_len != store_record_header_len(key_len, meta_len) + pad)
		return STORE_RECORD_BAD_LENGTH;
	r->hdr_len = hdr_len;
	if (len < hdr_len)
		return STORE_RECORD_SHORT;
	if (store_record_get32(p + hdr_len - 4) !=
	    store_record_crc32(p, hdr_len - 4)) {
		r->hdr_len = 0;
		return STORE_RECORD_BAD_CHECKSUM;
	}
	r->flags = store_record_get16(p + 6);
	r->key_len = key_len;
	r->meta_len = meta_len;
	r->pad = pad;
	r->body_len = store_record_get64(p + 24);
	r->timestamp = (int64_t)store_record_get64(p + 32);
	r->key = (const char *)p + STORE_RECORD_FIXED;
	r->meta = p + STORE_RECORD_FIXED + key_len;
	return STORE_RECORD_OK;
}

int
store_record_validate(const struct store_record *r, uint64_t file_size)
{
	if (!(r->flags & STORE_RECORD_COMPLETE))
		return STORE_RECORD_INCOMPLETE;
	if (r->body_len > UINT64_MAX - r->hdr_len ||
	    file_size != r->hdr_len + r->body_len)
		return STORE_RECORD_BAD_SIZE;
	return STORE_RECORD_OK;
}

const char *
store_record_strerror(int code)
{
	switch (code) {
	case STORE_RECORD_OK:		return "ok";
	case STORE_RECORD_SHORT:	return "truncated header";
	case STORE_RECORD_BAD_MAGIC:	return "bad magic";
	case STORE_RECORD_BAD_VERSION:	return "unknown version";
	case STORE_RECORD_BAD_LENGTH:	return "inconsistent lengths";
	case STORE_RECORD_BAD_CHECKSUM:	return "header checksum mismatch";
	case STORE_RECORD_INCOMPLETE:	return "incomplete object";
	case STORE_RECORD_BAD_SIZE:	return "file size does not match";
	}
	return "unknown error";
}
