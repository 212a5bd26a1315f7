/* check_self_dkim: the key record, parsed, decoded, and compared with EVP_PKEY_eq (which
 * compares public components, so a private key matches its own public half). */
#include "check/check_self_dkim.h"

#include <stdio.h>
#include <stdlib.h>

#include "check/check_dkim.h"
#include "mailauth/dkim_check.h"
#include "util/xalloc.h"

#define SECTION "DKIM"

struct self_key {
	struct check_self *self;
	const struct config_dkim_key *configured;
	char name[2 * DNS_NAME_MAX + 16]; /* SELECTOR._domainkey.DOMAIN */
};

static void compare(struct self_key *key, const struct dkim_key *published)
{
	struct findings *findings = &key->self->check->findings;
	EVP_PKEY *public = dkim_check_public_key(published);
	const char *fix = "publish the record of the configured key (tern dkim keygen printed it; or "
	                  "openssl pkey -in KEY -pubout gives p=)";

	if (published->revoked)
		findings_add(findings, SECTION, key->name, FINDING_FAIL, fix,
		             "the published key is revoked (empty p=): every signature ternd makes with it fails");
	else if (public == NULL)
		findings_add(findings, SECTION, key->name, FINDING_FAIL, fix,
		             "the published p= is not a usable public key");
	else if (EVP_PKEY_eq(key->configured->key, public) == 1)
		findings_add(findings, SECTION, key->name, FINDING_OK, NULL,
		             "the published key matches the configured %s key", EVP_PKEY_get0_type_name(public));
	else
		findings_add(findings, SECTION, key->name, FINDING_FAIL, fix,
		             "the published key is not the configured key: every signature ternd makes with it fails");
	EVP_PKEY_free(public);
}

static void on_record(void *context, const struct dns_answer *answer)
{
	struct self_key *key = context;
	struct findings *findings = &key->self->check->findings;
	struct dkim_key *published;
	enum dkim_key_result result;

	if (answer->status == DNS_TEMPFAIL || answer->status == DNS_BOGUS) {
		findings_add(findings, SECTION, key->name, FINDING_WARN, "fix the domain's DNS servers",
		             "lookup failed: %s", answer->why);
	} else if (answer->status != DNS_OK || answer->count != 1) {
		findings_add(findings, SECTION, key->name, FINDING_FAIL,
		             "publish exactly one TXT record there: the one tern dkim keygen printed for the key",
		             "%s: every signature ternd makes with this key fails",
		             answer->status == DNS_OK && answer->count > 1 ? "several TXT records" : "no key record");
	} else {
		published = xmalloc(sizeof *published);
		result = dkim_key_parse(slice_make(answer->records[0].text, answer->records[0].text_length), published);
		if (result != DKIM_KEY_OK)
			findings_add(findings, SECTION, key->name, FINDING_FAIL,
			             "publish the record tern dkim keygen printed for the key", "key record: %s",
			             dkim_key_result_text(result));
		else
			compare(key, published);
		free(published);
	}
	check_self_release(key->self);
	free(key);
}

void check_self_dkim_start(struct check_self *self, const struct config_domain *domain)
{
	findings_section(&self->check->findings, SECTION);
	for (size_t i = 0; i < domain->dkim_key_count; i++) {
		struct self_key *key = xcalloc(1, sizeof *key);
		key->self = self;
		key->configured = &domain->dkim_keys[i];
		snprintf(key->name, sizeof key->name, "%s._domainkey.%s", domain->dkim_keys[i].selector, domain->name);
		check_self_hold(self);
		resolver_query(self->check->resolver, key->name, DNS_TXT, on_record, key);
	}
}
