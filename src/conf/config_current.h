/* config_current: the running configuration, one of tern's three globals (house rule 11).
 * A reload swaps it; whoever holds a reference (a session, for its lifetime) keeps the old
 * one alive, so a reload never changes the rules in the middle of a transaction.
 * Event-loop thread only. */
#ifndef TERN_CONFIG_CURRENT_H
#define TERN_CONFIG_CURRENT_H

#include "conf/config.h"

/* The running config, borrowed: valid until the next config_current_set on this thread. */
const struct config *config_current(void);
/* A counted reference to the running config; give it back with config_current_release. */
const struct config *config_current_retain(void);
void config_current_release(const struct config *config);
/* Makes config (owned from now on) the running one; the previous one is freed once its last
 * reference is released. config_current_set(NULL) at exit frees what is left unreferenced. */
void config_current_set(struct config *config);

#endif
