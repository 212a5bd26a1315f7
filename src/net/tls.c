/* tls: the server side of TLS on OpenSSL 3, for STARTTLS (RFC 3207) and implicit TLS
 * (RFC 8314 §3). One SSL_CTX per configured certificate, all configured alike (RFC 8314 §4.1:
 * TLS 1.2 or later; RFC 7525 §4.2: forward secrecy and AEAD ciphers); the servername callback
 * of the first switches a connection to the certificate matching its SNI name (RFC 6066 §3).
 * The first context owns the SNI table through ex_data, so SSLs outlive tls_server_free.
 * It does not verify client certificates, do I/O (libevent drives the handshake), or handle
 * the SMTP side of STARTTLS (discarding pipelined plaintext is the session's job). */
#include "net/tls.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "util/log.h"
#include "util/xalloc.h"

/* RFC 7525 §4.2: TLS 1.2 suites with ECDHE key exchange and AEAD only; TLS 1.3 suites keep
 * OpenSSL's defaults (all of them are AEAD with forward secrecy). */
#define TLS_CIPHERS_TLS12 "ECDHE+AESGCM:ECDHE+CHACHA20"

/* Room for one message from OpenSSL's error queue or strerror. */
#define TLS_REASON_SIZE 256

/* The certificates SNI chooses from, in config order. Owned by contexts[0] (its ex_data): the
 * table holds one reference to each of contexts[1..count-1]; none to contexts[0], which would
 * be a cycle. It lives as long as contexts[0], that is as long as any SSL made from it. */
struct tls_sni_table {
	SSL_CTX **contexts;
	size_t count;
};

struct tls_server {
	SSL_CTX *context; /* the first certificate's; one reference */
};

/* OpenSSL hands out ex_data indexes per process; this one is set once and then only read. */
static int tls_table_index = -1;
static CRYPTO_ONCE tls_table_once = CRYPTO_ONCE_STATIC_INIT;

static void tls_table_free(void *parent, void *pointer, CRYPTO_EX_DATA *data, int index, long argument_long,
                           void *argument)
{
	struct tls_sni_table *table = pointer;

	if (table == NULL)
		return;
	for (size_t i = 1; i < table->count; i++)
		SSL_CTX_free(table->contexts[i]);
	free(table->contexts);
	free(table);
}

static void tls_table_register(void)
{
	tls_table_index = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL, tls_table_free);
}

/* Empties OpenSSL's error queue into words: the first system error ("No such file or
 * directory"), else the first specific reason ("no start line", "key values mismatch"), skipping
 * the generic ones each layer adds on its way out ("PEM lib", "nested asn1 error"), else
 * fallback (when not NULL), else the newest reason. */
static void tls_take_reason(char out[TLS_REASON_SIZE], const char *fallback)
{
	unsigned long code, chosen = 0, last = 0;
	const char *reason;

	while ((code = ERR_get_error()) != 0) {
		if (ERR_SYSTEM_ERROR(code) && (chosen == 0 || !ERR_SYSTEM_ERROR(chosen)))
			chosen = code;
		else if (chosen == 0 && !(ERR_GET_RFLAGS(code) & ERR_RFLAG_COMMON))
			chosen = code;
		last = code;
	}
	if (chosen == 0 && fallback != NULL) {
		snprintf(out, TLS_REASON_SIZE, "%s", fallback);
		return;
	}
	code = chosen != 0 ? chosen : last;
	if (ERR_SYSTEM_ERROR(code))
		reason = strerror(ERR_GET_REASON(code));
	else
		reason = code != 0 ? ERR_reason_error_string(code) : "unknown error";
	if (reason != NULL)
		snprintf(out, TLS_REASON_SIZE, "%s", reason);
	else
		ERR_error_string_n(code, out, TLS_REASON_SIZE);
}

/* Appends "file: what: reason\n", the reason taken from OpenSSL's error queue (or fallback,
 * when it holds nothing specific). */
static void tls_report(struct buffer *errors, const char *file, const char *what, const char *fallback)
{
	char reason[TLS_REASON_SIZE];

	tls_take_reason(reason, fallback);
	buffer_printf(errors, "%s: %s: %s\n", file, what, reason);
}

static void tls_warn_if_expired(const X509 *certificate, const char *file)
{
	const ASN1_TIME *not_after = X509_get0_notAfter(certificate);
	char quoted[LOG_QUOTED_SIZE];
	char date[32] = "unknown";
	struct tm expiry;

	/* X509_cmp_current_time: -1 when not_after is in the past, 0 when it cannot tell. */
	if (X509_cmp_current_time(not_after) >= 0)
		return;
	if (ASN1_TIME_to_tm(not_after, &expiry) == 1)
		strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", &expiry);
	log_warning("tls certificate expired file=%s not_after=%s", log_quote(quoted, file, strlen(file)), date);
}

