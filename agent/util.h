/* SPDX-License-Identifier: MIT */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define _cleanup_(f)   __attribute__((cleanup(f)))
#define _printf_(a, b) __attribute__((format(printf, a, b)))
#define _unused_       __attribute__((unused))
#define _pure_         __attribute__((pure))

#define ELEMENTSOF(x) (sizeof(x) / sizeof((x)[0]))

/* Hand ownership over: returns the pointer and leaves NULL behind. */
#define TAKE_PTR(p)                                                                                \
        ({                                                                                         \
                __typeof__(p) _p_ = (p);                                                           \
                (p) = NULL;                                                                        \
                _p_;                                                                               \
        })

static inline void freep(void *p)
{
        free(*(void **)p);
}
#define _cleanup_free_ _cleanup_(freep)

/* Declares a cleanup function fooP() that calls foo() on a non-NULL pointer. */
#define DEFINE_TRIVIAL_CLEANUP_FUNC(type, func)                                                    \
        static inline void func##p(type *p)                                                        \
        {                                                                                          \
                if (*p)                                                                            \
                        func(*p);                                                                  \
        }

#define streq(a, b) (strcmp((a), (b)) == 0)
static inline bool streq_ptr(const char *a, const char *b)
{
        if (!a || !b)
                return a == b;
        return streq(a, b);
}
static inline const char *strempty(const char *s)
{
        return s ? s : "";
}
static inline bool isempty(const char *s)
{
        return !s || !*s;
}

/* Allocation helpers that abort on OOM are deliberately absent: callers return -ENOMEM. */
static inline void *zalloc(size_t n)
{
        return calloc(1, n);
}

char *strdup_or_null(const char *s);
/* Appends to a growable array of n elements of size sz; returns a pointer to the new zeroed slot.
 */
void *array_grow(void **arr, size_t *n, size_t sz);

/* NULL-terminated string vectors. */
typedef char **strv_t;
#define STRV_FOREACH(s, l) for (char **s = (l); s && *s; s++)
size_t strv_length(char *const *l);
char **strv_free(char **l);
DEFINE_TRIVIAL_CLEANUP_FUNC(char **, strv_free)
#define _cleanup_strv_free_ _cleanup_(strv_freep)
/* Takes ownership of value; returns -ENOMEM (and frees value) on failure. */
int strv_consume(char ***l, char *value);
int strv_extend(char ***l, const char *value);
bool strv_contains(char *const *l, const char *s) _pure_;
char **strv_copy(char *const *l);
/* The n strings of v joined with sep, newly allocated; NULL when out of memory. */
char *strings_join(const char *const *v, size_t n, const char *sep);

/* Time in microseconds, as sd-event uses. */
typedef uint64_t usec_t;
#define USEC_PER_SEC  UINT64_C(1000000)
#define USEC_PER_MSEC UINT64_C(1000)
#define USEC_INFINITY UINT64_MAX
usec_t now_usec(int clock);

/* Parses "25s", "10m", "1h", "500ms", "2" (seconds). */
int parse_duration(const char *s, usec_t *ret);
/* Parses "64KiB", "1MiB", "100" (bytes). */
int parse_size(const char *s, uint64_t *ret);
/* Strict unsigned parse: digits only, no sign, no overflow. */
int parse_uint64(const char *s, uint64_t *ret);
/* Checks UTF-8 validity and absence of control characters other than \t and (if allow_nl) \n. */
bool utf8_is_clean(const char *s, bool allow_newline) _pure_;
