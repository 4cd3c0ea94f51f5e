/* SPDX-License-Identifier: MIT */
#include "xmpp.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/rand.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include "jid.h"
#include "log.h"
#include "resolve.h"
#include "stanza.h"

#define BACKOFF_MAX     (60 * USEC_PER_SEC)
#define STOP_TIMEOUT    (5 * USEC_PER_SEC)
#define TICK_INTERVAL   (250 * USEC_PER_MSEC)
#define RESOLVE_TIMEOUT (30 * USEC_PER_SEC)
/* One TLS record is up to 16 KiB and libstrophe reads 4 KiB per xmpp_run_once() call, so a
 * readable socket gets a few calls to drain what OpenSSL has already decrypted. */
#define PUMP_ROUNDS 4
/* libstrophe writes its queue at the start of xmpp_run_once(), and what its own handlers queue
 * (bind, stream management, stream close) is invisible to xmpp_conn_send_queue_len(): a couple
 * of calls flush it. */
#define FLUSH_ROUNDS 2

struct xconn {
        sd_event *event;
        char *jid, *password, *host, *ca_file, *domain;
        uint16_t port;
        enum tls_mode tls;
        usec_t ping_every, ping_wait;
        bool verbose;

        xmpp_log_t log;
        xmpp_ctx_t *ctx;
        xmpp_conn_t *conn;

        sd_event_source *io, *post, *tick, *reconnect, *ping, *ping_timeout, *stop_timer;
        unsigned attempt;
        struct resolve *resolve;
        /* Where the server is, tried in order before backing off (then looked up again). */
        struct endpoint endpoints[RESOLVE_MAX_ENDPOINTS];
        size_t n_endpoints, next_endpoint;
        bool reached; /* the current attempt's TCP connection was made */
        bool online, stopping, freeing;
        bool flush; /* libstrophe's queue may hold output: flush it after this loop iteration */
        unsigned ping_seq;
        char ping_id[32];
        void (*stop_done)(void *userdata);

        const struct xconn_callbacks *cb;
        void *userdata;

        char *loopback_jid;
        xconn_send_hook_t loopback_hook;
        void *loopback_userdata;

        xconn_send_observer_t send_observer;
        void *send_observer_userdata;
};

/* libstrophe's sockopt callback carries no user data; there is one connection per process. */
static struct xconn *current_xconn;

static void xconn_log(void *userdata, xmpp_log_level_t level, const char *area, const char *msg)
{
        struct xconn *xc = userdata;
        _cleanup_free_ char *clean = NULL;
        int prio;

        switch (level) {
        case XMPP_LEVEL_DEBUG:
                if (!xc->verbose)
                        return;
                prio = LOG_DEBUG;
                break;
        case XMPP_LEVEL_INFO:
                prio = LOG_DEBUG;
                break;
        case XMPP_LEVEL_WARN:
        case XMPP_LEVEL_ERROR:
                prio = LOG_WARNING;
                break;
        default:
                prio = LOG_DEBUG;
        }
        /* Traffic is logged with SASL payloads and form values hidden. */
        clean = stanza_redact(msg);
        log_internal(prio, 0, "xmpp %s: %s", area, clean ? clean : "(unprintable)");
}

/* Re-arms a repeating timer: sd-event time sources are one-shot. */
static int rearm(sd_event_source *s, usec_t delay)
{
        int r = sd_event_source_set_time_relative(s, delay);

        if (r < 0)
                return r;
        return sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
}

static void xconn_pump(struct xconn *xc, unsigned rounds)
{
        for (unsigned i = 0; i < rounds; i++)
                xmpp_run_once(xc->ctx, 0);
}

static int on_io(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
        struct xconn *xc = userdata;

        xconn_pump(xc, PUMP_ROUNDS);
        /* The TCP connection is up (libstrophe says nothing of it on a later failure). */
        if (xmpp_conn_is_connected(xc->conn))
                xc->reached = true;
        /* The last round may have read a stanza whose handlers queued output. */
        xc->flush = true;
        return 0;
}

