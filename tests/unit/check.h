/* check: the tiny unit-test harness. Each test binary defines test functions, lists
 * them in main with RUN(), and ends with check_summary(), which prints
 * "N passed, N failed" and returns the exit status. */
#ifndef TERN_CHECK_H
#define TERN_CHECK_H

#include <stdio.h>
#include <string.h>

static int check_failures_in_test;
static int check_tests_passed;
static int check_tests_failed;

#define CHECK(condition)                                                                                     \
	do {                                                                                                 \
		if (!(condition)) {                                                                          \
			fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #condition);         \
			check_failures_in_test++;                                                            \
		}                                                                                            \
	} while (0)

#define CHECK_INT(actual, expected)                                                                          \
	do {                                                                                                 \
		long long check_a = (long long)(actual), check_e = (long long)(expected);                    \
		if (check_a != check_e) {                                                                    \
			fprintf(stderr, "%s:%d: %s is %lld, expected %lld\n", __FILE__, __LINE__, #actual,    \
			        check_a, check_e);                                                           \
			check_failures_in_test++;                                                            \
		}                                                                                            \
	} while (0)

#define CHECK_STR(actual, expected)                                                                          \
	do {                                                                                                 \
		const char *check_a = (actual), *check_e = (expected);                                       \
		if (check_a == NULL || strcmp(check_a, check_e) != 0) {                                      \
			fprintf(stderr, "%s:%d: %s is \"%s\", expected \"%s\"\n", __FILE__, __LINE__,         \
			        #actual, check_a ? check_a : "(null)", check_e);                             \
			check_failures_in_test++;                                                            \
		}                                                                                            \
	} while (0)

#define RUN(test)                                                                                            \
	do {                                                                                                 \
		check_failures_in_test = 0;                                                                  \
		test();                                                                                      \
		if (check_failures_in_test) {                                                                \
			fprintf(stderr, "FAIL %s\n", #test);                                                 \
			check_tests_failed++;                                                                \
		} else {                                                                                     \
			check_tests_passed++;                                                                \
		}                                                                                            \
	} while (0)

static inline int check_summary(const char *name)
{
	printf("%s: %d passed, %d failed\n", name, check_tests_passed, check_tests_failed);
	return check_tests_failed ? 1 : 0;
}

#endif
