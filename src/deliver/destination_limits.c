/* destination_limits: a short list of the domains with connections open, each with its count
 * and a FIFO of attempts waiting for a slot. Domains are compared ASCII case-insensitively. */
#include "deliver/destination_limits.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dns/resolver.h"
#include "util/xalloc.h"

struct waiter {
	void (*resume)(void *);
	void *context;
	struct waiter *next;
};

struct destination {
	char domain[DNS_NAME_MAX + 1];
	unsigned open;
	struct waiter *head, *tail;
	struct destination *next;
};

struct destination_limits {
	struct destination *destinations;
};

struct destination_limits *destination_limits_create(void) { return xcalloc(1, sizeof(struct destination_limits)); }

void destination_limits_free(struct destination_limits *limits)
{
	if (limits == NULL)
		return;
	while (limits->destinations) {
		struct destination *next = limits->destinations->next;
		free(limits->destinations);
		limits->destinations = next;
	}
	free(limits);
}

static struct destination **find(struct destination_limits *limits, const char *domain)
{
	struct destination **link = &limits->destinations;

	while (*link && strcasecmp((*link)->domain, domain) != 0)
		link = &(*link)->next;
	return link;
}

bool destination_limits_acquire(struct destination_limits *limits, const char *domain, void (*resume)(void *),
                                void *context)
{
	struct destination **link = find(limits, domain);
	struct waiter *waiter;

	if (*link == NULL) {
		*link = xcalloc(1, sizeof **link);
		snprintf((*link)->domain, sizeof (*link)->domain, "%s", domain);
	}
	if ((*link)->open < DESTINATION_CONNECTIONS_MAX) {
		(*link)->open++;
		return true;
	}
	waiter = xcalloc(1, sizeof *waiter);
	waiter->resume = resume;
	waiter->context = context;
	if ((*link)->tail)
		(*link)->tail->next = waiter;
	else
		(*link)->head = waiter;
	(*link)->tail = waiter;
	return false;
}

void destination_limits_release(struct destination_limits *limits, const char *domain)
{
	struct destination **link = find(limits, domain);
	struct destination *destination = *link;
	struct waiter *waiter;

	if (destination == NULL)
		return;
	if ((waiter = destination->head) != NULL) { /* the slot passes straight to the next in line */
		destination->head = waiter->next;
		if (destination->head == NULL)
			destination->tail = NULL;
		waiter->resume(waiter->context);
		free(waiter);
		return;
	}
	if (--destination->open == 0) {
		*link = destination->next;
		free(destination);
	}
}
