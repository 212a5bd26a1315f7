/* local_delivery: delivers the pending local recipients of one spooled message into their
 * Maildirs and records each outcome in the envelope, durably. Blocking: runs on a worker
 * thread; it reads only the immutable config it is handed. */
#ifndef TERN_LOCAL_DELIVERY_H
#define TERN_LOCAL_DELIVERY_H

#include <stdbool.h>
#include <time.h>

#include "conf/config.h"
#include "queue/spool.h"

struct local_delivery_result {
	bool finished;      /* every recipient done: the message was removed from the spool */
	bool remote_left;   /* recipients for other hosts are waiting for outbound delivery */
	time_t retry_at;    /* a local delivery failed: try again then (0: no retry needed) */
	bool spool_error;   /* the envelope could not be read or updated: retry later */
};

#define LOCAL_DELIVERY_RETRY_FIRST 300 /* seconds before the first retry */
#define LOCAL_DELIVERY_RETRY_MAX 3600  /* the retry interval doubles up to this */

/* Delivers message id. check_earlier_copy: an earlier attempt (another run, or one whose
 * outcome was not recorded) may have put it in a mailbox already; look before writing.
 * Logs one line per recipient (status=sent|deferred). */
void local_delivery_run(const struct config *config, struct spool *spool, const char *id, bool check_earlier_copy,
                        struct local_delivery_result *result);

#endif
