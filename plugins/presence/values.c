/* SPDX-License-Identifier: MIT */
/*
 * Probe values by name ("load1", "disk_used_pct:/home", a script's KEY) and the lexical rules
 * shared by the expression language and the status templates.
 */
#include <stdarg.h>
#include <stdio.h>

#include "presence-internal.h"

void presence_values_done(struct presence_values *v)
{
        for (size_t i = 0; i < v->n; i++) {
                free(v->v[i].name);
                free(v->v[i].text);
        }
        free(v->v);
        *v = (struct presence_values){0};
}

static struct presence_value *find(const struct presence_values *v, const char *name)
{
        for (size_t i = 0; i < v->n; i++)
                if (streq(v->v[i].name, name))
                        return &v->v[i];
        return NULL;
}

const struct presence_value *presence_values_get(const struct presence_values *v, const char *name)
{
        return v ? find(v, name) : NULL;
}

int presence_values_set(struct presence_values *v, const char *name, const char *text)
{
        struct presence_value *e = find(v, name);
        char *t = NULL;

        if (text) {
                t = strdup(text);
                if (!t)
                        return -ENOMEM;
        }
        if (!e) {
                char *n = strdup(name);

                e = n ? array_grow((void **)&v->v, &v->n, sizeof(*v->v)) : NULL;
                if (!e) {
                        free(n);
                        free(t);
                        return -ENOMEM;
                }
                e->name = n;
        }
        free(e->text);
        e->text = t;
        e->has_num = t && presence_number_is_valid(t, strlen(t));
        e->num = e->has_num ? presence_number_parse(t, strlen(t)) : 0;
        return 0;
}

int presence_values_set_num(struct presence_values *v, const char *name, const char *text,
                            double num)
{
        struct presence_value *e;
        int r;

        r = presence_values_set(v, name, text);
        if (r < 0)
                return r;
        e = find(v, name);
        e->num = num;
        e->has_num = true;
        return 0;
}

int presence_values_setf(struct presence_values *v, const char *name, const char *fmt, ...)
{
        _cleanup_free_ char *text = NULL;
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = vasprintf(&text, fmt, ap);
        va_end(ap);
        if (r < 0)
                return -ENOMEM;
        return presence_values_set(v, name, text);
}

int presence_values_merge(struct presence_values *dst, const struct presence_values *src)
{
        for (size_t i = 0; i < src->n; i++) {
                int r = presence_values_set(dst, src->v[i].name, src->v[i].text);
                if (r < 0)
                        return r;
                if (src->v[i].has_num) {
                        struct presence_value *e = find(dst, src->v[i].name);
                        e->num = src->v[i].num;
                        e->has_num = true;
                }
        }
        return 0;
}

bool presence_values_lookup(const char *name, double *ret, void *userdata)
{
        const struct presence_value *e = presence_values_get(userdata, name);

        if (!e || !e->text || !e->has_num)
                return false;
        *ret = e->num;
        return true;
}

static bool is_digit(char c)
{
        return c >= '0' && c <= '9';
}

static bool is_ident_start(char c)
{
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool is_ident(char c)
{
        return is_ident_start(c) || is_digit(c);
}

bool presence_number_is_valid(const char *s, size_t len)
{
        size_t i = 0, digits = 0;

        if (i < len && s[i] == '-')
                i++;
        while (i < len && is_digit(s[i]))
                i++, digits++;
        if (digits == 0 || digits > 18)
                return false;
        if (i < len && s[i] == '.') {
                size_t frac = 0;

                i++;
                while (i < len && is_digit(s[i]))
                        i++, frac++;
                if (frac == 0 || frac > 18)
                        return false;
        }
        return i == len;
}

double presence_number_parse(const char *s, size_t len)
{
        uint64_t ip = 0, frac = 0, scale = 1;
        size_t i = 0;
        bool neg = len > 0 && s[0] == '-';
        double v;

        /* By hand rather than strtod(): the decimal point must not depend on the locale. At most
         * 18 digits on each side (checked by presence_number_is_valid()): no overflow. */
        for (i = neg; i < len && s[i] != '.'; i++)
                ip = ip * 10 + (uint64_t)(s[i] - '0');
        for (i++; i < len; i++) {
                frac = frac * 10 + (uint64_t)(s[i] - '0');
                scale *= 10;
        }
        v = (double)ip + (double)frac / (double)scale;
        return neg ? -v : v;
}

/* Path characters in a name: anything printable but what delimits names in expressions
 * (spaces, parentheses, operators) and templates (braces). */
static bool is_path_char(char c)
{
        return (unsigned char)c > ' ' && c != 0x7f && !strchr("(){}<>=!", c);
}

size_t presence_name_span(const char *s)
{
        size_t i = 0;

        if (!is_ident_start(s[0]))
                return 0;
        while (is_ident(s[i]))
                i++;
        if (s[i] != ':' || s[i + 1] != '/')
                return i;
        i++;
        while (is_path_char(s[i]))
                i++;
        return i;
}

bool presence_script_key_is_valid(const char *s)
{
        size_t i = 0;

        if (!is_ident_start(s[0]))
                return false;
        while (is_ident(s[i]))
                i++;
        return i <= 64 && s[i] == '\0';
}

void presence_scalar_pos(const struct ynode *n, const char *s, size_t off, unsigned *ret_line,
                         unsigned *ret_col)
{
        unsigned col;

        *ret_line = n ? n->line : 0;
        *ret_col = n ? n->col : 0;
        /* A block or multi-line scalar does not map back to columns (indentation is gone). */
        if (!n || n->type != YNODE_SCALAR || !n->scalar || !streq(n->scalar, s) || strchr(s, '\n'))
                return;
        col = n->col + !n->plain; /* skip the opening quote */
        for (size_t i = 0; i < off && s[i]; i++)
                if (((unsigned char)s[i] & 0xc0) != 0x80)
                        col++;
        *ret_col = col;
}
