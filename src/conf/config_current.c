/* config_current: the running config plus reference counts for the ones sessions still use.
 * A short list, because reloads are rare and a config is released when its sessions end. */
#include "conf/config_current.h"

#include <stdlib.h>

#include "util/xalloc.h"

struct held_config {
	struct config *config;
	unsigned references;
	struct held_config *next;
};

static struct held_config *running;  /* the current one; also in the list */
static struct held_config *all_held; /* every config not yet freed */

static struct held_config *find(const struct config *config)
{
	for (struct held_config *held = all_held; held; held = held->next)
		if (held->config == config)
			return held;
	return NULL;
}

static void free_if_unused(struct held_config *held)
{
	struct held_config **link = &all_held;

	if (held == running || held->references > 0)
		return;
	while (*link != held)
		link = &(*link)->next;
	*link = held->next;
	config_free(held->config);
	free(held);
}

const struct config *config_current(void) { return running ? running->config : NULL; }

const struct config *config_current_retain(void)
{
	running->references++;
	return running->config;
}

void config_current_release(const struct config *config)
{
	struct held_config *held = find(config);

	if (held == NULL)
		return;
	held->references--;
	free_if_unused(held);
}

void config_current_set(struct config *config)
{
	struct held_config *previous = running;

	running = NULL;
	if (config != NULL) {
		running = xcalloc(1, sizeof *running);
		running->config = config;
		running->next = all_held;
		all_held = running;
	}
	if (previous != NULL)
		free_if_unused(previous);
}
