/* <sys/random.h> on Windows: getrandom() over BCryptGenRandom (platform/win32/posix.c). */
#pragma once
#include <sys/types.h>
#define GRND_NONBLOCK 1
ssize_t getrandom(void *buf, size_t len, unsigned flags);
