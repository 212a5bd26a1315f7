/* findings: the verdicts of `tern check` and their two outputs, grouped text for people and
 * JSON (RFC 8259) for scripts. Only the printers write; nothing here looks anything up. */
#include "check/findings.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"

static const char *const level_names[] = {"ok", "info", "warn", "fail"};
/* ANSI SGR colours: green, blue, yellow, red. */
static const char *const level_colours[] = {"\033[32m", "\033[34m", "\033[33m", "\033[1;31m"};
#define COLOUR_RESET   "\033[0m"
#define COLOUR_HEADING "\033[1m"

const char *findings_level_name(enum finding_level level) { return level_names[level]; }

void findings_init(struct findings *findings, const char *target)
{
	memset(findings, 0, sizeof *findings);
	findings->target = xstrdup(target);
}

void findings_free(struct findings *findings)
{
	for (size_t i = 0; i < findings->count; i++) {
		free(findings->items[i].section);
		free(findings->items[i].subject);
		free(findings->items[i].why);
		free(findings->items[i].fix);
	}
	for (size_t i = 0; i < findings->section_count; i++)
		free(findings->sections[i]);
	free(findings->sections);
	free(findings->items);
	free(findings->target);
	memset(findings, 0, sizeof *findings);
}

static long section_index(const struct findings *findings, const char *section)
{
	for (size_t i = 0; i < findings->section_count; i++)
		if (strcmp(findings->sections[i], section) == 0)
			return (long)i;
	return -1;
}

void findings_section(struct findings *findings, const char *section)
{
	if (section_index(findings, section) >= 0)
		return;
	findings->sections = xrealloc(findings->sections, (findings->section_count + 1) * sizeof *findings->sections);
	findings->sections[findings->section_count++] = xstrdup(section);
}

/* One line: a value quoting a server must not break the layout (or forge a finding). */
static char *one_line(const char *text)
{
	char *copy = xstrdup(text);

	for (char *p = copy; *p; p++)
		if (*p == '\r' || *p == '\n' || *p == '\t')
			*p = ' ';
	return copy;
}

void findings_add(struct findings *findings, const char *section, const char *subject, enum finding_level level,
                  const char *fix, const char *why_format, ...)
{
	struct finding *finding;
	va_list arguments;
	char *why;

	findings_section(findings, section);
	if (findings->count == findings->capacity) {
		findings->capacity = findings->capacity ? findings->capacity * 2 : 16;
		findings->items = xrealloc(findings->items, findings->capacity * sizeof *findings->items);
	}
	va_start(arguments, why_format);
	if (vasprintf(&why, why_format, arguments) < 0)
		why = NULL;
	va_end(arguments);
	if (why == NULL)
		why = xstrdup("(out of memory)");
	finding = &findings->items[findings->count];
	finding->section = xstrdup(section);
	finding->subject = one_line(subject ? subject : "");
	finding->level = level;
	finding->why = one_line(why);
	finding->fix = one_line(fix ? fix : "");
	finding->order = findings->count++;
	free(why);
}

enum finding_level findings_worst(const struct findings *findings)
{
	enum finding_level worst = FINDING_OK;

	for (size_t i = 0; i < findings->count; i++)
		if (findings->items[i].level > worst)
			worst = findings->items[i].level;
	return worst;
}

int findings_exit_status(const struct findings *findings)
{
	switch (findings_worst(findings)) {
	case FINDING_FAIL:
		return 2;
	case FINDING_WARN:
		return 1;
	default:
		return 0;
	}
}

/* qsort has no context argument: the section order travels inside each comparison's items,
 * looked up before sorting. */
struct sort_item {
	long section;
	struct finding finding;
};

static int compare(const void *left, const void *right)
{
	const struct sort_item *a = left, *b = right;
	int by_subject;

	if (a->section != b->section)
		return a->section < b->section ? -1 : 1;
	by_subject = strcmp(a->finding.subject, b->finding.subject);
	if (by_subject != 0)
		return by_subject;
	return a->finding.order < b->finding.order ? -1 : a->finding.order > b->finding.order;
}

void findings_sort(struct findings *findings)
{
	struct sort_item *items = xcalloc(findings->count ? findings->count : 1, sizeof *items);

	for (size_t i = 0; i < findings->count; i++) {
		items[i].section = section_index(findings, findings->items[i].section);
		items[i].finding = findings->items[i];
	}
	qsort(items, findings->count, sizeof *items, compare);
	for (size_t i = 0; i < findings->count; i++) {
		findings->items[i] = items[i].finding;
		findings->items[i].order = i;
	}
	free(items);
}

void findings_print_text(struct findings *findings, FILE *out, bool colour)
{
	const char *last_section = NULL;
	enum finding_level worst = findings_worst(findings);
	size_t counts[4] = {0};

	findings_sort(findings);
	fprintf(out, "tern check %s\n", findings->target);
	for (size_t i = 0; i < findings->count; i++) {
		const struct finding *finding = &findings->items[i];

		counts[finding->level]++;
		if (last_section == NULL || strcmp(last_section, finding->section) != 0) {
			fprintf(out, "\n%s%s%s\n", colour ? COLOUR_HEADING : "", finding->section,
			        colour ? COLOUR_RESET : "");
			last_section = finding->section;
		}
		fprintf(out, "  %s%-4s%s ", colour ? level_colours[finding->level] : "", level_names[finding->level],
		        colour ? COLOUR_RESET : "");
		if (finding->subject[0])
			fprintf(out, "%s: ", finding->subject);
		fprintf(out, "%s\n", finding->why);
		if (finding->fix[0])
			fprintf(out, "       fix: %s\n", finding->fix);
	}
	fprintf(out, "\n%s%s%s: %zu ok, %zu warning%s, %zu failure%s\n", colour ? level_colours[worst] : "",
	        worst == FINDING_INFO ? "ok" : level_names[worst], colour ? COLOUR_RESET : "",
	        counts[FINDING_OK] + counts[FINDING_INFO], counts[FINDING_WARN], counts[FINDING_WARN] == 1 ? "" : "s",
	        counts[FINDING_FAIL], counts[FINDING_FAIL] == 1 ? "" : "s");
}

/* A JSON string (RFC 8259 §7): quotes, backslashes and control characters escaped; other
 * bytes as they are (our text is ASCII or UTF-8 from DNS and servers, passed through). */
static void json_string(FILE *out, const char *text)
{
	fputc('"', out);
	for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(out, "\\%c", *p);
		else if (*p < 0x20 || *p == 0x7f)
			fprintf(out, "\\u%04x", *p);
		else
			fputc(*p, out);
	}
	fputc('"', out);
}

void findings_print_json(struct findings *findings, FILE *out)
{
	enum finding_level worst = findings_worst(findings);

	findings_sort(findings);
	fputs("{\"target\": ", out);
	json_string(out, findings->target);
	fprintf(out, ", \"status\": \"%s\", \"findings\": [", worst == FINDING_INFO ? "ok" : level_names[worst]);
	for (size_t i = 0; i < findings->count; i++) {
		const struct finding *finding = &findings->items[i];

		fputs(i ? ",\n  {\"section\": " : "\n  {\"section\": ", out);
		json_string(out, finding->section);
		fputs(", \"subject\": ", out);
		json_string(out, finding->subject);
		fprintf(out, ", \"status\": \"%s\", \"why\": ", level_names[finding->level]);
		json_string(out, finding->why);
		fputs(", \"fix\": ", out);
		json_string(out, finding->fix);
		fputc('}', out);
	}
	fputs("\n]}\n", out);
}
