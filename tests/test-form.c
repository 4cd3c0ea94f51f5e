/* SPDX-License-Identifier: MIT */
#include <stdarg.h>

#include "form.h"
#include "tests.h"

static xmpp_ctx_t *ctx;

#define CHECK_CONTAINS(hay, needle)                                                                \
        do {                                                                                       \
                const char *_h = (hay), *_n = (needle);                                            \
                if (!_h || !strstr(_h, _n)) {                                                      \
                        fprintf(stderr, "%s:%d: CHECK_CONTAINS failed: \"%s\" not in \"%s\"\n",    \
                                __FILE__, __LINE__, _n, _h ? _h : "(null)");                       \
                        tests_failed++;                                                            \
                }                                                                                  \
        } while (0)

#define CHECK_NOT_CONTAINS(hay, needle)                                                            \
        do {                                                                                       \
                const char *_h = (hay), *_n = (needle);                                            \
                if (!_h || strstr(_h, _n)) {                                                       \
                        fprintf(stderr, "%s:%d: CHECK_NOT_CONTAINS failed: \"%s\" in \"%s\"\n",    \
                                __FILE__, __LINE__, _n, _h ? _h : "(null)");                       \
                        tests_failed++;                                                            \
                }                                                                                  \
        } while (0)

/* --- building definitions in C ------------------------------------------------------------ */

static struct form *form_new(const char *title, const char *instructions)
{
        struct form *f = zalloc(sizeof(*f));

        if (title)
                i18n_set_plain(&f->title, title);
        if (instructions)
                i18n_set_plain(&f->instructions, instructions);
        return f;
}

static struct form_field *field_add(struct form *f, const char *var, enum form_field_type type,
                                    const char *label)
{
        struct form_field *fl = array_grow((void **)&f->fields, &f->n_fields, sizeof(*fl));

        fl->var = strdup_or_null(var);
        fl->type = type;
        if (label)
                i18n_set_plain(&fl->label, label);
        return fl;
}

/* NULL-terminated list of defaults. */
static void field_defaults(struct form_field *f, ...)
{
        va_list ap;
        const char *v;

        va_start(ap, f);
        while ((v = va_arg(ap, const char *)))
                strv_extend(&f->defaults, v);
        va_end(ap);
}

/* NULL-terminated list of value, label pairs (label may be "" for none). */
static void field_options(struct form_field *f, ...)
{
        va_list ap;
        const char *v;

        va_start(ap, f);
        while ((v = va_arg(ap, const char *))) {
                const char *label = va_arg(ap, const char *);
                struct form_option *o = array_grow((void **)&f->options, &f->n_options, sizeof(*o));

                o->value = strdup(v);
                if (*label)
                        i18n_set_plain(&o->label, label);
        }
        va_end(ap);
}

static void field_validate(struct form_field *f, enum form_datatype dt, const char *min,
                           const char *max, const char *regex)
{
        f->validate.datatype = dt;
        f->validate.min = strdup_or_null(min);
        f->validate.max = strdup_or_null(max);
        if (regex)
                CHECK_INT(form_field_set_regex(f, regex), 0);
}

static void i18n_add_lang(struct i18n *t, const char *lang, const char *text)
{
        struct i18n_entry *e = array_grow((void **)&t->v, &t->n, sizeof(*e));

        e->lang = strdup(lang);
        e->text = strdup(text);
}

/* --- stanza helpers ----------------------------------------------------------------------- */

static char *to_text(xmpp_stanza_t *s)
{
        char *buf = NULL, *copy;
        size_t len;

        if (!s || xmpp_stanza_to_text(s, &buf, &len) != XMPP_EOK)
                return NULL;
        copy = strdup(buf);
        xmpp_free(ctx, buf);
        return copy;
}

static xmpp_stanza_t *child_field(xmpp_stanza_t *x, const char *var)
{
        for (xmpp_stanza_t *c = xmpp_stanza_get_children(x); c; c = xmpp_stanza_get_next(c))
                if (xmpp_stanza_is_tag(c) && streq(xmpp_stanza_get_name(c), "field") &&
                    streq_ptr(xmpp_stanza_get_attribute(c, "var"), var))
                        return c;
        return NULL;
}

static size_t count_children(xmpp_stanza_t *x, const char *name)
{
        size_t n = 0;

        for (xmpp_stanza_t *c = xmpp_stanza_get_children(x); c; c = xmpp_stanza_get_next(c))
                if (xmpp_stanza_is_tag(c) && streq(xmpp_stanza_get_name(c), name))
                        n++;
        return n;
}

/* The texts of the <value> children, joined with '|'. */
static char *field_values(xmpp_stanza_t *field)
{
        char *s = strdup("");

        for (xmpp_stanza_t *c = xmpp_stanza_get_children(field); c; c = xmpp_stanza_get_next(c)) {
                char *t, *n;

                if (!xmpp_stanza_is_tag(c) || !streq(xmpp_stanza_get_name(c), "value"))
                        continue;
                t = xmpp_stanza_get_text(c);
                CHECK(asprintf(&n, "%s%s%s", s, *s ? "|" : "", t ? t : "") >= 0);
                if (t)
                        xmpp_free(ctx, t);
                free(s);
                s = n;
        }
        return s;
}

static int parse_xml(const char *xml, enum form_submit_type *type, struct form_values *ret,
                     char **err)
{
        xmpp_stanza_t *x = xmpp_stanza_new_from_string(ctx, xml);
        int r;

        CHECK(x);
        if (!x)
                return -EIO;
        r = form_parse_submit(x, type, ret, err);
        xmpp_stanza_release(x);
        return r;
}

/* Parses a submit form made of fields_xml and validates it against def. */
static int submit(const struct form *def, const char *fields_xml, struct form_values *clean,
                  char **var, char **err)
{
        _cleanup_free_ char *xml = NULL;
        struct form_values sub = {};
        enum form_submit_type type;
        int r;

        CHECK(asprintf(&xml, "<x xmlns='jabber:x:data' type='submit'>%s</x>", fields_xml) > 0);
        r = parse_xml(xml, &type, &sub, err);
        if (r < 0)
                return r;
        CHECK_INT(type, FORM_SUBMIT);
        r = form_validate(def, &sub, clean, var, err);
        form_values_done(&sub);
        return r;
}

static char *joined(const struct form_values *v, const char *var)
{
        const struct form_value *fv = form_values_find(v, var);
        char *s = strdup("");

        if (!fv)
                return NULL;
        STRV_FOREACH (i, fv->values) {
                char *n;

                CHECK(asprintf(&n, "%s%s%s", s, *s ? "|" : "", *i) >= 0);
                free(s);
                s = n;
        }
        return s;
}

static void expect_ok(const struct form *def, const char *fields, const char *var,
                      const char *expected)
{
        struct form_values clean = {};
        char *bad_var = NULL, *err = NULL, *got;
        int r;

        r = submit(def, fields, &clean, &bad_var, &err);
        if (r != 0) {
                fprintf(stderr, "unexpected failure for %s: %s (%s)\n", fields, strempty(err),
                        strempty(bad_var));
                tests_failed++;
        }
        got = joined(&clean, var);
        CHECK_STREQ(got, expected);
        free(got);
        free(bad_var);
        free(err);
        form_values_done(&clean);
}

