/* SPDX-License-Identifier: MIT */
/*
 * Submitted forms through the parser, the validator and both builders, against a fixed
 * definition with every field type. An input that does not start with '<' instead checks one
 * value against a datatype chosen by its first byte, with properties of the comparison.
 */
#include <stdio.h>

#include "form.h"

static struct form *def;

static struct form_field *add(const char *var, enum form_field_type type, const char *label)
{
        struct form_field *f = array_grow((void **)&def->fields, &def->n_fields, sizeof(*f));

        if (!f)
                abort();
        f->var = strdup_or_null(var);
        f->type = type;
        if (label)
                i18n_set_plain(&f->label, label);
        return f;
}

static void add_options(struct form_field *f, const char *const *values)
{
        for (size_t i = 0; values[i]; i++) {
                struct form_option *o = array_grow((void **)&f->options, &f->n_options, sizeof(*o));
                if (!o)
                        abort();
                o->value = strdup(values[i]);
        }
}

static void build_definition(void)
{
        static const char *const services[] = {"nginx", "sshd", "cron", NULL};
        static const char *const levels[] = {"1", "2", "3", NULL};
        struct form_field *f;

        def = zalloc(sizeof(*def));
        i18n_set_plain(&def->title, "Fuzz\nform");
        i18n_set_plain(&def->instructions, "Line one\nLine two");
        f = add(NULL, FORM_FIELD_FIXED, "Note");
        strv_extend(&f->defaults, "fixed\ntext");
        f = add("enabled", FORM_FIELD_BOOLEAN, "Enabled");
        strv_extend(&f->defaults, "1");
        f = add("token", FORM_FIELD_HIDDEN, NULL);
        strv_extend(&f->defaults, "state");
        f = add("peers", FORM_FIELD_JID_MULTI, "Peers");
        f = add("peer", FORM_FIELD_JID_SINGLE, "Peer");
        f->validate.datatype = FORM_DT_STRING;
        form_field_set_regex(f, "[^@]+@example\\.(com|org)");
        f = add("levels", FORM_FIELD_LIST_MULTI, "Levels");
        f->validate.datatype = FORM_DT_INTEGER;
        add_options(f, levels);
        f = add("service", FORM_FIELD_LIST_SINGLE, "Service");
        f->required = true;
        add_options(f, services);
        f = add("lines", FORM_FIELD_TEXT_MULTI, "Lines");
        f->validate.datatype = FORM_DT_INTEGER;
        f->validate.max = strdup("99999999999999999999999");
        f = add("secret", FORM_FIELD_TEXT_PRIVATE, "Secret");
        f = add("count", FORM_FIELD_TEXT_SINGLE, "Count");
        f->validate.datatype = FORM_DT_INT;
        f->validate.min = strdup("-5");
        f->validate.max = strdup("1000");
        f = add("when", FORM_FIELD_TEXT_SINGLE, "When");
        f->validate.datatype = FORM_DT_DATETIME;
        f->validate.min = strdup("2000-01-01T00:00:00Z");
        f = add("ratio", FORM_FIELD_TEXT_SINGLE, NULL);
        f->validate.datatype = FORM_DT_DOUBLE;
        f->validate.min = strdup("-1e3");
        f->validate.max = strdup("INF");
        f = add("url", FORM_FIELD_TEXT_SINGLE, NULL);
        f->validate.datatype = FORM_DT_ANYURI;
}

static void check_text(xmpp_ctx_t *ctx, xmpp_stanza_t *x)
{
        char *buf = NULL;
        size_t len;

        if (!x)
                return;
        if (xmpp_stanza_to_text(x, &buf, &len) == XMPP_EOK)
                xmpp_free(ctx, buf);
        xmpp_stanza_release(x);
}

static bool offered(const struct form_field *f, const char *value)
{
        for (size_t i = 0; i < f->n_options; i++)
                if (streq(f->options[i].value, value))
                        return true;
        return false;
}

/* What validation promises: only defined fields, offered options, normalised booleans, hidden
 * values from the definition. */
