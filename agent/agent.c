/* SPDX-License-Identifier: MIT */
#include "agent.h"

#include <signal.h>
#include <systemd/sd-daemon.h>

#include "adhoc.h"
#include "plugins.h"
#include "caps.h"
#include "dedup.h"
#include "disco.h"
#include "jid.h"
#include "l10n.h"
#include "log.h"
#include "stanza.h"

#define RATE_TABLE_MAX 4096

struct policy *agent_policy_ref(struct policy *p)
{
        if (p)
                p->n_ref++;
        return p;
}

struct policy *agent_policy_unref(struct policy *p)
{
        if (p && --p->n_ref == 0)
                policy_free(p);
        return NULL;
}

char *const *agent_groups(struct agent *a, const char *bare)
{
        return roster_groups(a->roster, bare);
}

/* Drops buckets that are full again: they carry no state worth keeping. */
static void rate_gc(struct agent *a, usec_t now, double cap, double per_usec)
{
        size_t j = 0;

        for (size_t i = 0; i < a->n_rates; i++) {
                struct ratelimit_entry *e = &a->rates[i];
                if (e->tokens + (double)(now - e->last) * per_usec >= cap) {
                        free(e->bare);
                        continue;
                }
                a->rates[j++] = *e;
        }
        a->n_rates = j;
}

bool agent_rate_allow(struct agent *a, const char *bare, usec_t now)
{
        double cap = a->policy->sessions.rate_per_minute;
        double per_usec = cap / (60.0 * USEC_PER_SEC);
        struct ratelimit_entry *e = NULL;

        if (cap <= 0)
                return true;
        for (size_t i = 0; i < a->n_rates && !e; i++)
                if (streq(a->rates[i].bare, bare))
                        e = &a->rates[i];
        if (!e) {
                if (a->n_rates >= RATE_TABLE_MAX)
                        rate_gc(a, now, cap, per_usec);
                if (a->n_rates >= RATE_TABLE_MAX)
                        return false; /* every bucket busy: refuse rather than grow */
                e = array_grow((void **)&a->rates, &a->n_rates, sizeof(*e));
                if (!e)
                        return false;
                e->bare = strdup(bare);
                if (!e->bare) {
                        a->n_rates--;
                        return false;
                }
                e->tokens = cap;
                e->last = now;
        }
        e->tokens += (double)(now - e->last) * per_usec;
        if (e->tokens > cap)
                e->tokens = cap;
        e->last = now;
        if (e->tokens < 1.0)
                return false;
        e->tokens -= 1.0;
        return true;
}

static int on_expire(sd_event_source *s, uint64_t usec, void *userdata)
{
        struct agent *a = userdata;
        size_t n = session_table_expire(a->sessions, now_usec(CLOCK_MONOTONIC));

        if (n > 0)
                log_debug("%zu idle session(s) expired", n);
        agent_schedule_expiry(a);
        return 0;
}

void agent_schedule_expiry(struct agent *a)
{
        usec_t next = session_table_next_expiry(a->sessions);
        int r;

        if (next == USEC_INFINITY) {
                if (a->expire_timer)
                        (void)sd_event_source_set_enabled(a->expire_timer, SD_EVENT_OFF);
                return;
        }
        if (!a->expire_timer) {
                r = sd_event_add_time(a->event, &a->expire_timer, CLOCK_MONOTONIC, next,
                                      250 * USEC_PER_MSEC, on_expire, a);
                if (r < 0)
                        log_error_errno(r, "Failed to arm the session expiry timer: %m");
                return;
        }
        (void)sd_event_source_set_time(a->expire_timer, next);
        (void)sd_event_source_set_enabled(a->expire_timer, SD_EVENT_ONESHOT);
}

static void send_reply(struct agent *a, xmpp_stanza_t *iq, enum xerr fallback, xmpp_stanza_t *reply)
{
        struct iq_origin o;

        if (!reply) {
                if (iq_origin_init(&o, iq, stanza_get_lang(iq)) < 0)
                        return;
                reply = iq_error_new(xconn_ctx(a->xc), &o, fallback, NULL, NULL);
                iq_origin_done(&o);
        }
        xconn_send_consume(a->xc, reply);
}