static void expect_fail(const struct form *def, const char *fields, const char *var,
                        const char *message)
{
        struct form_values clean = {.n = 42};
        char *bad_var = NULL, *err = NULL;
        int r;

        r = submit(def, fields, &clean, &bad_var, &err);
        if (r != -EINVAL) {
                fprintf(stderr, "expected failure for %s, got %d\n", fields, r);
                tests_failed++;
        }
        CHECK_INT(clean.n, 42); /* untouched */
        if (var)
                CHECK_STREQ(bad_var, var);
        CHECK_CONTAINS(err, message);
        free(bad_var);
        free(err);
}

/* --- tests -------------------------------------------------------------------------------- */

static void test_names(void)
{
        for (int t = 0; t < _FORM_FIELD_TYPE_MAX; t++)
                CHECK_INT(form_field_type_from_string(form_field_type_to_string(t)), t);
        for (int t = 0; t < _FORM_DT_MAX; t++)
                CHECK_INT(form_datatype_from_string(form_datatype_to_string(t)), t);
        CHECK_STREQ(form_field_type_to_string(FORM_FIELD_JID_MULTI), "jid-multi");
        CHECK_STREQ(form_datatype_to_string(FORM_DT_DATETIME), "xs:dateTime");
        CHECK_INT(form_field_type_from_string("text"), -EINVAL);
        CHECK_INT(form_field_type_from_string(NULL), -EINVAL);
        CHECK_INT(form_datatype_from_string("integer"), FORM_DT_INTEGER);
        CHECK_INT(form_datatype_from_string("xs:float"), -EINVAL);
        CHECK(!form_field_type_to_string(_FORM_FIELD_TYPE_MAX));
}

static void test_values(void)
{
        struct form_values v = {}, c = {};
        char *a[] = {(char *)"x", (char *)"y", NULL}, *b[] = {(char *)"z", NULL};

        CHECK_INT(form_values_set(&v, "one", a, false), 0);
        CHECK_INT(form_values_set(&v, "two", NULL, true), 0);
        CHECK_INT(form_values_set(&v, "one", b, false), 0);
        CHECK_INT(v.n, 2);
        CHECK_STREQ(form_values_first(&v, "one"), "z");
        CHECK(!form_values_first(&v, "two"));
        CHECK(form_values_find(&v, "two")->values);
        CHECK(form_values_find(&v, "two")->secret);
        CHECK(!form_values_find(&v, "three"));
        CHECK(!form_values_find(NULL, "one"));
        CHECK_INT(form_values_copy(&v, &c), 0);
        form_values_done(&v);
        CHECK_INT(v.n, 0);
        CHECK_STREQ(form_values_first(&c, "one"), "z");
        CHECK(form_values_find(&c, "two")->secret);
        form_values_done(&c);
        form_values_done(NULL);
}

static struct form *sample_form(void)
{
        struct form *f = form_new("Restart\na service", "First line.\nSecond line.\n");
        struct form_field *fl;

        fl = field_add(f, NULL, FORM_FIELD_FIXED, "Notice");
        field_defaults(fl, "Careful:\nthis restarts things.", NULL);
        fl = field_add(f, "service", FORM_FIELD_LIST_SINGLE, "Service");
        i18n_set_plain(&fl->desc, "Which one\nto restart");
        fl->required = true;
        field_options(fl, "nginx", "Web server", "sshd", "", NULL);
        field_defaults(fl, "nginx", NULL);
        fl = field_add(f, "count", FORM_FIELD_TEXT_SINGLE, "Count");
        field_validate(fl, FORM_DT_INTEGER, "1", "10", NULL);
        field_defaults(fl, "3", NULL);
        fl = field_add(f, "code", FORM_FIELD_TEXT_SINGLE, NULL);
        field_validate(fl, FORM_DT_STRING, NULL, NULL, "[A-Z]{3}");
        fl = field_add(f, "pw", FORM_FIELD_TEXT_PRIVATE, "Password");
        fl = field_add(f, "token", FORM_FIELD_HIDDEN, NULL);
        field_defaults(fl, "s3cret-state", NULL);
        fl = field_add(f, "notes", FORM_FIELD_TEXT_MULTI, "Notes");
        field_defaults(fl, "a\nb", NULL);
        fl = field_add(f, "level", FORM_FIELD_LIST_MULTI, "Level");
        field_validate(fl, FORM_DT_INTEGER, NULL, NULL, NULL);
        field_options(fl, "1", "", "2", "", NULL);
        fl = field_add(f, "name", FORM_FIELD_TEXT_SINGLE, "Name");
        return f;
}

static void test_build(void)
{
        _cleanup_(form_freep) struct form *f = sample_form();
        struct form_values prefill = {};
        char *pv[] = {(char *)"typed", NULL}, *cv[] = {(char *)"7", NULL};
        xmpp_stanza_t *x, *fl, *v, *m;
        char *text, *s;

        form_values_set(&prefill, "pw", pv, true);
        form_values_set(&prefill, "count", cv, false);
        x = form_build(ctx, f, "en", &prefill);
        CHECK(x);
        text = to_text(x);
        CHECK_STREQ(xmpp_stanza_get_ns(x), NS_XDATA);
        CHECK_STREQ(xmpp_stanza_get_type(x), "form");
        CHECK_CONTAINS(text, "<title>Restart a service</title>");
        CHECK_CONTAINS(text, "<instructions>First line.</instructions>");
        CHECK_CONTAINS(text, "<instructions>Second line.</instructions>");
        CHECK_INT(count_children(x, "instructions"), 2);
        CHECK_CONTAINS(text, "<desc>Which one to restart</desc>");
        CHECK_NOT_CONTAINS(text, "typed");
        CHECK_NOT_CONTAINS(text, "\n");

        /* Fixed text: one field per line, without var; the label on the first. */
        fl = xmpp_stanza_get_children(x);
        while (fl && !streq(xmpp_stanza_get_name(fl), "field"))
                fl = xmpp_stanza_get_next(fl);
        CHECK(fl && !xmpp_stanza_get_attribute(fl, "var"));
        CHECK_STREQ(xmpp_stanza_get_attribute(fl, "type"), "fixed");
        CHECK_STREQ(xmpp_stanza_get_attribute(fl, "label"), "Notice");
        s = field_values(fl);
        CHECK_STREQ(s, "Careful:");
        free(s);
        fl = xmpp_stanza_get_next(fl);
        CHECK_STREQ(xmpp_stanza_get_attribute(fl, "type"), "fixed");
        CHECK(!xmpp_stanza_get_attribute(fl, "label"));
        s = field_values(fl);
        CHECK_STREQ(s, "this restarts things.");
        free(s);

        fl = child_field(x, "service");
        CHECK_STREQ(xmpp_stanza_get_attribute(fl, "type"), "list-single");
        CHECK_STREQ(xmpp_stanza_get_attribute(fl, "label"), "Service");
        CHECK(xmpp_stanza_get_child_by_name(fl, "required"));
        CHECK(!xmpp_stanza_get_child_by_name(fl, "validate"));
        CHECK_INT(count_children(fl, "option"), 2);
        m = xmpp_stanza_get_child_by_name(fl, "option");
        CHECK_STREQ(xmpp_stanza_get_attribute(m, "label"), "Web server");
        s = field_values(m);
        CHECK_STREQ(s, "nginx");
        free(s);
        CHECK(!xmpp_stanza_get_attribute(xmpp_stanza_get_next(m), "label"));
        s = field_values(fl);
        CHECK_STREQ(s, "nginx");
        free(s);

        /* Prefill wins over defaults; XEP-0122 range. */
        fl = child_field(x, "count");
        s = field_values(fl);
        CHECK_STREQ(s, "7");
        free(s);
        CHECK(!xmpp_stanza_get_child_by_name(fl, "required"));
        v = xmpp_stanza_get_child_by_name(fl, "validate");
        CHECK_STREQ(xmpp_stanza_get_ns(v), NS_XDATA_VALIDATE);
        CHECK_STREQ(xmpp_stanza_get_attribute(v, "datatype"), "xs:integer");
        m = xmpp_stanza_get_child_by_name(v, "range");
        CHECK_STREQ(xmpp_stanza_get_attribute(m, "min"), "1");
        CHECK_STREQ(xmpp_stanza_get_attribute(m, "max"), "10");

        fl = child_field(x, "code");
        CHECK(!xmpp_stanza_get_attribute(fl, "label"));
        v = xmpp_stanza_get_child_by_name(fl, "validate");
        CHECK_STREQ(xmpp_stanza_get_attribute(v, "datatype"), "xs:string");
        CHECK_CONTAINS(text, "<regex>[A-Z]{3}</regex>");

        /* A secret is never prefilled. */
        fl = child_field(x, "pw");
        CHECK_STREQ(xmpp_stanza_get_attribute(fl, "type"), "text-private");
        CHECK_INT(count_children(fl, "value"), 0);

        fl = child_field(x, "token");
        CHECK_STREQ(xmpp_stanza_get_attribute(fl, "type"), "hidden");
        s = field_values(fl);
        CHECK_STREQ(s, "s3cret-state");
        free(s);

        fl = child_field(x, "notes");
        s = field_values(fl);
        CHECK_STREQ(s, "a|b");
        free(s);

        /* Lists with a datatype say <basic/>: the value is one of the options. */
        fl = child_field(x, "level");
        v = xmpp_stanza_get_child_by_name(fl, "validate");
        CHECK_STREQ(xmpp_stanza_get_attribute(v, "datatype"), "xs:integer");
        CHECK(xmpp_stanza_get_child_by_name(v, "basic"));

        fl = child_field(x, "name");
        CHECK_STREQ(xmpp_stanza_get_attribute(fl, "type"), "text-single");
        CHECK(!xmpp_stanza_get_child_by_name(fl, "validate"));
        CHECK_INT(count_children(fl, "value"), 0);

        free(text);
        xmpp_stanza_release(x);
        form_values_done(&prefill);
}

