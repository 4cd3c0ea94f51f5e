/* SPDX-License-Identifier: MIT */
/*
 * Client connections for the load generator. All of them live in one libstrophe context and
 * are driven by xmpp_run_once() from the scenario's own loop. Requests are written as raw XML
 * (the generator should spend its CPU on nothing but I/O), answers are parsed by libstrophe
 * and matched to the one request in flight on their connection by id.
 */
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench.h"

/* A few unexpected answers are printed in full; the rest are only counted. */
#define DUMP_MAX 5

static unsigned n_dumped;

void bench_dump_unexpected(const char *what, xmpp_stanza_t *st)
{
        char *text = NULL;
        size_t len = 0;

        if (n_dumped >= DUMP_MAX)
                return;
        n_dumped++;
        if (st && xmpp_stanza_to_text(st, &text, &len) == XMPP_EOK) {
                bench_warn("unexpected answer to %s: %s", what, text);
                xmpp_free(xmpp_stanza_get_context(st), text);
                return;
        }
        bench_warn("unexpected answer to %s", what);
}

xmpp_stanza_t *bench_command_of(xmpp_stanza_t *iq, const char *status)
{
        xmpp_stanza_t *cmd;

        if (!streq_ptr(xmpp_stanza_get_type(iq), "result"))
                return NULL;
        cmd = xmpp_stanza_get_child_by_name_and_ns(iq, "command", NS_COMMANDS);
        if (!cmd)
                return NULL;
        if (status && !streq_ptr(xmpp_stanza_get_attribute(cmd, "status"), status))
                return NULL;
        return cmd;
}

static int on_iq(xmpp_conn_t *conn, xmpp_stanza_t *st, void *userdata)
{
        struct bench_conn *c = userdata;
        const char *type = xmpp_stanza_get_type(st);
        uint64_t now = bench_now_ns();
        bench_reply_fn fn;

        if (!streq_ptr(type, "result") && !streq_ptr(type, "error"))
                return 1; /* nobody sends the bench requests */
        if (!c->waiting || !streq_ptr(xmpp_stanza_get_id(st), c->id))
                return 1;
        c->waiting = false;
        fn = c->on_reply;
        c->on_reply = NULL;
        if (fn)
                fn(c, st, now - c->sent_ns);
        return 1;
}

static int on_presence(xmpp_conn_t *conn, xmpp_stanza_t *st, void *userdata)
{
        struct bench_conn *c = userdata;

        if (c->pool->on_presence)
                c->pool->on_presence(c->pool, st);
        return 1;
}

static void on_conn_event(xmpp_conn_t *conn, xmpp_conn_event_t event, int error,
                          xmpp_stream_error_t *stream_error, void *userdata)
{
        struct bench_conn *c = userdata;
        struct bench_pool *p = c->pool;

        switch (event) {
        case XMPP_CONN_CONNECT:
                c->online = true;
                p->n_online++;
                xmpp_handler_add(conn, on_iq, NULL, "iq", NULL, c);
                xmpp_handler_add(conn, on_presence, NULL, "presence", NULL, c);
                if (p->send_presence)
                        xmpp_send_raw_string(conn, "<presence/>");
                return;
        case XMPP_CONN_RAW_CONNECT:
                return;
        case XMPP_CONN_DISCONNECT:
        case XMPP_CONN_FAIL:
                if (c->online)
                        p->n_online--;
                if (!c->failed && !c->online)
                        bench_warn("%s could not log in (error %d%s%s)", c->jid, error,
                                   stream_error ? ", stream error " : "",
                                   stream_error ? strempty(stream_error->text) : "");
                else if (!c->failed && !p->closing)
                        bench_warn("%s was disconnected (error %d)", c->jid, error);
                if (!c->failed)
                        p->n_failed++;
                c->online = false;
                c->failed = true;
                return;
        }
}

