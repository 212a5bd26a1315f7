/* password: checks and makes crypt(3) password hashes (libxcrypt: yescrypt, bcrypt,
 * sha512crypt...), the hashes of the users file. Every function is thread-safe and slow on
 * purpose (that is the point of these hashes): call them on a worker thread, not the loop. */
#ifndef TERN_PASSWORD_H
#define TERN_PASSWORD_H

#include <stdbool.h>

/* The longest password crypt(3) takes: libxcrypt's CRYPT_MAX_PASSPHRASE_SIZE (512) less the NUL.
 * Longer ones never match and cannot be hashed. */
#define PASSWORD_MAX 511

/* Whether password matches hash, a full crypt(3) string such as "$y$j9T$salt$digest". The
 * comparison is constant-time. False for an empty hash (no password login), a locked one ("*"
 * or "!" first, as in shadow(5)) or one libxcrypt does not support, after spending the time of
 * password_verify_unknown_user, so such accounts cannot be told from others by timing; false
 * if hashing fails (as for a password over PASSWORD_MAX) or password is NULL. Temporaries are
 * wiped. */
bool password_verify(const char *hash, const char *password);

/* Spends as long as password_verify would on a default (yescrypt) hash, then returns false:
 * call it when the user does not exist, so neither the reply nor its timing tells an attacker
 * which names exist. The dummy hash it checks against is made once per process. */
bool password_verify_unknown_user(const char *password);

/* A new hash of password with a random salt: yescrypt ("$y$") at libxcrypt's default cost, or
 * sha512crypt ("$6$") where yescrypt is unavailable. Returns a string owned by the caller, or
 * NULL if neither method works or password is longer than PASSWORD_MAX. */
char *password_hash(const char *password);

#endif
