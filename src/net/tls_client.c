/* tls_client: OpenSSL client contexts and per-connection SSLs for outbound SMTP. RFC 8314 §4.1
 * and RFC 7525 §3.1.1 (TLS 1.2 at least), §3.3 (no compression), §3.5 (no renegotiation);
 * RFC 6066 §3 (SNI: DNS names only); RFC 6125 §6 (host name checks, by X509_check_host, no
 * partial wildcards). Opportunistic TLS (RFC 7435) verifies nothing but records the outcome.
 * It does not do DANE or MTA-STS policy, nor I/O. */
#include "net/tls_client.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

/* Writes OpenSSL's most recent queued error (or fallback) after what, and clears the queue. */
static void tls_client_report(char *error, size_t size, const char *what, const char *fallback)
{
	unsigned long code = ERR_peek_last_error();
	char reason[256];

	if (code != 0)
		ERR_error_string_n(code, reason, sizeof reason);
	else
		snprintf(reason, sizeof reason, "%s", fallback);
	ERR_clear_error();
	snprintf(error, size, "%s: %s", what, reason);
}

SSL_CTX *tls_client_context_create(const char *ca_file, char *error, size_t size)
{
	SSL_CTX *context = SSL_CTX_new(TLS_client_method());

	if (context == NULL) {
		tls_client_report(error, size, "cannot create a TLS client context", "out of memory");
		return NULL;
	}
	if (SSL_CTX_set_min_proto_version(context, TLS1_2_VERSION) != 1) {
		tls_client_report(error, size, "cannot set the minimum TLS version", "unknown error");
		goto fail;
	}
	SSL_CTX_set_options(context, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
	SSL_CTX_set_verify(context, SSL_VERIFY_NONE, NULL);
	if (ca_file != NULL && SSL_CTX_load_verify_locations(context, ca_file, NULL) != 1) {
		char what[300];
		snprintf(what, sizeof what, "%s: cannot load the CA certificates", ca_file);
		tls_client_report(error, size, what, "no certificates found");
		goto fail;
	}
	if (ca_file == NULL && SSL_CTX_set_default_verify_paths(context) != 1) {
		tls_client_report(error, size, "cannot load the system's CA certificates", "unknown error");
		goto fail;
	}
	return context;
fail:
	SSL_CTX_free(context);
	return NULL;
}

static bool tls_client_is_address(const char *name)
{
	unsigned char address[sizeof(struct in6_addr)];

	return inet_pton(AF_INET, name, address) == 1 || inet_pton(AF_INET6, name, address) == 1;
}

/* Sets the name the certificate must carry: a DNS name, or an address for an IP literal. */
static int tls_client_expect_name(SSL *ssl, const char *host_name)
{
	if (tls_client_is_address(host_name))
		return X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host_name) == 1 ? 0 : -1;
	if (SSL_set_tlsext_host_name(ssl, host_name) != 1)
		return -1;
	SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
	return SSL_set1_host(ssl, host_name) == 1 ? 0 : -1;
}

SSL *tls_client_new_connection(SSL_CTX *context, const char *host_name, bool verify)
{
	SSL *ssl = SSL_new(context);

	if (ssl == NULL)
		goto fail;
	if (host_name != NULL && host_name[0] != '\0' && tls_client_expect_name(ssl, host_name) != 0)
		goto fail;
	/* Without SSL_VERIFY_PEER OpenSSL still checks the chain and the name and keeps the
	 * result (SSL_get_verify_result), but finishes the handshake anyway. */
	SSL_set_verify(ssl, verify ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, NULL);
	SSL_set_connect_state(ssl);
	return ssl;
fail:
	SSL_free(ssl);
	ERR_clear_error();
	return NULL;
}

bool tls_client_verified(const SSL *ssl)
{
	X509 *certificate = SSL_get1_peer_certificate(ssl);
	bool verified = certificate != NULL && SSL_get_verify_result(ssl) == X509_V_OK;

	X509_free(certificate);
	return verified;
}

void tls_client_explain_failure(const SSL *ssl, unsigned long error, char *out, size_t size)
{
	long result = ssl != NULL ? SSL_get_verify_result(ssl) : X509_V_OK;
	char reason[256];

	if (size == 0)
		return;
	if (result != X509_V_OK) {
		snprintf(out, size, "certificate verify failed: %s", X509_verify_cert_error_string(result));
		return;
	}
	if (error != 0) {
		ERR_error_string_n(error, reason, sizeof reason);
		snprintf(out, size, "%s", reason);
		return;
	}
	snprintf(out, size, "connection closed during the TLS handshake");
}
