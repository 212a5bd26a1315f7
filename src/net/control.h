/* control: the daemon's control socket, for `tern queue`. One command line per connection
 * ("flush [ID]", "hold ID", "release ID", "delete ID"), one reply line ("ok ..." or
 * "error ..."). The socket is mode 0600: only the daemon's user and root may use it. Reading
 * the queue needs no daemon: `tern queue list` reads the spool itself. */
#ifndef TERN_CONTROL_H
#define TERN_CONTROL_H

#include "queue/scheduler.h"
#include "queue/spool.h"
#include "util/workpool.h"

struct control;

/* Listens on path (an old socket there is replaced). NULL, logged, on failure. */
struct control *control_create(struct event_base *base, const char *path, struct scheduler *scheduler,
                               struct spool *spool, struct workpool *pool);
/* Stops listening and frees; no command may be in flight (the work pool is drained). NULL: no-op. */
void control_free(struct control *control);

#endif
