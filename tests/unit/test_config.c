/* Unit tests for conf/: the lexer, value syntaxes, users and aliases files, and config_load on
 * real files in a mkdtemp directory: the parsed struct, defaults, absolute paths, lookups, and
 * the exact "FILE:LINE: message" lines of broken configs. */
#include <arpa/inet.h>
#include <ftw.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "conf/aliases_file.h"
#include "conf/config.h"
#include "conf/config_lexer.h"
#include "conf/config_values.h"
#include "conf/users_file.h"
#include "util/xalloc.h"

/* Files on disk. */

static char *make_directory(void)
{
	char template[] = "/tmp/tern-test-config-XXXXXX";
	char *resolved;

	if (mkdtemp(template) == NULL) {
		perror("mkdtemp");
		exit(2);
	}
	resolved = realpath(template, NULL); /* what config_load resolves relative paths against */
	return resolved;
}

static int remove_entry(const char *path, const struct stat *status, int type, struct FTW *walk)
{
	return remove(path);
}

static void remove_tree(char *directory)
{
	nftw(directory, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(directory);
}

/* Writes content to directory/name; returns the path (owned). */
static char *write_file(const char *directory, const char *name, const char *content)
{
	char *path = xasprintf("%s/%s", directory, name);
	FILE *file = fopen(path, "w");

	if (file == NULL || fputs(content, file) == EOF || fclose(file) != 0) {
		perror(path);
		exit(2);
	}
	return path;
}

/* Loads text as directory/name; returns the config (NULL on errors, left in errors). */
static struct config *load_text(const char *directory, const char *name, const char *text, struct buffer *errors)
{
	char *path = write_file(directory, name, text);
	struct config *config;

	buffer_init(errors, 1 << 20);
	config = config_load(path, errors);
	free(path);
	return config;
}

/* Checks that loading text fails with exactly the expected error lines, in which "@" stands
 * for the directory. */
static void check_errors(const char *text, const char *expected_template)
{
	char *directory = make_directory();
	struct buffer errors, expected;
	struct config *config = load_text(directory, "t.conf", text, &errors);

	buffer_init(&expected, 1 << 20);
	for (const char *p = expected_template; *p; p++)
		if (*p == '@')
			buffer_append_string(&expected, directory);
		else
			buffer_append(&expected, p, 1);
	CHECK(config == NULL);
	CHECK_STR(errors.data ? errors.data : "", expected.data ? expected.data : "");
	config_free(config);
	buffer_free(&errors);
	buffer_free(&expected);
	remove_tree(directory);
}

/* Lexer. */

static enum config_token_kind next(struct config_lexer *lexer, struct config_token *token)
{
	return config_lexer_next(lexer, token);
}

static void check_word(struct config_lexer *lexer, enum config_token_kind kind, const char *text, unsigned line)
{
	struct config_token token;

	CHECK_INT(next(lexer, &token), kind);
	CHECK_INT(token.line, line);
	CHECK(slice_equal(token.text, slice_from_string(text)));
}

static void check_kind(struct config_lexer *lexer, enum config_token_kind kind, unsigned line)
{
	struct config_token token;

	CHECK_INT(next(lexer, &token), kind);
	CHECK_INT(token.line, line);
}

static void check_lex_error(const char *input, const char *message, unsigned line)
{
	struct config_lexer lexer;
	struct config_token token;
	enum config_token_kind kind;

	config_lexer_init(&lexer, slice_from_string(input));
	while ((kind = next(&lexer, &token)) != CONFIG_TOKEN_ERROR && kind != CONFIG_TOKEN_END_OF_FILE)
		;
	CHECK_INT(kind, CONFIG_TOKEN_ERROR);
	CHECK_STR(token.message, message);
	CHECK_INT(token.line, line);
	kind = next(&lexer, &token);
	CHECK(kind == CONFIG_TOKEN_END_OF_LINE || kind == CONFIG_TOKEN_END_OF_FILE);
	config_lexer_free(&lexer);
}

static void test_lexer_tokens(void)
{
	const char *input = "domain \"ex ample\" {  # a comment\n  x\\y \"a\\\"b\\\\c\"\"d\"\r\n}\n\n# end";
	struct config_lexer lexer;

	config_lexer_init(&lexer, slice_from_string(input));
	check_word(&lexer, CONFIG_TOKEN_WORD, "domain", 1);
	check_word(&lexer, CONFIG_TOKEN_STRING, "ex ample", 1);
	check_kind(&lexer, CONFIG_TOKEN_OPEN_BRACE, 1);
	check_kind(&lexer, CONFIG_TOKEN_END_OF_LINE, 1);
	check_word(&lexer, CONFIG_TOKEN_WORD, "x\\y", 2); /* a backslash is only special in quotes */
	check_word(&lexer, CONFIG_TOKEN_STRING, "a\"b\\c", 2);
	check_word(&lexer, CONFIG_TOKEN_STRING, "d", 2);
	check_kind(&lexer, CONFIG_TOKEN_END_OF_LINE, 2); /* CRLF */
	check_kind(&lexer, CONFIG_TOKEN_CLOSE_BRACE, 3);
	check_kind(&lexer, CONFIG_TOKEN_END_OF_LINE, 3);
	check_kind(&lexer, CONFIG_TOKEN_END_OF_LINE, 4);
	check_kind(&lexer, CONFIG_TOKEN_END_OF_FILE, 5);
	check_kind(&lexer, CONFIG_TOKEN_END_OF_FILE, 5);
	config_lexer_free(&lexer);
}

static void test_lexer_comments_and_quotes(void)
{
	struct config_lexer lexer;

	config_lexer_init(&lexer, slice_from_string("spool \"/a#b\" c#d {}\n"));
	check_word(&lexer, CONFIG_TOKEN_WORD, "spool", 1);
	check_word(&lexer, CONFIG_TOKEN_STRING, "/a#b", 1); /* '#' inside quotes is text */
	check_word(&lexer, CONFIG_TOKEN_WORD, "c", 1);     /* '#' ends a word and starts a comment */
	check_kind(&lexer, CONFIG_TOKEN_END_OF_LINE, 1);
	check_kind(&lexer, CONFIG_TOKEN_END_OF_FILE, 1);
	config_lexer_free(&lexer);
}

static void test_lexer_end_of_file_line(void)
{
	struct config_lexer lexer;

	config_lexer_init(&lexer, slice_from_string(""));
	check_kind(&lexer, CONFIG_TOKEN_END_OF_FILE, 1);
	config_lexer_free(&lexer);
	config_lexer_init(&lexer, slice_from_string("a\nb"));
	check_word(&lexer, CONFIG_TOKEN_WORD, "a", 1);
	check_kind(&lexer, CONFIG_TOKEN_END_OF_LINE, 1);
	check_word(&lexer, CONFIG_TOKEN_WORD, "b", 2);
	check_kind(&lexer, CONFIG_TOKEN_END_OF_FILE, 2);
	config_lexer_free(&lexer);
}

static void test_lexer_errors(void)
{
	struct config_lexer lexer;
	struct config_token token;
	char long_word[CONFIG_LEXER_TOKEN_MAX + 2];

	check_lex_error("a \"open\nb", "unterminated quoted string", 1);
	check_lex_error("a\n\"open\r\n", "unterminated quoted string", 2);
	check_lex_error("\"bad \\n escape\"", "unknown escape \\n in quoted string (only \\\" and \\\\)", 1);
	check_lex_error("\"ends in \\", "unterminated quoted string", 1);
	check_lex_error("a\rb\n", "bare carriage return (CR without LF)", 1);
	check_lex_error("a\n\n b\x01", "control character 0x01", 3);
	check_lex_error("\"a\x7f\"", "control character 0x7f", 1);
	memset(long_word, 'w', sizeof long_word - 1);
	long_word[sizeof long_word - 1] = '\0';
	check_lex_error(long_word, "word longer than 4096 bytes", 1);
	/* NUL is data the lexer sees, never an end of string */
	config_lexer_init(&lexer, slice_make("ab\0cd\nx", 7));
	check_word(&lexer, CONFIG_TOKEN_WORD, "ab", 1);
	CHECK_INT(next(&lexer, &token), CONFIG_TOKEN_ERROR);
	CHECK_STR(token.message, "control character 0x00");
	check_kind(&lexer, CONFIG_TOKEN_END_OF_LINE, 1);
	check_word(&lexer, CONFIG_TOKEN_WORD, "x", 2);
	config_lexer_free(&lexer);
}

/* Values. */

static void test_sizes(void)
{
	size_t size = 0;

	CHECK(config_values_parse_size("25M", &size) == NULL);
	CHECK_INT(size, 26214400);
	CHECK(config_values_parse_size("1k", &size) == NULL);
	CHECK_INT(size, 1024);
	CHECK(config_values_parse_size("2G", &size) == NULL);
	CHECK_INT(size, 2147483648LL);
	CHECK(config_values_parse_size("100", &size) == NULL);
	CHECK_INT(size, 100);
	CHECK_STR(config_values_parse_size("25MB", &size), "unknown suffix (use K, M or G)");
	CHECK_STR(config_values_parse_size("25T", &size), "unknown suffix (use K, M or G)");
	CHECK_STR(config_values_parse_size("0", &size), "must be at least 1");
	CHECK_STR(config_values_parse_size("", &size), "not a number");
	CHECK_STR(config_values_parse_size("-1", &size), "not a number");
	CHECK_STR(config_values_parse_size("M", &size), "not a number");
	CHECK_STR(config_values_parse_size("99999999999999999999", &size), "too large");
	CHECK_STR(config_values_parse_size("17179869184G", &size), "too large");
	CHECK_INT(size, 100); /* unchanged by failures */
}

static void test_durations(void)
{
	unsigned seconds = 0;

	CHECK(config_values_parse_duration("5m", &seconds) == NULL);
	CHECK_INT(seconds, 300);
	CHECK(config_values_parse_duration("1h", &seconds) == NULL);
	CHECK_INT(seconds, 3600);
	CHECK(config_values_parse_duration("45s", &seconds) == NULL);
	CHECK_INT(seconds, 45);
	CHECK(config_values_parse_duration("90", &seconds) == NULL);
	CHECK_INT(seconds, 90);
	CHECK_STR(config_values_parse_duration("5d", &seconds), "unknown suffix (use s, m or h)");
	CHECK_STR(config_values_parse_duration("5M", &seconds), "unknown suffix (use s, m or h)");
	CHECK_STR(config_values_parse_duration("5 m", &seconds), "unknown suffix (use s, m or h)");
	CHECK_STR(config_values_parse_duration("25h", &seconds), "too large (at most 24h)");
	CHECK_STR(config_values_parse_duration("0s", &seconds), "must be at least 1");
	CHECK_INT(seconds, 90);
}

static void test_counts(void)
{
	unsigned count = 0;

	CHECK(config_values_parse_count("100", &count) == NULL);
	CHECK_INT(count, 100);
	CHECK_STR(config_values_parse_count("0", &count), "must be at least 1");
	CHECK_STR(config_values_parse_count("10k", &count), "not a number");
	CHECK_STR(config_values_parse_count("1000000001", &count), "too large (at most 1000000000)");
}

static void test_listen_addresses(void)
{
	struct sockaddr_storage address;
	const struct sockaddr_in *ipv4 = (const struct sockaddr_in *)&address;
	const struct sockaddr_in6 *ipv6 = (const struct sockaddr_in6 *)&address;
	socklen_t length = 0;
	char text[INET6_ADDRSTRLEN];

	CHECK(config_values_parse_listen("192.0.2.1:25", &address, &length) == NULL);
	CHECK_INT(ipv4->sin_family, AF_INET);
	CHECK_INT(ntohs(ipv4->sin_port), 25);
	CHECK_INT(length, sizeof(struct sockaddr_in));
	CHECK_STR(inet_ntop(AF_INET, &ipv4->sin_addr, text, sizeof text), "192.0.2.1");
	CHECK(config_values_parse_listen("[2001:db8::1]:65535", &address, &length) == NULL);
	CHECK_INT(ipv6->sin6_family, AF_INET6);
	CHECK_INT(ntohs(ipv6->sin6_port), 65535);
	CHECK_INT(length, sizeof(struct sockaddr_in6));
	CHECK_STR(inet_ntop(AF_INET6, &ipv6->sin6_addr, text, sizeof text), "2001:db8::1");
	CHECK_STR(config_values_parse_listen("192.0.2.1", &address, &length), "expected ADDRESS:PORT");
	CHECK_STR(config_values_parse_listen("192.0.2.1:0", &address, &length), "port must be a number from 1 to 65535");
	CHECK_STR(config_values_parse_listen("192.0.2.1:65536", &address, &length),
	          "port must be a number from 1 to 65535");
	CHECK_STR(config_values_parse_listen("192.0.2.1:", &address, &length), "port must be a number from 1 to 65535");
	CHECK_STR(config_values_parse_listen("192.0.2.1:2x", &address, &length), "port must be a number from 1 to 65535");
	CHECK_STR(config_values_parse_listen("192.0.2:25", &address, &length),
	          "not an IPv4 address (host names are not allowed)");
	CHECK_STR(config_values_parse_listen("mx.example.org:25", &address, &length),
	          "not an IPv4 address (host names are not allowed)");
	CHECK_STR(config_values_parse_listen("::1:25", &address, &length),
	          "an IPv6 address needs brackets, as in [::1]:25");
	CHECK_STR(config_values_parse_listen("[::1]25", &address, &length), "expected [IPv6]:PORT");
	CHECK_STR(config_values_parse_listen("[::1", &address, &length), "expected [IPv6]:PORT");
	CHECK_STR(config_values_parse_listen("[192.0.2.1]:25", &address, &length), "not an IPv6 address");
}

static void check_network(const char *text, const char *formatted, bool host_bits_expected)
{
	struct config_network network;
	char out[CONFIG_VALUES_NETWORK_TEXT_SIZE];
	bool host_bits_set = !host_bits_expected;

	CHECK(config_values_parse_network(text, &network, &host_bits_set) == NULL);
	CHECK_INT(host_bits_set, host_bits_expected);
	config_values_format_network(&network, out);
	CHECK_STR(out, formatted);
}

static void test_networks(void)
{
	struct config_network network;
	bool host_bits_set;

	check_network("10.0.0.0/8", "10.0.0.0/8", false);
	check_network("192.0.2.7", "192.0.2.7/32", false);
	check_network("10.1.2.3/8", "10.0.0.0/8", true);
	check_network("172.16.0.0/12", "172.16.0.0/12", false);
	check_network("172.31.0.0/12", "172.16.0.0/12", true);
	check_network("2001:db8::/32", "2001:db8::/32", false);
	check_network("::1", "::1/128", false);
	check_network("2001:db8::1/64", "2001:db8::/64", true);
	CHECK_STR(config_values_parse_network("0.0.0.0/0", &network, &host_bits_set),
	          "a /0 network would trust every address (an open relay)");
	CHECK_STR(config_values_parse_network("10.0.0.0/33", &network, &host_bits_set),
	          "prefix length must be from 1 to 32");
	CHECK_STR(config_values_parse_network("::/129", &network, &host_bits_set), "prefix length must be from 1 to 128");
	CHECK_STR(config_values_parse_network("10.0.0.0/", &network, &host_bits_set), "prefix length must be from 1 to 32");
	CHECK_STR(config_values_parse_network("10.0.0/8", &network, &host_bits_set), "not an IPv4 or IPv6 address");
	CHECK_STR(config_values_parse_network("[::1]", &network, &host_bits_set), "not an IPv4 or IPv6 address");
	CHECK_STR(config_values_parse_network("localhost", &network, &host_bits_set), "not an IPv4 or IPv6 address");
}

static struct sockaddr_storage socket_address(const char *text)
{
	struct sockaddr_storage storage;
	struct sockaddr_in *ipv4 = (struct sockaddr_in *)&storage;
	struct sockaddr_in6 *ipv6 = (struct sockaddr_in6 *)&storage;

	memset(&storage, 0, sizeof storage);
	if (strchr(text, ':')) {
		ipv6->sin6_family = AF_INET6;
		CHECK(inet_pton(AF_INET6, text, &ipv6->sin6_addr) == 1);
	} else {
		ipv4->sin_family = AF_INET;
		CHECK(inet_pton(AF_INET, text, &ipv4->sin_addr) == 1);
	}
	return storage;
}

static bool contains(const char *network_text, const char *address_text)
{
	struct config_network network;
	struct sockaddr_storage address = socket_address(address_text);
	bool host_bits_set;

	CHECK(config_values_parse_network(network_text, &network, &host_bits_set) == NULL);
	return config_values_network_contains(&network, (const struct sockaddr *)&address);
}

static void test_network_contains(void)
{
	CHECK(contains("127.0.0.0/8", "127.1.2.3"));
	CHECK(!contains("127.0.0.0/8", "128.0.0.1"));
	CHECK(contains("172.16.0.0/12", "172.31.255.255"));
	CHECK(!contains("172.16.0.0/12", "172.32.0.0"));
	CHECK(contains("192.0.2.7", "192.0.2.7"));
	CHECK(!contains("192.0.2.7", "192.0.2.6"));
	CHECK(contains("127.0.0.0/8", "::ffff:127.0.0.1")); /* IPv4 client on a dual-stack socket */
	CHECK(!contains("127.0.0.0/8", "::1"));
	CHECK(contains("2001:db8::/32", "2001:db8:ffff::1"));
	CHECK(!contains("2001:db8::/32", "2001:db9::1"));
	CHECK(!contains("::/16", "192.0.2.1"));
}

/* Users files. */

static bool parse_users(const char *text, struct config_user **users, size_t *count, struct buffer *errors)
{
	buffer_init(errors, 1 << 20);
	return users_file_parse("u", slice_from_string(text), users, count, errors);
}

static void test_users_file(void)
{
	struct config_user *users;
	size_t count;
	struct buffer errors;
	const struct config_user *found;

	CHECK(parse_users("# comment\r\n\r\nZed:$6$salt$hash\r\n   # indented comment\nalice:\nBob.Smith+x:$y$j9T$a/b\n",
	                  &users, &count, &errors));
	CHECK_INT(count, 3);
	CHECK_STR(users[0].name, "alice"); /* sorted */
	CHECK_STR(users[0].hash, "");
	CHECK_STR(users[1].name, "bob.smith+x");
	CHECK_STR(users[1].hash, "$y$j9T$a/b");
	CHECK_STR(users[2].name, "zed");
	CHECK_STR(users[2].hash, "$6$salt$hash"); /* CRLF stripped */
	found = users_file_find(users, count, slice_from_string("ZED"));
	CHECK(found == &users[2]);
	CHECK(users_file_find(users, count, slice_from_string("Bob.Smith+X")) == &users[1]);
	CHECK(users_file_find(users, count, slice_from_string("bob")) == NULL);
	CHECK(users_file_find(users, count, slice_from_string("zedd")) == NULL);
	CHECK(users_file_find(users, count, slice_from_string("")) == NULL);
	CHECK(errors.length == 0);
	users_file_free(users, count);
	buffer_free(&errors);
	CHECK(parse_users("", &users, &count, &errors));
	CHECK_INT(count, 0);
	users_file_free(users, count);
	buffer_free(&errors);
}

static void test_users_file_errors(void)
{
	struct config_user *users = (struct config_user *)&users; /* not NULL: failure must reset it */
	size_t count = 7;
	struct buffer errors;
	char long_name[80];

	memset(long_name, 'a', 65);
	strcpy(long_name + 65, ":x\n");
	CHECK(!parse_users("alice:x\n"
	                   "bob $6$secret\n"
	                   ":x\n"
	                   "a b:x\n"
	                   "carol@example.org:x\n"
	                   "../etc:x\n"
	                   ".dave:x\n"
	                   "d\x01ve:x\n"
	                   "\"q\":x\n"
	                   "erin:$6$a b\n"
	                   "frank:x:1000\n"
	                   "ALICE:y\n"
	                   "alice:z\n"
	                   "\xff\xfe:x\n",
	                   &users, &count, &errors));
	CHECK(users == NULL);
	CHECK_INT(count, 0);
	CHECK_STR(errors.data, "u:2: missing ':' (expected name:crypt-hash)\n"
	                       "u:3: bad user name \"\": it is empty\n"
	                       "u:4: bad user name \"a b\": contains whitespace\n"
	                       "u:5: bad user name \"carol@example.org\": contains '@'\n"
	                       "u:6: bad user name \"../etc\": contains '/'\n"
	                       "u:7: bad user name \".dave\": a dot-atom cannot start or end with '.' or hold '..' "
	                       "(RFC 5322 §3.2.3)\n"
	                       "u:8: bad user name \"d\\x01ve\": contains a control character\n"
	                       "u:9: bad user name \"\\\"q\\\"\": contains a character a local part cannot hold "
	                       "unquoted (RFC 5322 §3.2.3)\n"
	                       "u:10: bad password hash for user \"erin\": contains whitespace\n"
	                       "u:11: bad password hash for user \"frank\": contains a second ':'\n"
	                       "u:14: bad user name \"\\xff\\xfe\": not valid UTF-8\n"
	                       "u:12: duplicate user \"alice\" (first at line 1)\n"
	                       "u:13: duplicate user \"alice\" (first at line 1)\n");
	buffer_free(&errors);
	CHECK(!parse_users(long_name, &users, &count, &errors));
	CHECK_STR(errors.data, "u:1: bad user name \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\": "
	                       "longer than 64 octets (RFC 5321 §4.5.3.1.1)\n");
	buffer_free(&errors);
	CHECK(!parse_users("a\rb:x\n", &users, &count, &errors)); /* a bare CR is no line end */
	CHECK_STR(errors.data, "u:1: bad user name \"a\\x0db\": contains a control character\n");
	buffer_free(&errors);
}

static void test_name_problems(void)
{
	CHECK(users_file_name_problem(slice_from_string("postmaster")) == NULL);
	CHECK(users_file_name_problem(slice_from_string("o'brien")) == NULL);
	CHECK(users_file_name_problem(slice_from_string("j\xc3\xbcrgen")) == NULL); /* RFC 6531 */
	CHECK_STR(users_file_name_problem(slice_from_string("a..b")),
	          "a dot-atom cannot start or end with '.' or hold '..' (RFC 5322 §3.2.3)");
	CHECK_STR(users_file_name_problem(slice_from_string("a.")),
	          "a dot-atom cannot start or end with '.' or hold '..' (RFC 5322 §3.2.3)");
	CHECK_STR(users_file_name_problem(slice_from_string("a\tb")), "contains whitespace");
	CHECK_STR(users_file_name_problem(slice_from_string("a,b")),
	          "contains a character a local part cannot hold unquoted (RFC 5322 §3.2.3)");
	CHECK_STR(users_file_name_problem(slice_make("a\0b", 3)), "contains a control character");
}

/* Aliases files. */

static bool parse_aliases(const char *text, bool check_local, struct config_alias **aliases, size_t *count,
                          struct buffer *errors)
{
	static const char users_text[] = "alice:\nbob:\n";
	struct config_user *users;
	size_t user_count;
	bool parsed;

	buffer_init(errors, 1 << 20);
	CHECK(users_file_parse("u", slice_from_string(users_text), &users, &user_count, errors));
	parsed = aliases_file_parse("a", slice_from_string(text), users, user_count, check_local, aliases, count, errors);
	users_file_free(users, user_count);
	return parsed;
}

static void test_aliases_file(void)
{
	struct config_alias *aliases;
	size_t count;
	struct buffer errors;
	const struct config_alias *team;

	CHECK(parse_aliases("# aliases(5)\r\n"
	                    "PostMaster: Alice\r\n"
	                    "team: alice,\n"
	                    "  # a comment between continuation lines\n"
	                    "\tBOB , \"x,y\"@example.net\n"
	                    "\n"
	                    "  carol@Example.ORG, postmaster\n"
	                    "forward:someone@remote.test,\n",
	                    true, &aliases, &count, &errors));
	CHECK_STR(errors.data ? errors.data : "", "");
	CHECK_INT(count, 3);
	CHECK_STR(aliases[0].name, "forward");
	CHECK_INT(aliases[0].target_count, 1);
	CHECK_STR(aliases[0].targets[0], "someone@remote.test");
	CHECK_STR(aliases[1].name, "postmaster");
	CHECK_INT(aliases[1].target_count, 1);
	CHECK_STR(aliases[1].targets[0], "alice");
	team = aliases_file_find(aliases, count, slice_from_string("TEAM"));
	CHECK(team == &aliases[2]);
	if (team != NULL && team->target_count == 5) {
		CHECK_STR(team->targets[0], "alice");
		CHECK_STR(team->targets[1], "bob");                 /* local names lower-cased */
		CHECK_STR(team->targets[2], "\"x,y\"@example.net"); /* addresses as written */
		CHECK_STR(team->targets[3], "carol@Example.ORG");
		CHECK_STR(team->targets[4], "postmaster"); /* an alias may name another */
	} else {
		CHECK(!"team has five targets");
	}
	CHECK(aliases_file_find(aliases, count, slice_from_string("alice")) == NULL);
	aliases_file_free(aliases, count);
	buffer_free(&errors);
}

static void test_aliases_file_errors(void)
{
	struct config_alias *aliases = (struct config_alias *)&aliases; /* failure must reset it */
	size_t count = 7;
	struct buffer errors;

	CHECK(!parse_aliases("  orphan\n"
	                     "postmaster: alice\n"
	                     "logs: |/usr/bin/logger, \"|/bin/sh -c x\"\n"
	                     "archive: /var/mail/archive\n"
	                     "staff: :INCLUDE:/etc/staff\n"
	                     "broken: bob@, alice@[300.1.1.1]\n"
	                     "team: alice,\n"
	                     "  , bob,, carol\n"
	                     "empty:\n"
	                     "a b: alice\n"
	                     "nocolon alice\n"
	                     "  bob\n"
	                     "sales: \"unterminated@example.org\n"
	                     "Team: bob\n"
	                     "bob: alice\n"
	                     "loop: team, dave\n",
	                     true, &aliases, &count, &errors));
	CHECK(aliases == NULL);
	CHECK_INT(count, 0);
	CHECK_STR(errors.data,
	          "a:1: continuation line (starting with whitespace) without an alias before it\n"
	          "a:3: bad target \"|/usr/bin/logger\": delivery to a command (\"|command\") is not supported\n"
	          "a:3: bad target \"\\\"|/bin/sh -c x\\\"\": delivery to a command (\"|command\") is not supported\n"
	          "a:4: bad target \"/var/mail/archive\": delivery to a file (\"/file\") is not supported\n"
	          "a:5: bad target \":INCLUDE:/etc/staff\": \":include:\" is not supported\n"
	          "a:6: bad target \"bob@\": not a valid address (RFC 5321 §4.1.2)\n"
	          "a:6: bad target \"alice@[300.1.1.1]\": not a valid address (RFC 5321 §4.1.2)\n"
	          "a:8: empty target (a ',' with nothing before it)\n"
	          "a:8: empty target (a ',' with nothing before it)\n"
	          "a:9: alias \"empty\" has no targets\n"
	          "a:10: bad alias name \"a b\": contains whitespace\n"
	          "a:11: missing ':' (expected name: target, ...)\n"
	          "a:13: unterminated quoted string in target\n"
	          "a:14: duplicate alias \"team\" (first at line 7)\n"
	          "a:15: alias \"bob\" has the same name as a user\n");
	buffer_free(&errors);
	/* With every alias line readable, local targets must lead somewhere. */
	CHECK(!parse_aliases("postmaster: alice\nteam: alice,\n  carol\nloop: team, Dave\n", true, &aliases, &count,
	                     &errors));
	CHECK_STR(errors.data, "a:3: target \"carol\" of alias \"team\" is neither a user nor an alias\n"
	                       "a:4: target \"dave\" of alias \"loop\" is neither a user nor an alias\n");
	buffer_free(&errors);
	/* ... unless the caller says the users file failed. */
	CHECK(parse_aliases("postmaster: carol\n", false, &aliases, &count, &errors));
	CHECK_INT(count, 1);
	aliases_file_free(aliases, count);
	buffer_free(&errors);
}

/* config_load. */

static void test_config_defaults(void)
{
	char *directory = make_directory();
	struct buffer errors;
	struct config *config = load_text(directory, "t.conf", "hostname MX.Example.ORG\nlisten 127.0.0.1:25 smtp", &errors);
	char *path = xasprintf("%s/t.conf", directory);

	CHECK(config != NULL);
	if (config != NULL) {
		CHECK_STR(config->path, path);
		CHECK_STR(config->hostname, "mx.example.org");
		CHECK_STR(config->spool_directory, "/var/spool/tern");
		CHECK_INT(config->max_message_size, 26214400);
		CHECK_INT(config->max_recipients, 100);
		CHECK_INT(config->max_connections, 1000);
		CHECK_INT(config->max_connections_per_ip, 20);
		CHECK_INT(config->max_outbound_connections, 64);
		CHECK_INT(config->max_outbound_connections_per_domain, 20);
		CHECK_INT(config->command_timeout, 300);
		CHECK_INT(config->data_timeout, 600);
		CHECK_INT(config->listener_count, 1);
		CHECK_INT(config->trusted_count, 0);
		CHECK_INT(config->domain_count, 0);
		CHECK(config_find_domain(config, slice_from_string("example.org")) == NULL);
	}
	config_free(config);
	config_free(NULL);
	buffer_free(&errors);
	free(path);
	remove_tree(directory);
}

static const char full_config[] =
	"# every directive\n"
	"hostname mx.example.org\n"
	"spool \"var/spool\"\n"
	"listen 127.0.0.1:2525 smtp\n"
	"listen [::1]:587 submission\n"
	"listen 0.0.0.0:465 \"submissions\"\n"
	"tls cert \"mx.crt\" key \"mx.key\"\n"
	"trusted 127.0.0.0/8 ::1\n"
	"trusted 192.0.2.0/24\n"
	"max-message-size 10M\n"
	"max-recipients 50\n"
	"max-connections 10\n"
	"max-connections-per-ip 2\n"
	"max-outbound-connections 8\n"
	"max-outbound-connections-per-domain 3\n"
	"command-timeout 2m\n"
	"data-timeout 1h\n"
	"\n"
	"domain Example.ORG {\n"
	"    users   \"conf.d/users\"\n"
	"    aliases \"/ALIASES\"\n"
	"    deliver maildir \"mail/%d/%u/Maildir\"\n"
	"}\n"
	"domain example.net {\n"
	"    aliases \"conf.d/net.aliases\"\n"
	"    deliver maildir \"/var/mail/%u\"\n"
	"}\n";

static void check_full_config(const struct config *config, const char *directory)
{
	char *spool = xasprintf("%s/var/spool", directory), *template = xasprintf("%s/mail/%%d/%%u/Maildir", directory);
	const struct config_domain *domain = config_find_domain(config, slice_from_string("EXAMPLE.org"));

	CHECK_STR(config->spool_directory, spool);
	CHECK_INT(config->listener_count, 3);
	CHECK_STR(config->listeners[0].text, "127.0.0.1:2525");
	CHECK_INT(config->listeners[0].role, LISTENER_SMTP);
	CHECK_INT(config->listeners[0].address.ss_family, AF_INET);
	CHECK_INT(config->listeners[1].role, LISTENER_SUBMISSION);
	CHECK_INT(config->listeners[1].address.ss_family, AF_INET6);
	CHECK_INT(config->listeners[1].address_length, sizeof(struct sockaddr_in6));
	CHECK_INT(ntohs(((const struct sockaddr_in6 *)&config->listeners[1].address)->sin6_port), 587);
	CHECK_INT(config->listeners[2].role, LISTENER_SUBMISSIONS);
	CHECK_INT(config->trusted_count, 3);
	CHECK_INT(config->max_message_size, 10485760);
	CHECK_INT(config->max_recipients, 50);
	CHECK_INT(config->max_connections, 10);
	CHECK_INT(config->max_connections_per_ip, 2);
	CHECK_INT(config->max_outbound_connections, 8);
	CHECK_INT(config->max_outbound_connections_per_domain, 3);
	CHECK_INT(config->command_timeout, 120);
	CHECK_INT(config->data_timeout, 3600);
	CHECK_INT(config->domain_count, 2);
	CHECK(domain == &config->domains[0]);
	if (domain != NULL) {
		CHECK_STR(domain->name, "example.org");
		CHECK_STR(domain->maildir_template, template);
		CHECK_INT(domain->user_count, 2);
		CHECK_INT(domain->alias_count, 2);
		CHECK(config_find_user(domain, slice_from_string("Alice")) != NULL);
		CHECK_STR(config_find_user(domain, slice_from_string("Alice"))->hash, "$6$x$y");
		CHECK(config_find_user(domain, slice_from_string("postmaster")) == NULL);
		CHECK(config_find_alias(domain, slice_from_string("POSTMASTER")) != NULL);
		CHECK(config_find_alias(domain, slice_from_string("alice")) == NULL);
	}
	domain = config_find_domain(config, slice_from_string("example.net"));
	CHECK(domain != NULL && domain->user_count == 0 && domain->alias_count == 1);
	CHECK(domain != NULL && strcmp(domain->maildir_template, "/var/mail/%u") == 0);
	CHECK(config_find_domain(config, slice_from_string("example.com")) == NULL);
	free(spool);
	free(template);
}

static bool trusted(const struct config *config, const char *address_text)
{
	struct sockaddr_storage address = socket_address(address_text);
	return config_is_trusted(config, (const struct sockaddr *)&address);
}

static void test_config_full(void)
{
	char *directory = make_directory(), *subdirectory = xasprintf("%s/conf.d", directory);
	char *aliases_path = xasprintf("%s/ALIASES", directory);
	const char *marker = strstr(full_config, "/ALIASES");
	/* an absolute path stays as written */
	char *config_text = xasprintf("%.*s%s%s", (int)(marker - full_config), full_config, aliases_path,
	                              marker + strlen("/ALIASES"));
	struct buffer errors;
	struct config *config;

	mkdir(subdirectory, 0700);
	free(write_file(subdirectory, "users", "alice:$6$x$y\nbob:\n"));
	free(write_file(directory, "ALIASES", "postmaster: alice\nteam: alice, bob, friend@example.net\n"));
	free(write_file(subdirectory, "net.aliases", "postmaster: postmaster@example.org\n"));
	config = load_text(directory, "t.conf", config_text, &errors);
	CHECK_STR(errors.data ? errors.data : "", "");
	CHECK(config != NULL);
	if (config != NULL) {
		check_full_config(config, directory);
		CHECK(trusted(config, "127.0.0.1"));
		CHECK(trusted(config, "::ffff:127.0.0.1"));
		CHECK(trusted(config, "::1"));
		CHECK(trusted(config, "192.0.2.200"));
		CHECK(!trusted(config, "192.0.3.1"));
		CHECK(!trusted(config, "::2"));
	}
	config_free(config);
	buffer_free(&errors);
	free(config_text);
	free(aliases_path);
	free(subdirectory);
	remove_tree(directory);
}

static void test_config_relative_path_and_crlf(void)
{
	char *directory = make_directory(), *cwd = getcwd(NULL, 0);
	struct buffer errors;
	struct config *config;
	char *template = NULL;

	free(write_file(directory, "users", "postmaster:\r\n"));
	free(write_file(directory, "t.conf", "hostname mx.example.org\r\nlisten 127.0.0.1:25 smtp\r\n"
	                                     "domain example.org {\r\n users users\r\n deliver maildir m/%u\r\n}\r\n"));
	CHECK(chdir(directory) == 0);
	buffer_init(&errors, 1 << 20);
	config = config_load("t.conf", &errors); /* the path as given; the directory made absolute */
	CHECK_STR(errors.data ? errors.data : "", "");
	if (config != NULL) {
		template = xasprintf("%s/m/%%u", directory);
		CHECK_STR(config->path, "t.conf");
		CHECK_STR(config->domains[0].maildir_template, template);
	}
	CHECK(chdir(cwd) == 0);
	config_free(config);
	buffer_free(&errors);
	free(template);
	free(cwd);
	remove_tree(directory);
}

static void test_config_missing_file(void)
{
	struct buffer errors;

	buffer_init(&errors, 1 << 20);
	CHECK(config_load("/nonexistent/tern.conf", &errors) == NULL);
	CHECK_STR(errors.data, "/nonexistent/tern.conf:0: cannot read config file: No such file or directory\n");
	buffer_free(&errors);
}

static void test_config_empty_file(void)
{
	check_errors("", "@/t.conf:1: no hostname directive (usage: hostname NAME)\n"
	                 "@/t.conf:1: no listen directive (usage: listen ADDRESS:PORT smtp|submission|submissions)\n");
	check_errors("# only a comment\n\n\n",
	             "@/t.conf:3: no hostname directive (usage: hostname NAME)\n"
	             "@/t.conf:3: no listen directive (usage: listen ADDRESS:PORT smtp|submission|submissions)\n");
}

/* One run reports every problem, each once, at its own line. */
static void test_config_reports_every_problem(void)
{
	check_errors("hostname\n"
	             "listen 127.0.0.1:25 smtp\n"
	             "hostname bad_host\n"
	             "trusted 10.0.0.0/8 10.0.0.1/8 ::/0\n"
	             "users \"x\"\n"
	             "domain example.org {\n"
	             "  deliver maildir \"/m/%x/%u\"\n"
	             "  users \"nope\"\n"
	             "  users \"again\"\n"
	             "}\n"
	             "domain bad..name {\n"
	             "  anything goes here\n"
	             "}\n"
	             "listen 127.0.0.1:25 submission\n"
	             "spool { x\n"
	             "}\n"
	             "max-recipients 1 2\n"
	             "data-timeout \"\"\n"
	             "}\n",
	             "@/t.conf:1: hostname: missing argument (usage: hostname NAME)\n"
	             "@/t.conf:3: hostname: bad host name \"bad_host\"\n"
	             "@/t.conf:4: trusted: \"10.0.0.1/8\" has host bits set (did you mean 10.0.0.0/8?)\n"
	             "@/t.conf:4: trusted: bad network \"::/0\": a /0 network would trust every address (an open relay)\n"
	             "@/t.conf:5: users: only allowed inside a domain block\n"
	             "@/t.conf:7: deliver: bad maildir template \"/m/%x/%u\": only %u and %d may follow '%'\n"
	             "@/t.conf:9: users: duplicate directive (first at line 8)\n"
	             "@/t.conf:8: users: cannot read \"@/nope\": No such file or directory\n"
	             "@/t.conf:11: domain: bad domain name \"bad..name\"\n"
	             "@/t.conf:14: listen: duplicate address \"127.0.0.1:25\" (first at line 2)\n"
	             "@/t.conf:15: unexpected text after '{' (start a new line)\n"
	             "@/t.conf:15: spool: does not take a block\n"
	             "@/t.conf:17: max-recipients: too many arguments (usage: max-recipients N)\n"
	             "@/t.conf:18: data-timeout: bad value \"\": not a number\n"
	             "@/t.conf:19: unexpected '}' (no block is open)\n");
}

static void test_config_block_errors(void)
{
	check_errors("hostname mx.example.org\nlisten 127.0.0.1:25 smtp\n"
	             "domain example.org {\n"
	             "  deliver maildir /m/%u }\n"
	             "{\n"
	             "}\n"
	             "domain example.net {\n"
	             "  deliver maildir /m/%u\n",
	             "@/t.conf:4: '}' must be on a line of its own\n"
	             "@/t.conf:3: domain \"example.org\" has no user or alias named postmaster (RFC 5321 §4.5.1)\n"
	             "@/t.conf:5: '{' must end the line of the directive it belongs to\n"
	             "@/t.conf:7: block is never closed (missing '}')\n");
}

/* Problems inside users and aliases files carry those files' names and lines. */
static void test_config_file_errors(void)
{
	char *directory = make_directory();
	struct buffer errors;
	struct config *config;
	char *expected;

	free(write_file(directory, "users", "alice:x\nalice:y\n"));
	free(write_file(directory, "aliases", "postmaster: alice\nabuse: nobody\n"));
	config = load_text(directory, "t.conf",
	                   "hostname mx.example.org\nlisten 127.0.0.1:25 smtp\n"
	                   "domain example.org {\n users users\n aliases aliases\n deliver maildir /m/%u\n}\n",
	                   &errors);
	CHECK(config == NULL);
	expected = xasprintf("%s/users:2: duplicate user \"alice\" (first at line 1)\n", directory);
	CHECK_STR(errors.data, expected); /* no cascade into the aliases file or the postmaster check */
	free(expected);
	buffer_free(&errors);
	free(write_file(directory, "users", "alice:x\n"));
	config = load_text(directory, "t.conf",
	                   "hostname mx.example.org\nlisten 127.0.0.1:25 smtp\n"
	                   "domain example.org {\n users users\n aliases aliases\n deliver maildir /m/%u\n}\n",
	                   &errors);
	CHECK(config == NULL);
	expected = xasprintf("%s/aliases:2: target \"nobody\" of alias \"abuse\" is neither a user nor an alias\n",
	                     directory);
	CHECK_STR(errors.data, expected);
	free(expected);
	buffer_free(&errors);
	remove_tree(directory);
}

int main(void)
{
	RUN(test_lexer_tokens);
	RUN(test_lexer_comments_and_quotes);
	RUN(test_lexer_end_of_file_line);
	RUN(test_lexer_errors);
	RUN(test_sizes);
	RUN(test_durations);
	RUN(test_counts);
	RUN(test_listen_addresses);
	RUN(test_networks);
	RUN(test_network_contains);
	RUN(test_users_file);
	RUN(test_users_file_errors);
	RUN(test_name_problems);
	RUN(test_aliases_file);
	RUN(test_aliases_file_errors);
	RUN(test_config_defaults);
	RUN(test_config_full);
	RUN(test_config_relative_path_and_crlf);
	RUN(test_config_missing_file);
	RUN(test_config_empty_file);
	RUN(test_config_reports_every_problem);
	RUN(test_config_block_errors);
	RUN(test_config_file_errors);
	return check_summary("test_config");
}
