/* remote_delivery: delivers the pending remote recipients of one message: per destination
 * domain, the route (MX hosts and addresses, route.c), then an SMTP client session to each
 * address in turn until one takes the mail; each recipient's outcome (delivered, failed,
 * still pending) goes into the in-memory envelope with the server's exact reply. */
#ifndef TERN_REMOTE_DELIVERY_H
#define TERN_REMOTE_DELIVERY_H

#include "conf/config.h"
#include "deliver/delivery_job.h"
#include "queue/envelope.h"
#include "util/buffer.h"

/* Starts; done(context) runs once on the loop thread when every domain is finished. The
 * envelope, message and config must stay valid until then. */
void remote_delivery_run(const struct delivery_services *services, const struct config *config,
                         struct envelope *envelope, struct slice message, void (*done)(void *context), void *context);

#endif
