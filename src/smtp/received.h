/* received: formats the Received: trace header a server prepends (RFC 5321 §4.4) and names
 * the "with" protocol (RFC 3848, RFC 6531 §3.7.3). Pure. */
#ifndef TERN_RECEIVED_H
#define TERN_RECEIVED_H

#include <stdbool.h>
#include <time.h>

#include "util/buffer.h"

struct received_info {
	const char *helo;           /* what the client said in EHLO/HELO */
	const char *client_address; /* textual IP address */
	const char *hostname;       /* our name */
	const char *protocol;       /* from received_protocol() */
	const char *queue_id;
	const char *recipient;      /* the one recipient, or NULL when there are several */
	const char *tls;            /* e.g. "TLS1.3 TLS_AES_256_GCM_SHA384", or NULL */
	time_t when;
};

/* "SMTP", "ESMTP", "ESMTPS", "ESMTPA", "ESMTPSA", or the UTF8SMTP forms. */
const char *received_protocol(bool ehlo, bool tls, bool authenticated, bool smtputf8);

/* Appends the header, folded, ending in CRLF. Returns false if out's maximum was hit. */
bool received_append(struct buffer *out, const struct received_info *info);

#endif
