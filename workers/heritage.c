/*
 * The worker's copy of its heritage (heritage.h), in a file of its own so
 * that the modules reading it (helper_pool, worker) link into unit tests
 * without the rest of the worker.
 *
 * In DESIGN.md's data flow: none: what a kid received from the master
 * before accepting.
 */
#include "config.h"
#include "heritage.h"

struct heritage heritage;
