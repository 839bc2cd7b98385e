#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <strings.h>

#include "sockets/sockquery.h"
#include "util/array.h"

#define S(st) SOCKQUERY_STATE(st)

/* ss's SS_ALL: every state TCP_ESTABLISHED..TCP_CLOSING. */
#define STATES_ALL                                                                                 \
	(S(TCP_ESTABLISHED) | S(TCP_SYN_SENT) | S(TCP_SYN_RECV) | S(TCP_FIN_WAIT1) |               \
	 S(TCP_FIN_WAIT2) | S(TCP_TIME_WAIT) | S(TCP_CLOSE) | S(TCP_CLOSE_WAIT) |                  \
	 S(TCP_LAST_ACK) | S(TCP_LISTEN) | S(TCP_CLOSING))
/* ss -l: listening TCP and unconnected UDP. */
#define STATES_LISTENING (S(TCP_LISTEN) | S(TCP_CLOSE))

_Static_assert(STATES_ALL == SOCKQUERY_STATES_ALL, "sockquery.h's SOCKQUERY_STATES_ALL");
_Static_assert(STATES_LISTENING == SOCKQUERY_STATES_LISTENING,
               "sockquery.h's SOCKQUERY_STATES_LISTENING");
#define STATES_CONNECTED (STATES_ALL & ~(S(TCP_LISTEN) | S(TCP_CLOSE)))

static const struct {
	const char *name;
	uint32_t mask;
} state_names[] = {
    {"established", S(TCP_ESTABLISHED)},
    {"syn-sent", S(TCP_SYN_SENT)},
    {"syn-recv", S(TCP_SYN_RECV)},
    {"fin-wait-1", S(TCP_FIN_WAIT1)},
    {"fin-wait-2", S(TCP_FIN_WAIT2)},
    {"time-wait", S(TCP_TIME_WAIT)},
    {"close", S(TCP_CLOSE)},
    {"closed", S(TCP_CLOSE)},
    {"unconn", S(TCP_CLOSE)},
    {"close-wait", S(TCP_CLOSE_WAIT)},
    {"last-ack", S(TCP_LAST_ACK)},
    {"listen", S(TCP_LISTEN)},
    {"listening", S(TCP_LISTEN)},
    {"closing", S(TCP_CLOSING)},
    {"all", STATES_ALL},
    {"connected", STATES_CONNECTED},
    {"synchronized", STATES_CONNECTED & ~S(TCP_SYN_SENT)},
    {"bucket", S(TCP_SYN_RECV) | S(TCP_TIME_WAIT)},
    {"big", STATES_ALL & ~(S(TCP_SYN_RECV) | S(TCP_TIME_WAIT))},
};

int sockquery_parse_state(const char *name, uint32_t *mask)
{
	for (size_t i = 0; i < ARRAY_SIZE(state_names); i++) {
		if (strcasecmp(name, state_names[i].name) == 0) {
			*mask |= state_names[i].mask;
			return 0;
		}
	}
	return -EINVAL;
}

const char *sockquery_state_name(uint8_t state, uint8_t proto)
{
	static const char *const names[] = {
	    [TCP_ESTABLISHED] = "established",
	    [TCP_SYN_SENT] = "syn-sent",
	    [TCP_SYN_RECV] = "syn-recv",
	    [TCP_FIN_WAIT1] = "fin-wait-1",
	    [TCP_FIN_WAIT2] = "fin-wait-2",
	    [TCP_TIME_WAIT] = "time-wait",
	    [TCP_CLOSE] = "close",
	    [TCP_CLOSE_WAIT] = "close-wait",
	    [TCP_LAST_ACK] = "last-ack",
	    [TCP_LISTEN] = "listen",
	    [TCP_CLOSING] = "closing",
	};

	if (state == TCP_CLOSE && proto != IPPROTO_TCP)
		return "unconn";
	if (state < ARRAY_SIZE(names) && names[state])
		return names[state];
	return "unknown";
}

void sockquery_init(struct sockquery *q)
{
	*q = (struct sockquery){
	    .tcp = true,
	    .udp = true,
	    .inet4 = true,
	    .inet6 = true,
	    .states = STATES_LISTENING,
	    .port = -1,
	};
}

bool sockquery_match(const struct sockquery *q, const struct sockdiag_sock *s)
{
	if (q->port >= 0 && s->local_port != q->port && s->peer_port != q->port)
		return false;
	return true;
}
