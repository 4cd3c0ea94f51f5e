/* SPDX-License-Identifier: MIT */
/*
 * dbus_expose with methods: ["*"]: a providing entry (action_ops.provide_find/provide_list) that
 * makes a command for each method it meets in the running service's introspection data.
 */
#include <stdio.h>

#include "dbus-expose.h"
#include "log.h"

#define ALL_MAX 256 /* commands one entry makes at most, so a service cannot grow the agent */

struct expose_all {
        struct expose_target *target;
        usec_t timeout;
        struct command **commands; /* one per method name met so far, kept with the policy */
        size_t n_commands;
        bool warned_full;
};

static void expose_all_free(void *cfg)
{
        struct expose_all *all = cfg;

        if (!all)
                return;
        for (size_t i = 0; i < all->n_commands; i++)
                command_free(all->commands[i]);
        free(all->commands);
        expose_target_unref(all->target);
        free(all);
}

static const char *command_method(const struct command *c)
{
        return ((const struct expose_method *)c->action_cfg)->method;
}

/* The command of method: the one made before, or a new one if the interface has it now. */
static const struct command *all_get(const struct command *entry, const char *method)
{
        struct expose_all *all = entry->action_cfg;
        _cleanup_free_ char *node = NULL;
        struct expose_method *m = NULL;
        struct command **commands, *c;

        for (size_t i = 0; i < all->n_commands; i++)
                if (streq(command_method(all->commands[i]), method))
                        return all->commands[i];
        if (!expose_target_find(all->target, method))
                return NULL;
        if (all->n_commands >= ALL_MAX) {
                if (!all->warned_full)
                        log_warning("dbus_expose: %s has made %d commands; the methods of %s met "
                                    "since are not offered",
                                    entry->node, ALL_MAX, all->target->destination);
                all->warned_full = true;
                return NULL;
        }
        commands = reallocarray(all->commands, all->n_commands + 1, sizeof(*commands));
        if (!commands)
                return NULL;
        all->commands = commands;
        if (asprintf(&node, "%s/%s", entry->node, method) < 0) {
                node = NULL;
                return NULL;
        }
        if (!command_node_is_valid(node))
                return NULL; /* too long a name for a node */
        if (expose_method_new(all->target, all->timeout, &entry->name, method, &m) < 0) {
                log_error("dbus_expose: out of memory");
                return NULL;
        }
        m->quiet = true;
        if (command_derive(entry, node, &m->name, &expose_method_action, m, &c) < 0) {
                log_error("dbus_expose: out of memory");
                return NULL;
        }
        all->commands[all->n_commands++] = c;
        return c;
}

static const struct command *all_find(const struct command *entry, const char *node)
{
        struct expose_all *all = entry->action_cfg;
        const char *method = node + strlen(entry->node) + 1;

        if (sd_bus_member_name_is_valid(method) <= 0)
                return NULL;
        expose_target_refresh(all->target);
        return all_get(entry, method);
}

static void all_list(const struct command *entry,
                     void (*cb)(const struct command *c, void *userdata), void *userdata)
{
        struct expose_all *all = entry->action_cfg;
        const struct expose_target *t = all->target;
        _cleanup_strv_free_ char **names = NULL;

        expose_target_refresh(all->target);
        if (t->owner != OWNER_PRESENT || !t->known)
                return;
        /* The callback looks the commands up again, which may refresh what is known. */
        for (size_t i = 0; i < t->n_methods; i++)
                if (strv_extend(&names, t->methods[i].name) < 0)
                        return;
        STRV_FOREACH (name, names) {
                const struct command *c = all_get(entry, *name);

                if (c)
                        cb(c, userdata);
        }
}

static const struct action_ops expose_all_action = {
    .key = "dbus_expose",
    .free_cfg = expose_all_free,
    .provide_find = all_find,
    .provide_list = all_list,
};

int expose_expand_all(const struct expose_config *c, const struct command *base,
                      struct command_sink *sink)
{
        struct expose_all *all = zalloc(sizeof(*all));
        struct command_spec spec;
        int r;

        if (!all)
                return -ENOMEM;
        all->timeout = c->timeout;
        r = expose_target_get(c, &all->target);
        if (r < 0) {
                free(all);
                return r;
        }
        spec = expose_spec(base, base->node, &base->name, &expose_all_action, all);
        return command_sink_add(sink, &spec);
}
