/* test_password: crypt(3) verification and hashing: our own yescrypt hashes, known vectors made
 * by other tools (`openssl passwd -6`, -5, -1, Python's crypt for bcrypt), hashes that must never
 * match (empty, locked "*" and "!", unsupported, truncated), libxcrypt's length limit,
 * concurrent use from threads, and an unknown user or a locked account costing about as much
 * time as a real check. */
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "policy/password.h"

/* openssl passwd -6 -salt tern.salt.16ch correct-horse */
#define SHA512_VECTOR                                                                                                  \
	"$6$tern.salt.16ch$XFHseT8mjSN9AfU0cwyPsz0cdlMlCZ2SgMd/wUGSNT.FkHYw5JwfNgNGSyV3acSh5ZAHtIHV2ylOcjpNgwz1Q."
/* openssl passwd -5 -salt abcdefgh pw */
#define SHA256_VECTOR "$5$abcdefgh$ijtOJ//yvc/9bq1g0llFn9dB688BwBDRD90DlKKSKE1"
/* python3 -c 'import crypt; print(crypt.crypt("pw", "$2b$05$abcdefghijklmnopqrstuu"))' */
#define BCRYPT_VECTOR "$2b$05$abcdefghijklmnopqrstuuHIrMEWpUCQe2YqFR3sXwQ75u4od..9q"
/* openssl passwd -1 -salt abcdefgh pw: md5crypt, which libxcrypt calls legacy */
#define MD5_VECTOR "$1$abcdefgh$IQtUouv7y7Q9dRWkQEPCc."

static void hash_then_verify(void)
{
	char *hash = password_hash("correct horse battery staple");
	char *again = password_hash("correct horse battery staple");

	CHECK(hash != NULL && strncmp(hash, "$y$", 3) == 0);
	CHECK(again != NULL && hash != NULL && strcmp(hash, again) != 0); /* random salt */
	CHECK(password_verify(hash, "correct horse battery staple"));
	CHECK(password_verify(again, "correct horse battery staple"));
	CHECK(!password_verify(hash, "correct horse battery stapl"));
	CHECK(!password_verify(hash, "correct horse battery staple "));
	CHECK(!password_verify(hash, ""));
	free(hash);
	free(again);
}

static void known_vectors_from_other_tools(void)
{
	CHECK(password_verify(SHA512_VECTOR, "correct-horse"));
	CHECK(!password_verify(SHA512_VECTOR, "Correct-horse"));
	CHECK(password_verify(SHA256_VECTOR, "pw"));
	CHECK(!password_verify(SHA256_VECTOR, "pW"));
	CHECK(password_verify(BCRYPT_VECTOR, "pw"));
	CHECK(!password_verify(BCRYPT_VECTOR, "px"));
}

/* Legacy methods (crypt_checksalt: CRYPT_SALT_METHOD_LEGACY; on Debian that includes
 * sha256crypt) still verify: they are what an admin's users file may hold. */
static void legacy_hashes_still_verify(void)
{
	CHECK(password_verify(MD5_VECTOR, "pw"));
	CHECK(!password_verify(MD5_VECTOR, "pw2"));
}

static void hashes_that_never_match(void)
{
	CHECK(!password_verify("", ""));
	CHECK(!password_verify("", "correct-horse"));
	CHECK(!password_verify(NULL, "correct-horse"));
	CHECK(!password_verify("*", "correct-horse"));
	CHECK(!password_verify("*" SHA512_VECTOR, "correct-horse"));
	CHECK(!password_verify("!" SHA512_VECTOR, "correct-horse")); /* shadow(5) locked */
	CHECK(!password_verify("!", ""));
	CHECK(!password_verify("x", "x"));
	CHECK(!password_verify("$9$nosuchmethod$abc", "correct-horse"));
	/* A truncated or extended digest: the same prefix must not be enough. */
	CHECK(!password_verify("$6$tern.salt.16ch$XFHseT8mjSN9AfU0cwyPsz0cdlMlCZ2SgMd", "correct-horse"));
	CHECK(!password_verify(SHA512_VECTOR "A", "correct-horse"));
}

/* libxcrypt takes at most PASSWORD_MAX bytes; longer passwords neither hash nor match. */
static void password_length_limit(void)
{
	char password[PASSWORD_MAX + 2];
	char *hash;

	memset(password, 'p', PASSWORD_MAX);
	password[PASSWORD_MAX] = '\0';
	hash = password_hash(password);
	CHECK(hash != NULL && password_verify(hash, password));
	password[PASSWORD_MAX] = 'p';
	password[PASSWORD_MAX + 1] = '\0';
	CHECK(password_hash(password) == NULL);
	CHECK(hash != NULL && !password_verify(hash, password));
	free(hash);
}

struct worker {
	const char *hash;
	int matches;
};

static void *verify_in_thread(void *argument)
{
	struct worker *worker = argument;

	for (int i = 0; i < 3; i++)
		worker->matches += password_verify(worker->hash, "correct-horse") + password_verify(worker->hash, "no");
	return NULL;
}

/* password_verify runs on worker threads: four at once must all get the right answers. */
static void concurrent_verification(void)
{
	pthread_t threads[4];
	struct worker workers[4];
	char *own = password_hash("correct-horse");

	for (int i = 0; i < 4; i++) {
		workers[i].hash = i % 2 ? SHA512_VECTOR : own;
		workers[i].matches = 0;
		CHECK(pthread_create(&threads[i], NULL, verify_in_thread, &workers[i]) == 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(threads[i], NULL);
		CHECK_INT(workers[i].matches, 3);
	}
	free(own);
}

static double seconds_now(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)now.tv_sec + (double)now.tv_nsec / 1e9;
}

/* The fastest of five runs, to keep scheduling noise out. */
static double time_verify(const char *hash, bool unknown)
{
	double best = 1e9;

	for (int i = 0; i < 5; i++) {
		double start = seconds_now(), elapsed;
		if (unknown)
			CHECK(!password_verify_unknown_user("guess"));
		else
			CHECK(!password_verify(hash, "guess"));
		elapsed = seconds_now() - start;
		best = elapsed < best ? elapsed : best;
	}
	return best;
}

static void unknown_user_takes_as_long_as_a_real_check(void)
{
	char *hash = password_hash("the real password");
	double real, unknown, locked;

	CHECK(!password_verify_unknown_user("")); /* makes the dummy hash */
	CHECK(!password_verify_unknown_user("tern: no such user"));
	real = time_verify(hash, false);
	unknown = time_verify(NULL, true);
	printf("real check %.1f ms, unknown user %.1f ms\n", real * 1000, unknown * 1000);
	CHECK(unknown < 3 * real && real < 3 * unknown);
	locked = time_verify("!" SHA512_VECTOR, false);
	printf("locked account %.1f ms\n", locked * 1000);
	CHECK(locked < 3 * real && real < 3 * locked);
	free(hash);
}

int main(void)
{
	RUN(hash_then_verify);
	RUN(known_vectors_from_other_tools);
	RUN(legacy_hashes_still_verify);
	RUN(hashes_that_never_match);
	RUN(password_length_limit);
	RUN(concurrent_verification);
	RUN(unknown_user_takes_as_long_as_a_real_check);
	return check_summary("test_password");
}
