/* local_delivery: one message's local recipients, each into its Maildir. The Maildir file
 * name is derived from the queue id and the recipient's position, so a delivery repeated
 * after a crash (before the envelope recorded it) finds its earlier copy: exactly once.
 * Remote recipients are not its business; storing the outcome is the caller's. */
#include "deliver/local_delivery.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "deliver/maildir.h"
#include "util/log.h"
#include "util/xalloc.h"

/* Expands %u (user) and %d (domain) in the maildir template for mailbox "user@domain".
 * Quarantined mail goes to the Junk folder inside it (the Maildir++ layout Dovecot and
 * Courier read: a ".Junk" maildir in the top one). */
static char *maildir_path(const struct config_domain *domain, const char *user, bool junk)
{
	struct buffer path;
	char *result;

	buffer_init(&path, 4096);
	for (const char *p = domain->maildir_template; *p; p++) {
		if (p[0] == '%' && (p[1] == 'u' || p[1] == 'd')) {
			buffer_append_string(&path, p[1] == 'u' ? user : domain->name);
			p++;
		} else {
			buffer_append(&path, p, 1);
		}
	}
	if (junk)
		buffer_append_string(&path, "/.Junk");
	result = slice_to_string(buffer_slice(&path));
	buffer_free(&path);
	return result;
}

static enum maildir_result deliver_one(const struct config *config, const struct envelope *envelope, size_t index,
                                       struct slice message, bool check_earlier_copy, const char **why)
{
	const struct envelope_recipient *recipient = &envelope->recipients[index];
	const char *at = strrchr(recipient->mailbox, '@');
	const struct config_domain *domain = at ? config_find_domain(config, slice_from_string(at + 1)) : NULL;
	char unique[256];
	char *user, *path;
	enum maildir_result result;

	if (domain == NULL) {
		*why = "domain is no longer local";
		errno = ENOENT;
		return MAILDIR_FAILED;
	}
	user = xstrndup(recipient->mailbox, (size_t)(at - recipient->mailbox));
	path = maildir_path(domain, user, envelope->quarantine);
	snprintf(unique, sizeof unique, "%lld.Q%sR%zu.%s", (long long)envelope->created, envelope->id, index,
	         config->hostname);
	result = maildir_deliver(path, unique, envelope->sender, message, check_earlier_copy);
	*why = result == MAILDIR_FAILED ? strerror(errno) : path;
	log_info("%s to=<%s> mailbox=%s relay=maildir delay=%lld status=%s (%s%s)", envelope->id, recipient->address,
	         recipient->mailbox, (long long)(time(NULL) - envelope->created),
	         result == MAILDIR_FAILED ? "deferred" : "sent",
	         result == MAILDIR_ALREADY_DELIVERED ? "already delivered to " : result == MAILDIR_DELIVERED ? "delivered to " : "",
	         *why);
	free(user);
	free(path);
	return result;
}

bool local_delivery_deliver(const struct config *config, struct envelope *envelope, struct slice message,
                            bool check_earlier_copy)
{
	bool changed = false;

	for (size_t i = 0; i < envelope->recipient_count; i++) {
		struct envelope_recipient *recipient = &envelope->recipients[i];
		const char *why = NULL;

		if (recipient->state != RECIPIENT_PENDING || recipient->mailbox == NULL)
			continue;
		changed = true;
		recipient->attempts++;
		if (deliver_one(config, envelope, i, message, check_earlier_copy, &why) != MAILDIR_FAILED) {
			recipient->state = RECIPIENT_DELIVERED;
			continue;
		}
		free(recipient->last_error);
		recipient->last_error = xasprintf("4.2.0 maildir: %s", why);
		envelope_note_attempt(recipient, time(NULL), recipient->last_error);
	}
	return changed;
}