/* Nagle would hold a request back until the previous one is acknowledged. */
static int sockopt_nodelay(xmpp_conn_t *conn, void *sock)
{
        int fd = *(int *)sock, one = 1;

        return setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

int bench_pool_new(const struct bench_opts *o, size_t n, bool presence, struct bench_pool **ret)
{
        _cleanup_(bench_pool_freep) struct bench_pool *p = NULL;

        p = zalloc(sizeof(*p));
        if (!p)
                return -ENOMEM;
        p->opts = o;
        p->ctx = xmpp_ctx_new(NULL, NULL); /* no logger: libstrophe then formats nothing */
        p->conns = calloc(n, sizeof(*p->conns));
        if (!p->ctx || !p->conns)
                return -ENOMEM;
        p->n = n;
        /* Ids unique across runs, as real clients make them: a new bench process logging in
         * with the same full JID must not look like a redelivery of an earlier request. */
        snprintf(p->id_prefix, sizeof(p->id_prefix), "b%llx",
                 (unsigned long long)(bench_now_ns() ^ ((uint64_t)getpid() << 40)));
        for (size_t i = 0; i < n; i++) {
                struct bench_conn *c = &p->conns[i];
                long flags = XMPP_CONN_FLAG_MANDATORY_TLS | XMPP_CONN_FLAG_DISABLE_SM;

                c->pool = p;
                c->index = (unsigned)i;
                snprintf(c->jid, sizeof(c->jid), "%s%zu@%s/r%zu", o->user, i % o->accounts + 1,
                         o->domain, i);
                c->conn = xmpp_conn_new(p->ctx);
                if (!c->conn)
                        return -ENOMEM;
                /* Stream management would add an <r/> after every request: not ours to measure. */
                xmpp_conn_set_flags(c->conn, flags);
                xmpp_conn_set_jid(c->conn, c->jid);
                xmpp_conn_set_pass(c->conn, o->password);
                if (o->ca_file)
                        xmpp_conn_set_cafile(c->conn, o->ca_file);
                xmpp_conn_set_sockopt_callback(c->conn, sockopt_nodelay);
        }
        p->send_presence = presence;
        *ret = TAKE_PTR(p);
        return 0;
}

int bench_pool_connect(struct bench_pool *p, double timeout_s)
{
        uint64_t deadline = bench_now_ns() + (uint64_t)(timeout_s * NSEC_PER_SEC);

        for (size_t i = 0; i < p->n; i++)
                if (xmpp_connect_client(p->conns[i].conn, p->opts->host,
                                        (unsigned short)p->opts->port, on_conn_event,
                                        &p->conns[i]) != XMPP_EOK)
                        return -ECONNREFUSED;
        while (p->n_online + p->n_failed < p->n && bench_now_ns() < deadline)
                bench_pool_run(p, 5);
        if (p->n_online < p->n) {
                bench_warn("only %zu of %zu connections logged in", p->n_online, p->n);
                return -ECONNREFUSED;
        }
        return 0;
}

void bench_pool_run(struct bench_pool *p, unsigned long timeout_ms)
{
        /* The queue is written at the start of each call and select() returns as soon as a
         * socket is readable, so the timeout only bounds an idle wait. */
        xmpp_run_once(p->ctx, timeout_ms);
}

struct bench_pool *bench_pool_free(struct bench_pool *p)
{
        uint64_t deadline;
        size_t left;

        if (!p)
                return NULL;
        /* Close the streams properly, so that the server's log stays free of errors. */
        p->closing = true;
        for (size_t i = 0; i < p->n; i++)
                if (p->conns[i].conn && p->conns[i].online)
                        xmpp_disconnect(p->conns[i].conn);
        deadline = bench_now_ns() + 2 * NSEC_PER_SEC;
        do {
                left = 0;
                for (size_t i = 0; i < p->n; i++)
                        if (p->conns[i].conn && !xmpp_conn_is_disconnected(p->conns[i].conn))
                                left++;
                if (left)
                        xmpp_run_once(p->ctx, 5);
        } while (left && bench_now_ns() < deadline);
        for (size_t i = 0; i < p->n; i++) {
                if (p->conns[i].last_reply)
                        xmpp_stanza_release(p->conns[i].last_reply);
                if (p->conns[i].conn)
                        xmpp_conn_release(p->conns[i].conn);
        }
        free(p->conns);
        if (p->ctx)
                xmpp_ctx_free(p->ctx);
        free(p);
        return NULL;
}

int bench_send(struct bench_conn *c, const char *type, const char *to, const char *body,
               bench_reply_fn fn)
{
        char buf[8192];
        int len;

        if (!c->online)
                return -ENOTCONN;
        snprintf(c->id, sizeof(c->id), "%s-%u-%u", c->pool->id_prefix, c->index, ++c->seq);
        len = snprintf(buf, sizeof(buf), "<iq type='%s' to='%s' id='%s'>%s</iq>", type, to, c->id,
                       body);
        if (len < 0 || (size_t)len >= sizeof(buf))
                return -E2BIG;
        c->on_reply = fn;
        c->waiting = true;
        c->sent_ns = bench_now_ns();
        xmpp_send_raw(c->conn, buf, (size_t)len);
        return 0;
}

static void on_call_reply(struct bench_conn *c, xmpp_stanza_t *iq, uint64_t rtt_ns)
{
        c->last_reply = xmpp_stanza_clone(iq);
        c->last_rtt_ns = rtt_ns;
}

int bench_call(struct bench_conn *c, const char *type, const char *to, const char *body,
               double timeout_s, xmpp_stanza_t **ret_reply)
{
        uint64_t deadline = bench_now_ns() + (uint64_t)(timeout_s * NSEC_PER_SEC);
        int r;

        if (c->last_reply)
                xmpp_stanza_release(c->last_reply);
        c->last_reply = NULL;
        r = bench_send(c, type, to, body, on_call_reply);
        if (r < 0)
                return r;
        while (c->waiting && c->online && bench_now_ns() < deadline)
                bench_pool_run(c->pool, 5);
        if (c->waiting) {
                c->waiting = false;
                c->on_reply = NULL;
                return c->online ? -ETIMEDOUT : -ENOTCONN;
        }
        *ret_reply = TAKE_PTR(c->last_reply);
        return 0;
}
