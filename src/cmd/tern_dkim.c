/* tern dkim: DKIM keys and signatures from the command line, with the code ternd will use.
 *   tern dkim keygen DOMAIN SELECTOR [--dir DIR] [--rsa-bits N]
 *     writes DIR/SELECTOR-rsa.key and DIR/SELECTOR-ed25519.key (PKCS#8 PEM, mode 0600, never
 *     over an existing file) and prints the two TXT records to publish (RFC 6376 §3.6.1,
 *     RFC 8463 §4), one per line; distinct selectors, as receivers look a key up per selector.
 *   tern dkim sign --domain D --selector S --key FILE [--selector S2 --key FILE2] ... < msg
 *     prints the message with one DKIM-Signature per key prepended (the n-th --selector goes
 *     with the n-th --key). A message with no CR at all is taken as Unix text: its LFs become
 *     CRLFs, in the output too.
 *   tern dkim verify [--resolver ADDR[:PORT]] < msg: in tern_dkim_verify.c. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "cmd/tern_commands.h"
#include "cmd/tern_dkim.h"
#include "cmd/tern_input.h"
#include "mailauth/dkim_sign.h"
#include "util/base64.h"

#define SIGNATURES_MAX  4                   /* --key options */
#define RSA_BITS_MAX    4096                /* RFC 8301 §3.2: verifiers need not go further */
#define TXT_STRING_MAX  255                 /* RFC 1035 §3.3.14: octets per character-string */
#define KEY_RECORD_MAX  4096                /* octets of the record text we print */

static int usage(void)
{
	fputs("usage: tern dkim keygen DOMAIN SELECTOR [--dir DIR] [--rsa-bits N]\n"
	      "       tern dkim sign --domain D --selector S --key FILE [--selector S2 --key FILE2]\n"
	      "                      [--canonicalization HEADER/BODY] [--timestamp T] < message\n"
	      "       tern dkim verify [--resolver ADDR[:PORT]] < message\n",
	      stderr);
	return 2;
}

/* A DNS name we are willing to put in a record and a file name: letters, digits, '-', '.' */
static int name_is_plain(const char *name)
{
	if (name[0] == '\0' || name[0] == '.' || name[0] == '-')
		return 0;
	for (const char *p = name; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '-' ||
		      *p == '.'))
			return 0;
	return 1;
}

/* Writes key as PKCS#8 PEM to a new file of mode 0600; an existing file is an error. */
static int write_key(const char *path, EVP_PKEY *key)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	FILE *file;
	int ok;

	if (fd < 0) {
		fprintf(stderr, "tern dkim: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if ((file = fdopen(fd, "w")) == NULL) {
		close(fd);
		return -1;
	}
	ok = PEM_write_PrivateKey(file, key, NULL, NULL, 0, NULL, NULL) == 1 && fflush(file) == 0 &&
	     fsync(fileno(file)) == 0;
	if (fclose(file) != 0 || !ok) {
		fprintf(stderr, "tern dkim: %s: cannot write the key\n", path);
		unlink(path);
		return -1;
	}
	return 0;
}

/* p=: RSA as a DER SubjectPublicKeyInfo (RFC 6376 §3.6.1), Ed25519 as the raw 32-octet key
 * (RFC 8463 §4.2); base64 appended to record. */
static int append_public_key(EVP_PKEY *key, struct buffer *record)
{
	unsigned char raw[32], *der = NULL;
	size_t raw_length = sizeof raw;
	int der_length;

	if (EVP_PKEY_get_base_id(key) == EVP_PKEY_ED25519) {
		if (EVP_PKEY_get_raw_public_key(key, raw, &raw_length) != 1)
			return -1;
		base64_encode(slice_make((const char *)raw, raw_length), record);
		return 0;
	}
	if ((der_length = i2d_PUBKEY(key, &der)) <= 0)
		return -1;
	base64_encode(slice_make((const char *)der, (size_t)der_length), record);
	OPENSSL_free(der);
	return 0;
}

/* NAME._domainkey.DOMAIN. IN TXT "..." "...": the text in 255-octet strings (RFC 1035 §3.3.14,
 * RFC 6376 §3.6.2.2: a verifier joins them). */
