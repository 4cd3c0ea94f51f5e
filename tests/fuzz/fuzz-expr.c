/* SPDX-License-Identifier: MIT */
/*
 * The presence "when:" expressions and status templates. For every expression that parses:
 * its canonical form parses to the same canonical form, and it evaluates to the same result
 * as that form with the same values. Any input: no crash, no leak, errors inside the input.
 */
#include "presence/presence-internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Deterministic values: a name's bytes pick its number, or unknown. */
static bool lookup(const char *name, double *ret, void *userdata)
{
        unsigned h = 0;

        for (const char *p = name; *p; p++)
                h = h * 31 + (unsigned char)*p;
        if (h % 5 == 0)
                return false;
        *ret = (double)(h % 200) / 2 - 20;
        return true;
}

static int count_name(const struct presence_expr *e, void *userdata)
{
        size_t *n = userdata;

        if (!e->text || presence_name_span(e->text) != strlen(e->text))
                abort();
        (*n)++;
        return 0;
}

static void check_expr(const char *s)
{
        struct presence_expr *e = NULL, *e2 = NULL;
        char *f = NULL, *f2 = NULL;
        const char *msg = NULL;
        size_t off = 0, names = 0;

        if (presence_expr_parse(s, &e, &off, &msg) < 0) {
                if (!msg || off > strlen(s))
                        abort();
                return;
        }
        if (presence_expr_foreach_name(e, count_name, &names) < 0)
                abort();
        if (presence_expr_format(e, &f) < 0)
                abort();
        if (presence_expr_parse(f, &e2, &off, &msg) < 0) {
                /* The canonical form may only be too long to read back. */
                if (strlen(f) <= PRESENCE_EXPR_MAX_LEN && !strstr(msg, "nested"))
                        abort();
        } else {
                if (presence_expr_format(e2, &f2) < 0 || strcmp(f, f2) != 0)
                        abort();
                if (presence_expr_eval(e, lookup, NULL) != presence_expr_eval(e2, lookup, NULL))
                        abort();
        }
        free(f);
        free(f2);
        presence_expr_free(e);
        presence_expr_free(e2);
}

static void check_status(const char *s)
{
        struct presence_values v = {0};
        const char *msg = NULL;
        size_t off = 0;
        char *out = NULL;
        int r;

        r = presence_status_parse(s, NULL, NULL, &off, &msg);
        if (r < 0 && (!msg || off > strlen(s)))
                abort();
        if (presence_values_set(&v, "load1", "0.5") < 0 ||
            presence_values_set(&v, "disk_used_pct:/", NULL) < 0)
                abort();
        /* Rendering accepts exactly what parsing accepts. */
        if ((presence_status_render(s, &v, &out) < 0) != (r < 0))
                abort();
        free(out);
        presence_values_done(&v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *s;

        if (size > 4096)
                return 0;
        s = strndup((const char *)data, size);
        if (!s)
                return 0;
        check_expr(s);
        check_status(s);
        free(s);
        return 0;
}
