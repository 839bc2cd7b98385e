/*
 * Verifying a policy by scanning: a port's observed state against the policy's
 * verdict for the scanning address.
 *
 *   verdict  state      result         meaning
 *   allow    open       ok
 *   allow    closed     closed         allowed, but nothing listens (info)
 *   allow    filtered   blocked        allowed, yet something drops it (warning)
 *   allow    open|filtered  ok         UDP silence: a service that ignores an empty
 *                                      datagram looks the same as a drop
 *   deny     open       violation      reachable, and the policy denies it
 *   deny     open       denied-local   the scan ran over the loopback, which the
 *                                      compiled chain accepts: remote sources are denied
 *   deny     closed     answered       the host answers where the policy drops (warning;
 *                                      ok over the loopback)
 *   deny     filtered   ok
 *   reject   closed     ok             (REJECT answers with a reset)
 *   reject   open       violation / denied-local, as deny
 * Other states (open|filtered when denied, closed|filtered, ...) count as filtered.
 */
#pragma once

#include <stdbool.h>

#include "policy/policy.h"
#include "scan/result.h"

enum policy_verify_result {
	POLICY_VERIFY_OK,
	POLICY_VERIFY_CLOSED,
	POLICY_VERIFY_BLOCKED,
	POLICY_VERIFY_VIOLATION,
	POLICY_VERIFY_DENIED_LOCAL,
	POLICY_VERIFY_ANSWERED,
	POLICY_VERIFY_RESULT_MAX,
};

/* "ok", "closed", "blocked", "violation", "denied-local", "answered". */
const char *policy_verify_result_name(enum policy_verify_result r);

/* The result for a port in state, the policy's verdict, and whether the scan ran over lo. */
enum policy_verify_result policy_verify_judge(enum policy_action verdict, enum scan_state state,
                                              bool local);
