/* check_dkim: the DKIM section of `tern check DOMAIN --selector S...`: the key record at
 * S._domainkey.DOMAIN (RFC 6376 §3.6.2.1), parsed by dkim_key (§3.6.1, RFC 8463 §4), and what
 * verifiers make of it: revoked (empty p=), key type, RSA size (RFC 8301 §3.2: under 1024 bits
 * fails, and 2048 is what to use), t=y testing, h= without sha256 (RFC 8301 §3.1), s= without
 * email. Selectors cannot be listed from DNS, so without --selector it says how to pass them.
 */
#ifndef TERN_CHECK_DKIM_H
#define TERN_CHECK_DKIM_H

#include "check/check_state.h"
#include "mailauth/dkim_key.h"

#define CHECK_DKIM_RSA_BITS_MIN   1024 /* RFC 8301 §3.2: verifiers refuse smaller keys */
#define CHECK_DKIM_RSA_BITS_GOOD  2048 /* RFC 8301 §3.2: signers SHOULD use at least this */

/* Starts the key record checks of domain for each of selectors (NULL-terminated, may be NULL). */
void check_dkim_start(struct check_state *check, const char *domain, const char **selectors);

#endif
