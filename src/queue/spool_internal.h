/* spool_internal: what spool.c (commits, updates, reads) and spool_scan.c (the start-up
 * scan) share. Not for other modules. */
#ifndef TERN_SPOOL_INTERNAL_H
#define TERN_SPOOL_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "queue/envelope.h"
#include "queue/spool.h"
#include "util/group_sync.h"

#define SPOOL_ID_DIGITS 16          /* hex digits of microseconds since the epoch */
#define SPOOL_FILE_NAME_SIZE (SPOOL_ID_SIZE + 16) /* id + ".env.tmp" or ".msg.free" + NUL */
#define SPOOL_FREE_SUFFIX ".free"
#define SPOOL_FILE_MODE 0600
#define SPOOL_FREE_MAX 1024 /* free files kept for reuse (spool_recycle.c); a bound on their disk use */

struct spool {
	char *directory;
	int directory_fd; /* opened once; every file operation is relative to it */

	pthread_mutex_t id_lock;
	uint64_t last_id; /* the last id handed out (microseconds); ids strictly increase */

	struct group_sync directory_sync; /* the directory's fsyncs, shared */

	pthread_mutex_t free_lock;
	char (*free_names)[SPOOL_FILE_NAME_SIZE]; /* SPOOL_FREE_MAX names of durably retired files */
	size_t free_count;

	pthread_mutex_t commit_lock;
	pthread_cond_t commit_done;
	struct commit_request *commit_queue; /* waiting for the next batch, newest first */
	bool committing;                     /* a caller is running a batch */
};

/* Queue ids name files, so they must be plain: [0-9A-Za-z], not empty, bounded. */
bool spool_id_valid(const char *id);
/* name = id + suffix (".msg", ".env", ".env.tmp"). */
void spool_file_name(char name[SPOOL_FILE_NAME_SIZE], const char *id, const char *suffix);
/* Records that an id (maybe from an earlier run) exists, so new ids sort after it. */
void spool_note_existing_id(struct spool *spool, const char *id);
/* Reads and decodes the envelope file name; 0 with *result set, or -1 with errno on a read error. */
int spool_read_envelope_file(struct spool *spool, const char *name, struct envelope *envelope,
                             enum envelope_result *result);
/* Encodes envelope into text (initialized here; the caller frees it), checking its id.
 * 0, or -1 with errno (EINVAL: a bad id; EFBIG: too large). */
int spool_encode(const struct envelope *envelope, struct buffer *text);
/* fsyncs the spool directory, group-committed with concurrent callers. 0, or -1 with errno. */
int spool_sync_directory(struct spool *spool);

/* spool_recycle.c. Takes a free file's name into name (true), or finds none (false). */
bool spool_recycle_take(struct spool *spool, char name[SPOOL_FILE_NAME_SIZE]);
/* Gives name, a free file whose retirement is durable, to the pool, or unlinks it when the
 * pool is full. */
void spool_recycle_put(struct spool *spool, const char *name);
/* Retires name: renames it to name + ".free" (in retired; the caller puts it into the pool
 * after the directory fsync) or, with the pool full, unlinks it (retired empty).
 * 0, or -1 with errno (ENOENT: no such file). */
int spool_recycle_retire(struct spool *spool, const char *name, char retired[SPOOL_FILE_NAME_SIZE]);
/* Installs text as id's envelope through a free file: overwritten, fdatasync'd, then swapped
 * with "<id>.env" (RENAME_EXCHANGE), leaving the old envelope under the free name (in
 * free_name; emptied when there was no old envelope), to be given back with
 * spool_recycle_put once the caller's directory fsync made the swap durable.
 * 0, -1 with errno, or 1 when no free file was usable (nothing changed). */
int spool_recycle_install_envelope(struct spool *spool, const char *id, struct buffer *text,
                                   char free_name[SPOOL_FILE_NAME_SIZE]);

#endif
