/* SPDX-License-Identifier: MIT */
/* The de-duplication window applied to the agent's iqs: a resent command iq-set is answered
 * from the window instead of being handled again. */
#include "dedup.h"

#include "log.h"
#include "stanza.h"
#include "xmpp.h"

static uint64_t payload_digest(xmpp_stanza_t *payload, bool *ok)
{
        char *buf = NULL;
        size_t len = 0;
        uint64_t h;

        *ok = xmpp_stanza_to_text(payload, &buf, &len) == XMPP_EOK;
        if (!*ok)
                return 0;
        h = dedup_digest(buf, len);
        xmpp_free(xmpp_stanza_get_context(payload), buf);
        return h;
}

static void answer_forgotten(struct xconn *xc, xmpp_stanza_t *iq)
{
        struct iq_origin o;

        if (iq_origin_init(&o, iq, NULL) < 0)
                return;
        xconn_send_consume(xc, iq_error_new(xconn_ctx(xc), &o, XERR_NOT_ALLOWED,
                                            "This request was already handled; its answer is "
                                            "no longer available",
                                            NULL));
        iq_origin_done(&o);
}

bool dedup_iq_admit(struct dedup *d, struct xconn *xc, xmpp_stanza_t *iq, xmpp_stanza_t *payload,
                    bool enforce)
{
        const char *from = xmpp_stanza_get_from(iq), *id = xmpp_stanza_get_id(iq);
        const char *answer = NULL;
        xmpp_stanza_t *st;
        uint64_t digest;
        bool ok;
        int r;

        if (!d || !from || !id)
                return true; /* nothing to key on: the handler answers it */
        digest = payload_digest(payload, &ok);
        if (!ok)
                return true;
        r = dedup_check(d, from, id, digest, now_usec(CLOCK_MONOTONIC), &answer);
        if (!enforce)
                return true;
        switch (r) {
        case DEDUP_NEW:
                return true;
        case DEDUP_PENDING:
                /* The answer still to come carries this id: it answers the resend too. */
                log_info("Ignored a resent command iq %s from %s: it is still being handled", id,
                         from);
                return false;
        case DEDUP_ANSWERED:
                log_info("Answered a resent command iq %s from %s again without running it", id,
                         from);
                st = xmpp_stanza_new_from_string(xconn_ctx(xc), answer);
                if (st)
                        xconn_send_consume(xc, st);
                else
                        answer_forgotten(xc, iq);
                return false;
        case DEDUP_FORGOTTEN:
                log_info("Refused a resent command iq %s from %s: it was already handled", id,
                         from);
                answer_forgotten(xc, iq);
                return false;
        default:
                return true; /* -ENOMEM: better handled twice than never answered */
        }
}

void dedup_iq_observe(xmpp_stanza_t *st, const char *text, size_t len, void *userdata)
{
        struct dedup *d = userdata;
        const char *to, *id, *type;
        usec_t now = now_usec(CLOCK_MONOTONIC);

        if (!d || !streq_ptr(xmpp_stanza_get_name(st), "iq"))
                return;
        type = xmpp_stanza_get_type(st);
        if (!streq_ptr(type, "result") && !streq_ptr(type, "error"))
                return;
        to = xmpp_stanza_get_to(st);
        id = xmpp_stanza_get_id(st);
        if (!to || !id || !dedup_wants_answer(d, to, id, now))
                return;
        if (!text) {
                dedup_answer(d, to, id, "", DEDUP_MAX_TOTAL + 1, now); /* answered, not kept */
                return;
        }
        dedup_answer(d, to, id, text, len, now);
}
