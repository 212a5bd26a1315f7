/* password: crypt(3) verification and hashing through libxcrypt's reentrant crypt_rn and
 * crypt_gensalt_rn, with a heap-allocated struct crypt_data (about 32 KiB, too big for a worker
 * thread's stack), wiped after use. Results are compared with CRYPTO_memcmp. Unknown users are
 * checked against a dummy yescrypt hash made once (pthread_once), so they cost the same time.
 * Not here: reading users files, choosing who may relay, throttling failures (auth_throttle). */
#include "policy/password.h"

#include <crypt.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "util/xalloc.h"

_Static_assert(PASSWORD_MAX == CRYPT_MAX_PASSPHRASE_SIZE - 1, "PASSWORD_MAX follows libxcrypt");

/* Fallback when libxcrypt has no yescrypt: SHA-512 crypt (Drepper's spec), default rounds. */
#define PASSWORD_PREFIX_PREFERRED "$y$"
#define PASSWORD_PREFIX_FALLBACK  "$6$"

static struct crypt_data *crypt_data_new(void)
{
	/* crypt_rn wants the structure zeroed before its first use. */
	return xcalloc(1, sizeof(struct crypt_data));
}

static void crypt_data_free(struct crypt_data *data)
{
	OPENSSL_cleanse(data, sizeof *data);
	free(data);
}

/* Whether hash is something to hash a password against: not empty, not locked, supported. */
static bool hash_is_usable(const char *hash)
{
	int check;

	if (hash == NULL || hash[0] == '\0' || hash[0] == '*' || hash[0] == '!')
		return false;
	check = crypt_checksalt(hash);
	/* CRYPT_SALT_METHOD_LEGACY (DES, md5crypt...) is still verified: those hashes are what the
	 * admin has; the users file is theirs to upgrade. */
	return check != CRYPT_SALT_INVALID && check != CRYPT_SALT_METHOD_DISABLED;
}

/* Hashes password with the setting in hash and compares, in constant time. */
static bool hash_matches(const char *hash, const char *password)
{
	struct crypt_data *data = crypt_data_new();
	const char *computed = crypt_rn(password, hash, data, (int)sizeof *data);
	bool match = false;

	/* crypt_rn returns NULL on failure and never a string starting with '*' on success. The
	 * lengths are those of the stored hash, not secret; the bytes are compared in constant time. */
	if (computed != NULL && computed[0] != '*' && strlen(computed) == strlen(hash))
		match = CRYPTO_memcmp(computed, hash, strlen(hash)) == 0;
	crypt_data_free(data);
	return match;
}

bool password_verify(const char *hash, const char *password)
{
	if (password == NULL)
		return false;
	/* A locked or password-less account costs the same time as a wrong password. */
	if (!hash_is_usable(hash))
		return password_verify_unknown_user(password);
	return hash_matches(hash, password);
}

/* Makes a crypt setting ("$y$j9T$salt") for prefix with fresh random salt, or returns false. */
static bool make_setting(const char *prefix, char *setting, int size)
{
	return crypt_gensalt_rn(prefix, 0, NULL, 0, setting, size) != NULL;
}

char *password_hash(const char *password)
{
	char setting[CRYPT_GENSALT_OUTPUT_SIZE];
	struct crypt_data *data;
	const char *hashed;
	char *result = NULL;

	if (!make_setting(PASSWORD_PREFIX_PREFERRED, setting, sizeof setting) &&
	    !make_setting(PASSWORD_PREFIX_FALLBACK, setting, sizeof setting))
		return NULL;
	data = crypt_data_new();
	hashed = crypt_rn(password, setting, data, (int)sizeof *data);
	if (hashed != NULL && hashed[0] != '*')
		result = xstrdup(hashed);
	crypt_data_free(data);
	return result;
}

/* The dummy hash for unknown users: written once under pthread_once, read-only afterwards, so it
 * is a constant of the process rather than mutable state. Its password need not be secret:
 * password_verify_unknown_user returns false whatever matches. */
static pthread_once_t dummy_once = PTHREAD_ONCE_INIT;
static char dummy_hash[CRYPT_OUTPUT_SIZE];

static void dummy_hash_make(void)
{
	char *hashed = password_hash("tern: no such user");

	if (hashed != NULL && strlen(hashed) < sizeof dummy_hash)
		memcpy(dummy_hash, hashed, strlen(hashed) + 1);
	free(hashed);
}

bool password_verify_unknown_user(const char *password)
{
	pthread_once(&dummy_once, dummy_hash_make);
	if (password != NULL && hash_is_usable(dummy_hash))
		(void)hash_matches(dummy_hash, password);
	return false;
}
