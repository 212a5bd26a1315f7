/* maildir: delivers messages into a Maildir (https://cr.yp.to/proto/maildir.html):
 * write into tmp/, fsync, link/rename into new/, fsync new/. The Maildir is created when
 * missing. The unique name is chosen by the caller and is deterministic per queue id and
 * recipient, so a delivery repeated after a crash finds the earlier copy and does not
 * deliver twice. Blocking: run on a worker thread. */
#ifndef TERN_MAILDIR_H
#define TERN_MAILDIR_H

#include <stdbool.h>

#include "util/buffer.h"

enum maildir_result {
	MAILDIR_DELIVERED,         /* written now */
	MAILDIR_ALREADY_DELIVERED, /* a file with this unique name is in new/ or cur/ already */
	MAILDIR_FAILED             /* I/O error: retry later; errno set */
};

/* Delivers message (CRLF line endings, as spooled) into the Maildir at path, creating path,
 * tmp/, new/ and cur/ (mode 0700) when missing. The file starts with
 * "Return-Path: <return_path>" and has LF line endings, as local mail readers expect.
 * unique_name must be a safe file name (no '/', no ':').
 * check_earlier_copy: when true, a file called unique_name in new/, or unique_name with or
 * without ":flags" in cur/, means an earlier attempt delivered it: MAILDIR_ALREADY_DELIVERED,
 * nothing written. When false that look is skipped (it costs a readdir of cur/, large in big
 * mailboxes); pass false only when no earlier attempt at unique_name can exist, e.g. the
 * message was committed by this process and never attempted. Even then a file already in
 * new/ is never replaced (MAILDIR_ALREADY_DELIVERED), but one in cur/ would not be noticed.
 * Returns the result; errno is set with MAILDIR_FAILED (EINVAL for an unsafe unique_name or a
 * return_path holding CR or LF). */
enum maildir_result maildir_deliver(const char *path, const char *unique_name, const char *return_path,
                                    struct slice message, bool check_earlier_copy);

/* One delivery of maildir_deliver_all: the arguments of maildir_deliver, and its outcome. */
struct maildir_delivery {
	const char *path;
	const char *unique_name;
	const char *return_path;
	struct slice message;
	bool check_earlier_copy;
	enum maildir_result result; /* set by maildir_deliver_all */
	int error;                  /* errno, with MAILDIR_FAILED */
};

/* maildir_deliver for count deliveries at once, each with its own result: they share the
 * opening of a Maildir they have in common and the fsync of its new/, and their files' syncs
 * overlap. Their unique names must differ (per path). */
void maildir_deliver_all(struct maildir_delivery *deliveries, size_t count);

#endif
