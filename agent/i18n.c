/* SPDX-License-Identifier: MIT */
#include "i18n.h"

#include <ctype.h>
#include <strings.h>

static bool subtag_ok(const char *s, size_t len, bool first)
{
        if (len == 0 || len > 8)
                return false;
        /* The primary subtag is letters: 2-8, or the singletons of private use and legacy tags. */
        if (first && len == 1 && !strchr("xXiI", s[0]))
                return false;
        for (size_t i = 0; i < len; i++)
                if (first ? !isalpha((unsigned char)s[i]) : !isalnum((unsigned char)s[i]))
                        return false;
        return true;
}

bool lang_tag_is_valid(const char *tag)
{
        const char *p = tag;

        if (isempty(tag) || strlen(tag) > 35)
                return false;
        for (bool first = true;; first = false) {
                size_t len = strcspn(p, "-");
                if (!subtag_ok(p, len, first))
                        return false;
                if (!p[len])
                        return true;
                p += len + 1;
        }
}

/* Length of the primary subtag ("fr" in "fr-CA"). */
static size_t primary_len(const char *tag)
{
        return strcspn(tag, "-");
}

static const struct i18n_entry *pick(const struct i18n *t, const char *lang)
{
        size_t plen;

        if (!t || t->n == 0)
                return NULL;
        if (isempty(lang))
                return &t->v[0];
        for (size_t i = 0; i < t->n; i++)
                if (t->v[i].lang && strcasecmp(t->v[i].lang, lang) == 0)
                        return &t->v[i];
        /* "fr-CA" asked: a plain "fr" is the best fallback... */
        plen = primary_len(lang);
        for (size_t i = 0; i < t->n; i++)
                if (t->v[i].lang && strlen(t->v[i].lang) == plen &&
                    strncasecmp(t->v[i].lang, lang, plen) == 0)
                        return &t->v[i];
        /* ...then any tag with the same primary subtag ("fr-FR" for "fr"). */
        for (size_t i = 0; i < t->n; i++)
                if (t->v[i].lang && primary_len(t->v[i].lang) == plen &&
                    strncasecmp(t->v[i].lang, lang, plen) == 0)
                        return &t->v[i];
        return &t->v[0];
}

const char *i18n_pick_lang(const struct i18n *t, const char *lang, const char **ret_lang)
{
        const struct i18n_entry *e = pick(t, lang);

        if (!e)
                return NULL;
        if (ret_lang)
                *ret_lang = e->lang;
        return e->text;
}

const char *i18n_pick(const struct i18n *t, const char *lang)
{
        return i18n_pick_lang(t, lang, NULL);
}

void i18n_done(struct i18n *t)
{
        if (!t)
                return;
        for (size_t i = 0; i < t->n; i++) {
                free(t->v[i].lang);
                free(t->v[i].text);
        }
        free(t->v);
        *t = (struct i18n){0};
}

static void i18n_donep(struct i18n *t)
{
        i18n_done(t);
}

bool i18n_is_empty(const struct i18n *t)
{
        return !t || t->n == 0;
}

static int i18n_add(struct i18n *t, const char *lang, const char *text)
{
        struct i18n_entry *e;
        char *l = NULL, *x;

        x = strdup(text);
        if (lang)
                l = strdup(lang);
        if (!x || (lang && !l)) {
                free(x);
                free(l);
                return -ENOMEM;
        }
        e = array_grow((void **)&t->v, &t->n, sizeof(*t->v));
        if (!e) {
                free(x);
                free(l);
                return -ENOMEM;
        }
        e->lang = l;
        e->text = x;
        return 0;
}

int i18n_set_plain(struct i18n *t, const char *text)
{
        _cleanup_(i18n_donep) struct i18n n = {0};
        int r;

        r = i18n_add(&n, NULL, text);
        if (r < 0)
                return r;
        i18n_done(t);
        *t = n;
        n = (struct i18n){0};
        return 0;
}

static int add_lang(struct i18n *t, const struct ynode *key, const struct ynode *value,
                    struct diags *d)
{
        const char *lang = key->scalar;

        if (!lang_tag_is_valid(lang))
                return ynode_error(key, d, "invalid language tag '%s'", lang);
        for (size_t i = 0; i < t->n; i++)
                if (strcasecmp(t->v[i].lang, lang) == 0)
                        return ynode_error(key, d, "language '%s' given twice", lang);
        if (!value || value->type != YNODE_SCALAR || ynode_is_null(value))
                return ynode_error(value, d, "expected a text for language '%s'", lang);
        return i18n_add(t, lang, value->scalar);
}

int i18n_from_ynode(const struct ynode *n, struct i18n *ret, struct diags *d)
{
        _cleanup_(i18n_donep) struct i18n t = {0};
        int r = 0;

        if (n && n->type == YNODE_SCALAR && !ynode_is_null(n)) {
                r = i18n_add(&t, NULL, n->scalar);
        } else if (n && n->type == YNODE_MAP && n->n > 0) {
                for (size_t i = 0; i < n->n; i++) {
                        int k = add_lang(&t, n->keys[i], n->items[i], d);
                        if (k == -ENOMEM)
                                return k;
                        if (k < 0)
                                r = k;
                }
        } else {
                return ynode_error(n, d, "expected a text or a map of languages to texts");
        }
        if (r < 0)
                return r;
        *ret = t;
        t = (struct i18n){0};
        return 0;
}

int i18n_copy(const struct i18n *src, struct i18n *ret)
{
        struct i18n t = {0};

        for (size_t i = 0; src && i < src->n; i++) {
                struct i18n_entry *e = array_grow((void **)&t.v, &t.n, sizeof(*e));

                if (!e)
                        goto fail;
                e->lang = strdup_or_null(src->v[i].lang);
                e->text = strdup(src->v[i].text);
                if (!e->text || (src->v[i].lang && !e->lang))
                        goto fail;
        }
        *ret = t;
        return 0;
fail:
        i18n_done(&t);
        return -ENOMEM;
}
