/* Privilege checks and the drop to nobody (see privdrop.h). */
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

bool privdrop_have_net_raw(void)
{
	struct __user_cap_data_struct data[2] = {{0}};

	if (privdrop_capget(data) < 0)
		return false;
	return (data[CAP_TO_INDEX(CAP_NET_RAW)].effective & CAP_TO_MASK(CAP_NET_RAW)) != 0;
}

bool privdrop_have_net_admin(void)
{
	struct __user_cap_data_struct data[2] = {{0}};

	if (privdrop_capget(data) < 0)
		return false;
	return (data[CAP_TO_INDEX(CAP_NET_ADMIN)].effective & CAP_TO_MASK(CAP_NET_ADMIN)) != 0;
}

int privdrop_nobody(char *why, size_t whylen)
{
	struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
	struct __user_cap_data_struct none[2] = {{0}};
	uid_t uid = PRIVDROP_NOBODY;
	gid_t gid = PRIVDROP_NOBODY;
	struct passwd pw, *res = NULL;
	char buf[1024];
	int err;

	if (getpwnam_r("nobody", &pw, buf, sizeof(buf), &res) == 0 && res) {
		uid = pw.pw_uid;
		gid = pw.pw_gid;
	}
	if (geteuid() == 0 || getuid() == 0) {
		if (setgroups(0, NULL) < 0) {
			err = errno;
			snprintf(why, whylen, "cannot drop supplementary groups: %s",
			         strerror(err));
			return -err;
		}
		if (setresgid(gid, gid, gid) < 0 || setresuid(uid, uid, uid) < 0) {
			err = errno;
			snprintf(why, whylen, "cannot become nobody: %s", strerror(err));
			return -err;
		}
	}
	/* A file capability (or a kept set) survives the uid change: clear it all. */
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
