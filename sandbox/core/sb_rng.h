#ifndef SB_RNG_H
#define SB_RNG_H
/* Deterministic randomness (splitmix64) for both halves of the sandbox:
 * every generated value and every injected fault comes from a hash of the
 * --seed, so two runs with the same flags answer byte for byte the same. */
#include <stdint.h>

static inline uint64_t sb_mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static inline uint64_t sb_hash(uint64_t seed, uint64_t a, uint64_t b)
{
	return sb_mix(seed ^ sb_mix(a ^ sb_mix(b)));
}

typedef struct sb_rng {
	uint64_t s;
} sb_rng;

static inline uint64_t sb_rng_next(sb_rng *r)
{
	r->s += 0x9e3779b97f4a7c15ULL;
	return sb_mix(r->s);
}

/* Uniform in [0, n); n == 0 gives 0. */
static inline uint64_t sb_rng_below(sb_rng *r, uint64_t n)
{
	return n ? sb_rng_next(r) % n : 0;
}

static inline double sb_rng_unit(sb_rng *r)
{
	return (double)(sb_rng_next(r) >> 11) / 9007199254740992.0;
}

#endif
