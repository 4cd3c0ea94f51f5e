/* SPDX-License-Identifier: MIT */
/*
 * Closed-loop load: each connection keeps one job in flight and starts the next as soon as
 * the last one is answered. A job is an XEP-0199 ping, a single-stage command, or the three
 * stages of the multi-stage command (execute -> form, submit 10 fields -> confirmation,
 * confirm -> completed).
 *
 * The measured window is either a number of jobs after a warm-up (latency phases), or a fixed
 * time after a warm-up time (throughput phases). CPU time of the agent and the server is
 * sampled at the window's edges, inside the loop, so that logins and draining stay outside.
 */
#include <stdio.h>

#include "bench.h"

#define STAGES_MAX      3
#define REQUEST_TIMEOUT (30 * NSEC_PER_SEC)
#define ERRORS_MAX      20

enum load_kind {
        LOAD_PING,
        LOAD_COMMAND,
        LOAD_FORM,
};

struct job {
        unsigned stage;
        bool measured;
        uint64_t start_ns;
        char sid[128];
};

struct load {
        struct bench_opts *o;
        enum load_kind kind;
        unsigned n_stages;
        struct bench_pool *pool;
        struct job *jobs;

        bool measuring, stopping, done;
        uint64_t window_start_ns, window_end_ns; /* window_end_ns: duration mode only */
        uint64_t completed;                      /* every job, warm-up included */
        uint64_t started_measured, done_measured, in_window, errors;
        struct bench_samples stage[STAGES_MAX], job_rtt;
        struct bench_cpu_window cpu;
};

/* The multi-stage command's form, as bench/bench.yaml declares it (bench/form). */
static const struct {
        const char *var;
        const char *values[2];
} form_values[] = {
    {"name", {"bench"}},
    {"count", {"42"}},
    {"ratio", {"0.75"}},
    {"day", {"2024-05-17"}},
    {"colour", {"green"}},
    {"days", {"mon", "fri"}},
    {"loud", {"1"}},
    {"friend", {"alice@example.test"}},
    {"lines", {"first line", "second line"}},
    {"secret", {"hunter2"}},
};

int bench_form_stage_body(const struct bench_opts *o, unsigned stage, const char *sid, char *buf,
                          size_t size)
{
        size_t len = 0;
        int k;

#define APPEND(...)                                                                                \
        do {                                                                                       \
                k = snprintf(buf + len, size - len, __VA_ARGS__);                                  \
                if (k < 0 || (size_t)k >= size - len)                                              \
                        return -E2BIG;                                                             \
                len += (size_t)k;                                                                  \
        } while (0)

        if (stage == 0) {
                APPEND("<command xmlns='%s' node='%s' action='execute'/>", NS_COMMANDS, o->node);
                return 0;
        }
        APPEND("<command xmlns='%s' node='%s' sessionid='%s' action='%s'><x xmlns='%s' "
               "type='submit'>",
               NS_COMMANDS, o->node, sid, stage == 1 ? "next" : "complete", NS_XDATA);
        if (stage == 1) {
                for (size_t i = 0; i < ELEMENTSOF(form_values); i++) {
                        APPEND("<field var='%s'>", form_values[i].var);
                        for (size_t v = 0; v < 2 && form_values[i].values[v]; v++)
                                APPEND("<value>%s</value>", form_values[i].values[v]);
                        APPEND("</field>");
                }
        } else {
                APPEND("<field var='confirm'><value>1</value></field>");
        }
        APPEND("</x></command>");
        return 0;
#undef APPEND
}

static void send_stage(struct bench_conn *c);

static void window_begin(struct load *l, uint64_t now)
{
        l->measuring = true;
        l->window_start_ns = now;
        if (l->o->count == 0)
                l->window_end_ns = now + (uint64_t)(l->o->duration_s * NSEC_PER_SEC);
        bench_cpu_window_start(l->o, &l->cpu);
        bench_trace(l->o, "measuring (%llu jobs done in the warm-up)",
                    (unsigned long long)l->completed);
}

static void window_close(struct load *l)
{
        bench_cpu_window_end(l->o, &l->cpu);
        l->stopping = true;
        bench_trace(l->o, "window closed: %llu jobs measured, %llu in the window",
                    (unsigned long long)l->done_measured, (unsigned long long)l->in_window);
}

