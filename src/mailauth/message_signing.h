/* message_signing: DKIM-signs mail we send for our own domains (RFC 6376 §5), with each key
 * of the domain in the From field (d= aligned with From, as DMARC wants, RFC 7489 §3.1).
 * Blocking only in the CPU sense: safe on a worker thread (keys are only read). */
#ifndef TERN_MESSAGE_SIGNING_H
#define TERN_MESSAGE_SIGNING_H

#include <stdbool.h>

#include "conf/config.h"
#include "util/buffer.h"

/* The local domain named in the message's (single) From address, if it has DKIM keys; else
 * NULL (nothing to sign with, or no usable From). */
const struct config_domain *message_signing_domain(const struct config *config, struct slice message);

/* Appends one DKIM-Signature field per key of domain to out (RSA and Ed25519: dual signing).
 * Returns false if a signature could not be made (out then holds the ones that were). */
bool message_signing_sign(const struct config_domain *domain, struct slice message, struct buffer *out);

#endif
