/* SPDX-License-Identifier: MIT */
/* Validation of submitted values against a definition: nothing the requester sends is
 * trusted, so every rule of XEP-0004 and XEP-0122 is enforced here. */
#include "form.h"
#include "form-internal.h"
#include "jid.h"
#include "l10n.h"

static const char *datatype_noun(enum form_datatype dt, const char *lang)
{
        switch (dt) {
        case FORM_DT_STRING:
                return l10n(lang, "a string");
        case FORM_DT_INTEGER:
                return l10n(lang, "an integer");
        case FORM_DT_INT:
                return l10n(lang, "an integer from -2147483648 to 2147483647");
        case FORM_DT_LONG:
                return l10n(lang, "an integer from -9223372036854775808 to 9223372036854775807");
        case FORM_DT_SHORT:
                return l10n(lang, "an integer from -32768 to 32767");
        case FORM_DT_BYTE:
                return l10n(lang, "an integer from -128 to 127");
        case FORM_DT_UNSIGNED_INT:
                return l10n(lang, "an integer from 0 to 4294967295");
        case FORM_DT_NON_NEGATIVE_INTEGER:
                return l10n(lang, "an integer of 0 or more");
        case FORM_DT_POSITIVE_INTEGER:
                return l10n(lang, "an integer of 1 or more");
        case FORM_DT_DECIMAL:
                return l10n(lang, "a decimal number");
        case FORM_DT_DOUBLE:
                return l10n(lang, "a number");
        case FORM_DT_BOOLEAN:
                return l10n(lang, "a boolean (true or false)");
        case FORM_DT_DATE:
                return l10n(lang, "a date (YYYY-MM-DD)");
        case FORM_DT_DATETIME:
                return l10n(lang, "a date and time (YYYY-MM-DDThh:mm:ss)");
        case FORM_DT_TIME:
                return l10n(lang, "a time (hh:mm:ss)");
        case FORM_DT_ANYURI:
                return l10n(lang, "a URI");
        case FORM_DT_LANGUAGE:
                return l10n(lang, "a language tag");
        case _FORM_DT_MAX:
                break;
        }
        return l10n(lang, "valid");
}

/* The field as the requester sees it: its label in lang, else the default name. */
static const char *field_name(const struct form_field *f, const char *lang)
{
        const char *local = lang ? i18n_pick(&f->label, lang) : NULL;

        return isempty(local) ? form_field_name(f) : local;
}

static int check_range(const struct form_field *f, const char *value, const char *lang,
                       char **ret_error)
{
        enum form_datatype dt = f->validate.datatype;
        const char *name = field_name(f, lang);
        int c, r;

        if (!form_datatype_is_ordered(dt))
                return 0;
        if (f->validate.min) {
                r = form_datatype_compare(dt, value, f->validate.min, &c);
                if (r == -EDOM)
                        return form_error(ret_error,
                                          l10n(lang, "%s: %.*s%s is not within the allowed range"),
                                          name, VALUE_ARGS(value));
                if (r < 0)
                        return form_error(ret_error, l10n(lang, "%s: the form's range is invalid"),
                                          name);
                if (c < 0)
                        return form_error(ret_error,
                                          l10n(lang, "%s: %.*s%s is below the minimum %s"), name,
                                          VALUE_ARGS(value), f->validate.min);
        }
        if (f->validate.max) {
                r = form_datatype_compare(dt, value, f->validate.max, &c);
                if (r == -EDOM)
                        return form_error(ret_error,
                                          l10n(lang, "%s: %.*s%s is not within the allowed range"),
                                          name, VALUE_ARGS(value));
                if (r < 0)
                        return form_error(ret_error, l10n(lang, "%s: the form's range is invalid"),
                                          name);
                if (c > 0)
                        return form_error(ret_error,
                                          l10n(lang, "%s: %.*s%s is above the maximum %s"), name,
                                          VALUE_ARGS(value), f->validate.max);
        }
        return 0;
}

/* True when re matches all of value. The offsets of the leftmost-longest match are checked, so
 * that an alternation or a missing anchor cannot accept a value that merely contains a match. */
static int regex_matches_whole(const regex_t *re, const char *pattern, const char *value)
{
        regmatch_t m[1] = {{.rm_so = -1, .rm_eo = -1}};
        regex_t own;
        int r;

        if (regexec(re, value, 1, m, 0) != 0)
                return false;
        if (m[0].rm_so >= 0)
                return m[0].rm_so == 0 && (size_t)m[0].rm_eo == strlen(value);
        /* Compiled with REG_NOSUB: no offsets. Compile the pattern again to get them. */
        if (!pattern || regcomp(&own, pattern, REG_EXTENDED) != 0)
                return false;
        r = regexec(&own, value, 1, m, 0) == 0 && m[0].rm_so == 0 &&
            (size_t)m[0].rm_eo == strlen(value);
        regfree(&own);
        return r;
}

