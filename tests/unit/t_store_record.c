/*
 * Unit tests for the cache file record header: round trip, and every kind
 * of damage a crash or a stray write can leave is refused with its reason.
 */
#include "config.h"
#include "store_record.h"

#include <stdlib.h>
#include <string.h>

#include "tap.h"

static const char key[] = "GET http://example.test/pkg.tar.gz";
static const char meta[] = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n";

static size_t
t_encode(unsigned char *buf, size_t cap, uint64_t body_len, unsigned flags)
{
	struct store_record r;

	memset(&r, 0, sizeof(r));
	r.key = key;
	r.key_len = strlen(key);
	r.meta = meta;
	r.meta_len = strlen(meta);
	r.body_len = body_len;
	r.timestamp = 1795352792;
	r.flags = flags;
	return store_record_encode(&r, buf, cap);
}

int
main(void)
{
	unsigned char buf[512], bad[512];
	struct store_record r;
	size_t n, want = STORE_RECORD_FIXED + strlen(key) + strlen(meta) + 4;

	/* round trip */
	n = t_encode(buf, sizeof(buf), 5, STORE_RECORD_COMPLETE);
	is_int(n, want, "header length");
	is_int(store_record_header_len(strlen(key), strlen(meta)), want,
	    "header_len agrees");
	is_int(store_record_decode(buf, n, &r), STORE_RECORD_OK, "decodes");
	is_int(r.hdr_len, n, "hdr_len");
	is_int(r.key_len, strlen(key), "key_len");
	ok(memcmp(r.key, key, r.key_len) == 0, "key bytes");
	is_int(r.meta_len, strlen(meta), "meta_len");
	ok(memcmp(r.meta, meta, r.meta_len) == 0, "meta bytes");
	is_int(r.body_len, 5, "body_len");
	is_int(r.timestamp, 1795352792, "timestamp");
	is_int(r.flags, STORE_RECORD_COMPLETE, "flags");
	is_int(store_record_validate(&r, n + 5), STORE_RECORD_OK,
	    "complete file validates");
	is_int(store_record_decode(buf, n + 100, &r), STORE_RECORD_OK,
	    "decodes with the body following");

	/* encode limits */
	is_int(t_encode(buf, want - 1, 5, 0), 0, "too small buffer refused");
	{
		struct store_record e;
		memset(&e, 0, sizeof(e));
		e.key = "";
		is_int(store_record_encode(&e, buf, sizeof(buf)), 0,
		    "empty key refused");
	}
	n = t_encode(buf, sizeof(buf), 5, STORE_RECORD_COMPLETE);

	/* short inputs: every prefix is SHORT, never OK */
	{
		int all_short = 1;
		for (size_t i = 0; i < n; i++)
			if (store_record_decode(buf, i, &r) !=
			    STORE_RECORD_SHORT)
				all_short = 0;
		ok(all_short, "every truncated header is SHORT");
		store_record_decode(buf, STORE_RECORD_FIXED + 3, &r);
		is_int(r.hdr_len, n, "SHORT tells the needed length");
		store_record_decode(buf, 10, &r);
		is_int(r.hdr_len, 0, "SHORT before the lengths: unknown");
	}

	/* bad magic */
	memcpy(bad, buf, n);
	bad[0] = 'X';
	is_int(store_record_decode(bad, n, &r), STORE_RECORD_BAD_MAGIC,
	    "bad magic");
	is_int(store_record_decode(bad, 8, &r), STORE_RECORD_BAD_MAGIC,
	    "bad magic seen in a short buffer");
	memset(bad, 0, n);
	is_int(store_record_decode(bad, n, &r), STORE_RECORD_BAD_MAGIC,
	    "zeroed file");

	/* bad version */
	memcpy(bad, buf, n);
	bad[4] = 9;
	is_int(store_record_decode(bad, n, &r), STORE_RECORD_BAD_VERSION,
	    "bad version");

	/* inconsistent lengths */
	memcpy(bad, buf, n);
	bad[12] ^= 1;		/* key length */
	is_int(store_record_decode(bad, n, &r), STORE_RECORD_BAD_LENGTH,
	    "key length disagrees with header length");
	memcpy(bad, buf, n);
	bad[19] = 0xff;		/* meta length huge */
	is_int(store_record_decode(bad, n, &r), STORE_RECORD_BAD_LENGTH,
	    "meta length over the limit");
	memcpy(bad, buf, n);
	memset(bad + 12, 0, 4);	/* key length 0 */
	is_int(store_record_decode(bad, n, &r), STORE_RECORD_BAD_LENGTH,
	    "zero key length");

	/* checksum: flip one bit anywhere in the covered bytes */
	{
		int all_caught = 1;
		size_t offs[] = { 6, 24, 30, 33, STORE_RECORD_FIXED,
		    STORE_RECORD_FIXED + 10, n - 5, n - 1 };
		for (size_t i = 0; i < sizeof(offs) / sizeof(offs[0]); i++) {
			memcpy(bad, buf, n);
			bad[offs[i]] ^= 0x10;
			if (store_record_decode(bad, n, &r) !=
			    STORE_RECORD_BAD_CHECKSUM)
				all_caught = 0;
		}
		ok(all_caught, "a flipped bit in flags, lengths, key, meta or "
		    "CRC is a checksum error");
	}

	/* validation against the file size */
	store_record_decode(buf, n, &r);
	is_int(store_record_validate(&r, n + 4), STORE_RECORD_BAD_SIZE,
	    "short body");
	is_int(store_record_validate(&r, n + 6), STORE_RECORD_BAD_SIZE,
	    "long body");
	is_int(store_record_validate(&r, n), STORE_RECORD_BAD_SIZE,
	    "header only");
	n = t_encode(buf, sizeof(buf), 5, 0);
	is_int(store_record_decode(buf, n, &r), STORE_RECORD_OK,
	    "incomplete header decodes");
	is_int(store_record_validate(&r, n + 5), STORE_RECORD_INCOMPLETE,
	    "but is not a complete object");
	n = t_encode(buf, sizeof(buf), UINT64_MAX, STORE_RECORD_COMPLETE);
	store_record_decode(buf, n, &r);
	is_int(store_record_validate(&r, n), STORE_RECORD_BAD_SIZE,
	    "body length that would wrap");

	/* pad: room left for a longer meta, the body after it */
	{
		unsigned char pbuf[2048], old[2048];
		size_t base = want, pn, slack = store_record_slack(want);

		ok(slack >= STORE_RECORD_SLACK && (base + slack) % 512 == 0,
		    "slack: at least %d bytes, body on a 512 boundary",
		    STORE_RECORD_SLACK);
		memset(&r, 0, sizeof(r));
		r.key = key;
		r.key_len = strlen(key);
		r.meta = meta;
		r.meta_len = strlen(meta);
		r.body_len = 5;
		r.flags = STORE_RECORD_COMPLETE;
		r.pad = slack;
		pn = store_record_encode(&r, pbuf, sizeof(pbuf));
		is_int(pn, base + slack, "padded header length");
		is_int(store_record_decode(pbuf, pn, &r), STORE_RECORD_OK,
		    "padded header decodes");
		ok(r.hdr_len == pn && r.pad == slack &&
		    r.meta_len == strlen(meta) &&
		    memcmp(r.meta, meta, r.meta_len) == 0,
		    "pad, meta and body offset read back");
		is_int(store_record_validate(&r, pn + 5), STORE_RECORD_OK,
		    "padded record validates");
		/* a longer meta in the same room, as the store's UPDATE does */
		memcpy(old, pbuf, pn);
		r.meta = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A: b\r\n\r\n";
		r.meta_len = strlen(r.meta);
		r.pad = pn - store_record_header_len(r.key_len, r.meta_len);
		r.key = key;
		is_int(store_record_encode(&r, pbuf, sizeof(pbuf)), pn,
		    "longer meta fits the same header length");
		is_int(store_record_decode(pbuf, pn, &r), STORE_RECORD_OK,
		    "and decodes");
		ok(r.meta_len == strlen(meta) + 8, "with the new meta");
		/* a torn in-place rewrite: new fixed part, old rest */
		memcpy(bad, pbuf, 64);
		memcpy(bad + 64, old + 64, pn - 64);
		is_int(store_record_decode(bad, pn, &r),
		    STORE_RECORD_BAD_CHECKSUM, "torn rewrite: checksum");
		/* old rest, new start of the meta */
		memcpy(bad, old, pn);
		memcpy(bad + STORE_RECORD_FIXED + strlen(key),
		    pbuf + STORE_RECORD_FIXED + strlen(key),
		    strlen(meta) + 8);
		is_int(store_record_decode(bad, pn, &r),
		    STORE_RECORD_BAD_CHECKSUM, "torn meta: checksum");
		/* a pad that does not add up */
		memcpy(bad, old, pn);
		bad[20]++;
		is_int(store_record_decode(bad, pn, &r),
		    STORE_RECORD_BAD_LENGTH, "pad and length disagree");
		/* the old layout (pad 0) is still read */
		n = t_encode(buf, sizeof(buf), 5, STORE_RECORD_COMPLETE);
		ok(n == want && buf[20] == 0 && buf[21] == 0 &&
		    store_record_decode(buf, n, &r) == STORE_RECORD_OK &&
		    r.pad == 0, "unpadded record (old files) decodes");
		r.pad = STORE_RECORD_PAD_MAX + 1;
		r.key = key;
		r.key_len = strlen(key);
		is_int(store_record_encode(&r, pbuf, sizeof(pbuf)), 0,
		    "pad over its limit refused");
	}

	/* known CRC-32 check value */
	is_int(store_record_crc32("123456789", 9), 0xcbf43926u, "crc32");
	is_str(store_record_strerror(STORE_RECORD_BAD_CHECKSUM),
	    "header checksum mismatch", "strerror");
	return tap_done();
}
