/* check_smtp: one probe of one MX address, over the outbound SMTP client (client_session):
 * a TCP connection to port 25, the 220 greeting (RFC 5321 §4.3.1), EHLO (§4.1.1.1), STARTTLS
 * (RFC 3207) and the certificate (valid for the MX name per RFC 6125, not near expiry, and
 * matching the TLSA records if any, RFC 7672), then the open-relay test: MAIL FROM:<> and
 * RCPT TO a domain the host cannot serve, which must be refused. It never sends DATA. */
#ifndef TERN_CHECK_SMTP_H
#define TERN_CHECK_SMTP_H

#include <sys/socket.h>

#include "check/check_state.h"
#include "check/check_dane.h"

/* The recipient of the open-relay test: a domain under .invalid (RFC 2606 §2) can be nobody's
 * local domain, so a server that accepts it offers to relay to anywhere. */
#define CHECK_RELAY_RECIPIENT  "tern-relay-test@relay-test.invalid"
#define CHECK_EXPIRY_WARN_DAYS 14 /* ours: time enough to notice a failed renewal */

/* Probes host's address on check's loop (held until done); tlsa (copied; NULL: none) is
 * matched against the presented certificate. */
void check_smtp_probe(struct check_state *check, const char *host, const struct sockaddr_storage *address,
                      socklen_t length, const struct check_tlsa *tlsa);

#endif
