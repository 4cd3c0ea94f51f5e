/* SPDX-License-Identifier: MIT */
#pragma once

#include "ynode.h"

/* A text in one or more languages. The first entry is the default. */
struct i18n_entry {
        char *lang; /* NULL for a plain (language-less) text */
        char *text;
};

struct i18n {
        struct i18n_entry *v;
        size_t n;
};

/* Picks the entry for lang: exact match, then primary subtag ("fr" for "fr-CA"), then the first.
 * Returns NULL only when t is empty. */
const char *i18n_pick(const struct i18n *t, const char *lang);
/* Same, and says which language was picked (NULL for a plain text). */
const char *i18n_pick_lang(const struct i18n *t, const char *lang, const char **ret_lang);
/* Loads a scalar ("text") or a map of languages ({en: ..., fr: ...}). */
int i18n_from_ynode(const struct ynode *n, struct i18n *ret, struct diags *d);
int i18n_set_plain(struct i18n *t, const char *text);
void i18n_done(struct i18n *t);
int i18n_copy(const struct i18n *src, struct i18n *ret);
bool i18n_is_empty(const struct i18n *t);
/* Language tag syntax check (RFC 5646 shape, letters/digits/hyphens, <= 35 chars). */
bool lang_tag_is_valid(const char *tag) _pure_;