static void test_build_lang(void)
{
        _cleanup_(form_freep) struct form *f = form_new(NULL, NULL);
        struct form_field *fl;
        xmpp_stanza_t *x;
        char *text;

        i18n_add_lang(&f->title, "en", "Restart");
        i18n_add_lang(&f->title, "fr", "Redémarrer");
        fl = field_add(f, "a", FORM_FIELD_BOOLEAN, NULL);
        i18n_add_lang(&fl->label, "en", "Sure?");
        i18n_add_lang(&fl->label, "fr", "Sûr ?");
        field_defaults(fl, "0", NULL);

        x = form_build(ctx, f, "fr-CA", NULL);
        text = to_text(x);
        CHECK_CONTAINS(text, "<title>Redémarrer</title>");
        CHECK_STREQ(xmpp_stanza_get_attribute(child_field(x, "a"), "label"), "Sûr ?");
        CHECK_NOT_CONTAINS(text, "instructions");
        free(text);
        xmpp_stanza_release(x);

        x = form_build(ctx, f, NULL, NULL);
        text = to_text(x);
        CHECK_CONTAINS(text, "<title>Restart</title>");
        CHECK_CONTAINS(text, "<value>0</value>");
        free(text);
        xmpp_stanza_release(x);
}

static void test_parse(void)
{
        struct form_values v = {};
        enum form_submit_type type = 99;
        char *err = NULL, *big, *xml;
        int r;

        CHECK_INT(parse_xml("<x xmlns='jabber:x:data' type='submit'>"
                            "<field var='a' type='text-single'><value>1</value></field>"
                            "<field var='b'><value>x</value><value></value><value>y</value></field>"
                            "<field var='c'/><title>ignored</title></x>",
                            &type, &v, &err),
                  0);
        CHECK_INT(type, FORM_SUBMIT);
        CHECK_INT(v.n, 3);
        CHECK_STREQ(form_values_first(&v, "a"), "1");
        CHECK_INT(strv_length(form_values_find(&v, "b")->values), 3);
        CHECK_STREQ(form_values_find(&v, "b")->values[1], "");
        CHECK(form_values_find(&v, "c")->values && !form_values_find(&v, "c")->values[0]);
        CHECK(!err);
        form_values_done(&v);

        CHECK_INT(parse_xml("<x xmlns='jabber:x:data' type='cancel'><field var='a'/></x>", &type,
                            &v, &err),
                  0);
        CHECK_INT(type, FORM_CANCEL);
        CHECK_INT(v.n, 0);

        type = 99;
        CHECK_INT(parse_xml("<x xmlns='jabber:x:data' type='form'/>", &type, &v, &err), -EINVAL);
        CHECK_STREQ(err, "form type must be submit");
        CHECK_INT(type, 99);
        free(err);
        CHECK_INT(parse_xml("<x xmlns='jabber:x:data' type='result'/>", &type, &v, &err), -EINVAL);
        free(err);
        CHECK_INT(parse_xml("<x xmlns='jabber:x:data'/>", &type, &v, &err), -EINVAL);
        CHECK_STREQ(err, "form type must be submit");
        free(err);
        CHECK_INT(parse_xml("<x xmlns='jabber:x:oob' type='submit'/>", &type, &v, &err), -EINVAL);
        CHECK_STREQ(err, "not a data form");
        free(err);
        CHECK_INT(parse_xml("<y xmlns='jabber:x:data' type='submit'/>", &type, &v, &err), -EINVAL);
        free(err);
        CHECK_INT(form_parse_submit(NULL, &type, &v, &err), -EINVAL);
        free(err);
        /* No message wanted. */
        CHECK_INT(parse_xml("<x xmlns='jabber:x:data' type='form'/>", &type, &v, NULL), -EINVAL);

        CHECK_INT(parse_xml("<x xmlns='jabber:x:data' type='submit'><field><value>1</value>"
                            "</field></x>",
                            &type, &v, &err),
                  -EINVAL);
        CHECK_STREQ(err, "a field has no var");
        free(err);
        CHECK_INT(parse_xml("<x xmlns='jabber:x:data' type='submit'><field var=''/></x>", &type, &v,
                            &err),
                  -EINVAL);
        CHECK_STREQ(err, "a field has no var");
        free(err);
        CHECK_INT(parse_xml("<x xmlns='jabber:x:data' type='submit'><field var='a'/>"
                            "<field var='b'/><field var='a'><value>2</value></field></x>",
                            &type, &v, &err),
                  -EINVAL);
        CHECK_STREQ(err, "field 'a' is given more than once");
        CHECK_INT(v.n, 0);
        free(err);
        CHECK_INT(parse_xml("<x xmlns='jabber:x:data' type='submit'><field var='a'>"
                            "<value>1<b>2</b></value></field></x>",
                            &type, &v, &err),
                  -EINVAL);
        CHECK_STREQ(err, "field 'a' has a malformed value");
        free(err);

        /* Limits. */
        xml = strdup("<x xmlns='jabber:x:data' type='submit'>");
        for (int i = 0; i <= FORM_MAX_FIELDS; i++) {
                char *n;
                CHECK(asprintf(&n, "%s<field var='f%d'/>", xml, i) > 0);
                free(xml);
                xml = n;
                if (i == FORM_MAX_FIELDS - 1) {
                        char *ok;
                        CHECK(asprintf(&ok, "%s</x>", xml) > 0);
                        CHECK_INT(parse_xml(ok, &type, &v, &err), 0);
                        CHECK_INT(v.n, FORM_MAX_FIELDS);
                        form_values_done(&v);
                        free(ok);
                }
        }
        big = xml;
        CHECK(asprintf(&xml, "%s</x>", big) > 0);
        free(big);
        CHECK_INT(parse_xml(xml, &type, &v, &err), -EINVAL);
        CHECK_STREQ(err, "the form has more than 64 fields");
        free(err);
        free(xml);

        xml = strdup("<x xmlns='jabber:x:data' type='submit'><field var='many'>");
        for (int i = 0; i <= FORM_MAX_VALUES; i++) {
                char *n;
                CHECK(asprintf(&n, "%s<value>%d</value>", xml, i) > 0);
                free(xml);
                xml = n;
        }
        big = xml;
        CHECK(asprintf(&xml, "%s</field></x>", big) > 0);
        free(big);
        CHECK_INT(parse_xml(xml, &type, &v, &err), -EINVAL);
        CHECK_STREQ(err, "the form has more than 256 values");
        free(err);
        free(xml);

        big = malloc(FORM_MAX_VALUE_SIZE + 2);
        memset(big, 'v', FORM_MAX_VALUE_SIZE);
        big[FORM_MAX_VALUE_SIZE] = 0;
        CHECK(asprintf(&xml,
                       "<x xmlns='jabber:x:data' type='submit'><field var='big'>"
                       "<value>%s</value></field></x>",
                       big) > 0);
        CHECK_INT(parse_xml(xml, &type, &v, &err), 0);
        CHECK_INT(strlen(form_values_first(&v, "big")), FORM_MAX_VALUE_SIZE);
        form_values_done(&v);
        free(xml);
        big[FORM_MAX_VALUE_SIZE] = 'v';
        big[FORM_MAX_VALUE_SIZE + 1] = 0;
        CHECK(asprintf(&xml,
                       "<x xmlns='jabber:x:data' type='submit'><field var='big'>"
                       "<value>%s</value></field></x>",
                       big) > 0);
        CHECK_INT(parse_xml(xml, &type, &v, &err), -EINVAL);
        CHECK_STREQ(err, "field 'big' has a value over 16384 bytes");
        free(err);
        free(xml);
        free(big);

        /* Control characters cannot come through the XML parser; build the stanza directly. */
        {
                xmpp_stanza_t *x = xmpp_stanza_new_from_string(
                    ctx, "<x xmlns='jabber:x:data' type='submit'><field var='c'>"
                         "<value/></field></x>");
                xmpp_stanza_t *value = xmpp_stanza_get_child_by_name(
                    xmpp_stanza_get_child_by_name(x, "field"), "value");
                xmpp_stanza_t *t = xmpp_stanza_new(ctx);

                xmpp_stanza_set_text(t, "a\x01z");
                xmpp_stanza_add_child_ex(value, t, 0);
                r = form_parse_submit(x, &type, &v, &err);
                CHECK_INT(r, -EINVAL);
                CHECK_STREQ(err, "field 'c' has a value with invalid characters");
                free(err);
                xmpp_stanza_set_text(t, "tab\there\r\nnewline");
                CHECK_INT(form_parse_submit(x, &type, &v, &err), 0);
                CHECK_STREQ(form_values_first(&v, "c"), "tab\there\r\nnewline");
                form_values_done(&v);
                xmpp_stanza_set_text(t, "bad \xff utf8");
                CHECK_INT(form_parse_submit(x, &type, &v, &err), -EINVAL);
                free(err);
                xmpp_stanza_release(x);
        }
}

