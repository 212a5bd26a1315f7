/* spf_internal: the state of one SPF check, shared by spf.c (the check's life: identity,
 * record lookup and selection, explanation, delivery of the result) and spf_evaluate.c (the
 * mechanisms and modifiers of a record, RFC 7208 §5, §6.1). Not a contract for other modules:
 * include mailauth/spf.h instead. */
#ifndef TERN_SPF_INTERNAL_H
#define TERN_SPF_INTERNAL_H

#include <stdbool.h>

#include "mailauth/spf.h"
#include "mailauth/spf_record.h"
#include "util/buffer.h"

#define SPF_NAME_SIZE   (DNS_NAME_MAX + 1)
#define SPF_TEXT_SIZE   512  /* reason and explanation texts */
#define SPF_SENDER_SIZE 512  /* RFC 5321 §4.5.3.1.3: a path is at most 256 octets; room for a
                          * local-part substituted by "postmaster" */

/* One check_host() in progress: the top one, or one an include: started. */
struct spf_frame {
	struct spf_frame *parent; /* the record whose include: asked for this one */
	char domain[SPF_NAME_SIZE];
	bool redirected;      /* reached by redirect= (§6.1: no record is a permerror) */
	char *text;           /* the record, owned; record's slices point into it */
	struct spf_record record;
	size_t next;          /* the mechanism being evaluated */
};

typedef void (*spf_answer_handler)(struct spf_check *check, const struct dns_answer *answer);
typedef void (*spf_step)(struct spf_check *check);

struct spf_check {
	struct resolver *resolver;
	spf_callback callback;
	void *context;
	struct event *timer; /* the deadline, or the delivery of an immediate result */
	bool starting;       /* inside spf_check: a result now must wait for the loop */
	bool delivering;     /* the result is set; the timer delivers it */
	spf_answer_handler on_answer;

	const char *identity;
	char sender[SPF_SENDER_SIZE], local_part[SPF_SENDER_SIZE], sender_domain[SPF_NAME_SIZE], helo[SPF_NAME_SIZE];
	char checked_domain[SPF_NAME_SIZE];
	unsigned char address[16];
	bool ipv6;

	struct spf_frame *frame; /* innermost */
	unsigned lookups, voids;
	char target[SPF_NAME_SIZE];            /* of the mechanism being evaluated */
	char mx_names[SPF_NAMES_MAX][SPF_NAME_SIZE];
	size_t mx_count, mx_next;
	struct spf_validated *validated;   /* ptr and %{p}, looked up once */
	spf_step after_validated;

	enum spf_result result;
	char mechanism[SPF_TEXT_SIZE], reason[SPF_TEXT_SIZE], explanation[SPF_TEXT_SIZE];
	char *explanation_text;            /* the exp= TXT, before expansion */
};

/* Sets the result (reason from format, when not NULL) and delivers it: later, on the loop,
 * when still inside spf_check. The check is freed: the caller returns at once. */
void spf_finish(struct spf_check *check, enum spf_result result, const char *format, ...)
    __attribute__((format(printf, 3, 4)));
/* Asks name/type; handler gets the answer (one question at a time per check). */
void spf_ask(struct spf_check *check, const char *name, enum dns_type type, spf_answer_handler handler);
/* §4.3: labels of 1-63 octets, 253 octets at most, at least two labels when multi_label. */
bool spf_name_is_valid(const char *name, bool multi_label);
/* The target of a term: domain_spec expanded (§7.3), or the current domain when empty.
 * false: it does not expand. */
bool spf_expand_target(struct spf_check *check, struct slice domain_spec, char target[SPF_NAME_SIZE]);
/* true when the validated names (ptr, %{p}) are known; else looks them up, runs then, and
 * returns false. */
bool spf_have_validated(struct spf_check *check, spf_step then);
/* §4.4: looks up the record of the current frame's domain, then evaluates it. */
void spf_fetch_record(struct spf_check *check);
/* §6.2: a fail of the top record with exp=: fetches and expands the explanation, finishes. */
void spf_explain(struct spf_check *check);

/* spf_evaluate.c: evaluates the current frame's record from its first mechanism (§4.6.2). */
void spf_evaluate_record(struct spf_check *check);

#endif
