/* SPDX-License-Identifier: MIT */
/*
 * Form definitions from the policy:
 *
 *   form:
 *     title: {en: Restart, fr: Redémarrer}
 *     fields:
 *       - {var: unit, type: list-single, options: [a, {value: b, label: B}], default: a}
 *       - {var: count, validate: {datatype: "xs:integer", range: [1, 10]}}
 *
 * Every check that can be made on the definition is made here, so that a bad form is a load
 * error and never a surprise for a requester.
 */
#include <stdio.h>
#include <strings.h>

#include "form.h"
#include "jid.h"
#include "template.h"

static const char *const form_keys[] = {"title", "instructions", "fields", NULL};
static const char *const field_keys[] = {"var",     "type",    "label",    "desc", "required",
                                         "default", "options", "validate", NULL};
static const char *const validate_keys[] = {"datatype", "range", "regex", NULL};
static const char *const option_keys[] = {"value", "label", NULL};

static bool field_var_is_valid(const char *var)
{
        if (isempty(var))
                return false;
        for (const char *p = var; *p; p++)
                if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-",
                            *p))
                        return false;
        return true;
}

static bool type_is_list(enum form_field_type t)
{
        return t == FORM_FIELD_LIST_SINGLE || t == FORM_FIELD_LIST_MULTI;
}

static bool type_is_multi(enum form_field_type t)
{
        return t == FORM_FIELD_LIST_MULTI || t == FORM_FIELD_JID_MULTI ||
               t == FORM_FIELD_TEXT_MULTI || t == FORM_FIELD_FIXED;
}

static const char *field_name(const struct form_field *f)
{
        return f->var ? f->var : "(fixed)";
}

static int parse_type(const struct ynode *n, enum form_field_type *ret, struct diags *d)
{
        _cleanup_free_ char *s = NULL;
        int t;

        if (!n) {
                *ret = FORM_FIELD_TEXT_SINGLE;
                return 0;
        }
        if (ynode_string(n, &s, d) < 0)
                return -EINVAL;
        t = form_field_type_from_string(s);
        if (t < 0)
                return ynode_error(n, d,
                                   "unknown field type '%s' (one of: boolean, fixed, hidden, "
                                   "jid-multi, jid-single, list-multi, list-single, text-multi, "
                                   "text-private, text-single)",
                                   s);
        *ret = (enum form_field_type)t;
        return 0;
}

static int parse_var(const struct form *form, size_t idx, const struct ynode *item,
                     struct form_field *f, struct diags *d)
{
        const struct ynode *n = ynode_get(item, "var");

        if (!n) {
                if (f->type == FORM_FIELD_FIXED)
                        return 0;
                return ynode_error(item, d, "field needs a 'var'");
        }
        if (ynode_string(n, &f->var, d) < 0)
                return -EINVAL;
        if (!field_var_is_valid(f->var))
                return ynode_error(
                    n, d, "invalid field var '%s' (letters, digits, '_', '.', '-' only)", f->var);
        /* Built-ins always win in templates, so a field of that name could never be read. */
        if (template_var_is_builtin(f->var))
                return ynode_error(n, d, "field var '%s' is reserved for a template variable",
                                   f->var);
        for (size_t i = 0; i < idx; i++)
                if (streq_ptr(form->fields[i].var, f->var))
                        return ynode_error(n, d, "duplicate field var '%s'", f->var);
        return 0;
}

static int parse_option(const struct ynode *n, struct form_option *o, struct diags *d)
{
        const struct ynode *label;

        if (n->type != YNODE_MAP)
                return ynode_string(n, &o->value, d);
        if (ynode_check_keys(n, option_keys, d) < 0)
                return -EINVAL;
        if (!ynode_get(n, "value"))
                return ynode_error(n, d, "option needs a 'value'");
        if (ynode_string(ynode_get(n, "value"), &o->value, d) < 0)
                return -EINVAL;
        label = ynode_get(n, "label");
        if (label && i18n_from_ynode(label, &o->label, d) < 0)
                return -EINVAL;
        return 0;
}

