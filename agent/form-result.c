/* SPDX-License-Identifier: MIT */
/* Result forms (<x type='result'>): free fields and one optional table. */
#include "form.h"
#include "form-internal.h"

struct form_result *form_result_new(void)
{
        return zalloc(sizeof(struct form_result));
}

static void result_field_done(struct form_result_field *f)
{
        free(f->var);
        free(f->label);
        strv_free(f->values);
}

struct form_result *form_result_free(struct form_result *r)
{
        if (!r)
                return NULL;
        free(r->title);
        for (size_t i = 0; i < r->n_fields; i++)
                result_field_done(&r->fields[i]);
        free(r->fields);
        for (size_t i = 0; i < r->n_columns; i++)
                result_field_done(&r->columns[i]);
        free(r->columns);
        for (size_t i = 0; i < r->n_rows; i++)
                strv_free(r->rows[i]);
        free(r->rows);
        free(r);
        return NULL;
}

int form_result_set_title(struct form_result *r, const char *title)
{
        char *t = NULL;

        if (title && !(t = strdup(title)))
                return -ENOMEM;
        free(r->title);
        r->title = t;
        return 0;
}

/* Fills a field, leaving *ret untouched on failure. */
static int result_field_init(struct form_result_field *ret, const char *var, const char *label,
                             enum form_field_type type, char *const *values)
{
        struct form_result_field f = {.type = type};

        f.var = strdup_or_null(var);
        f.label = strdup_or_null(label);
        f.values = values ? strv_copy(values) : calloc(1, sizeof(char *));
        if ((var && !f.var) || (label && !f.label) || !f.values) {
                result_field_done(&f);
                return -ENOMEM;
        }
        *ret = f;
        return 0;
}

int form_result_add_field(struct form_result *r, const char *var, const char *label,
                          enum form_field_type type, char *const *values)
{
        struct form_result_field f, *slot;
        int k;

        if ((unsigned)type >= _FORM_FIELD_TYPE_MAX || (isempty(var) && type != FORM_FIELD_FIXED))
                return -EINVAL;
        k = result_field_init(&f, var, label, type, values);
        if (k < 0)
                return k;
        slot = array_grow((void **)&r->fields, &r->n_fields, sizeof(*r->fields));
        if (!slot) {
                result_field_done(&f);
                return -ENOMEM;
        }
        *slot = f;
        return 0;
}

int form_result_add_column(struct form_result *r, const char *var, const char *label)
{
        struct form_result_field f, *slot;
        int k;

        /* Rows already added have one value per existing column. */
        if (isempty(var) || r->n_rows > 0)
                return -EINVAL;
        k = result_field_init(&f, var, label, FORM_FIELD_TEXT_SINGLE, NULL);
        if (k < 0)
                return k;
        slot = array_grow((void **)&r->columns, &r->n_columns, sizeof(*r->columns));
        if (!slot) {
                result_field_done(&f);
                return -ENOMEM;
        }
        *slot = f;
        return 0;
}

int form_result_add_row(struct form_result *r, const char *const *values)
{
        _cleanup_strv_free_ char **row = NULL;
        char ***slot;

        if (r->n_columns == 0)
                return -EINVAL;
        row = calloc(r->n_columns + 1, sizeof(char *));
        if (!row)
                return -ENOMEM;
        for (size_t i = 0; i < r->n_columns; i++) {
                row[i] = strdup(values && values[i] ? values[i] : "");
                if (!row[i])
                        return -ENOMEM;
        }
        slot = array_grow((void **)&r->rows, &r->n_rows, sizeof(*r->rows));
        if (!slot)
                return -ENOMEM;
        *slot = TAKE_PTR(row);
        return 0;
}

/* A table without rows and no fields show nothing: clients take any form as one to fill. */
bool form_result_is_empty(const struct form_result *r)
{
        return !r || (r->n_fields == 0 && r->n_rows == 0);
}

static bool values_have_newline(char *const *values)
{
        STRV_FOREACH (v, (char **)values)
                if (strpbrk(*v, "\r\n"))
                        return true;
        return false;
}

static int add_result_field(xmpp_stanza_t *x, const struct form_result_field *f)
{
        enum form_field_type type = f->type;
        xmpp_stanza_t *field;

        if (type == FORM_FIELD_FIXED)
                return form_add_fixed(x, f->label, f->values);
        /* Text with line breaks is only valid in a text-multi field. */
        if (type == FORM_FIELD_TEXT_SINGLE && values_have_newline(f->values))
                type = FORM_FIELD_TEXT_MULTI;
        field = form_xml_add(x, form_xml_new(xmpp_stanza_get_context(x), "field"));
        if (!field || xmpp_stanza_set_attribute(field, "var", f->var) != XMPP_EOK ||
            xmpp_stanza_set_attribute(field, "type", form_field_type_to_string(type)) != XMPP_EOK)
                return -ENOMEM;
        if (!isempty(f->label)) {
                _cleanup_free_ char *label = form_oneline(f->label);

                if (!label || xmpp_stanza_set_attribute(field, "label", label) != XMPP_EOK)
                        return -ENOMEM;
        }
        return form_add_values(field, type, f->values);
}

static int add_table(xmpp_stanza_t *x, const struct form_result *r)
{
        xmpp_ctx_t *ctx = xmpp_stanza_get_context(x);
        xmpp_stanza_t *reported;

        reported = form_xml_add(x, form_xml_new(ctx, "reported"));
        if (!reported)
                return -ENOMEM;
        for (size_t i = 0; i < r->n_columns; i++) {
                xmpp_stanza_t *c = form_xml_add_text(reported, "field", NULL);

                if (!c || xmpp_stanza_set_attribute(c, "var", r->columns[i].var) != XMPP_EOK)
                        return -ENOMEM;
                if (!isempty(r->columns[i].label) &&
                    xmpp_stanza_set_attribute(c, "label", r->columns[i].label) != XMPP_EOK)
                        return -ENOMEM;
        }
        for (size_t i = 0; i < r->n_rows; i++) {
                xmpp_stanza_t *item = form_xml_add(x, form_xml_new(ctx, "item"));

                if (!item)
                        return -ENOMEM;
                for (size_t j = 0; j < r->n_columns; j++) {
                        xmpp_stanza_t *c = form_xml_add_text(item, "field", NULL);

                        if (!c ||
                            xmpp_stanza_set_attribute(c, "var", r->columns[j].var) != XMPP_EOK ||
                            !form_xml_add_text(c, "value", r->rows[i][j]))
                                return -ENOMEM;
                }
        }
        return 0;
}

xmpp_stanza_t *form_result_build(xmpp_ctx_t *ctx, const struct form_result *r)
{
        _cleanup_stanza_ xmpp_stanza_t *x = NULL;

        if (form_result_is_empty(r))
                return NULL;
        x = form_xml_new(ctx, "x");
        if (!x || xmpp_stanza_set_ns(x, NS_XDATA) != XMPP_EOK ||
            xmpp_stanza_set_type(x, "result") != XMPP_EOK)
                return NULL;
        if (!isempty(r->title)) {
                _cleanup_free_ char *title = form_oneline(r->title);

                if (!title || !form_xml_add_text(x, "title", title))
                        return NULL;
        }
        for (size_t i = 0; i < r->n_fields; i++)
                if (add_result_field(x, &r->fields[i]) < 0)
                        return NULL;
        if (r->n_columns > 0 && add_table(x, r) < 0)
                return NULL;
        return TAKE_PTR(x);
}
