/*
 * portscope policy import: the live ruleset (or `nft -j list ruleset` saved in
 * a file) as a policy in the docs' language on stdout (src/lib/policy/import.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/common.h"
#include "cmd/policy.h"
#include "firewall/firewall.h"
#include "policy/import.h"
#include "util/input.h"

#define RULESET_MAX (256u << 20) /* a ruleset file (nft -j: one line) this large is refused */

int policy_cmd_import(const struct policy_opts *o)
{
	struct policy_import_opts io = {.iifname = o->iif, .origin = "the live ruleset"};
	struct policy_import_stats st;
	struct fw_ruleset *rs = NULL;
	struct fw_env env = {0};
	char why[512] = "", origin[300], *text = NULL, *json = NULL;
	size_t len;
	int rc, status = EXIT_OK;

	if (o->file) {
		const struct input_limits lim = {.max_bytes = RULESET_MAX, .max_line = RULESET_MAX};

		rc = input_slurp(o->file, &lim, &json, &len, why, sizeof(why));
		if (rc < 0) {
			cmd_error(CMD, "%s", why);
			return input_is_bad(rc) ? EXIT_USAGE : EXIT_RUNTIME;
		}
		rc = fw_ruleset_parse(json, len, &rs, why, sizeof(why));
		free(json);
		if (rc < 0) {
			cmd_error(CMD, "%s: not an nftables ruleset: %s", o->file, why);
			return rc == -ENOMEM ? EXIT_RUNTIME : EXIT_USAGE;
		}
		snprintf(origin, sizeof(origin), "%s", o->file);
		io.origin = origin;
	} else {
		rc = fw_ruleset_read(-1, &rs, why, sizeof(why));
		if (rc < 0) {
			cmd_error(CMD, "reading the live ruleset%s: %s",
			          rc == -EPERM ? " needs root (CAP_NET_ADMIN)" : "",
			          why[0] ? why : strerror(-rc));
			return EXIT_RUNTIME;
		}
	}
	/* the host the connections arrive at: this namespace's interfaces and addresses */
	rc = fw_env_read(-1, &env, why, sizeof(why));
	if (rc < 0) {
		cmd_error(CMD, "reading the interfaces: %s", why[0] ? why : strerror(-rc));
		fw_ruleset_free(rs);
		return EXIT_RUNTIME;
	}
	rc = policy_import(rs, &env, &io, &text, &len, &st, why, sizeof(why));
	if (rc == -ENOENT) {
		cmd_error(CMD, "%s", why);
		status = o->iif ? EXIT_USAGE : EXIT_RUNTIME;
	} else if (rc < 0) {
		cmd_error(CMD, "import: %s", strerror(-rc));
		status = EXIT_RUNTIME;
	} else if (fwrite(text, 1, len, stdout) != len || fflush(stdout) != 0) {
		cmd_error(CMD, "writing the policy: %s", strerror(errno));
		status = EXIT_RUNTIME;
	} else {
		cmd_error(CMD,
		          "imported %s: %zu rule%s; %zu live rule%s not expressed, %zu port "
		          "range%s unknown (see the comments)",
		          io.origin, st.rules, st.rules == 1 ? "" : "s", st.not_expressed,
		          st.not_expressed == 1 ? "" : "s", st.unknown, st.unknown == 1 ? "" : "s");
	}
	free(text);
	fw_env_free(&env);
	fw_ruleset_free(rs);
	return status;
}
