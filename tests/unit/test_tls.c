/* Unit tests for net/tls: loading certificates (missing files, keys that do not match, broken
 * and encrypted files, expired certificates and readable keys, which load with a warning),
 * real handshakes between two SSLs over a BIO pair (TLS 1.3 by default, TLS 1.2 with ECDHE and
 * AEAD in the server's order, TLS 1.1 refused per RFC 8314 §4.1), SNI choosing a certificate
 * (RFC 6066 §3; wildcards per RFC 6125 §6.4.3, CN fallback, the first as default), and
 * describing the session. Keys and certificates are generated when the test starts. */
#include "net/tls.h"

#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "temporary_directory.h"
#include "tls_fixtures.h"
#include "util/files.h"
#include "util/xalloc.h"

#define ERRORS_MAX 65536
#define NAME_SIZE  256
/* Files make_fixtures writes: six certificate files, seven key files, one broken file. */
#define FIXTURE_FILES 14

/* The directory holding the generated PEM files, made once in main. */
static char *fixture_directory;

/* The usual server: mx.example.test first, then *.other.test, then a CN-only certificate. */
static const char *const usual_files[][2] = {{"mx.crt", "mx.key"}, {"other.crt", "other.key"}, {"cn.crt", "cn.key"}};

struct connection {
	SSL *client;
	SSL *server;
	bool ok; /* the handshake completed on both sides */
};

static void chmod_fixture(const char *name, mode_t mode)
{
	char *path = xasprintf("%s/%s", fixture_directory, name);

	if (chmod(path, mode) != 0)
		tls_fixture_fail("cannot chmod a fixture");
	free(path);
}

static void make_fixtures(void)
{
	EVP_PKEY *mx = tls_fixture_key(false), *other = tls_fixture_key(false), *cn = tls_fixture_key(false);
	EVP_PKEY *rsa = tls_fixture_key(true);
	X509 *certificates[5] = {tls_fixture_certificate(mx, "mx.example.test", "mx.example.test", NULL),
	                         tls_fixture_certificate(other, "*.other.test", "*.other.test", NULL),
	                         tls_fixture_certificate(cn, "cn.example.test", NULL, NULL),
	                         tls_fixture_certificate(rsa, "rsa.example.test", "rsa.example.test", NULL),
	                         tls_fixture_certificate(mx, "mx.example.test", "mx.example.test", "20200102030405Z")};
	const char *names[5] = {"mx.crt", "other.crt", "cn.crt", "rsa.crt", "expired.crt"};

	fixture_directory = temporary_directory_create("tls");
	for (size_t i = 0; i < 5; i++)
		tls_fixture_write_certificate(fixture_directory, names[i], certificates[i]);
	tls_fixture_write_certificate(fixture_directory, "chain.crt", certificates[0]);
	tls_fixture_write_certificate(fixture_directory, "chain.crt", certificates[1]);
	tls_fixture_write_certificate(fixture_directory, "certificate-only.key", certificates[2]);
	chmod_fixture("certificate-only.key", 0600);
	tls_fixture_write_key(fixture_directory, "mx.key", mx, 0600, NULL);
	tls_fixture_write_key(fixture_directory, "other.key", other, 0600, NULL);
	tls_fixture_write_key(fixture_directory, "cn.key", cn, 0600, NULL);
	tls_fixture_write_key(fixture_directory, "rsa.key", rsa, 0600, NULL);
	tls_fixture_write_key(fixture_directory, "open.key", mx, 0644, NULL);
	tls_fixture_write_key(fixture_directory, "encrypted.key", mx, 0600, "passphrase");
	temporary_directory_write(fixture_directory, "garbage.crt", "not a certificate\n", 18);
	if (temporary_directory_count_entries(fixture_directory) != FIXTURE_FILES)
		tls_fixture_fail("the fixture files are not all there");
	for (size_t i = 0; i < 5; i++)
		X509_free(certificates[i]);
	EVP_PKEY_free(mx);
	EVP_PKEY_free(other);
	EVP_PKEY_free(cn);
	EVP_PKEY_free(rsa);
}

static char *fixture_path(const char *name) { return xasprintf("%s/%s", fixture_directory, name); }

/* tls_server_create on a config built by hand from pairs of fixture file names. */
static struct tls_server *create(struct buffer *errors, size_t count, const char *const files[][2])
{
	struct config config = {0};
	struct tls_server *server;

