/* <netdb.h> on Windows: Winsock (see platform/win32/posix.h). */
#pragma once
#include <winsock2.h>
#include <ws2tcpip.h>
/* getaddrinfo() has no EAI_SYSTEM on Windows (its errors are WSA codes). */
#ifndef EAI_SYSTEM
#define EAI_SYSTEM (-11)
#endif
