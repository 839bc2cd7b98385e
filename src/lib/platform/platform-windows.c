/*
 * The platform layer on Windows: the IP Helper's extended TCP/UDP tables for
 * sockets and their owning pids (what netstat -ano reads), a Toolhelp
 * snapshot and QueryFullProcessImageNameW for process names (UTF-16, given as
 * UTF-8), GetAdaptersAddresses for addresses, %LOCALAPPDATA% for the history.
 * Winsock is started and the console set to UTF-8 before main().
 */
#include <winsock2.h>
#include <ws2tcpip.h>
#include <windows.h>
#include <iphlpapi.h>
#include <tlhelp32.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "platform/platform.h"
#include "platform/win32/portrange.h"

__attribute__((constructor)) static void windows_init(void)
{
	WSADATA wsa;

	WSAStartup(MAKEWORD(2, 2), &wsa);
	SetConsoleOutputCP(CP_UTF8);
}

/* UTF-16 → UTF-8 into out (cut at outlen, always terminated); returns out. */
static char *utf8(const wchar_t *w, char *out, size_t outlen)
{
	int n = WideCharToMultiByte(CP_UTF8, 0, w, -1, out, (int)outlen, NULL, NULL);

	if (n <= 0 && outlen)
		out[0] = '\0';
	else if (outlen)
		out[outlen - 1] = '\0';
	return out;
}

/* ---- sockets ---- */

struct plat_socktab {
	void *buf;
	DWORD len;
};

static int windows_sockets_open(struct plat_socktab **out)
{
	*out = calloc(1, sizeof(**out));
	return *out ? 0 : -ENOMEM;
}

static void windows_sockets_close(struct plat_socktab *t)
{
	if (t)
		free(t->buf);
	free(t);
}

/* MIB_TCP_STATE → Linux's TCP_* numbers (socktab.h). */
static uint8_t tcp_state(DWORD st)
{
	static const uint8_t map[] = {
	    [MIB_TCP_STATE_CLOSED] = 7,    [MIB_TCP_STATE_LISTEN] = 10,
	    [MIB_TCP_STATE_SYN_SENT] = 2,  [MIB_TCP_STATE_SYN_RCVD] = 3,
	    [MIB_TCP_STATE_ESTAB] = 1,     [MIB_TCP_STATE_FIN_WAIT1] = 4,
	    [MIB_TCP_STATE_FIN_WAIT2] = 5, [MIB_TCP_STATE_CLOSE_WAIT] = 8,
	    [MIB_TCP_STATE_CLOSING] = 11,  [MIB_TCP_STATE_LAST_ACK] = 9,
	    [MIB_TCP_STATE_TIME_WAIT] = 6, [MIB_TCP_STATE_DELETE_TCB] = 7,
	};

	return st < sizeof(map) ? map[st] : 7;
}

/* Fills t->buf with one table, growing it as the IP Helper asks. Returns 0 or -errno. */
static int fetch_table(struct plat_socktab *t, const struct sockdiag_req *req)
{
	ULONG af = req->family == AF_INET ? AF_INET : AF_INET6;

	for (int tries = 0; tries < 8; tries++) {
		DWORD len = t->len, rc;

		rc = req->proto == IPPROTO_TCP
		         ? GetExtendedTcpTable(t->buf, &len, FALSE, af, TCP_TABLE_OWNER_PID_ALL, 0)
		         : GetExtendedUdpTable(t->buf, &len, FALSE, af, UDP_TABLE_OWNER_PID, 0);
		if (rc == NO_ERROR)
			return 0;
		if (rc != ERROR_INSUFFICIENT_BUFFER)
			return rc == ERROR_NOT_SUPPORTED ? -EAFNOSUPPORT : -EIO;
		len += len / 4 + 4096; /* the table may grow before the next call */
		void *nb = realloc(t->buf, len);
		if (!nb)
			return -ENOMEM;
		t->buf = nb;
		t->len = len;
	}
	return -EAGAIN;
}

