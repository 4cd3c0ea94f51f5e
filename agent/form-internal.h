/* SPDX-License-Identifier: MIT */
#pragma once

/* Helpers shared by the form-*.c files; not part of the form interface. */
#include "form.h"

/* The name a user sees in an error message: the English (or first) label, else the var. */
const char *form_field_name(const struct form_field *f);
/* Number of lines form_split_lines() makes of s. */
size_t form_count_lines(const char *s) _pure_;
/* Splits at \n, \r\n or \r into a strv (always at least one, possibly empty, line). */
int form_split_lines(const char *s, char ***ret);
/* Copy with every line break replaced by a space; NULL on OOM. */
char *form_oneline(const char *s);

/* Sets *ret_error (when ret_error is not NULL) to the message. Returns -EINVAL, or -ENOMEM. */
int form_error(char **ret_error, const char *fmt, ...) _printf_(2, 3);
/* How many bytes of v a message shows: about 64, cut on a UTF-8 character boundary. */
int form_shown_len(const char *v) _pure_;
#define VALUE_ARGS(v) form_shown_len(v), (v), strlen(v) > (size_t)form_shown_len(v) ? "..." : ""

static inline void form_stanza_releasep(xmpp_stanza_t **p)
{
        if (*p)
                xmpp_stanza_release(*p);
}
#define _cleanup_stanza_ _cleanup_(form_stanza_releasep)

/* A new element named name; NULL on OOM. */
xmpp_stanza_t *form_xml_new(xmpp_ctx_t *ctx, const char *name);
/* Appends child to parent, handing over the caller's reference (released on failure).
 * Returns child, or NULL on failure. */
xmpp_stanza_t *form_xml_add(xmpp_stanza_t *parent, xmpp_stanza_t *child);
/* Appends a new element <name>text</name> (empty when text is NULL or ""); NULL on OOM. */
xmpp_stanza_t *form_xml_add_text(xmpp_stanza_t *parent, const char *name, const char *text);

/* One fixed <field> per non-empty line of texts, the label on the first (form-build.c). */
int form_add_fixed(xmpp_stanza_t *x, const char *label, char *const *texts);
/* Adds <value>s to field; text-multi values become one <value> per line (form-build.c). */
int form_add_values(xmpp_stanza_t *field, enum form_field_type type, char *const *values);
