/* Windows' dynamic (ephemeral) TCP port range as the system reports it. */
#pragma once

#include <stddef.h>
#include <stdint.h>

/*
 * Reads DynamicPortRangeStartPort and DynamicPortRangeNumberOfPorts of WMI's
 * MSFT_NetTCPSetting (root\StandardCimv2, Windows 8 / Server 2012 and later),
 * what `netsh int ipv4 show dynamicport tcp` shows and Get-NetTCPSetting
 * reads. Returns 0, or -ENOENT with why ("MSFT_NetTCPSetting: ExecQuery
 * 0x8004100e") when WMI cannot give it.
 */
int win_dynamic_port_range(uint16_t *lo, uint16_t *hi, char *why, size_t whylen);
