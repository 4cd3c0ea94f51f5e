/* SPDX-License-Identifier: MIT */
#pragma once

/* An agent without a server, for engine tests and the ad-hoc fuzzer: stanzas go in through
 * agent_dispatch_iq() and every answer is captured as text. */
#include <signal.h>

#include "agent.h"
#include "roster.h"

#define LOOPBACK_JID "agent@example.test/adhocd"

struct loopback {
        sd_event *event;
        struct agent *agent;
        xmpp_ctx_t *ctx; /* the agent's own libstrophe context */
        char **sent;     /* strv of every stanza sent, as text */
};

static _unused_ void loopback_capture(xmpp_stanza_t *st, void *userdata)
{
        struct loopback *lb = userdata;
        char *buf = NULL;
        size_t len = 0;

        if (xmpp_stanza_to_text(st, &buf, &len) != XMPP_EOK)
                abort();
        if (strv_extend(&lb->sent, buf) < 0)
                abort();
        xmpp_free(lb->ctx, buf);
}

static _unused_ int loopback_policy(const char *yaml, struct policy **ret)
{
        struct diags d = {0};
        struct ynode *root = NULL;
        int r;

        r = ynode_parse(yaml, strlen(yaml), "test.yaml", &root, &d);
        if (r >= 0)
                r = policy_from_ynodes((const struct ynode *const *)&root, 1, ret, &d);
        if (r < 0)
                diags_print(&d, stderr);
        ynode_free(root);
        diags_done(&d);
        return r;
}

/* Starts an agent on policy yaml; roster_xml is a <query xmlns='jabber:iq:roster'> or NULL. */
static _unused_ int loopback_start(struct loopback *lb, const char *yaml, const char *roster_xml)
{
        struct policy *p = NULL;
        sigset_t mask;
        int r;

        *lb = (struct loopback){0};
        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGHUP);
        sigaddset(&mask, SIGCHLD);
        sigprocmask(SIG_BLOCK, &mask, NULL);
        r = loopback_policy(yaml, &p);
        if (r < 0)
                return r;
        r = sd_event_new(&lb->event);
        if (r < 0) {
                policy_free(p);
                return r;
        }
        r = agent_new(lb->event, "/nonexistent/adhocd.yaml", p, false, &lb->agent);
        if (r < 0) {
                policy_free(p);
                return r;
        }
        lb->ctx = xconn_ctx(lb->agent->xc);
        r = xconn_set_loopback(lb->agent->xc, LOOPBACK_JID, loopback_capture, lb);
        if (r < 0)
                return r;
        if (roster_xml) {
                xmpp_stanza_t *q = xmpp_stanza_new_from_string(lb->ctx, roster_xml);
                if (!q)
                        return -EINVAL;
                r = roster_apply_query(lb->agent->roster, q, true);
                xmpp_stanza_release(q);
                if (r < 0)
                        return r;
        }
        lb->agent->roster_loaded = true;
        return 0;
}

static _unused_ void loopback_stop(struct loopback *lb)
{
        lb->agent = agent_free(lb->agent);
        lb->event = sd_event_unref(lb->event);
        lb->sent = strv_free(lb->sent);
}

/* Feeds one stanza (XML text); returns 0, or -EINVAL if it does not parse. */
static _unused_ int loopback_feed(struct loopback *lb, const char *xml)
{
        xmpp_stanza_t *st = xmpp_stanza_new_from_string(lb->ctx, xml);

        if (!st)
                return -EINVAL;
        if (streq_ptr(xmpp_stanza_get_name(st), "iq"))
                agent_dispatch_iq(lb->agent, st);
        xmpp_stanza_release(st);
        return 0;
}

/* Runs the loop until n stanzas were sent in all, or the deadline (µs) passes. */
static _unused_ size_t loopback_run_until(struct loopback *lb, size_t n, usec_t timeout)
{
        usec_t end = now_usec(CLOCK_MONOTONIC) + timeout;

        while (strv_length(lb->sent) < n && now_usec(CLOCK_MONOTONIC) < end)
                (void)sd_event_run(lb->event, 100 * USEC_PER_MSEC);
        return strv_length(lb->sent);
}