static void start_job(struct bench_conn *c)
{
        struct load *l = c->pool->data;
        struct job *j = c->data;

        if (l->stopping)
                return;
        *j = (struct job){.start_ns = bench_now_ns()};
        if (l->measuring && l->o->count > 0) {
                if (l->started_measured >= l->o->count) {
                        l->stopping = true; /* every measured job has started */
                        return;
                }
                l->started_measured++;
                j->measured = true;
        } else if (l->measuring) {
                j->measured = true;
        }
        send_stage(c);
}

static void job_failed(struct bench_conn *c, const char *what, xmpp_stanza_t *iq)
{
        struct load *l = c->pool->data;
        struct job *j = c->data;

        l->errors++;
        bench_dump_unexpected(what, iq);
        /* A broken set-up answers everything with an error: stop rather than spin. */
        if (l->errors >= ERRORS_MAX && l->errors * 10 > l->completed) {
                bench_warn("%s: %llu requests failed; giving up", l->o->phase,
                           (unsigned long long)l->errors);
                l->done = true;
                return;
        }
        if (j->measured && l->o->count > 0)
                l->started_measured--; /* measure another one instead */
        start_job(c);
}

static void job_done(struct bench_conn *c, uint64_t now)
{
        struct load *l = c->pool->data;
        struct job *j = c->data;

        l->completed++;
        if (l->measuring && (l->o->count > 0 || now <= l->window_end_ns))
                l->in_window++;
        if (j->measured && (l->o->count > 0 || now <= l->window_end_ns)) {
                l->done_measured++;
                (void)bench_samples_add(&l->job_rtt, now - j->start_ns);
        }
        if (!l->measuring && l->o->count > 0 && l->completed >= l->o->warmup)
                window_begin(l, now);
        if (l->measuring && l->o->count > 0 && l->done_measured >= l->o->count && !l->cpu.end_ns) {
                window_close(l);
                return;
        }
        start_job(c);
}

/* Checks an answer for the stage it answers; stores the session id of a first stage. */
static bool answer_ok(struct load *l, struct job *j, xmpp_stanza_t *iq)
{
        static const char *const form_status[STAGES_MAX] = {"executing", "executing", "completed"};
        xmpp_stanza_t *cmd;
        const char *sid;

        switch (l->kind) {
        case LOAD_PING:
                return streq_ptr(xmpp_stanza_get_type(iq), "result");
        case LOAD_COMMAND:
                return bench_command_of(iq, "completed") != NULL;
        case LOAD_FORM:
                cmd = bench_command_of(iq, form_status[j->stage]);
                if (!cmd)
                        return false;
                if (j->stage > 0)
                        return true;
                sid = xmpp_stanza_get_attribute(cmd, "sessionid");
                if (!sid || strlen(sid) >= sizeof(j->sid))
                        return false;
                strcpy(j->sid, sid);
                return true;
        }
        return false;
}

static void on_answer(struct bench_conn *c, xmpp_stanza_t *iq, uint64_t rtt_ns)
{
        struct load *l = c->pool->data;
        struct job *j = c->data;
        uint64_t now = bench_now_ns();
        char what[64];

        if (!answer_ok(l, j, iq)) {
                snprintf(what, sizeof(what), "%s (stage %u)", l->o->phase, j->stage + 1);
                job_failed(c, what, iq);
                return;
        }
        if (j->measured && (l->o->count > 0 || now <= l->window_end_ns))
                (void)bench_samples_add(&l->stage[j->stage], rtt_ns);
        if (++j->stage < l->n_stages) {
                send_stage(c);
                return;
        }
        job_done(c, now);
}

static void send_stage(struct bench_conn *c)
{
        struct load *l = c->pool->data;
        struct job *j = c->data;
        char body[4096];
        int r = 0;

        switch (l->kind) {
        case LOAD_PING:
                r = bench_send(c, "get", l->o->to, "<ping xmlns='" NS_PING "'/>", on_answer);
                break;
        case LOAD_COMMAND:
                snprintf(body, sizeof(body), "<command xmlns='%s' node='%s' action='execute'/>",
                         NS_COMMANDS, l->o->node);
                r = bench_send(c, "set", l->o->to, body, on_answer);
                break;
        case LOAD_FORM:
                r = bench_form_stage_body(l->o, j->stage, j->sid, body, sizeof(body));
                if (r >= 0)
                        r = bench_send(c, "set", l->o->to, body, on_answer);
                break;
        }
        if (r < 0) {
                bench_warn("cannot send a request on %s: %s", c->jid, strerror(-r));
                l->errors++;
                l->done = true;
        }
}

