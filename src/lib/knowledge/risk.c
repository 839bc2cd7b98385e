#include <stddef.h>

#include "knowledge/risk.h"
#include "knowledge/services.h"
#include "util/array.h"

#define TCP KB_PROTO_TCP
#define UDP KB_PROTO_UDP

/*
 * Sorted by port, then protocol. Every entry needs every field (the unit test
 * walks the table). Citations are CVE IDs, CERT/CISA or vendor advisories,
 * RFCs or vendor documentation.
 */
/* clang-format off */
static const struct kb_risk risks[] = {
	{ .port = 7, .proto = UDP, .service = "echo", .severity = KB_SEV_MEDIUM,
	  .note = "UDP echo reflects any datagram: loops with chargen and spoofed-source floods",
	  .citation = "CVE-1999-0103; CERT CA-1996-01",
	  .recommendation = "Disable the inetd small services (echo, chargen, discard, daytime)." },
	{ .port = 19, .proto = UDP, .service = "chargen", .severity = KB_SEV_HIGH,
	  .note = "CharGEN answers one datagram with a burst of text: a classic reflection/amplification source",
	  .citation = "CVE-1999-0103; CISA TA14-017A (UDP-based amplification attacks)",
	  .recommendation = "Disable chargen; nothing current needs it." },
	{ .port = 21, .proto = TCP, .service = "ftp", .severity = KB_SEV_HIGH,
	  .note = "FTP sends user names, passwords and files in cleartext; anonymous login often left enabled",
	  .citation = "CVE-1999-0497 (anonymous FTP enabled); RFC 2577 (FTP security considerations)",
	  .recommendation = "Replace with SFTP or FTPS; disable anonymous login; restrict by source address." },
	{ .port = 22, .proto = TCP, .service = "ssh", .severity = KB_SEV_LOW,
	  .note = "Exposed SSH draws constant password brute forcing; old OpenSSH has remote pre-auth bugs",
	  .citation = "CVE-2024-6387 (regreSSHion, OpenSSH sshd pre-auth RCE)",
	  .recommendation = "Keys only (PasswordAuthentication no), no root login, keep OpenSSH patched, rate-limit." },
	{ .port = 23, .proto = TCP, .service = "telnet", .severity = KB_SEV_HIGH,
	  .note = "Telnet is cleartext: passwords and whole sessions are readable on the wire",
	  .citation = "CWE-319 (cleartext transmission); CVE-2020-10188 (netkit telnetd RCE)",
	  .recommendation = "Disable telnetd and use SSH." },
	{ .port = 25, .proto = TCP, .service = "smtp", .severity = KB_SEV_MEDIUM,
	  .note = "An SMTP server that relays for anyone is abused by spammers (open relay); plain SMTP is cleartext",
	  .citation = "CVE-1999-0512 (open mail relay); RFC 2505 (anti-spam recommendations for MTAs)",
	  .recommendation = "Relay only for authenticated users and own networks; offer STARTTLS." },
	{ .port = 53, .proto = UDP, .service = "dns", .severity = KB_SEV_MEDIUM,
	  .note = "A resolver that answers anyone is used for DNS amplification attacks",
	  .citation = "US-CERT TA13-088A (DNS amplification attacks)",
	  .recommendation = "Allow recursion only for own clients; enable response rate limiting." },
	{ .port = 69, .proto = UDP, .service = "tftp", .severity = KB_SEV_HIGH,
	  .note = "TFTP has no authentication: anyone can read (and often write) the files it serves",
	  .citation = "RFC 1350 section 7 (no login or access control); CISA TA14-017A",
	  .recommendation = "Serve TFTP only on provisioning networks, read-only, from a dedicated directory." },
	{ .port = 80, .proto = TCP, .service = "http", .severity = KB_SEV_LOW,
	  .note = "Plain HTTP: credentials, cookies and content can be read and altered in transit",
	  .citation = "CWE-319 (cleartext transmission); RFC 6797 (HTTP Strict Transport Security)",
	  .recommendation = "Redirect to HTTPS and set HSTS." },
	{ .port = 110, .proto = TCP, .service = "pop3", .severity = KB_SEV_MEDIUM,
	  .note = "POP3 without TLS sends mailbox passwords in cleartext",
	  .citation = "RFC 8314 (cleartext considered obsolete for mail access)",
	  .recommendation = "Offer POP3S on 995 only, or require STLS before login." },
	{ .port = 111, .proto = TCP, .service = "rpcbind", .severity = KB_SEV_MEDIUM,
	  .note = "rpcbind tells anyone which RPC services (NFS, mountd, NIS) run and where; rpcbomb memory exhaustion",
	  .citation = "CVE-2017-8779 (rpcbind/libtirpc rpcbomb); CERT CA-1994-15",
	  .recommendation = "Block 111 at the edge; disable rpcbind when no NFSv3/NIS is served." },
	{ .port = 111, .proto = UDP, .service = "rpcbind", .severity = KB_SEV_MEDIUM,
	  .note = "Portmapper over UDP is a reflection/amplification source and maps the RPC services",
	  .citation = "CISA TA14-017A (Portmap amplification); CVE-2017-8779",
	  .recommendation = "Block 111/udp from untrusted networks; disable rpcbind when unused." },
	{ .port = 123, .proto = UDP, .service = "ntp", .severity = KB_SEV_MEDIUM,
	  .note = "ntpd answering monlist queries amplifies traffic about 200 times",
	  .citation = "CVE-2013-5211 (ntpd monlist); CISA TA14-013A",
	  .recommendation = "Upgrade ntpd or use chrony; 'restrict default noquery'." },
	{ .port = 135, .proto = TCP, .service = "msrpc", .severity = KB_SEV_HIGH,
	  .note = "The Windows RPC endpoint mapper exposes DCOM/RPC interfaces (Blaster worm vector)",
	  .citation = "MS03-026; CVE-2003-0352 (DCOM RPC overflow, Blaster)",
	  .recommendation = "Never expose 135 beyond the LAN; filter at the edge." },
	{ .port = 137, .proto = UDP, .service = "netbios-ns", .severity = KB_SEV_MEDIUM,
	  .note = "NetBIOS name service leaks host and user names and allows name spoofing; amplification source",
	  .citation = "MS00-047 / CVE-2000-0673 (NBNS name spoofing); MS16-077 (BadTunnel); CISA TA14-017A",
	  .recommendation = "Disable NetBIOS over TCP/IP; block 137-139 at the edge." },
	{ .port = 138, .proto = UDP, .service = "netbios-dgm", .severity = KB_SEV_LOW,
	  .note = "NetBIOS datagram service broadcasts browse lists: host, domain and share names",
	  .citation = "RFC 1002 (NetBIOS datagram service, no authentication); Microsoft KB 204279",
	  .recommendation = "Disable NetBIOS over TCP/IP; block 137-139 at the edge." },
	{ .port = 139, .proto = TCP, .service = "netbios-ssn", .severity = KB_SEV_HIGH,
	  .note = "SMB over NetBIOS: null sessions, share enumeration and the SMBv1 bugs of port 445",
	  .citation = "MS17-010 (SMBv1 RCE); CVE-2017-0161 (NetBT session service RCE)",
	  .recommendation = "Disable NetBIOS over TCP/IP and SMBv1; never expose beyond the LAN." },
	{ .port = 143, .proto = TCP, .service = "imap", .severity = KB_SEV_MEDIUM,
	  .note = "IMAP without TLS sends mailbox passwords in cleartext",
	  .citation = "RFC 8314 (cleartext considered obsolete for mail access)",
	  .recommendation = "Offer IMAPS on 993 only, or require STARTTLS before login." },
	{ .port = 161, .proto = UDP, .service = "snmp", .severity = KB_SEV_HIGH,
	  .note = "SNMP with the default community 'public'/'private' gives read (or write) access to the device",
	  .citation = "CVE-1999-0517 (default SNMP community); US-CERT TA17-156A",
	  .recommendation = "Use SNMPv3 with authPriv; change communities; allow only the NMS address." },
	{ .port = 389, .proto = TCP, .service = "ldap", .severity = KB_SEV_MEDIUM,
	  .note = "Anonymous binds leak the directory; simple binds without TLS send passwords in cleartext",
	  .citation = "RFC 4513 section 5.1 (anonymous and unauthenticated binds); Microsoft ADV190023",
	  .recommendation = "Disable anonymous bind; require LDAPS/StartTLS, signing and channel binding." },
	{ .port = 389, .proto = UDP, .service = "ldap", .severity = KB_SEV_MEDIUM,
	  .note = "Connectionless LDAP (CLDAP) answers small queries with large replies: amplification source",
	  .citation = "CISA TA14-017A (CLDAP amplification)",
	  .recommendation = "Block 389/udp from outside the domain network." },
	{ .port = 445, .proto = TCP, .service = "smb", .severity = KB_SEV_HIGH,
	  .note = "SMB exposed: EternalBlue (SMBv1 remote code execution) spread WannaCry and NotPetya",
	  .citation = "MS17-010; CVE-2017-0144 (EternalBlue); US-CERT TA17-132A (WannaCry)",
	  .recommendation = "Never expose SMB to the Internet; disable SMBv1; apply MS17-010." },
	{ .port = 512, .proto = TCP, .service = "rexec", .severity = KB_SEV_HIGH,
	  .note = "rexec takes a cleartext password and runs commands",
	  .citation = "CWE-319 (cleartext transmission); rexecd(8)",
	  .recommendation = "Disable the r-services; use SSH." },
	{ .port = 513, .proto = TCP, .service = "rlogin", .severity = KB_SEV_HIGH,
	  .note = "rlogin trusts host names and .rhosts files and is cleartext",
	  .citation = "CERT CA-1997-06 (rlogin overflow); rlogind(8) on .rhosts trust",
	  .recommendation = "Disable the r-services; use SSH." },
	{ .port = 514, .proto = TCP, .service = "rsh", .severity = KB_SEV_HIGH,
	  .note = "rsh runs commands on host-based trust (.rhosts) without a password, in cleartext",
	  .citation = "rshd(8) (trust by privileged source port); CWE-319",
	  .recommendation = "Disable the r-services; use SSH." },
	{ .port = 623, .proto = UDP, .service = "ipmi", .severity = KB_SEV_HIGH,
	  .note = "IPMI 2.0 RAKP hands out password hashes to anyone for offline cracking",
	  .citation = "CVE-2013-4786 (IPMI 2.0 RAKP hash disclosure)",
	  .recommendation = "Put BMCs on an isolated management network; disable IPMI over LAN when unused." },
	{ .port = 873, .proto = TCP, .service = "rsync", .severity = KB_SEV_MEDIUM,
	  .note = "rsync daemon modules are often readable (or writable) without authentication",
	  .citation = "CVE-2024-12084 (rsync daemon heap overflow); rsyncd.conf(5) 'auth users'",
	  .recommendation = "Require 'auth users', restrict 'hosts allow', or tunnel rsync over SSH." },
	{ .port = 1433, .proto = TCP, .service = "mssql", .severity = KB_SEV_HIGH,
	  .note = "Exposed SQL Server draws 'sa' password guessing; a weak sa gives xp_cmdshell on the host",
	  .citation = "CVE-2000-1209 (SQL Server 'sa' null password, Spida worm)",
	  .recommendation = "Do not expose 1433; Windows authentication; strong sa password or sa disabled." },
	{ .port = 1434, .proto = UDP, .service = "mssql-browser", .severity = KB_SEV_HIGH,
	  .note = "SQL Server resolution service: the SQL Slammer worm vector, also an amplification source",
	  .citation = "MS02-039; CVE-2002-0649 (SQL Slammer)",
	  .recommendation = "Block 1434/udp at the edge; disable the SQL Browser service when unused." },
	{ .port = 1521, .proto = TCP, .service = "oracle-tns", .severity = KB_SEV_MEDIUM,
	  .note = "Oracle TNS listener: remote registration lets attackers hijack sessions (TNS Poison)",
	  .citation = "CVE-2012-1675 (Oracle TNS Poison)",
	  .recommendation = "Set VALID_NODE_CHECKING_REGISTRATION; keep the listener off public networks." },
	{ .port = 1900, .proto = UDP, .service = "ssdp", .severity = KB_SEV_MEDIUM,
	  .note = "UPnP SSDP answers M-SEARCH from anywhere: amplification and CallStranger data exfiltration",
	  .citation = "CVE-2020-12695 (CallStranger); CISA TA14-017A (SSDP amplification)",
	  .recommendation = "Block 1900/udp at the edge; disable UPnP on routers and servers." },
	{ .port = 2049, .proto = TCP, .service = "nfs", .severity = KB_SEV_HIGH,
	  .note = "NFS trusts client-claimed user IDs (AUTH_SYS); exports to the world expose whole file systems",
	  .citation = "CVE-1999-0554 (NFS exports to the world); CERT CA-1994-15",
	  .recommendation = "Export only to named hosts, use root_squash, NFSv4 with Kerberos (sec=krb5p)." },
	{ .port = 2375, .proto = TCP, .service = "docker-api", .severity = KB_SEV_HIGH,
	  .note = "The Docker API without TLS gives anyone root on the host (start a privileged container)",
	  .citation = "Docker docs: Protect the Docker daemon socket (docs.docker.com/engine/security/protect-access/)",
	  .recommendation = "Never listen on tcp without TLS client certificates (2376); use the unix socket or SSH." },
	{ .port = 3306, .proto = TCP, .service = "mysql", .severity = KB_SEV_MEDIUM,
	  .note = "Exposed MySQL: password guessing, and some builds accepted any password (auth bypass)",
	  .citation = "CVE-2012-2122 (MySQL/MariaDB authentication bypass)",
	  .recommendation = "bind-address to localhost or a private address; strong passwords; TLS." },
	{ .port = 3389, .proto = TCP, .service = "rdp", .severity = KB_SEV_HIGH,
	  .note = "Exposed RDP: password brute force and BlueKeep pre-auth remote code execution (wormable)",
	  .citation = "CVE-2019-0708 (BlueKeep); CISA AA19-168A",
	  .recommendation = "Only behind a VPN or RD Gateway; Network Level Authentication; account lockout; patch." },
	{ .port = 5432, .proto = TCP, .service = "postgresql", .severity = KB_SEV_MEDIUM,
	  .note = "Exposed PostgreSQL: password guessing, 'trust' entries in pg_hba.conf, pre-auth bugs",
	  .citation = "CVE-2013-1899 (PostgreSQL pre-auth database name injection)",
	  .recommendation = "listen_addresses on private addresses only; scram-sha-256 in pg_hba.conf; TLS." },
	{ .port = 5900, .proto = TCP, .service = "vnc", .severity = KB_SEV_HIGH,
	  .note = "VNC often runs with a weak or no password, cleartext; auth bypass bugs gave full desktops",
	  .citation = "CVE-2006-2369 (RealVNC authentication bypass)",
	  .recommendation = "Bind VNC to localhost and tunnel it over SSH or a VPN." },
	{ .port = 5984, .proto = TCP, .service = "couchdb", .severity = KB_SEV_HIGH,
	  .note = "Exposed CouchDB: admin-party mode and privilege escalation to remote code execution",
	  .citation = "CVE-2017-12635; CVE-2017-12636 (CouchDB privilege escalation and RCE)",
	  .recommendation = "Bind to localhost, set an admin password, keep CouchDB patched." },
	{ .port = 6000, .proto = TCP, .service = "x11", .severity = KB_SEV_HIGH,
	  .note = "An X server with access control off lets anyone read keystrokes and screens",
	  .citation = "CVE-1999-0526 (X server access control disabled)",
	  .recommendation = "Start X with -nolisten tcp; use ssh -X forwarding." },
	{ .port = 6379, .proto = TCP, .service = "redis", .severity = KB_SEV_HIGH,
	  .note = "Redis has no authentication by default: data theft, and file writes or Lua escapes to code execution",
	  .citation = "CVE-2022-0543 (Debian Redis Lua sandbox escape); redis.io/docs/management/security/",
	  .recommendation = "bind 127.0.0.1, protected-mode yes, requirepass/ACLs, rename dangerous commands." },
	{ .port = 8009, .proto = TCP, .service = "ajp13", .severity = KB_SEV_HIGH,
	  .note = "Tomcat AJP connector: Ghostcat reads web application files and can lead to code execution",
	  .citation = "CVE-2020-1938 (Ghostcat)",
	  .recommendation = "Disable the AJP connector or bind it to localhost with a secret." },
	{ .port = 9200, .proto = TCP, .service = "elasticsearch", .severity = KB_SEV_HIGH,
	  .note = "Elasticsearch REST API without authentication exposes all indices; old scripting gave RCE",
	  .citation = "CVE-2014-3120; CVE-2015-1427 (Elasticsearch scripting RCE)",
	  .recommendation = "Enable security (TLS and authentication); never expose 9200 publicly." },
	{ .port = 10250, .proto = TCP, .service = "kubelet", .severity = KB_SEV_HIGH,
	  .note = "A kubelet API with anonymous auth lets anyone exec into pods on the node",
	  .citation = "Kubernetes docs: Kubelet authentication/authorization (anonymous-auth=false)",
	  .recommendation = "--anonymous-auth=false, --authorization-mode=Webhook; firewall 10250." },
	{ .port = 11211, .proto = TCP, .service = "memcached", .severity = KB_SEV_MEDIUM,
	  .note = "memcached has no authentication: anyone can read and overwrite cached data",
	  .citation = "CVE-2016-8704 (memcached binary protocol RCE)",
	  .recommendation = "Listen on localhost (-l 127.0.0.1) or a private network only." },
	{ .port = 11211, .proto = UDP, .service = "memcached", .severity = KB_SEV_HIGH,
	  .note = "memcached over UDP amplifies up to 51000 times (Memcrashed DDoS)",
	  .citation = "CVE-2018-1000115; CISA TA14-017A (Memcache amplification)",
	  .recommendation = "Disable UDP (-U 0, default since 1.5.6); bind to localhost." },
	{ .port = 27017, .proto = TCP, .service = "mongodb", .severity = KB_SEV_HIGH,
	  .note = "MongoDB without access control exposes and lets anyone wipe databases (ransom attacks)",
	  .citation = "MongoDB Security Checklist (mongodb.com/docs/manual/administration/security-checklist/)",
	  .recommendation = "Enable authorization, bind to private addresses (bindIp), use TLS." },
};
/* clang-format on */

const char *kb_severity_name(int sev)
{
	switch (sev) {
	case KB_SEV_INFO:
		return "info";
	case KB_SEV_LOW:
		return "low";
	case KB_SEV_MEDIUM:
		return "medium";
	case KB_SEV_HIGH:
		return "high";
	}
	return NULL;
}

const struct kb_risk *kb_risk_table(size_t *n)
{
	if (n)
		*n = ARRAY_SIZE(risks);
	return risks;
}

size_t kb_risks_for(uint16_t port, int proto, const struct kb_risk **out, size_t max)
{
	size_t total = 0;

	for (size_t i = 0; i < ARRAY_SIZE(risks); i++) {
		if (risks[i].port != port || (proto >= 0 && risks[i].proto != proto))
			continue;
		if (total < max && out)
			out[total] = &risks[i];
		total++;
	}
	return total;
}