static int print_record(const char *selector, const char *domain, const char *kind, EVP_PKEY *key)
{
	struct buffer record;
	struct slice rest;

	buffer_init(&record, KEY_RECORD_MAX);
	buffer_printf(&record, "v=DKIM1; k=%s; p=", kind);
	if (append_public_key(key, &record) < 0) {
		buffer_free(&record);
		return -1;
	}
	printf("%s._domainkey.%s. IN TXT", selector, domain);
	for (rest = buffer_slice(&record); rest.length > 0; rest = slice_skip(rest, TXT_STRING_MAX))
		printf(" \"%.*s\"", (int)(rest.length < TXT_STRING_MAX ? rest.length : TXT_STRING_MAX), rest.data);
	putchar('\n');
	buffer_free(&record);
	return 0;
}

/* One key: generate, write DIR/SELECTOR-KIND.key, print its record under selector SELECTOR-KIND. */
static int make_key(const char *domain, const char *selector, const char *dir, const char *kind, int rsa_bits)
{
	EVP_PKEY *key = rsa_bits ? EVP_RSA_gen((unsigned)rsa_bits) : EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	char path[4096], name[512];
	int status = -1;

	snprintf(path, sizeof path, "%s/%s-%s.key", dir, selector, kind);
	snprintf(name, sizeof name, "%s-%s", selector, kind);
	if (key == NULL) {
		fprintf(stderr, "tern dkim: cannot make a %s key\n", kind);
		return -1;
	}
	if (write_key(path, key) == 0 && print_record(name, domain, kind, key) == 0) {
		fprintf(stderr, "tern dkim: wrote %s (selector %s)\n", path, name);
		status = 0;
	}
	EVP_PKEY_free(key);
	return status;
}

static int keygen(int argc, char **argv)
{
	static const struct option options[] = {
		{"dir", required_argument, NULL, 'd'}, {"rsa-bits", required_argument, NULL, 'b'}, {NULL, 0, NULL, 0}};
	const char *dir = ".";
	int bits = 2048, option;
	char *end;

	while ((option = getopt_long(argc, argv, "", options, NULL)) != -1) {
		if (option == 'd')
			dir = optarg;
		else if (option == 'b' && (bits = (int)strtol(optarg, &end, 10), *end != '\0'))
			return usage();
		else if (option != 'b')
			return usage();
	}
	if (argc - optind != 2 || !name_is_plain(argv[optind]) || !name_is_plain(argv[optind + 1]))
		return usage();
	if (bits < DKIM_SIGN_RSA_BITS_MIN || bits > RSA_BITS_MAX) { /* RFC 8301 §3.2 */
		fprintf(stderr, "tern dkim: --rsa-bits must be from %d to %d\n", DKIM_SIGN_RSA_BITS_MIN, RSA_BITS_MAX);
		return 2;
	}
	if (make_key(argv[optind], argv[optind + 1], dir, "rsa", bits) < 0 ||
	    make_key(argv[optind], argv[optind + 1], dir, "ed25519", 0) < 0)
		return 1;
	return 0;
}

struct sign_request {
	struct dkim_sign_options options;
	const char *selectors[SIGNATURES_MAX];
	const char *keys[SIGNATURES_MAX];
	size_t selector_count, key_count;
};

static EVP_PKEY *load_key(const char *path)
{
	FILE *file = fopen(path, "r");
	EVP_PKEY *key;

	if (file == NULL) {
		fprintf(stderr, "tern dkim: %s: %s\n", path, strerror(errno));
		return NULL;
	}
	key = PEM_read_PrivateKey(file, NULL, NULL, NULL);
	fclose(file);
	if (key == NULL)
		fprintf(stderr, "tern dkim: %s: not a PEM private key\n", path);
	return key;
}