static int check_value(const struct form_field *f, const char *value, const char *lang,
                       char **ret_error)
{
        const char *name = field_name(f, lang);
        int r;

        if (!form_datatype_check(f->validate.datatype, value))
                return form_error(ret_error, l10n(lang, "%s: '%.*s%s' is not %s"), name,
                                  VALUE_ARGS(value), datatype_noun(f->validate.datatype, lang));
        r = check_range(f, value, lang, ret_error);
        if (r < 0)
                return r;
        if (f->validate.has_regex &&
            !regex_matches_whole(&f->validate.compiled, f->validate.regex, value))
                return form_error(ret_error,
                                  l10n(lang, "%s: '%.*s%s' does not match the pattern %s"), name,
                                  VALUE_ARGS(value), strempty(f->validate.regex));
        return 0;
}

int form_check_value(const struct form_field *f, const char *value, char **ret_error)
{
        return check_value(f, value, NULL, ret_error);
}

static bool field_is_single(enum form_field_type t)
{
        switch (t) {
        case FORM_FIELD_BOOLEAN:
        case FORM_FIELD_FIXED:
        case FORM_FIELD_HIDDEN:
        case FORM_FIELD_JID_SINGLE:
        case FORM_FIELD_LIST_SINGLE:
        case FORM_FIELD_TEXT_PRIVATE:
        case FORM_FIELD_TEXT_SINGLE:
                return true;
        case FORM_FIELD_JID_MULTI:
        case FORM_FIELD_LIST_MULTI:
        case FORM_FIELD_TEXT_MULTI:
        case _FORM_FIELD_TYPE_MAX:
                break;
        }
        return false;
}

static void strv_remove(char **l, size_t i)
{
        free(l[i]);
        memmove(l + i, l + i + 1, (strv_length(l + i + 1) + 1) * sizeof(char *));
}

/* The submitted values as a fresh strv: text-multi split into lines (trailing empty lines
 * dropped), and empty values dropped elsewhere, since clients send <value/> for "nothing". */
static int collect_values(const struct form_field *f, char *const *in, const char *lang,
                          char ***ret, char **ret_error)
{
        _cleanup_strv_free_ char **out = calloc(1, sizeof(char *));
        bool multi = f->type == FORM_FIELD_TEXT_MULTI;
        size_t n = 0;
        int r;

        if (!out)
                return -ENOMEM;
        /* Counted before splitting anything, so that a flood of line breaks costs nothing. */
        STRV_FOREACH (v, (char **)in)
                if (multi && (n += form_count_lines(*v)) > FORM_MAX_LINES)
                        return form_error(ret_error, l10n(lang, "%s: more than %d lines"),
                                          field_name(f, lang), FORM_MAX_LINES);
        STRV_FOREACH (v, (char **)in) {
                _cleanup_strv_free_ char **lines = NULL;

                if (!multi) {
                        r = **v ? strv_extend(&out, *v) : 0;
                        if (r < 0)
                                return r;
                        continue;
                }
                r = form_split_lines(*v, &lines);
                if (r < 0)
                        return r;
                STRV_FOREACH (l, lines) {
                        r = strv_extend(&out, *l);
                        if (r < 0)
                                return r;
                }
        }
        /* A typed text-multi has one value per line: blank lines carry none. */
        for (size_t i = 0; multi && out[i];)
                if (!*out[i] && f->validate.datatype != FORM_DT_STRING)
                        strv_remove(out, i);
                else
                        i++;
        n = strv_length(out);
        while (multi && n > 0 && !*out[n - 1])
                strv_remove(out, --n);
        *ret = TAKE_PTR(out);
        return 0;
}

static bool option_offered(const struct form_field *f, const char *value)
{
        for (size_t i = 0; i < f->n_options; i++)
                if (streq(f->options[i].value, value))
                        return true;
        return false;
}

/* Normalises one value in place (booleans, JIDs) and checks it against the offered options
 * and, for one-line text, for line breaks. */