	config.certificates = xcalloc(count + 1, sizeof *config.certificates);
	config.certificate_count = count;
	for (size_t i = 0; i < count; i++) {
		config.certificates[i].certificate = fixture_path(files[i][0]);
		config.certificates[i].key = fixture_path(files[i][1]);
	}
	server = tls_server_create(&config, errors);
	for (size_t i = 0; i < count; i++) {
		free(config.certificates[i].certificate);
		free(config.certificates[i].key);
	}
	free(config.certificates);
	return server;
}

/* create() that must succeed. */
static struct tls_server *create_or_exit(size_t count, const char *const files[][2])
{
	struct buffer errors;
	struct tls_server *server;

	buffer_init(&errors, ERRORS_MAX);
	server = create(&errors, count, files);
	if (server == NULL) {
		fprintf(stderr, "tls_server_create failed: %s", errors.data ? errors.data : "(no errors)");
		exit(2);
	}
	buffer_free(&errors);
	return server;
}

static const char *text(const struct buffer *buffer) { return buffer->data != NULL ? buffer->data : ""; }

/* The one error line creating from files must give, with "DIR/" standing for the directory. */
static void check_error(size_t count, const char *const files[][2], const char *expected)
{
	struct buffer errors;
	struct tls_server *server;
	char *expected_line = xstrdup(expected);
	char *marker;

	while ((marker = strstr(expected_line, "DIR/")) != NULL) {
		char *replaced =
		    xasprintf("%.*s%s/%s", (int)(marker - expected_line), expected_line, fixture_directory, marker + 4);
		free(expected_line);
		expected_line = replaced;
	}
	buffer_init(&errors, ERRORS_MAX);
	server = create(&errors, count, files);
	CHECK(server == NULL);
	CHECK_STR(text(&errors), expected_line);
	tls_server_free(server);
	buffer_free(&errors);
	free(expected_line);
}

/* A client SSL offering at most max_version (0: any), asking for sni unless NULL, offering
 * ciphers for TLS 1.2 and below unless NULL. Security level 0, so it will offer old versions
 * and the server is the one that refuses. */
static SSL *client_new(int max_version, const char *sni, const char *ciphers)
{
	SSL_CTX *context = SSL_CTX_new(TLS_client_method());
	SSL *ssl;

	if (context == NULL)
		tls_fixture_fail("cannot make a client context");
	SSL_CTX_set_security_level(context, 0);
	SSL_CTX_set_min_proto_version(context, TLS1_VERSION);
	if (max_version != 0)
		SSL_CTX_set_max_proto_version(context, max_version);
	if (ciphers != NULL && SSL_CTX_set_cipher_list(context, ciphers) != 1)
		tls_fixture_fail("cannot set the client ciphers");
	ssl = SSL_new(context);
	SSL_CTX_free(context);
	if (ssl == NULL || (sni != NULL && SSL_set_tlsext_host_name(ssl, sni) != 1))
		tls_fixture_fail("cannot make a client");
	SSL_set_connect_state(ssl);
	return ssl;
}

static struct connection connect_to(struct tls_server *server, int max_version, const char *sni, const char *ciphers)
{
	struct connection connection = {client_new(max_version, sni, ciphers), tls_server_new_connection(server),
	                                false};

	CHECK(connection.server != NULL);
	if (connection.server != NULL)
		connection.ok = tls_fixture_handshake(connection.client, connection.server);
	return connection;
}

static void connection_close(struct connection *connection)
{
	SSL_free(connection->client);
	SSL_free(connection->server);
	ERR_clear_error();
}

/* The CN of the certificate the server presented to client, or "" without one. */
static void peer_name(SSL *client, char name[NAME_SIZE])
{
	X509 *peer = SSL_get1_peer_certificate(client);

	name[0] = '\0';
	if (peer != NULL)
		X509_NAME_get_text_by_NID(X509_get_subject_name(peer), NID_commonName, name, NAME_SIZE);
	X509_free(peer);
}

/* Checks that a handshake asking for sni gets the certificate named expected. */
static void check_sni(struct tls_server *server, const char *sni, const char *expected)
{
	struct connection connection = connect_to(server, 0, sni, NULL);
	char name[NAME_SIZE];

	CHECK(connection.ok);
	peer_name(connection.client, name);
	if (strcmp(name, expected) != 0)
		fprintf(stderr, "SNI %s: got certificate %s, expected %s\n", sni, name, expected);
	CHECK_STR(name, expected);
	connection_close(&connection);
}

