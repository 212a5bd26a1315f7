/* delivery_job: one delivery attempt of one spooled message, start to finish: load it, deliver
 * local recipients (worker thread), deliver remote ones (event loop), then on a worker again:
 * expire what is too old, bounce what failed (RFC 3464 DSNs, queued as new messages), and
 * store every outcome in the envelope durably (or remove the message when nothing is left). */
#ifndef TERN_DELIVERY_JOB_H
#define TERN_DELIVERY_JOB_H

#include <event2/event.h>
#include <openssl/ssl.h>
#include <stdbool.h>
#include <time.h>

#include "conf/config.h"
#include "deliver/connection_cache.h"
#include "deliver/destination_limits.h"
#include "deliver/port25_watch.h"
#include "dns/resolver.h"
#include "queue/spool.h"
#include "util/workpool.h"

/* What delivery jobs share, owned by the daemon. */
struct delivery_services {
	struct event_base *base;
	struct workpool *pool;
	struct spool *spool;
	struct resolver *resolver; /* NULL: remote recipients wait (no outbound delivery) */
	SSL_CTX *tls_client;       /* for STARTTLS to other servers; NULL: plaintext only */
	unsigned remote_port;      /* 25, except where a test says otherwise */
	struct port25_watch *port25; /* notices a blocked port 25 (deliver/port25_watch.c) */
	struct destination_limits *limits; /* connections per destination, and in total */
	struct connection_cache *connections; /* connections kept for the next message */
};

#define DELIVERY_BOUNCES_MAX 2 /* a bounce and a delay warning, at most, per attempt */

struct delivery_outcome {
	time_t retry_at;        /* recipients are still pending: try again then; 0: none left */
	bool remote_waiting;    /* pending remote recipients but no outbound delivery configured */
	bool remote_wanted;     /* remote recipients wait for a remote slot (the gate said no) */
	size_t bounce_count;    /* DSNs queued by this attempt */
	char bounces[DELIVERY_BOUNCES_MAX][SPOOL_ID_SIZE];
};

/* Attempts started together: their local deliveries share one worker job and its syncs. */
struct delivery_batch;

struct delivery_batch *delivery_batch_new(const struct delivery_services *services);

/* Adds an attempt for message id with config (which the caller keeps alive until done).
 * check_earlier_copy: see local_delivery_deliver_all. may_go_remote(context) is asked, on the
 * loop, before remote recipients are attempted; false stops the attempt after the local part
 * with outcome->remote_wanted (NULL: always go on). done(context, outcome) runs once on the
 * loop thread. */
void delivery_batch_add(struct delivery_batch *batch, const struct config *config, const char *id,
                        bool check_earlier_copy, bool (*may_go_remote)(void *context),
                        void (*done)(void *context, const struct delivery_outcome *outcome), void *context);

/* Starts the batch's attempts (and gives up the batch: it frees itself). */
void delivery_batch_start(struct delivery_batch *batch);

#endif
