/* tls: the server side of TLS over OpenSSL 3, for STARTTLS (RFC 3207) and implicit TLS on
 * port 465 (RFC 8314 §3). It turns the certificates of the config into SSL_CTXs, picks one by
 * SNI (RFC 6066 §3), hands out one SSL per connection and describes what was negotiated. It
 * does no I/O: libevent's bufferevent_openssl runs the handshake and the records. */
#ifndef TERN_TLS_H
#define TERN_TLS_H

#include <stddef.h>

#include <openssl/ssl.h>

#include "conf/config.h"
#include "util/buffer.h"

struct tls_server;

/* Loads every certificate of config (config->certificates[0..certificate_count-1]: a PEM
 * chain file, leaf first, and a PEM key file; read them before dropping privileges), checks
 * that each key matches its certificate, and builds one SSL_CTX per certificate: TLS 1.2 at
 * least, no compression, no renegotiation, the server's cipher order, ECDHE with AEAD ciphers
 * for TLS 1.2 and OpenSSL's defaults for TLS 1.3, session tickets allowed. By SNI a connection
 * switches to the first certificate whose names (X509_check_host: DNS subjectAltNames, one-label
 * wildcards, else the CN; ASCII case-insensitive) match the requested name; otherwise, or
 * without SNI, it keeps the first certificate.
 * An expired certificate still loads, with a logged warning giving its expiry date; so does a
 * key file that group or others may read (a warning too).
 * Returns a server owned by the caller (tls_server_free). Returns NULL, errors untouched, when
 * config has no certificates. On failure returns NULL and appends one "FILE: message\n" line
 * to errors, the message in words from OpenSSL's error queue or the system. */
struct tls_server *tls_server_create(const struct config *config, struct buffer *errors);

/* Releases the caller's reference. SSLs made by tls_server_new_connection keep their contexts
 * (and the SNI table) alive through OpenSSL's reference counts and go on working. NULL is a
 * no-op. */
void tls_server_free(struct tls_server *server);

/* A fresh server-side SSL for one connection, in accept state, on the first certificate until
 * SNI says otherwise. Owned by the caller: SSL_free it, or give it to bufferevent_openssl with
 * BEV_OPT_CLOSE_ON_FREE. Returns NULL (OpenSSL's error queue cleared) when OpenSSL is out of
 * memory. */
SSL *tls_server_new_connection(struct tls_server *server);

/* Writes a NUL-terminated description of the negotiated session into out, at most size bytes
 * (truncated; nothing when size is 0): the version as "TLS1.2" or "TLS1.3" (OpenSSL's own
 * name for any other), a space, and the IANA name of the cipher suite (RFC 8314 §4.3, e.g.
 * "TLS1.3 TLS_AES_256_GCM_SHA384", "TLS1.2 TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"). Before
 * a handshake has completed it writes "none". */
void tls_describe(const SSL *ssl, char *out, size_t size);

/* The host name the client asked for by SNI (owned by ssl; valid while it lives), or NULL.
 * It comes from the client: quote it (log_quote) before logging it. */
const char *tls_requested_name(const SSL *ssl);

#endif
