/* SPDX-License-Identifier: MIT */
/*
 * Form values to D-Bus arguments. Every value is parsed and bounds-checked here, before the
 * message is sent; a value that does not fit gives -EINVAL and a message naming the field
 * ("Volume: '2.5' is above the maximum 1"). The shapes of the policy's arguments are
 * described at the top of dbus-config.c.
 */
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>

#include "dbus.h"

#define QUOTE_MAX 40 /* bytes of a refused value repeated in the message */

static int reasonf(char **ret, const char *fmt, ...) _printf_(2, 3);
static int reasonf(char **ret, const char *fmt, ...)
{
        va_list ap;
        int k;

        va_start(ap, fmt);
        k = vasprintf(ret, fmt, ap);
        va_end(ap);
        if (k < 0) {
                *ret = NULL;
                return -ENOMEM;
        }
        return -EINVAL;
}

/* Optional sign and decimal digits, nothing else. *ret_big when the magnitude exceeds 64 bits. */
static int parse_decimal(const char *s, bool *ret_neg, uint64_t *ret_mag, bool *ret_big)
{
        uint64_t mag = 0;
        bool big = false;

        *ret_neg = *s == '-';
        if (*s == '-' || *s == '+')
                s++;
        if (!*s)
                return -EINVAL;
        for (; *s; s++) {
                unsigned digit;

                if (*s < '0' || *s > '9')
                        return -EINVAL;
                digit = (unsigned)(*s - '0');
                if (mag > (UINT64_MAX - digit) / 10)
                        big = true;
                else
                        mag = mag * 10 + digit;
        }
        *ret_mag = mag;
        *ret_big = big;
        return 0;
}

static int parse_signed(const char *s, int64_t min, int64_t max, const char *lang, int64_t *ret,
                        char **ret_reason)
{
        uint64_t mag;
        bool neg, big;

        if (parse_decimal(s, &neg, &mag, &big) < 0)
                return reasonf(ret_reason, "%s", l10n(lang, "is not an integer"));
        /* -min as unsigned, without overflowing for INT64_MIN. */
        if (neg && mag > 0 && (big || mag - 1 > (uint64_t)(-(min + 1))))
                return reasonf(ret_reason, l10n(lang, "is below the minimum %lld"), (long long)min);
        if (!neg && (big || mag > (uint64_t)max))
                return reasonf(ret_reason, l10n(lang, "is above the maximum %lld"), (long long)max);
        *ret = neg ? (int64_t)(0 - mag) : (int64_t)mag;
        return 0;
}

static int parse_unsigned(const char *s, uint64_t max, const char *lang, uint64_t *ret,
                          char **ret_reason)
{
        uint64_t mag;
        bool neg, big;

        if (parse_decimal(s, &neg, &mag, &big) < 0)
                return reasonf(ret_reason, "%s", l10n(lang, "is not an integer"));
        if (neg && mag > 0)
                return reasonf(ret_reason, l10n(lang, "is below the minimum %lld"), 0LL);
        if (big || mag > max)
                return reasonf(ret_reason, l10n(lang, "is above the maximum %llu"),
                               (unsigned long long)max);
        *ret = mag;
        return 0;
}

static int parse_double(const char *s, const char *lang, double *ret, char **ret_reason)
{
        char *end;
        double v;

        /* strtod() also takes leading spaces, hexadecimal, "inf" and "nan": a form does not. */
        if (!*s || strchr(" \t\n\r\f\vxX", *s) || strpbrk(s, "xX"))
                return reasonf(ret_reason, "%s", l10n(lang, "is not a number"));
        errno = 0;
        v = strtod(s, &end);
        if (*end)
                return reasonf(ret_reason, "%s", l10n(lang, "is not a number"));
        if (errno == ERANGE && (v == HUGE_VAL || v == -HUGE_VAL))
                return reasonf(ret_reason, "%s", l10n(lang, "is out of the range of a double"));
        if (!isfinite(v))
                return reasonf(ret_reason, "%s", l10n(lang, "is not a number"));
        *ret = v;
        return 0;
}

