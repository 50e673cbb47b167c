/*
 * Squid's CARP hash and load factors (see peer_hash.h).  Unsigned 32-bit
 * arithmetic throughout, wrapping as Squid's unsigned int does.
 */
#include "config.h"
#include "peer_hash.h"

#include <math.h>
#include <string.h>

#define PEER_ROTL(x, n)	(((x) << (n)) | ((x) >> (32 - (n))))

uint32_t
peer_hash_add(uint32_t h, const char *s, size_t len)
{
	/* Squid adds a plain char: sign-extended on the platforms it runs */
	for (size_t i = 0; i < len; i++)
		h += PEER_ROTL(h, 19) + (uint32_t)(int32_t)(signed char)s[i];
	return h;
}

uint32_t
peer_hash_name(const char *name)
{
	uint32_t h = peer_hash_add(0, name, strlen(name));

	h += h * 0x62531965u;
	return PEER_ROTL(h, 21);
}

uint32_t
peer_hash_combine(uint32_t key, uint32_t peer)
{
	uint32_t c = key ^ peer;

	c += c * 0x62531965u;
	return PEER_ROTL(c, 21);
}

/*
 * The CARP draft's multipliers: X_1 = (K * p_1)^(1/K), and each next one
 * from the previous and the difference of the load factors p_k (a peer's
 * share of the total weight, 0 below one thousandth).
 */
void
peer_hash_multipliers(const int *weight, int n, double *mult)
{
	double total = 0, p_last = 0, x_last = 0, xn = 1;

	for (int k = 0; k < n; k++)
		total += weight[k];
	for (int k = 0; k < n; k++) {
		double p = total > 0 ? weight[k] / total : 0;
		double kk1 = (double)(n - k);

		if (floor(p * 1000.0) == 0.0)
			p = 0;
		mult[k] = (kk1 * (p - p_last)) / xn;
		mult[k] += pow(x_last, kk1);
		mult[k] = pow(mult[k], 1.0 / kk1);
		xn *= mult[k];
		x_last = mult[k];
		p_last = p;
	}
}
