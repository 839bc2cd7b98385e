#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "sockets/sockquery.h"
#include "util/strnum.h"
#include "util/array.h"

#define S(st) SOCKQUERY_STATE(st)

/* ss's SS_ALL: every state TCP_ESTABLISHED..TCP_CLOSING. */
#define STATES_ALL                                                                                 \
	(S(TCP_ESTABLISHED) | S(TCP_SYN_SENT) | S(TCP_SYN_RECV) | S(TCP_FIN_WAIT1) |               \
	 S(TCP_FIN_WAIT2) | S(TCP_TIME_WAIT) | S(TCP_CLOSE) | S(TCP_CLOSE_WAIT) |                  \
	 S(TCP_LAST_ACK) | S(TCP_LISTEN) | S(TCP_CLOSING))
/* ss -l: listening TCP and unconnected UDP. */
#define STATES_LISTENING (S(TCP_LISTEN) | S(TCP_CLOSE))
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

enum {
	OPT_PORT = 256,
	OPT_STATE,
	OPT_NETNS,
	OPT_JSON,
	OPT_NO_COLOR,
	OPT_NO_PROCESS,
};

static const struct option long_options[] = {
    {"tcp", no_argument, NULL, 't'},
    {"udp", no_argument, NULL, 'u'},
    {"listening", no_argument, NULL, 'l'},
    {"all", no_argument, NULL, 'a'},
    {"numeric", no_argument, NULL, 'n'},
    {"processes", no_argument, NULL, 'p'},
    {"ipv4", no_argument, NULL, '4'},
    {"ipv6", no_argument, NULL, '6'},
    {"help", no_argument, NULL, 'h'},
    {"no-process", no_argument, NULL, OPT_NO_PROCESS},
    {"port", required_argument, NULL, OPT_PORT},
    {"state", required_argument, NULL, OPT_STATE},
    {"netns", required_argument, NULL, OPT_NETNS},
    {"json", no_argument, NULL, OPT_JSON},
    {"no-color", no_argument, NULL, OPT_NO_COLOR},
    {"no-colour", no_argument, NULL, OPT_NO_COLOR},
    {0},
};

/* The word of argv that getopt_long() just failed on. */
static const char *bad_word(int argc, char **argv)
{
	return optind > 0 && optind <= argc ? argv[optind - 1] : "?";
}

int sockquery_parse_args(struct sockquery *q, int argc, char **argv, char *why, size_t whylen)
{
	uint32_t states = 0;
	bool have_states = false;
	uint64_t v;
	int c;

	*q = (struct sockquery){.processes = true, .port = -1, .states = STATES_LISTENING};
	if (whylen)
		why[0] = '\0';
	optind = 0; /* full re-initialisation (GNU) */
	opterr = 0; /* the library never prints */
	while ((c = getopt_long(argc, argv, ":tulanp46h", long_options, NULL)) != -1) {
		switch (c) {
		case 't':
			q->tcp = true;
			break;
		case 'u':
			q->udp = true;
			break;
		case 'l':
			q->states = STATES_LISTENING;
			break;
		case 'a':
			q->states = STATES_ALL;
			break;
		case 'n':
			q->numeric = true;
			break;
		case 'p':
			q->processes = true;
			break;
		case OPT_NO_PROCESS:
			q->processes = false;
			break;
		case '4':
			q->inet4 = true;
			break;
		case '6':
			q->inet6 = true;
			break;
		case 'h':
			q->help = true;
			return 0;
		case OPT_PORT:
			c = strnum_u64(optarg, 1, 65535, &v);
			if (c < 0) {
				snprintf(why, whylen, "bad --port '%s': %s", optarg,
				         c == -ERANGE ? "not in 1-65535" : "not a port number");
				return -EINVAL;
			}
			q->port = (int)v;
			break;
		case OPT_STATE:
			if (sockquery_parse_state(optarg, &states) < 0) {
				snprintf(why, whylen,
				         "unknown --state '%s' (listen, established, time-wait, "
				         "connected, all, ...: see --help)",
				         optarg);
				return -EINVAL;
			}
			have_states = true;
			break;
		case OPT_NETNS:
			if (strcmp(optarg, "all") != 0 && strchr(optarg, '/')) {
				snprintf(why, whylen,
				         "bad --netns '%s': a name in /run/netns or 'all'", optarg);
				return -EINVAL;
			}
			if (optarg[0] == '\0' || strcmp(optarg, ".") == 0 ||
			    strcmp(optarg, "..") == 0) {
				snprintf(why, whylen,
				         "bad --netns '%s': a name in /run/netns or 'all'", optarg);
				return -EINVAL;
			}
			q->netns = optarg;
			break;
		case OPT_JSON:
			q->json = true;
			break;
		case OPT_NO_COLOR:
			q->no_color = true;
			break;
		case ':':
			snprintf(why, whylen, "option '%s' needs a value", bad_word(argc, argv));
			return -EINVAL;
		default:
			if (optopt > 0 && optopt < 256)
				snprintf(why, whylen, "unknown option '-%c'", optopt);
			else
				snprintf(why, whylen, "unknown option '%s'", bad_word(argc, argv));
			return -EINVAL;
		}
	}
	if (optind < argc) {
		snprintf(why, whylen, "unexpected argument '%s'", argv[optind]);
		return -EINVAL;
	}
	if (have_states)
		q->states = states; /* --state wins over -l/-a, as in ss */
	if (!q->tcp && !q->udp)
		q->tcp = q->udp = true;
	if (!q->inet4 && !q->inet6)
		q->inet4 = q->inet6 = true;
	return 0;
}

bool sockquery_match(const struct sockquery *q, const struct sockdiag_sock *s)
{
	if (q->port >= 0 && s->local_port != q->port && s->peer_port != q->port)
		return false;
	return true;
}
