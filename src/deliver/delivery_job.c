/* delivery_job: the pipeline of a delivery attempt. Attempts start in batches: one worker job
 * loads every message of the batch and delivers their local recipients together
 * (local_delivery_deliver_all: shared Maildir opens and fsyncs), then settles each attempt
 * that has no remote recipients left and removes the finished messages with one directory
 * fsync (spool_remove_all). Remote recipients are the loop's (remote_delivery.c); after them
 * a worker settles that attempt. Settling: recipients pending past max-queue-lifetime fail
 * (RFC 5321 §4.5.4.1 "give up"); every recipient that failed in this attempt is reported in one DSN (RFC 3464) to the sender, or
 * to postmaster when the sender is null (a bounce never bounces back, RFC 5321 §6.1); the DSN
 * is committed before the envelope records the failure, so a crash can duplicate a bounce but
 * never lose one. Then the envelope is rewritten, or the message removed. */
#include "deliver/delivery_job.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deliver/bounce.h"
#include "deliver/local_delivery.h"
#include "deliver/remote_delivery.h"
#include "policy/recipient_policy.h"
#include "util/log.h"
#include "util/xalloc.h"

struct delivery_job {
	const struct delivery_services *services;
	const struct config *config;
	char id[SPOOL_ID_SIZE];
	bool check_earlier_copy;
	bool loaded;
	bool held;
	bool stored; /* the outcome is on disk already: nothing left for other servers */
	struct envelope envelope;
	struct buffer message;
	enum recipient_state *before; /* each recipient's state when loaded */
	struct delivery_outcome outcome;
	bool (*may_go_remote)(void *);
	void (*done)(void *, const struct delivery_outcome *);
	void *context;
};

/* The enhanced status code inside a reply or error text ("... 550 5.1.1 ..."), or fallback. */
static void find_status(const char *text, char status[16], const char *fallback)
{
	for (const char *p = text; *p; p++) {
		int a, b, c, used = 0;
		if ((p == text || p[-1] == ' ') && sscanf(p, "%1d.%3d.%3d%n", &a, &b, &c, &used) == 3 &&
		    (p[used] == ' ' || p[used] == '\0') && a >= 2 && a <= 5) {
			snprintf(status, 16, "%d.%d.%d", a, b, c);
			return;
		}
	}
	snprintf(status, 16, "%s", fallback);
}

static void expire(struct delivery_job *job, time_t now)
{
	for (size_t i = 0; i < job->envelope.recipient_count; i++) {
		struct envelope_recipient *recipient = &job->envelope.recipients[i];
		char *last = recipient->last_error;

		if (recipient->state != RECIPIENT_PENDING || now - job->envelope.created < job->config->max_queue_lifetime)
			continue;
		recipient->state = RECIPIENT_FAILED; /* RFC 3463 4.4.7: delivery time expired */
		recipient->last_error = xasprintf("4.4.7 gave up after %u days in the queue; last error: %s",
		                                  job->config->max_queue_lifetime / 86400, last ? last : "none");
		free(last);
		log_info("%s to=<%s> status=expired (%s)", job->id, recipient->address, recipient->last_error);
	}
}

/* Who gets the DSN: the sender, or postmaster for a message with the null sender. */
static void bounce_destination(const struct delivery_job *job, char *to, size_t size)
{
	if (job->envelope.sender[0])
		snprintf(to, size, "%s", job->envelope.sender);
	else
		snprintf(to, size, "postmaster@%s", job->config->domain_count ? job->config->domains[0].name
		                                                                 : job->config->hostname);
}