/* Asks for EPOLLOUT only while there is something to write or a connect is in progress. */
static int on_io_prepare(sd_event_source *s, void *userdata)
{
        struct xconn *xc = userdata;
        uint32_t events = EPOLLIN;

        if (xmpp_conn_is_connecting(xc->conn) || xmpp_conn_send_queue_len(xc->conn) > 0)
                events |= EPOLLOUT;
        return sd_event_source_set_io_events(s, events);
}

/* After a loop iteration that sent or read something: flush what handlers of other sources
 * (D-Bus replies, child exits, timers) or of the socket queued, so an answer leaves without
 * waiting for the next socket event; iterations that queued nothing cost nothing. One round
 * writes the queue. Should it also read a request, the answer queued then makes
 * on_io_prepare() ask for EPOLLOUT, and libstrophe's own acks go with the next round. */
static int on_post(sd_event_source *s, void *userdata)
{
        struct xconn *xc = userdata;

        if (!xc->flush)
                return 0;
        xc->flush = false;
        if (xmpp_conn_is_connected(xc->conn))
                xconn_pump(xc, 1);
        return 0;
}

static int on_tick(sd_event_source *s, uint64_t usec, void *userdata)
{
        struct xconn *xc = userdata;

        /* libstrophe's own timers: connect and disconnect timeouts, stream management. */
        xconn_pump(xc, FLUSH_ROUNDS);
        xc->flush = true;
        return rearm(s, TICK_INTERVAL);
}

