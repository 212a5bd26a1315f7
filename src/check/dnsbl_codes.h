/* dnsbl_codes: what the A record a DNS blocklist answers means (RFC 5782 §2.1: a listing
 * answers within 127.0.0.0/8, 127.0.0.2 at least), with the return codes of Spamhaus's zones
 * spelled out, and the codes that mean the query itself was refused, not a listing. Pure. */
#ifndef TERN_DNSBL_CODES_H
#define TERN_DNSBL_CODES_H

#include <stdbool.h>

/* The meaning of code (4 bytes, from an A record) answered by zone; *error is set when it
 * says the query was refused or malformed (no verdict about the address). */
const char *dnsbl_codes_meaning(const char *zone, const unsigned char code[4], bool *error);

#endif