static void test_validate_basic(void)
{
        _cleanup_(form_freep) struct form *f = sample_form();
        struct form_values clean = {};
        char *var = NULL, *err = NULL, *s;

        /* Defaults for absent fields, hidden from the definition, unknown vars dropped. */
        CHECK_INT(submit(f,
                         "<field var='service'><value>sshd</value></field>"
                         "<field var='token'><value>forged</value></field>"
                         "<field var='evil'><value>x</value></field>",
                         &clean, &var, &err),
                  0);
        CHECK(!var && !err);
        CHECK_STREQ(form_values_first(&clean, "service"), "sshd");
        CHECK_STREQ(form_values_first(&clean, "count"), "3");
        CHECK_STREQ(form_values_first(&clean, "token"), "s3cret-state");
        CHECK(!form_values_find(&clean, "evil"));
        CHECK(!form_values_find(&clean, "code")->values[0]);
        s = joined(&clean, "notes");
        CHECK_STREQ(s, "a|b");
        free(s);
        CHECK(form_values_find(&clean, "pw")->secret);
        CHECK(!form_values_find(&clean, "name")->secret);
        CHECK(!form_values_find(&clean, "token")->secret);
        form_values_done(&clean);

        /* Hidden fields come from the definition even when the requester leaves them out. */
        expect_ok(f, "<field var='service'><value>nginx</value></field>", "token", "s3cret-state");
        /* An explicitly empty field is empty: defaults are only for absent fields. */
        expect_ok(f, "<field var='service'><value>nginx</value></field><field var='count'/>",
                  "count", "");
        expect_ok(f, "<field var='service'><value>nginx</value></field><field var='level'/>",
                  "level", "");

        /* Required. */
        expect_fail(f, "", "service", "Service is required");
        expect_fail(f, "<field var='service'/>", "service", "Service is required");
        expect_fail(f, "<field var='service'><value></value></field>", "service",
                    "Service is required");

        /* List option forgery, single values. */
        expect_fail(f, "<field var='service'><value>x</value></field>", "service",
                    "Service: 'x' is not one of the offered choices");
        expect_fail(f, "<field var='service'><value>Web server</value></field>", "service",
                    "not one of the offered choices");
        expect_fail(f, "<field var='service'><value>nginx </value></field>", "service",
                    "not one of the offered choices");
        expect_fail(f, "<field var='service'><value>nginx</value><value>sshd</value></field>",
                    "service", "Service: only one value is allowed");
        expect_fail(f,
                    "<field var='service'><value>nginx</value></field>"
                    "<field var='level'><value>1</value><value>3</value></field>",
                    "level", "Level: '3' is not one of the offered choices");
        expect_ok(f,
                  "<field var='service'><value>nginx</value></field>"
                  "<field var='level'><value>2</value><value>1</value><value>2</value></field>",
                  "level", "2|1");

        /* Datatype and range; the error names the label, or the var without one. */
        expect_fail(f,
                    "<field var='service'><value>nginx</value></field>"
                    "<field var='count'><value>abc</value></field>",
                    "count", "Count: 'abc' is not an integer");
        expect_fail(f,
                    "<field var='service'><value>nginx</value></field>"
                    "<field var='count'><value>11</value></field>",
                    "count", "Count: 11 is above the maximum 10");
        expect_fail(f,
                    "<field var='service'><value>nginx</value></field>"
                    "<field var='count'><value>0</value></field>",
                    "count", "Count: 0 is below the minimum 1");
        expect_ok(f,
                  "<field var='service'><value>nginx</value></field>"
                  "<field var='count'><value>+10</value></field>",
                  "count", "+10");
        expect_fail(f,
                    "<field var='service'><value>nginx</value></field>"
                    "<field var='code'><value>ABCD</value></field>",
                    "code", "code: 'ABCD' does not match the pattern [A-Z]{3}");
        expect_ok(f,
                  "<field var='service'><value>nginx</value></field>"
                  "<field var='code'><value>XYZ</value></field>",
                  "code", "XYZ");

        /* text-multi: values are lines. */
        expect_ok(f,
                  "<field var='service'><value>nginx</value></field>"
                  "<field var='notes'><value>one\ntwo</value><value>three</value>"
                  "<value></value></field>",
                  "notes", "one|two|three");
        expect_ok(f,
                  "<field var='service'><value>nginx</value></field>"
                  "<field var='notes'><value>one\r\n\r\ntwo\r\n</value></field>",
                  "notes", "one||two");
        expect_ok(f,
                  "<field var='service'><value>nginx</value></field>"
                  "<field var='notes'><value/></field>",
                  "notes", "");

        /* Line limits are checked before splitting. */
        {
                char nl[2001], *xml = NULL;

                memset(nl, '\n', sizeof(nl) - 1);
                nl[sizeof(nl) - 1] = 0;
                CHECK(asprintf(&xml,
                               "<field var='service'><value>nginx</value></field>"
                               "<field var='notes'><value>%s</value></field>",
                               nl) > 0);
                expect_fail(f, xml, "notes", "Notes: more than 1024 lines");
                free(xml);
        }

        /* Single-valued text. */
        expect_fail(f,
                    "<field var='service'><value>nginx</value></field>"
                    "<field var='name'><value>a</value><value>b</value></field>",
                    "name", "Name: only one value is allowed");
        expect_fail(f,
                    "<field var='service'><value>nginx</value></field>"
                    "<field var='pw'><value>a</value><value>b</value></field>",
                    "pw", "Password: only one value is allowed");
        expect_fail(f,
                    "<field var='service'><value>nginx</value></field>"
                    "<field var='name'><value>a\nrm -rf</value></field>",
                    "name", "Name: line breaks are not allowed");
        expect_fail(f,
                    "<field var='service'><value>nginx</value></field>"
                    "<field var='pw'><value>a\r</value></field>",
                    "pw", "Password: line breaks are not allowed");
        /* The fixed field and forged values for it are ignored. */
        expect_ok(f, "<field var='service'><value>nginx</value></field>", "name", "");
}