/* The PEM password callback: a daemon cannot ask for a passphrase, so note that one was
 * wanted and refuse. */
static int tls_refuse_password(char *buffer, int size, int writing, void *wanted)
{
	*(bool *)wanted = true;
	return -1;
}

/* Refuses anything but a regular file, and warns when others than the owner have access. */
static int tls_check_key_file(FILE *file, const char *path, struct buffer *errors)
{
	char quoted[LOG_QUOTED_SIZE];
	struct stat status;

	if (fstat(fileno(file), &status) != 0) {
		buffer_printf(errors, "%s: cannot read the private key: %s\n", path, strerror(errno));
		return -1;
	}
	if (!S_ISREG(status.st_mode)) {
		buffer_printf(errors, "%s: cannot read the private key: not a regular file\n", path);
		return -1;
	}
	if ((status.st_mode & 077) != 0)
		log_warning("tls key file is readable by other users file=%s mode=%04o",
		            log_quote(quoted, path, strlen(path)), (unsigned)(status.st_mode & 07777));
	return 0;
}

/* Reads the private key at path (checked by tls_check_key_file). NULL after reporting. */
static EVP_PKEY *tls_read_key(const char *path, struct buffer *errors)
{
	bool password_wanted = false;
	EVP_PKEY *key;
	FILE *file = fopen(path, "re");

	if (file == NULL) {
		buffer_printf(errors, "%s: cannot open the private key: %s\n", path, strerror(errno));
		return NULL;
	}
	if (tls_check_key_file(file, path, errors) != 0) {
		fclose(file);
		return NULL;
	}
	key = PEM_read_PrivateKey(file, NULL, tls_refuse_password, &password_wanted);
	fclose(file);
	if (key == NULL && password_wanted) {
		ERR_clear_error();
		buffer_printf(errors, "%s: cannot read the private key: it is encrypted (no passphrase can be given)\n",
		              path);
	} else if (key == NULL) {
		tls_report(errors, path, "cannot read the private key", "no private key in PEM format in it");
	}
	return key;
}

/* Loads the key of certificate into context after checking it matches the leaf. */
static int tls_load_key(SSL_CTX *context, const struct config_certificate *certificate, struct buffer *errors)
{
	EVP_PKEY *key = tls_read_key(certificate->key, errors);
	int result = -1;

	if (key == NULL)
		return -1;
	if (X509_check_private_key(SSL_CTX_get0_certificate(context), key) != 1) {
		char *what =
		    xasprintf("the private key does not match the certificate in %s", certificate->certificate);

		tls_report(errors, certificate->key, what, NULL);
		free(what);
	} else if (SSL_CTX_use_PrivateKey(context, key) != 1) {
		tls_report(errors, certificate->key, "cannot use the private key", NULL);
	} else {
		result = 0;
	}
	EVP_PKEY_free(key);
	return result;
}

/* The settings every context shares (the SNI switch keeps the SSL's own options, so they
 * must agree anyway). */
static int tls_configure(SSL_CTX *context, const char *file, struct buffer *errors)
{
	/* RFC 8314 §4.1 and RFC 7525 §3.1.1: TLS 1.2 at least. */
	if (SSL_CTX_set_min_proto_version(context, TLS1_2_VERSION) != 1) {
		tls_report(errors, file, "cannot set the minimum TLS version", NULL);
		return -1;
	}
	/* RFC 7525 §3.3 (no compression), §3.5 (no renegotiation), §4 (server cipher order). */
	SSL_CTX_set_options(context, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
	if (SSL_CTX_set_cipher_list(context, TLS_CIPHERS_TLS12) != 1) {
		tls_report(errors, file, "cannot set the cipher list", NULL);
		return -1;
	}
	return 0;
}

/* One context for one certificate, or NULL after reporting. */
static SSL_CTX *tls_context_create(const struct config_certificate *certificate, struct buffer *errors)
{
	SSL_CTX *context = SSL_CTX_new(TLS_server_method());

	if (context == NULL) {
		tls_report(errors, certificate->certificate, "cannot create a TLS context", NULL);
		return NULL;
	}
	if (tls_configure(context, certificate->certificate, errors) != 0)
		goto fail;
	if (SSL_CTX_use_certificate_chain_file(context, certificate->certificate) != 1) {
		tls_report(errors, certificate->certificate, "cannot load the certificate chain", NULL);
		goto fail;
	}
	tls_warn_if_expired(SSL_CTX_get0_certificate(context), certificate->certificate);
	if (tls_load_key(context, certificate, errors) != 0)
		goto fail;
	return context;
fail:
	SSL_CTX_free(context);
	return NULL;
}

/* The servername callback (RFC 6066 §3): switches to the first certificate in config order
 * whose names match. No match, or no name, keeps the first certificate: a client doing
 * opportunistic TLS is better served by some certificate than by a failed handshake. */
static int tls_select_certificate(SSL *ssl, int *alert, void *argument)
{
	const struct tls_sni_table *table = argument;
	const char *name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);

	if (name == NULL)
		return SSL_TLSEXT_ERR_OK;
	for (size_t i = 0; i < table->count; i++) {
		/* RFC 6125 §6.4.3: a wildcard is a whole left-most label and stands for one label. */
		if (X509_check_host(SSL_CTX_get0_certificate(table->contexts[i]), name, 0,
		                    X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS, NULL) != 1)
			continue;
		if (i > 0 && SSL_set_SSL_CTX(ssl, table->contexts[i]) == NULL) {
			*alert = SSL_AD_INTERNAL_ERROR;
			return SSL_TLSEXT_ERR_ALERT_FATAL;
		}
		break;
	}
	return SSL_TLSEXT_ERR_OK;
}

