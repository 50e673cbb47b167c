/*
 * affinity: cpu_affinity_map applied to a kid, and checked by the master.
 */
#ifndef CUTTLE_AFFINITY_H
#define CUTTLE_AFFINITY_H

struct cfg;

/* Pin the calling process, kid number process (from 1), to its core. */
void affinity_apply(const struct cfg *cfg, int process);
/* Warn when the map names a process number above nprocesses. */
void affinity_check(const struct cfg *cfg, int nprocesses);

#endif
