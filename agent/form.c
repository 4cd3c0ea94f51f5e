/* SPDX-License-Identifier: MIT */
/* Form definitions and value sets: names, lookups and ownership. */
#include "form.h"
#include "form-internal.h"

#include <stdarg.h>
#include <stdio.h>

static const char *const field_type_names[_FORM_FIELD_TYPE_MAX] = {
    [FORM_FIELD_BOOLEAN] = "boolean",
    [FORM_FIELD_FIXED] = "fixed",
    [FORM_FIELD_HIDDEN] = "hidden",
    [FORM_FIELD_JID_MULTI] = "jid-multi",
    [FORM_FIELD_JID_SINGLE] = "jid-single",
    [FORM_FIELD_LIST_MULTI] = "list-multi",
    [FORM_FIELD_LIST_SINGLE] = "list-single",
    [FORM_FIELD_TEXT_MULTI] = "text-multi",
    [FORM_FIELD_TEXT_PRIVATE] = "text-private",
    [FORM_FIELD_TEXT_SINGLE] = "text-single",
};

static const char *const datatype_names[_FORM_DT_MAX] = {
    [FORM_DT_STRING] = "xs:string",
    [FORM_DT_INTEGER] = "xs:integer",
    [FORM_DT_INT] = "xs:int",
    [FORM_DT_LONG] = "xs:long",
    [FORM_DT_SHORT] = "xs:short",
    [FORM_DT_BYTE] = "xs:byte",
    [FORM_DT_UNSIGNED_INT] = "xs:unsignedInt",
    [FORM_DT_NON_NEGATIVE_INTEGER] = "xs:nonNegativeInteger",
    [FORM_DT_POSITIVE_INTEGER] = "xs:positiveInteger",
    [FORM_DT_DECIMAL] = "xs:decimal",
    [FORM_DT_DOUBLE] = "xs:double",
    [FORM_DT_BOOLEAN] = "xs:boolean",
    [FORM_DT_DATE] = "xs:date",
    [FORM_DT_DATETIME] = "xs:dateTime",
    [FORM_DT_TIME] = "xs:time",
    [FORM_DT_ANYURI] = "xs:anyURI",
    [FORM_DT_LANGUAGE] = "xs:language",
};

const char *form_field_type_to_string(enum form_field_type t)
{
        return (unsigned)t < _FORM_FIELD_TYPE_MAX ? field_type_names[t] : NULL;
}

int form_field_type_from_string(const char *s)
{
        for (size_t i = 0; s && i < _FORM_FIELD_TYPE_MAX; i++)
                if (streq(s, field_type_names[i]))
                        return (int)i;
        return -EINVAL;
}

const char *form_datatype_to_string(enum form_datatype t)
{
        return (unsigned)t < _FORM_DT_MAX ? datatype_names[t] : NULL;
}

/* Accepts "xs:integer" and, for convenience in policies, "integer". */
int form_datatype_from_string(const char *s)
{
        for (size_t i = 0; s && i < _FORM_DT_MAX; i++)
                if (streq(s, datatype_names[i]) || streq(s, datatype_names[i] + 3))
                        return (int)i;
        return -EINVAL;
}

struct form_field *form_add_field(struct form *f, enum form_field_type type, const char *var,
                                  const char *label)
{
        struct form_field *fld = array_grow((void **)&f->fields, &f->n_fields, sizeof(*fld));

        if (!fld)
                return NULL;
        fld->type = type;
        if (var && !(fld->var = strdup(var)))
                return NULL;
        if (label && i18n_set_plain(&fld->label, label) < 0)
                return NULL;
        return fld;
}

int form_field_add_option(struct form_field *f, const char *value, const char *label)
{
        struct form_option *o = array_grow((void **)&f->options, &f->n_options, sizeof(*o));

        if (!o || !(o->value = strdup(value)))
                return -ENOMEM;
        return i18n_set_plain(&o->label, label);
}

int form_field_set_regex(struct form_field *f, const char *regex)
{
        _cleanup_free_ char *copy = NULL;
        regex_t re;

        copy = strdup(regex);
        if (!copy)
                return -ENOMEM;
        if (regcomp(&re, regex, REG_EXTENDED) != 0)
                return -EINVAL;
        if (f->validate.has_regex)
                regfree(&f->validate.compiled);
        free(f->validate.regex);
        f->validate.regex = TAKE_PTR(copy);
        f->validate.compiled = re;
        f->validate.has_regex = true;
        return 0;
}

static void form_field_done(struct form_field *f)
{
        free(f->var);
        i18n_done(&f->label);
        i18n_done(&f->desc);
        strv_free(f->defaults);
        for (size_t i = 0; i < f->n_options; i++) {
                free(f->options[i].value);
                i18n_done(&f->options[i].label);
        }
        free(f->options);
        free(f->validate.min);
        free(f->validate.max);
        free(f->validate.regex);
        if (f->validate.has_regex)
                regfree(&f->validate.compiled);
}

struct form *form_free(struct form *f)
{
        if (!f)
                return NULL;
        i18n_done(&f->title);
        i18n_done(&f->instructions);
        for (size_t i = 0; i < f->n_fields; i++)
                form_field_done(&f->fields[i]);
        free(f->fields);
        free(f);
        return NULL;
}

const struct form_field *form_find_field(const struct form *f, const char *var)
{
        for (size_t i = 0; f && var && i < f->n_fields; i++)
                if (streq_ptr(f->fields[i].var, var))
                        return &f->fields[i];
        return NULL;
}