static void handle_roster_push(struct agent *a, xmpp_stanza_t *iq, xmpp_stanza_t *query)
{
        const char *from = xmpp_stanza_get_from(iq);
        struct iq_origin o;

        if (!roster_push_is_trusted(from, a->account_bare)) {
                /* Prosody relays other users' roster sets to us: never let them edit groups. */
                log_warning("Ignored a roster push from %s: only %s may change the roster",
                            strempty(from), a->account_bare);
                send_reply(a, iq, XERR_FORBIDDEN, NULL);
                return;
        }
        if (roster_apply_query(a->roster, query, false) < 0)
                log_warning("Could not apply a roster push");
        else
                log_debug("Roster updated by a push");
        if (iq_origin_init(&o, iq, NULL) < 0)
                return;
        xconn_send_consume(a->xc, iq_result_new(xconn_ctx(a->xc), &o));
        iq_origin_done(&o);
}

typedef xmpp_stanza_t *(*query_handler_t)(struct agent *a, xmpp_stanza_t *iq, xmpp_stanza_t *query);

/* The iq table: every get/set that is not listed here is answered service-unavailable. */
#define NS_LAST "jabber:iq:last"

/* XEP-0012 for a client that never idles: the time since the agent started. */
static xmpp_stanza_t *last_activity_reply(struct agent *a, xmpp_stanza_t *iq, xmpp_stanza_t *q)
{
        struct iq_origin o;
        xmpp_stanza_t *reply, *c;
        char secs[32];

        if (iq_origin_init(&o, iq, NULL) < 0)
                return NULL;
        reply = iq_result_new(xconn_ctx(a->xc), &o);
        iq_origin_done(&o);
        if (!reply)
                return NULL;
        c = stanza_add_child(reply, "query", NS_LAST);
        snprintf(secs, sizeof(secs), "%llu",
                 (unsigned long long)((now_usec(CLOCK_MONOTONIC) - a->started) / USEC_PER_SEC));
        if (c)
                xmpp_stanza_set_attribute(c, "seconds", secs);
        return reply;
}

static const struct {
        const char *type;
        const char *name;
        const char *ns;
        query_handler_t fn;
} iq_handlers[] = {
    {"get", "query", NS_LAST, last_activity_reply},
    {"get", "query", NS_DISCO_INFO, disco_info_reply},
    {"get", "query", NS_DISCO_ITEMS, disco_items_reply},
    {"get", "query", NS_VERSION, version_reply},
    {"get", "ping", NS_PING, ping_reply},
};

static int on_iq(xmpp_conn_t *conn, xmpp_stanza_t *iq, void *userdata)
{
        struct agent *a = userdata;
        const char *type = xmpp_stanza_get_type(iq);
        xmpp_stanza_t *child;
        const char *name, *ns;

        if (!streq_ptr(type, "get") && !streq_ptr(type, "set"))
                return 1; /* results and errors belong to id handlers */
        child = stanza_single_child(iq);
        if (!child) {
                send_reply(a, iq, XERR_BAD_REQUEST, NULL);
                return 1;
        }
        name = xmpp_stanza_get_name(child);
        ns = xmpp_stanza_get_ns(child);
        if (a->stopping) {
                send_reply(a, iq, XERR_SERVICE_UNAVAILABLE, NULL);
                return 1;
        }
        if (streq(type, "set") && streq_ptr(name, "command") && streq_ptr(ns, NS_COMMANDS)) {
                /* A resend (XEP-0198) of a command already handled must not run it twice. */
                if (dedup_iq_admit(a->dedup, a->xc, iq, child,
                                   now_usec(CLOCK_MONOTONIC) < a->redelivery_until))
                        adhoc_handle(a, iq, child);
                return 1;
        }
        if (streq(type, "set") && streq_ptr(name, "query") && streq_ptr(ns, NS_ROSTER)) {
                handle_roster_push(a, iq, child);
                return 1;
        }
        for (size_t i = 0; i < ELEMENTSOF(iq_handlers); i++) {
                if (!streq(type, iq_handlers[i].type) || !streq_ptr(name, iq_handlers[i].name) ||
                    !streq_ptr(ns, iq_handlers[i].ns))
                        continue;
                send_reply(a, iq, XERR_INTERNAL, iq_handlers[i].fn(a, iq, child));
                return 1;
        }
        /* libstrophe leaves unhandled iqs unanswered; RFC 6120 requires an answer. */
        send_reply(a, iq, XERR_SERVICE_UNAVAILABLE, NULL);
        return 1;
}

