/* SPDX-License-Identifier: MIT */
#include "template.h"

#include <stdarg.h>

/* One piece of a template: literal text or a variable reference. */
struct tpl_token {
        bool is_var;
        bool multi;       /* "{var...}" */
        const char *text; /* literal text or the variable name (not NUL-terminated) */
        size_t len;
        size_t offset; /* where the token starts in the template */
};

static bool name_char(char c)
{
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '_' || c == '.' || c == '-';
}

static const char *const builtins[] = {"from", "from_bare", "node", "lang", NULL};

bool template_var_is_builtin(const char *name)
{
        for (size_t i = 0; builtins[i]; i++)
                if (streq(name, builtins[i]))
                        return true;
        return false;
}

/* Reads "{name}" or "{name...}" at tpl[*pos] == '{'. On error, *ret_error says why and *pos is
 * the offending offset. */
static int lex_var(const char *tpl, size_t *pos, struct tpl_token *t, const char **ret_error)
{
        size_t start = *pos + 1, end = start;

        while (name_char(tpl[end]))
                end++;
        if (tpl[end] != '}') {
                *pos = tpl[end] ? end : *pos;
                *ret_error = tpl[end] ? "invalid character in variable name" : "unbalanced '{'";
                return -EINVAL;
        }
        t->is_var = true;
        t->offset = *pos;
        t->text = tpl + start;
        t->len = end - start;
        t->multi = t->len >= 3 && memcmp(tpl + end - 3, "...", 3) == 0;
        if (t->multi)
                t->len -= 3;
        if (t->len == 0) {
                *ret_error = "empty variable name";
                return -EINVAL;
        }
        *pos = end + 1;
        return 0;
}

/* Returns 1 with the next token, 0 at the end, -EINVAL on a syntax error. */
static int lex_next(const char *tpl, size_t *pos, struct tpl_token *t, const char **ret_error)
{
        size_t p = *pos, start = p;

        if (!tpl[p])
                return 0;
        *t = (struct tpl_token){.text = tpl + p, .offset = p};
        if ((tpl[p] == '{' && tpl[p + 1] == '{') || (tpl[p] == '}' && tpl[p + 1] == '}')) {
                t->len = 1; /* a doubled brace is one literal brace */
                *pos = p + 2;
                return 1;
        }
        if (tpl[p] == '{') {
                int r = lex_var(tpl, pos, t, ret_error);
                return r < 0 ? r : 1;
        }
        if (tpl[p] == '}') {
                *ret_error = "unbalanced '}' (write '}}' for a literal brace)";
                return -EINVAL;
        }
        while (tpl[p] && tpl[p] != '{' && tpl[p] != '}')
                p++;
        t->len = p - start;
        *pos = p;
        return 1;
}

/* Position of offset within the template's node: exact only for a one-line scalar. */
static void error_pos(const char *tpl, const struct ynode *where, size_t off, unsigned *line,
                      unsigned *col)
{
        *line = where ? where->line : 0;
        *col = where ? where->col : 0;
        if (!where || where->type != YNODE_SCALAR || !streq(where->scalar, tpl) ||
            strchr(tpl, '\n'))
                return;
        *col += (unsigned)off + !where->plain; /* skip the opening quote */
}

static int tpl_error(const char *tpl, const struct ynode *where, size_t off, struct diags *d,
                     const char *fmt, ...) _printf_(5, 6);
static int tpl_error(const char *tpl, const struct ynode *where, size_t off, struct diags *d,
                     const char *fmt, ...)
{
        _cleanup_free_ char *msg = NULL;
        unsigned line, col;
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = vasprintf(&msg, fmt, ap);
        va_end(ap);
        if (r < 0)
                return -ENOMEM;
        error_pos(tpl, where, off, &line, &col);
        r = diags_add(d, DIAG_ERROR, where ? where->file : NULL, line, col, "%s", msg);
        return r == -ENOMEM ? r : -EINVAL;
}

static bool var_is_declared(const struct form *form, const char *name)
{
        return template_var_is_builtin(name) || (form && form_find_field(form, name));
}

static int check_var(const char *tpl, const struct tpl_token *t, const struct form *form,
                     bool allow_multi, const struct ynode *where, struct diags *d)
{
        _cleanup_free_ char *name = strndup(t->text, t->len);

        if (!name)
                return -ENOMEM;
        if (!var_is_declared(form, name))
                return tpl_error(tpl, where, t->offset, d,
                                 "template references undeclared field '%s'", name);
        if (!t->multi)
                return 0;
        if (!allow_multi)
                return tpl_error(tpl, where, t->offset, d,
                                 "'{%s...}' is only allowed as a whole command argument", name);
        /* One argument per value: text around it would be copied into every one. */
        if (t->offset != 0 || tpl[t->offset + t->len + 5] != '\0')
                return tpl_error(tpl, where, t->offset, d,
                                 "'{%s...}' must be a whole argument, without other text", name);
        return 0;
}