/* Runs create on files with stderr sent to a file, and returns what was written there. */
static void create_capturing_log(size_t count, const char *const files[][2], struct buffer *log,
                                 struct tls_server **server)
{
	char *path = fixture_path("stderr.log");
	struct buffer errors;
	int saved = dup(2), fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	if (saved < 0 || fd < 0 || dup2(fd, 2) < 0)
		tls_fixture_fail("cannot redirect stderr");
	close(fd);
	buffer_init(&errors, ERRORS_MAX);
	*server = create(&errors, count, files);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	CHECK_STR(text(&errors), "");
	buffer_free(&errors);
	buffer_init(log, ERRORS_MAX);
	CHECK_INT(files_read_all(AT_FDCWD, path, log), 0);
	free(path);
}

static void test_create_loads_every_certificate(void)
{
	struct buffer log;
	struct tls_server *server;

	create_capturing_log(3, usual_files, &log, &server);
	CHECK(server != NULL);
	/* Valid certificates and 0600 keys: nothing to warn about. */
	CHECK_STR(text(&log), "");
	tls_server_free(server);
	buffer_free(&log);
}

static void test_no_certificates_gives_null_and_no_errors(void)
{
	struct buffer errors;

	buffer_init(&errors, ERRORS_MAX);
	CHECK(create(&errors, 0, NULL) == NULL);
	CHECK_INT(errors.length, 0);
	buffer_free(&errors);
	tls_server_free(NULL);
}

static void test_missing_certificate_file_is_named(void)
{
	static const char *const files[][2] = {{"missing.crt", "mx.key"}};

	check_error(1, files, "DIR/missing.crt: cannot load the certificate chain: No such file or directory\n");
}

static void test_missing_key_file_is_named(void)
{
	static const char *const files[][2] = {{"mx.crt", "missing.key"}};

	check_error(1, files, "DIR/missing.key: cannot open the private key: No such file or directory\n");
}

static void test_mismatched_key_is_named(void)
{
	static const char *const files[][2] = {{"mx.crt", "other.key"}};

	check_error(
	    1, files,
	    "DIR/other.key: the private key does not match the certificate in DIR/mx.crt: key values mismatch\n");
}

static void test_key_of_another_type_is_named(void)
{
	static const char *const files[][2] = {{"mx.crt", "rsa.key"}};

	check_error(1, files,
	            "DIR/rsa.key: the private key does not match the certificate in DIR/mx.crt: different key types\n");
}

static void test_broken_files_are_named(void)
{
	static const char *const garbage[][2] = {{"garbage.crt", "mx.key"}};
	static const char *const key_is_certificate[][2] = {{"mx.crt", "certificate-only.key"}};

	check_error(1, garbage, "DIR/garbage.crt: cannot load the certificate chain: no start line\n");
	static const char *const key_is_directory[][2] = {{"mx.crt", "."}};

	check_error(1, key_is_certificate,
	            "DIR/certificate-only.key: cannot read the private key: no private key in PEM format in it\n");
	check_error(1, key_is_directory, "DIR/.: cannot read the private key: not a regular file\n");
}

static void test_encrypted_key_is_refused(void)
{
	static const char *const files[][2] = {{"mx.crt", "encrypted.key"}};

	check_error(1, files,
	            "DIR/encrypted.key: cannot read the private key: it is encrypted (no passphrase can be given)\n");
}

static void test_every_broken_certificate_is_reported(void)
{
	static const char *const files[][2] = {
	    {"mx.crt", "mx.key"}, {"missing.crt", "mx.key"}, {"other.crt", "missing.key"}};

	check_error(3, files,
	            "DIR/missing.crt: cannot load the certificate chain: No such file or directory\n"
	            "DIR/missing.key: cannot open the private key: No such file or directory\n");
}

static void test_expired_certificate_loads_with_a_warning(void)
{
	static const char *const files[][2] = {{"expired.crt", "mx.key"}};
	struct buffer log;
	struct tls_server *server;
	char *expected = xasprintf("tls certificate expired file=\"%s/expired.crt\" not_after=2020-01-02T03:04:05Z\n",
	                           fixture_directory);

	create_capturing_log(1, files, &log, &server);
	CHECK(server != NULL);
	CHECK(strstr(text(&log), expected) != NULL);
	tls_server_free(server);
	buffer_free(&log);
	free(expected);
}

static void test_key_readable_by_others_loads_with_a_warning(void)
{
	static const char *const files[][2] = {{"mx.crt", "open.key"}};
	struct buffer log;
	struct tls_server *server;
	char *expected =
	    xasprintf("tls key file is readable by other users file=\"%s/open.key\" mode=0644\n", fixture_directory);

	create_capturing_log(1, files, &log, &server);
	CHECK(server != NULL);
	CHECK(strstr(text(&log), expected) != NULL);
	tls_server_free(server);
	buffer_free(&log);
	free(expected);
}

