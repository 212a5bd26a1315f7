/* test_findings: the model of `tern check`'s output: ordering by declared section, then
 * subject, then order of adding; the exit status from the worst level; the text layout (plain
 * and coloured) and JSON (RFC 8259 §7 escaping); line breaks in values flattened. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "check/findings.h"

static char *print(struct findings *findings, int json, int colour)
{
	char *text = NULL;
	size_t size = 0;
	FILE *out = open_memstream(&text, &size);

	if (json)
		findings_print_json(findings, out);
	else
		findings_print_text(findings, out, colour);
	fclose(out);
	return text;
}

static void fill(struct findings *findings)
{
	findings_init(findings, "example.org");
	findings_section(findings, "MX");
	findings_section(findings, "SMTP");
	findings_add(findings, "SMTP", "mx2.example.org [192.0.2.2]", FINDING_FAIL, "open port 25",
	             "does not accept TCP on port %d", 25);
	findings_add(findings, "SMTP", "mx1.example.org [192.0.2.1]", FINDING_OK, NULL, "greets with 220");
	findings_add(findings, "MX", "", FINDING_OK, NULL, "2 MX hosts");
	findings_add(findings, "Later", "", FINDING_INFO, NULL, "undeclared sections come last");
	findings_add(findings, "SMTP", "mx1.example.org [192.0.2.1]", FINDING_WARN, "offer STARTTLS",
	             "quoted \"reply\"\r\nwith a line break\tand a \\ backslash");
}

static void test_text_grouped_and_ordered(void)
{
	struct findings findings;
	char *text;

	fill(&findings);
	text = print(&findings, 0, 0);
	CHECK_STR(text, "tern check example.org\n"
	                "\nMX\n"
	                "  ok   2 MX hosts\n"
	                "\nSMTP\n"
	                "  ok   mx1.example.org [192.0.2.1]: greets with 220\n"
	                "  warn mx1.example.org [192.0.2.1]: quoted \"reply\"  with a line break and a \\ backslash\n"
	                "       fix: offer STARTTLS\n"
	                "  fail mx2.example.org [192.0.2.2]: does not accept TCP on port 25\n"
	                "       fix: open port 25\n"
	                "\nLater\n"
	                "  info undeclared sections come last\n"
	                "\nfail: 3 ok, 1 warning, 1 failure\n");
	free(text);
	text = print(&findings, 0, 1);
	CHECK(strstr(text, "\033[1;31mfail\033[0m mx2.example.org") != NULL);
	CHECK(strstr(text, "\033[32mok  \033[0m 2 MX hosts") != NULL);
	free(text);
	findings_free(&findings);
}

static void test_json(void)
{
	struct findings findings;
	char *text;

	fill(&findings);
	text = print(&findings, 1, 0);
	CHECK(strncmp(
	          text,
	          "{\"target\": \"example.org\", \"status\": \"fail\", \"findings\": [\n  {\"section\": \"MX\", "
	          "\"subject\": \"\", \"status\": \"ok\", \"why\": \"2 MX hosts\", \"fix\": \"\"},\n",
	          strlen("{\"target\": \"example.org\", \"status\": \"fail\", \"findings\": [\n  {\"section\": \"MX\", "
	                 "\"subject\": \"\", \"status\": \"ok\", \"why\": \"2 MX hosts\", \"fix\": \"\"},\n")) == 0);
	CHECK(strstr(text, "\"why\": \"quoted \\\"reply\\\"  with a line break and a \\\\ backslash\"") != NULL);
	CHECK(strstr(text, "\n]}\n") != NULL);
	free(text);
	findings_free(&findings);
}

static void test_exit_status(void)
{
	struct findings findings;

	findings_init(&findings, "x");
	CHECK_INT(findings_exit_status(&findings), 0);
	findings_add(&findings, "A", "", FINDING_INFO, NULL, "info is not a warning");
	CHECK_INT(findings_exit_status(&findings), 0);
	findings_add(&findings, "A", "", FINDING_WARN, NULL, "w");
	CHECK_INT(findings_exit_status(&findings), 1);
	findings_add(&findings, "A", "", FINDING_FAIL, NULL, "f");
	CHECK_INT(findings_exit_status(&findings), 2);
	findings_free(&findings);
}

static void test_json_escapes_control_bytes(void)
{
	struct findings findings;
	char *text;

	findings_init(&findings, "a\"b");
	findings_add(&findings, "S", "sub\x01ject", FINDING_OK, NULL, "%s", "del\x7f");
	text = print(&findings, 1, 0);
	CHECK(strstr(text, "\"target\": \"a\\\"b\"") != NULL);
	CHECK(strstr(text, "\"subject\": \"sub\\u0001ject\"") != NULL);
	CHECK(strstr(text, "\"why\": \"del\\u007f\"") != NULL);
	free(text);
	findings_free(&findings);
}

int main(void)
{
	RUN(test_text_grouped_and_ordered);
	RUN(test_json);
	RUN(test_exit_status);
	RUN(test_json_escapes_control_bytes);
	return check_summary("test_findings");
}
