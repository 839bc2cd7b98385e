/* <net/if.h> on Windows: interface names and indexes come from the IP Helper. */
#pragma once
#include <winsock2.h>
#include <ws2tcpip.h>
#include <iphlpapi.h>
#ifndef IFNAMSIZ
#define IFNAMSIZ 16
#endif
