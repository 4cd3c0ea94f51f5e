/* SPDX-License-Identifier: MIT */
#pragma once

#include <strophe.h>

#include "action.h"
#include "stanza.h"

struct agent;
struct session;

/* An action in flight: owns its call, a reference to the policy it runs under and what is
 * needed to answer the request. Freeing it cancels the backend's work. */
struct adhoc_request {
        struct adhoc_request *next, *prev;
        struct agent *agent;
        struct iq_origin origin;
        struct session *session;
        struct policy *policy;
        const struct command *command;
        struct action_call call;
        struct action_result *early_result; /* completed while start() was still running */
        bool starting;
        bool keep_open; /* a live command's "next": show the form again afterwards */
        usec_t started;
};

/* Handles an <iq type='set'> carrying <command xmlns='http://jabber.org/protocol/commands'/>. */
void adhoc_handle(struct agent *a, xmpp_stanza_t *iq, xmpp_stanza_t *command);
/* Cancels an in-flight request and answers it with an error explaining why (an l10n() msgid:
 * the answer is in the requester's language, the audit line in English). */
void adhoc_request_abort(struct adhoc_request *req, const char *why);

/* Parses the action attribute; -EINVAL for an unknown action. NULL means execute. */
enum adhoc_action { ADHOC_EXECUTE, ADHOC_NEXT, ADHOC_PREV, ADHOC_COMPLETE, ADHOC_CANCEL };
int adhoc_action_from_string(const char *s) _pure_;
