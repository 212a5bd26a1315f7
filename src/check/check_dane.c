/* check_dane: TLSA matching after the fact. The probe's handshake runs without DANE (it also
 * judges the WebPKI certificate), so the presented chain is verified again here, offline,
 * through an X509_STORE_CTX carrying a DANE state built on a scratch SSL: OpenSSL does the
 * selector/matching-type work (RFC 6698 §2.1.2-2.1.3) and the chain building for DANE-TA. */
#include "check/check_dane.h"

#include <openssl/err.h>
#include <openssl/x509_vfy.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"

#define TLSA_FIXED_OCTETS 3 /* RFC 6698 §2.1: usage, selector, matching type */
#define TLSA_DANE_TA      2 /* RFC 7218 names of the usages */
#define TLSA_DANE_EE      3

void check_tlsa_add(struct check_tlsa *tlsa, const unsigned char *data, size_t length)
{
	struct check_tlsa_record *record;

	tlsa->records = xrealloc(tlsa->records, (tlsa->count + 1) * sizeof *tlsa->records);
	record = &tlsa->records[tlsa->count++];
	record->data = xmalloc(length ? length : 1);
	memcpy(record->data, data, length);
	record->length = length;
}

void check_tlsa_copy(struct check_tlsa *to, const struct check_tlsa *from)
{
	for (size_t i = 0; i < from->count; i++)
		check_tlsa_add(to, from->records[i].data, from->records[i].length);
}

void check_tlsa_clear(struct check_tlsa *tlsa)
{
	for (size_t i = 0; i < tlsa->count; i++)
		free(tlsa->records[i].data);
	free(tlsa->records);
	tlsa->records = NULL;
	tlsa->count = 0;
}

/* Adds the records SMTP may use (RFC 7672 §3.1.3: only DANE-TA and DANE-EE); returns how many. */
static int add_usable(SSL *scratch, const struct check_tlsa *tlsa)
{
	int usable = 0;

	for (size_t i = 0; i < tlsa->count; i++) {
		const unsigned char *data = tlsa->records[i].data;
		size_t length = tlsa->records[i].length;

		if (length <= TLSA_FIXED_OCTETS || (data[0] != TLSA_DANE_TA && data[0] != TLSA_DANE_EE))
			continue;
		if (SSL_dane_tlsa_add(scratch, data[0], data[1], data[2], data + TLSA_FIXED_OCTETS,
		                      length - TLSA_FIXED_OCTETS) > 0)
			usable++;
	}
	ERR_clear_error(); /* a malformed record leaves an error behind: not ours to report */
	return usable;
}

enum check_dane_result check_dane_match(SSL_CTX *context, SSL *ssl, const char *host, const struct check_tlsa *tlsa,
                                        char *why, size_t size)
{
	STACK_OF(X509) *chain = SSL_get_peer_cert_chain(ssl); /* client side: the leaf first */
	X509 *leaf = chain != NULL && sk_X509_num(chain) > 0 ? sk_X509_value(chain, 0) : NULL;
	enum check_dane_result result = CHECK_DANE_NO_MATCH;
	X509_STORE_CTX *store = NULL;
	SSL *scratch = NULL;
	int usable;

	snprintf(why, size, "no certificate presented");
	if (leaf == NULL || SSL_CTX_dane_enable(context) <= 0 || (scratch = SSL_new(context)) == NULL ||
	    SSL_dane_enable(scratch, host) <= 0) {
		if (leaf != NULL)
			snprintf(why, size, "OpenSSL could not set up DANE");
		goto done;
	}
	SSL_dane_set_flags(scratch, DANE_FLAG_NO_DANE_EE_NAMECHECKS); /* RFC 7672 §3.1.1: DANE-EE binds the key alone */
	usable = add_usable(scratch, tlsa);
	if (usable == 0) {
		snprintf(why, size, "none of the %zu TLSA records is usable for SMTP (RFC 7672 §3.1.3: usage 2 or 3)",
		         tlsa->count);
		result = CHECK_DANE_UNUSABLE;
		goto done;
	}
	store = X509_STORE_CTX_new();
	if (store == NULL || X509_STORE_CTX_init(store, SSL_CTX_get_cert_store(context), leaf, chain) != 1) {
		snprintf(why, size, "OpenSSL could not set up the verification");
		goto done;
	}
	X509_STORE_CTX_set_default(store, "ssl_server");
	X509_VERIFY_PARAM_set1(X509_STORE_CTX_get0_param(store), SSL_get0_param(scratch)); /* the names */
	X509_STORE_CTX_set0_dane(store, SSL_get0_dane(scratch));
	if (X509_verify_cert(store) == 1) {
		snprintf(why, size, "the certificate matches one of %d usable TLSA record%s", usable,
		         usable == 1 ? "" : "s");
		result = CHECK_DANE_MATCH;
	} else {
		snprintf(why, size, "the certificate matches none of %d usable TLSA record%s (%s)", usable,
		         usable == 1 ? "" : "s", X509_verify_cert_error_string(X509_STORE_CTX_get_error(store)));
	}
done:
	ERR_clear_error();
	X509_STORE_CTX_free(store);
	SSL_free(scratch);
	return result;
}
