/* SPDX-License-Identifier: MIT */
/* <x type='form'>: the form a requester fills in (XEP-0004, with XEP-0122 hints). */
#include "form.h"
#include "form-internal.h"

/* Adds one <name> element per non-empty line of text: titles and instructions carry no line
 * breaks. */
static int add_lines(xmpp_stanza_t *x, const char *name, const char *text)
{
        _cleanup_strv_free_ char **lines = NULL;
        int r;

        if (isempty(text))
                return 0;
        r = form_split_lines(text, &lines);
        if (r < 0)
                return r;
        STRV_FOREACH (l, lines)
                if (**l && !form_xml_add_text(x, name, *l))
                        return -ENOMEM;
        return 0;
}

static int set_oneline_attribute(xmpp_stanza_t *e, const char *name, const char *text)
{
        _cleanup_free_ char *s = NULL;

        if (isempty(text))
                return 0;
        s = form_oneline(text);
        if (!s || xmpp_stanza_set_attribute(e, name, s) != XMPP_EOK)
                return -ENOMEM;
        return 0;
}

static int add_oneline_text(xmpp_stanza_t *e, const char *name, const char *text)
{
        _cleanup_free_ char *s = NULL;

        if (isempty(text))
                return 0;
        s = form_oneline(text);
        if (!s || !form_xml_add_text(e, name, s))
                return -ENOMEM;
        return 0;
}

static xmpp_stanza_t *new_field(xmpp_stanza_t *x, const char *var, enum form_field_type type,
                                const char *label)
{
        xmpp_stanza_t *field;

        field = form_xml_add(x, form_xml_new(xmpp_stanza_get_context(x), "field"));
        if (!field)
                return NULL;
        if (var && xmpp_stanza_set_attribute(field, "var", var) != XMPP_EOK)
                return NULL;
        if (xmpp_stanza_set_attribute(field, "type", form_field_type_to_string(type)) != XMPP_EOK)
                return NULL;
        if (set_oneline_attribute(field, "label", label) < 0)
                return NULL;
        return field;
}

/* One fixed field per non-empty line (fixed values carry no line breaks); the label goes on the
 * first. Shared with result forms. */
int form_add_fixed(xmpp_stanza_t *x, const char *label, char *const *texts)
{
        bool first = true;

        STRV_FOREACH (t, (char **)texts) {
                _cleanup_strv_free_ char **lines = NULL;
                int r;

                r = form_split_lines(*t, &lines);
                if (r < 0)
                        return r;
                STRV_FOREACH (l, lines) {
                        xmpp_stanza_t *field;

                        if (!**l)
                                continue;
                        field = new_field(x, NULL, FORM_FIELD_FIXED, first ? label : NULL);
                        if (!field || !form_xml_add_text(field, "value", *l))
                                return -ENOMEM;
                        first = false;
                }
        }
        if (first && !isempty(label) && !new_field(x, NULL, FORM_FIELD_FIXED, label))
                return -ENOMEM;
        return 0;
}

/* Adds <value>s; text-multi values are split so that each line is one <value>. */
int form_add_values(xmpp_stanza_t *field, enum form_field_type type, char *const *values)
{
        STRV_FOREACH (v, (char **)values) {
                _cleanup_strv_free_ char **lines = NULL;
                int r;

                if (type != FORM_FIELD_TEXT_MULTI) {
                        if (!form_xml_add_text(field, "value", *v))
                                return -ENOMEM;
                        continue;
                }
                r = form_split_lines(*v, &lines);
                if (r < 0)
                        return r;
                STRV_FOREACH (l, lines)
                        if (!form_xml_add_text(field, "value", *l))
                                return -ENOMEM;
        }
        return 0;
}

static bool field_has_validate(const struct form_field *f)
{
        switch (f->type) {
        case FORM_FIELD_LIST_MULTI:
        case FORM_FIELD_LIST_SINGLE:
                /* Only the datatype is news: the options already say what is allowed. */
                return f->validate.datatype != FORM_DT_STRING;
        case FORM_FIELD_TEXT_MULTI:
        case FORM_FIELD_TEXT_PRIVATE:
        case FORM_FIELD_TEXT_SINGLE:
                break;
        /* Booleans and JIDs have their own syntax; fixed and hidden fields are not edited. */
        case FORM_FIELD_BOOLEAN:
        case FORM_FIELD_FIXED:
        case FORM_FIELD_HIDDEN:
        case FORM_FIELD_JID_MULTI:
        case FORM_FIELD_JID_SINGLE:
        case _FORM_FIELD_TYPE_MAX:
                return false;
        }
        return f->validate.datatype != FORM_DT_STRING || f->validate.min || f->validate.max ||
               f->validate.has_regex;
}