int template_check(const char *tpl, const struct form *form, bool allow_multi,
                   const struct ynode *where, struct diags *d)
{
        struct tpl_token t;
        const char *error = NULL;
        size_t pos = 0;
        int r, ret = 0;

        while ((r = lex_next(tpl, &pos, &t, &error)) > 0) {
                if (!t.is_var)
                        continue;
                r = check_var(tpl, &t, form, allow_multi, where, d);
                if (r == -ENOMEM)
                        return r;
                if (r < 0)
                        ret = r;
        }
        if (r < 0)
                return tpl_error(tpl, where, pos, d, "%s in template", error);
        return ret;
}

struct buf {
        char *s;
        size_t len, cap;
};

static int buf_add(struct buf *b, const char *s, size_t len)
{
        if (b->len + len + 1 > b->cap) {
                size_t cap = (b->len + len + 1) * 2;
                char *n = realloc(b->s, cap);
                if (!n)
                        return -ENOMEM;
                b->s = n;
                b->cap = cap;
        }
        memcpy(b->s + b->len, s, len);
        b->len += len;
        b->s[b->len] = 0;
        return 0;
}

static int buf_adds(struct buf *b, const char *s)
{
        return buf_add(b, s, strlen(s));
}

static const char *builtin_value(const struct template_vars *vars, const char *name)
{
        if (streq(name, "from"))
                return strempty(vars->from);
        if (streq(name, "from_bare"))
                return strempty(vars->from_bare);
        if (streq(name, "node"))
                return strempty(vars->node);
        if (streq(name, "lang"))
                return strempty(vars->lang);
        return NULL;
}

/* Built-ins win over fields: a requester must not be able to pose as someone else. */
static int lookup(const struct template_vars *vars, const struct tpl_token *t,
                  const char **ret_single, char *const **ret_values)
{
        _cleanup_free_ char *name = strndup(t->text, t->len);
        const struct form_value *v;

        if (!name)
                return -ENOMEM;
        *ret_single = builtin_value(vars, name);
        *ret_values = NULL;
        if (*ret_single)
                return 0;
        v = vars->values ? form_values_find(vars->values, name) : NULL;
        if (v)
                *ret_values = v->values;
        return 0;
}

static int append_var(struct buf *b, const struct template_vars *vars, const struct tpl_token *t)
{
        const char *single;
        char *const *values;
        int r;

        r = lookup(vars, t, &single, &values);
        if (r < 0)
                return r;
        if (single)
                return buf_adds(b, single);
        for (size_t i = 0; values && values[i]; i++) {
                if (i > 0 && buf_adds(b, ", ") < 0)
                        return -ENOMEM;
                if (buf_adds(b, values[i]) < 0)
                        return -ENOMEM;
        }
        return 0;
}

static int expand(const char *tpl, const struct template_vars *vars, bool multi_ok, char **ret)
{
        struct buf b = {0};
        struct tpl_token t;
        const char *error;
        size_t pos = 0;
        int r;

        if (buf_add(&b, "", 0) < 0)
                return -ENOMEM;
        while ((r = lex_next(tpl, &pos, &t, &error)) > 0) {
                if (t.is_var && t.multi && !multi_ok)
                        r = -EINVAL;
                else if (t.is_var)
                        r = append_var(&b, vars, &t);
                else
                        r = buf_add(&b, t.text, t.len);
                if (r < 0)
                        break;
        }
        if (r < 0) {
                free(b.s);
                return r;
        }
        *ret = b.s;
        return 0;
}

int template_expand(const char *tpl, const struct template_vars *vars, char **ret)
{
        return expand(tpl, vars, true, ret);
}

/* Moves every string of *add to the end of *argv, all or nothing. */
static int strv_append_all(char ***argv, char ***add)
{
        size_t n = strv_length(*argv), m = strv_length(*add);
        char **l;

        l = reallocarray(*argv, n + m + 1, sizeof(char *));
        if (!l)
                return -ENOMEM;
        if (m > 0)
                memcpy(l + n, *add, m * sizeof(char *));
        l[n + m] = NULL;
        *argv = l;
        free(*add);
        *add = NULL;
        return 0;
}

/* The "{var...}" form; returns 1 if tpl is exactly one, with the token. */
static int whole_multi(const char *tpl, struct tpl_token *t)
{
        const char *error;
        size_t pos = 0;
        int r;

        r = lex_next(tpl, &pos, t, &error);
        if (r <= 0 || !t->is_var || !t->multi)
                return r < 0 ? r : 0;
        return tpl[pos] == '\0';
}

int template_expand_argv(const char *tpl, const struct template_vars *vars, char ***argv)
{
        _cleanup_strv_free_ char **add = NULL;
        struct tpl_token t;
        const char *single;
        char *const *values;
        char *s;
        int r;

        r = whole_multi(tpl, &t);
        if (r < 0)
                return r;
        if (r == 0) {
                /* Embedded references are inserted byte for byte, never split. */
                r = expand(tpl, vars, false, &s);
                if (r < 0)
                        return r;
                return strv_consume(argv, s);
        }
        r = lookup(vars, &t, &single, &values);
        if (r < 0)
                return r;
        if (single)
                r = strv_extend(&add, single);
        for (size_t i = 0; r >= 0 && values && values[i]; i++)
                r = strv_extend(&add, values[i]);
        if (r < 0)
                return r;
        return strv_append_all(argv, &add);
}
