/* SPDX-License-Identifier: MIT */
/* Lookups and typed accessors on a loaded ynode tree, with positioned diagnostics. */
#include "ynode.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <strings.h>

const struct ynode *ynode_get(const struct ynode *map, const char *key)
{
        if (!map || map->type != YNODE_MAP)
                return NULL;
        for (size_t i = 0; i < map->n; i++)
                if (streq(map->keys[i]->scalar, key))
                        return map->items[i];
        return NULL;
}

bool ynode_is_null(const struct ynode *n)
{
        static const char *const nulls[] = {"", "~", "null", "Null", "NULL"};

        if (!n)
                return true;
        if (n->type != YNODE_SCALAR || !n->plain)
                return false;
        for (size_t i = 0; i < ELEMENTSOF(nulls); i++)
                if (streq(n->scalar, nulls[i]))
                        return true;
        return false;
}

static int ynode_vreport(const struct ynode *n, struct diags *d, enum diag_level level,
                         const char *fmt, va_list ap) _printf_(4, 0);
static int ynode_vreport(const struct ynode *n, struct diags *d, enum diag_level level,
                         const char *fmt, va_list ap)
{
        _cleanup_free_ char *msg = NULL;

        if (vasprintf(&msg, fmt, ap) < 0)
                return -ENOMEM;
        if (!n)
                return diags_add(d, level, NULL, 0, 0, "%s", msg);
        return diags_add(d, level, n->file, n->line, n->col, "%s", msg);
}

int ynode_error(const struct ynode *n, struct diags *d, const char *fmt, ...)
{
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = ynode_vreport(n, d, DIAG_ERROR, fmt, ap);
        va_end(ap);
        return r == -ENOMEM ? r : -EINVAL;
}

int ynode_warning(const struct ynode *n, struct diags *d, const char *fmt, ...)
{
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = ynode_vreport(n, d, DIAG_WARNING, fmt, ap);
        va_end(ap);
        return r;
}

/* An accessor's complaint: names the key when the node is a map value. */
static int type_error(const struct ynode *n, struct diags *d, const char *fmt, ...) _printf_(3, 4);
static int type_error(const struct ynode *n, struct diags *d, const char *fmt, ...)
{
        _cleanup_free_ char *msg = NULL;
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = vasprintf(&msg, fmt, ap);
        va_end(ap);
        if (r < 0)
                return -ENOMEM;
        if (n && n->key)
                return ynode_error(n, d, "%s: %s", n->key, msg);
        return ynode_error(n, d, "%s", msg);
}

static const char *ynode_describe(const struct ynode *n)
{
        if (!n)
                return "nothing";
        switch (n->type) {
        case YNODE_MAP:
                return "a map";
        case YNODE_SEQ:
                return "a list";
        case YNODE_SCALAR:
                break;
        }
        return ynode_is_null(n) ? "null" : "a scalar";
}

static const char *type_name(enum ynode_type t)
{
        switch (t) {
        case YNODE_MAP:
                return "a map";
        case YNODE_SEQ:
                return "a list";
        case YNODE_SCALAR:
                break;
        }
        return "a scalar";
}

int ynode_expect(const struct ynode *n, enum ynode_type type, struct diags *d)
{
        if (n && n->type == type)
                return 0;
        return type_error(n, d, "expected %s, got %s", type_name(type), ynode_describe(n));
}

/* A non-null scalar, or an error naming what was expected. */
static int expect_value(const struct ynode *n, const char *what, struct diags *d)
{
        if (n && n->type == YNODE_SCALAR && !ynode_is_null(n))
                return 0;
        return type_error(n, d, "expected %s, got %s", what, ynode_describe(n));
}

int ynode_string(const struct ynode *n, char **ret, struct diags *d)
{
        char *s;
        int r;

        r = expect_value(n, "a string", d);
        if (r < 0)
                return r;
        s = strdup(n->scalar);
        if (!s)
                return -ENOMEM;
        *ret = s;
        return 0;
}

/* YAML 1.1 booleans, as written unquoted: a quoted "yes" is a string, not a boolean. */
int ynode_bool(const struct ynode *n, bool *ret, struct diags *d)
{
        static const char *const yes[] = {"true", "yes", "on"};
        static const char *const no[] = {"false", "no", "off"};

        if (n && n->type == YNODE_SCALAR && n->plain)
                for (size_t i = 0; i < ELEMENTSOF(yes); i++) {
                        if (strcasecmp(n->scalar, yes[i]) == 0) {
                                *ret = true;
                                return 0;
                        }
                        if (strcasecmp(n->scalar, no[i]) == 0) {
                                *ret = false;
                                return 0;
                        }
                }
        if (n && n->type == YNODE_SCALAR)
                return type_error(n, d, "expected a boolean (true or false), got '%s'%s", n->scalar,
                                  n->plain ? "" : " (quoted)");
        return type_error(n, d, "expected a boolean (true or false), got %s", ynode_describe(n));
}

