/* SPDX-License-Identifier: MIT */
#include "plugins.h"

/* The explicit list of built-in backends; the YAML key selects one. */
const struct action_ops *const builtin_actions[] = {
    &reply_action, &dbus_action, &dbus_expose_action, &exec_action, NULL,
};

const struct action_ops *action_ops_lookup(const char *key)
{
        for (size_t i = 0; builtin_actions[i]; i++)
                if (streq(builtin_actions[i]->key, key))
                        return builtin_actions[i];
        return NULL;
}
