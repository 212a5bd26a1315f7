/* check_dkim: one TXT lookup per selector, all at once. */
#include "check/check_dkim.h"

#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns/rdata.h"
#include "mailauth/dkim_check.h"
#include "util/xalloc.h"

#define SECTION "DKIM"

struct key_check {
	struct check_state *check;
	char selector[DNS_NAME_MAX + 1];
	char name[2 * DNS_NAME_MAX + 16]; /* SELECTOR._domainkey.DOMAIN */
};

static void judge_type(struct key_check *key_check, const struct dkim_key *key)
{
	struct findings *findings = &key_check->check->findings;
	const char *subject = key_check->selector;
	EVP_PKEY *pkey = dkim_check_public_key(key);
	int bits;

	if (key->type == DKIM_KEY_UNKNOWN) {
		findings_add(findings, SECTION, subject, FINDING_FAIL, "publish k=rsa or k=ed25519",
		             "unknown key type k=: no verifier can use it");
	} else if (pkey == NULL) {
		findings_add(findings, SECTION, subject, FINDING_FAIL,
		             "publish the public key again, e.g. from tern dkim keygen",
		             "p= is not a valid %s public key", key->type == DKIM_KEY_RSA ? "RSA" : "Ed25519");
	} else if (key->type == DKIM_KEY_ED25519) {
		findings_add(findings, SECTION, subject, FINDING_OK, NULL,
		             "Ed25519 key (RFC 8463); sign with an RSA key too, as not every verifier knows Ed25519");
	} else if ((bits = EVP_PKEY_get_bits(pkey)) < CHECK_DKIM_RSA_BITS_MIN) {
		findings_add(findings, SECTION, subject, FINDING_FAIL,
		             "make a 2048-bit key (tern dkim keygen) and publish it",
		             "RSA key of %d bits: verifiers refuse keys under %d (RFC 8301 §3.2)", bits,
		             CHECK_DKIM_RSA_BITS_MIN);
	} else if (bits < CHECK_DKIM_RSA_BITS_GOOD) {
		findings_add(findings, SECTION, subject, FINDING_WARN,
		             "make a 2048-bit key (tern dkim keygen) and publish it",
		             "RSA key of %d bits: weak, RFC 8301 §3.2 asks for %d", bits, CHECK_DKIM_RSA_BITS_GOOD);
	} else {
		findings_add(findings, SECTION, subject, FINDING_OK, NULL, "RSA key of %d bits", bits);
	}
	EVP_PKEY_free(pkey);
}

static void judge(struct key_check *key_check, const struct dkim_key *key)
{
	struct findings *findings = &key_check->check->findings;
	const char *subject = key_check->selector;

	if (key->revoked) {
		findings_add(findings, SECTION, subject, FINDING_WARN, "sign with a selector whose key is published",
		             "revoked (empty p=): signatures with this selector fail (RFC 6376 §3.6.1)");
		return;
	}
	judge_type(key_check, key);
	if (key->testing)
		findings_add(findings, SECTION, subject, FINDING_WARN, "remove t=y once signing works",
		             "t=y: testing mode, verifiers may treat signed mail as unsigned");
	if (!key->sha256_acceptable)
		findings_add(findings, SECTION, subject, FINDING_FAIL, "remove h= (or list sha256 in it)",
		             "h= excludes sha256: verifiers refuse sha1 signatures (RFC 8301 §3.1)");
	if (!key->email_service)
		findings_add(findings, SECTION, subject, FINDING_FAIL, "remove s= (or make it s=email)",
		             "s= excludes email: the key may not verify mail (RFC 6376 §3.6.1)");
	if (key->strict_identity)
		findings_add(findings, SECTION, subject, FINDING_INFO, NULL,
		             "t=s: a signature's i= must be in exactly the d= domain, not a subdomain");
}

static void on_record(void *context, const struct dns_answer *answer)
{
	struct key_check *key_check = context;
	struct findings *findings = &key_check->check->findings;
	const char *subject = key_check->selector;
	struct dkim_key *key;
	enum dkim_key_result result;

	if (answer->status == DNS_TEMPFAIL || answer->status == DNS_BOGUS) {
		findings_add(findings, SECTION, subject, FINDING_WARN, "fix the domain's DNS servers",
		             "%s lookup failed: %s", key_check->name, answer->why);
	} else if (answer->status != DNS_OK || answer->count == 0) {
		findings_add(findings, SECTION, subject, FINDING_FAIL,
		             "publish the TXT record tern dkim keygen printed for this selector",
		             "no key record at %s: signatures with this selector fail", key_check->name);
	} else if (answer->count > 1) {
		findings_add(findings, SECTION, subject, FINDING_FAIL, "keep exactly one TXT record there",
		             "%zu TXT records at %s: verifiers may pick any (RFC 6376 §3.6.2.2)", answer->count,
		             key_check->name);
	} else {
		key = xmalloc(sizeof *key);
		result = dkim_key_parse(slice_make(answer->records[0].text, answer->records[0].text_length), key);
		if (result != DKIM_KEY_OK)
			findings_add(findings, SECTION, subject, FINDING_FAIL,
			             "publish the record again, e.g. from tern dkim keygen",
			             "key record at %s: %s%s%.*s%s", key_check->name, dkim_key_result_text(result),
			             key->error_tag.length ? " (at \"" : "", (int)key->error_tag.length,
			             key->error_tag.data, key->error_tag.length ? "\")" : "");
		else
			judge(key_check, key);
		free(key);
	}
	check_state_release(key_check->check);
	free(key_check);
}

void check_dkim_start(struct check_state *check, const char *domain, const char **selectors)
{
	char normalized[DNS_NAME_MAX + 1];

	findings_section(&check->findings, SECTION);
	rdata_name_normalize(domain, normalized);
	if (selectors == NULL || selectors[0] == NULL) {
		findings_add(&check->findings, SECTION, "", FINDING_INFO,
		             "pass --selector S (repeatable), S from the s= tag of a DKIM-Signature in your mail",
		             "selectors cannot be discovered from DNS: no DKIM key checked");
		return;
	}
	for (size_t i = 0; selectors[i] != NULL; i++) {
		struct key_check *key_check = xcalloc(1, sizeof *key_check);
		key_check->check = check;
		rdata_name_normalize(selectors[i], key_check->selector);
		snprintf(key_check->name, sizeof key_check->name, "%s._domainkey.%s", key_check->selector,
		         normalized); /* RFC 6376 §3.6.2.1 */
		check_state_hold(check);
		resolver_query(check->resolver, key_check->name, DNS_TXT, on_record, key_check);
	}
}
