/* check_ip: `tern check --ip ADDR`: what a receiver thinks of a sending address. Its PTR
 * record (RFC 1035 §3.5, RFC 3596 §2.5), forward-confirmed (the PTR name resolves back to the
 * address, RFC 8601 §3's iprev), the HELO name against it (RFC 5321 §4.1.4), a dynamic-looking
 * name (dynamic_name), and listings on DNS blocklists (RFC 5782 §2.1) with their return codes
 * explained. It does not require the address to accept inbound SMTP (--explain says why). */
#ifndef TERN_CHECK_IP_H
#define TERN_CHECK_IP_H

#include "check/check_state.h"

#define CHECK_PTR_NAMES_MAX 4 /* PTR names followed forward (RFC 8601 §3: a reasonable few) */

/* Starts the checks of address (text) on check's loop. Returns -1 when it is not an IPv4 or
 * IPv6 address. */
int check_ip_start(struct check_state *check, const char *address);

#endif
