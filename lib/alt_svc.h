/*
 * Alt-Svc (RFC 7838) without the alternatives that move a client to QUIC.
 */
#ifndef CUTTLE_ALT_SVC_H
#define CUTTLE_ALT_SVC_H

#include <stddef.h>

/*
 * Copy the len bytes of an Alt-Svc value v to out, leaving out every
 * alternative whose protocol-id is HTTP/3 ("h3", its drafts "h3-29" and
 * the like) or Google's "quic", and return the length written: 0 when
 * nothing is left and the header should go.  Other alternatives, "clear"
 * and parameters are kept byte for byte, joined by ", " (so out needs
 * room for 2 * len bytes).  Commas inside quoted strings do not split.
 */
size_t alt_svc_without_h3(const char *v, size_t len, char *out);

#endif
