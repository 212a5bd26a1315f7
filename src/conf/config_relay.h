/* config_relay: the `relay` directive: a smarthost for outbound mail, for every domain or
 * for some (RFC 6409 submission on 587 with STARTTLS, or RFC 8314 implicit TLS on 465), with
 * AUTH credentials from a file the daemon alone may read.
 *   relay smtps://HOST[:PORT] [auth FILE] [ca FILE] [for DOMAIN...]
 *   relay smtp://HOST[:PORT]  ...           (STARTTLS required; default port 587)
 * The credentials file holds one line "user:password". */
#ifndef TERN_CONFIG_RELAY_H
#define TERN_CONFIG_RELAY_H

#include "conf/config_internal.h"

void config_relay_handle(struct config_parser *parser, const struct config_statement *statement);
void config_relay_free(struct config_relay *relay);

#endif
