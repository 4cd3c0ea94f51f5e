/* SPDX-License-Identifier: MIT */
/* Parsing of a submitted <x xmlns='jabber:x:data'/>: shape and limits only; the definition is
 * applied later by form_validate(). */
#include "form.h"
#include "form-internal.h"
#include "l10n.h"

static bool is_element(xmpp_stanza_t *s, const char *name)
{
        return xmpp_stanza_is_tag(s) && streq_ptr(xmpp_stanza_get_name(s), name);
}

/* The text of a <value>: only text children, at most FORM_MAX_VALUE_SIZE bytes. */
static int value_text(xmpp_stanza_t *value, const char *var, const char *lang, char **ret,
                      char **ret_error)
{
        _cleanup_free_ char *s = NULL;
        size_t n = 0;

        for (xmpp_stanza_t *c = xmpp_stanza_get_children(value); c; c = xmpp_stanza_get_next(c)) {
                if (!xmpp_stanza_is_text(c))
                        return form_error(ret_error, l10n(lang, "field '%s' has a malformed value"),
                                          var);
                n += strlen(strempty(xmpp_stanza_get_text_ptr(c)));
                if (n > FORM_MAX_VALUE_SIZE)
                        return form_error(ret_error,
                                          l10n(lang, "field '%s' has a value over %d bytes"), var,
                                          FORM_MAX_VALUE_SIZE);
        }
        s = malloc(n + 1);
        if (!s)
                return -ENOMEM;
        n = 0;
        for (xmpp_stanza_t *c = xmpp_stanza_get_children(value); c; c = xmpp_stanza_get_next(c)) {
                const char *t = strempty(xmpp_stanza_get_text_ptr(c));
                size_t k = strlen(t);

                memcpy(s + n, t, k);
                n += k;
        }
        s[n] = 0;
        if (!utf8_is_clean(s, true))
                return form_error(
                    ret_error, l10n(lang, "field '%s' has a value with invalid characters"), var);
        *ret = TAKE_PTR(s);
        return 0;
}

static int field_var(xmpp_stanza_t *field, const struct form_values *seen, const char *lang,
                     const char **ret, char **ret_error)
{
        const char *var = xmpp_stanza_get_attribute(field, "var");

        if (isempty(var))
                return form_error(ret_error, l10n(lang, "a field has no var"));
        if (strlen(var) > FORM_MAX_VAR_SIZE || !utf8_is_clean(var, false))
                return form_error(ret_error, l10n(lang, "a field has an invalid var"));
        if (form_values_find(seen, var))
                return form_error(ret_error, l10n(lang, "field '%s' is given more than once"), var);
        *ret = var;
        return 0;
}

static int parse_field(xmpp_stanza_t *field, struct form_values *vals, size_t *n_values,
                       const char *lang, char **ret_error)
{
        _cleanup_strv_free_ char **values = NULL;
        const char *var = NULL;
        int r;

        r = field_var(field, vals, lang, &var, ret_error);
        if (r < 0)
                return r;
        values = calloc(1, sizeof(char *));
        if (!values)
                return -ENOMEM;
        for (xmpp_stanza_t *c = xmpp_stanza_get_children(field); c; c = xmpp_stanza_get_next(c)) {
                char *v = NULL;

                if (!is_element(c, "value"))
                        continue;
                if (++*n_values > FORM_MAX_VALUES)
                        return form_error(ret_error, l10n(lang, "the form has more than %d values"),
                                          FORM_MAX_VALUES);
                r = value_text(c, var, lang, &v, ret_error);
                if (r < 0)
                        return r;
                r = strv_consume(&values, v);
                if (r < 0)
                        return r;
        }
        return form_values_set(vals, var, values, false);
}

int form_parse_submit_lang(xmpp_stanza_t *x, const char *lang, enum form_submit_type *ret_type,
                           struct form_values *ret, char **ret_error)
{
        struct form_values vals = {};
        size_t n_fields = 0, n_values = 0;
        const char *type;
        int r = 0;

        if (!x || !is_element(x, "x") || !streq_ptr(xmpp_stanza_get_ns(x), NS_XDATA))
                return form_error(ret_error, l10n(lang, "not a data form"));
        type = xmpp_stanza_get_type(x);
        if (streq_ptr(type, "cancel")) {
                /* Whatever a cancel form carries is of no interest. */
                *ret_type = FORM_CANCEL;
                *ret = (struct form_values){};
                return 0;
        }
        if (!streq_ptr(type, "submit"))
                return form_error(ret_error, l10n(lang, "form type must be submit"));

        for (xmpp_stanza_t *c = xmpp_stanza_get_children(x); c; c = xmpp_stanza_get_next(c)) {
                if (!is_element(c, "field"))
                        continue;
                if (++n_fields > FORM_MAX_FIELDS) {
                        r = form_error(ret_error, l10n(lang, "the form has more than %d fields"),
                                       FORM_MAX_FIELDS);
                        break;
                }
                r = parse_field(c, &vals, &n_values, lang, ret_error);
                if (r < 0)
                        break;
        }
        if (r < 0) {
                form_values_done(&vals);
                return r;
        }
        *ret_type = FORM_SUBMIT;
        *ret = vals;
        return 0;
}

int form_parse_submit(xmpp_stanza_t *x, enum form_submit_type *ret_type, struct form_values *ret,
                      char **ret_error)
{
        return form_parse_submit_lang(x, NULL, ret_type, ret, ret_error);
}