static int parse_options(const struct ynode *n, struct form_field *f, struct diags *d)
{
        int r = 0;

        if (!type_is_list(f->type))
                return ynode_error(n, d,
                                   "field '%s': options are only allowed on list-single and "
                                   "list-multi fields",
                                   field_name(f));
        if (ynode_expect(n, YNODE_SEQ, d) < 0)
                return -EINVAL;
        if (n->n > FORM_MAX_VALUES)
                return ynode_error(n, d, "field '%s': too many options (limit %d)", field_name(f),
                                   FORM_MAX_VALUES);
        for (size_t i = 0; i < n->n; i++) {
                struct form_option *o = array_grow((void **)&f->options, &f->n_options, sizeof(*o));
                if (!o)
                        return -ENOMEM;
                if (parse_option(n->items[i], o, d) < 0) {
                        r = -EINVAL;
                        continue;
                }
                for (size_t j = 0; j < i; j++)
                        if (streq_ptr(f->options[j].value, o->value))
                                r = ynode_error(n->items[i], d, "field '%s': duplicate option '%s'",
                                                field_name(f), o->value);
        }
        return r;
}

static bool has_option(const struct form_field *f, const char *value)
{
        for (size_t i = 0; i < f->n_options; i++)
                if (streq_ptr(f->options[i].value, value))
                        return true;
        return false;
}

/* XEP-0004 booleans are "1"/"0"/"true"/"false"; YAML spellings are welcome in the policy. */
static int normalize_bool(char **value)
{
        static const char *const yes[] = {"1", "true", "yes", "on"};
        static const char *const no[] = {"0", "false", "no", "off"};

        for (size_t i = 0; i < ELEMENTSOF(yes); i++) {
                const char *v = strcasecmp(*value, yes[i]) == 0  ? "1"
                                : strcasecmp(*value, no[i]) == 0 ? "0"
                                                                 : NULL;
                char *c;

                if (!v)
                        continue;
                c = strdup(v);
                if (!c)
                        return -ENOMEM;
                free(*value);
                *value = c;
                return 0;
        }
        return -EINVAL;
}

static int check_default(const struct ynode *n, struct form_field *f, char **value, struct diags *d)
{
        _cleanup_free_ char *error = NULL;
        int r;

        switch (f->type) {
        case FORM_FIELD_FIXED:
                return 0;
        case FORM_FIELD_BOOLEAN:
                r = normalize_bool(value);
                if (r == -EINVAL)
                        return ynode_error(n, d, "field '%s': default '%s' is not a boolean",
                                           field_name(f), *value);
                return r;
        case FORM_FIELD_LIST_SINGLE:
        case FORM_FIELD_LIST_MULTI:
                if (!has_option(f, *value))
                        return ynode_error(n, d,
                                           "field '%s': default '%s' is not one of the options",
                                           field_name(f), *value);
                return 0;
        case FORM_FIELD_JID_SINGLE:
        case FORM_FIELD_JID_MULTI:
                if (!jid_is_valid(*value))
                        return ynode_error(n, d, "field '%s': default '%s' is not a valid JID",
                                           field_name(f), *value);
                return 0;
        case FORM_FIELD_HIDDEN:
        case FORM_FIELD_TEXT_MULTI:
        case FORM_FIELD_TEXT_PRIVATE:
        case FORM_FIELD_TEXT_SINGLE:
        case _FORM_FIELD_TYPE_MAX:
                break;
        }
        if (form_check_value(f, *value, &error) < 0)
                return ynode_error(n, d, "field '%s': default '%s' is invalid: %s", field_name(f),
                                   *value, strempty(error));
        return 0;
}

static int parse_default(const struct ynode *n, struct form_field *f, struct diags *d)
{
        int r = 0;

        if (ynode_strv(n, &f->defaults, d) < 0)
                return -EINVAL;
        if (!type_is_multi(f->type) && strv_length(f->defaults) > 1)
                return ynode_error(n, d, "field '%s' is %s and takes a single default",
                                   field_name(f), form_field_type_to_string(f->type));
        for (size_t i = 0; f->defaults[i]; i++) {
                const struct ynode *at = n->type == YNODE_SEQ ? n->items[i] : n;
                int k = check_default(at, f, &f->defaults[i], d);
                if (k == -ENOMEM)
                        return k;
                if (k < 0)
                        r = k;
        }
        return r;
}

