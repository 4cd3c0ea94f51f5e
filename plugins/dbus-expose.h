/* SPDX-License-Identifier: MIT */
#pragma once

/* dbus_expose: what its three parts share (dbus-expose.c: configuration, forms and commands;
 * dbus-expose-target.c: what is known of a watched interface; dbus-expose-all.c: "*"). */

#include "dbus.h"
#include "policy.h"

struct expose_config {
        char *bus;
        char *destination;
        char *path;
        char *interface;
        char **methods; /* NULL: every method ("*") */
        usec_t timeout;
};

enum owner_state { OWNER_UNKNOWN, OWNER_ABSENT, OWNER_PRESENT };

struct expose_method_info {
        char *name;
        char *in_signature;
        char **in_names;
};

struct expose_target {
        unsigned n_ref;
        char *bus_spec;
        char *destination;
        char *path;
        char *interface;
        usec_t timeout; /* of Introspect calls */

        sd_event *event;
        struct dbus_bus *bus;
        sd_bus *watched;         /* the connection the slots below belong to */
        sd_bus_slot *match;      /* NameOwnerChanged for destination */
        sd_bus_slot *owner_call; /* the pending GetNameOwner */
        enum owner_state owner;
        char *owner_name;          /* the unique name, while present */
        struct dbus_waiter waiter; /* attached while introspecting */
        sd_event_source *kick;     /* introspects the new owner, once every handler ran */
        bool failed;               /* introspecting this owner failed: wait a while */
        usec_t failed_at;
        bool known; /* methods describe the current owner */
        struct expose_method_info *methods;
        size_t n_methods;
        unsigned generation; /* changes with methods: warnings are given once per version */
        struct expose_target *next;
};

struct expose_method {
        struct expose_target *target;
        char *method;
        struct i18n name; /* the command's name: the form's title */
        usec_t timeout;
        unsigned warned; /* target generation + 1 when a warning about it was given */
        bool quiet;      /* made for "*": a method no form can carry is skipped, not warned of */
};

/* Targets, shared by every command (and policy, across reloads) naming the same one. */
int expose_target_get(const struct expose_config *c, struct expose_target **ret);
struct expose_target *expose_target_unref(struct expose_target *t);
/* Brings what is known up to date, starting whatever is missing: connection, watch,
 * introspection. Never waits. */
void expose_target_refresh(struct expose_target *t);
/* The method while the destination runs and its introspection lists it, else NULL. */
const struct expose_method_info *expose_target_find(const struct expose_target *t,
                                                    const char *name);
/* Lets every target go of its bus and loop (the agent stops). */
void expose_targets_detach(void);

/* The command of one method of t (which it takes a reference on), named after base_name. */
int expose_method_new(struct expose_target *t, usec_t timeout, const struct i18n *base_name,
                      const char *method, struct expose_method **ret);
/* The generated commands' backend. */
extern const struct action_ops expose_method_action;

/* A command made from the entry base: its access and confirmation, with node, name and action. */
struct command_spec expose_spec(const struct command *base, const char *node,
                                const struct i18n *name, const struct action_ops *action,
                                void *action_cfg);

/* The providing entry that stands for every method of c's interface, under base's node. */
int expose_expand_all(const struct expose_config *c, const struct command *base,
                      struct command_sink *sink);
