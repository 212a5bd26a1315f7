/* tls_fixtures: throwaway keys and self-signed certificates, made with the OpenSSL API at test
 * time and written as PEM files (no key is ever checked in), and an in-memory handshake between
 * two SSLs over a BIO pair, for the tests of TLS. Static functions, so each test binary
 * includes its own copy. Failing to make a fixture ends the test binary (exit status 2). */
#ifndef TERN_TLS_FIXTURES_H
#define TERN_TLS_FIXTURES_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "util/xalloc.h"

/* Rounds of reading and writing after which a handshake counts as stuck. */
#define TLS_FIXTURE_HANDSHAKE_ROUNDS 64

static void tls_fixture_fail(const char *what)
{
	fprintf(stderr, "tls fixture: %s\n", what);
	ERR_print_errors_fp(stderr);
	exit(2);
}

/* A fresh EC P-256 key, or RSA-2048 when rsa is true. Owned by the caller. */
static EVP_PKEY *tls_fixture_key(bool rsa)
{
	EVP_PKEY *key = rsa ? EVP_RSA_gen(2048) : EVP_EC_gen("P-256");

	if (key == NULL)
		tls_fixture_fail("cannot generate a key");
	return key;
}

static void tls_fixture_add_dns_name(X509 *certificate, const char *dns_name)
{
	char *value = xasprintf("DNS:%s", dns_name);
	X509V3_CTX context;
	X509_EXTENSION *extension;

	X509V3_set_ctx_nodb(&context);
	X509V3_set_ctx(&context, certificate, certificate, NULL, NULL, 0);
	extension = X509V3_EXT_conf_nid(NULL, &context, NID_subject_alt_name, value);
	if (extension == NULL || X509_add_ext(certificate, extension, -1) != 1)
		tls_fixture_fail("cannot add a subjectAltName");
	X509_EXTENSION_free(extension);
	free(value);
}

/* A self-signed certificate for key with this CN and, unless dns_name is NULL, one DNS
 * subjectAltName. Valid from an hour ago until a day from now, or until not_after
 * ("YYYYMMDDHHMMSSZ") when that is not NULL. Owned by the caller. */
static X509 *tls_fixture_certificate(EVP_PKEY *key, const char *common_name, const char *dns_name,
                                     const char *not_after)
{
	static long serial = 1;
	X509 *certificate = X509_new();
	X509_NAME *subject;

	if (certificate == NULL || X509_set_version(certificate, X509_VERSION_3) != 1 ||
	    ASN1_INTEGER_set(X509_get_serialNumber(certificate), serial++) != 1 ||
	    X509_gmtime_adj(X509_getm_notBefore(certificate), -3600) == NULL || X509_set_pubkey(certificate, key) != 1)
		tls_fixture_fail("cannot make a certificate");
	if (not_after != NULL ? ASN1_TIME_set_string(X509_getm_notAfter(certificate), not_after) != 1
	                      : X509_gmtime_adj(X509_getm_notAfter(certificate), 86400) == NULL)
		tls_fixture_fail("cannot set the expiry");
	subject = X509_get_subject_name(certificate);
	if (X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_ASC, (const unsigned char *)common_name, -1, -1, 0) !=
	        1 ||
	    X509_set_issuer_name(certificate, subject) != 1)
		tls_fixture_fail("cannot name a certificate");
	if (dns_name != NULL)
		tls_fixture_add_dns_name(certificate, dns_name);
	if (X509_sign(certificate, key, EVP_sha256()) == 0)
		tls_fixture_fail("cannot sign a certificate");
	return certificate;
}

static FILE *tls_fixture_open(const char *directory, const char *name, const char *mode)
{
	char *path = xasprintf("%s/%s", directory, name);
	FILE *file = fopen(path, mode);

	if (file == NULL) {
		perror(path);
		exit(2);
	}
	free(path);
	return file;
}

/* Appends certificate as PEM to directory/name (so repeated calls write a chain). */
static void tls_fixture_write_certificate(const char *directory, const char *name, X509 *certificate)
{
	FILE *file = tls_fixture_open(directory, name, "a");

	if (PEM_write_X509(file, certificate) != 1 || fclose(file) != 0)
		tls_fixture_fail("cannot write a certificate");
}

/* Writes key as PEM to directory/name with this mode, encrypted under passphrase unless NULL. */
static void tls_fixture_write_key(const char *directory, const char *name, EVP_PKEY *key, mode_t mode,
                                  const char *passphrase)
{
	char *path = xasprintf("%s/%s", directory, name);
	FILE *file = tls_fixture_open(directory, name, "w");
	const EVP_CIPHER *cipher = passphrase != NULL ? EVP_aes_256_cbc() : NULL;
	int length = passphrase != NULL ? (int)strlen(passphrase) : 0;

	if (PEM_write_PrivateKey(file, key, cipher, (unsigned char *)passphrase, length, NULL, NULL) != 1 ||
	    fclose(file) != 0 || chmod(path, mode) != 0)
		tls_fixture_fail("cannot write a key");
	free(path);
}

static bool tls_fixture_in_progress(SSL *ssl, int result)
{
	int error = SSL_get_error(ssl, result);

	return result == 1 || error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE;
}

/* Connects client and server (each in its state already) through a new BIO pair, which they
 * then own, and runs both sides of the handshake in turn. True when both completed; false as
 * soon as one side fails (its reasons left in OpenSSL's error queue) or it gets stuck. */
static bool tls_fixture_handshake(SSL *client, SSL *server)
{
	BIO *client_end, *server_end;

	if (BIO_new_bio_pair(&client_end, 0, &server_end, 0) != 1)
		tls_fixture_fail("cannot make a BIO pair");
	SSL_set_bio(client, client_end, client_end);
	SSL_set_bio(server, server_end, server_end);
	for (int round = 0; round < TLS_FIXTURE_HANDSHAKE_ROUNDS; round++) {
		int client_result, server_result;

		client_result = SSL_do_handshake(client);
		if (!tls_fixture_in_progress(client, client_result))
			return false;
		server_result = SSL_do_handshake(server);
		if (!tls_fixture_in_progress(server, server_result))
			return false;
		if (client_result == 1 && server_result == 1)
			return true;
	}
	return false;
}

#endif