static struct form *typed_form(void)
{
        struct form *f = form_new(NULL, NULL);
        struct form_field *fl;

        fl = field_add(f, "b", FORM_FIELD_BOOLEAN, "Enabled");
        fl = field_add(f, "rb", FORM_FIELD_BOOLEAN, NULL);
        fl->required = true;
        fl = field_add(f, "db", FORM_FIELD_BOOLEAN, NULL);
        field_defaults(fl, "true", NULL);
        fl = field_add(f, "j", FORM_FIELD_JID_SINGLE, "Contact");
        fl = field_add(f, "jm", FORM_FIELD_JID_MULTI, "Contacts");
        fl = field_add(f, "jr", FORM_FIELD_JID_SINGLE, "Local contact");
        field_validate(fl, FORM_DT_STRING, NULL, NULL, "[^@/]+@example\\.com");
        return f;
}

static void test_validate_types(void)
{
        _cleanup_(form_freep) struct form *f = typed_form();
        const char *rb = "<field var='rb'><value>0</value></field>";
        char buf[512];

#define WITH_RB(s) (snprintf(buf, sizeof(buf), "%s%s", rb, s), buf)
        expect_ok(f, WITH_RB("<field var='b'><value>true</value></field>"), "b", "1");
        expect_ok(f, WITH_RB("<field var='b'><value>1</value></field>"), "b", "1");
        expect_ok(f, WITH_RB("<field var='b'><value>false</value></field>"), "b", "0");
        expect_ok(f, WITH_RB("<field var='b'><value>0</value></field>"), "b", "0");
        expect_ok(f, WITH_RB(""), "b", "");
        expect_ok(f, WITH_RB(""), "db", "1");
        expect_ok(f, WITH_RB(""), "rb", "0");
        expect_fail(f, WITH_RB("<field var='b'><value>yes</value></field>"), "b",
                    "Enabled: 'yes' is not a boolean");
        expect_fail(f, WITH_RB("<field var='b'><value>TRUE</value></field>"), "b",
                    "is not a boolean");
        expect_fail(f, WITH_RB("<field var='b'><value>1</value><value>0</value></field>"), "b",
                    "Enabled: only one value is allowed");
        /* A required boolean may be false, but must be there. */
        expect_fail(f, "", "rb", "rb is required");
        expect_fail(f, "<field var='rb'><value/></field>", "rb", "rb is required");

        expect_ok(f, WITH_RB("<field var='j'><value>Juliet@Capulet.LIT/x</value></field>"), "j",
                  "Juliet@capulet.lit/x");
        expect_fail(f, WITH_RB("<field var='j'><value>juliet@</value></field>"), "j",
                    "Contact: 'juliet@' is not a valid JID");
        expect_fail(f, WITH_RB("<field var='j'><value>a@b</value><value>c@d</value></field>"), "j",
                    "Contact: only one value is allowed");
        expect_ok(f,
                  WITH_RB("<field var='jm'><value>a@b.org</value><value>c@d.org</value>"
                          "<value>a@B.org</value><value>c@d.org</value></field>"),
                  "jm", "a@b.org|c@d.org");
        expect_fail(f,
                    WITH_RB("<field var='jm'><value>a@b.org</value><value>a b@c</value>"
                            "</field>"),
                    "jm", "Contacts: 'a b@c' is not a valid JID");
        expect_ok(f, WITH_RB("<field var='jr'><value>x@example.com</value></field>"), "jr",
                  "x@example.com");
        expect_fail(f, WITH_RB("<field var='jr'><value>x@example.com.evil</value></field>"), "jr",
                    "does not match the pattern");
#undef WITH_RB
}

/* Checks form_check_value() for a field of datatype dt with optional range. */
static void check_values(enum form_datatype dt, const char *min, const char *max,
                         const char *const *good, const char *const *bad)
{
        _cleanup_(form_freep) struct form *f = form_new(NULL, NULL);
        struct form_field *fl = field_add(f, "v", FORM_FIELD_TEXT_SINGLE, "V");

        field_validate(fl, dt, min, max, NULL);
        for (size_t i = 0; good[i]; i++) {
                char *err = NULL;
                if (form_check_value(fl, good[i], &err) != 0) {
                        fprintf(stderr, "%s: expected '%s' to pass: %s\n",
                                form_datatype_to_string(dt), good[i], strempty(err));
                        tests_failed++;
                }
                free(err);
        }
        for (size_t i = 0; bad[i]; i++) {
                char *err = NULL;
                if (form_check_value(fl, bad[i], &err) != -EINVAL || !err) {
                        fprintf(stderr, "%s: expected '%s' to fail\n", form_datatype_to_string(dt),
                                bad[i]);
                        tests_failed++;
                }
                free(err);
        }
}

#define LIST(...) ((const char *const[]){__VA_ARGS__, NULL})

