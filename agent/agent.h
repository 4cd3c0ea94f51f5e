/* SPDX-License-Identifier: MIT */
#pragma once

#include <systemd/sd-event.h>

#include "policy.h"
#include "roster.h"
#include "session.h"
#include "xmpp.h"

struct adhoc_request;
struct dedup;

/* A started feature (presence, ...). */
struct feature_instance {
        const struct feature_ops *ops;
        void *state;
};

struct outbox_entry {
        char *to, *lang, *body;
};

struct ratelimit_entry {
        char *bare;
        double tokens;
        usec_t last;
};

struct agent {
        sd_event *event;
        char *config_path;
        bool verbose;
        struct policy *policy; /* reference counted: in-flight calls hold their own */
        struct xconn *xc;
        char *account_bare;
        struct roster *roster;
        bool roster_loaded;
        struct session_table *sessions;
        struct adhoc_request *requests; /* in-flight actions, a list */
        sd_event_source *expire_timer;
        sd_event_source *signals[3];
        struct ratelimit_entry *rates;
        size_t n_rates;
        struct dedup *dedup;         /* command iq-sets already handled (XEP-0198 resends) */
        struct outbox_entry *outbox; /* messages waiting for the connection to come back */
        size_t n_outbox;
        struct feature_instance *features;
        size_t n_features;
        struct feature_host host;
        char *show;              /* the published presence: show (NULL: available) */
        struct i18n status;      /* and status texts */
        usec_t started;          /* CLOCK_MONOTONIC, for XEP-0012 */
        usec_t redelivery_until; /* after a reconnect: XEP-0198 resends are refused to run twice */
        bool connected_before;
        bool stopping;
        bool notified_ready;
        int exit_code;
};

int agent_new(sd_event *event, const char *config_path, struct policy *policy, bool verbose,
              struct agent **ret);
struct agent *agent_free(struct agent *a);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct agent *, agent_free)
int agent_run(struct agent *a);
/* Reloads the configuration; on failure the old policy stays. */
int agent_reload(struct agent *a);

/* Policy references: each in-flight action keeps the policy it was started under alive. */
struct policy *agent_policy_ref(struct policy *p);
struct policy *agent_policy_unref(struct policy *p);

/* The requester's groups, from the roster. */
char *const *agent_groups(struct agent *a, const char *bare);
/* Token bucket per bare JID; false when the requester is over rate_per_minute. */
bool agent_rate_allow(struct agent *a, const char *bare, usec_t now);
/* Handles one received <iq/> as if it came from the server (the iq handler; tests use it with
 * xconn_set_loopback()). */
void agent_dispatch_iq(struct agent *a, xmpp_stanza_t *iq);
/* Keeps a chat message until the agent is online again (bounded; the oldest is dropped). */
void agent_outbox_add(struct agent *a, const char *to, const char *lang, const char *body);
/* Sends a chat message from the agent (the action_call.send_message hook). */
void agent_send_message(void *agent, const char *to, const char *lang, const char *body);
/* Arms the session expiry timer for the earliest expiry. */
void agent_schedule_expiry(struct agent *a);
