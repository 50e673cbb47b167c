#ifndef CUTTLE_BUMP_MINT_H
#define CUTTLE_BUMP_MINT_H

#include "tls_mint.h"

/*
 * A mint's answer, in the event loop: the certificate and its key (the
 * callee takes its own references if it keeps them), or NULL and why.
 */
typedef void bump_mint_cb(void *arg, X509 *cert, EVP_PKEY *key,
    const char *err);

/*
 * Mint req in the worker's minting thread (started at the first call);
 * cb runs later in the loop, never from inside this call.  -1 when no
 * thread can run: the caller mints in the loop.
 */
int bump_mint_submit(const struct tls_mint_req *req, bump_mint_cb *cb,
    void *arg);
/* Whether the thread runs (it is started here if it can be). */
int bump_mint_ready(void);
/* Finish every queued mint (their callbacks run) and stop the thread. */
void bump_mint_shutdown(void);

#endif
