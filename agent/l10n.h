/* SPDX-License-Identifier: MIT */
#pragma once

#include "i18n.h"

/*
 * The agent's own texts (errors, notes, validation messages, the labels of built-in forms) in
 * the requester's language. A text is its English msgid, written where it is used:
 *
 *     asprintf(&s, l10n(call->lang, "%s did not answer within %s."), name, t);
 *
 * and l10n.c holds one catalog of {msgid, French} pairs. English is the default, for any
 * language without a catalog and any msgid without an entry. A French entry has the same
 * printf conversions, in the same order, as its msgid (tests/test-l10n.c checks every entry);
 * tests/static/l10n-check.py checks that each msgid written in l10n("...") or N_("...") has
 * an entry, and each entry a use. Texts for logs and the audit stay English.
 */

/* Marks a msgid kept in a table, to be passed to l10n() later. */
#define N_(s) s

/* The text of msgid in lang ("fr", "fr-CA", ... pick French; anything else, or NULL, English).
 * Returns msgid itself when there is no translation; NULL for a NULL msgid. */
const char *l10n(const char *lang, const char *msgid) __attribute__((format_arg(2)));

/* Sets ret to msgid as a plain (default) text plus its translations, each with its language,
 * for texts made before anyone asks (command names, confirmation prompts). */
int l10n_i18n(struct i18n *ret, const char *msgid);

/* The catalog, for the tests. */
struct l10n_entry {
        const char *msgid;
        const char *fr;
};
const struct l10n_entry *l10n_catalog(size_t *ret_n);
