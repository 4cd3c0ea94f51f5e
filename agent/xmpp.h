/* SPDX-License-Identifier: MIT */
#pragma once

#include <strophe.h>
#include <systemd/sd-event.h>

#include "policy.h"

/*
 * The XMPP connection, driven by sd-event: libstrophe never runs its own loop. An io source
 * on the socket (captured by the sockopt callback) and a post source that flushes the send
 * queue call xmpp_run_once(ctx, 0); a coarse timer fires libstrophe's timed handlers. The
 * connection reconnects with exponential backoff and jitter, resumes with XEP-0198 when it can,
 * and pings the server every 60 s.
 */

struct xconn;

struct xconn_callbacks {
        /* The stream is authenticated (fresh or resumed); handlers may be registered. */
        void (*online)(struct xconn *xc, bool resumed, void *userdata);
        /* The stream is gone; a reconnect is scheduled unless stopping. */
        void (*offline)(struct xconn *xc, void *userdata);
};

int xconn_new(sd_event *event, const struct account *account, bool verbose,
              const struct xconn_callbacks *cb, void *userdata, struct xconn **ret);
struct xconn *xconn_free(struct xconn *xc);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct xconn *, xconn_free)

int xconn_start(struct xconn *xc);
/* Closes the stream cleanly; calls done(userdata) once disconnected (or after a timeout). */
void xconn_stop(struct xconn *xc, void (*done)(void *userdata));

xmpp_ctx_t *xconn_ctx(struct xconn *xc);
xmpp_conn_t *xconn_conn(struct xconn *xc);
bool xconn_is_online(const struct xconn *xc);
/* The bound full JID, or NULL when offline. */
const char *xconn_bound_jid(struct xconn *xc);
/* Queues a stanza (not consumed) and makes sure it is flushed in this loop iteration. */
void xconn_send(struct xconn *xc, xmpp_stanza_t *st);
/* Sends and releases st. */
void xconn_send_consume(struct xconn *xc, xmpp_stanza_t *st);
/* Calls fn(st, text, len, userdata) for each stanza actually sent (online or loopback), before
 * it goes; text is what is sent, or NULL if it could not be written out. */
typedef void (*xconn_send_observer_t)(xmpp_stanza_t *st, const char *text, size_t len,
                                      void *userdata);
void xconn_set_send_observer(struct xconn *xc, xconn_send_observer_t fn, void *userdata);

/* Loopback mode for tests and fuzzers: the connection counts as online with bound_jid, and
 * every stanza sent goes to hook instead of the network. A NULL hook leaves it offline. */
typedef void (*xconn_send_hook_t)(xmpp_stanza_t *st, void *userdata);
int xconn_set_loopback(struct xconn *xc, const char *bound_jid, xconn_send_hook_t hook,
                       void *userdata);
