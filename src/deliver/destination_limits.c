/* destination_limits: a short list of the destinations with slots taken, each with its count
 * and slow-start window, a total count, and one FIFO line of waiting attempts (each naming its destination and the
 * server it wants). Destinations are compared ASCII case-insensitively, keys exactly. */
#include "deliver/destination_limits.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/xalloc.h"

struct waiter {
	char *destination;
	char *key;
	destination_limits_resume *resume;
	void *context;
	struct waiter *next;
};

struct destination {
	char *name;
	unsigned open;
	unsigned window; /* slow start: connections allowed now, grown by each success */
	struct destination *next;
};

struct destination_limits {
	unsigned per_destination, total; /* the maxima */
	unsigned open;                   /* slots taken, all destinations */
	struct destination *destinations;
	struct waiter *line; /* in arrival order */
};

struct destination_limits *destination_limits_create(unsigned per_destination, unsigned total)
{
	struct destination_limits *limits = xcalloc(1, sizeof *limits);

	limits->per_destination = per_destination ? per_destination : DESTINATION_CONNECTIONS_MAX;
	limits->total = total ? total : DESTINATION_CONNECTIONS_TOTAL;
	return limits;
}

static void free_waiter(struct waiter *waiter)
{
	free(waiter->destination);
	free(waiter->key);
	free(waiter);
}

void destination_limits_free(struct destination_limits *limits)
{
	if (limits == NULL)
		return;
	while (limits->destinations) {
		struct destination *next = limits->destinations->next;
		free(limits->destinations->name);
		free(limits->destinations);
		limits->destinations = next;
	}
	while (limits->line) {
		struct waiter *next = limits->line->next;
		free_waiter(limits->line);
		limits->line = next;
	}
	free(limits);
}

static struct destination **find(struct destination_limits *limits, const char *name)
{
	struct destination **link = &limits->destinations;

	while (*link && strcasecmp((*link)->name, name) != 0)
		link = &(*link)->next;
	return link;
}

static const struct destination *lookup(const struct destination_limits *limits, const char *name)
{
	for (const struct destination *d = limits->destinations; d; d = d->next)
		if (strcasecmp(d->name, name) == 0)
			return d;
	return NULL;
}

static unsigned initial_window(const struct destination_limits *limits)
{
	return DESTINATION_CONNECTIONS_INITIAL < limits->per_destination ? DESTINATION_CONNECTIONS_INITIAL
	                                                                 : limits->per_destination;
}

/* Free slots of name: under its slow-start window and the per-destination maximum. */
static bool room_for(const struct destination_limits *limits, const char *name)
{
	const struct destination *d = lookup(limits, name);
	unsigned window = d && d->window > initial_window(limits) ? d->window : initial_window(limits);

	if (window > limits->per_destination)
		window = limits->per_destination;
	return (d ? d->open : 0) < window;
}

static bool fits(const struct destination_limits *limits, const char *name)
{
	return limits->open < limits->total && room_for(limits, name);
}

static void take(struct destination_limits *limits, const char *name)
{
	struct destination **link = find(limits, name);

	if (*link == NULL) {
		*link = xcalloc(1, sizeof **link);
		(*link)->name = xstrdup(name);
		(*link)->window = initial_window(limits);
	}
	(*link)->open++;
	limits->open++;
}

/* Starts the first waiter that fits, if any; returns whether one started. */
static bool start_one_waiting(struct destination_limits *limits)
{
	for (struct waiter **link = &limits->line; *link; link = &(*link)->next) {
		struct waiter *waiter = *link;
		if (!fits(limits, waiter->destination))
			continue;
		*link = waiter->next;
		take(limits, waiter->destination);
		waiter->resume(waiter->context, NULL, 0);
		free_waiter(waiter);
		return true;
	}
	return false;
}

void destination_limits_configure(struct destination_limits *limits, unsigned per_destination, unsigned total)
{
	limits->per_destination = per_destination ? per_destination : DESTINATION_CONNECTIONS_MAX;
	limits->total = total ? total : DESTINATION_CONNECTIONS_TOTAL;
	while (start_one_waiting(limits))
		;
}

bool destination_limits_acquire(struct destination_limits *limits, const char *destination, const char *key,
                                destination_limits_resume *resume, void *context)
{
	struct waiter **link = &limits->line;
	struct waiter *waiter;

	/* Nobody in line fits now (each release starts whoever does), so this one need not queue
	 * behind attempts for other destinations. */
	if (fits(limits, destination)) {
		take(limits, destination);
		return true;
	}
	waiter = xcalloc(1, sizeof *waiter);
	waiter->destination = xstrdup(destination);
	waiter->key = xstrdup(key);
	waiter->resume = resume;
	waiter->context = context;
	while (*link)
		link = &(*link)->next;
	*link = waiter;
	return false;
}

void destination_limits_release(struct destination_limits *limits, const char *destination)
{
	struct destination **link = find(limits, destination);
	struct destination *found = *link;

	if (found == NULL)
		return;
	limits->open--;
	if (--found->open == 0) {
		*link = found->next;
		free(found->name);
		free(found);
	}
	start_one_waiting(limits);
}

bool destination_limits_hand_over(struct destination_limits *limits, const char *destination, const char *key,
                                  void *connection, unsigned uses)
{
	for (struct waiter **link = &limits->line; *link; link = &(*link)->next) {
		struct waiter *waiter = *link;
		if (strcasecmp(waiter->destination, destination) != 0 || strcmp(waiter->key, key) != 0)
			continue;
		*link = waiter->next; /* the slot passes with the connection: no count changes */
		waiter->resume(waiter->context, connection, uses);
		free_waiter(waiter);
		return true;
	}
	return false;
}

bool destination_limits_contended(const struct destination_limits *limits, const char *destination)
{
	bool total_full = limits->open >= limits->total;

	for (const struct waiter *waiter = limits->line; waiter; waiter = waiter->next)
		if (strcasecmp(waiter->destination, destination) == 0 || (total_full && room_for(limits, waiter->destination)))
			return true;
	return false;
}

void destination_limits_success(struct destination_limits *limits, const char *destination)
{
	struct destination *found = *find(limits, destination);

	if (found == NULL || found->window >= limits->per_destination)
		return;
	found->window++;
	start_one_waiting(limits);
}
