/* dkim_key: the DKIM key record, the TXT text at SELECTOR._domainkey.DOMAIN (RFC 6376 §3.6.1,
 * RFC 8463 §4), parsed strictly into a struct: v= (DKIM1, first if present), h=, k=, n=, p=,
 * s=, t=; unknown tags, hashes, services and flags ignored (§3.6.1). Pure: no I/O, no globals;
 * p= is decoded into the struct. It does not decode the key itself (DER or raw Ed25519) nor
 * judge whether it fits a signature: dkim_check does. */
#ifndef TERN_DKIM_KEY_H
#define TERN_DKIM_KEY_H

#include <stdbool.h>
#include <stddef.h>

#include "util/buffer.h"

#define DKIM_KEY_RECORD_MAX 4096 /* octets of record text: a sane cap, three times an RSA-8192 record */
/* Octets of p=, decoded: an RSA-8192 SubjectPublicKeyInfo is 1062; RFC 8301 §3.2 asks
 * verifiers for 4096 bits at most. */
#define DKIM_KEY_PUBLIC_MAX 2048

enum dkim_key_result {
	DKIM_KEY_OK,
	DKIM_KEY_BAD_SYNTAX,    /* not a tag-list (§3.2), a byte outside it, or too long */
	DKIM_KEY_DUPLICATE_TAG, /* §3.2: tags with duplicate names MUST NOT occur */
	DKIM_KEY_BAD_VERSION,   /* §3.6.1: v= is "DKIM1" and MUST be the first tag */
	DKIM_KEY_MISSING_KEY,   /* §3.6.1: p= is REQUIRED */
	DKIM_KEY_BAD_VALUE,     /* a known tag's value breaks its grammar or a cap (p= not base64) */
};

enum dkim_key_type {
	DKIM_KEY_RSA,     /* k=rsa, the default (§3.6.1) */
	DKIM_KEY_ED25519, /* k=ed25519 (RFC 8463 §4) */
	DKIM_KEY_UNKNOWN, /* another k= value: parsed, but no signature can use it */
};

struct dkim_key {
	enum dkim_key_type type;  /* k= */
	bool sha256_acceptable;   /* h= absent, or lists sha256 (§3.6.1: default all) */
	bool email_service;       /* s= absent, or lists "email" or "*" */
	bool testing;             /* t=y: the domain is testing DKIM */
	bool strict_identity;     /* t=s: i='s domain must equal d= exactly */
	bool revoked;             /* p= empty: the key was revoked (§3.6.1) */
	size_t public_key_length; /* p=, decoded */
	unsigned char public_key[DKIM_KEY_PUBLIC_MAX];
	struct slice error_tag; /* on failure: the tag at fault, if any (a view into the text) */
};

/* Parses record, the TXT strings joined (§3.6.2.2). FWS (WSP, or CRLF followed by WSP) may
 * surround tags and values and sit inside p=; other control bytes and 8-bit bytes are refused.
 * Returns DKIM_KEY_OK, or the first error found, with error_tag naming the tag when one is at
 * fault. *key is fully written either way. */
enum dkim_key_result dkim_key_parse(struct slice record, struct dkim_key *key);

/* Words for a result, for a reason string: "key record syntax error", ... */
const char *dkim_key_result_text(enum dkim_key_result result);

#endif