static int parse_bool(const char *s, const char *lang, int *ret, char **ret_reason)
{
        /* The XEP-0004 spellings; form_validate() already turns boolean fields into 1/0. */
        if (streq(s, "1") || streq(s, "true"))
                *ret = 1;
        else if (streq(s, "0") || streq(s, "false"))
                *ret = 0;
        else
                return reasonf(ret_reason, "%s",
                               l10n(lang, "is not a boolean (true, false, 1 or 0)"));
        return 0;
}

int dbus_basic_parse(char type, const char *text, const char *lang, union dbus_basic *ret,
                     char **ret_reason)
{
        const char *why;
        uint64_t u;
        int64_t i;
        int r;

        switch (type) {
        case 'y':
                r = parse_unsigned(text, UINT8_MAX, lang, &u, ret_reason);
                ret->y = (uint8_t)u;
                return r;
        case 'q':
                r = parse_unsigned(text, UINT16_MAX, lang, &u, ret_reason);
                ret->q = (uint16_t)u;
                return r;
        case 'u':
                r = parse_unsigned(text, UINT32_MAX, lang, &u, ret_reason);
                ret->u = (uint32_t)u;
                return r;
        case 't':
                return parse_unsigned(text, UINT64_MAX, lang, &ret->t, ret_reason);
        case 'n':
                r = parse_signed(text, INT16_MIN, INT16_MAX, lang, &i, ret_reason);
                ret->n = (int16_t)i;
                return r;
        case 'i':
                r = parse_signed(text, INT32_MIN, INT32_MAX, lang, &i, ret_reason);
                ret->i = (int32_t)i;
                return r;
        case 'x':
                return parse_signed(text, INT64_MIN, INT64_MAX, lang, &ret->x, ret_reason);
        case 'd':
                return parse_double(text, lang, &ret->d, ret_reason);
        case 'b':
                return parse_bool(text, lang, &ret->b, ret_reason);
        case 's':
                ret->s = text;
                return 0;
        case 'o':
                if (sd_bus_object_path_is_valid(text) <= 0)
                        return reasonf(ret_reason, "%s",
                                       l10n(lang, "is not a valid D-Bus object path"));
                ret->s = text;
                return 0;
        case 'g':
                if (dbus_signature_check(text, NULL, &why) == -EINVAL)
                        return reasonf(ret_reason, l10n(lang, "is not a valid D-Bus signature: %s"),
                                       l10n(lang, why));
                ret->s = text;
                return 0;
        default:
                return reasonf(ret_reason, l10n(lang, "cannot be converted to D-Bus type '%c'"),
                               type);
        }
}

/* ---- Naming the field in messages ---- */

/* If tpl is exactly "{name}" or "{name...}", returns the name (allocated) and whether multi. */
static char *whole_reference(const char *tpl, bool *ret_multi)
{
        size_t len = strlen(tpl);
        char *name;

        if (len < 3 || tpl[0] != '{' || tpl[1] == '{' || tpl[len - 1] != '}' ||
            strpbrk(tpl + 1, "{") || strchr(tpl + 1, '}') != tpl + len - 1)
                return NULL;
        name = strndup(tpl + 1, len - 2);
        if (!name)
                return NULL;
        *ret_multi = len > 5 && memcmp(tpl + len - 4, "...", 3) == 0;
        if (*ret_multi)
                name[len - 5] = '\0';
        return name;
}

/* What the requester knows a field by: its label in their language, else its var. */
static const char *field_label(const struct dbus_convert *c, const char *var)
{
        const struct form_field *f = c->form ? form_find_field(c->form, var) : NULL;

        if (f && !i18n_is_empty(&f->label))
                return i18n_pick(&f->label, c->lang);
        return var;
}

static bool var_is_secret(const struct dbus_convert *c, const char *var)
{
        const struct form_value *v;

        v = c->vars && c->vars->values ? form_values_find(c->vars->values, var) : NULL;
        return v && v->secret;
}

/* The subject of a template's errors and whether its value may be repeated. */
struct subject {
        const char *name;
        bool secret;
        bool multi; /* the template is exactly "{var...}" */
        char *owned;
};

static void subject_done(struct subject *s)
{
        free(s->owned);
}