static void test_default_handshake_is_tls13(void)
{
	struct tls_server *server = create_or_exit(3, usual_files);
	struct connection connection = connect_to(server, 0, NULL, NULL);
	char description[64], name[NAME_SIZE];

	CHECK(connection.ok);
	tls_describe(connection.server, description, sizeof description);
	CHECK_STR(description, "TLS1.3 TLS_AES_256_GCM_SHA384");
	tls_describe(connection.client, description, sizeof description);
	CHECK_STR(description, "TLS1.3 TLS_AES_256_GCM_SHA384");
	/* No SNI: the first certificate. */
	peer_name(connection.client, name);
	CHECK_STR(name, "mx.example.test");
	CHECK(tls_requested_name(connection.server) == NULL);
	connection_close(&connection);
	tls_server_free(server);
}

static void test_sni_wildcard_selects_its_certificate(void)
{
	struct tls_server *server = create_or_exit(3, usual_files);
	struct connection connection = connect_to(server, 0, "a.other.test", NULL);

	CHECK(connection.ok);
	CHECK_STR(tls_requested_name(connection.server), "a.other.test");
	connection_close(&connection);
	check_sni(server, "a.other.test", "*.other.test");
	check_sni(server, "A.Other.TEST", "*.other.test");
	tls_server_free(server);
}

static void test_sni_without_a_match_keeps_the_first(void)
{
	struct tls_server *server = create_or_exit(3, usual_files);

	check_sni(server, "mx.example.test", "mx.example.test");
	check_sni(server, "unknown.example", "mx.example.test");
	/* RFC 6125 §6.4.3: the wildcard stands for exactly one label. */
	check_sni(server, "b.a.other.test", "mx.example.test");
	check_sni(server, "other.test", "mx.example.test");
	tls_server_free(server);
}

static void test_sni_falls_back_to_the_common_name(void)
{
	struct tls_server *server = create_or_exit(3, usual_files);

	check_sni(server, "cn.example.test", "cn.example.test");
	check_sni(server, "CN.example.test", "cn.example.test");
	tls_server_free(server);
}

static void test_tls11_client_is_refused(void)
{
	struct tls_server *server = create_or_exit(3, usual_files);
	struct connection connection = connect_to(server, TLS1_1_VERSION, NULL, NULL);

	CHECK(!connection.ok);
	/* The server refused the ClientHello, not the client its own settings. */
	CHECK_INT(ERR_GET_REASON(ERR_peek_last_error()), SSL_R_UNSUPPORTED_PROTOCOL);
	connection_close(&connection);
	tls_server_free(server);
}

static void test_tls12_uses_ecdhe_and_aead_in_server_order(void)
{
	struct tls_server *server = create_or_exit(3, usual_files);
	struct connection connection =
	    connect_to(server, TLS1_2_VERSION, NULL, "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-ECDSA-AES256-GCM-SHA384");
	char description[64];

	CHECK(connection.ok);
	tls_describe(connection.server, description, sizeof description);
	CHECK_STR(description, "TLS1.2 TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384");
	connection_close(&connection);
	tls_server_free(server);
}

static void test_tls12_without_ecdhe_or_aead_is_refused(void)
{
	static const char *const files[][2] = {{"rsa.crt", "rsa.key"}};
	struct tls_server *server = create_or_exit(1, files);
	struct connection connection;
	char description[64];

	connection = connect_to(server, TLS1_2_VERSION, NULL, NULL);
	CHECK(connection.ok);
	tls_describe(connection.server, description, sizeof description);
	CHECK_STR(description, "TLS1.2 TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384");
	connection_close(&connection);
	connection = connect_to(server, TLS1_2_VERSION, NULL, "AES256-GCM-SHA384:DHE-RSA-AES256-GCM-SHA384");
	CHECK(!connection.ok);
	connection_close(&connection);
	connection = connect_to(server, TLS1_2_VERSION, NULL, "ECDHE-RSA-AES256-SHA384:ECDHE-RSA-AES128-SHA");
	CHECK(!connection.ok);
	connection_close(&connection);
	tls_server_free(server);
}

static void test_connections_get_the_hardening_options(void)
{
	struct tls_server *server = create_or_exit(1, usual_files);
	SSL *ssl = tls_server_new_connection(server);
	uint64_t options = SSL_get_options(ssl);

	CHECK(SSL_is_server(ssl));
	CHECK_INT(SSL_get_min_proto_version(ssl), TLS1_2_VERSION);
	CHECK(options & SSL_OP_NO_COMPRESSION);
	CHECK(options & SSL_OP_NO_RENEGOTIATION);
	CHECK(options & SSL_OP_CIPHER_SERVER_PREFERENCE);
	CHECK(!(options & SSL_OP_NO_TICKET));
	SSL_free(ssl);
	tls_server_free(server);
}