void agent_dispatch_iq(struct agent *a, xmpp_stanza_t *iq)
{
        (void)on_iq(xconn_conn(a->xc), iq, a);
}

/* XEP-0115: lets clients cache what the agent supports instead of asking each time. */
static void add_caps(xmpp_stanza_t *presence)
{
        const char *ver = disco_caps_ver();
        xmpp_stanza_t *c;

        if (!ver)
                return;
        c = stanza_add_child(presence, "c", NS_CAPS);
        if (!c)
                return;
        xmpp_stanza_set_attribute(c, "hash", "sha-1");
        xmpp_stanza_set_attribute(c, "node", CAPS_NODE);
        xmpp_stanza_set_attribute(c, "ver", ver);
}

static void send_presence(struct agent *a, const char *type, const char *to)
{
        xmpp_stanza_t *p = xmpp_presence_new(xconn_ctx(a->xc));
        char prio[16];

        if (!p)
                return;
        if (type)
                xmpp_stanza_set_type(p, type);
        if (to)
                xmpp_stanza_set_to(p, to);
        if (!type && !to) {
                if (a->show)
                        stanza_add_text_child(p, "show", a->show);
                for (size_t i = 0; i < a->status.n; i++) {
                        xmpp_stanza_t *st = stanza_add_text_child(p, "status", a->status.v[i].text);
                        if (st && a->status.v[i].lang)
                                xmpp_stanza_set_attribute(st, "xml:lang", a->status.v[i].lang);
                }
                snprintf(prio, sizeof(prio), "%d", a->policy->account.priority);
                stanza_add_text_child(p, "priority", prio);
                add_caps(p);
        }
        xconn_send_consume(a->xc, p);
}

static void host_publish_presence(void *agent, const char *show, const struct i18n *status)
{
        struct agent *a = agent;
        char *s = NULL;

        if (show && !(s = strdup(show)))
                return;
        free(a->show);
        a->show = s;
        i18n_done(&a->status);
        for (size_t i = 0; status && i < status->n; i++) {
                struct i18n_entry *e = array_grow((void **)&a->status.v, &a->status.n, sizeof(*e));
                if (!e)
                        break;
                e->lang = strdup_or_null(status->v[i].lang);
                e->text = strdup(strempty(status->v[i].text));
        }
        if (xconn_is_online(a->xc) && a->roster_loaded)
                send_presence(a, NULL, NULL);
}

static void host_send_message(void *agent, const char *to, const char *type, const char *lang,
                              const char *body)
{
        struct agent *a = agent;
        xmpp_stanza_t *m;

        if (!xconn_is_online(a->xc))
                return;
        m = xmpp_message_new(xconn_ctx(a->xc), type, to, NULL);
        if (!m)
                return;
        if (lang)
                xmpp_stanza_set_attribute(m, "xml:lang", lang);
        if (xmpp_message_set_body(m, body) == XMPP_EOK)
                xconn_send(a->xc, m);
        xmpp_stanza_release(m);
}

/* The roster's JIDs an access spec admits, plus the exact JIDs it lists. */
static int host_resolve_access(void *agent, const struct access *acc, char ***ret)
{
        struct agent *a = agent;
        _cleanup_strv_free_ char **l = NULL;

        for (size_t i = 0; i < a->roster->n; i++) {
                const struct roster_item *it = &a->roster->items[i];
                struct requester r = {.bare = it->bare, .groups = it->groups};

                if (access_matches(acc, &r) && strv_extend(&l, it->bare) < 0)
                        return -ENOMEM;
        }
        STRV_FOREACH (j, acc->jids)
                if (!strchr(*j, '*') && !strv_contains(l, *j) && strv_extend(&l, *j) < 0)
                        return -ENOMEM;
        *ret = TAKE_PTR(l);
        return 0;
}

static bool host_is_online(void *agent)
{
        struct agent *a = agent;
        return xconn_is_online(a->xc) && a->roster_loaded;
}

