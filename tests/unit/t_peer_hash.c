/*
 * Unit tests for lib/peer_hash.c against values worked out with an
 * independent model of Squid 5.7's carp.cc (tests/integration/peerhash.py,
 * which the integration tests also check against a running Squid): the
 * name hashes, key folding with bytes above 0x7f, the combination, the
 * load multipliers for equal, unequal and negligible weights, and the
 * parent CARP picks for a few URLs with Squid's unreset key hash.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "peer_hash.h"
#include "tap.h"

static int
near(double a, double b)
{
	return fabs(a - b) < 1e-12;
}

/* Squid's CARP choice among names[] (weights ascending) for url. */
static int
carp_pick(const char *const *names, const int *weight, int n, const char *url)
{
	double mult[8], high = 0;
	uint32_t h = 0;
	int best = -1;

	peer_hash_multipliers(weight, n, mult);
	for (int k = 0; k < n; k++) {
		h = peer_hash_add(h, url, strlen(url));
		double score = peer_hash_combine(h, peer_hash_name(names[k])) *
		    mult[k];
		if (score > high) {
			high = score;
			best = k;
		}
	}
	return best;
}

int
main(void)
{
	static const char *const abc[] = { "a", "b", "c" };
	static const int equal[] = { 1, 1, 1 }, rising[] = { 1, 2, 3 };
	static const int four[] = { 2, 3, 5, 10 }, tiny[] = { 1, 1000 };
	/* expected picks: equal weights, then 1,2,3 */
	static const char *const want_equal = "bcbabc", *const want_rising =
	    "bcbcbc";
	double m[4];
	char url[64];

	is_int(peer_hash_name("p1"), 0x24d7685f, "hash of p1");
	is_int(peer_hash_name("127.0.0.1"), 0xe2ddbc7d, "hash of an address");
	is_int(peer_hash_name("\xe9t\xe9"), 0xefc23544,
	    "bytes above 0x7f count as signed, as in Squid");
	is_int(peer_hash_add(0, "http://origin.test:8080/a?b", 27), 0xc0a1673b,
	    "a URL folded");
	is_int(peer_hash_add(0, "\xe9", 1), 0xffffffe9, "one high byte");
	is_int(peer_hash_combine(peer_hash_add(0, "x", 1), peer_hash_name("p1")),
	    0xd14d3489, "combined");

	peer_hash_multipliers(equal, 3, m);
	ok(near(m[0], 1) && near(m[1], 1) && near(m[2], 1),
	    "equal weights: multipliers 1");
	peer_hash_multipliers(rising, 3, m);
	ok(near(m[0], 0.7937005259840998) && near(m[1], 1.0246629730041619) &&
	    near(m[2], 1.2295955676049943), "weights 1,2,3");
	peer_hash_multipliers(four, 4, m);
	ok(near(m[0], 0.7952707287670506) && near(m[1], 0.8843331336952355) &&
	    near(m[2], 1.0326786163031876) && near(m[3], 1.3769048217375834),
	    "weights 2,3,5,10");
	peer_hash_multipliers(tiny, 2, m);
	ok(m[0] == 0 && isinf(m[1]),
	    "a share under a thousandth counts 0 (and the next is infinite)");

	for (int i = 0; i < 6; i++) {
		snprintf(url, sizeof(url), "http://origin.test/%d", i);
		is_int(carp_pick(abc, equal, 3, url), want_equal[i] - 'a',
		    "equal weights pick for %s", url);
		is_int(carp_pick(abc, rising, 3, url), want_rising[i] - 'a',
		    "weights 1,2,3 pick for %s", url);
	}
	return tap_done();
}