static void check_clean(const struct form_values *clean)
{
        for (size_t i = 0; i < clean->n; i++) {
                const struct form_field *f = form_find_field(def, clean->v[i].var);
                char **v = clean->v[i].values;

                if (!f || f->type == FORM_FIELD_FIXED || !v)
                        abort();
                if (clean->v[i].secret != (f->type == FORM_FIELD_TEXT_PRIVATE))
                        abort();
                if (f->type == FORM_FIELD_HIDDEN && !streq(v[0], f->defaults[0]))
                        abort();
                STRV_FOREACH (s, v) {
                        if ((f->type == FORM_FIELD_LIST_SINGLE ||
                             f->type == FORM_FIELD_LIST_MULTI) &&
                            !offered(f, *s))
                                abort();
                        if (f->type == FORM_FIELD_BOOLEAN && !streq(*s, "1") && !streq(*s, "0"))
                                abort();
                        if (form_check_value(f, *s, NULL) < 0)
                                abort();
                }
        }
}

static void fuzz_form(const char *input)
{
        xmpp_ctx_t *ctx = xmpp_ctx_new(NULL, NULL);
        struct form_values sub = {}, clean = {}, copy = {};
        struct form_result *res;
        enum form_submit_type type;
        char *err = NULL, *var = NULL;
        xmpp_stanza_t *x;

        if (!ctx)
                return;
        x = xmpp_stanza_new_from_string(ctx, input);
        if (!x)
                goto out;
        if (form_parse_submit(x, &type, &sub, &err) < 0)
                goto out;
        if (form_validate(def, &sub, &clean, &var, &err) == 0) {
                check_clean(&clean);
                if (form_values_copy(&clean, &copy) < 0)
                        goto out;
                check_text(ctx, form_build(ctx, def, "en", &copy));
        } else if (!var || !err)
                abort(); /* a rejection always names the field and the reason */
        res = form_result_new();
        for (size_t i = 0; res && i < sub.n; i++)
                form_result_add_field(res, sub.v[i].var, sub.v[i].var, FORM_FIELD_TEXT_SINGLE,
                                      sub.v[i].values);
        check_text(ctx, res ? form_result_build(ctx, res) : NULL);
        form_result_free(res);
out:
        free(err);
        free(var);
        form_values_done(&sub);
        form_values_done(&clean);
        form_values_done(&copy);
        if (x)
                xmpp_stanza_release(x);
        xmpp_ctx_free(ctx);
}

static void fuzz_datatype(enum form_datatype dt, const char *value)
{
        static const char *const bounds[] = {"0",
                                             "-1",
                                             "1e3",
                                             "2000-01-01",
                                             "12:00:00",
                                             "2000-01-01T00:00:00Z",
                                             "99999999999999999999"};
        struct form_field f = {.var = (char *)"v", .validate.datatype = dt};
        char *err = NULL;
        int c, c2;

        if (form_check_value(&f, value, &err) < 0 && !err)
                abort();
        free(err);
        if (!form_datatype_check(dt, value) || !form_datatype_is_ordered(dt))
                return;
        if (form_datatype_compare(dt, value, value, &c) == 0 && c != 0)
                abort();
        for (size_t i = 0; i < ELEMENTSOF(bounds); i++) {
                if (form_datatype_compare(dt, value, bounds[i], &c) < 0)
                        continue;
                if (form_datatype_compare(dt, bounds[i], value, &c2) < 0 || (c > 0) != (c2 < 0) ||
                    (c == 0) != (c2 == 0))
                        abort();
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *s;

        if (size == 0 || size > 256 * 1024)
                return 0;
        if (!def)
                build_definition();
        s = malloc(size + 1);
        if (!s)
                return 0;
        memcpy(s, data, size);
        s[size] = 0;
        if (s[0] == '<')
                fuzz_form(s);
        else
                fuzz_datatype((enum form_datatype)(data[0] % _FORM_DT_MAX), s + 1);
        free(s);
        return 0;
}
