/* spool: durable storage of messages and their envelopes in one directory.
 * Commit protocol: write the message file and the envelope under a temporary name, sync both,
 * rename the envelope, fsync the directory; only then may the caller reply 250. Threads
 * committing at the same time share all of it (one batch: every sync issued together, one
 * directory fsync).
 * Blocking: call from worker threads, never from the event loop. Thread-safe.
 * It knows nothing of sockets or sessions. */
#ifndef TERN_SPOOL_H
#define TERN_SPOOL_H

#include <stdbool.h>

#include "queue/envelope.h"
#include "util/buffer.h"

struct spool;

#define SPOOL_ID_SIZE 24 /* bytes for a queue id incl. NUL */

/* Opens (creating it and its parents with mode 0700 if missing) the spool in directory.
 * Returns NULL with errno set on failure. */
struct spool *spool_open(const char *directory);
void spool_close(struct spool *spool);
const char *spool_directory(const struct spool *spool);

/* Makes a new queue id, unique in this spool (time-ordered, [0-9A-F]). Thread-safe. */
void spool_new_id(struct spool *spool, char id[SPOOL_ID_SIZE]);

/* Durably stores message (the full text, CRLF line endings) and envelope (whose id names
 * the files). Returns 0 once both and the directory are on stable storage; -1 with errno
 * otherwise, leaving no envelope behind (a stray message file is removed too). */
int spool_commit(struct spool *spool, const struct envelope *envelope, struct slice message);

/* One message of spool_commit_all: the caller fills envelope and message; result is 0, or -1
 * with error an errno value. */
struct spool_commit {
	const struct envelope *envelope;
	struct slice message;
	int result;
	int error;
};

/* spool_commit for count messages at once: they share one batch (every sync issued together,
 * one directory fsync). Sets each one's result. */
void spool_commit_all(struct spool *spool, struct spool_commit *commits, size_t count);

/* Durably replaces the envelope of an existing message (same protocol: temp, fsync, rename,
 * directory fsync). Returns 0 or -1 with errno. */
int spool_update(struct spool *spool, const struct envelope *envelope);

/* Removes a message: envelope first, then the message file (both kept as free files for
 * later commits, spool_recycle.c), then fsyncs the directory.
 * Returns 0 or -1 with errno. */
int spool_remove(struct spool *spool, const char *id);

/* One message of spool_remove_all: the caller sets id; result is 0, or -1 with error an errno
 * value (ENOENT: neither file was there). */
struct spool_removal {
	const char *id;
	int result;
	int error;
};

/* spool_remove for count messages at once, sharing one directory fsync. */
void spool_remove_all(struct spool *spool, struct spool_removal *removals, size_t count);

/* Reads a message file into out (whose maximum must fit it). Returns 0 or -1 with errno. */
int spool_read_message(struct spool *spool, const char *id, struct buffer *out);

/* Reads and decodes an envelope. Returns 0, or -1 with errno (EINVAL: incomplete or corrupt). */
int spool_read_envelope(struct spool *spool, const char *id, struct envelope *envelope);

/* Lists every complete message, calling found(id, context) in queue-id order. Along the way
 * removes leftovers of interrupted commits (temporary files, message files without an
 * envelope, envelopes without an "end" line). Returns the number found, or -1 with errno. */
int spool_scan(struct spool *spool, void (*found)(const char *id, void *context), void *context);

#endif