static bool any_waiting(const struct load *l, uint64_t now, bool *ret_stuck)
{
        bool waiting = false;

        *ret_stuck = false;
        for (size_t i = 0; i < l->pool->n; i++) {
                const struct bench_conn *c = &l->pool->conns[i];

                if (!c->waiting)
                        continue;
                waiting = true;
                if (now - c->sent_ns > REQUEST_TIMEOUT)
                        *ret_stuck = true;
        }
        return waiting;
}

static void run(struct load *l)
{
        uint64_t begin = bench_now_ns();

        if (l->o->count > 0 && l->o->warmup == 0)
                window_begin(l, begin);
        for (size_t i = 0; i < l->pool->n; i++)
                start_job(&l->pool->conns[i]);
        while (!l->done) {
                uint64_t now;
                bool stuck;

                bench_pool_run(l->pool, 1);
                now = bench_now_ns();
                if (l->o->count == 0 && !l->measuring &&
                    now >= begin + (uint64_t)(l->o->warmup_s * NSEC_PER_SEC))
                        window_begin(l, now);
                if (l->o->count == 0 && l->measuring && !l->stopping && now >= l->window_end_ns)
                        window_close(l);
                if (!any_waiting(l, now, &stuck) && l->stopping)
                        break;
                if (stuck) {
                        bench_warn("%s: a request went unanswered for %llu s", l->o->phase,
                                   (unsigned long long)(REQUEST_TIMEOUT / NSEC_PER_SEC));
                        l->errors++;
                        break;
                }
                if (l->pool->n_failed > 0) {
                        l->errors++;
                        break;
                }
        }
        if (l->measuring && !l->cpu.end_ns)
                window_close(l);
        bench_trace(l->o, "drained");
}

static void emit(struct load *l)
{
        struct bench_opts *o = l->o;
        double wall = (double)(l->cpu.end_ns - l->cpu.start_ns) / NSEC_PER_SEC;
        char prefix[16];

        bench_emit(o, "concurrency", "%zu", l->pool->n);
        bench_emit(o, "cmds", "%llu", (unsigned long long)l->in_window);
        bench_emit(o, "errors", "%llu", (unsigned long long)l->errors);
        bench_emit(o, "cmds_per_s", "%.1f", wall > 0 ? (double)l->in_window / wall : 0);
        bench_cpu_window_emit(o, &l->cpu, l->in_window);
        bench_samples_emit(o, "rtt", &l->job_rtt);
        if (l->n_stages < 2)
                return;
        for (unsigned s = 0; s < l->n_stages; s++) {
                snprintf(prefix, sizeof(prefix), "stage%u", s + 1);
                bench_samples_emit(o, prefix, &l->stage[s]);
        }
}

int scenario_load(struct bench_opts *o, const char *kind)
{
        _cleanup_(bench_pool_freep) struct bench_pool *pool = NULL;
        struct load l = {.o = o};
        int r;

        if (streq(kind, "ping"))
                l.kind = LOAD_PING;
        else if (streq(kind, "command"))
                l.kind = LOAD_COMMAND;
        else
                l.kind = LOAD_FORM;
        l.n_stages = l.kind == LOAD_FORM ? 3 : 1;
        if (l.kind != LOAD_PING && !o->node)
                return bench_warn("%s needs --node", kind), -EINVAL;
        if (!o->to)
                return bench_warn("%s needs --to", kind), -EINVAL;
        if (o->count == 0 && o->duration_s <= 0)
                return bench_warn("%s needs --count or --duration", kind), -EINVAL;

        bench_trace(o, "logging in %u connection(s)", o->concurrency);
        r = bench_pool_new(o, o->concurrency, false, &pool);
        if (r < 0)
                return r;
        r = bench_pool_connect(pool, 60);
        if (r < 0)
                return r;
        bench_trace(o, "all connections online");
        l.pool = pool;
        l.jobs = calloc(pool->n, sizeof(*l.jobs));
        if (!l.jobs)
                return -ENOMEM;
        pool->data = &l;
        for (size_t i = 0; i < pool->n; i++)
                pool->conns[i].data = &l.jobs[i];

        run(&l);
        emit(&l);

        for (unsigned s = 0; s < STAGES_MAX; s++)
                bench_samples_done(&l.stage[s]);
        bench_samples_done(&l.job_rtt);
        free(l.jobs);
        return l.errors > 0 ? 1 : 0;
}