static int parse_canonicalization(const char *text, struct dkim_sign_options *options)
{
	static const char *const names[] = {"simple/simple", "simple/relaxed", "relaxed/simple", "relaxed/relaxed"};

	for (int i = 0; i < 4; i++)
		if (strcmp(text, names[i]) == 0) {
			options->header_canon = (i & 2) ? DKIM_CANON_RELAXED : DKIM_CANON_SIMPLE;
			options->body_canon = (i & 1) ? DKIM_CANON_RELAXED : DKIM_CANON_SIMPLE;
			return 0;
		}
	return -1;
}

static int parse_sign_options(int argc, char **argv, struct sign_request *request)
{
	static const struct option options[] = {
		{"domain", required_argument, NULL, 'd'},    {"selector", required_argument, NULL, 's'},
		{"key", required_argument, NULL, 'k'},       {"canonicalization", required_argument, NULL, 'c'},
		{"timestamp", required_argument, NULL, 't'}, {NULL, 0, NULL, 0}};
	int option;
	char *end;

	while ((option = getopt_long(argc, argv, "", options, NULL)) != -1) {
		if (option == 'd')
			request->options.domain = optarg;
		else if (option == 's' && request->selector_count < SIGNATURES_MAX)
			request->selectors[request->selector_count++] = optarg;
		else if (option == 'k' && request->key_count < SIGNATURES_MAX)
			request->keys[request->key_count++] = optarg;
		else if (option == 'c' && parse_canonicalization(optarg, &request->options) == 0)
			continue;
		else if (option == 't' && (request->options.timestamp = strtoll(optarg, &end, 10), *end == '\0'))
			continue;
		else
			return -1;
	}
	if (optind != argc || request->options.domain == NULL || request->key_count == 0 ||
	    request->key_count != request->selector_count)
		return -1;
	return 0;
}

static const char *sign_error(enum dkim_sign_result result)
{
	switch (result) {
	case DKIM_SIGN_OK:
		return "signed";
	case DKIM_SIGN_BAD_MESSAGE:
		return "the header section is malformed";
	case DKIM_SIGN_NO_FROM:
		return "the message has no From field";
	case DKIM_SIGN_BAD_KEY:
		return "the key is neither RSA of 1024 bits or more nor Ed25519";
	case DKIM_SIGN_BAD_ARGUMENT:
		return "the domain or selector is not a valid DKIM name";
	case DKIM_SIGN_CRYPTO_FAILED:
		break;
	}
	return "OpenSSL failed";
}

/* One signature per key, appended to fields in the order given. */
static int sign_all(struct sign_request *request, struct slice message, struct buffer *fields)
{
	for (size_t i = 0; i < request->key_count; i++) {
		enum dkim_sign_result result;
		request->options.selector = request->selectors[i];
		if ((request->options.key = load_key(request->keys[i])) == NULL)
			return -1;
		result = dkim_sign(message, &request->options, fields);
		EVP_PKEY_free(request->options.key);
		if (result != DKIM_SIGN_OK) {
			fprintf(stderr, "tern dkim: %s: %s\n", request->keys[i], sign_error(result));
			return -1;
		}
	}
	return 0;
}

static int sign(int argc, char **argv)
{
	struct sign_request request = {.selector_count = 0, .key_count = 0};
	struct buffer message, fields;
	int status = 1;

	dkim_sign_options_init(&request.options);
	request.options.timestamp = time(NULL);
	if (parse_sign_options(argc, argv, &request) < 0)
		return usage();
	buffer_init(&message, TERN_INPUT_MESSAGE_MAX);
	buffer_init(&fields, (size_t)SIGNATURES_MAX * DKIM_SIGN_FIELD_MAX);
	if (tern_input_read_message(&message) == 0 && sign_all(&request, buffer_slice(&message), &fields) == 0) {
		fwrite(fields.data, 1, fields.length, stdout);
		if (message.length > 0)
			fwrite(message.data, 1, message.length, stdout);
		status = fflush(stdout) == 0 ? 0 : 1;
	}
	buffer_free(&fields);
	buffer_free(&message);
	return status;
}

int tern_dkim(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "keygen") == 0)
		return keygen(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "sign") == 0)
		return sign(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "verify") == 0)
		return tern_dkim_verify(argc - 1, argv + 1);
	return usage();
}
