/*
 * A TCP listener for the Windows tests: listens on 127.0.0.1:PORT (and
 * [::1]:PORT with -6), prints "READY <pid>" once it accepts, then accepts and
 * closes connections until its standard input ends or it is killed.
 *   listener.exe PORT [-6]
 */
#include <winsock2.h>
#include <ws2tcpip.h>
#include <windows.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static SOCKET listen_on(int family, unsigned short port)
{
	struct sockaddr_storage ss = {0};
	SOCKET s = socket(family, SOCK_STREAM, IPPROTO_TCP);
	int len;

	if (s == INVALID_SOCKET)
		return s;
	if (family == AF_INET) {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;

		a->sin_family = AF_INET;
		a->sin_port = htons(port);
		a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		len = sizeof(*a);
	} else {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

		a->sin6_family = AF_INET6;
		a->sin6_port = htons(port);
		a->sin6_addr = in6addr_loopback;
		len = sizeof(*a);
	}
	if (bind(s, (struct sockaddr *)&ss, len) != 0 || listen(s, 16) != 0) {
		closesocket(s);
		return INVALID_SOCKET;
	}
	return s;
}

static DWORD WINAPI stdin_watch(void *arg)
{
	char buf[64];

	(void)arg;
	while (fgets(buf, sizeof(buf), stdin))
		;
	ExitProcess(0);
	return 0;
}

int main(int argc, char **argv)
{
	WSADATA wsa;
	SOCKET s[2];
	int n = 0;
	long port = argc > 1 ? strtol(argv[1], NULL, 10) : 0;

	if (port <= 0 || port > 65535) {
		fprintf(stderr, "usage: listener PORT [-6]\n");
		return 2;
	}
	WSAStartup(MAKEWORD(2, 2), &wsa);
	s[n] = listen_on(AF_INET, (unsigned short)port);
	if (s[n++] == INVALID_SOCKET) {
		fprintf(stderr, "listener: cannot listen on 127.0.0.1:%ld (%d)\n", port,
		        WSAGetLastError());
		return 1;
	}
	if (argc > 2 && strcmp(argv[2], "-6") == 0) {
		s[n] = listen_on(AF_INET6, (unsigned short)port);
		if (s[n++] == INVALID_SOCKET) {
			fprintf(stderr, "listener: cannot listen on [::1]:%ld (%d)\n", port,
			        WSAGetLastError());
			return 1;
		}
	}
	printf("READY %lu\n", (unsigned long)GetCurrentProcessId());
	fflush(stdout);
	CreateThread(NULL, 0, stdin_watch, NULL, 0, NULL);
	for (;;) {
		fd_set rd;

		FD_ZERO(&rd);
		for (int i = 0; i < n; i++)
			FD_SET(s[i], &rd);
		if (select(0, &rd, NULL, NULL, NULL) <= 0)
			break;
		for (int i = 0; i < n; i++)
			if (FD_ISSET(s[i], &rd)) {
				SOCKET c = accept(s[i], NULL, NULL);

				if (c != INVALID_SOCKET)
					closesocket(c);
			}
	}
	return 0;
}
