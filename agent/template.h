/* SPDX-License-Identifier: MIT */
#pragma once

#include "diag.h"
#include "form.h"

/*
 * Templates: "{var}" is replaced by the field's value (several values joined by ", "),
 * "{var...}" expands to one element per value (only in template_expand_argv), "{{" and "}}"
 * are literal braces. Built-in variables: {from} (full JID), {from_bare}, {node}, {lang}.
 * Expansion is pure and never interprets values: a value is inserted byte for byte.
 */

struct template_vars {
        const struct form_values *values;
        const char *from;
        const char *from_bare;
        const char *node;
        const char *lang;
};

/* Whether name is one of the built-in variables (from, from_bare, node, lang). */
bool template_var_is_builtin(const char *name) _pure_;
/* Checks syntax and that every referenced var is declared in form (or built-in). */
int template_check(const char *tpl, const struct form *form, bool allow_multi,
                   const struct ynode *where, struct diags *d);
/* Expands to one string. */
int template_expand(const char *tpl, const struct template_vars *vars, char **ret);
/* Expands one argv element: appends one or (with "{var...}") several strings to *argv. */
int template_expand_argv(const char *tpl, const struct template_vars *vars, char ***argv);