/* RFC 7525 §3.5: a client asking to renegotiate gets no new handshake. */
static void test_renegotiation_is_refused(void)
{
	struct tls_server *server = create_or_exit(3, usual_files);
	struct connection connection = connect_to(server, TLS1_2_VERSION, NULL, NULL);
	char byte;
	int client_result = -1;

	CHECK(connection.ok);
	CHECK_INT(SSL_renegotiate(connection.client), 1);
	for (int round = 0; round < TLS_FIXTURE_HANDSHAKE_ROUNDS; round++) {
		client_result = SSL_do_handshake(connection.client);
		if (!tls_fixture_in_progress(connection.client, client_result) || client_result == 1)
			break;
		SSL_read(connection.server, &byte, 1);
	}
	CHECK_INT(SSL_get_error(connection.client, client_result), SSL_ERROR_SSL);
	CHECK_INT(SSL_num_renegotiations(connection.server), 0);
	connection_close(&connection);
	tls_server_free(server);
}

static void test_connections_outlive_the_server(void)
{
	struct tls_server *server = create_or_exit(3, usual_files);
	SSL *ssl = tls_server_new_connection(server);
	SSL *client = client_new(0, "x.other.test", NULL);
	char name[NAME_SIZE];

	tls_server_free(server);
	CHECK(tls_fixture_handshake(client, ssl));
	peer_name(client, name);
	CHECK_STR(name, "*.other.test");
	SSL_free(client);
	SSL_free(ssl);
}

static void test_chain_file_sends_every_certificate(void)
{
	static const char *const files[][2] = {{"chain.crt", "mx.key"}};
	struct tls_server *server = create_or_exit(1, files);
	struct connection connection = connect_to(server, 0, NULL, NULL);
	STACK_OF(X509) * chain;

	CHECK(connection.ok);
	chain = SSL_get_peer_cert_chain(connection.client);
	CHECK(chain != NULL);
	if (chain != NULL)
		CHECK_INT(sk_X509_num(chain), 2);
	connection_close(&connection);
	tls_server_free(server);
}

static void test_describe_before_the_handshake_and_truncated(void)
{
	struct tls_server *server = create_or_exit(1, usual_files);
	struct connection connection;
	char description[64] = "untouched";

	connection.server = tls_server_new_connection(server);
	tls_describe(connection.server, description, 0);
	CHECK_STR(description, "untouched");
	tls_describe(connection.server, description, sizeof description);
	CHECK_STR(description, "none");
	CHECK(tls_requested_name(connection.server) == NULL);
	SSL_free(connection.server);
	connection = connect_to(server, 0, NULL, NULL);
	tls_describe(connection.server, description, 7);
	CHECK_STR(description, "TLS1.3");
	connection_close(&connection);
	tls_server_free(server);
}

int main(void)
{
	int status;

	make_fixtures();
	RUN(test_create_loads_every_certificate);
	RUN(test_no_certificates_gives_null_and_no_errors);
	RUN(test_missing_certificate_file_is_named);
	RUN(test_missing_key_file_is_named);
	RUN(test_mismatched_key_is_named);
	RUN(test_key_of_another_type_is_named);
	RUN(test_broken_files_are_named);
	RUN(test_encrypted_key_is_refused);
	RUN(test_every_broken_certificate_is_reported);
	RUN(test_expired_certificate_loads_with_a_warning);
	RUN(test_key_readable_by_others_loads_with_a_warning);
	RUN(test_default_handshake_is_tls13);
	RUN(test_sni_wildcard_selects_its_certificate);
	RUN(test_sni_without_a_match_keeps_the_first);
	RUN(test_sni_falls_back_to_the_common_name);
	RUN(test_tls11_client_is_refused);
	RUN(test_tls12_uses_ecdhe_and_aead_in_server_order);
	RUN(test_tls12_without_ecdhe_or_aead_is_refused);
	RUN(test_connections_get_the_hardening_options);
	RUN(test_renegotiation_is_refused);
	RUN(test_connections_outlive_the_server);
	RUN(test_chain_file_sends_every_certificate);
	RUN(test_describe_before_the_handshake_and_truncated);
	status = check_summary("tls");
	temporary_directory_remove(fixture_directory);
	return status;
}