/* XEP-0122 allows one method. Lists use <basic/> (the value is one of the options: open lists
 * are not supported); other fields advertise their range, else their regex. */
static int add_validate(xmpp_stanza_t *field, const struct form_field *f)
{
        xmpp_stanza_t *v, *m;
        bool list = f->type == FORM_FIELD_LIST_SINGLE || f->type == FORM_FIELD_LIST_MULTI;

        if (!field_has_validate(f))
                return 0;
        v = form_xml_add(field, form_xml_new(xmpp_stanza_get_context(field), "validate"));
        if (!v || xmpp_stanza_set_ns(v, NS_XDATA_VALIDATE) != XMPP_EOK ||
            xmpp_stanza_set_attribute(v, "datatype",
                                      form_datatype_to_string(f->validate.datatype)) != XMPP_EOK)
                return -ENOMEM;
        if (!list && (f->validate.min || f->validate.max)) {
                m = form_xml_add_text(v, "range", NULL);
                if (!m)
                        return -ENOMEM;
                if (f->validate.min && xmpp_stanza_set_attribute(m, "min", f->validate.min) < 0)
                        return -ENOMEM;
                if (f->validate.max && xmpp_stanza_set_attribute(m, "max", f->validate.max) < 0)
                        return -ENOMEM;
        } else if (!list && f->validate.has_regex && f->validate.regex)
                m = form_xml_add_text(v, "regex", f->validate.regex);
        else
                m = form_xml_add_text(v, "basic", NULL);
        return m ? 0 : -ENOMEM;
}

static int add_options(xmpp_stanza_t *field, const struct form_field *f, const char *lang)
{
        for (size_t i = 0; i < f->n_options; i++) {
                xmpp_stanza_t *o;
                int r;

                o = form_xml_add(field, form_xml_new(xmpp_stanza_get_context(field), "option"));
                if (!o)
                        return -ENOMEM;
                r = set_oneline_attribute(o, "label", i18n_pick(&f->options[i].label, lang));
                if (r < 0)
                        return r;
                if (!form_xml_add_text(o, "value", f->options[i].value))
                        return -ENOMEM;
        }
        return 0;
}

static int add_field(xmpp_stanza_t *x, const struct form_field *f, const char *lang,
                     const struct form_values *prefill)
{
        const struct form_value *pv = NULL;
        xmpp_stanza_t *field;
        int r;

        if (f->type == FORM_FIELD_FIXED)
                return form_add_fixed(x, i18n_pick(&f->label, lang), f->defaults);

        field = new_field(x, f->var, f->type, i18n_pick(&f->label, lang));
        if (!field)
                return -ENOMEM;
        r = add_oneline_text(field, "desc", i18n_pick(&f->desc, lang));
        if (r < 0)
                return r;
        if (f->required && !form_xml_add_text(field, "required", NULL))
                return -ENOMEM;
        r = add_validate(field, f);
        if (r < 0)
                return r;
        /* A secret is never sent back, not even to the requester who typed it. */
        if (f->type != FORM_FIELD_TEXT_PRIVATE)
                pv = form_values_find(prefill, f->var);
        r = form_add_values(field, f->type, pv ? pv->values : f->defaults);
        if (r < 0)
                return r;
        return add_options(field, f, lang);
}

xmpp_stanza_t *form_build(xmpp_ctx_t *ctx, const struct form *f, const char *lang,
                          const struct form_values *prefill)
{
        _cleanup_stanza_ xmpp_stanza_t *x = NULL;
        _cleanup_free_ char *title = NULL;
        const char *t;

        x = form_xml_new(ctx, "x");
        if (!x || xmpp_stanza_set_ns(x, NS_XDATA) != XMPP_EOK ||
            xmpp_stanza_set_type(x, "form") != XMPP_EOK)
                return NULL;
        t = i18n_pick(&f->title, lang);
        if (!isempty(t)) {
                title = form_oneline(t);
                if (!title || !form_xml_add_text(x, "title", title))
                        return NULL;
        }
        if (add_lines(x, "instructions", i18n_pick(&f->instructions, lang)) < 0)
                return NULL;
        for (size_t i = 0; i < f->n_fields; i++)
                if (add_field(x, &f->fields[i], lang, prefill) < 0)
                        return NULL;
        return TAKE_PTR(x);
}
