/* <poll.h> on Windows: WSAPoll's struct pollfd; poll() is posix_poll() (see posix.h). */
#pragma once
#include <winsock2.h>
typedef unsigned long nfds_t;