static void test_datatypes(void)
{
        check_values(FORM_DT_STRING, NULL, NULL, LIST("", "anything at all"), LIST(NULL));
        check_values(
            FORM_DT_INTEGER, NULL, NULL,
            LIST("0", "-0", "+0", "007", "-12", "+12", "123456789012345678901234567890123456789"),
            LIST("", "+", "-", "1.0", "1e3", " 1", "1 ", "0x10", "1_000", "١"));
        check_values(FORM_DT_INT, NULL, NULL, LIST("2147483647", "-2147483648", "0002147483647"),
                     LIST("2147483648", "-2147483649", "99999999999"));
        check_values(FORM_DT_LONG, NULL, NULL, LIST("9223372036854775807", "-9223372036854775808"),
                     LIST("9223372036854775808", "-9223372036854775809"));
        check_values(FORM_DT_SHORT, NULL, NULL, LIST("32767", "-32768"), LIST("32768", "-32769"));
        check_values(FORM_DT_BYTE, NULL, NULL, LIST("127", "-128"), LIST("128", "-129"));
        check_values(FORM_DT_UNSIGNED_INT, NULL, NULL, LIST("0", "-0", "4294967295", "+1"),
                     LIST("-1", "4294967296"));
        check_values(FORM_DT_NON_NEGATIVE_INTEGER, NULL, NULL, LIST("0", "99999999999999999999999"),
                     LIST("-1", "1.5"));
        check_values(FORM_DT_POSITIVE_INTEGER, NULL, NULL, LIST("1", "99999999999999999999999"),
                     LIST("0", "-0", "-5"));
        check_values(FORM_DT_DECIMAL, NULL, NULL, LIST("1", "-1.5", "+.5", "1.", "0.000", "00.10"),
                     LIST("", ".", "-", "1e3", "INF", "NaN", "1,5", " 1.5", "1.5.6"));
        check_values(FORM_DT_DOUBLE, NULL, NULL,
                     LIST("1", "-1.5e10", "1E-3", ".5e+2", "1.", "INF", "-INF", "+INF", "NaN",
                          "1e99999999999999999999"),
                     LIST("", "inf", "nan", "-NaN", "Infinity", "0x1p3", "1e", "e5", "1e+", " 1",
                          "1 ", "1.5f", "."));
        check_values(FORM_DT_BOOLEAN, NULL, NULL, LIST("true", "false", "1", "0"),
                     LIST("True", "yes", "", "01"));
        check_values(
            FORM_DT_DATE, NULL, NULL,
            LIST("2024-02-29", "2000-02-29", "2023-12-31", "2023-01-01Z", "2023-01-01+14:00",
                 "2023-01-01-05:30", "-0044-03-15", "12345-01-01", "0000-01-01"),
            LIST("2023-02-29", "1900-02-29", "2023-13-01", "2023-00-10", "2023-04-31", "2023-1-01",
                 "23-01-01", "2023/01/01", "2023-01-01+14:01", "2023-01-01+15:00", "2023-01-01 ",
                 "01234-01-01", "2023-01-01T00:00:00", "2023-01-01z", "2023-01-01+0100"));
        check_values(
            FORM_DT_DATETIME, NULL, NULL,
            LIST("2024-02-29T23:59:59", "2024-02-29T23:59:59.123456Z", "2024-02-29T24:00:00",
                 "2024-02-29T24:00:00.000", "2024-01-01T00:00:00-07:00"),
            LIST("2024-02-29", "2024-02-29T24:00:01", "2024-02-29T25:00:00", "2024-02-29T23:60:00",
                 "2024-02-29T23:59:60", "2024-02-29 23:59:59", "2024-02-29T23:59",
                 "2024-02-29T23:59:59.", "2024-02-30T00:00:00", "2024-02-29T24:00:00.5"));
        check_values(FORM_DT_TIME, NULL, NULL,
                     LIST("00:00:00", "23:59:59.9", "12:00:00Z", "24:00:00"),
                     LIST("24:00:01", "12:00", "1:00:00", "12:00:00+15:00", "T12:00:00"));
        check_values(FORM_DT_ANYURI, NULL, NULL,
                     LIST("https://example.com/a?b=c#d", "xmpp:juliet@capulet.lit", "relative/path",
                          "", "urn:isbn:0451450523", "mailto:a@b", "a%20b", "https://ü.example/é"),
                     LIST("a b", "http://x/\ty", "1http:x", ":nothing", "http://x/<y>", "%zz", "%2",
                          "a\"b"));
        check_values(FORM_DT_LANGUAGE, NULL, NULL, LIST("en", "en-GB", "zh-Hant-TW"),
                     LIST("", "e", "en_GB", "english-language-that-goes-on-for-ever"));
}

static void test_ranges(void)
{
        /* Integers compare exactly, however long. */
        check_values(
            FORM_DT_INTEGER, "-100000000000000000000", "100000000000000000000",
            LIST("100000000000000000000", "-100000000000000000000", "0", "99999999999999999999",
                 "000100000000000000000000"),
            LIST("100000000000000000001", "-100000000000000000001", "1000000000000000000000"));
        check_values(FORM_DT_LONG, "9223372036854775806", NULL, LIST("9223372036854775807"),
                     LIST("9223372036854775805"));
        check_values(FORM_DT_DECIMAL, "0.1", "1", LIST("0.1", "0.10", "1", "1.000", ".5"),
                     LIST("0.09999999999999999999", "1.0000000000000000001", "-1"));
        check_values(FORM_DT_DOUBLE, "-1e3", "1E3",
                     LIST("1000", "-1000", "999.999", "1e3", "0.01e5"),
                     LIST("1000.0001", "1.1e3", "INF", "-INF", "NaN"));
        check_values(FORM_DT_DOUBLE, NULL, "INF", LIST("INF", "1e308", "1e400"), LIST("NaN"));
        check_values(FORM_DT_DATE, "2024-01-01", "2024-12-31",
                     LIST("2024-01-01", "2024-02-29", "2024-12-31"),
                     LIST("2023-12-31", "2025-01-01", "12024-01-01"));
        check_values(FORM_DT_DATETIME, "2024-01-01T08:00:00Z", NULL,
                     LIST("2024-01-01T10:00:00+02:00", "2024-01-01T08:00:00.1Z",
                          "2024-01-01T03:00:00-05:00"),
                     LIST("2024-01-01T09:59:59.999+02:00", "2024-01-01T07:59:59"));
        check_values(FORM_DT_TIME, "08:00:00", "17:30:00", LIST("08:00:00", "17:30:00", "12:00:00"),
                     LIST("07:59:59.9", "17:30:00.001", "24:00:00"));
}

static void test_compare(void)
{
        int c = 99;

        CHECK_INT(form_datatype_compare(FORM_DT_INTEGER, "007", "7", &c), 0);
        CHECK_INT(c, 0);
        CHECK_INT(form_datatype_compare(FORM_DT_INTEGER, "-0", "+0", &c), 0);
        CHECK_INT(c, 0);
        CHECK_INT(form_datatype_compare(FORM_DT_INTEGER, "-5", "-50", &c), 0);
        CHECK(c > 0);
        CHECK_INT(form_datatype_compare(FORM_DT_DECIMAL, "1.50", "1.5", &c), 0);
        CHECK_INT(c, 0);
        CHECK_INT(form_datatype_compare(FORM_DT_DECIMAL, "0.001", "0.01", &c), 0);
        CHECK(c < 0);
        CHECK_INT(form_datatype_compare(FORM_DT_DOUBLE, "1e2", "100", &c), 0);
        CHECK_INT(c, 0);
        CHECK_INT(form_datatype_compare(FORM_DT_DOUBLE, "-INF", "-1e308", &c), 0);
        CHECK(c < 0);
        CHECK_INT(form_datatype_compare(FORM_DT_DOUBLE, "0", "-0.0e5", &c), 0);
        CHECK_INT(c, 0);
        CHECK_INT(form_datatype_compare(FORM_DT_DOUBLE, "NaN", "1", &c), -EDOM);
        CHECK_INT(form_datatype_compare(FORM_DT_INTEGER, "1.5", "1", &c), -EINVAL);
        CHECK_INT(form_datatype_compare(FORM_DT_STRING, "a", "b", &c), -EINVAL);
        CHECK_INT(form_datatype_compare(FORM_DT_DATE, "2024-03-01", "2024-02-29", &c), 0);
        CHECK(c > 0);
        CHECK_INT(form_datatype_compare(FORM_DT_DATETIME, "2024-01-01T24:00:00",
                                        "2024-01-02T00:00:00", &c),
                  0);
        CHECK_INT(c, 0);
        CHECK_INT(form_datatype_compare(FORM_DT_DATE, "-0001-01-01", "0001-01-01", &c), 0);
        CHECK(c < 0);
        CHECK(form_datatype_is_ordered(FORM_DT_TIME));
        CHECK(!form_datatype_is_ordered(FORM_DT_ANYURI));
}

