/*
 * store_record: the header every cache file begins with.  It makes a cache
 * file self-describing (store key, the worker's metadata blob, body length,
 * completeness), so the store's GDBM index can always be rebuilt from the
 * files and a partial or foreign file is never taken for an object.  Pure
 * encode/decode/validate functions; no I/O.
 *
 * Layout (integers little-endian):
 *   0  magic "CTLR"        4  version u16        6  flags u16
 *   8  header length u32  12  key length u32    16  meta length u32
 *  20  pad length u32     24  body length u64   32  timestamp i64
 *  40  key bytes, meta bytes, pad zero bytes, then a CRC-32 of everything
 *      before it (u32).
 * The body starts at the header length.  The pad is room a writer leaves so
 * that a later, slightly longer metadata blob can replace the header in
 * place (the store's UPDATE); files written before it existed have 0 there,
 * which is what the field held when it was reserved.
 */
#ifndef CUTTLE_STORE_RECORD_H
#define CUTTLE_STORE_RECORD_H

#include <stddef.h>
#include <stdint.h>

#define STORE_RECORD_MAGIC	"CTLR"
#define STORE_RECORD_VERSION	1
#define STORE_RECORD_FIXED	40	/* bytes before the key */
#define STORE_RECORD_KEY_MAX	65536
#define STORE_RECORD_META_MAX	(1024 * 1024)
#define STORE_RECORD_PAD_MAX	(2 * STORE_RECORD_META_MAX)

/* flags */
#define STORE_RECORD_COMPLETE	0x0001	/* body fully written */

/* decode / validate results */
#define STORE_RECORD_OK		0
#define STORE_RECORD_SHORT	-1	/* fewer bytes than the header needs */
#define STORE_RECORD_BAD_MAGIC	-2
#define STORE_RECORD_BAD_VERSION -3
#define STORE_RECORD_BAD_LENGTH	-4	/* inconsistent lengths */
#define STORE_RECORD_BAD_CHECKSUM -5
#define STORE_RECORD_INCOMPLETE	-6	/* not flagged complete */
#define STORE_RECORD_BAD_SIZE	-7	/* file size != header + body */

struct store_record {
	const char	*key;		/* not NUL-terminated */
	size_t		 key_len;
	const void	*meta;		/* opaque to the store */
	size_t		 meta_len;
	uint64_t	 body_len;
	int64_t		 timestamp;	/* seconds, set by the writer */
	unsigned	 flags;
	size_t		 pad;		/* zero bytes between meta and CRC */
	size_t		 hdr_len;	/* decode: where the body starts */
};

/* The header's size for these key and meta lengths, without pad. */
size_t store_record_header_len(size_t key_len, size_t meta_len);
/*
 * The pad a writer should leave after a header of len bytes (pad
 * excluded): at least STORE_RECORD_SLACK, and the body starts on a
 * 512-byte boundary.
 */
#define STORE_RECORD_SLACK	256
size_t store_record_slack(size_t len);
/*
 * Encode r's header, r->pad included, into buf (cap bytes).  Returns the
 * header length, or 0 when cap is too small or a length is over its limit.
 */
size_t store_record_encode(const struct store_record *r, void *buf,
    size_t cap);
/*
 * Decode the header at the start of buf (len bytes).  key and meta point
 * into buf.  On STORE_RECORD_SHORT, r->hdr_len holds the length needed when
 * the fixed part was readable (0 otherwise).
 */
int store_record_decode(const void *buf, size_t len, struct store_record *r);
/* A decoded header describes a complete object of file_size bytes. */
int store_record_validate(const struct store_record *r, uint64_t file_size);
const char *store_record_strerror(int code);
uint32_t store_record_crc32(const void *p, size_t n);

#endif