/* The bounce's own envelope: null sender, recipients where mail to `to` goes. */
static bool bounce_envelope(const struct delivery_job *job, const char *to, const char *id, struct envelope *bounce)
{
	struct address address;
	struct recipient_decision decision;

	if (address_parse_mailbox(slice_from_string(to), ADDRESS_ALLOW_UTF8, &address) != ADDRESS_OK)
		return false;
	recipient_policy_decide(job->config, &address, true, &decision);
	bounce->id = xstrdup(id);
	bounce->sender = xstrdup("");
	bounce->created = bounce->next_attempt = time(NULL);
	bounce->client = xstrdup("tern bounce");
	bounce->smtputf8 = job->envelope.smtputf8;
	for (size_t i = 0; decision.verdict == RECIPIENT_ACCEPT && i < decision.target_count; i++)
		envelope_add_recipient(bounce, decision.targets[i].mailbox ? to : decision.targets[i].address,
		                       decision.targets[i].mailbox);
	recipient_decision_free(&decision);
	return bounce->recipient_count > 0;
}

/* The recipients a DSN reports: those that failed in this attempt, or (delayed) those pending. */
static void fill_recipients(const struct delivery_job *job, bool delayed, struct bounce_recipient *list,
                            char (*statuses)[16], size_t *count)
{
	*count = 0;
	for (size_t i = 0; i < job->envelope.recipient_count; i++) {
		const struct envelope_recipient *recipient = &job->envelope.recipients[i];
		const char *error = recipient->last_error ? recipient->last_error : "delivery not yet possible";
		const char *said = strstr(error, " said: ");
		bool reported = delayed ? recipient->state == RECIPIENT_PENDING
		                        : recipient->state == RECIPIENT_FAILED && job->before[i] != RECIPIENT_FAILED;

		if (!reported)
			continue;
		find_status(error, statuses[*count], delayed ? "4.0.0" : "5.0.0");
		list[*count] = (struct bounce_recipient){.address = recipient->address,
		                                         .action = delayed ? "delayed" : "failed",
		                                         .status = statuses[*count],
		                                         .diagnostic = said ? said + 7 : error};
		(*count)++;
	}
}

/* Builds and commits a DSN: for the recipients that failed in this attempt, or (delayed) a
 * warning for those still pending (RFC 3464 action "delayed"). Returns whether one was queued. */
static bool queue_report(struct delivery_job *job, time_t now, bool delayed)
{
	size_t count;
	struct bounce_recipient *list = xcalloc(job->envelope.recipient_count + 1, sizeof *list);
	char(*statuses)[16] = xcalloc(job->envelope.recipient_count + 1, sizeof *statuses);
	char to[ADDRESS_FORMAT_SIZE], id[SPOOL_ID_SIZE], boundary[64], message_id[128];
	struct envelope bounce = {0};
	struct buffer text;

	fill_recipients(job, delayed, list, statuses, &count);
	buffer_init(&text, job->message.length + 1024 * 1024);
	bounce_destination(job, to, sizeof to);
	spool_new_id(job->services->spool, id);
	snprintf(boundary, sizeof boundary, "tern-%s-dsn", id);
	snprintf(message_id, sizeof message_id, "<%s.dsn@%s>", id, job->config->hostname);
	struct bounce_info info = {.reporting_mta = job->config->hostname, .sender = to, .arrival = job->envelope.created,
	                           .now = now, .recipients = list, .recipient_count = count,
	                           .original = buffer_slice(&job->message), .smtputf8 = job->envelope.smtputf8,
	                           .boundary = boundary, .message_id = message_id,
	                           .retry_until = delayed ? job->envelope.created + job->config->max_queue_lifetime : 0};
	bool queued = false;
	if (count == 0)
		goto done;
	if (!bounce_envelope(job, to, id, &bounce) || !bounce_build(&info, &text) ||
	    spool_commit(job->services->spool, &bounce, buffer_slice(&text)) != 0) {
		log_error("%s cannot queue a bounce to <%s>: %s", job->id, to, errno ? strerror(errno) : "no route");
		goto done;
	}
	log_info("%s %s %s to=<%s> %s=%zu", job->id, delayed ? "delay-warning" : "bounce", id, to,
	         delayed ? "delayed" : "failed", count);
	memcpy(job->outcome.bounces[job->outcome.bounce_count++], id, SPOOL_ID_SIZE);
	queued = true;
done:
	envelope_free(&bounce);
	buffer_free(&text);
	free(list);
	free(statuses);
	return queued;
}