static uint16_t port_of(DWORD p)
{
	return ntohs((u_short)p);
}

static int emit(const struct sockdiag_req *req, struct sockdiag_sock *s, sockdiag_cb cb, void *data)
{
	if (!(req->states & (1u << s->state)))
		return 0;
	return cb(s, data);
}

static int windows_sockets_dump(struct plat_socktab *t, const struct sockdiag_req *req,
                                sockdiag_cb cb, void *data)
{
	int rc = fetch_table(t, req);

	if (rc < 0)
		return rc;
	struct sockdiag_sock s = {.family = req->family, .proto = req->proto, .v6only = -1};
	if (req->proto == IPPROTO_TCP && req->family == AF_INET) {
		const MIB_TCPTABLE_OWNER_PID *tab = t->buf;

		for (DWORD i = 0; rc == 0 && i < tab->dwNumEntries; i++) {
			const MIB_TCPROW_OWNER_PID *r = &tab->table[i];

			memset(s.local, 0, 16);
			memset(s.peer, 0, 16);
			memcpy(s.local, &r->dwLocalAddr, 4);
			memcpy(s.peer, &r->dwRemoteAddr, 4);
			s.local_port = port_of(r->dwLocalPort);
			s.peer_port =
			    r->dwState == MIB_TCP_STATE_LISTEN ? 0 : port_of(r->dwRemotePort);
			s.state = tcp_state(r->dwState);
			s.inode = r->dwOwningPid;
			rc = emit(req, &s, cb, data);
		}
	} else if (req->proto == IPPROTO_TCP) {
		const MIB_TCP6TABLE_OWNER_PID *tab = t->buf;

		for (DWORD i = 0; rc == 0 && i < tab->dwNumEntries; i++) {
			const MIB_TCP6ROW_OWNER_PID *r = &tab->table[i];

			memcpy(s.local, r->ucLocalAddr, 16);
			memcpy(s.peer, r->ucRemoteAddr, 16);
			s.local_port = port_of(r->dwLocalPort);
			s.peer_port =
			    r->dwState == MIB_TCP_STATE_LISTEN ? 0 : port_of(r->dwRemotePort);
			s.state = tcp_state(r->dwState);
			s.inode = r->dwOwningPid;
			s.ifindex = r->dwLocalScopeId;
			rc = emit(req, &s, cb, data);
		}
	} else if (req->family == AF_INET) {
		const MIB_UDPTABLE_OWNER_PID *tab = t->buf;

		for (DWORD i = 0; rc == 0 && i < tab->dwNumEntries; i++) {
			const MIB_UDPROW_OWNER_PID *r = &tab->table[i];

			memset(s.local, 0, 16);
			memcpy(s.local, &r->dwLocalAddr, 4);
			s.local_port = port_of(r->dwLocalPort);
			s.state = 7; /* unconnected: "unconn" */
			s.inode = r->dwOwningPid;
			rc = emit(req, &s, cb, data);
		}
	} else {
		const MIB_UDP6TABLE_OWNER_PID *tab = t->buf;

		for (DWORD i = 0; rc == 0 && i < tab->dwNumEntries; i++) {
			const MIB_UDP6ROW_OWNER_PID *r = &tab->table[i];

			memcpy(s.local, r->ucLocalAddr, 16);
			s.local_port = port_of(r->dwLocalPort);
			s.state = 7;
			s.inode = r->dwOwningPid;
			s.ifindex = r->dwLocalScopeId;
			rc = emit(req, &s, cb, data);
		}
	}
	return rc;
}

/* ---- owners: a process snapshot, names read on demand ---- */

struct win_proc {
	DWORD pid;
	char *name;            /* image base name, UTF-8; NULL until asked */
	wchar_t exe[MAX_PATH]; /* the snapshot's name, for processes we may not open */
};

