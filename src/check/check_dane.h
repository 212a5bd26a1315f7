/* check_dane: whether the certificate an MX presented matches its TLSA records (RFC 6698
 * §2.1, with the SMTP rules of RFC 7672 §3: DANE-EE(3) and DANE-TA(2) records, no name check
 * for DANE-EE), decided by OpenSSL's own DANE verifier after the handshake. It does not look
 * anything up nor judge the DNSSEC status (check_mx does). */
#ifndef TERN_CHECK_DANE_H
#define TERN_CHECK_DANE_H

#include <openssl/ssl.h>
#include <stddef.h>

/* TLSA records as their raw rdata (usage, selector, matching type, data). */
struct check_tlsa_record {
	unsigned char *data; /* owned */
	size_t length;
};

struct check_tlsa {
	size_t count;
	struct check_tlsa_record *records; /* owned */
};

/* Appends a copy of one record's rdata. */
void check_tlsa_add(struct check_tlsa *tlsa, const unsigned char *data, size_t length);
/* Copies all of from into to (which starts empty). */
void check_tlsa_copy(struct check_tlsa *to, const struct check_tlsa *from);
/* Frees the records; the struct is empty again. */
void check_tlsa_clear(struct check_tlsa *tlsa);

enum check_dane_result {
	CHECK_DANE_MATCH,    /* a usable record matches the presented chain */
	CHECK_DANE_NO_MATCH, /* usable records, none matches: a DANE sender would not deliver */
	CHECK_DANE_UNUSABLE  /* no record is usable (RFC 7672 §3.1.3: PKIX-TA/EE, unknown values) */
};

/* Matches the peer chain of the completed handshake ssl (made from context) against tlsa for
 * host; writes a line of detail into why (size bytes). */
enum check_dane_result check_dane_match(SSL_CTX *context, SSL *ssl, const char *host, const struct check_tlsa *tlsa,
                                        char *why, size_t size);

#endif
