/* A scanned port's state against the policy's verdict (see verify.h). */
#include "policy/verify.h"

static const char *const names[POLICY_VERIFY_RESULT_MAX] = {
    [POLICY_VERIFY_OK] = "ok",
    [POLICY_VERIFY_CLOSED] = "closed",
    [POLICY_VERIFY_BLOCKED] = "blocked",
    [POLICY_VERIFY_VIOLATION] = "violation",
    [POLICY_VERIFY_DENIED_LOCAL] = "denied-local",
    [POLICY_VERIFY_ANSWERED] = "answered",
};

const char *policy_verify_result_name(enum policy_verify_result r)
{
	return (unsigned)r < POLICY_VERIFY_RESULT_MAX ? names[r] : "?";
}

enum policy_verify_result policy_verify_judge(enum policy_action verdict, enum scan_state state,
                                              bool local)
{
	if (verdict == POLICY_ALLOW)
		return state == SCAN_OPEN || state == SCAN_OPEN_FILTERED ? POLICY_VERIFY_OK
		       : state == SCAN_CLOSED                            ? POLICY_VERIFY_CLOSED
		                                                         : POLICY_VERIFY_BLOCKED;
	if (state == SCAN_OPEN)
		return local ? POLICY_VERIFY_DENIED_LOCAL : POLICY_VERIFY_VIOLATION;
	if (state == SCAN_CLOSED && verdict == POLICY_DENY && !local)
		return POLICY_VERIFY_ANSWERED;
	return POLICY_VERIFY_OK;
}