static int normalize_value(const struct form_field *f, char **v, const char *lang, char **ret_error)
{
        const char *name = field_name(f, lang);
        char *n = NULL;

        switch (f->type) {
        case FORM_FIELD_BOOLEAN:
                if (!form_datatype_check(FORM_DT_BOOLEAN, *v))
                        return form_error(ret_error, l10n(lang, "%s: '%.*s%s' is not a boolean"),
                                          name, VALUE_ARGS(*v));
                n = strdup(streq(*v, "1") || streq(*v, "true") ? "1" : "0");
                break;
        case FORM_FIELD_JID_MULTI:
        case FORM_FIELD_JID_SINGLE:
                if (!jid_is_valid(*v))
                        return form_error(ret_error, l10n(lang, "%s: '%.*s%s' is not a valid JID"),
                                          name, VALUE_ARGS(*v));
                n = jid_normalize(*v);
                break;
        case FORM_FIELD_LIST_MULTI:
        case FORM_FIELD_LIST_SINGLE:
                if (!option_offered(f, *v))
                        return form_error(
                            ret_error, l10n(lang, "%s: '%.*s%s' is not one of the offered choices"),
                            name, VALUE_ARGS(*v));
                return 0;
        case FORM_FIELD_TEXT_PRIVATE:
        case FORM_FIELD_TEXT_SINGLE:
                /* A line break in a one-line field is no typing mistake. */
                if (strpbrk(*v, "\r\n"))
                        return form_error(ret_error, l10n(lang, "%s: line breaks are not allowed"),
                                          name);
                return 0;
        case FORM_FIELD_FIXED:
        case FORM_FIELD_HIDDEN:
        case FORM_FIELD_TEXT_MULTI:
        case _FORM_FIELD_TYPE_MAX:
                return 0;
        }
        if (!n)
                return -ENOMEM;
        free(*v);
        *v = n;
        return 0;
}

/* Multi-valued JID and list fields are sets: later duplicates go. */
static void dedup(char **l)
{
        for (size_t i = 0; l[i]; i++)
                for (size_t j = i + 1; l[j];)
                        if (streq(l[i], l[j]))
                                strv_remove(l, j);
                        else
                                j++;
}

static int validate_field(const struct form_field *f, const struct form_value *sub,
                          const char *lang, char ***ret, char **ret_error)
{
        _cleanup_strv_free_ char **vals = NULL;
        const char *name = field_name(f, lang);
        int r;

        if (f->required && (!sub || !sub->values || !sub->values[0]))
                return form_error(ret_error, l10n(lang, "%s is required"), name);
        r = collect_values(f, sub ? sub->values : f->defaults, lang, &vals, ret_error);
        if (r < 0)
                return r;
        if (f->required && !vals[0])
                return form_error(ret_error, l10n(lang, "%s is required"), name);
        if (field_is_single(f->type) && vals[0] && vals[1])
                return form_error(ret_error, l10n(lang, "%s: only one value is allowed"), name);
        STRV_FOREACH (v, vals) {
                r = normalize_value(f, v, lang, ret_error);
                if (r < 0)
                        return r;
        }
        if (f->type == FORM_FIELD_JID_MULTI || f->type == FORM_FIELD_LIST_MULTI)
                dedup(vals);
        STRV_FOREACH (v, vals) {
                r = check_value(f, *v, lang, ret_error);
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(vals);
        return 0;
}

/* Messages name the field by its label in lang and are written in lang (l10n()). */
static int validate(const struct form *def, const char *lang, const struct form_values *submitted,
                    struct form_values *ret_clean, char **ret_var, char **ret_error)
{
        struct form_values clean = {};
        int r = 0;

        for (size_t i = 0; i < def->n_fields && r >= 0; i++) {
                const struct form_field *f = &def->fields[i];
                _cleanup_strv_free_ char **vals = NULL;
                _cleanup_free_ char *err = NULL, *var = NULL;

                if (f->type == FORM_FIELD_FIXED || !f->var)
                        continue;
                /* Hidden values come from the definition, whatever the requester sent back. */
                if (f->type == FORM_FIELD_HIDDEN) {
                        r = form_values_set(&clean, f->var, f->defaults, false);
                        continue;
                }
                r = validate_field(f, form_values_find(submitted, f->var), lang, &vals, &err);
                if (r == -EINVAL) {
                        var = strdup(f->var);
                        if (!var || !err) {
                                r = -ENOMEM;
                                break;
                        }
                        if (ret_var)
                                *ret_var = TAKE_PTR(var);
                        if (ret_error)
                                *ret_error = TAKE_PTR(err);
                        break;
                }
                if (r >= 0)
                        r = form_values_set(&clean, f->var, vals,
                                            f->type == FORM_FIELD_TEXT_PRIVATE);
        }
        if (r < 0) {
                form_values_done(&clean);
                return r;
        }
        *ret_clean = clean;
        return 0;
}

int form_validate(const struct form *def, const struct form_values *submitted,
                  struct form_values *ret_clean, char **ret_var, char **ret_error)
{
        return validate(def, NULL, submitted, ret_clean, ret_var, ret_error);
}

int form_validate_lang(const struct form *def, const char *lang,
                       const struct form_values *submitted, struct form_values *ret_clean,
                       char **ret_var, char **ret_error)
{
        return validate(def, lang, submitted, ret_clean, ret_var, ret_error);
}