/* RFC 3464 "delayed": once per message, after delay-warning, while recipients are pending. */
static void warn_of_delay(struct delivery_job *job, time_t now)
{
	if (job->config->delay_warning == 0 || job->envelope.warned || !envelope_has_pending(&job->envelope) ||
	    now - job->envelope.created < job->config->delay_warning || job->envelope.sender[0] == '\0')
		return;
	if (queue_report(job, now, true))
		job->envelope.warned = true;
}

/* When to try again: retry-interval doubling per attempt up to retry-max, never past the
 * moment the message expires (so it expires on time). */
static time_t next_attempt(const struct delivery_job *job, time_t now)
{
	unsigned attempts = 0;
	time_t delay = job->config->retry_interval ? job->config->retry_interval : 1;
	time_t expiry = job->envelope.created + job->config->max_queue_lifetime;

	for (size_t i = 0; i < job->envelope.recipient_count; i++)
		if (job->envelope.recipients[i].state == RECIPIENT_PENDING && job->envelope.recipients[i].attempts > attempts)
			attempts = job->envelope.recipients[i].attempts;
	while (attempts-- > 1 && delay < (time_t)job->config->retry_max)
		delay *= 2;
	if (delay > (time_t)job->config->retry_max && job->config->retry_max > 0)
		delay = job->config->retry_max;
	return now + delay < expiry ? now + delay : expiry;
}

/* Settles the attempt: expiry, DSNs, then the envelope rewritten with the next retry.
 * Returns true instead of rewriting when nothing is pending: the caller removes the message. */
static bool settle(struct delivery_job *job)
{
	time_t now = time(NULL);

	if (job->held)
		return false; /* no retry: release schedules it */
	if (!job->loaded) {
		job->outcome.retry_at = now + (job->config->retry_interval ? job->config->retry_interval : 60);
		return false;
	}
	expire(job, now);
	queue_report(job, now, false);
	warn_of_delay(job, now);
	if (!envelope_has_pending(&job->envelope))
		return true;
	job->envelope.next_attempt = job->outcome.retry_at = next_attempt(job, now);
	if (spool_update(job->services->spool, &job->envelope) != 0)
		log_error("%s cannot update envelope: %s", job->id, strerror(errno));
	return false;
}

static void log_removal(const struct spool_removal *removal)
{
	if (removal->result == 0)
		log_info("%s removed", removal->id);
	else
		log_error("%s cannot remove from spool: %s", removal->id, strerror(removal->error));
}

/* A worker's settling of one attempt, after its remote part. */
static void store(void *context)
{
	struct delivery_job *job = context;
	struct spool_removal removal = {.id = job->id};

	if (!settle(job))
		return;
	spool_remove_all(job->services->spool, &removal, 1);
	log_removal(&removal);
}

static void finished(void *context)
{
	struct delivery_job *job = context;

	job->done(job->context, &job->outcome);
	envelope_free(&job->envelope);
	buffer_free(&job->message);
	free(job->before);
	free(job);
}

static void after_remote(void *context)
{
	struct delivery_job *job = context;
	workpool_submit(job->services->pool, store, finished, job);
}

static bool remote_pending(const struct envelope *envelope)
{
	for (size_t i = 0; i < envelope->recipient_count; i++)
		if (envelope->recipients[i].state == RECIPIENT_PENDING && envelope->recipients[i].mailbox == NULL)
			return true;
	return false;
}

static void load(struct delivery_job *job)
{
	if (spool_read_envelope(job->services->spool, job->id, &job->envelope) != 0 ||
	    spool_read_message(job->services->spool, job->id, &job->message) != 0) {
		log_error("%s cannot read from spool: %s", job->id, strerror(errno));
		return;
	}
	if (job->envelope.held) { /* `tern queue hold`: untouched until released */
		job->held = true;
		return;
	}
	job->loaded = true;
	job->before = xcalloc(job->envelope.recipient_count, sizeof *job->before);
	for (size_t i = 0; i < job->envelope.recipient_count; i++)
		job->before[i] = job->envelope.recipients[i].state;
}