static void features_stop(struct agent *a)
{
        for (size_t i = 0; i < a->n_features; i++)
                a->features[i].ops->stop(a->features[i].state);
        free(a->features);
        a->features = NULL;
        a->n_features = 0;
}

static void features_start(struct agent *a)
{
        exec_set_global_max(a->policy->exec_max_concurrent);
        for (size_t i = 0; i < a->policy->n_features; i++) {
                const struct feature_config *fc = &a->policy->features[i];
                struct feature_instance *fi;
                void *state = NULL;
                int r;

                r = fc->ops->start(&a->host, fc->cfg, &state);
                if (r < 0) {
                        log_error_errno(r, "Failed to start %s: %m", fc->ops->key);
                        continue;
                }
                fi = array_grow((void **)&a->features, &a->n_features, sizeof(*fi));
                if (!fi) {
                        fc->ops->stop(state);
                        continue;
                }
                fi->ops = fc->ops;
                fi->state = state;
        }
}

void agent_send_message(void *agent, const char *to, const char *lang, const char *body)
{
        struct agent *a = agent;
        xmpp_stanza_t *m;

        if (!xconn_is_online(a->xc))
                return;
        m = xmpp_message_new(xconn_ctx(a->xc), "chat", to, NULL);
        if (!m)
                return;
        if (lang)
                xmpp_stanza_set_attribute(m, "xml:lang", lang);
        if (xmpp_message_set_body(m, body) != XMPP_EOK)
                log_warning("Could not build a message to %s", to);
        else
                xconn_send(a->xc, m);
        xmpp_stanza_release(m);
}

#define OUTBOX_MAX 256

static void outbox_entry_done(struct outbox_entry *e)
{
        free(e->to);
        free(e->lang);
        free(e->body);
}

void agent_outbox_add(struct agent *a, const char *to, const char *lang, const char *body)
{
        struct outbox_entry *e;

        if (a->n_outbox >= OUTBOX_MAX) {
                log_warning("Outbox full: dropping the oldest undelivered result (to %s)",
                            a->outbox[0].to);
                outbox_entry_done(&a->outbox[0]);
                memmove(a->outbox, a->outbox + 1, (a->n_outbox - 1) * sizeof(*a->outbox));
                a->n_outbox--;
        }
        e = array_grow((void **)&a->outbox, &a->n_outbox, sizeof(*e));
        if (!e)
                return;
        e->to = strdup(to);
        e->lang = strdup_or_null(lang);
        e->body = strdup(body);
        if (!e->to || !e->body) {
                outbox_entry_done(e);
                a->n_outbox--;
        }
}

static void outbox_flush(struct agent *a)
{
        for (size_t i = 0; i < a->n_outbox; i++) {
                agent_send_message(a, a->outbox[i].to, a->outbox[i].lang, a->outbox[i].body);
                outbox_entry_done(&a->outbox[i]);
        }
        a->n_outbox = 0;
}

static int on_presence(xmpp_conn_t *conn, xmpp_stanza_t *st, void *userdata)
{
        struct agent *a = userdata;
        const char *from = xmpp_stanza_get_from(st);
        _cleanup_free_ char *bare = NULL;

        if (!streq_ptr(xmpp_stanza_get_type(st), "subscribe") || !from)
                return 1;
        bare = jid_bare(from);
        if (!bare)
                return 1;
        if (!policy_accepts_subscription(a->policy, bare)) {
                log_info("Subscription request from %s left pending for the owner", bare);
                return 1;
        }
        log_info("Accepted the subscription request of %s", bare);
        send_presence(a, "subscribed", bare);
        return 1;
}

static int on_roster_result(xmpp_conn_t *conn, xmpp_stanza_t *st, void *userdata)
{
        struct agent *a = userdata;
        xmpp_stanza_t *q = xmpp_stanza_get_child_by_name_and_ns(st, "query", NS_ROSTER);
        int n = 0;

        if (!streq_ptr(xmpp_stanza_get_type(st), "result")) {
                log_warning("The server refused the roster request; nobody has a group");
                roster_clear(a->roster);
        } else if (q) {
                n = roster_apply_query(a->roster, q, true);
        }
        a->roster_loaded = true;
        send_presence(a, NULL, NULL);
        outbox_flush(a);
        for (size_t i = 0; i < a->n_features; i++)
                if (a->features[i].ops->online)
                        a->features[i].ops->online(a->features[i].state);
        log_info("online as %s (%d roster item(s), %zu command(s))",
                 strempty(xconn_bound_jid(a->xc)), n < 0 ? 0 : n, a->policy->n_commands);
        if (!a->notified_ready) {
                (void)sd_notify(false, "READY=1");
                a->notified_ready = true;
        }
        (void)sd_notifyf(false, "STATUS=Online as %s", strempty(xconn_bound_jid(a->xc)));
        return 0;
}

