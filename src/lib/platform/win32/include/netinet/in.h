/* <netinet/in.h> on Windows: Winsock (see platform/win32/posix.h). */
#pragma once
#include <winsock2.h>
#include <ws2tcpip.h>
