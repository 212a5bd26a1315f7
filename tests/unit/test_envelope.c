/* test_envelope: the envelope text format. A golden text pins the exact encoding; round trips
 * check decode(encode(e)) = e; table-driven corrupt and truncated texts check the strict
 * decoder (SYNTAX for anything encode would not write, INCOMPLETE without the "end" line). */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "queue/envelope.h"

static const char golden_text[] = "id: 0191A2B3C4D5E6F7\n"
                                  "created: 1700000000\n"
                                  "next-attempt: 1700000300\n"
                                  "sender: alice@example.org\n"
                                  "smtputf8: yes\n"
                                  "eightbit: no\n"
                                  "client: 192.0.2.1 mail.example.org\n"
                                  "held: no\n"
                                  "warned: no\nquarantine: yes\n"
                                  "rcpt: pending 0 local:bob bob@example.net\n"
                                  "rcpt: delivered 1 remote carol@example.com\n"
                                  "rcpt: failed 3 remote \"dave smith\"@example.com\n"
                                  "rcpt-error: 550 5.1.1 no such user\n"
                                  "end\n";

static void make_golden(struct envelope *envelope)
{
	memset(envelope, 0, sizeof *envelope);
	envelope->id = strdup("0191A2B3C4D5E6F7");
	envelope->sender = strdup("alice@example.org");
	envelope->created = 1700000000;
	envelope->next_attempt = 1700000300;
	envelope->smtputf8 = true;
	envelope->client = strdup("192.0.2.1 mail.example.org");
	envelope->quarantine = true;
	envelope_add_recipient(envelope, "bob@example.net", "bob");
	envelope_add_recipient(envelope, "carol@example.com", NULL);
	envelope->recipients[1].state = RECIPIENT_DELIVERED;
	envelope->recipients[1].attempts = 1;
	envelope_add_recipient(envelope, "\"dave smith\"@example.com", NULL);
	envelope->recipients[2].state = RECIPIENT_FAILED;
	envelope->recipients[2].attempts = 3;
	envelope->recipients[2].last_error = strdup("550 5.1.1 no such user");
}

