/* SPDX-License-Identifier: MIT */
#pragma once

/* Minimal assertion helpers for unit tests: fail loudly with the location and keep going. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int tests_failed;

/* As in the agent: children are reaped by sd-event child sources, which need SIGCHLD blocked. */
static inline void tests_block_sigchld(void)
{
        sigset_t mask;

        sigemptyset(&mask);
        sigaddset(&mask, SIGCHLD);
        sigprocmask(SIG_BLOCK, &mask, NULL);
}

#define CHECK(expr)                                                                                \
        do {                                                                                       \
                if (!(expr)) {                                                                     \
                        fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #expr);   \
                        tests_failed++;                                                            \
                }                                                                                  \
        } while (0)

#define CHECK_STREQ(a, b)                                                                          \
        do {                                                                                       \
                const char *_a = (a), *_b = (b);                                                   \
                if (!_a || !_b || strcmp(_a, _b) != 0) {                                           \
                        fprintf(stderr,                                                            \
                                "%s:%d: CHECK_STREQ failed: %s = \"%s\", expected \"%s\"\n",       \
                                __FILE__, __LINE__, #a, _a ? _a : "(null)", _b ? _b : "(null)");   \
                        tests_failed++;                                                            \
                }                                                                                  \
        } while (0)

#define CHECK_INT(a, b)                                                                            \
        do {                                                                                       \
                long long _a = (long long)(a), _b = (long long)(b);                                \
                if (_a != _b) {                                                                    \
                        fprintf(stderr, "%s:%d: CHECK_INT failed: %s = %lld, expected %lld\n",     \
                                __FILE__, __LINE__, #a, _a, _b);                                   \
                        tests_failed++;                                                            \
                }                                                                                  \
        } while (0)

#define TESTS_RESULT()                                                                             \
        (tests_failed ? (fprintf(stderr, "%d check(s) failed\n", tests_failed), 1) : 0)
