/* maildir: delivers one message into a Maildir (https://cr.yp.to/proto/maildir.html):
 * write into tmp/, fsync, link/rename into new/, fsync new/. The Maildir is created when
 * missing. The unique name is chosen by the caller and is deterministic per queue id and
 * recipient, so a delivery repeated after a crash finds the earlier copy and does not
 * deliver twice. Blocking: run on a worker thread. */
#ifndef TERN_MAILDIR_H
#define TERN_MAILDIR_H

#include "util/buffer.h"

enum maildir_result {
	MAILDIR_DELIVERED,         /* written now */
	MAILDIR_ALREADY_DELIVERED, /* a file with this unique name is in new/ or cur/ already */
	MAILDIR_FAILED             /* I/O error: retry later; errno set */
};

/* Delivers message (CRLF line endings, as spooled) into the Maildir at path, creating path,
 * tmp/, new/ and cur/ (mode 0700) when missing. The file starts with
 * "Return-Path: <return_path>" and has LF line endings, as local mail readers expect.
 * unique_name must be a safe file name (no '/', no ':'). */
enum maildir_result maildir_deliver(const char *path, const char *unique_name, const char *return_path,
                                    struct slice message);

#endif