static int sockopt_cb(xmpp_conn_t *conn, void *sock)
{
        struct xconn *xc = current_xconn;
        int fd = *(int *)sock, one = 1, r;

        /* Nagle adds 40-90 ms to every round trip of small stanzas. */
        (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        (void)setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
        /* Children spawned by actions must never inherit the XMPP socket. */
        (void)fcntl(fd, F_SETFD, FD_CLOEXEC);

        xc->io = sd_event_source_disable_unref(xc->io);
        r = sd_event_add_io(xc->event, &xc->io, fd, EPOLLIN | EPOLLOUT, on_io, xc);
        if (r < 0)
                return log_error_errno(r, "Failed to watch the XMPP socket: %m"), -1;
        (void)sd_event_source_set_prepare(xc->io, on_io_prepare);
        (void)sd_event_source_set_description(xc->io, "xmpp-socket");
        return 0;
}

static int certfail_cb(const xmpp_tlscert_t *cert, const char *errormsg)
{
        log_error("TLS: the server's certificate was rejected: %s (subject: %s)",
                  strempty(errormsg), strempty(xmpp_tlscert_get_string(cert, XMPP_CERT_SUBJECT)));
        return 0;
}

static int xconn_connect(struct xconn *xc);
static void connect_next(struct xconn *xc);

static int on_reconnect(sd_event_source *s, uint64_t usec, void *userdata)
{
        struct xconn *xc = userdata;

        xc->reconnect = sd_event_source_unref(xc->reconnect);
        if (xc->next_endpoint < xc->n_endpoints)
                connect_next(xc);
        else
                (void)xconn_connect(xc);
        return 0;
}

/* The next address of the server, from the loop (never from within libstrophe's callbacks). */
static void xconn_schedule_next(struct xconn *xc)
{
        int r;

        if (xc->stopping || xc->reconnect)
                return;
        r = sd_event_add_time_relative(xc->event, &xc->reconnect, CLOCK_MONOTONIC, 0, 0,
                                       on_reconnect, xc);
        if (r < 0)
                log_error_errno(r, "Failed to schedule a connection: %m");
}

static usec_t backoff_delay(unsigned attempt)
{
        usec_t base = attempt >= 6 ? BACKOFF_MAX : USEC_PER_SEC << attempt;
        uint32_t rnd = 0;
        usec_t d;

        if (base > BACKOFF_MAX)
                base = BACKOFF_MAX;
        /* Jitter of +-25% so that many agents restarted together do not reconnect in step. */
        (void)RAND_bytes((unsigned char *)&rnd, sizeof(rnd));
        d = base * 3 / 4 + (usec_t)((double)rnd / UINT32_MAX * (double)(base / 2));
        if (d < USEC_PER_SEC)
                d = USEC_PER_SEC;
        return d > BACKOFF_MAX ? BACKOFF_MAX : d;
}

static void xconn_schedule_reconnect(struct xconn *xc)
{
        usec_t d = backoff_delay(xc->attempt);
        int r;

        if (xc->stopping || xc->reconnect)
                return;
        xc->n_endpoints = xc->next_endpoint = 0; /* looked up again */
        xc->attempt++;
        log_info("Reconnecting in %.1f s", (double)d / USEC_PER_SEC);
        r = sd_event_add_time_relative(xc->event, &xc->reconnect, CLOCK_MONOTONIC, d,
                                       100 * USEC_PER_MSEC, on_reconnect, xc);
        if (r < 0)
                log_error_errno(r, "Failed to schedule a reconnect: %m");
}

static int on_ping_timeout(sd_event_source *s, uint64_t usec, void *userdata)
{
        struct xconn *xc = userdata;

        xc->ping_timeout = sd_event_source_unref(xc->ping_timeout);
        log_warning("The server did not answer a ping within %llu s; reconnecting",
                    (unsigned long long)(xc->ping_wait / USEC_PER_SEC));
        xmpp_disconnect(xc->conn);
        return 0;
}

static int on_ping_reply(xmpp_conn_t *conn, xmpp_stanza_t *st, void *userdata)
{
        struct xconn *xc = userdata;

        /* Any answer, even an error, shows the stream is alive. */
        xc->ping_timeout = sd_event_source_disable_unref(xc->ping_timeout);
        return 0;
}

static int on_ping_interval(sd_event_source *s, uint64_t usec, void *userdata)
{
        struct xconn *xc = userdata;
        xmpp_stanza_t *iq;
        int r;

        if (!xc->online || xc->ping_timeout)
                return rearm(s, xc->ping_every);
        snprintf(xc->ping_id, sizeof(xc->ping_id), "keepalive-%u", ++xc->ping_seq);
        iq = xmpp_iq_new(xc->ctx, "get", xc->ping_id);
        if (iq) {
                xmpp_stanza_set_to(iq, xc->domain);
                stanza_add_child(iq, "ping", NS_PING);
                xmpp_id_handler_add(xc->conn, on_ping_reply, xc->ping_id, xc);
                xconn_send_consume(xc, iq);
                r = sd_event_add_time_relative(xc->event, &xc->ping_timeout, CLOCK_MONOTONIC,
                                               xc->ping_wait, USEC_PER_SEC / 4, on_ping_timeout,
                                               xc);
                if (r < 0)
                        log_warning_errno(r, "Failed to arm the ping timeout: %m");
        }
        return rearm(s, xc->ping_every);
}

static void xconn_went_offline(struct xconn *xc)
{
        bool was_online = xc->online;

        xc->online = false;
        xc->io = sd_event_source_disable_unref(xc->io);
        xc->ping = sd_event_source_disable_unref(xc->ping);
        xc->ping_timeout = sd_event_source_disable_unref(xc->ping_timeout);
        if (was_online && xc->cb->offline)
                xc->cb->offline(xc, xc->userdata);
        if (xc->stopping) {
                xc->stop_timer = sd_event_source_disable_unref(xc->stop_timer);
                if (xc->stop_done) {
                        void (*done)(void *) = xc->stop_done;
                        xc->stop_done = NULL;
                        done(xc->userdata);
                }
                return;
        }
        /* The server has other addresses: try the next one now, as RFC 6120 3.2.1 says; not
         * after a failed login or certificate, which every address would repeat. */
        if (!was_online && !xc->reached && xc->next_endpoint < xc->n_endpoints) {
                xconn_schedule_next(xc);
                return;
        }
        xconn_schedule_reconnect(xc);
}

static void conn_handler(xmpp_conn_t *conn, xmpp_conn_event_t event, int error,
                         xmpp_stream_error_t *stream_error, void *userdata)
{
        struct xconn *xc = userdata;
        int r;

        /* xmpp_conn_release() in xconn_free() reports the disconnect: nothing is left to do. */
        if (xc->freeing)
                return;
        switch (event) {
        case XMPP_CONN_CONNECT:
                xc->online = true;
                xc->attempt = 0;
                xc->ping = sd_event_source_disable_unref(xc->ping);
                r = sd_event_add_time_relative(xc->event, &xc->ping, CLOCK_MONOTONIC,
                                               xc->ping_every, USEC_PER_SEC / 4, on_ping_interval,
                                               xc);
                if (r < 0)
                        log_warning_errno(r, "Failed to arm the keepalive ping: %m");
                if (xc->tls == TLS_TRUST_SELF_SIGNED)
                        log_warning("TLS certificate verification is disabled (tls: "
                                    "trust-self-signed)");
                else if (!xmpp_conn_is_secured(conn))
                        log_warning("The connection is NOT encrypted (tls: plaintext)");
                xc->cb->online(xc, false, xc->userdata);
                return;
        case XMPP_CONN_RAW_CONNECT:
                return;
        case XMPP_CONN_DISCONNECT:
        case XMPP_CONN_FAIL:
                if (stream_error)
                        log_warning("Disconnected: stream error %s", strempty(stream_error->text));
                else if (error)
                        log_warning("Disconnected: %s", strerror(error));
                else
                        log_info("Disconnected");
                xconn_went_offline(xc);
                return;
        }
}

static void connect_next(struct xconn *xc)
{
        const struct endpoint *e = &xc->endpoints[xc->next_endpoint++];
        int r;

        log_info("Connecting to %s port %u as %s", e->address, (unsigned)e->port, xc->jid);
        xc->reached = false;
        r = xmpp_connect_client(xc->conn, e->address, e->port, conn_handler, xc);
        if (r == XMPP_EOK)
                return;
        log_warning("Connection attempt failed (libstrophe error %d)", r);
        if (xc->next_endpoint < xc->n_endpoints)
                xconn_schedule_next(xc);
        else
                xconn_schedule_reconnect(xc);
}

static void on_resolved(struct resolve *rs, const struct endpoint *endpoints, size_t n, int error,
                        void *userdata)
{
        struct xconn *xc = userdata;
        const char *name = xc->host ?: xc->domain;

        xc->resolve = resolve_free(xc->resolve);
        if (error < 0) {
                log_warning("Cannot find the server of %s: %s", name, resolve_strerror(error));
                xconn_schedule_reconnect(xc);
                return;
        }
        memcpy(xc->endpoints, endpoints, n * sizeof(*endpoints));
        xc->n_endpoints = n;
        xc->next_endpoint = 0;
        connect_next(xc);
}

/* Looks the server up (without blocking the loop), then connects to its first address. */
static int xconn_connect(struct xconn *xc)
{
        struct resolve_request req = {
            .domain = xc->domain,
            .host = xc->host,
            .port = xc->port,
            .direct_tls = xc->tls == TLS_DIRECT,
            .timeout = RESOLVE_TIMEOUT,
        };
        struct endpoint *e = &xc->endpoints[0];
        int r;

        xc->resolve = resolve_free(xc->resolve);
        xc->n_endpoints = xc->next_endpoint = 0;
        /* A numeric host needs no lookup. */
        if (xc->host &&
            resolve_parse_numeric(xc->host, xc->port ?: (req.direct_tls ? 5223 : 5222), e) >= 0) {
                xc->n_endpoints = 1;
                connect_next(xc);
                return 0;
        }
        log_debug("Looking up the server of %s", xc->host ?: xc->domain);
        r = resolve_start(xc->event, &req, on_resolved, xc, &xc->resolve);
        if (r < 0) {
                log_warning_errno(r, "Cannot look up the server of %s: %m", xc->host ?: xc->domain);
                xconn_schedule_reconnect(xc);
        }
        return r;
}

static long tls_flags(enum tls_mode tls)
{
        switch (tls) {
        case TLS_REQUIRED:
                return XMPP_CONN_FLAG_MANDATORY_TLS;
        case TLS_DIRECT:
                return XMPP_CONN_FLAG_LEGACY_SSL;
        case TLS_TRUST_SELF_SIGNED:
                /* The only place certificate verification can be turned off. */
                return XMPP_CONN_FLAG_MANDATORY_TLS | XMPP_CONN_FLAG_TRUST_TLS;
        case TLS_PLAINTEXT:
                return XMPP_CONN_FLAG_DISABLE_TLS;
        }
        return XMPP_CONN_FLAG_MANDATORY_TLS;
}

int xconn_new(sd_event *event, const struct account *account, bool verbose,
              const struct xconn_callbacks *cb, void *userdata, struct xconn **ret)
{
        _cleanup_(xconn_freep) struct xconn *xc = NULL;
        int r;

        if (current_xconn)
                return -EBUSY;
        xc = zalloc(sizeof(*xc));
        if (!xc)
                return -ENOMEM;
        xc->event = sd_event_ref(event);
        xc->cb = cb;
        xc->userdata = userdata;
        xc->verbose = verbose;
        xc->tls = account->tls;
        xc->port = account->port;
        xc->ping_every = account->ping_interval ? account->ping_interval : 60 * USEC_PER_SEC;
        xc->ping_wait = account->ping_timeout ? account->ping_timeout : 30 * USEC_PER_SEC;
        xc->jid = strdup(account->jid);
        xc->password = strdup_or_null(account->password);
        xc->host = strdup_or_null(account->host);
        xc->ca_file = strdup_or_null(account->ca_file);
        xc->domain = jid_domain(account->jid);
        if (!xc->jid || !xc->domain || (account->password && !xc->password) ||
            (account->host && !xc->host) || (account->ca_file && !xc->ca_file))
                return -ENOMEM;

        xc->log = (xmpp_log_t){.handler = xconn_log, .userdata = xc};
        xc->ctx = xmpp_ctx_new(NULL, &xc->log);
        if (!xc->ctx)
                return -ENOMEM;
        xc->conn = xmpp_conn_new(xc->ctx);
        if (!xc->conn)
                return -ENOMEM;
        if (xmpp_conn_set_flags(xc->conn, tls_flags(xc->tls)) != XMPP_EOK)
                return -EINVAL;
        xmpp_conn_set_jid(xc->conn, xc->jid);
        if (xc->password)
                xmpp_conn_set_pass(xc->conn, xc->password);
        if (xc->ca_file)
                xmpp_conn_set_cafile(xc->conn, xc->ca_file);
        xmpp_conn_set_certfail_handler(xc->conn, certfail_cb);
        xmpp_conn_set_sockopt_callback(xc->conn, sockopt_cb);

        r = sd_event_add_post(event, &xc->post, on_post, xc);
        if (r < 0)
                return r;
        r = sd_event_add_time_relative(event, &xc->tick, CLOCK_MONOTONIC, TICK_INTERVAL,
                                       TICK_INTERVAL / 2, on_tick, xc);
        if (r < 0)
                return r;
        current_xconn = xc;
        *ret = TAKE_PTR(xc);
        return 0;
}

struct xconn *xconn_free(struct xconn *xc)
{
        if (!xc)
                return NULL;
        xc->freeing = true;
        xc->io = sd_event_source_disable_unref(xc->io);
        xc->post = sd_event_source_disable_unref(xc->post);
        xc->tick = sd_event_source_disable_unref(xc->tick);
        xc->reconnect = sd_event_source_disable_unref(xc->reconnect);
        xc->ping = sd_event_source_disable_unref(xc->ping);
        xc->ping_timeout = sd_event_source_disable_unref(xc->ping_timeout);
        xc->stop_timer = sd_event_source_disable_unref(xc->stop_timer);
        xc->resolve = resolve_free(xc->resolve);
        if (xc->conn)
                xmpp_conn_release(xc->conn);
        if (xc->ctx)
                xmpp_ctx_free(xc->ctx);
        if (xc->password)
                explicit_bzero(xc->password, strlen(xc->password));
        free(xc->password);
        free(xc->jid);
        free(xc->host);
        free(xc->ca_file);
        free(xc->domain);
        free(xc->loopback_jid);
        sd_event_unref(xc->event);
        if (current_xconn == xc)
                current_xconn = NULL;
        free(xc);
        return NULL;
}

int xconn_start(struct xconn *xc)
{
        return xconn_connect(xc);
}

static int on_stop_timeout(sd_event_source *s, uint64_t usec, void *userdata)
{
        struct xconn *xc = userdata;

        log_warning("The server did not close the stream in time");
        xc->stop_timer = sd_event_source_unref(xc->stop_timer);
        if (xc->stop_done) {
                void (*done)(void *) = xc->stop_done;
                xc->stop_done = NULL;
                done(xc->userdata);
        }
        return 0;
}

void xconn_stop(struct xconn *xc, void (*done)(void *userdata))
{
        if (xc->loopback_hook)
                xc->online = false;
        xc->stopping = true;
        xc->stop_done = done;
        xc->reconnect = sd_event_source_disable_unref(xc->reconnect);
        xc->resolve = resolve_free(xc->resolve);
        if (!xmpp_conn_is_connected(xc->conn) && !xmpp_conn_is_connecting(xc->conn)) {
                xc->stop_done = NULL;
                done(xc->userdata);
                return;
        }
        xmpp_disconnect(xc->conn);
        xconn_pump(xc, FLUSH_ROUNDS); /* the stream close is libstrophe's own output */
        if (!xc->stop_done)
                return; /* the server closed the stream while it was flushed */
        if (sd_event_add_time_relative(xc->event, &xc->stop_timer, CLOCK_MONOTONIC, STOP_TIMEOUT,
                                       USEC_PER_SEC, on_stop_timeout, xc) < 0) {
                xc->stop_done = NULL;
                done(xc->userdata);
        }
}

xmpp_ctx_t *xconn_ctx(struct xconn *xc)
{
        return xc->ctx;
}

xmpp_conn_t *xconn_conn(struct xconn *xc)
{
        return xc->conn;
}

bool xconn_is_online(const struct xconn *xc)
{
        return xc->online;
}

const char *xconn_bound_jid(struct xconn *xc)
{
        if (xc->loopback_hook)
                return xc->loopback_jid;
        return xc->online ? xmpp_conn_get_bound_jid(xc->conn) : NULL;
}

void xconn_send(struct xconn *xc, xmpp_stanza_t *st)
{
        _cleanup_free_ char *text = NULL;
        size_t len = 0;

        if (!xc->loopback_hook && !xc->online)
                return;
        /* The stanza is written out once, by stanza_to_text() (xmpp_send() would do it with
         * libstrophe's much slower xmpp_stanza_to_text()), and the same text goes to the
         * observer and, queued as xmpp_send() would queue it, to the server. */
        if (stanza_to_text(st, &text, &len) < 0)
                text = NULL;
        if (xc->send_observer)
                xc->send_observer(st, text, len, xc->send_observer_userdata);
        if (xc->loopback_hook) {
                xc->loopback_hook(st, xc->loopback_userdata);
                return;
        }
        if (text)
                xmpp_send_raw(xc->conn, text, len);
        else
                xmpp_send(xc->conn, st); /* libstrophe reports why it cannot either */
        xc->flush = true;
}

int xconn_set_loopback(struct xconn *xc, const char *bound_jid, xconn_send_hook_t hook,
                       void *userdata)
{
        char *j;

        if (!hook) { /* back to "offline" */
                xc->loopback_hook = NULL;
                xc->online = false;
                return 0;
        }
        j = strdup(bound_jid);
        if (!j)
                return -ENOMEM;
        free(xc->loopback_jid);
        xc->loopback_jid = j;
        xc->loopback_hook = hook;
        xc->loopback_userdata = userdata;
        xc->online = true;
        return 0;
}

void xconn_set_send_observer(struct xconn *xc, xconn_send_observer_t fn, void *userdata)
{
        xc->send_observer = fn;
        xc->send_observer_userdata = userdata;
}

void xconn_send_consume(struct xconn *xc, xmpp_stanza_t *st)
{
        if (!st)
                return;
        xconn_send(xc, st);
        xmpp_stanza_release(st);
}
