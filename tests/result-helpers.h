/* SPDX-License-Identifier: MIT */
#pragma once

/* Reading what an action answered, in the unit tests. res may be NULL (no answer yet). */
#include "action.h"

/* The result form's field var, or NULL. */
static inline const struct form_result_field *tests_result_field(const struct action_result *res,
                                                                 const char *var)
{
        for (size_t i = 0; res && res->form && i < res->form->n_fields; i++)
                if (streq_ptr(res->form->fields[i].var, var))
                        return &res->form->fields[i];
        return NULL;
}

/* The field's first value, or "(none)". */
static inline const char *tests_result_value(const struct action_result *res, const char *var)
{
        const struct form_result_field *f = tests_result_field(res, var);

        return f && f->values && f->values[0] ? f->values[0] : "(none)";
}

/* The first note's text, or "(no note)". */
static inline const char *tests_result_note(const struct action_result *res)
{
        return res && res->n_notes > 0 ? res->notes[0].text : "(no note)";
}