struct delivery_batch {
	const struct delivery_services *services;
	struct delivery_job **jobs;
	size_t count, capacity;
};

/* On a worker: every attempt of the batch up to its remote part; those without one are
 * settled here too, rather than after a round trip through the loop. */
static void batch_work(void *context)
{
	struct delivery_batch *batch = context;
	struct local_delivery *local = xcalloc(batch->count, sizeof *local);
	struct spool_removal *removals = xcalloc(batch->count, sizeof *removals);
	size_t loaded = 0, removing = 0;

	for (size_t i = 0; i < batch->count; i++) {
		struct delivery_job *job = batch->jobs[i];

		load(job);
		if (job->loaded)
			local[loaded++] = (struct local_delivery){.config = job->config, .envelope = &job->envelope,
			                                          .message = buffer_slice(&job->message),
			                                          .check_earlier_copy = job->check_earlier_copy};
	}
	local_delivery_deliver_all(local, loaded);
	for (size_t i = 0; i < batch->count; i++) {
		struct delivery_job *job = batch->jobs[i];

		if (job->loaded && remote_pending(&job->envelope))
			continue; /* the loop decides about the rest */
		job->stored = true;
		if (settle(job))
			removals[removing++] = (struct spool_removal){.id = job->id};
	}
	spool_remove_all(batch->services->spool, removals, removing);
	for (size_t i = 0; i < removing; i++)
		log_removal(&removals[i]);
	free(removals);
	free(local);
}

static void after_local(struct delivery_job *job);

static void batch_done(void *context)
{
	struct delivery_batch *batch = context;

	for (size_t i = 0; i < batch->count; i++)
		after_local(batch->jobs[i]);
	free(batch->jobs);
	free(batch);
}

static void after_local(struct delivery_job *job)
{
	if (job->stored) {
		finished(job);
		return;
	}
	if (job->loaded && remote_pending(&job->envelope)) {
		if (job->services->resolver == NULL) {
			job->outcome.remote_waiting = true;
		} else if (job->may_go_remote && !job->may_go_remote(job->context)) {
			job->outcome.remote_wanted = true; /* the remote lane is full: wait there */
		} else {
			remote_delivery_run(job->services, job->config, &job->envelope, buffer_slice(&job->message),
			                    after_remote, job);
			return;
		}
	}
	after_remote(job);
}

struct delivery_batch *delivery_batch_new(const struct delivery_services *services)
{
	struct delivery_batch *batch = xcalloc(1, sizeof *batch);

	batch->services = services;
	return batch;
}

void delivery_batch_add(struct delivery_batch *batch, const struct config *config, const char *id,
                        bool check_earlier_copy, bool (*may_go_remote)(void *context),
                        void (*done)(void *context, const struct delivery_outcome *outcome), void *context)
{
	struct delivery_job *job = xcalloc(1, sizeof *job);

	job->services = batch->services;
	job->config = config;
	snprintf(job->id, sizeof job->id, "%s", id);
	job->check_earlier_copy = check_earlier_copy;
	job->may_go_remote = may_go_remote;
	job->done = done;
	job->context = context;
	buffer_init(&job->message, config->max_message_size + 1024 * 1024);
	if (batch->count == batch->capacity) {
		batch->capacity = batch->capacity ? 2 * batch->capacity : 16;
		batch->jobs = xrealloc(batch->jobs, batch->capacity * sizeof *batch->jobs);
	}
	batch->jobs[batch->count++] = job;
}

void delivery_batch_start(struct delivery_batch *batch)
{
	if (batch->count == 0) {
		free(batch->jobs);
		free(batch);
		return;
	}
	workpool_submit(batch->services->pool, batch_work, batch_done, batch);
}
