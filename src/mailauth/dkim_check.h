/* dkim_check: one DKIM-Signature of a message checked against its key record (RFC 6376 §6.1):
 * the field's tags (§6.1.1), times, the body hash with l= (§6.1.3), the header hash input
 * (§3.7, §5.4.2), then, given the key record, the key's tags (§6.1.2) and the signature with
 * OpenSSL: rsa-sha256 with keys of 1024 bits and up (RFC 8301), ed25519-sha256 (RFC 8463).
 * The outcome is a result of RFC 8601 §2.7.1 with a reason in words. No I/O: dkim_verify looks
 * the key up and hands over its text; which status each fault gets is listed below. */
#ifndef TERN_DKIM_CHECK_H
#define TERN_DKIM_CHECK_H

#include <openssl/evp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mailauth/dkim_key.h"
#include "mailauth/dkim_signature.h"
#include "mailauth/header_fields.h"
#include "util/buffer.h"

#define DKIM_CHECK_RSA_BITS_MIN 1024 /* RFC 8301 §3.2: smaller keys MUST NOT be valid */
/* Seconds allowed between the signer's clock and ours for t= and x= (RFC 6376 §3.5 leaves it
 * to the verifier). */
#define DKIM_CHECK_CLOCK_SKEW 300
/* Characters of b= kept for header.b (RFC 6008 §4: 8 or more, to tell signatures apart). */
#define DKIM_CHECK_HEADER_B     12
#define DKIM_CHECK_IDENTITY_MAX 320 /* octets of i= kept: local-part 64, "@", domain 253 */
#define DKIM_CHECK_REASON_MAX   160

/* RFC 8601 §2.7.1, with RFC 6376 §6.1's failures mapped as follows:
 *   neutral   the field is not a valid signature: syntax, a missing or bad tag, From not
 *             signed, i= outside d=, an algorithm we do not accept (rsa-sha1, RFC 8301)
 *   policy    x= has passed, or t= is in the future
 *   temperror the key could not be fetched for now (DNS)
 *   permerror no key record, several, a malformed one, a revoked key (p= empty), a key that
 *             does not fit (k=, h=, s=, t=s), an RSA key under 1024 bits
 *   fail      the body hash or the signature does not verify, l= longer than the body
 *   pass      it verifies */
enum dkim_check_status {
	DKIM_CHECK_PASS,
	DKIM_CHECK_FAIL,
	DKIM_CHECK_NEUTRAL,
	DKIM_CHECK_POLICY,
	DKIM_CHECK_TEMPERROR,
	DKIM_CHECK_PERMERROR,
};

/* What an Authentication-Results header needs of one signature (RFC 8601 §2.7.1, RFC 6008). */
struct dkim_check_result {
	enum dkim_check_status status;
	char reason[DKIM_CHECK_REASON_MAX];           /* why, in words */
	char domain[DKIM_SIGNATURE_DOMAIN_MAX + 1];   /* d=, "" when the field did not parse */
	char selector[DKIM_SIGNATURE_DOMAIN_MAX + 1]; /* s=, likewise */
	char identity[DKIM_CHECK_IDENTITY_MAX + 1];   /* i= as written (truncated), "" if absent */
	const char *algorithm;                        /* a=, "" when the field did not parse */
	char header_b[DKIM_CHECK_HEADER_B + 1];       /* the first characters of b=, or "" */
	bool testing;                                 /* the key says t=y (RFC 6376 §3.6.1) */
};

/* One signature being checked. Fields other than result are private. */
struct dkim_check {
	struct dkim_check_result result;
	enum dkim_signature_algorithm algorithm;
	struct buffer data; /* the header hash input (§3.7) */
	size_t signature_length;
	unsigned char signature[DKIM_SIGNATURE_B_MAX];
	bool body_matches;   /* bh= is the hash of the canonical body */
	bool body_too_short; /* l= is longer than the canonical body (§3.4.5) */
};

/* Starts checking the DKIM-Signature field fields->fields[index] of message (fields is
 * header_fields_parse's framing of message), at time now (seconds since the epoch). All the
 * work that needs the message is done here: afterwards neither message nor fields is used.
 * Returns true when the key record is needed next (dkim_check_key_name, then dkim_check_key
 * or dkim_check_no_key), false when the result is already final. Either way, end with
 * dkim_check_free. */
bool dkim_check_prepare(struct dkim_check *check, struct slice message, const struct header_fields *fields,
                        size_t index, uint64_t now);

/* Writes "SELECTOR._domainkey.DOMAIN" (§3.6.2.1) to name (size bytes; DNS_NAME_MAX + 1 fit). */
void dkim_check_key_name(const struct dkim_check *check, char *name, size_t size);

/* Finishes with the key record's text (the TXT strings joined, §3.6.2.2): the final result. */
void dkim_check_key(struct dkim_check *check, struct slice record);

/* Finishes without a key record: status (TEMPERROR or PERMERROR) and why. */
void dkim_check_no_key(struct dkim_check *check, enum dkim_check_status status, const char *reason);

/* The public key of a parsed key record (RFC 6376 §3.6.1 p=: SubjectPublicKeyInfo, or a bare
 * RSAPublicKey; RFC 8463 §4: 32 raw octets for Ed25519), or NULL when it is revoked, of an unknown
 * type, or not a key. No size policy here. The caller frees it (EVP_PKEY_free). */
EVP_PKEY *dkim_check_public_key(const struct dkim_key *key);

/* Frees what prepare allocated. A zeroed check is a no-op. */
void dkim_check_free(struct dkim_check *check);

/* RFC 8601's word for a status: "pass", "fail", "neutral", "policy", "temperror", "permerror". */
const char *dkim_check_status_name(enum dkim_check_status status);

#endif