int ynode_uint(const struct ynode *n, uint64_t min, uint64_t max, uint64_t *ret, struct diags *d)
{
        uint64_t v;
        int r;

        r = expect_value(n, "an integer", d);
        if (r < 0)
                return r;
        if (parse_uint64(n->scalar, &v) < 0 || v < min || v > max)
                return type_error(
                    n, d, "expected an integer between %" PRIu64 " and %" PRIu64 ", got '%s'", min,
                    max, n->scalar);
        *ret = v;
        return 0;
}

int ynode_int(const struct ynode *n, int64_t min, int64_t max, int64_t *ret, struct diags *d)
{
        const char *s;
        uint64_t u;
        int64_t v;
        int r;

        r = expect_value(n, "an integer", d);
        if (r < 0)
                return r;
        s = n->scalar + (n->scalar[0] == '-' || n->scalar[0] == '+');
        r = parse_uint64(s, &u);
        if (r >= 0 && u > (uint64_t)INT64_MAX + (n->scalar[0] == '-'))
                r = -ERANGE;
        if (r >= 0) {
                v = n->scalar[0] == '-' ? (int64_t)(0 - u) : (int64_t)u;
                if (v >= min && v <= max) {
                        *ret = v;
                        return 0;
                }
        }
        return type_error(n, d, "expected an integer between %" PRId64 " and %" PRId64 ", got '%s'",
                          min, max, n->scalar);
}

int ynode_duration(const struct ynode *n, usec_t *ret, struct diags *d)
{
        int r;

        r = expect_value(n, "a duration", d);
        if (r < 0)
                return r;
        if (parse_duration(n->scalar, ret) < 0)
                return type_error(n, d, "invalid duration '%s' (examples: 500ms, 30s, 10m, 1h)",
                                  n->scalar);
        return 0;
}

/* A bound in the largest unit that divides it exactly; a single day reads better as 24h. */
static void format_bound(usec_t u, char *buf, size_t size)
{
        static const struct {
                const char *unit;
                usec_t mult;
        } units[] = {{"d", 86400 * USEC_PER_SEC}, {"h", 3600 * USEC_PER_SEC},
                     {"m", 60 * USEC_PER_SEC},    {"s", USEC_PER_SEC},
                     {"ms", USEC_PER_MSEC},       {"us", 1}};
        size_t i = u == units[0].mult ? 1 : 0;

        while (i + 1 < ELEMENTSOF(units) && u % units[i].mult != 0)
                i++;
        snprintf(buf, size, "%" PRIu64 "%s", u / units[i].mult, units[i].unit);
}

int ynode_duration_between(const struct ynode *n, usec_t min, usec_t max, usec_t *ret,
                           struct diags *d)
{
        char lo[32], hi[32];
        usec_t v;
        int r;

        r = ynode_duration(n, &v, d);
        if (r < 0)
                return r;
        if (v >= min && v <= max) {
                *ret = v;
                return 0;
        }
        format_bound(min, lo, sizeof(lo));
        format_bound(max, hi, sizeof(hi));
        /* A minimum of 1us only excludes 0: say so. */
        if (min == 1 && max == USEC_INFINITY)
                return type_error(n, d, "must be more than 0, not '%s'", n->scalar);
        if (min == 1)
                return type_error(n, d, "must be more than 0 and at most %s, not '%s'", hi,
                                  n->scalar);
        if (max == USEC_INFINITY)
                return type_error(n, d, "must be at least %s, not '%s'", lo, n->scalar);
        if (min == 0)
                return type_error(n, d, "must be at most %s, not '%s'", hi, n->scalar);
        return type_error(n, d, "must be between %s and %s, not '%s'", lo, hi, n->scalar);
}

int ynode_size(const struct ynode *n, uint64_t *ret, struct diags *d)
{
        int r;

        r = expect_value(n, "a size", d);
        if (r < 0)
                return r;
        if (parse_size(n->scalar, ret) < 0)
                return type_error(n, d, "invalid size '%s' (examples: 4096, 64KiB, 1MiB)",
                                  n->scalar);
        return 0;
}