static int parse_bound(const struct ynode *n, const struct form_field *f, char **ret,
                       struct diags *d)
{
        _cleanup_free_ char *s = NULL;

        if (ynode_is_null(n))
                return 0;
        if (ynode_string(n, &s, d) < 0)
                return -EINVAL;
        if (!form_datatype_check(f->validate.datatype, s))
                return ynode_error(n, d, "field '%s': range bound '%s' is not a valid %s",
                                   field_name(f), s, form_datatype_to_string(f->validate.datatype));
        *ret = TAKE_PTR(s);
        return 0;
}

static int parse_range(const struct ynode *n, struct form_field *f, struct diags *d)
{
        int r, cmp;

        if (!form_datatype_is_ordered(f->validate.datatype))
                return ynode_error(n, d,
                                   "field '%s': range needs a numeric or date datatype "
                                   "(e.g. xs:integer, xs:decimal, xs:date)",
                                   field_name(f));
        if (n->type != YNODE_SEQ || n->n != 2)
                return ynode_error(n, d, "field '%s': range must be a list [min, max]",
                                   field_name(f));
        r = parse_bound(n->items[0], f, &f->validate.min, d);
        if (parse_bound(n->items[1], f, &f->validate.max, d) < 0 || r < 0)
                return -EINVAL;
        if (!f->validate.min || !f->validate.max)
                return 0;
        r = form_datatype_compare(f->validate.datatype, f->validate.min, f->validate.max, &cmp);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return ynode_error(n, d, "field '%s': range bounds %s and %s cannot be compared",
                                   field_name(f), f->validate.min, f->validate.max);
        if (cmp > 0)
                return ynode_error(n, d, "field '%s': range minimum %s is greater than maximum %s",
                                   field_name(f), f->validate.min, f->validate.max);
        return 0;
}

/* Compiled by form.c (whole-value matching); compiled here first only for regerror()'s text. */
static int parse_regex(const struct ynode *n, struct form_field *f, struct diags *d)
{
        _cleanup_free_ char *s = NULL;
        char buf[256];
        regex_t re;
        int k;

        if (ynode_string(n, &s, d) < 0)
                return -EINVAL;
        k = regcomp(&re, s, REG_EXTENDED);
        if (k != 0) {
                regerror(k, &re, buf, sizeof(buf));
                regfree(&re);
                return ynode_error(n, d, "field '%s': invalid regex '%s': %s", field_name(f), s,
                                   buf);
        }
        regfree(&re);
        k = form_field_set_regex(f, s);
        if (k == -EINVAL)
                return ynode_error(n, d, "field '%s': invalid regex '%s'", field_name(f), s);
        return k;
}

static int parse_datatype(const struct ynode *n, struct form_field *f, struct diags *d)
{
        _cleanup_free_ char *s = NULL;
        int t;

        if (ynode_string(n, &s, d) < 0)
                return -EINVAL;
        t = form_datatype_from_string(s);
        if (t < 0)
                return ynode_error(n, d,
                                   "field '%s': unknown datatype '%s' (e.g. xs:string, "
                                   "xs:integer, xs:boolean, xs:date)",
                                   field_name(f), s);
        f->validate.datatype = (enum form_datatype)t;
        return 0;
}

static int parse_validate(const struct ynode *n, struct form_field *f, struct diags *d)
{
        const struct ynode *v;
        int r = 0;

        if (f->type == FORM_FIELD_FIXED)
                return ynode_error(n, d, "fixed fields take no validate");
        if (ynode_check_keys(n, validate_keys, d) < 0)
                return -EINVAL;
        v = ynode_get(n, "datatype");
        if (v && parse_datatype(v, f, d) < 0)
                r = -EINVAL;
        /* A range means nothing without its datatype. */
        v = ynode_get(n, "range");
        if (v && r >= 0 && parse_range(v, f, d) < 0)
                r = -EINVAL;
        v = ynode_get(n, "regex");
        if (v && parse_regex(v, f, d) < 0)
                r = -EINVAL;
        return r;
}

