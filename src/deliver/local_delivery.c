/* local_delivery: the local recipients of one message or a batch of them, each into its
 * Maildir, all through one maildir_deliver_all (shared opens and fsyncs). The Maildir file
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

/* One recipient's delivery: where it goes, and (once maildir_deliver_all ran) how it went. */
struct target {
	struct envelope *envelope;
	size_t index;  /* of the recipient */
	char *path;    /* the Maildir; NULL: the domain is no longer ours */
	char unique[256];
};

/* Records and logs the outcome of target's recipient. */
static void record(struct target *target, enum maildir_result result, int error)
{
	struct envelope *envelope = target->envelope;
	struct envelope_recipient *recipient = &envelope->recipients[target->index];
	const char *why = target->path == NULL ? "domain is no longer local"
	                  : result == MAILDIR_FAILED ? strerror(error) : target->path;

	log_info("%s to=<%s> mailbox=%s relay=maildir delay=%lld status=%s (%s%s)", envelope->id, recipient->address,
	         recipient->mailbox, (long long)(time(NULL) - envelope->created),
	         result == MAILDIR_FAILED ? "deferred" : "sent",
	         result == MAILDIR_ALREADY_DELIVERED ? "already delivered to " : result == MAILDIR_DELIVERED ? "delivered to " : "",
	         why);
	if (result != MAILDIR_FAILED) {
		recipient->state = RECIPIENT_DELIVERED;
		return;
	}
	free(recipient->last_error);
	recipient->last_error = xasprintf("4.2.0 maildir: %s", why);
	envelope_note_attempt(recipient, time(NULL), recipient->last_error);
}

void local_delivery_deliver_all(struct local_delivery *messages, size_t count)
{
	size_t total = 0, used = 0, batched = 0;
	struct target *targets;
	struct maildir_delivery *deliveries;

	for (size_t m = 0; m < count; m++)
		total += messages[m].envelope->recipient_count;
	targets = xcalloc(total + 1, sizeof *targets);
	deliveries = xcalloc(total + 1, sizeof *deliveries);
	for (size_t m = 0; m < count; m++) {
		struct envelope *envelope = messages[m].envelope;

		for (size_t i = 0; i < envelope->recipient_count; i++) {
			struct envelope_recipient *recipient = &envelope->recipients[i];
			const char *at;
			const struct config_domain *domain;
			struct target *target = &targets[used];

			if (recipient->state != RECIPIENT_PENDING || recipient->mailbox == NULL)
				continue;
			used++;
			recipient->attempts++;
			target->envelope = envelope;
			target->index = i;
			at = strrchr(recipient->mailbox, '@');
			domain = at ? config_find_domain(messages[m].config, slice_from_string(at + 1)) : NULL;
			if (domain == NULL)
				continue;
			char *user = xstrndup(recipient->mailbox, (size_t)(at - recipient->mailbox));
			target->path = maildir_path(domain, user, envelope->quarantine);
			free(user);
			snprintf(target->unique, sizeof target->unique, "%lld.Q%sR%zu.%s", (long long)envelope->created,
			         envelope->id, i, messages[m].config->hostname);
			deliveries[batched++] = (struct maildir_delivery){.path = target->path,
			                                                  .unique_name = target->unique,
			                                                  .return_path = envelope->sender,
			                                                  .message = messages[m].message,
			                                                  .check_earlier_copy = messages[m].check_earlier_copy};
		}
	}
	maildir_deliver_all(deliveries, batched);
	batched = 0;
	for (size_t t = 0; t < used; t++) {
		if (targets[t].path == NULL) {
			record(&targets[t], MAILDIR_FAILED, ENOENT);
			continue;
		}
		record(&targets[t], deliveries[batched].result, deliveries[batched].error);
		batched++;
		free(targets[t].path);
	}
	free(deliveries);
	free(targets);
}
