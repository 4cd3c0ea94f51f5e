/* SPDX-License-Identifier: MIT */
#pragma once

#include <systemd/sd-event.h>

#include "diag.h"
#include "i18n.h"
#include "ynode.h"

struct access;
struct action_ops;
struct command;
struct form;

/*
 * Generated commands. A feature (from its section) or an expanding action (dbus_expose, from
 * one command entry) adds commands to the policy being loaded through a sink; the policy checks
 * each node like a written one (syntax, uniqueness) and resolves the access rules.
 */
struct command_sink;

struct command_spec {
        const char *node;
        const struct i18n *name;
        /* Who may run it: an allow spec as written in YAML (an access-list name or a map), or an
         * already resolved access (exactly one of the two; neither: nobody). */
        const struct ynode *allow;
        const struct access *allow_access;
        const struct access *deny_access; /* may be NULL */
        const struct i18n *confirm;       /* the confirmation template; may be NULL: none */
        const struct action_ops *action;
        void *action_cfg;          /* consumed, even on failure */
        struct form *form;         /* consumed, even on failure; may be NULL */
        const struct ynode *where; /* where errors are reported */
};

/* Adds a command; -EINVAL (with a diagnostic) for a bad or duplicate node or access. */
int command_sink_add(struct command_sink *sink, struct command_spec *spec);
/* Resolves an allow-style spec (an access-list name or {groups, jids, access: [names]}). */
int command_sink_resolve_access(struct command_sink *sink, const struct ynode *n,
                                struct access *ret);

/*
 * Built-in features configured by a top-level YAML key (presence, ...). A feature parses its
 * section when the policy loads, is started once the agent exists and talks to XMPP only
 * through the host below, which the agent provides.
 */

struct feature_host {
        sd_event *event;
        void *agent;
        /* Publishes the agent's presence: show is NULL (available), "away", "xa", "dnd" or
         * "chat"; status holds one text per language (may be NULL or empty). */
        void (*publish_presence)(void *agent, const char *show, const struct i18n *status);
        /* Sends a message (type "headline", "chat" or "normal") to a JID; a headline to a bare
         * JID reaches each of its online resources. */
        void (*send_message)(void *agent, const char *to, const char *type, const char *lang,
                             const char *body);
        /* The bare JIDs of the roster that an access spec admits (jids listed explicitly are
         * included as they are). Returns a strv the caller frees. */
        int (*resolve_access)(void *agent, const struct access *a, char ***ret);
        bool (*is_online)(void *agent);
};

struct feature_ops {
        const char *key; /* top-level YAML key */
        int (*parse)(const struct ynode *n, void **ret_cfg, struct diags *d);
        void (*free_cfg)(void *cfg);
        /* Starts with a configuration (which stays valid until stop()). */
        int (*start)(const struct feature_host *host, const void *cfg, void **ret_state);
        void (*stop)(void *state);
        /* The agent (re)connected: re-publish whatever the feature publishes. */
        void (*online)(void *state);
        /* Optional, when the policy loads, after parse() and after every access list is known:
         * resolves references to the rest of the policy (command_sink_resolve_access) and adds
         * the commands the section declares (command_sink_add). n is the section. */
        int (*link)(void *cfg, const struct ynode *n, struct command_sink *sink);
};

/* The registry of built-in features, defined in plugins/features.c. */
const struct feature_ops *feature_ops_lookup(const char *key);
extern const struct feature_ops *const builtin_features[];
