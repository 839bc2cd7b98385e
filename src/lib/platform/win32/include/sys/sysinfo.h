/* <sys/sysinfo.h> on Windows: get_nprocs() (platform/win32/gnu.c). */
#pragma once
