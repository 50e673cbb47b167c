/*
 * The worker's copy of its heritage (heritage.h), in a file of its own so
 * that the modules reading it (helper_pool, worker) link into unit tests
 * without the rest of the worker.
 */
#include "config.h"
#include "heritage.h"

struct heritage heritage;
