/* dynamic_name: whether a PTR name looks like an ISP's generic name for a dynamic or
 * residential address ("dsl-192-0-2-1.pool.example.net"), which large receivers distrust
 * for a mail server (the "generic rDNS" rule of M3AAWG's sender guidelines). Two signs: the
 * address's own octets written into the name, and words ISPs use (dyn, dhcp, pool, dsl,
 * cable, ...) in the host labels. A heuristic, pure: no lookups. */
#ifndef TERN_DYNAMIC_NAME_H
#define TERN_DYNAMIC_NAME_H

#include <stdbool.h>
#include <stddef.h>

/* Whether name (a host name, any case) looks dynamic for the address (address_length 4 or 16
 * bytes; 16: only the words are checked). When it does, why (size bytes) says which sign. */
bool dynamic_name_check(const char *name, const unsigned char *address, size_t address_length, char *why, size_t size);

#endif
