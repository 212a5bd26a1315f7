/* org_domain: RFC 7489 §3.2's Organizational Domain over libpsl (the Public Suffix List with
 * its wildcard and exception rules, ICANN and private sections both, as §3.2 asks of "a
 * copy of the PSL"), and §3.1's strict and relaxed alignment. Names are lower-cased and a
 * trailing dot dropped before they reach libpsl. Not here: IDNA conversion (libpsl takes
 * UTF-8 or A-labels as they come). */
#include "mailauth/org_domain.h"

#include <libpsl.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "util/xalloc.h"

struct org_domain {
	psl_ctx_t *psl;
};

struct org_domain *org_domain_load(const char *file, char *error, size_t size)
{
	psl_ctx_t *psl = file != NULL ? psl_load_file(file) : psl_latest(NULL);
	struct org_domain *list;

	if (psl == NULL) {
		snprintf(error, size, "cannot load the Public Suffix List%s%s", file ? " from " : "", file ? file : "");
		return NULL;
	}
	list = xcalloc(1, sizeof *list);
	list->psl = psl;
	return list;
}

void org_domain_free(struct org_domain *list)
{
	if (list == NULL)
		return;
	psl_free(list->psl);
	free(list);
}

/* domain lower-cased (ASCII), without a trailing dot, into out; false when empty or too long. */
static bool normalize(const char *domain, char out[ORG_DOMAIN_NAME_MAX + 1])
{
	size_t length = strlen(domain);

	if (length > 0 && domain[length - 1] == '.')
		length--;
	if (length == 0 || length > ORG_DOMAIN_NAME_MAX)
		return false;
	for (size_t i = 0; i < length; i++)
		out[i] = (char)(domain[i] >= 'A' && domain[i] <= 'Z' ? domain[i] + ('a' - 'A') : domain[i]);
	out[length] = '\0';
	return true;
}

bool org_domain_find(const struct org_domain *list, const char *domain, char *out, size_t size)
{
	char name[ORG_DOMAIN_NAME_MAX + 1];
	const char *registrable;

	if (size > 0)
		out[0] = '\0';
	if (!normalize(domain, name))
		return false;
	registrable = psl_registrable_domain(list->psl, name); /* §3.2 steps 3-4: suffix + 1 label */
	if (registrable == NULL)
		registrable = name; /* a public suffix itself: no label to add, it stands alone */
	if (strlen(registrable) >= size)
		return false;
	strcpy(out, registrable);
	return true;
}

bool org_domain_aligned(const struct org_domain *list, const char *a, const char *b, bool strict)
{
	char first[ORG_DOMAIN_NAME_MAX + 1], second[ORG_DOMAIN_NAME_MAX + 1];

	if (strict)
		return normalize(a, first) && normalize(b, second) && strcmp(first, second) == 0; /* §3.1.1 */
	return org_domain_find(list, a, first, sizeof first) && org_domain_find(list, b, second, sizeof second) &&
	       strcmp(first, second) == 0; /* §3.1.1, §3.1.2: relaxed, same Organizational Domain */
}
