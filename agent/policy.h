/* SPDX-License-Identifier: MIT */
#pragma once

#include "action.h"
#include "diag.h"
#include "feature.h"
#include "form.h"
#include "i18n.h"

/* The configuration and policy (adhocd.yaml and its includes). */

enum tls_mode {
        TLS_REQUIRED,          /* STARTTLS mandatory, certificate verified */
        TLS_DIRECT,            /* TLS from the first byte, verified */
        TLS_TRUST_SELF_SIGNED, /* explicit opt-out of verification */
        TLS_PLAINTEXT,         /* tests only: no TLS at all, must be spelled out */
};

struct access {
        char **groups; /* roster groups, case-sensitive */
        char **jids;   /* bare JIDs or *@domain */
};

struct account {
        char *jid;
        char *password; /* secret: never logged */
        char *password_file;
        char *host;
        uint16_t port;
        enum tls_mode tls;
        char *ca_file;
        int priority;
        usec_t ping_interval; /* XEP-0199 keepalive to the server (default 60 s) */
        usec_t ping_timeout;  /* no answer within this: reconnect (default 30 s) */
};

struct sessions_config {
        usec_t idle_timeout;
        unsigned max_per_requester;
        unsigned max_total;
        unsigned rate_per_minute; /* command requests (any stage) per requester per minute */
};

struct command {
        char *node;
        struct i18n name;
        struct access allow;
        struct access deny;
        bool has_allow;
        struct form *form;   /* NULL: no input stage */
        struct i18n confirm; /* empty: no confirmation stage; a template */
        const struct action_ops *action;
        void *action_cfg;
        unsigned line, col;
};

/* A built-in feature's section (presence, ...) and its parsed configuration. */
struct feature_config {
        const struct feature_ops *ops;
        void *cfg;
};

struct named_access {
        char *name;
        struct access access;
};

struct policy {
        char *file; /* main config path */
        struct account account;
        struct sessions_config sessions;
        char **remote_domains;       /* domains other than the account's that may be granted */
        char **subscriptions_accept; /* bare JIDs, *@domain or domain */
        unsigned n_ref;              /* managed by the agent (agent_policy_ref) */
        struct named_access *access_lists;
        size_t n_access_lists;
        struct command *commands;
        size_t n_commands;
        struct feature_config *features;
        size_t n_features;
        unsigned exec_max_concurrent; /* 0: the exec backend's default */
        bool allow_root;              /* run even as uid 0 (discouraged) */
};

/* Loads the main file, its includes and the password file; adds diagnostics. Returns -EINVAL
 * when any error was found. Does no network I/O. */
int policy_load(const char *path, struct policy **ret, struct diags *d);
/* Pure part: builds a policy from already-parsed documents. docs[0] is the main file. */
int policy_from_ynodes(const struct ynode *const *docs, size_t n_docs, struct policy **ret,
                       struct diags *d);
struct policy *policy_free(struct policy *p);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct policy *, policy_free)

struct requester;
/* The command at node: a command of the policy, or one a providing entry knows now. With a
 * requester, a providing entry is only asked if the requester may run its commands, so that a
 * stranger never makes it look anything up. */
const struct command *policy_find_command_for(const struct policy *p, const char *node,
                                              const struct requester *r);
static inline const struct command *policy_find_command(const struct policy *p, const char *node)
{
        return policy_find_command_for(p, node, NULL);
}
/* Calls cb for each command of the policy, in order, with those of providing entries (only of
 * those r may use, when r is given). */
void policy_foreach_command(const struct policy *p, const struct requester *r,
                            void (*cb)(const struct command *c, void *userdata), void *userdata);
static inline bool command_is_provider(const struct command *c)
{
        return c->action && c->action->provide_find && c->action->provide_list;
}
/* A command made at run time by a providing entry: node and name, the entry's access and
 * confirmation, and the action (its cfg consumed, even on failure). */
int command_derive(const struct command *entry, const char *node, const struct i18n *name,
                   const struct action_ops *action, void *action_cfg, struct command **ret);
struct command *command_free(struct command *c);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct command *, command_free)
bool command_node_is_valid(const char *node) _pure_;
/* False while the command's backend says it cannot run (e.g. its D-Bus service is absent). */
static inline bool command_is_available(const struct command *c)
{
        return !c->action->available || c->action->available(c->action_cfg);
}

/* Who asks: a bare JID and its groups in the agent's roster. */
struct requester {
        const char *bare;
        char *const *groups; /* strv, may be NULL */
};

/* Default deny: true only if allow matches and deny does not, and the requester's domain is
 * the account's own or listed in remote_domains. */
bool policy_allows(const struct policy *p, const struct command *c, const struct requester *r);
bool access_matches(const struct access *a, const struct requester *r) _pure_;
/* Whether a subscription request from bare may be accepted automatically. */
bool policy_accepts_subscription(const struct policy *p, const char *bare);
