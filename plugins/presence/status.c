/* SPDX-License-Identifier: MIT */
/*
 * Status templates: "load {load1} · / {disk_used_pct:/}%". A dedicated renderer rather than
 * template.c's, because value names hold ':' and '/' and a missing value renders as '?'.
 * "{{" and "}}" are literal braces, as in command templates.
 */
#include "presence-internal.h"

/* One piece: literal text or a name (not NUL-terminated). */
struct piece {
        bool is_name;
        const char *text;
        size_t len, offset;
};

/* Returns 1 with the next piece, 0 at the end, -EINVAL on a syntax error. */
static int next_piece(const char *tpl, size_t *pos, struct piece *ret, size_t *ret_offset,
                      const char **ret_msg)
{
        size_t p = *pos, len;

        if (!tpl[p])
                return 0;
        *ret = (struct piece){.text = tpl + p, .offset = p};
        if ((tpl[p] == '{' && tpl[p + 1] == '{') || (tpl[p] == '}' && tpl[p + 1] == '}')) {
                ret->len = 1;
                *pos = p + 2;
                return 1;
        }
        if (tpl[p] == '}') {
                *ret_offset = p;
                *ret_msg = "unbalanced '}' (write '}}' for a literal brace)";
                return -EINVAL;
        }
        if (tpl[p] != '{') {
                ret->len = strcspn(tpl + p, "{}");
                *pos = p + ret->len;
                return 1;
        }
        len = presence_name_span(tpl + p + 1);
        if (len == 0 || tpl[p + 1 + len] != '}') {
                char c = tpl[p + 1 + len];

                *ret_offset = c ? p + 1 + len : p;
                *ret_msg = !c         ? "unbalanced '{' (write '{{' for a literal brace)"
                           : len == 0 ? "expected a value name after '{'"
                                      : "invalid character in a value name";
                return -EINVAL;
        }
        *ret = (struct piece){.is_name = true, .text = tpl + p + 1, .len = len, .offset = p};
        *pos = p + len + 2;
        return 1;
}

int presence_status_parse(const char *tpl,
                          int (*fn)(const char *name, size_t len, size_t offset, void *userdata),
                          void *userdata, size_t *ret_offset, const char **ret_msg)
{
        struct piece piece;
        size_t pos = 0;
        int r;

        while ((r = next_piece(tpl, &pos, &piece, ret_offset, ret_msg)) > 0) {
                if (!piece.is_name || !fn)
                        continue;
                r = fn(piece.text, piece.len, piece.offset, userdata);
                if (r < 0)
                        return r;
        }
        return r;
}

struct buf {
        char *s;
        size_t len;
};

static int buf_add(struct buf *b, const char *s, size_t len)
{
        char *n = realloc(b->s, b->len + len + 1);

        if (!n)
                return -ENOMEM;
        memcpy(n + b->len, s, len);
        b->len += len;
        n[b->len] = '\0';
        b->s = n;
        return 0;
}

int presence_status_render(const char *tpl, const struct presence_values *v, char **ret)
{
        struct buf b = {0};
        struct piece piece;
        size_t pos = 0, off;
        const char *msg;
        int r;

        r = buf_add(&b, "", 0);
        while (r >= 0 && (r = next_piece(tpl, &pos, &piece, &off, &msg)) > 0) {
                _cleanup_free_ char *name = NULL;
                const struct presence_value *e;

                if (!piece.is_name) {
                        r = buf_add(&b, piece.text, piece.len);
                        continue;
                }
                name = strndup(piece.text, piece.len);
                if (!name) {
                        r = -ENOMEM;
                        break;
                }
                e = presence_values_get(v, name);
                r = e && e->text ? buf_add(&b, e->text, strlen(e->text)) : buf_add(&b, "?", 1);
        }
        if (r < 0) {
                free(b.s);
                return r;
        }
        *ret = b.s;
        return 0;
}

int presence_status_render_i18n(const struct i18n *tpl, const struct presence_values *v,
                                struct i18n *ret)
{
        struct i18n out = {0};
        int r = 0;

        for (size_t i = 0; tpl && i < tpl->n && r >= 0; i++) {
                struct i18n_entry *e = array_grow((void **)&out.v, &out.n, sizeof(*out.v));

                if (!e) {
                        r = -ENOMEM;
                        break;
                }
                r = presence_status_render(tpl->v[i].text, v, &e->text);
                if (r >= 0 && tpl->v[i].lang && !(e->lang = strdup(tpl->v[i].lang)))
                        r = -ENOMEM;
        }
        if (r < 0) {
                i18n_done(&out);
                return r;
        }
        *ret = out;
        return 0;
}

bool presence_i18n_equal(const struct i18n *a, const struct i18n *b)
{
        size_t na = a ? a->n : 0, nb = b ? b->n : 0;

        if (na != nb)
                return false;
        for (size_t i = 0; i < na; i++)
                if (!streq_ptr(a->v[i].lang, b->v[i].lang) ||
                    !streq_ptr(a->v[i].text, b->v[i].text))
                        return false;
        return true;
}

int presence_i18n_copy(const struct i18n *src, struct i18n *ret)
{
        struct i18n out = {0};

        for (size_t i = 0; src && i < src->n; i++) {
                struct i18n_entry *e = array_grow((void **)&out.v, &out.n, sizeof(*out.v));

                if (!e || !(e->text = strdup_or_null(src->v[i].text)) ||
                    (src->v[i].lang && !(e->lang = strdup(src->v[i].lang)))) {
                        i18n_done(&out);
                        return -ENOMEM;
                }
        }
        *ret = out;
        return 0;
}
