/* SPDX-License-Identifier: MIT */
/*
 * Memory with many open sessions. One requester opens --count sessions of the multi-stage
 * command (first stage only, so each session holds its form), the agent's RSS is read, then
 * every session is canceled and the RSS read again. Around it, a second requester sends
 * --probe reply commands with no session open and with all of them open: the agent's CPU per
 * command shows what a long session table costs each request.
 */
#include <stdio.h>

#include "bench.h"

#define CALL_TIMEOUT_S 30

static int agent_pid(const struct bench_opts *o)
{
        for (size_t i = 0; i < o->n_pids; i++)
                if (streq(o->pids[i].name, "agent"))
                        return o->pids[i].pid;
        return -1;
}

/* Waits while the connections keep being served: the agent may still be freeing. */
static void settle(struct bench_pool *p, double seconds)
{
        uint64_t end = bench_now_ns() + (uint64_t)(seconds * NSEC_PER_SEC);

        while (bench_now_ns() < end)
                bench_pool_run(p, 10);
}

/* rss_, private_, anon_ and pss_<when>_kib. */
static void emit_memory(const struct bench_opts *o, const char *when)
{
        struct bench_memory mem;
        char m[64];

        if (bench_proc_memory_kib(agent_pid(o), &mem) < 0)
                return;
        const struct {
                const char *name;
                uint64_t kib;
        } fields[] = {
            {"rss", mem.rss}, {"private", mem.private}, {"anon", mem.anon}, {"pss", mem.pss}};
        for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
                snprintf(m, sizeof(m), "%s_%s_kib", fields[i].name, when);
                bench_emit(o, m, "%llu", (unsigned long long)fields[i].kib);
        }
}

/* --probe reply commands, one at a time: latency and CPU per command as <prefix>_*. */
static int probe(struct bench_opts *o, struct bench_conn *c, const char *prefix, uint64_t *errors)
{
        struct bench_samples s = {0};
        struct bench_cpu_window w;
        const char *phase = o->phase;
        char body[512], sub[128];

        snprintf(body, sizeof(body), "<command xmlns='%s' node='%s' action='execute'/>",
                 NS_COMMANDS, o->probe_node);
        bench_cpu_window_start(o, &w);
        for (unsigned i = 0; i < o->probe; i++) {
                xmpp_stanza_t *reply = NULL;
                int r = bench_call(c, "set", o->to, body, CALL_TIMEOUT_S, &reply);

                if (r < 0)
                        return bench_warn("probe: %s", strerror(-r)), r;
                if (bench_command_of(reply, "completed"))
                        (void)bench_samples_add(&s, c->last_rtt_ns);
                else {
                        (*errors)++;
                        bench_dump_unexpected("probe", reply);
                }
                xmpp_stanza_release(reply);
        }
        bench_cpu_window_end(o, &w);
        /* The probe's rows carry their own prefix: <phase>,<prefix>_<metric>. */
        snprintf(sub, sizeof(sub), "%s.%s", phase, prefix);
        o->phase = sub;
        bench_cpu_window_emit(o, &w, s.n);
        bench_samples_emit(o, "rtt", &s);
        o->phase = phase;
        bench_samples_done(&s);
        return 0;
}

static int open_sessions(struct bench_opts *o, struct bench_conn *c, char (*sids)[128],
                         uint64_t *ret_opened, uint64_t *errors)
{
        char body[1024];
        int r;

        r = bench_form_stage_body(o, 0, NULL, body, sizeof(body));
        if (r < 0)
                return r;
        for (uint64_t i = 0; i < o->count; i++) {
                xmpp_stanza_t *reply = NULL, *cmd;
                const char *sid;

                r = bench_call(c, "set", o->to, body, CALL_TIMEOUT_S, &reply);
                if (r < 0)
                        return bench_warn("opening sessions: %s", strerror(-r)), r;
                cmd = bench_command_of(reply, "executing");
                sid = cmd ? xmpp_stanza_get_attribute(cmd, "sessionid") : NULL;
                if (sid && strlen(sid) < sizeof(sids[0])) {
                        strcpy(sids[(*ret_opened)++], sid);
                } else {
                        (*errors)++;
                        bench_dump_unexpected("opening a session", reply);
                }
                xmpp_stanza_release(reply);
        }
        return 0;
}

static int cancel_sessions(struct bench_opts *o, struct bench_conn *c, char (*sids)[128],
                           uint64_t n, uint64_t *errors)
{
        for (uint64_t i = 0; i < n; i++) {
                xmpp_stanza_t *reply = NULL;
                char body[1024];
                int r;

                snprintf(body, sizeof(body),
                         "<command xmlns='%s' node='%s' sessionid='%s' action='cancel'/>",
                         NS_COMMANDS, o->node, sids[i]);
                r = bench_call(c, "set", o->to, body, CALL_TIMEOUT_S, &reply);
                if (r < 0)
                        return bench_warn("canceling sessions: %s", strerror(-r)), r;
                if (!bench_command_of(reply, "canceled")) {
                        (*errors)++;
                        bench_dump_unexpected("canceling a session", reply);
                }
                xmpp_stanza_release(reply);
        }
        return 0;
}

int scenario_sessions(struct bench_opts *o)
{
        _cleanup_(bench_pool_freep) struct bench_pool *pool = NULL;
        _cleanup_free_ char(*sids)[128] = NULL;
        uint64_t opened = 0, errors = 0;
        int r;

        if (!o->to || !o->node || o->count == 0 || agent_pid(o) < 0)
                return bench_warn("sessions needs --to, --node, --count and --pid agent=PID"),
                       -EINVAL;
        if (!o->probe_node)
                o->probe = 0;
        sids = calloc(o->count, sizeof(*sids));
        if (!sids)
                return -ENOMEM;
        r = bench_pool_new(o, 2, false, &pool);
        if (r < 0)
                return r;
        r = bench_pool_connect(pool, 60);
        if (r < 0)
                return r;

        settle(pool, 0.5);
        emit_memory(o, "before");
        if (o->probe > 0 && (r = probe(o, &pool->conns[1], "no_sessions", &errors)) < 0)
                return r;
        bench_trace(o, "opening %llu sessions", (unsigned long long)o->count);
        r = open_sessions(o, &pool->conns[0], sids, &opened, &errors);
        if (r < 0)
                return r;
        bench_emit(o, "sessions_open", "%llu", (unsigned long long)opened);
        settle(pool, 0.5);
        emit_memory(o, "open");
        if (o->probe > 0 && (r = probe(o, &pool->conns[1], "with_sessions", &errors)) < 0)
                return r;
        bench_trace(o, "canceling them");
        r = cancel_sessions(o, &pool->conns[0], sids, opened, &errors);
        if (r < 0)
                return r;
        settle(pool, 1.0);
        emit_memory(o, "after");
        bench_emit(o, "errors", "%llu", (unsigned long long)errors);
        return errors > 0 ? 1 : 0;
}
