/* local_delivery: one message's local recipients, each into its Maildir. The Maildir file
 * name is derived from the queue id and the recipient's position, so a delivery repeated
 * after a crash (before the envelope recorded it) finds its earlier copy: exactly once.
 * Remote recipients are left pending for outbound delivery; failures are retried later. */
#include "deliver/local_delivery.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "deliver/maildir.h"
#include "util/log.h"
#include "util/xalloc.h"

/* Expands %u (user) and %d (domain) in the maildir template for mailbox "user@domain". */
static char *maildir_path(const struct config_domain *domain, const char *user)
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
	path = maildir_path(domain, user);
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

static time_t retry_time(unsigned attempts)
{
	time_t delay = LOCAL_DELIVERY_RETRY_FIRST;

	while (attempts-- > 1 && delay < LOCAL_DELIVERY_RETRY_MAX)
		delay *= 2;
	return time(NULL) + (delay > LOCAL_DELIVERY_RETRY_MAX ? LOCAL_DELIVERY_RETRY_MAX : delay);
}

/* Delivers every pending local recipient; returns whether any changed state. */
static bool deliver_pending(const struct config *config, struct envelope *envelope, struct slice message,
                            bool check_earlier_copy, struct local_delivery_result *result)
{
	bool changed = false;

	for (size_t i = 0; i < envelope->recipient_count; i++) {
		struct envelope_recipient *recipient = &envelope->recipients[i];
		const char *why = NULL;

		if (recipient->state != RECIPIENT_PENDING)
			continue;
		if (recipient->mailbox == NULL) {
			result->remote_left = true;
			continue;
		}
		changed = true;
		recipient->attempts++;
		if (deliver_one(config, envelope, i, message, check_earlier_copy, &why) != MAILDIR_FAILED) {
			recipient->state = RECIPIENT_DELIVERED;
			continue;
		}
		free(recipient->last_error);
		recipient->last_error = xstrdup(why);
		envelope->next_attempt = retry_time(recipient->attempts);
		result->retry_at = envelope->next_attempt;
	}
	return changed;
}

void local_delivery_run(const struct config *config, struct spool *spool, const char *id, bool check_earlier_copy,
                        struct local_delivery_result *result)
{
	struct envelope envelope = {0};
	struct buffer message;
	bool changed;

	memset(result, 0, sizeof *result);
	buffer_init(&message, config->max_message_size + 1024 * 1024);
	if (spool_read_envelope(spool, id, &envelope) != 0 || spool_read_message(spool, id, &message) != 0) {
		log_error("%s cannot read from spool: %s", id, strerror(errno));
		result->spool_error = true;
		result->retry_at = time(NULL) + LOCAL_DELIVERY_RETRY_FIRST;
		goto done;
	}
	changed = deliver_pending(config, &envelope, buffer_slice(&message), check_earlier_copy, result);
	if (!envelope_has_pending(&envelope)) {
		if (spool_remove(spool, id) == 0) {
			result->finished = true;
			log_info("%s removed", id);
		} else {
			log_error("%s cannot remove from spool: %s", id, strerror(errno));
		}
	} else if (changed && spool_update(spool, &envelope) != 0) {
		log_error("%s cannot update envelope: %s", id, strerror(errno));
		result->spool_error = true;
	}
done:
	envelope_free(&envelope);
	buffer_free(&message);
}
