/* dkim_tag_list: RFC 6376 §3.2's tag-list: tag-list = tag-spec *( ";" tag-spec ) [ ";" ],
 * tag-spec = [FWS] tag-name [FWS] "=" [FWS] tag-value [FWS], tag-name = ALPHA *ALNUMPUNC,
 * tag-value of VALCHARs and inner whitespace; names case-sensitive, duplicates forbidden.
 * Strict: the first fault stops the walk. Not here: any tag's meaning, unknown tags' fate. */
#include "mailauth/dkim_tag_list.h"

static bool is_wsp(char c) { return c == ' ' || c == '\t'; }
static bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
static bool is_digit(char c) { return c >= '0' && c <= '9'; }

bool dkim_tag_list_is_fws(char c) { return is_wsp(c) || c == '\r' || c == '\n'; }

struct slice dkim_tag_list_trim(struct slice s)
{
	while (s.length > 0 && dkim_tag_list_is_fws(s.data[0]))
		s = slice_skip(s, 1);
	while (s.length > 0 && dkim_tag_list_is_fws(s.data[s.length - 1]))
		s.length--;
	return s;
}

/* VALCHAR (%x21-3A / %x3C-7E), ";", "=", WSP, and CR only as the start of CRLF WSP. Anything
 * else, 8-bit included, is not a tag-list. */
static bool bytes_are_valid(struct slice list)
{
	for (size_t i = 0; i < list.length; i++) {
		unsigned char c = (unsigned char)list.data[i];
		if (c == '\r') {
			if (i + 2 >= list.length || list.data[i + 1] != '\n' || !is_wsp(list.data[i + 2]))
				return false;
			i++;
		} else if (!is_wsp((char)c) && (c < 0x21 || c > 0x7E)) {
			return false;
		}
	}
	return true;
}

/* §3.2 tag-name = ALPHA *ALNUMPUNC */
static bool name_is_valid(struct slice name)
{
	if (name.length == 0 || !is_alpha(name.data[0]))
		return false;
	for (size_t i = 1; i < name.length; i++)
		if (!is_alpha(name.data[i]) && !is_digit(name.data[i]) && name.data[i] != '_')
			return false;
	return true;
}

/* The names seen so far, to catch duplicates (§3.2). */
struct walk {
	struct slice names[DKIM_TAG_LIST_TAGS_MAX];
	size_t count;
	bool names_nocase;
};

static enum dkim_tag_list_result take_spec(struct slice spec, struct walk *walk, dkim_tag_list_callback tag,
                                           void *context, struct slice *error_tag)
{
	long equals = slice_find_byte(spec, '=');
	struct slice name;

	if (equals < 0)
		return DKIM_TAG_LIST_BAD_SYNTAX;
	name = dkim_tag_list_trim(slice_sub(spec, 0, (size_t)equals));
	*error_tag = name;
	if (!name_is_valid(name) || walk->count == DKIM_TAG_LIST_TAGS_MAX)
		return DKIM_TAG_LIST_BAD_SYNTAX;
	for (size_t i = 0; i < walk->count; i++)
		if (walk->names_nocase ? slice_equal_nocase(walk->names[i], name) : slice_equal(walk->names[i], name))
			return DKIM_TAG_LIST_DUPLICATE;
	walk->names[walk->count++] = name;
	if (!tag(name, dkim_tag_list_trim(slice_skip(spec, (size_t)equals + 1)), context))
		return DKIM_TAG_LIST_REFUSED;
	return DKIM_TAG_LIST_OK;
}

static enum dkim_tag_list_result walk_list(struct slice list, bool names_nocase, dkim_tag_list_callback tag,
                                           void *context, struct slice *error_tag)
{
	struct walk walk = {.count = 0, .names_nocase = names_nocase};
	enum dkim_tag_list_result result;

	if (!bytes_are_valid(list))
		return DKIM_TAG_LIST_BAD_SYNTAX;
	for (;;) {
		long semicolon = slice_find_byte(list, ';');
		size_t length = semicolon < 0 ? list.length : (size_t)semicolon;
		struct slice spec = slice_sub(list, 0, length);
		/* only the last spec may be empty: "a=1;" ends the list, "a=1;;b=2" is an error */
		if (semicolon >= 0 || dkim_tag_list_trim(spec).length > 0)
			if ((result = take_spec(spec, &walk, tag, context, error_tag)) != DKIM_TAG_LIST_OK)
				return result;
		if (semicolon < 0)
			return DKIM_TAG_LIST_OK;
		list = slice_skip(list, length + 1);
	}
}

/* §3.2: tag names are case-sensitive. */
enum dkim_tag_list_result dkim_tag_list_parse(struct slice list, dkim_tag_list_callback tag, void *context,
                                              struct slice *error_tag)
{
	return walk_list(list, false, tag, context, error_tag);
}

enum dkim_tag_list_result dkim_tag_list_parse_nocase(struct slice list, dkim_tag_list_callback tag, void *context,
                                                     struct slice *error_tag)
{
	return walk_list(list, true, tag, context, error_tag);
}
