/*
 * The port sysctls of this machine (of the current network namespace):
 *   net.ipv4.ip_local_port_range        "32768\t60999\n"  ephemeral ports for connect()
 *   net.ipv4.ip_unprivileged_port_start "1024\n"          bind() below needs CAP_NET_BIND_SERVICE
 * Readers take the file path (NULL: the /proc default) so tests can feed their own.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define KB_SYSCTL_PORT_RANGE   "/proc/sys/net/ipv4/ip_local_port_range"
#define KB_SYSCTL_UNPRIV_START "/proc/sys/net/ipv4/ip_unprivileged_port_start"

/*
 * Parses "LOW HIGH" (whitespace-separated, optional trailing newline) with
 * 0 <= LOW <= HIGH <= 65535. Returns 0 or -EINVAL/-ERANGE with why.
 */
int kb_sysctl_parse_range(const char *buf, size_t len, uint16_t *lo, uint16_t *hi, char *why,
                          size_t whylen);

/* Parses one number 0..65535 (optional trailing newline). Returns 0 or -EINVAL/-ERANGE with why. */
int kb_sysctl_parse_port(const char *buf, size_t len, uint16_t *port, char *why, size_t whylen);

/* Reads the ephemeral range from path. Returns 0 or a negative errno with why naming the file. */
int kb_sysctl_port_range(const char *path, uint16_t *lo, uint16_t *hi, char *why, size_t whylen);

/* Reads ip_unprivileged_port_start from path. Returns 0 or a negative errno with why. */
int kb_sysctl_unpriv_start(const char *path, uint16_t *start, char *why, size_t whylen);
