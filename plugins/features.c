/* SPDX-License-Identifier: MIT */
#include "feature.h"
#include "mpris/mpris.h"
#include "presence/presence.h"
#include "systemd/systemd.h"

/* The explicit list of built-in features; the top-level YAML key (or a key under plugins:)
 * selects one. */
const struct feature_ops *const builtin_features[] = {
    &presence_feature,
    &mpris_feature,
    &systemd_feature,
    NULL,
};

const struct feature_ops *feature_ops_lookup(const char *key)
{
        for (size_t i = 0; builtin_features[i]; i++)
                if (streq(builtin_features[i]->key, key))
                        return builtin_features[i];
        return NULL;
}
