#include <sys/random.h>
#include <unistd.h>

#include "util/clock.h"
#include "util/seed.h"

uint64_t seed_random(void)
{
	uint64_t seed;

	if (getrandom(&seed, sizeof(seed), 0) == (ssize_t)sizeof(seed))
		return seed;
	return (uint64_t)clock_wall() ^ clock_mono_us() << 20 ^ (uint64_t)getpid() << 40;
}
