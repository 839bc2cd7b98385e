/*
 * sockns.h on Windows, which has no network namespaces: the machine is one
 * namespace, named "host"; naming or listing others is not supported.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sockets/sockns.h"

int sockns_check_name(const char *name)
{
	size_t len = strlen(name);

	if (!len || len > 255 || strchr(name, '/') || !strcmp(name, ".") || !strcmp(name, ".."))
		return -EINVAL;
	return 0;
}

int sockns_open_name(const char *rundir, const char *name, struct sockns *ns)
{
	(void)rundir;
	(void)name;
	(void)ns;
	return -EOPNOTSUPP;
}

int sockns_list_all(const char *rundir, const char *procdir, struct sockns **out, size_t *n)
{
	(void)rundir;
	(void)procdir;
	*out = NULL;
	*n = 0;
	return -EOPNOTSUPP;
}

int sockns_current(const char *rundir, struct sockns *ns)
{
	(void)rundir;
	ns->name = strdup("host");
	ns->fd = -1;
	ns->inode = 0;
	return ns->name ? 0 : -ENOMEM;
}

void sockns_release(struct sockns *ns)
{
	free(ns->name);
	ns->name = NULL;
}

void sockns_free_list(struct sockns *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		sockns_release(&list[i]);
	free(list);
}

int sockns_enter(const struct sockns *ns, int *saved)
{
	(void)ns;
	(void)saved;
	return -EOPNOTSUPP;
}

int sockns_leave(int saved)
{
	(void)saved;
	return -EOPNOTSUPP;
}
