/* The SSH connection this process runs in (session.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "policy/session.h"
#include "sockets/sockdiag.h"
#include "util/strnum.h"

#define ANCESTORS_MAX 64
#define ENVIRON_MAX   (256 * 1024)
#define SOCKETS_MAX   64

/* IPv4-mapped IPv6 (::ffff:a.b.c.d) to IPv4. */
static void unmap(struct policy_addr *a)
{
	static const uint8_t prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

	if (a->family == AF_INET6 && a->prefix == 128 && !memcmp(a->bytes, prefix, 12)) {
		memmove(a->bytes, a->bytes + 12, 4);
		memset(a->bytes + 4, 0, 12);
		a->family = AF_INET;
		a->prefix = 32;
	}
}

/* The next blank-separated word of s at *pos. */
static bool word(const char *s, size_t *pos, const char **w, size_t *len)
{
	while (s[*pos] == ' ' || s[*pos] == '\t')
		(*pos)++;
	*w = s + *pos;
	while (s[*pos] && s[*pos] != ' ' && s[*pos] != '\t')
		(*pos)++;
	*len = (size_t)(s + *pos - *w);
	return *len > 0;
}

static int parse_host(const char *w, size_t len, struct policy_addr *a)
{
	const char *pct = memchr(w, '%', len);

	if (pct)
		len = (size_t)(pct - w);
	if (memchr(w, '/', len) || policy_addr_parse(w, len, a) < 0)
		return -EINVAL;
	unmap(a);
	return 0;
}

int policy_client_parse(const char *s, struct policy_client *out)
{
	struct policy_client c = {0};
	struct policy_addr server;
	const char *w;
	size_t pos = 0, len;
	uint64_t v;

	if (!s || !word(s, &pos, &w, &len) || parse_host(w, len, &c.addr) < 0)
		return -EINVAL;
	if (!word(s, &pos, &w, &len) || strnum_u64n(w, len, 0, 65535, &v) < 0)
		return -EINVAL;
	c.port = (uint16_t)v;
	if (!word(s, &pos, &w, &len) || parse_host(w, len, &server) < 0)
		return -EINVAL;
	if (!word(s, &pos, &w, &len) || strnum_u64n(w, len, 1, 65535, &v) < 0)
		return -EINVAL;
	c.server_port = (uint16_t)v;
	if (word(s, &pos, &w, &len))
		return -EINVAL;
	snprintf(c.how, sizeof(c.how), "SSH_CONNECTION");
	*out = c;
	return 0;
}

/* Reads a small /proc file into buf (NUL-terminated); returns its length or -errno. */
static ssize_t read_small(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t n = 0;
	ssize_t r;

	if (fd < 0)
		return -errno;
	while (n + 1 < len && (r = read(fd, buf + n, len - 1 - n)) > 0)
		n += (size_t)r;
	close(fd);
	buf[n] = '\0';
	return (ssize_t)n;
}

/* The parent of pid, from /proc/PID/stat ("pid (comm) state ppid ..."), or -1. */
static pid_t parent_of(const char *procdir, pid_t pid)
{
	char path[64], buf[512], *rp;
	long ppid;

	snprintf(path, sizeof(path), "%s/%d/stat", procdir, (int)pid);
	if (read_small(path, buf, sizeof(buf)) < 0)
		return -1;
	rp = strrchr(buf, ')'); /* comm may hold blanks and parentheses */
	if (!rp || sscanf(rp + 1, " %*c %ld", &ppid) != 1)
		return -1;
	return (pid_t)ppid;
}

static bool is_sshd(const char *procdir, pid_t pid)
{
	char path[64], comm[32];

	snprintf(path, sizeof(path), "%s/%d/comm", procdir, (int)pid);
	if (read_small(path, comm, sizeof(comm)) < 0)
		return false;
	return !strncmp(comm, "sshd", 4); /* sshd, and sshd-session of OpenSSH 9.8 */
}

/* The inode of pid's network namespace, 0 when unknown. */
static ino_t netns_of(const char *procdir, pid_t pid)
{
	char path[64];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%d/ns/net", procdir, (int)pid);
	return stat(path, &st) == 0 ? st.st_ino : 0;
}

/* Whether pid's environment holds SSH_CONNECTION=value. */
static bool environ_has(const char *procdir, pid_t pid, const char *value)
{
	char path[64], *buf = malloc(ENVIRON_MAX), *p;
	size_t vlen = strlen(value);
	ssize_t n;
	bool found = false;

	if (!buf)
		return false;
	snprintf(path, sizeof(path), "%s/%d/environ", procdir, (int)pid);
	n = read_small(path, buf, ENVIRON_MAX);
	for (p = buf; n > 0 && p < buf + n; p += strlen(p) + 1)
		if (!strncmp(p, "SSH_CONNECTION=", 15) && strlen(p + 15) == vlen &&
		    !memcmp(p + 15, value, vlen))
			found = true;
	free(buf);
	return found;
}

