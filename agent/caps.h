/* SPDX-License-Identifier: MIT */
#pragma once

#include "util.h"

/* XEP-0115 entity capabilities: the verification string of a disco#info answer. */
#define NS_CAPS   "http://jabber.org/protocol/caps"
#define CAPS_NODE "https://github.com/adhocd/adhocd"

struct caps_identity {
        const char *category, *type, *lang, *name;
};

/* SHA-1, base64, over the sorted identities and features (no data forms), as XEP-0115 §5.1
 * says. Returns a new string or NULL on OOM. */
char *caps_ver(const struct caps_identity *ids, size_t n_ids, const char *const *features,
               size_t n_features);