static void test_check_value_messages(void)
{
        _cleanup_(form_freep) struct form *f = form_new(NULL, NULL);
        struct form_field *fl;
        char *err = NULL;
        char longv[200];

        fl = field_add(f, "volume", FORM_FIELD_TEXT_SINGLE, "Volume");
        field_validate(fl, FORM_DT_DECIMAL, "0", "1", NULL);
        CHECK_INT(form_check_value(fl, "1.5", &err), -EINVAL);
        CHECK_STREQ(err, "Volume: 1.5 is above the maximum 1");
        free(err);
        CHECK_INT(form_check_value(fl, "-0.5", &err), -EINVAL);
        CHECK_STREQ(err, "Volume: -0.5 is below the minimum 0");
        free(err);
        CHECK_INT(form_check_value(fl, "loud", &err), -EINVAL);
        CHECK_STREQ(err, "Volume: 'loud' is not a decimal number");
        free(err);
        CHECK_INT(form_check_value(fl, "loud", NULL), -EINVAL);
        err = NULL;
        CHECK_INT(form_check_value(fl, "0.5", &err), 0);
        CHECK(!err);

        /* Long values are shortened in messages. */
        memset(longv, 'x', sizeof(longv) - 1);
        longv[sizeof(longv) - 1] = 0;
        CHECK_INT(form_check_value(fl, longv, &err), -EINVAL);
        CHECK(err && strlen(err) < 120);
        CHECK_CONTAINS(err, "...' is not a decimal number");
        free(err);

        fl = field_add(f, "lines", FORM_FIELD_TEXT_MULTI, "Lines");
        field_validate(fl, FORM_DT_INTEGER, NULL, NULL, NULL);
        CHECK_INT(form_check_value(fl, "abc", &err), -EINVAL);
        CHECK_STREQ(err, "Lines: 'abc' is not an integer");
        free(err);

        fl = field_add(f, "nan", FORM_FIELD_TEXT_SINGLE, NULL);
        field_validate(fl, FORM_DT_DOUBLE, "0", NULL, NULL);
        CHECK_INT(form_check_value(fl, "NaN", &err), -EINVAL);
        CHECK_STREQ(err, "nan: NaN is not within the allowed range");
        free(err);

        /* A broken bound in the definition fails closed. */
        fl = field_add(f, "broken", FORM_FIELD_TEXT_SINGLE, NULL);
        field_validate(fl, FORM_DT_INTEGER, "one", NULL, NULL);
        CHECK_INT(form_check_value(fl, "5", &err), -EINVAL);
        CHECK_STREQ(err, "broken: the form's range is invalid");
        free(err);
}

/* Validation messages in the requester's language: French for "fr" and "fr-CA", naming the
 * field by its French label; English for any other language. */
static void test_validate_messages_lang(void)
{
        _cleanup_(form_freep) struct form *f = form_new(NULL, NULL);
        struct form_values sub = {}, clean = {};
        struct form_field *fl;
        char *var = NULL, *err = NULL;

        fl = field_add(f, "volume", FORM_FIELD_TEXT_SINGLE, NULL);
        i18n_add_lang(&fl->label, "en", "Volume");
        i18n_add_lang(&fl->label, "fr", "Le volume");
        field_validate(fl, FORM_DT_INTEGER, "0", "100", NULL);
        fl = field_add(f, "who", FORM_FIELD_JID_SINGLE, "Who");
        fl->required = true;
        CHECK_INT(form_values_set(&sub, "volume", (char *[]){"150", NULL}, false), 0);
        CHECK_INT(form_values_set(&sub, "who", (char *[]){"a@b", NULL}, false), 0);

        CHECK_INT(form_validate_lang(f, "fr", &sub, &clean, &var, &err), -EINVAL);
        CHECK_STREQ(var, "volume");
        CHECK_STREQ(err, "Le volume : 150 est supérieur au maximum 100");
        free(var);
        free(err);
        CHECK_INT(form_validate_lang(f, "fr-CA", &sub, &clean, NULL, &err), -EINVAL);
        CHECK_STREQ(err, "Le volume : 150 est supérieur au maximum 100");
        free(err);
        CHECK_INT(form_validate_lang(f, "de", &sub, &clean, NULL, &err), -EINVAL);
        CHECK_STREQ(err, "Volume: 150 is above the maximum 100");
        free(err);
        CHECK_INT(form_validate_lang(f, NULL, &sub, &clean, NULL, &err), -EINVAL);
        CHECK_STREQ(err, "Volume: 150 is above the maximum 100");
        free(err);

        CHECK_INT(form_values_set(&sub, "volume", (char *[]){"loud", NULL}, false), 0);
        CHECK_INT(form_validate_lang(f, "fr", &sub, &clean, NULL, &err), -EINVAL);
        CHECK_STREQ(err, "Le volume : « loud » n'est pas un entier");
        free(err);
        CHECK_INT(form_values_set(&sub, "volume", (char *[]){"5", NULL}, false), 0);
        CHECK_INT(form_values_set(&sub, "who", (char *[]){NULL}, false), 0);
        CHECK_INT(form_validate_lang(f, "fr", &sub, &clean, NULL, &err), -EINVAL);
        CHECK_STREQ(err, "Who : champ obligatoire");
        free(err);
        CHECK_INT(form_validate_lang(f, "en", &sub, &clean, NULL, &err), -EINVAL);
        CHECK_STREQ(err, "Who is required");
        free(err);
        form_values_done(&sub);
}