static void subject_of(const struct dbus_convert *c, const struct dbus_arg *a, const char *dflt,
                       struct subject *ret)
{
        *ret = (struct subject){.name = dflt};
        if (a->kind != DBUS_ARG_TEMPLATE)
                return;
        ret->owned = whole_reference(a->text, &ret->multi);
        if (!ret->owned || template_var_is_builtin(ret->owned))
                return;
        ret->name = field_label(c, ret->owned);
        ret->secret = var_is_secret(c, ret->owned);
}

/* The requester's mistake, in their language (reason already is). */
static int value_error(struct dbus_convert *c, const struct subject *s, const char *text,
                       const char *reason)
{
        const char *lang = c->lang;

        free(c->error);
        c->error = NULL;
        if (s->secret)
                return reasonf(&c->error, l10n(lang, "%s: the value %s"), s->name, reason);
        if (isempty(text))
                return reasonf(&c->error, l10n(lang, "%s: no value given (the value %s)"), s->name,
                               reason);
        if (strlen(text) > QUOTE_MAX) {
                int cut = QUOTE_MAX;

                /* At a character boundary: the message goes into XML. */
                while (cut > 0 && ((unsigned char)text[cut] & 0xC0) == 0x80)
                        cut--;
                return reasonf(&c->error, l10n(lang, "%s: '%.*s…' %s"), s->name, cut, text, reason);
        }
        return reasonf(&c->error, l10n(lang, "%s: '%s' %s"), s->name, text, reason);
}

/* The administrator's mistake: English, as it is also logged. */
static int policy_error(struct dbus_convert *c, const char *subject, const char *fmt, ...)
    _printf_(3, 4);
static int policy_error(struct dbus_convert *c, const char *subject, const char *fmt, ...)
{
        _cleanup_free_ char *why = NULL;
        va_list ap;
        int k;

        va_start(ap, fmt);
        k = vasprintf(&why, fmt, ap);
        va_end(ap);
        if (k < 0)
                return -ENOMEM;
        free(c->error);
        c->error = NULL;
        if (reasonf(&c->error, "%s: %s", subject, why) == -ENOMEM)
                return -ENOMEM;
        return -EPROTO;
}

/* ---- Appending ---- */

static int append_basic(sd_bus_message *m, char type, const char *text, const struct subject *s,
                        struct dbus_convert *c)
{
        _cleanup_free_ char *reason = NULL;
        union dbus_basic v;
        const void *p = &v;
        int r;

        r = dbus_basic_parse(type, text, c->lang, &v, &reason);
        if (r == -ENOMEM || (r < 0 && !reason))
                return -ENOMEM;
        if (r < 0)
                return value_error(c, s, text, reason);
        if (type == 's' || type == 'o' || type == 'g')
                p = v.s;
        r = sd_bus_message_append_basic(m, type, p);
        /* sd-bus refuses strings that are not UTF-8 or hold a NUL. */
        if (r == -EINVAL && type == 's')
                return value_error(c, s, text, l10n(c->lang, "is not valid UTF-8 text"));
        return r;
}

static int append_template(sd_bus_message *m, char type, const struct dbus_arg *a,
                           const char *subject, struct dbus_convert *c)
{
        _cleanup_(subject_done) struct subject s = {0};
        _cleanup_strv_free_ char **values = NULL;
        _cleanup_free_ char *text = NULL;
        int r;

        subject_of(c, a, subject, &s);
        if (s.owned && s.multi) {
                /* "{var...}" where one value is expected: fine only with one value. */
                r = template_expand_argv(a->text, c->vars, &values);
                if (r < 0)
                        return r;
                if (strv_length(values) != 1) {
                        free(c->error);
                        return reasonf(&c->error, l10n(c->lang, "%s: takes one value, got %zu"),
                                       s.name, strv_length(values));
                }
                return append_basic(m, type, values[0], &s, c);
        }
        r = template_expand(a->text, c->vars, &text);
        if (r < 0)
                return r;
        return append_basic(m, type, text, &s, c);
}

/* Expands an element template of an array of basic type: a template that is exactly one
 * variable gives one element per value of the field. */
