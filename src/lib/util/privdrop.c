/* Privilege checks and the drop of every privilege (see privdrop.h). */
#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util/privdrop.h"

#define PRIVDROP_NOBODY 65534 /* when the passwd database has no nobody */

static int privdrop_capget(struct __user_cap_data_struct data[2])
{
	struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};

	return (int)syscall(SYS_capget, &hdr, data);
}

/* Whether set (effective, permitted) of data holds cap. */
static bool privdrop_in(const struct __user_cap_data_struct data[2], bool permitted, int cap)
{
	const struct __user_cap_data_struct *d = &data[CAP_TO_INDEX(cap)];

	return ((permitted ? d->permitted : d->effective) & CAP_TO_MASK(cap)) != 0;
}

bool privdrop_have_net_raw(void)
{
	struct __user_cap_data_struct data[2] = {{0}};

	if (privdrop_capget(data) < 0)
		return false;
	return privdrop_in(data, false, CAP_NET_RAW);
}

bool privdrop_have_net_admin(void)
{
	struct __user_cap_data_struct data[2] = {{0}};

	if (privdrop_capget(data) < 0)
		return false;
	return privdrop_in(data, false, CAP_NET_ADMIN);
}

/* Root to nobody, without supplementary groups. Returns 0 or -errno with why. */
static int privdrop_become_nobody(char *why, size_t whylen)
{
	uid_t uid = PRIVDROP_NOBODY;
	gid_t gid = PRIVDROP_NOBODY;
	struct passwd pw, *res = NULL;
	char buf[1024];
	int err;

	if (getpwnam_r("nobody", &pw, buf, sizeof(buf), &res) == 0 && res) {
		uid = pw.pw_uid;
		gid = pw.pw_gid;
	}
	if (setgroups(0, NULL) < 0) {
		err = errno;
		snprintf(why, whylen, "cannot drop supplementary groups: %s", strerror(err));
		return -err;
	}
	if (setresgid(gid, gid, gid) < 0 || setresuid(uid, uid, uid) < 0) {
		err = errno;
		snprintf(why, whylen, "cannot become nobody: %s", strerror(err));
		return -err;
	}
	return 0;
}

/* Empty capability sets (ambient goes with permitted), then no_new_privs. */
static int privdrop_clear(char *why, size_t whylen)
{
	struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
	struct __user_cap_data_struct none[2] = {{0}};
	int err;

	if (syscall(SYS_capset, &hdr, none) < 0) {
		err = errno;
		snprintf(why, whylen, "cannot clear capabilities: %s", strerror(err));
		return -err;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		err = errno;
		snprintf(why, whylen, "cannot set no_new_privs: %s", strerror(err));
		return -err;
	}
	return 0;
}

int privdrop_all(char *why, size_t whylen)
{
	struct __user_cap_data_struct data[2] = {{0}};
	int r;

	if (privdrop_capget(data) < 0) {
		r = errno;
		snprintf(why, whylen, "cannot read capabilities: %s", strerror(r));
		return -r;
	}
	/*
	 * Root (a sudo run) becomes nobody. Root without CAP_SETUID (a service
	 * whose bounding set leaves it out) and a user with file capabilities
	 * keep their uid and lose the capabilities, which is what made them
	 * privileged.
	 */
	if ((geteuid() == 0 || getuid() == 0) && privdrop_in(data, false, CAP_SETUID) &&
	    privdrop_in(data, false, CAP_SETGID)) {
		r = privdrop_become_nobody(why, whylen);
		if (r < 0)
			return r;
	}
	return privdrop_clear(why, whylen);
}

int privdrop_unneeded(char *why, size_t whylen)
{
	struct __user_cap_data_struct data[2] = {{0}};

	if (geteuid() == 0 || getuid() == 0 || privdrop_capget(data) < 0)
		return 0;
	if (!data[0].permitted && !data[1].permitted)
		return 0;
	return privdrop_clear(why, whylen);
}
