/* local_delivery: delivers the pending local recipients of messages into their Maildirs
 * and records each outcome in the (in-memory) envelope. Blocking: runs on a worker thread;
 * it reads only the immutable config it is handed. */
#ifndef TERN_LOCAL_DELIVERY_H
#define TERN_LOCAL_DELIVERY_H

#include <stdbool.h>

#include "conf/config.h"
#include "queue/envelope.h"
#include "util/buffer.h"

/* One message of local_delivery_deliver_all. The config is the one its attempt started with. */
struct local_delivery {
	const struct config *config;
	struct envelope *envelope;
	struct slice message;
	bool check_earlier_copy;
};

/* Delivers each pending recipient that has a mailbox, of every message: delivered ones become
 * RECIPIENT_DELIVERED, failed ones stay pending with last_error set (attempts counted).
 * check_earlier_copy: an earlier attempt (another run, or one whose outcome was not
 * recorded) may have put it in a mailbox already; look before writing. Logs one line per
 * recipient. */
void local_delivery_deliver_all(struct local_delivery *messages, size_t count);

#endif