struct sock_match {
	uint32_t inodes[SOCKETS_MAX];
	size_t n;
	bool found;
	struct sockdiag_sock s;
};

static int match_inode(const struct sockdiag_sock *s, void *data)
{
	struct sock_match *m = data;

	for (size_t i = 0; i < m->n; i++)
		if (s->inode && s->inode == m->inodes[i]) {
			m->s = *s;
			m->found = true;
			return 1;
		}
	return 0;
}

/* The peer of a TCP socket pid holds, in this network namespace. Returns 1, 0 or -errno. */
static int peer_of(const char *procdir, pid_t pid, struct policy_client *out)
{
	struct sock_match m = {0};
	struct sockdiag *d;
	char path[64], link[64];
	struct dirent *de;
	DIR *dir;
	int rc = 0;

	snprintf(path, sizeof(path), "%s/%d/fd", procdir, (int)pid);
	dir = opendir(path);
	if (!dir)
		return 0; /* not ours to read */
	while ((de = readdir(dir)) && m.n < SOCKETS_MAX) {
		ssize_t n;
		unsigned long ino;

		n = readlinkat(dirfd(dir), de->d_name, link, sizeof(link) - 1);
		if (n <= 0)
			continue;
		link[n] = '\0';
		if (sscanf(link, "socket:[%lu]", &ino) == 1)
			m.inodes[m.n++] = (uint32_t)ino;
	}
	closedir(dir);
	if (m.n == 0 || sockdiag_open(&d) < 0)
		return 0;
	for (int fam = 0; fam < 2 && !m.found && rc >= 0; fam++) {
		struct sockdiag_req req = {.family = fam ? AF_INET6 : AF_INET,
		                           .proto = IPPROTO_TCP,
		                           .states = 1u << TCP_ESTABLISHED};
		rc = sockdiag_dump(d, &req, match_inode, &m);
	}
	sockdiag_close(d);
	if (!m.found)
		return 0;
	out->addr =
	    (struct policy_addr){.family = m.s.family, .prefix = m.s.family == AF_INET ? 32 : 128};
	memcpy(out->addr.bytes, m.s.peer, m.s.family == AF_INET ? 4 : 16);
	unmap(&out->addr);
	out->port = m.s.peer_port;
	out->server_port = m.s.local_port;
	snprintf(out->how, sizeof(out->how), "sshd (pid %d)", (int)pid);
	return 1;
}

int policy_client_find(const char *ssh_connection, const char *procdir, struct policy_client *out)
{
	pid_t chain[ANCESTORS_MAX], pid = getpid();
	ino_t self_ns = netns_of(procdir, pid);
	size_t n = 0, sshd = 0;
	bool have_sshd = false;

	/* ancestors, nearest first, up to the first sshd */
	while (n < ANCESTORS_MAX && (pid = parent_of(procdir, pid)) > 0) {
		chain[n++] = pid;
		if (is_sshd(procdir, pid)) {
			have_sshd = true;
			sshd = n - 1;
			break;
		}
	}
	if (ssh_connection && *ssh_connection) {
		/* handed down by an sshd of another namespace: that connection does not
		 * cross this namespace's firewall */
		bool inherited =
		    have_sshd && sshd > 0 && environ_has(procdir, chain[sshd - 1], ssh_connection);
		if (inherited && netns_of(procdir, chain[sshd]) != self_ns)
			return 0;
		return policy_client_parse(ssh_connection, out) == 0 ? 1 : -EINVAL;
	}
	if (!have_sshd || netns_of(procdir, chain[sshd]) != self_ns)
		return 0;
	return peer_of(procdir, chain[sshd], out);
}

static bool loopback(const struct policy_addr *a)
{
	static const uint8_t one[16] = {[15] = 1};

	if (a->family == AF_INET)
		return a->bytes[0] == 127;
	return !memcmp(a->bytes, one, 16);
}

ssize_t policy_lockout(const struct policy *p, const struct policy_client *c)
{
	ssize_t idx;

	if (loopback(&c->addr))
		return -1;
	idx = policy_eval(p, &(struct policy_packet){
	                         .proto = POLICY_P_TCP, .port = c->server_port, .from = &c->addr});
	if (idx < 0)
		return (ssize_t)p->nrules;
	return p->rules[idx].action == POLICY_ALLOW ? -1 : idx;
}