static bool same_string(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

static bool same_envelope(const struct envelope *a, const struct envelope *b)
{
	if (!same_string(a->id, b->id) || !same_string(a->sender, b->sender) || !same_string(a->client, b->client) ||
	    a->created != b->created || a->next_attempt != b->next_attempt || a->smtputf8 != b->smtputf8 ||
	    a->eightbit != b->eightbit || a->held != b->held || a->warned != b->warned ||
	    a->quarantine != b->quarantine || a->recipient_count != b->recipient_count)
		return false;
	for (size_t i = 0; i < a->recipient_count; i++) {
		const struct envelope_recipient *x = &a->recipients[i], *y = &b->recipients[i];
		if (!same_string(x->address, y->address) || !same_string(x->mailbox, y->mailbox) ||
		    x->state != y->state || x->attempts != y->attempts || !same_string(x->last_error, y->last_error))
			return false;
	}
	return true;
}

static void test_golden_encoding(void)
{
	struct envelope envelope;
	struct buffer out;

	make_golden(&envelope);
	buffer_init(&out, ENVELOPE_MAX_SIZE);
	CHECK(envelope_encode(&envelope, &out));
	CHECK_STR(out.data, golden_text);
	buffer_free(&out);
	envelope_free(&envelope);
}

static void test_golden_decoding(void)
{
	struct envelope expected, decoded;

	make_golden(&expected);
	CHECK_INT(envelope_decode(slice_from_string(golden_text), &decoded), ENVELOPE_OK);
	CHECK(same_envelope(&expected, &decoded));
	CHECK(envelope_has_pending(&decoded));
	envelope_free(&decoded);
	envelope_free(&expected);
}

/* RFC 5321 §4.5.5: the null reverse-path is written "<>" and read back as "". */
static void test_rfc5321_4_5_5_null_sender_round_trip(void)
{
	struct envelope envelope = {0}, decoded;
	struct buffer out;

	envelope.id = strdup("NULLSENDER1");
	envelope.sender = strdup("");
	envelope.client = strdup("");
	envelope.eightbit = true;
	envelope_add_recipient(&envelope, "postmaster", "root");
	buffer_init(&out, ENVELOPE_MAX_SIZE);
	CHECK(envelope_encode(&envelope, &out));
	CHECK_STR(out.data, "id: NULLSENDER1\ncreated: 0\nnext-attempt: 0\nsender: <>\nsmtputf8: no\n"
	                    "eightbit: yes\nclient: \nheld: no\nwarned: no\nquarantine: no\nrcpt: pending 0 local:root postmaster\nend\n");
	CHECK_INT(envelope_decode(buffer_slice(&out), &decoded), ENVELOPE_OK);
	CHECK(same_envelope(&envelope, &decoded));
	CHECK_STR(decoded.sender, "");
	buffer_free(&out);
	envelope_free(&decoded);
	envelope_free(&envelope);
}

/* encode -> decode -> encode gives the same envelope and the same text. */
static void test_round_trip_text_identical(void)
{
	struct envelope envelope, decoded;
	struct buffer first, second;

	make_golden(&envelope);
	envelope.created = 4102444800; /* beyond 2038 */
	envelope.recipients[0].attempts = 4294967295u;
	envelope.recipients[1].last_error = strdup("");
	buffer_init(&first, ENVELOPE_MAX_SIZE);
	buffer_init(&second, ENVELOPE_MAX_SIZE);
	CHECK(envelope_encode(&envelope, &first));
	CHECK_INT(envelope_decode(buffer_slice(&first), &decoded), ENVELOPE_OK);
	CHECK(same_envelope(&envelope, &decoded));
	CHECK(envelope_encode(&decoded, &second));
	CHECK(slice_equal(buffer_slice(&first), buffer_slice(&second)));
	buffer_free(&first);
	buffer_free(&second);
	envelope_free(&decoded);
	envelope_free(&envelope);
}

static void test_no_recipients_round_trip(void)
{
	struct envelope envelope = {0}, decoded;
	struct buffer out;

	envelope.id = strdup("EMPTY");
	buffer_init(&out, ENVELOPE_MAX_SIZE);
	CHECK(envelope_encode(&envelope, &out));
	CHECK_INT(envelope_decode(buffer_slice(&out), &decoded), ENVELOPE_OK);
	CHECK_INT(decoded.recipient_count, 0);
	CHECK(!envelope_has_pending(&decoded));
	buffer_free(&out);
	envelope_free(&decoded);
	envelope_free(&envelope);
}

/* Values that cannot be written are refused and out is left as it was. */
static void test_encode_refuses_unwritable_values(void)
{
	struct envelope envelope;
	struct buffer out;
	char *saved;

	make_golden(&envelope);
	buffer_init(&out, ENVELOPE_MAX_SIZE);
	buffer_append_string(&out, "before");
	saved = envelope.client;
	envelope.client = "x\r\nrcpt: pending 0 remote evil@example.com";
	CHECK(!envelope_encode(&envelope, &out));
	envelope.client = saved;
	saved = envelope.recipients[2].last_error;
	envelope.recipients[2].last_error = "550-first\n550 second";
	CHECK(!envelope_encode(&envelope, &out));
	envelope.recipients[2].last_error = saved;
	saved = envelope.sender;
	envelope.sender = "<>";
	CHECK(!envelope_encode(&envelope, &out));
	envelope.sender = saved;
	saved = envelope.id;
	envelope.id = "../etc";
	CHECK(!envelope_encode(&envelope, &out));
	envelope.id = saved;
	saved = envelope.recipients[0].mailbox;
	envelope.recipients[0].mailbox = "two words";
	CHECK(!envelope_encode(&envelope, &out));
	envelope.recipients[0].mailbox = saved;
	envelope.created = -1;
	CHECK(!envelope_encode(&envelope, &out));
	CHECK_STR(out.data, "before");
	buffer_free(&out);
	envelope_free(&envelope);
}

static void test_encode_respects_buffer_maximum(void)
{
	struct envelope envelope;
	struct buffer out;

	make_golden(&envelope);
	buffer_init(&out, strlen(golden_text) - 1);
	CHECK(!envelope_encode(&envelope, &out));
	CHECK_INT(out.length, 0);
	buffer_free(&out);
	buffer_init(&out, strlen(golden_text));
	CHECK(envelope_encode(&envelope, &out));
	buffer_free(&out);
	envelope_free(&envelope);
}

/* Every strict prefix of a valid envelope (a write cut short) is INCOMPLETE, never OK. */
static void test_every_truncation_incomplete(void)
{
	size_t length = strlen(golden_text);

	for (size_t cut = 0; cut < length; cut++) {
		struct envelope decoded;
		enum envelope_result result = envelope_decode(slice_make(golden_text, cut), &decoded);
		if (result != ENVELOPE_INCOMPLETE) {
			fprintf(stderr, "cut at %zu: result %d\n", cut, result);
			check_failures_in_test++;
		}
		envelope_free(&decoded);
	}
}

struct decode_case {
	const char *name;
	const char *text;
	size_t length; /* 0: strlen(text) */
	enum envelope_result result;
};

#define HEAD "id: A1\ncreated: 1\nnext-attempt: 2\nsender: a@b\nsmtputf8: no\neightbit: no\nclient: c\nheld: no\nwarned: no\nquarantine: no\n"

static const struct decode_case decode_cases[] = {
	{"minimal_ok", HEAD "end\n", 0, ENVELOPE_OK},
	{"quarantine_yes_ok", "id: A1\ncreated: 1\nnext-attempt: 2\nsender: a@b\nsmtputf8: no\neightbit: no\nclient: c\n"
	                      "held: no\nwarned: no\nquarantine: yes\nend\n", 0, ENVELOPE_OK},
	{"quarantine_missing_syntax", "id: A1\ncreated: 1\nnext-attempt: 2\nsender: a@b\nsmtputf8: no\neightbit: no\n"
	                              "client: c\nheld: no\nwarned: no\nend\n", 0, ENVELOPE_SYNTAX},
	{"recipient_ok", HEAD "rcpt: pending 0 remote x@y\nend\n", 0, ENVELOPE_OK},
	{"address_with_spaces_ok", HEAD "rcpt: pending 0 remote \"a b\"@y\nend\n", 0, ENVELOPE_OK},
	{"empty_text_incomplete", "", 0, ENVELOPE_INCOMPLETE},
	{"no_end_incomplete", HEAD "rcpt: pending 0 remote x@y\n", 0, ENVELOPE_INCOMPLETE},
	{"end_without_newline_incomplete", HEAD "end", 0, ENVELOPE_INCOMPLETE},
	{"after_end_syntax", HEAD "end\nrcpt: pending 0 remote x@y\n", 0, ENVELOPE_SYNTAX},
	{"blank_line_after_end_syntax", HEAD "end\n\n", 0, ENVELOPE_SYNTAX},
	{"partial_after_end_syntax", HEAD "end\nx", 0, ENVELOPE_SYNTAX},
	{"unknown_key_syntax", HEAD "colour: blue\nend\n", 0, ENVELOPE_SYNTAX},
	{"missing_key_syntax", "id: A1\ncreated: 1\nsender: a@b\nsmtputf8: no\neightbit: no\nclient: c\nend\n", 0,
	 ENVELOPE_SYNTAX},
	{"keys_out_of_order_syntax",
	 "created: 1\nid: A1\nnext-attempt: 2\nsender: a@b\nsmtputf8: no\neightbit: no\nclient: c\nend\n", 0,
	 ENVELOPE_SYNTAX},
	{"duplicate_key_syntax", HEAD "client: d\nend\n", 0, ENVELOPE_SYNTAX},
	{"held_not_yes_or_no_syntax", "id: A1\ncreated: 1\nnext-attempt: 2\nsender: a@b\nsmtputf8: no\neightbit: no\n"
	                              "client: c\nheld: maybe\nend\n", 0, ENVELOPE_SYNTAX},
	{"key_case_syntax", "ID: A1\ncreated: 1\nnext-attempt: 2\nsender: a@b\nsmtputf8: no\neightbit: no\n"
	                    "client: c\nend\n", 0, ENVELOPE_SYNTAX},
	{"no_space_after_colon_syntax", "id:A1\n", 0, ENVELOPE_SYNTAX},
	{"crlf_line_syntax", "id: A1\r\ncreated: 1\n", 0, ENVELOPE_SYNTAX},
	{"cr_in_value_syntax", HEAD "rcpt: pending 0 remote x@y\rz\nend\n", 0, ENVELOPE_SYNTAX},
	{"nul_in_value_syntax", "id: A1\ncreated: 1\0\nnext-attempt: 2\n", 35, ENVELOPE_SYNTAX},
	{"number_with_sign_syntax", "id: A1\ncreated: +1\n", 0, ENVELOPE_SYNTAX},
	{"number_negative_syntax", "id: A1\ncreated: -1\n", 0, ENVELOPE_SYNTAX},
	{"number_leading_zero_syntax", "id: A1\ncreated: 01\n", 0, ENVELOPE_SYNTAX},
	{"number_empty_syntax", "id: A1\ncreated: \n", 0, ENVELOPE_SYNTAX},
	{"number_trailing_space_syntax", "id: A1\ncreated: 1 \n", 0, ENVELOPE_SYNTAX},
	{"number_overflow_syntax", "id: A1\ncreated: 9223372036854775808\n", 0, ENVELOPE_SYNTAX},
	{"attempts_overflow_syntax", HEAD "rcpt: pending 4294967296 remote x@y\nend\n", 0, ENVELOPE_SYNTAX},
	{"empty_id_syntax", "id: \n", 0, ENVELOPE_SYNTAX},
	{"path_in_id_syntax", "id: ../x\n", 0, ENVELOPE_SYNTAX},
	{"empty_sender_syntax", "id: A1\ncreated: 1\nnext-attempt: 2\nsender: \n", 0, ENVELOPE_SYNTAX},
	{"yes_no_other_syntax", "id: A1\ncreated: 1\nnext-attempt: 2\nsender: a@b\nsmtputf8: true\n", 0,
	 ENVELOPE_SYNTAX},
	{"bad_state_syntax", HEAD "rcpt: waiting 0 remote x@y\nend\n", 0, ENVELOPE_SYNTAX},
	{"bad_mailbox_syntax", HEAD "rcpt: pending 0 mailbox x@y\nend\n", 0, ENVELOPE_SYNTAX},
	{"empty_local_user_syntax", HEAD "rcpt: pending 0 local: x@y\nend\n", 0, ENVELOPE_SYNTAX},
	{"missing_address_syntax", HEAD "rcpt: pending 0 remote\nend\n", 0, ENVELOPE_SYNTAX},
	{"empty_address_syntax", HEAD "rcpt: pending 0 remote \nend\n", 0, ENVELOPE_SYNTAX},
	{"double_space_syntax", HEAD "rcpt: pending  0 remote x@y\nend\n", 0, ENVELOPE_SYNTAX},
	{"error_without_rcpt_syntax", HEAD "rcpt-error: oops\nend\n", 0, ENVELOPE_SYNTAX},
	{"two_errors_for_one_rcpt_syntax",
	 HEAD "rcpt: failed 1 remote x@y\nrcpt-error: one\nrcpt-error: two\nend\n", 0, ENVELOPE_SYNTAX},
	{"syntax_before_truncation_wins", "id: A1\nbogus: 1\ncrea", 0, ENVELOPE_SYNTAX},
};

static void test_decode_cases(void)
{
	for (size_t i = 0; i < sizeof decode_cases / sizeof decode_cases[0]; i++) {
		const struct decode_case *c = &decode_cases[i];
		struct envelope decoded;
		size_t length = c->length ? c->length : strlen(c->text);
		enum envelope_result result = envelope_decode(slice_make(c->text, length), &decoded);
		if (result != c->result) {
			fprintf(stderr, "%s: result %d, expected %d\n", c->name, result, c->result);
			check_failures_in_test++;
		}
		envelope_free(&decoded);
	}
}

static void test_too_large_text_rejected(void)
{
	size_t length = ENVELOPE_MAX_SIZE + 1;
	char *text = malloc(length);
	struct envelope decoded;

	memset(text, 'x', length);
	CHECK_INT(envelope_decode(slice_make(text, length), &decoded), ENVELOPE_SYNTAX);
	envelope_free(&decoded);
	free(text);
}

/* Many recipients: the decoder's array growth and a large encoding. */
static void test_many_recipients(void)
{
	struct envelope envelope = {0}, decoded;
	struct buffer out;

	envelope.id = strdup("MANY");
	envelope.sender = strdup("list@example.org");
	envelope.client = strdup("");
	for (int i = 0; i < 5000; i++) {
		char address[32];
		snprintf(address, sizeof address, "user%d@example.org", i);
		envelope_add_recipient(&envelope, address, i % 2 ? "u" : NULL);
	}
	buffer_init(&out, ENVELOPE_MAX_SIZE);
	CHECK(envelope_encode(&envelope, &out));
	CHECK_INT(envelope_decode(buffer_slice(&out), &decoded), ENVELOPE_OK);
	CHECK(same_envelope(&envelope, &decoded));
	buffer_free(&out);
	envelope_free(&decoded);
	envelope_free(&envelope);
}

static void test_free_null_and_twice(void)
{
	struct envelope envelope;

	envelope_free(NULL);
	make_golden(&envelope);
	envelope_free(&envelope);
	envelope_free(&envelope);
	CHECK(envelope.recipients == NULL && envelope.recipient_count == 0);
}

static void history_keeps_the_latest_attempts(void)
{
	struct envelope envelope = {0}, decoded = {0};
	struct buffer out;
	char text[64];

	envelope.id = strdup("H1");
	envelope.sender = strdup("a@b");
	envelope_add_recipient(&envelope, "x@y", NULL);
	for (int i = 0; i < ENVELOPE_HISTORY_MAX + 3; i++) {
		snprintf(text, sizeof text, "try %d said: 451\r\nline", i);
		envelope_note_attempt(&envelope.recipients[0], 0, text);
	}
	CHECK_INT(envelope.recipients[0].history_count, ENVELOPE_HISTORY_MAX);
	CHECK(strstr(envelope.recipients[0].history[0], " try 3 said: 451  line") != NULL);
	buffer_init(&out, ENVELOPE_MAX_SIZE);
	CHECK(envelope_encode(&envelope, &out));
	CHECK_INT(envelope_decode(buffer_slice(&out), &decoded), ENVELOPE_OK);
	CHECK_INT(decoded.recipients[0].history_count, ENVELOPE_HISTORY_MAX);
	CHECK(strstr(decoded.recipients[0].history[ENVELOPE_HISTORY_MAX - 1], " try 12 said: 451  line") != NULL);
	envelope_free(&envelope);
	envelope_free(&decoded);
	buffer_free(&out);
}

int main(void)
{
	RUN(test_golden_encoding);
	RUN(test_golden_decoding);
	RUN(test_rfc5321_4_5_5_null_sender_round_trip);
	RUN(test_round_trip_text_identical);
	RUN(test_no_recipients_round_trip);
	RUN(test_encode_refuses_unwritable_values);
	RUN(test_encode_respects_buffer_maximum);
	RUN(test_every_truncation_incomplete);
	RUN(test_decode_cases);
	RUN(test_too_large_text_rejected);
	RUN(test_many_recipients);
	RUN(test_free_null_and_twice);
	RUN(history_keeps_the_latest_attempts);
	return check_summary("test_envelope");
}
