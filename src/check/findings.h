/* findings: what `tern check` found, as a list of verdicts: each has a section ("MX",
 * "SMTP", "MTA-STS", ...), a subject (the host or record it is about, or ""), a level
 * (ok, warn, fail), one line of why and one line of how to fix. Output: grouped human text
 * (colour on a terminal) or JSON; the exit status is 0 when all is ok, 1 with a warning, 2
 * with a failure. Checks add findings in any order (they run concurrently); the output is
 * ordered by section (as declared), then subject, then the order of adding. */
#ifndef TERN_FINDINGS_H
#define TERN_FINDINGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

enum finding_level { FINDING_OK, FINDING_INFO, FINDING_WARN, FINDING_FAIL };

struct finding {
	char *section; /* owned */
	char *subject; /* owned; "" when it is about the whole section */
	enum finding_level level;
	char *why; /* owned: one line */
	char *fix; /* owned: one line, "" when there is nothing to do */
	size_t order;
};

struct findings {
	char *target; /* what was checked: the domain or the address; owned */
	struct finding *items;
	size_t count, capacity;
	char **sections; /* in the order declared: the order of the output */
	size_t section_count;
};

/* Starts an empty list about target. findings_free releases it. */
void findings_init(struct findings *findings, const char *target);
void findings_free(struct findings *findings);

/* Declares a section, so that it is printed in this place; sections never declared come last,
 * in the order of their first finding. */
void findings_section(struct findings *findings, const char *section);

/* Adds a finding; why is a printf format; fix may be NULL (nothing to do). Line breaks in the
 * values are replaced by spaces (a value may quote what a server said). */
void findings_add(struct findings *findings, const char *section, const char *subject, enum finding_level level,
                  const char *fix, const char *why_format, ...) __attribute__((format(printf, 6, 7)));

/* The worst level found (FINDING_OK for an empty list). */
enum finding_level findings_worst(const struct findings *findings);
/* 0: all ok (or info), 1: a warning, 2: a failure. */
int findings_exit_status(const struct findings *findings);

/* Sorts the findings into output order (done by the two printers). */
void findings_sort(struct findings *findings);
/* Writes the grouped human text; colour: ANSI colours for the levels. */
void findings_print_text(struct findings *findings, FILE *out, bool colour);
/* Writes one JSON object: {"target": ..., "status": "ok|warn|fail", "findings": [{"section",
 * "subject", "status", "why", "fix"}, ...]}. */
void findings_print_json(struct findings *findings, FILE *out);

/* "ok", "info", "warn", "fail". */
const char *findings_level_name(enum finding_level level);

#endif
