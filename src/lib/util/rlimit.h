/* Resource limits of the process. */
#pragma once

/*
 * Raises the soft RLIMIT_NOFILE to the hard limit, so that a scan may hold as
 * many descriptors as it is allowed (the scan engine sizes itself from the
 * soft limit, scan_fd_budget()). Returns the soft limit now in force (capped
 * at INT_MAX), or a negative errno when it cannot be read; a refused raise
 * leaves the old limit, which is returned.
 */
int rlimit_raise_nofile(void);
