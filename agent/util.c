/* SPDX-License-Identifier: MIT */
#include "util.h"

#include <ctype.h>
#include <inttypes.h>
#include <time.h>

char *strdup_or_null(const char *s)
{
        return s ? strdup(s) : NULL;
}

void *array_grow(void **arr, size_t *n, size_t sz)
{
        char *p = reallocarray(*arr, *n + 1, sz);
        if (!p)
                return NULL;
        *arr = p;
        memset(p + *n * sz, 0, sz);
        return p + (*n)++ * sz;
}

size_t strv_length(char *const *l)
{
        size_t n = 0;
        while (l && l[n])
                n++;
        return n;
}

char **strv_free(char **l)
{
        STRV_FOREACH (s, l)
                free(*s);
        free(l);
        return NULL;
}

int strv_consume(char ***l, char *value)
{
        size_t n = strv_length(*l);
        char **c;

        if (!value)
                return -ENOMEM;
        c = reallocarray(*l, n + 2, sizeof(char *));
        if (!c) {
                free(value);
                return -ENOMEM;
        }
        c[n] = value;
        c[n + 1] = NULL;
        *l = c;
        return 0;
}

int strv_extend(char ***l, const char *value)
{
        return strv_consume(l, strdup(value));
}

bool strv_contains(char *const *l, const char *s)
{
        STRV_FOREACH (i, (char **)l)
                if (streq(*i, s))
                        return true;
        return false;
}

char *strings_join(const char *const *v, size_t n, const char *sep)
{
        size_t len = 1, k = strlen(sep);
        char *s, *p;

        for (size_t i = 0; i < n; i++)
                len += strlen(v[i]) + (i > 0 ? k : 0);
        s = p = malloc(len);
        if (!s)
                return NULL;
        for (size_t i = 0; i < n; i++)
                p = stpcpy(i > 0 ? stpcpy(p, sep) : p, v[i]);
        *p = '\0';
        return s;
}

char **strv_copy(char *const *l)
{
        char **c = NULL;

        if (!l)
                return NULL;
        c = calloc(strv_length(l) + 1, sizeof(char *));
        if (!c)
                return NULL;
        for (size_t i = 0; l[i]; i++) {
                c[i] = strdup(l[i]);
                if (!c[i])
                        return strv_free(c);
        }
        return c;
}

usec_t now_usec(int clock)
{
        struct timespec ts;
        clock_gettime(clock, &ts);
        return (usec_t)ts.tv_sec * USEC_PER_SEC + (usec_t)ts.tv_nsec / 1000;
}

int parse_uint64(const char *s, uint64_t *ret)
{
        uint64_t v = 0;

        if (isempty(s))
                return -EINVAL;
        for (const char *p = s; *p; p++) {
                if (!isdigit((unsigned char)*p))
                        return -EINVAL;
                if (v > (UINT64_MAX - (uint64_t)(*p - '0')) / 10)
                        return -ERANGE;
                v = v * 10 + (uint64_t)(*p - '0');
        }
        *ret = v;
        return 0;
}

/* Splits "123unit" into a number and a unit looked up in a table of multipliers. */
static int parse_with_units(const char *s, const char *const *units, const uint64_t *mult,
                            size_t n_units, uint64_t *ret)
{
        char num[32];
        size_t i = 0;
        uint64_t v;
        int r;

        if (isempty(s))
                return -EINVAL;
        while (s[i] && isdigit((unsigned char)s[i]))
                i++;
        if (i == 0 || i >= sizeof(num))
                return -EINVAL;
        memcpy(num, s, i);
        num[i] = 0;
        r = parse_uint64(num, &v);
        if (r < 0)
                return r;
        for (size_t u = 0; u < n_units; u++) {
                if (!streq(s + i, units[u]))
                        continue;
                if (mult[u] && v > UINT64_MAX / mult[u])
                        return -ERANGE;
                *ret = v * mult[u];
                return 0;
        }
        return -EINVAL;
}

int parse_duration(const char *s, usec_t *ret)
{
        static const char *const units[] = {"", "s", "ms", "m", "min", "h", "d"};
        static const uint64_t mult[] = {USEC_PER_SEC,        USEC_PER_SEC,      USEC_PER_MSEC,
                                        60 * USEC_PER_SEC,   60 * USEC_PER_SEC, 3600 * USEC_PER_SEC,
                                        86400 * USEC_PER_SEC};
        return parse_with_units(s, units, mult, ELEMENTSOF(units), ret);
}

int parse_size(const char *s, uint64_t *ret)
{
        static const char *const units[] = {"", "B", "K", "KiB", "M", "MiB", "G", "GiB"};
        static const uint64_t mult[] = {1,           1,           1024,       1024,
                                        1024 * 1024, 1024 * 1024, 1024 << 20, 1024 << 20};
        return parse_with_units(s, units, mult, ELEMENTSOF(units), ret);
}

bool utf8_is_clean(const char *s, bool allow_newline)
{
        const unsigned char *p = (const unsigned char *)s;

        while (*p) {
                unsigned len, cp;
                if (*p < 0x80) {
                        if ((*p < 0x20 && *p != '\t' &&
                             !(allow_newline && (*p == '\n' || *p == '\r'))) ||
                            *p == 0x7f)
                                return false;
                        p++;
                        continue;
                }
                if ((*p & 0xe0) == 0xc0)
                        len = 2, cp = *p & 0x1f;
                else if ((*p & 0xf0) == 0xe0)
                        len = 3, cp = *p & 0x0f;
                else if ((*p & 0xf8) == 0xf0)
                        len = 4, cp = *p & 0x07;
                else
                        return false;
                for (unsigned i = 1; i < len; i++) {
                        if ((p[i] & 0xc0) != 0x80)
                                return false;
                        cp = (cp << 6) | (p[i] & 0x3f);
                }
                /* Overlong forms, surrogates and out-of-range code points. */
                if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) ||
                    (len == 4 && cp < 0x10000) || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
                        return false;
                p += len;
        }
        return true;
}
