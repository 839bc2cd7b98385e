/* <netinet/tcp.h> on Windows: Linux's TCP state numbers, which socket records use everywhere. */
#pragma once
#include <winsock2.h>
#include <ws2tcpip.h>

enum {
	TCP_ESTABLISHED = 1,
	TCP_SYN_SENT,
	TCP_SYN_RECV,
	TCP_FIN_WAIT1,
	TCP_FIN_WAIT2,
	TCP_TIME_WAIT,
	TCP_CLOSE,
	TCP_CLOSE_WAIT,
	TCP_LAST_ACK,
	TCP_LISTEN,
	TCP_CLOSING,
};
