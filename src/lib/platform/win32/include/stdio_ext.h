/* <stdio_ext.h> on Windows: the CRT locks each call; nothing to switch off. */
#pragma once
#include <stdio.h>

#define FSETLOCKING_BYCALLER 2

static inline int __fsetlocking(FILE *f, int type)
{
	(void)f;
	return type;
}