static void on_online(struct xconn *xc, bool resumed, void *userdata)
{
        struct agent *a = userdata;

        /* Only right after a reconnect can the server resend what it already delivered. */
        if (a->connected_before)
                a->redelivery_until = now_usec(CLOCK_MONOTONIC) + DEDUP_REDELIVERY_GRACE;
        a->connected_before = true;
        xmpp_conn_t *conn = xconn_conn(xc);
        xmpp_stanza_t *iq;

        xmpp_handler_delete(conn, on_iq);
        xmpp_handler_delete(conn, on_presence);
        xmpp_handler_add(conn, on_iq, NULL, "iq", NULL, a);
        xmpp_handler_add(conn, on_presence, NULL, "presence", NULL, a);

        /* The roster is fetched at every connect, before initial presence (RFC 6121). */
        iq = xmpp_iq_new(xconn_ctx(xc), "get", "roster-1");
        if (!iq)
                return;
        stanza_add_child(iq, "query", NS_ROSTER);
        xmpp_id_handler_delete(conn, on_roster_result, "roster-1");
        xmpp_id_handler_add(conn, on_roster_result, "roster-1", a);
        xconn_send_consume(xc, iq);
}

static void on_offline(struct xconn *xc, void *userdata)
{
        struct agent *a = userdata;

        a->roster_loaded = false;
        (void)sd_notify(false, "STATUS=Offline; reconnecting");
}

static const struct xconn_callbacks xconn_cb = {
    .online = on_online,
    .offline = on_offline,
};

static void abort_all(struct agent *a, const char *why)
{
        while (a->requests)
                adhoc_request_abort(a->requests, why);
}

static void on_stopped(void *userdata)
{
        struct agent *a = userdata;

        (void)sd_event_exit(a->event, a->exit_code);
}

static void shutdown_backends(void);

static int on_term(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata)
{
        struct agent *a = userdata;

        if (a->stopping)
                return 0;
        log_info("Received %s; shutting down", strsignal((int)si->ssi_signo));
        (void)sd_notify(false, "STOPPING=1");
        a->stopping = true;
        if (xconn_is_online(a->xc))
                send_presence(a, "unavailable", NULL);
        abort_all(a, N_("adhocd is shutting down"));
        /* While still online: detached jobs tell their requesters they were interrupted. */
        shutdown_backends();
        xconn_stop(a->xc, on_stopped);
        return 0;
}

static int on_hup(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata)
{
        (void)agent_reload(userdata);
        return 0;
}

int agent_reload(struct agent *a)
{
        _cleanup_(diags_done) struct diags d = {0};
        struct policy *p = NULL;
        int r;

        (void)sd_notify(false, "RELOADING=1");
        r = policy_load(a->config_path, &p, &d);
        if (r < 0) {
                for (size_t i = 0; i < d.n; i++)
                        log_internal(d.v[i].level == DIAG_ERROR ? LOG_ERR : LOG_WARNING, 0,
                                     "%s:%u:%u: %s: %s", d.v[i].file, d.v[i].line, d.v[i].col,
                                     d.v[i].level == DIAG_ERROR ? "error" : "warning", d.v[i].msg);
                log_error("Reload of %s failed; the previous configuration stays in force",
                          a->config_path);
                policy_free(p);
                (void)sd_notify(false, "READY=1");
                return r;
        }
        p->n_ref = 1;
        if (!streq(p->account.jid, a->policy->account.jid) ||
            !streq_ptr(p->account.host, a->policy->account.host) ||
            p->account.port != a->policy->account.port || p->account.tls != a->policy->account.tls)
                log_warning("Account settings changed; they take effect at the next restart");
        features_stop(a);
        agent_policy_unref(a->policy);
        a->policy = p;
        features_start(a);
        session_table_set_limits(a->sessions,
                                 &(struct session_limits){
                                     .idle_timeout = p->sessions.idle_timeout,
                                     .max_per_requester = p->sessions.max_per_requester,
                                     .max_total = p->sessions.max_total,
                                 });
        agent_schedule_expiry(a);
        log_info("Configuration reloaded from %s (%zu command(s))", a->config_path, p->n_commands);
        (void)sd_notify(false, "READY=1");
        return 0;
}