const char *form_field_name(const struct form_field *f)
{
        const char *label = i18n_pick(&f->label, "en");

        return isempty(label) ? strempty(f->var) : label;
}

size_t form_count_lines(const char *s)
{
        size_t n = 1;

        for (const char *p = s; *p; p++)
                if (*p == '\n' || (*p == '\r' && p[1] != '\n'))
                        n++;
        return n;
}

int form_split_lines(const char *s, char ***ret)
{
        _cleanup_strv_free_ char **l = NULL;
        const char *p = s;

        /* Sized up front: a value may hold thousands of line breaks. */
        l = calloc(form_count_lines(s) + 1, sizeof(char *));
        if (!l)
                return -ENOMEM;
        for (size_t i = 0;; i++) {
                size_t n = strcspn(p, "\r\n");

                l[i] = strndup(p, n);
                if (!l[i])
                        return -ENOMEM;
                p += n;
                if (!*p)
                        break;
                p += (p[0] == '\r' && p[1] == '\n') ? 2 : 1;
        }
        *ret = TAKE_PTR(l);
        return 0;
}

char *form_oneline(const char *s)
{
        char *c = strdup(s), *w = c;

        if (!c)
                return NULL;
        for (const char *p = s; *p; p++) {
                if (*p == '\r' && p[1] == '\n')
                        continue;
                *w++ = (*p == '\n' || *p == '\r') ? ' ' : *p;
        }
        *w = 0;
        return c;
}

void form_values_done(struct form_values *vals)
{
        if (!vals)
                return;
        for (size_t i = 0; i < vals->n; i++) {
                free(vals->v[i].var);
                strv_free(vals->v[i].values);
        }
        free(vals->v);
        *vals = (struct form_values){};
}

const struct form_value *form_values_find(const struct form_values *vals, const char *var)
{
        for (size_t i = 0; vals && var && i < vals->n; i++)
                if (streq(vals->v[i].var, var))
                        return &vals->v[i];
        return NULL;
}

const char *form_values_first(const struct form_values *vals, const char *var)
{
        const struct form_value *v = form_values_find(vals, var);

        return v && v->values ? v->values[0] : NULL;
}

static char **strv_copy_or_empty(char *const *l)
{
        return l ? strv_copy(l) : calloc(1, sizeof(char *));
}

int form_values_set(struct form_values *vals, const char *var, char *const *values, bool secret)
{
        _cleanup_strv_free_ char **copy = NULL;
        _cleanup_free_ char *var_copy = NULL;
        struct form_value *v;

        copy = strv_copy_or_empty(values);
        if (!copy)
                return -ENOMEM;
        v = (struct form_value *)form_values_find(vals, var);
        if (!v) {
                var_copy = strdup(var);
                if (!var_copy)
                        return -ENOMEM;
                v = array_grow((void **)&vals->v, &vals->n, sizeof(*vals->v));
                if (!v)
                        return -ENOMEM;
                v->var = TAKE_PTR(var_copy);
        }
        strv_free(v->values);
        v->values = TAKE_PTR(copy);
        v->secret = secret;
        return 0;
}

int form_values_copy(const struct form_values *src, struct form_values *ret)
{
        struct form_values c = {};
        int r;

        for (size_t i = 0; src && i < src->n; i++) {
                r = form_values_set(&c, src->v[i].var, src->v[i].values, src->v[i].secret);
                if (r < 0) {
                        form_values_done(&c);
                        return r;
                }
        }
        *ret = c;
        return 0;
}

int form_error(char **ret_error, const char *fmt, ...)
{
        va_list ap;
        char *s;
        int k;

        if (!ret_error)
                return -EINVAL;
        va_start(ap, fmt);
        k = vasprintf(&s, fmt, ap);
        va_end(ap);
        if (k < 0)
                return -ENOMEM;
        *ret_error = s;
        return -EINVAL;
}

int form_shown_len(const char *v)
{
        size_t n = strlen(v);

        if (n <= 64)
                return (int)n;
        n = 60;
        while (n > 0 && ((unsigned char)v[n] & 0xc0) == 0x80)
                n--;
        return (int)n;
}

xmpp_stanza_t *form_xml_new(xmpp_ctx_t *ctx, const char *name)
{
        xmpp_stanza_t *s = xmpp_stanza_new(ctx);

        if (s && xmpp_stanza_set_name(s, name) != XMPP_EOK) {
                xmpp_stanza_release(s);
                return NULL;
        }
        return s;
}

xmpp_stanza_t *form_xml_add(xmpp_stanza_t *parent, xmpp_stanza_t *child)
{
        if (!child)
                return NULL;
        if (xmpp_stanza_add_child_ex(parent, child, 0) != XMPP_EOK) {
                xmpp_stanza_release(child);
                return NULL;
        }
        return child;
}

xmpp_stanza_t *form_xml_add_text(xmpp_stanza_t *parent, const char *name, const char *text)
{
        xmpp_ctx_t *ctx = xmpp_stanza_get_context(parent);
        xmpp_stanza_t *e, *t;

        e = form_xml_add(parent, form_xml_new(ctx, name));
        if (!e || isempty(text))
                return e;
        t = xmpp_stanza_new(ctx);
        if (!t || xmpp_stanza_set_text(t, text) != XMPP_EOK) {
                if (t)
                        xmpp_stanza_release(t);
                return NULL;
        }
        return form_xml_add(e, t) ? e : NULL;
}
