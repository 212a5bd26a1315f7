/* org_domain: the Organizational Domain of RFC 7489 §3.2 (the public suffix of a name plus one
 * label, by the Public Suffix List, read through libpsl from Debian's publicsuffix package), and
 * identifier alignment of §3.1: strict (the names are equal) or relaxed (their Organizational
 * Domains are). Names are compared ASCII case-insensitively, a trailing dot ignored. */
#ifndef TERN_ORG_DOMAIN_H
#define TERN_ORG_DOMAIN_H

#include <stdbool.h>
#include <stddef.h>

#define ORG_DOMAIN_NAME_MAX 253 /* RFC 1035 §2.3.4, without the trailing dot */

struct org_domain;

/* Loads the Public Suffix List: file, or when NULL the newest of libpsl's built-in data and
 * the system's list (psl_latest: /usr/share/publicsuffix on Debian). Returns NULL and writes
 * why into error (size bytes) on failure. The list is read once; lookups do no I/O. */
struct org_domain *org_domain_load(const char *file, char *error, size_t size);
/* NULL is a no-op. */
void org_domain_free(struct org_domain *list);

/* Writes the Organizational Domain of domain into out (size bytes), lower case, no trailing
 * dot: the registrable domain (§3.2 step 4); a name that is itself a public suffix, or a
 * single label, is its own. Returns false (out = "") for an empty or too long name. */
bool org_domain_find(const struct org_domain *list, const char *domain, char *out, size_t size);

/* Whether a and b are aligned (§3.1.1, §3.1.2): equal when strict, the same Organizational
 * Domain when relaxed. An empty name aligns with nothing. */
bool org_domain_aligned(const struct org_domain *list, const char *a, const char *b, bool strict);

#endif
