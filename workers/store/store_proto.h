/*
 * store_proto: the messages between a worker (store_client.c) and the
 * store process of one cache_dir (store.c), over a SOCK_SEQPACKET
 * socketpair so each message arrives whole.  A request is a fixed header
 * followed by the key bytes; a reply is a fixed header, with a descriptor
 * attached (SCM_RIGHTS) for HIT and BEGIN.  Every request carries an id the
 * reply echoes, so a worker may have many outstanding.  Both sides are
 * built from one source tree, so the structs are sent in host layout.
 *
 *   LOOKUP key       -> HIT (fd O_RDONLY, body_off/len, meta_off/len) | MISS
 *   BEGIN key size   -> OK (fd O_WRONLY to a temp file, token) | ERR errno
 *   COMMIT token     -> OK | ERR errno (record invalid, too big, ENOSPC)
 *   ABORT token      -> OK
 *   DELETE key       -> OK (deleted) | MISS (was not there)
 *   UPDATE key meta  -> OK | MISS (not there, or not the version revalidated)
 *                       | ERR errno: give the stored object a new metadata
 *                       blob, keeping its body.  The meta bytes follow the
 *                       key, size is their length and token the CRC-32
 *                       (store_record_crc32) of the blob being replaced.
 *   STATS            -> OK with objects / bytes / capacity
 *   RESET            -> (no reply) a new worker on this socket: the store
 *                       drops the temp files of the previous one
 */
#ifndef CUTTLE_STORE_PROTO_H
#define CUTTLE_STORE_PROTO_H

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

#define STORE_PROTO_KEY_MAX	65536
/* UPDATE's blob; key + meta stays under the default socket buffer */
#define STORE_PROTO_META_MAX	(96 * 1024)

enum store_proto_type {
	STORE_MSG_LOOKUP = 1,
	STORE_MSG_BEGIN,
	STORE_MSG_COMMIT,
	STORE_MSG_ABORT,
	STORE_MSG_DELETE,
	STORE_MSG_STATS,
	STORE_MSG_RESET,
	STORE_MSG_UPDATE,
	/* replies */
	STORE_MSG_HIT = 100,
	STORE_MSG_MISS,
	STORE_MSG_OK,
	STORE_MSG_ERR
};

struct store_proto_req {
	uint32_t	 type;
	uint32_t	 id;
	uint32_t	 token;		/* COMMIT, ABORT; UPDATE: old meta CRC */
	uint32_t	 key_len;	/* key bytes follow */
	uint64_t	 size;		/* BEGIN: expected object size, 0: unknown;
					   UPDATE: meta bytes after the key */
};

struct store_proto_rep {
	uint32_t	 type;
	uint32_t	 id;
	int32_t		 error;		/* ERR: an errno value */
	uint32_t	 token;		/* BEGIN */
	uint64_t	 body_off;	/* HIT */
	uint64_t	 body_len;
	uint32_t	 meta_off;
	uint32_t	 meta_len;
	int64_t		 timestamp;	/* HIT: when it was stored */
	uint64_t	 objects;	/* STATS */
	uint64_t	 bytes;
	uint64_t	 capacity;
};

/*
 * Send one message with an optional descriptor (-1: none).  Returns 0, or
 * -1 with errno (EAGAIN: try again when writable).
 */
static inline int
store_proto_send(int sock, const void *p, size_t n, const void *p2,
    size_t n2, int fd)
{
	struct iovec iov[2] = { { (void *)p, n }, { (void *)p2, n2 } };
	union {
		struct cmsghdr	 hdr;
		char		 buf[CMSG_SPACE(sizeof(int))];
	} cm;
	struct msghdr msg;

	memset(&msg, 0, sizeof(msg));
	msg.msg_iov = iov;
	msg.msg_iovlen = n2 > 0 ? 2 : 1;
	if (fd != -1) {
		struct cmsghdr *c;

		memset(&cm, 0, sizeof(cm));
		msg.msg_control = cm.buf;
		msg.msg_controllen = sizeof(cm.buf);
		c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	if (sendmsg(sock, &msg, MSG_DONTWAIT | MSG_NOSIGNAL) == -1)
		return -1;
	return 0;
}

/*
 * Receive one message into buf; *fd gets a passed descriptor or -1.
 * Returns the length, 0 at end of stream, -1 with errno.  A message cut
 * short (MSG_TRUNC) is reported as EMSGSIZE after closing its descriptor.
 */
static inline ssize_t
store_proto_recv(int sock, void *buf, size_t cap, int *fd)
{
	struct iovec iov = { buf, cap };
	union {
		struct cmsghdr	 hdr;
		char		 buf[CMSG_SPACE(sizeof(int) * 4)];
	} cm;
	struct msghdr msg;
	struct cmsghdr *c;
	ssize_t n;

	*fd = -1;
	memset(&msg, 0, sizeof(msg));
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cm.buf;
	msg.msg_controllen = sizeof(cm.buf);
	n = recvmsg(sock, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	if (n <= 0)
		return n;
	for (c = CMSG_FIRSTHDR(&msg); c != NULL; c = CMSG_NXTHDR(&msg, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		int nfd = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
		for (int i = 0; i < nfd; i++) {
			int f;
			memcpy(&f, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			if (*fd == -1)
				*fd = f;
			else
				close(f);
		}
	}
	if (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) {
		if (*fd != -1)
			close(*fd);
		*fd = -1;
		errno = EMSGSIZE;
		return -1;
	}
	return n;
}

#endif