static int expand_elements(const struct dbus_arg *a, struct dbus_convert *c, char ***elements)
{
        _cleanup_free_ char *name = NULL, *multi_tpl = NULL;
        bool multi;

        name = whole_reference(a->text, &multi);
        if (name && !multi) {
                if (asprintf(&multi_tpl, "{%s...}", name) < 0)
                        return -ENOMEM;
                return template_expand_argv(multi_tpl, c->vars, elements);
        }
        return template_expand_argv(a->text, c->vars, elements);
}

static int append_basic_array(sd_bus_message *m, char type, const struct dbus_arg *a,
                              const char *subject, struct dbus_convert *c)
{
        const struct dbus_arg *items = a;
        size_t n_items = 1;
        char contents[2] = {type, 0};
        int r;

        if (a->kind == DBUS_ARG_LIST) {
                items = a->items;
                n_items = a->n_items;
        } else if (a->kind != DBUS_ARG_TEMPLATE) {
                return policy_error(c, subject, "an array is a template or a list, not a map");
        }
        r = sd_bus_message_open_container(m, 'a', contents);
        if (r < 0)
                return r;
        for (size_t i = 0; i < n_items; i++) {
                _cleanup_strv_free_ char **elements = NULL;
                _cleanup_(subject_done) struct subject s = {0};

                if (items[i].kind != DBUS_ARG_TEMPLATE)
                        return policy_error(c, subject, "the elements of 'a%c' must be templates",
                                            type);
                r = expand_elements(&items[i], c, &elements);
                if (r < 0)
                        return r;
                subject_of(c, &items[i], subject, &s);
                STRV_FOREACH (e, elements) {
                        r = append_basic(m, type, *e, &s, c);
                        if (r < 0)
                                return r;
                }
        }
        return sd_bus_message_close_container(m);
}

static int append_dict(sd_bus_message *m, const char *type, size_t len, const struct dbus_arg *a,
                       const char *subject, struct dbus_convert *c)
{
        /* type is "a{KV}": contents "{KV}", entry contents "KV". */
        _cleanup_free_ char *contents = strndup(type + 1, len - 1);
        _cleanup_free_ char *entry = strndup(type + 2, len - 3);
        char key_type = type[2];
        int r;

        if (!contents || !entry)
                return -ENOMEM;
        if (a->kind != DBUS_ARG_MAP)
                return policy_error(c, subject, "a dict '%s' is written as a map", contents);
        r = sd_bus_message_open_container(m, 'a', contents);
        if (r < 0)
                return r;
        for (size_t i = 0; i < a->n_items; i++) {
                struct subject ks = {.name = subject};

                r = sd_bus_message_open_container(m, 'e', entry);
                if (r < 0)
                        return r;
                r = append_basic(m, key_type, a->keys[i], &ks, c);
                if (r == -EINVAL)
                        return policy_error(c, subject, "key '%s' does not fit type '%c'",
                                            a->keys[i], key_type);
                if (r < 0)
                        return r;
                r = dbus_append_value(m, type + 3, &a->items[i], a->keys[i], c);
                if (r < 0)
                        return r;
                r = sd_bus_message_close_container(m);
                if (r < 0)
                        return r;
        }
        return sd_bus_message_close_container(m);
}

/* The elements of an array of containers: one per item of a list. */
static int append_container_array(sd_bus_message *m, const char *type, size_t len,
                                  const struct dbus_arg *a, const char *subject,
                                  struct dbus_convert *c)
{
        _cleanup_free_ char *contents = strndup(type + 1, len - 1);
        int r;

        if (!contents)
                return -ENOMEM;
        if (a->kind != DBUS_ARG_LIST)
                return policy_error(c, subject, "an array of '%s' is written as a list", contents);
        r = sd_bus_message_open_container(m, 'a', contents);
        if (r < 0)
                return r;
        for (size_t i = 0; i < a->n_items; i++) {
                r = dbus_append_value(m, contents, &a->items[i], subject, c);
                if (r < 0)
                        return r;
        }
        return sd_bus_message_close_container(m);
}