/* A null (or absent) node is an empty list; *ret is never NULL on success. */
int ynode_strv(const struct ynode *n, char ***ret, struct diags *d)
{
        _cleanup_strv_free_ char **l = NULL;
        int r = 0;

        l = calloc(1, sizeof(char *));
        if (!l)
                return -ENOMEM;
        if (n && n->type == YNODE_SCALAR && !ynode_is_null(n)) {
                if (strv_extend(&l, n->scalar) < 0)
                        return -ENOMEM;
        } else if (n && n->type == YNODE_SEQ) {
                for (size_t i = 0; i < n->n; i++) {
                        const struct ynode *item = n->items[i];
                        if (expect_value(item, "a string", d) < 0)
                                r = -EINVAL;
                        else if (strv_extend(&l, item->scalar) < 0)
                                return -ENOMEM;
                }
        } else if (!ynode_is_null(n)) {
                return type_error(n, d, "expected a string or a list of strings, got %s",
                                  ynode_describe(n));
        }
        if (r < 0)
                return r;
        *ret = TAKE_PTR(l);
        return 0;
}

int ynode_name_mask(const struct ynode *n, const char *key, const char *what,
                    const char *const *names, size_t n_names, unsigned *ret, struct diags *d)
{
        _cleanup_strv_free_ char **l = NULL;
        _cleanup_free_ char *choices = NULL;
        unsigned mask = 0;
        int r = 0;

        if (n_names > 32)
                return -EINVAL; /* a programming error: the mask has 32 bits */
        if (ynode_strv(n, &l, d) < 0)
                return -EINVAL;
        STRV_FOREACH (s, l) {
                size_t i = 0;

                while (i < n_names && !streq(*s, names[i]))
                        i++;
                if (i < n_names) {
                        mask |= 1u << i;
                        continue;
                }
                if (!choices) {
                        choices = strings_join(names, n_names, ", ");
                        if (!choices)
                                return -ENOMEM;
                }
                r = ynode_error(n, d, "%s: unknown %s '%s' (any of: %s)", key, what, *s, choices);
        }
        if (r < 0)
                return r;
        *ret = mask;
        return 0;
}

static size_t min3(size_t a, size_t b, size_t c)
{
        return a < b ? (a < c ? a : c) : (b < c ? b : c);
}

/* Edit distance, for "did you mean" hints; only called on short strings. */
static size_t edit_distance(const char *a, const char *b)
{
        size_t la = strlen(a), lb = strlen(b), prev[64], cur[64];

        if (lb >= ELEMENTSOF(prev))
                return SIZE_MAX;
        for (size_t j = 0; j <= lb; j++)
                prev[j] = j;
        for (size_t i = 1; i <= la; i++) {
                cur[0] = i;
                for (size_t j = 1; j <= lb; j++)
                        cur[j] =
                            min3(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] != b[j - 1]));
                memcpy(prev, cur, (lb + 1) * sizeof(size_t));
        }
        return prev[lb];
}

static const char *closest_key(const char *key, const char *const *allowed)
{
        const char *best = NULL;
        size_t best_d = SIZE_MAX, len = strlen(key);

        if (len > 64)
                return NULL;
        for (size_t i = 0; allowed[i]; i++) {
                size_t dist = strcasecmp(key, allowed[i]) == 0 ? 0 : edit_distance(key, allowed[i]);
                if (dist < best_d) {
                        best_d = dist;
                        best = allowed[i];
                }
        }
        /* Close enough to be a typo, not a different word. */
        return best_d <= 2 && best_d < len ? best : NULL;
}

static bool key_is_allowed(const char *key, const char *const *allowed)
{
        for (size_t i = 0; allowed[i]; i++)
                if (streq(key, allowed[i]))
                        return true;
        return false;
}

int ynode_check_keys(const struct ynode *map, const char *const *allowed, struct diags *d)
{
        int r = 0;

        if (ynode_expect(map, YNODE_MAP, d) < 0)
                return -EINVAL;
        for (size_t i = 0; i < map->n; i++) {
                const struct ynode *k = map->keys[i];
                const char *hint;

                if (key_is_allowed(k->scalar, allowed))
                        continue;
                hint = closest_key(k->scalar, allowed);
                if (hint)
                        r = ynode_error(k, d, "unknown key '%s' (did you mean '%s'?)", k->scalar,
                                        hint);
                else
                        r = ynode_error(k, d, "unknown key '%s'", k->scalar);
                if (r == -ENOMEM)
                        return r;
        }
        return r;
}