static int parse_texts(const struct ynode *item, struct form_field *f, struct diags *d)
{
        const struct ynode *n;
        int r = 0;

        n = ynode_get(item, "label");
        if (n && i18n_from_ynode(n, &f->label, d) < 0)
                r = -EINVAL;
        n = ynode_get(item, "desc");
        if (n && i18n_from_ynode(n, &f->desc, d) < 0)
                r = -EINVAL;
        n = ynode_get(item, "required");
        if (n && ynode_bool(n, &f->required, d) < 0)
                r = -EINVAL;
        return r;
}

/* Fills fields[idx]; keeps going after an error to report as much as possible at once. */
static int parse_field(struct form *form, size_t idx, const struct ynode *item, struct diags *d)
{
        struct form_field *f = &form->fields[idx];
        const struct ynode *n;
        int r = 0;

        if (ynode_expect(item, YNODE_MAP, d) < 0)
                return -EINVAL;
        if (parse_type(ynode_get(item, "type"), &f->type, d) < 0)
                return -EINVAL;
        if (ynode_check_keys(item, field_keys, d) < 0)
                r = -EINVAL;
        if (parse_var(form, idx, item, f, d) < 0)
                r = -EINVAL;
        if (parse_texts(item, f, d) < 0)
                r = -EINVAL;
        n = ynode_get(item, "options");
        if (n && parse_options(n, f, d) < 0)
                r = -EINVAL;
        else if (!n && type_is_list(f->type))
                r = ynode_error(item, d, "list field '%s' needs options", field_name(f));
        n = ynode_get(item, "validate");
        if (n && parse_validate(n, f, d) < 0)
                r = -EINVAL;
        /* Last: defaults are checked against the options and the validation rules. */
        n = ynode_get(item, "default");
        if (r >= 0 && n && parse_default(n, f, d) < 0)
                r = -EINVAL;
        return r;
}

static int parse_fields(const struct ynode *n, struct form *form, struct diags *d)
{
        int r = 0;

        if (ynode_expect(n, YNODE_SEQ, d) < 0)
                return -EINVAL;
        if (n->n == 0)
                return ynode_error(n, d, "form has no fields");
        if (n->n > FORM_MAX_FIELDS)
                return ynode_error(n, d, "form has too many fields (limit %d)", FORM_MAX_FIELDS);
        for (size_t i = 0; i < n->n; i++) {
                if (!array_grow((void **)&form->fields, &form->n_fields, sizeof(*form->fields)))
                        return -ENOMEM;
                if (parse_field(form, i, n->items[i], d) < 0)
                        r = -EINVAL;
        }
        return r;
}

int form_from_ynode(const struct ynode *n, struct form **ret, struct diags *d)
{
        _cleanup_(form_freep) struct form *form = NULL;
        const struct ynode *v;
        int r = 0;

        if (ynode_expect(n, YNODE_MAP, d) < 0)
                return -EINVAL;
        form = zalloc(sizeof(*form));
        if (!form)
                return -ENOMEM;
        if (ynode_check_keys(n, form_keys, d) < 0)
                r = -EINVAL;
        v = ynode_get(n, "title");
        if (v && i18n_from_ynode(v, &form->title, d) < 0)
                r = -EINVAL;
        v = ynode_get(n, "instructions");
        if (v && i18n_from_ynode(v, &form->instructions, d) < 0)
                r = -EINVAL;
        v = ynode_get(n, "fields");
        if (!v)
                return ynode_error(n, d, "form needs 'fields'");
        if (parse_fields(v, form, d) < 0)
                r = -EINVAL;
        if (r < 0)
                return r;
        *ret = TAKE_PTR(form);
        return 0;
}
