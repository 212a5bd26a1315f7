/* tls_client: the client side of TLS over OpenSSL 3, for delivering mail to other MTAs with
 * STARTTLS (RFC 3207) or to a smarthost with implicit TLS (RFC 8314 §3). One context holds the
 * trust store; each connection gets an SSL with SNI (RFC 6066 §3) and, where the policy asks
 * for it, certificate verification against the host name (RFC 6125 via X509_check_host). It
 * does no I/O: libevent's bufferevent_openssl runs the handshake. */
#ifndef TERN_TLS_CLIENT_H
#define TERN_TLS_CLIENT_H

#include <stdbool.h>
#include <stddef.h>

#include <openssl/ssl.h>

/* A client context: TLS 1.2 at least, no compression or renegotiation, trusting ca_file (a PEM
 * bundle) or, when ca_file is NULL, the system's default verify paths. Certificates are not
 * verified by default: tls_client_new_connection decides per connection.
 * Returns a context owned by the caller (SSL_CTX_free); on failure NULL, with a message in
 * words written into error (size bytes, NUL-terminated, truncated). */
SSL_CTX *tls_client_context_create(const char *ca_file, char *error, size_t size);

/* A fresh client-side SSL for one connection, in connect state. host_name (may be NULL) goes
 * out as SNI when it is a DNS name (never an address literal, RFC 6066 §3) and is the name the
 * certificate must match. With verify, a certificate that does not verify for host_name (or,
 * without a name, whose chain does not verify) fails the handshake; without, the handshake goes
 * on and tls_client_verified tells afterwards whether it would have passed.
 * Owned by the caller (SSL_free, or handed to bufferevent_openssl with BEV_OPT_CLOSE_ON_FREE).
 * Returns NULL (OpenSSL's error queue cleared) when OpenSSL is out of memory. */
SSL *tls_client_new_connection(SSL_CTX *context, const char *host_name, bool verify);

/* Whether the server's certificate chain verified, including the host name check, after a
 * completed handshake. */
bool tls_client_verified(const SSL *ssl);

/* Writes why a handshake failed into out (size bytes, NUL-terminated): the certificate
 * verification error when there was one ("certificate verify failed: self-signed
 * certificate"), else OpenSSL's error (as from bufferevent_get_openssl_error; 0 for none), else
 * "connection closed during the TLS handshake". */
void tls_client_explain_failure(const SSL *ssl, unsigned long error, char *out, size_t size);

#endif
