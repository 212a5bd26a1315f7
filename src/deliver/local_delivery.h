/* local_delivery: delivers the pending local recipients of one message into their Maildirs
 * and records each outcome in the (in-memory) envelope. Blocking: runs on a worker thread;
 * it reads only the immutable config it is handed. */
#ifndef TERN_LOCAL_DELIVERY_H
#define TERN_LOCAL_DELIVERY_H

#include <stdbool.h>

#include "conf/config.h"
#include "queue/envelope.h"
#include "util/buffer.h"

/* Delivers each pending recipient that has a mailbox: delivered ones become
 * RECIPIENT_DELIVERED, failed ones stay pending with last_error set (attempts counted).
 * check_earlier_copy: an earlier attempt (another run, or one whose outcome was not
 * recorded) may have put it in a mailbox already; look before writing. Logs one line per
 * recipient. Returns whether any recipient was attempted. */
bool local_delivery_deliver(const struct config *config, struct envelope *envelope, struct slice message,
                            bool check_earlier_copy);

#endif
