/* SPDX-License-Identifier: MIT */
/*
 * Templates from untrusted bytes. The first byte selects allow_multi (its low bit); the rest is
 * the template. Checks the contract between template_check() and the expanders as it goes.
 */
#include <stdint.h>
#include <stdio.h>

#include "template.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct form_field fields[] = {
    {.var = (char *)"unit", .type = FORM_FIELD_TEXT_SINGLE},
    {.var = (char *)"hosts", .type = FORM_FIELD_LIST_MULTI},
    {.var = (char *)"empty", .type = FORM_FIELD_TEXT_MULTI},
    {.var = (char *)"a.b-c_d", .type = FORM_FIELD_TEXT_SINGLE},
    {.var = NULL, .type = FORM_FIELD_FIXED},
};
static const struct form form = {.fields = fields, .n_fields = sizeof(fields) / sizeof(fields[0])};

static char *unit_v[] = {(char *)"{hosts} }{ {{", NULL};
static char *hosts_v[] = {(char *)"a", (char *)"b c", (char *)"{unit...}", NULL};
static char *empty_v[] = {NULL};
static struct form_value value_list[] = {
    {.var = (char *)"unit", .values = unit_v},
    {.var = (char *)"hosts", .values = hosts_v},
    {.var = (char *)"empty", .values = empty_v},
};
static const struct form_values values = {.v = value_list, .n = 3};
static const struct template_vars vars = {
    .values = &values,
    .from = "alice@example.org/res",
    .from_bare = "alice@example.org",
    .node = "restart",
    .lang = "en",
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        _cleanup_free_ char *tpl = NULL, *out = NULL;
        _cleanup_strv_free_ char **argv = NULL;
        struct diags d = {0};
        bool allow_multi;
        int checked, r;

        if (size == 0)
                return 0;
        allow_multi = data[0] & 1;
        tpl = strndup((const char *)data + 1, size - 1);
        if (!tpl)
                return 0;

        checked = template_check(tpl, &form, allow_multi, NULL, &d);
        r = template_expand(tpl, &vars, &out);
        /* A template that passes the check always expands. */
        if (checked >= 0 && r < 0)
                abort();
        /* Without braces a template is its own expansion. */
        if (!strpbrk(tpl, "{}") && (r < 0 || strcmp(out, tpl) != 0))
                abort();
        r = template_expand_argv(tpl, &vars, &argv);
        if (checked >= 0 && r < 0)
                abort();
        (void)template_check(tpl, NULL, !allow_multi, NULL, &d);
        diags_done(&d);
        return 0;
}
