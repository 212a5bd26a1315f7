/* recipient_policy: RCPT decisions. Local domains: aliases(5) first, then users, then the
 * user part before '+' (plus-addressing); aliases expand recursively to local mailboxes and
 * remote addresses. Anything else is relaying, allowed only when the caller says the client
 * may relay. IP-literal domains are never local. It does no I/O and logs nothing. */
#include "policy/recipient_policy.h"

#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"

static bool resolve_local(const struct config *config, const struct config_domain *domain, struct slice local,
                          unsigned depth, struct recipient_decision *decision);

static void add_target(struct recipient_decision *decision, const char *mailbox, const char *address)
{
	for (size_t i = 0; i < decision->target_count; i++)
		if (strcmp(decision->targets[i].address, address) == 0)
			return; /* one delivery per mailbox, however many aliases lead there */
	if (decision->target_count == RECIPIENT_TARGETS_MAX)
		return;
	decision->targets = xrealloc(decision->targets, (decision->target_count + 1) * sizeof *decision->targets);
	decision->targets[decision->target_count].mailbox = mailbox ? xstrdup(mailbox) : NULL;
	decision->targets[decision->target_count].address = xstrdup(address);
	decision->target_count++;
}

static bool expand_alias_target(const struct config *config, const struct config_domain *domain,
                                const char *target, unsigned depth, struct recipient_decision *decision)
{
	struct address address;
	const struct config_domain *target_domain;

	if (strchr(target, '@') == NULL)
		return resolve_local(config, domain, slice_from_string(target), depth + 1, decision);
	if (address_parse_mailbox(slice_from_string(target), ADDRESS_ALLOW_UTF8, &address) != ADDRESS_OK)
		return false;
	target_domain = address.domain_kind == ADDRESS_DOMAIN_NAME
	                    ? config_find_domain(config, slice_from_string(address.domain))
	                    : NULL;
	if (target_domain != NULL)
		return resolve_local(config, target_domain, slice_from_string(address.local), depth + 1, decision);
	add_target(decision, NULL, target); /* forwarding: queued for outbound delivery */
	return true;
}

static bool resolve_local(const struct config *config, const struct config_domain *domain, struct slice local,
                          unsigned depth, struct recipient_decision *decision)
{
	const struct config_alias *alias;
	const struct config_user *user;
	long plus;

	if (depth > RECIPIENT_ALIAS_DEPTH_MAX)
		return false;
	if ((alias = config_find_alias(domain, local)) != NULL) {
		bool any = false;
		for (size_t i = 0; i < alias->target_count; i++)
			any |= expand_alias_target(config, domain, alias->targets[i], depth, decision);
		return any;
	}
	if ((user = config_find_user(domain, local)) != NULL) {
		char *mailbox = xasprintf("%s@%s", user->name, domain->name);
		add_target(decision, mailbox, mailbox);
		free(mailbox);
		return true;
	}
	plus = slice_find_byte(local, '+');
	if (plus > 0) /* alice+tag reaches alice */
		return resolve_local(config, domain, slice_sub(local, 0, (size_t)plus), depth + 1, decision);
	return false;
}

void recipient_policy_decide(const struct config *config, const struct address *rcpt, bool client_may_relay,
                             struct recipient_decision *decision)
{
	const struct config_domain *domain = NULL;
	struct slice local = slice_from_string(rcpt->local);
	char formatted[ADDRESS_FORMAT_SIZE];

	memset(decision, 0, sizeof *decision);
	if (rcpt->is_postmaster && config->domain_count > 0) { /* RFC 5321 §4.1.1.3 */
		domain = &config->domains[0];
		local = slice_from_string("postmaster");
	} else if (rcpt->domain_kind == ADDRESS_DOMAIN_NAME) {
		domain = config_find_domain(config, slice_from_string(rcpt->domain));
		/* user@HOSTNAME is local too, in the first domain: where cron's mail to "root"
		 * (qualified with our name by `tern sendmail`) finds the alias root. */
		if (domain == NULL && config->domain_count > 0 &&
		    slice_equal_string_nocase(slice_from_string(rcpt->domain), config->hostname))
			domain = &config->domains[0];
	}
	if (domain != NULL) {
		if (resolve_local(config, domain, local, 0, decision)) {
			decision->verdict = RECIPIENT_ACCEPT;
			decision->rule = "local domain, known recipient";
		} else {
			recipient_decision_free(decision);
			decision->verdict = RECIPIENT_UNKNOWN_USER;
			decision->rule = "local domain, no such user or alias";
		}
		return;
	}
	if (!client_may_relay) {
		decision->verdict = RECIPIENT_RELAY_DENIED;
		decision->rule = "not a local domain, and the client is neither trusted nor authenticated";
		return;
	}
	address_format(rcpt, formatted, sizeof formatted);
	add_target(decision, NULL, formatted);
	decision->verdict = RECIPIENT_ACCEPT;
	decision->rule = "relay: the client is trusted or authenticated";
}

void recipient_decision_free(struct recipient_decision *decision)
{
	if (decision == NULL)
		return;
	for (size_t i = 0; i < decision->target_count; i++) {
		free(decision->targets[i].mailbox);
		free(decision->targets[i].address);
	}
	free(decision->targets);
	decision->targets = NULL;
	decision->target_count = 0;
}