int agent_new(sd_event *event, const char *config_path, struct policy *policy, bool verbose,
              struct agent **ret)
{
        _cleanup_(agent_freep) struct agent *a = NULL;
        static const int sigs[] = {SIGTERM, SIGINT, SIGHUP};
        int r;

        a = zalloc(sizeof(*a));
        if (!a)
                return -ENOMEM;
        a->event = sd_event_ref(event);
        a->verbose = verbose;
        a->config_path = strdup(config_path);
        a->account_bare = jid_bare(policy->account.jid);
        a->roster = roster_new();
        a->sessions = session_table_new();
        if (!a->config_path || !a->account_bare || !a->roster || !a->sessions)
                return -ENOMEM;
        a->policy = policy; /* takes the caller's reference */
        policy->n_ref = 1;
        session_table_set_limits(a->sessions,
                                 &(struct session_limits){
                                     .idle_timeout = policy->sessions.idle_timeout,
                                     .max_per_requester = policy->sessions.max_per_requester,
                                     .max_total = policy->sessions.max_total,
                                 });
        for (size_t i = 0; i < ELEMENTSOF(sigs); i++) {
                r = sd_event_add_signal(event, &a->signals[i], sigs[i],
                                        sigs[i] == SIGHUP ? on_hup : on_term, a);
                if (r < 0)
                        return r;
        }
        r = xconn_new(event, &policy->account, verbose, &xconn_cb, a, &a->xc);
        if (r < 0)
                return r;
        a->dedup = dedup_new(DEDUP_CAPACITY, DEDUP_WINDOW, DEDUP_MAX_ANSWER, DEDUP_MAX_TOTAL);
        if (!a->dedup)
                return -ENOMEM;
        xconn_set_send_observer(a->xc, dedup_iq_observe, a->dedup);
        a->started = now_usec(CLOCK_MONOTONIC);
        a->host = (struct feature_host){
            .event = event,
            .agent = a,
            .publish_presence = host_publish_presence,
            .send_message = host_send_message,
            .resolve_access = host_resolve_access,
            .is_online = host_is_online,
        };
        features_start(a);
        *ret = TAKE_PTR(a);
        return 0;
}

/* Ends work that outlives requests (detached jobs) in every backend. */
static void shutdown_backends(void)
{
        for (size_t i = 0; builtin_actions[i]; i++)
                if (builtin_actions[i]->shutdown)
                        builtin_actions[i]->shutdown();
}

struct agent *agent_free(struct agent *a)
{
        if (!a)
                return NULL;
        if (a->xc)
                abort_all(a, N_("adhocd is stopping"));
        features_stop(a);
        shutdown_backends();
        free(a->show);
        i18n_done(&a->status);
        session_table_free(a->sessions);
        roster_free(a->roster);
        xconn_free(a->xc);
        dedup_free(a->dedup); /* after the connection: its last sends are observed */
        for (size_t i = 0; i < ELEMENTSOF(a->signals); i++)
                sd_event_source_disable_unref(a->signals[i]);
        sd_event_source_disable_unref(a->expire_timer);
        for (size_t i = 0; i < a->n_outbox; i++)
                outbox_entry_done(&a->outbox[i]);
        free(a->outbox);
        for (size_t i = 0; i < a->n_rates; i++)
                free(a->rates[i].bare);
        free(a->rates);
        agent_policy_unref(a->policy);
        free(a->account_bare);
        free(a->config_path);
        sd_event_unref(a->event);
        free(a);
        return NULL;
}

int agent_run(struct agent *a)
{
        int r;

        r = xconn_start(a->xc);
        if (r < 0)
                log_warning("First connection attempt failed; retrying");
        return sd_event_loop(a->event);
}