struct plat_procs {
	struct win_proc *v;
	size_t n;
	unsigned unreadable;
};

static struct plat_procs *windows_procs_new(void)
{
	return calloc(1, sizeof(struct plat_procs));
}

static int proc_cmp(const void *a, const void *b)
{
	DWORD x = ((const struct win_proc *)a)->pid, y = ((const struct win_proc *)b)->pid;

	return x < y ? -1 : x > y;
}

static int windows_procs_start(struct plat_procs *m)
{
	HANDLE snap = CreateToolhelp32Snapshot(TH32CS_SNAPPROCESS, 0);
	PROCESSENTRY32W pe = {.dwSize = sizeof(pe)};
	size_t cap = 0;

	if (snap == INVALID_HANDLE_VALUE)
		return -EIO;
	for (BOOL ok = Process32FirstW(snap, &pe); ok; ok = Process32NextW(snap, &pe)) {
		if (m->n == cap) {
			size_t nc = cap ? cap * 2 : 256;
			struct win_proc *nv = realloc(m->v, nc * sizeof(*nv));

			if (!nv) {
				CloseHandle(snap);
				return -ENOMEM;
			}
			m->v = nv;
			cap = nc;
		}
		m->v[m->n] = (struct win_proc){.pid = pe.th32ProcessID};
		wcsncpy(m->v[m->n].exe, pe.szExeFile, MAX_PATH - 1);
		m->v[m->n].exe[MAX_PATH - 1] = L'\0';
		m->n++;
	}
	CloseHandle(snap);
	qsort(m->v, m->n, sizeof(*m->v), proc_cmp);
	return 0;
}

static int windows_procs_wait(struct plat_procs *m)
{
	(void)m;
	return 0;
}

static size_t windows_procs_lookup(const struct plat_procs *m, const struct sockdiag_sock *s,
                                   unsigned *idx, size_t max)
{
	struct win_proc key = {.pid = s->inode};
	const struct win_proc *p;

	if (!m->n)
		return 0;
	p = bsearch(&key, m->v, m->n, sizeof(*m->v), proc_cmp);
	if (!p)
		return 0;
	if (max)
		idx[0] = (unsigned)(p - m->v);
	return 1;
}

static long windows_procs_pid(const struct plat_procs *m, unsigned i)
{
	return (long)m->v[i].pid;
}

/* The base name of the image path, as QueryFullProcessImageNameW gives it, else the snapshot's. */
static const char *windows_procs_name(struct plat_procs *m, unsigned i)
{
	struct win_proc *p = &m->v[i];
	wchar_t path[32768];
	const wchar_t *base = p->exe;
	DWORD len = ARRAYSIZE(path);
	char buf[1024];
	HANDLE h;

	if (p->name)
		return p->name;
	h = OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, FALSE, p->pid);
	if (h && QueryFullProcessImageNameW(h, 0, path, &len)) {
		const wchar_t *slash = wcsrchr(path, L'\\');

		base = slash ? slash + 1 : path;
	} else if (!p->exe[0]) {
		m->unreadable++;
	}
	if (h)
		CloseHandle(h);
	p->name = strdup(utf8(base[0] ? base : L"?", buf, sizeof(buf)));
	return p->name ? p->name : "?";
}

static unsigned windows_procs_unreadable(const struct plat_procs *m)
{
	return m->unreadable;
}

static void windows_procs_free(struct plat_procs *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->n; i++)
		free(m->v[i].name);
	free(m->v);
	free(m);
}

/* Windows sockets carry no user: ls shows "-" (the owner is the process). */
static const char *windows_user_name(const struct sockdiag_sock *s, char *buf, size_t len)
{
	(void)s;
	snprintf(buf, len, "-");
	return buf;
}

/*
 * Windows' dynamic port range as the system reports it (WMI's
 * MSFT_NetTCPSetting, where `netsh int ipv4 set dynamicport` puts it), else
 * the default since Vista, 49152-65535 (RFC 6335), with why saying so.
 */