static void test_regex(void)
{
        _cleanup_(form_freep) struct form *f = form_new(NULL, NULL);
        struct form_field *fl;

        fl = field_add(f, "digits", FORM_FIELD_TEXT_SINGLE, NULL);
        field_validate(fl, FORM_DT_STRING, NULL, NULL, "[0-9]+");
        CHECK_INT(form_check_value(fl, "123", NULL), 0);
        CHECK_INT(form_check_value(fl, "12a", NULL), -EINVAL);
        CHECK_INT(form_check_value(fl, "a12", NULL), -EINVAL);
        CHECK_INT(form_check_value(fl, "", NULL), -EINVAL);

        /* An alternation cannot escape whole-value matching. */
        fl = field_add(f, "alt", FORM_FIELD_TEXT_SINGLE, NULL);
        field_validate(fl, FORM_DT_STRING, NULL, NULL, "^a$|b");
        CHECK_INT(form_check_value(fl, "a", NULL), 0);
        CHECK_INT(form_check_value(fl, "b", NULL), 0);
        CHECK_INT(form_check_value(fl, "xbx", NULL), -EINVAL);
        fl = field_add(f, "alt2", FORM_FIELD_TEXT_SINGLE, NULL);
        field_validate(fl, FORM_DT_STRING, NULL, NULL, "a|ab");
        CHECK_INT(form_check_value(fl, "ab", NULL), 0);
        CHECK_INT(form_check_value(fl, "abc", NULL), -EINVAL);

        /* Datatype and regex both apply. */
        fl = field_add(f, "even", FORM_FIELD_TEXT_SINGLE, NULL);
        field_validate(fl, FORM_DT_INTEGER, NULL, "100", "[0-9]*[02468]");
        CHECK_INT(form_check_value(fl, "42", NULL), 0);
        CHECK_INT(form_check_value(fl, "43", NULL), -EINVAL);
        CHECK_INT(form_check_value(fl, "102", NULL), -EINVAL);

        /* A definition compiled with REG_NOSUB still gets whole-value matching. */
        fl = field_add(f, "nosub", FORM_FIELD_TEXT_SINGLE, NULL);
        fl->validate.regex = strdup("[a-z]+");
        CHECK_INT(regcomp(&fl->validate.compiled, fl->validate.regex, REG_EXTENDED | REG_NOSUB), 0);
        fl->validate.has_regex = true;
        CHECK_INT(form_check_value(fl, "abc", NULL), 0);
        CHECK_INT(form_check_value(fl, "abc1", NULL), -EINVAL);

        CHECK_INT(form_field_set_regex(fl, "("), -EINVAL);
        CHECK_STREQ(fl->validate.regex, "[a-z]+");
        CHECK_INT(form_field_set_regex(fl, "[0-9]"), 0);
        CHECK_INT(form_check_value(fl, "7", NULL), 0);
        CHECK_INT(form_check_value(fl, "77", NULL), -EINVAL);
}

static void test_find(void)
{
        _cleanup_(form_freep) struct form *f = sample_form();

        CHECK(form_find_field(f, "count") == &f->fields[2]);
        CHECK(!form_find_field(f, "nope"));
        CHECK(!form_find_field(f, NULL));
        CHECK(!form_find_field(NULL, "count"));
        CHECK(!form_free(NULL));
}

static void test_result(void)
{
        _cleanup_(form_result_freep) struct form_result *r = form_result_new();
        char *one[] = {(char *)"ok", NULL}, *multi[] = {(char *)"l1\nl2", NULL};
        char *fixed[] = {(char *)"Line A\nLine B", NULL};
        const char *row1[] = {"nginx", "active"}, *row2[] = {"sshd", NULL};
        xmpp_stanza_t *x, *fl, *rep, *item;
        char *text, *s;

        CHECK(form_result_is_empty(r));
        CHECK(!form_result_build(ctx, r));
        CHECK_INT(form_result_add_row(r, row1), -EINVAL);
        CHECK_INT(form_result_add_field(r, NULL, "x", FORM_FIELD_TEXT_SINGLE, one), -EINVAL);
        CHECK_INT(form_result_add_column(r, "unit", "Unit"), 0);
        CHECK_INT(form_result_add_column(r, "state", NULL), 0);
        /* Columns alone make no result. */
        CHECK(form_result_is_empty(r));
        CHECK(!form_result_build(ctx, r));
        CHECK_INT(form_result_add_row(r, row1), 0);
        CHECK_INT(form_result_add_row(r, row2), 0);
        CHECK_INT(form_result_add_column(r, "late", NULL), -EINVAL);
        CHECK_INT(form_result_add_field(r, "status", "Status", FORM_FIELD_TEXT_SINGLE, one), 0);
        CHECK_INT(form_result_add_field(r, "out", "Output", FORM_FIELD_TEXT_SINGLE, multi), 0);
        CHECK_INT(form_result_add_field(r, NULL, NULL, FORM_FIELD_FIXED, fixed), 0);
        CHECK_INT(form_result_add_field(r, "none", NULL, FORM_FIELD_JID_MULTI, NULL), 0);
        CHECK_INT(form_result_set_title(r, "Units\nstatus"), 0);
        CHECK(!form_result_is_empty(r));

        x = form_result_build(ctx, r);
        CHECK(x);
        text = to_text(x);
        CHECK_STREQ(xmpp_stanza_get_type(x), "result");
        CHECK_STREQ(xmpp_stanza_get_ns(x), NS_XDATA);
        CHECK_CONTAINS(text, "<title>Units status</title>");
        fl = child_field(x, "status");
        CHECK_STREQ(xmpp_stanza_get_attribute(fl, "type"), "text-single");
        CHECK_STREQ(xmpp_stanza_get_attribute(fl, "label"), "Status");
        s = field_values(fl);
        CHECK_STREQ(s, "ok");
        free(s);
        /* Line breaks turn a text-single result into a text-multi, one line per value. */
        fl = child_field(x, "out");
        CHECK_STREQ(xmpp_stanza_get_attribute(fl, "type"), "text-multi");
        s = field_values(fl);
        CHECK_STREQ(s, "l1|l2");
        free(s);
        CHECK_CONTAINS(text, "<value>Line A</value>");
        CHECK_CONTAINS(text, "<value>Line B</value>");
        fl = child_field(x, "none");
        CHECK_INT(count_children(fl, "value"), 0);
        CHECK_INT(count_children(x, "field"), 5);

        rep = xmpp_stanza_get_child_by_name(x, "reported");
        CHECK(rep);
        CHECK_INT(count_children(rep, "field"), 2);
        CHECK_STREQ(xmpp_stanza_get_attribute(child_field(rep, "unit"), "label"), "Unit");
        CHECK(child_field(rep, "state") &&
              !xmpp_stanza_get_attribute(child_field(rep, "state"), "label"));
        CHECK_INT(count_children(x, "item"), 2);
        item = xmpp_stanza_get_child_by_name(x, "item");
        s = field_values(child_field(item, "unit"));
        CHECK_STREQ(s, "nginx");
        free(s);
        s = field_values(child_field(item, "state"));
        CHECK_STREQ(s, "active");
        free(s);
        item = xmpp_stanza_get_next(item);
        s = field_values(child_field(item, "state"));
        CHECK_STREQ(s, "");
        free(s);
        CHECK_INT(count_children(child_field(item, "state"), "value"), 1);
        /* <reported> comes before the items. */
        CHECK(strstr(text, "<reported>") && strstr(text, "<reported>") < strstr(text, "<item>"));
        free(text);
        xmpp_stanza_release(x);

        CHECK(!form_result_free(NULL));
}

static void test_result_fields_only(void)
{
        _cleanup_(form_result_freep) struct form_result *r = form_result_new();
        char *v[] = {(char *)"1", NULL};
        xmpp_stanza_t *x;
        char *text;

        CHECK_INT(form_result_add_field(r, "n", NULL, FORM_FIELD_TEXT_SINGLE, v), 0);
        x = form_result_build(ctx, r);
        text = to_text(x);
        CHECK_NOT_CONTAINS(text, "reported");
        CHECK_NOT_CONTAINS(text, "title");
        CHECK_NOT_CONTAINS(text, "label");
        free(text);
        xmpp_stanza_release(x);
}

int main(void)
{
        xmpp_initialize();
        ctx = xmpp_ctx_new(NULL, NULL);

        test_names();
        test_values();
        test_build();
        test_build_lang();
        test_parse();
        test_validate_basic();
        test_validate_types();
        test_datatypes();
        test_ranges();
        test_compare();
        test_check_value_messages();
        test_validate_messages_lang();
        test_regex();
        test_find();
        test_result();
        test_result_fields_only();

        xmpp_ctx_free(ctx);
        xmpp_shutdown();
        return TESTS_RESULT();
}
