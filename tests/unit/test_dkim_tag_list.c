/* test_dkim_tag_list: the tag-list grammar of RFC 6376 §3.2 alone, cases named after the rule
 * they check: what the callback is given (names and values trimmed of FWS, in order), what is
 * refused (bytes, names, empty specs, duplicates, the cap) and the callback's veto. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "mailauth/dkim_tag_list.h"

struct seen {
	char text[512];     /* "name=value|" per tag */
	const char *refuse; /* a name to refuse, or NULL */
};

static bool collect(struct slice name, struct slice value, void *context)
{
	struct seen *seen = context;
	size_t used = strlen(seen->text);

	snprintf(seen->text + used, sizeof seen->text - used, "%.*s=%.*s|", (int)name.length, name.data,
	         (int)value.length, value.data);
	return seen->refuse == NULL || !slice_equal(name, slice_from_string(seen->refuse));
}

struct list_case {
	const char *name;
	const char *list;
	enum dkim_tag_list_result result;
	const char *tags;      /* what the callback saw */
	const char *error_tag; /* on failure, when a tag is at fault */
};

/* clang-format off */
static const struct list_case list_cases[] = {
	{"rfc6376_3_2_one_tag", "a=1", DKIM_TAG_LIST_OK, "a=1|", NULL},
	{"rfc6376_3_2_empty_list", "", DKIM_TAG_LIST_OK, "", NULL},
	{"rfc6376_3_2_trailing_semicolon", "a=1;", DKIM_TAG_LIST_OK, "a=1|", NULL},
	{"rfc6376_3_2_trailing_semicolon_fws", "a=1;\r\n ", DKIM_TAG_LIST_OK, "a=1|", NULL},
	{"rfc6376_3_2_fws_trimmed", " a \t= \r\n\t1 2 ;b=", DKIM_TAG_LIST_OK, "a=1 2|b=|", NULL},
	{"rfc6376_3_2_value_may_hold_equals", "a=x=y", DKIM_TAG_LIST_OK, "a=x=y|", NULL},
	{"rfc6376_3_2_alnumpunc_name", "a_1=2", DKIM_TAG_LIST_OK, "a_1=2|", NULL},
	{"rfc6376_3_2_empty_spec_inside", "a=1;;b=2", DKIM_TAG_LIST_BAD_SYNTAX, "a=1|", NULL},
	{"rfc6376_3_2_leading_semicolon", ";a=1", DKIM_TAG_LIST_BAD_SYNTAX, "", NULL},
	{"rfc6376_3_2_no_equals", "a=1; b", DKIM_TAG_LIST_BAD_SYNTAX, "a=1|", NULL},
	{"rfc6376_3_2_name_alpha_first", "1a=1", DKIM_TAG_LIST_BAD_SYNTAX, "", "1a"},
	{"rfc6376_3_2_name_no_hyphen", "a-b=1", DKIM_TAG_LIST_BAD_SYNTAX, "", "a-b"},
	{"rfc6376_3_2_name_no_inner_space", "a b=1", DKIM_TAG_LIST_BAD_SYNTAX, "", "a b"},
	{"rfc6376_3_2_empty_name", "=1", DKIM_TAG_LIST_BAD_SYNTAX, "", ""},
	{"rfc6376_3_2_duplicate", "a=1; b=2; a=3", DKIM_TAG_LIST_DUPLICATE, "a=1|b=2|", "a"},
	{"rfc6376_3_2_names_case_sensitive", "a=1; A=2", DKIM_TAG_LIST_OK, "a=1|A=2|", NULL},
	{"rfc5322_3_2_2_crlf_needs_wsp", "a=1;\r\nb=2", DKIM_TAG_LIST_BAD_SYNTAX, "", NULL},
	{"rfc5322_3_2_2_crlf_at_end", "a=1\r\n", DKIM_TAG_LIST_BAD_SYNTAX, "", NULL},
	{"rfc6376_3_2_bare_lf", "a=1;\n b=2", DKIM_TAG_LIST_BAD_SYNTAX, "", NULL},
	{"rfc6376_3_2_bare_cr", "a=1;\r b=2", DKIM_TAG_LIST_BAD_SYNTAX, "", NULL},
	{"rfc6376_3_2_8bit", "a=\xc3\xa9", DKIM_TAG_LIST_BAD_SYNTAX, "", NULL},
	{"rfc6376_3_2_control", "a=\x7f", DKIM_TAG_LIST_BAD_SYNTAX, "", NULL},
	{"callback_refuses", "a=1; no=2; c=3", DKIM_TAG_LIST_REFUSED, "a=1|no=2|", "no"},
};
/* clang-format on */

static void test_list_cases(void)
{
	for (size_t i = 0; i < sizeof list_cases / sizeof *list_cases; i++) {
		const struct list_case *c = &list_cases[i];
		struct seen seen = {.text = "", .refuse = "no"};
		struct slice error_tag = slice_make(NULL, 0);

		CHECK_INT(dkim_tag_list_parse(slice_from_string(c->list), collect, &seen, &error_tag), c->result);
		CHECK_STR(seen.text, c->tags);
		if (c->error_tag != NULL)
			CHECK(slice_equal(error_tag, slice_from_string(c->error_tag)));
		if (check_failures_in_test) {
			fprintf(stderr, "  in list case %s\n", c->name);
			return;
		}
	}
}

static void test_cap_of_tags(void)
{
	char list[DKIM_TAG_LIST_TAGS_MAX * 8 + 16] = "";
	struct seen seen = {.text = "", .refuse = NULL};
	struct slice error_tag;

	for (int i = 0; i < DKIM_TAG_LIST_TAGS_MAX; i++)
		snprintf(list + strlen(list), sizeof list - strlen(list), "t%d=;", i);
	CHECK_INT(dkim_tag_list_parse(slice_from_string(list), collect, &seen, &error_tag), DKIM_TAG_LIST_OK);
	strcat(list, "over=1");
	seen.text[0] = '\0';
	CHECK_INT(dkim_tag_list_parse(slice_from_string(list), collect, &seen, &error_tag), DKIM_TAG_LIST_BAD_SYNTAX);
	CHECK(slice_equal(error_tag, slice_from_string("over")));
}

static void test_trim_and_fws(void)
{
	struct slice trimmed = dkim_tag_list_trim(slice_from_string("\r\n \tx y\t\r\n"));

	CHECK(slice_equal(trimmed, slice_from_string("x y")));
	CHECK(dkim_tag_list_trim(slice_from_string(" \t ")).length == 0);
	CHECK(dkim_tag_list_is_fws(' ') && dkim_tag_list_is_fws('\t') && dkim_tag_list_is_fws('\r'));
	CHECK(!dkim_tag_list_is_fws('x') && !dkim_tag_list_is_fws('\0'));
}

int main(void)
{
	RUN(test_list_cases);
	RUN(test_cap_of_tags);
	RUN(test_trim_and_fws);
	return check_summary("test_dkim_tag_list");
}