static int append_struct(sd_bus_message *m, const char *type, size_t len, const struct dbus_arg *a,
                         const char *subject, struct dbus_convert *c)
{
        _cleanup_free_ char *contents = strndup(type + 1, len - 2);
        size_t n = 0, p = 0, k;
        int r;

        if (!contents)
                return -ENOMEM;
        while (contents[p] && dbus_type_length(contents + p, &k) >= 0) {
                p += k;
                n++;
        }
        if (a->kind != DBUS_ARG_LIST || a->n_items != n)
                return policy_error(c, subject, "a struct '%.*s' is written as a list of %zu",
                                    (int)len, type, n);
        r = sd_bus_message_open_container(m, 'r', contents);
        if (r < 0)
                return r;
        for (size_t i = 0, q = 0; i < n; i++, q += k) {
                (void)dbus_type_length(contents + q, &k);
                r = dbus_append_value(m, contents + q, &a->items[i], subject, c);
                if (r < 0)
                        return r;
        }
        return sd_bus_message_close_container(m);
}

static const struct dbus_arg *map_get(const struct dbus_arg *a, const char *key)
{
        for (size_t i = 0; i < a->n_items; i++)
                if (streq(a->keys[i], key))
                        return &a->items[i];
        return NULL;
}

static int append_variant(sd_bus_message *m, const struct dbus_arg *a, const char *subject,
                          struct dbus_convert *c)
{
        const struct dbus_arg *t = a->kind == DBUS_ARG_MAP ? map_get(a, "type") : NULL;
        const struct dbus_arg *v = a->kind == DBUS_ARG_MAP ? map_get(a, "value") : NULL;
        size_t len;
        int r;

        if (!t || !v || a->n_items != 2 || t->kind != DBUS_ARG_TEMPLATE)
                return policy_error(c, subject,
                                    "a variant 'v' is written {type: TYPE, value: VALUE}");
        if (dbus_type_length(t->text, &len) < 0 || t->text[len] || dbus_type_has_fd(t->text, len))
                return policy_error(c, subject, "'%s' is not one usable D-Bus type", t->text);
        r = sd_bus_message_open_container(m, 'v', t->text);
        if (r < 0)
                return r;
        r = dbus_append_value(m, t->text, v, subject, c);
        if (r < 0)
                return r;
        return sd_bus_message_close_container(m);
}

int dbus_append_value(sd_bus_message *m, const char *type, const struct dbus_arg *arg,
                      const char *subject, struct dbus_convert *c)
{
        size_t len;

        if (dbus_type_length(type, &len) < 0 || dbus_type_has_fd(type, len))
                return policy_error(c, subject, "unusable D-Bus type '%s'", type);
        if (dbus_type_is_basic(type[0])) {
                if (arg->kind != DBUS_ARG_TEMPLATE)
                        return policy_error(c, subject, "a '%c' is written as a template", type[0]);
                return append_template(m, type[0], arg, subject, c);
        }
        switch (type[0]) {
        case 'v':
                return append_variant(m, arg, subject, c);
        case 'a':
                if (type[1] == '{')
                        return append_dict(m, type, len, arg, subject, c);
                if (dbus_type_is_basic(type[1]))
                        return append_basic_array(m, type[1], arg, subject, c);
                return append_container_array(m, type, len, arg, subject, c);
        case '(':
                return append_struct(m, type, len, arg, subject, c);
        default:
                return policy_error(c, subject, "unusable D-Bus type '%s'", type);
        }
}

int dbus_append_args(sd_bus_message *m, const char *signature, const struct dbus_arg *args,
                     size_t n_args, struct dbus_convert *c)
{
        size_t p = 0, i = 0, k;
        int r;

        for (; signature[p]; p += k, i++) {
                char subject[32];

                if (dbus_type_length(signature + p, &k) < 0)
                        return policy_error(c, "signature", "invalid signature '%s'", signature);
                if (i >= n_args)
                        break;
                snprintf(subject, sizeof(subject), l10n(c->lang, "argument %zu"), i + 1);
                r = dbus_append_value(m, signature + p, &args[i], subject, c);
                if (r < 0)
                        return r;
        }
        if (signature[p] || i != n_args) {
                size_t n = 0;

                (void)dbus_signature_check(signature, &n, &(const char *){NULL});
                return policy_error(c, "arguments",
                                    "the method takes %zu argument(s) ('%s'), the policy gives %zu",
                                    n, signature, n_args);
        }
        return 0;
}