static int windows_ephemeral_range(uint16_t *lo, uint16_t *hi, char *why, size_t whylen)
{
	char wmi[160];

	if (win_dynamic_port_range(lo, hi, wmi, sizeof(wmi)) == 0)
		return 0;
	snprintf(why, whylen, "Windows default");
	*lo = 49152;
	*hi = 65535;
	return 0;
}

/* Windows reserves no ports for administrators: any user may bind any port. */
static int windows_unpriv_port_start(uint16_t *start, char *why, size_t whylen)
{
	(void)why;
	(void)whylen;
	*start = 0;
	return 0;
}

static int windows_own_addresses(plat_addr_cb cb, void *data)
{
	ULONG len = 16384, rc;
	IP_ADAPTER_ADDRESSES *aa = NULL;

	for (int tries = 0; tries < 4; tries++) {
		free(aa);
		aa = malloc(len);
		if (!aa)
			return -ENOMEM;
		rc = GetAdaptersAddresses(AF_UNSPEC,
		                          GAA_FLAG_SKIP_ANYCAST | GAA_FLAG_SKIP_MULTICAST |
		                              GAA_FLAG_SKIP_DNS_SERVER,
		                          NULL, aa, &len);
		if (rc != ERROR_BUFFER_OVERFLOW)
			break;
	}
	if (rc != NO_ERROR) {
		free(aa);
		return -EIO;
	}
	for (IP_ADAPTER_ADDRESSES *a = aa; a; a = a->Next) {
		if (a->OperStatus != IfOperStatusUp)
			continue;
		for (IP_ADAPTER_UNICAST_ADDRESS *u = a->FirstUnicastAddress; u; u = u->Next) {
			const struct sockaddr *sa = u->Address.lpSockaddr;

			if (sa->sa_family == AF_INET)
				cb(AF_INET,
				   (const uint8_t *)&((const struct sockaddr_in *)(const void *)sa)
				       ->sin_addr,
				   data);
			else if (sa->sa_family == AF_INET6)
				cb(AF_INET6,
				   ((const struct sockaddr_in6 *)(const void *)sa)
				       ->sin6_addr.s6_addr,
				   data);
		}
	}
	free(aa);
	return 0;
}

/* %LOCALAPPDATA%/portscope/history.db (UTF-8, forward slashes: mkdir -p splits on '/'). */
static int windows_history_path(char *buf, size_t len)
{
	const wchar_t *base = _wgetenv(L"LOCALAPPDATA");
	char dir[1024];
	int n;

	if (!base || !base[0])
		return -ENOENT;
	utf8(base, dir, sizeof(dir));
	for (char *p = dir; *p; p++)
		if (*p == '\\')
			*p = '/';
	n = snprintf(buf, len, "%s/portscope/history.db", dir);
	if (n < 0 || (size_t)n >= len)
		return -ENAMETOOLONG;
	return 0;
}

static const struct platform_ops platform_windows = {
    .name = "windows",
    .sockets_open = windows_sockets_open,
    .sockets_dump = windows_sockets_dump,
    .sockets_close = windows_sockets_close,
    .procs_new = windows_procs_new,
    .procs_start = windows_procs_start,
    .procs_wait = windows_procs_wait,
    .procs_lookup = windows_procs_lookup,
    .procs_pid = windows_procs_pid,
    .procs_name = windows_procs_name,
    .procs_unreadable = windows_procs_unreadable,
    .procs_free = windows_procs_free,
    .user_name = windows_user_name,
    .ephemeral_range = windows_ephemeral_range,
    .unpriv_port_start = windows_unpriv_port_start,
    .unpriv_setting = NULL,
    .own_addresses = windows_own_addresses,
    .history_path = windows_history_path,
};

const struct platform_ops *const platform = &platform_windows;