/* Hands contexts (and the references in it) to contexts[0] as its SNI table. */
static int tls_attach_table(SSL_CTX **contexts, size_t count)
{
	struct tls_sni_table *table = xmalloc(sizeof *table);

	table->contexts = contexts;
	table->count = count;
	if (SSL_CTX_set_ex_data(contexts[0], tls_table_index, table) != 1) {
		free(table);
		return -1;
	}
	SSL_CTX_set_tlsext_servername_callback(contexts[0], tls_select_certificate);
	SSL_CTX_set_tlsext_servername_arg(contexts[0], table);
	return 0;
}

struct tls_server *tls_server_create(const struct config *config, struct buffer *errors)
{
	size_t count = config->certificate_count;
	struct tls_server *server;
	SSL_CTX **contexts;
	bool failed = false;

	if (count == 0)
		return NULL;
	if (!CRYPTO_THREAD_run_once(&tls_table_once, tls_table_register) || tls_table_index < 0) {
		tls_report(errors, config->certificates[0].certificate, "cannot set up SNI", NULL);
		return NULL;
	}
	contexts = xcalloc(count, sizeof *contexts);
	/* Every certificate is tried, so one run reports every broken one. */
	for (size_t i = 0; i < count; i++)
		if ((contexts[i] = tls_context_create(&config->certificates[i], errors)) == NULL)
			failed = true;
	if (failed)
		goto fail;
	if (tls_attach_table(contexts, count) != 0) {
		tls_report(errors, config->certificates[0].certificate, "cannot set up SNI", NULL);
		goto fail;
	}
	server = xmalloc(sizeof *server);
	server->context = contexts[0];
	return server;
fail:
	for (size_t i = 0; i < count; i++)
		SSL_CTX_free(contexts[i]);
	free(contexts);
	return NULL;
}

void tls_server_free(struct tls_server *server)
{
	if (server == NULL)
		return;
	SSL_CTX_free(server->context);
	free(server);
}

SSL *tls_server_new_connection(struct tls_server *server)
{
	SSL *ssl = SSL_new(server->context);

	if (ssl == NULL) {
		char reason[TLS_REASON_SIZE];

		tls_take_reason(reason, NULL);
		log_error("tls cannot create a connection: %s", reason);
		return NULL;
	}
	SSL_set_accept_state(ssl);
	return ssl;
}

static const char *tls_version_name(const SSL *ssl)
{
	switch (SSL_version(ssl)) {
	case TLS1_2_VERSION:
		return "TLS1.2";
	case TLS1_3_VERSION:
		return "TLS1.3";
	default:
		return SSL_get_version(ssl);
	}
}

void tls_describe(const SSL *ssl, char *out, size_t size)
{
	const SSL_CIPHER *cipher = SSL_get_current_cipher(ssl);
	const char *name;

	if (size == 0)
		return;
	if (cipher == NULL || !SSL_is_init_finished(ssl)) {
		snprintf(out, size, "none");
		return;
	}
	name = SSL_CIPHER_standard_name(cipher);
	snprintf(out, size, "%s %s", tls_version_name(ssl), name != NULL ? name : SSL_CIPHER_get_name(cipher));
}

const char *tls_requested_name(const SSL *ssl) { return SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name); }
