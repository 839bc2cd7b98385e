/*
 * Port ≠ service: whether the service detection found differs from the name
 * the services files give the port, allowing for the aliases of the detection
 * engine (detect_mismatch) and the spellings where nmap's service names and
 * /etc/services disagree.
 * Example: audit_service_mismatch("ssh", "http") is true;
 * ("memcached", "memcache") and ("postgresql", "postgres") are false.
 */
#pragma once

#include <stdbool.h>

bool audit_service_mismatch(const char *detected, const char *port_default);
