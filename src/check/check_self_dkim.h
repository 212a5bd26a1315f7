/* check_self_dkim: whether each DKIM key of ternd's config ("dkim selector S key FILE" in a
 * domain block) is the one published at S._domainkey.DOMAIN (RFC 6376 §3.6.2.1): the public
 * half of the private key must equal the key p= holds (dkim_key parses the record), or every
 * signature ternd makes fails at the receiver. */
#ifndef TERN_CHECK_SELF_DKIM_H
#define TERN_CHECK_SELF_DKIM_H

#include "check/check_self.h"

/* Starts one lookup per configured key of domain. */
void check_self_dkim_start(struct check_self *self, const struct config_domain *domain);

#endif
