/*
 * The Windows Firewall back-end: a policy as a PowerShell script of
 * New-NetFirewallRule calls, or as netsh advfirewall lines, for the inbound
 * direction. The PowerShell script first removes its rule group ("portscope");
 * netsh, which has no groups, replaces each rule by its name
 * ("portscope-LINE-PROTO: LABEL"). The policy's "no rule matches: drop" (and a final DENY ALL) is
 * the profiles' default inbound action, Block, not a rule.
 *
 * Windows Firewall is not first-match: a block rule wins over every allow
 * rule, whatever their order. So an ALLOW becomes an allow rule, and a DENY
 * or REJECT becomes a block rule only where a later ALLOW would otherwise let
 * in part of what it denies (else the default Block already covers it). A
 * DENY that an earlier ALLOW overlaps as well cannot be written for Windows
 * (the block would also shut what the earlier ALLOW lets in): the compiler
 * refuses it with -EDOM and says which two lines. REJECT has no Windows
 * counterpart and blocks (drops) like DENY.
 *
 * The docs' example
 *   ALLOW TCP Port 80 (Web)
 *   ALLOW TCP Port 22 (SSH) from 10.0.0.5 (Admin)
 *   DENY ALL (Block everything else)
 * compiles (PowerShell) to
 *   New-NetFirewallRule -Name 'portscope-1-tcp' -DisplayName 'Web' -Group 'portscope'
 *     -Direction Inbound -Action Allow -Protocol TCP -LocalPort '80'
 *   New-NetFirewallRule -Name 'portscope-2-tcp' -DisplayName 'Admin' ... -LocalPort '22'
 *     -RemoteAddress '10.0.0.5'
 *   Set-NetFirewallProfile -Profile Domain,Private,Public -Enabled True
 *     -DefaultInboundAction Block
 */
#pragma once

#include <stddef.h>

#include "policy/policy.h"

#define POLICY_WIN_GROUP "portscope"

enum policy_win_format {
	POLICY_WIN_POWERSHELL, /* New-NetFirewallRule (NetSecurity module) */
	POLICY_WIN_NETSH,      /* netsh advfirewall firewall add rule */
};

struct policy_win_opts {
	enum policy_win_format format;
	const char *source; /* file name for the header comment, or NULL */
};

/*
 * Compiles p into a malloc'd script in *out (*outlen bytes). Returns 0,
 * -EDOM with why naming the lines when a DENY cannot be written for Windows
 * (see above), or -ENOMEM.
 */
int policy_win_compile(const struct policy *p, const struct policy_win_opts *o, char **out,
                       size_t *outlen, char *why, size_t whylen);
