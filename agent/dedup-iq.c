/* SPDX-License-Identifier: MIT */
/* The de-duplication window applied to the agent's iqs: a resent command iq-set is answered
 * from the window instead of being handled again. */
#include "dedup.h"

#include "l10n.h"
#include "log.h"
#include "stanza.h"
#include "xmpp.h"

static uint64_t digest_string(uint64_t h, const char *s)
{
        return dedup_digest_add(h, s, strlen(s) + 1); /* the NUL ends it unambiguously */
}

/* An element's name and attributes. The attributes are summed, so that their order (that of
 * libstrophe's hash table) does not matter. */
static int digest_element(uint64_t *h, xmpp_stanza_t *st)
{
        const char *stack[2 * STANZA_ATTRS_ON_STACK];
        _cleanup_free_ const char **heap = NULL;
        const char **attrs, *name = xmpp_stanza_get_name(st);
        uint64_t sum = 0;
        int n;

        if (!name)
                return -EINVAL;
        n = stanza_attributes(st, stack, &heap, &attrs);
        if (n < 0)
                return n;
        for (int i = 0; i < n; i++)
                sum +=
                    digest_string(digest_string(DEDUP_DIGEST_INIT, attrs[2 * i]), attrs[2 * i + 1]);
        *h = dedup_digest_add(digest_string(dedup_digest_add(*h, "<", 1), name), &sum, sizeof(sum));
        return 0;
}

/* A digest of the payload's tree (names, attributes, texts in document order, with a marker
 * for each element's end), without writing it out as text. A resend is parsed into the same
 * tree. The walk keeps its own stack: a hostile payload may nest deeply. */
static int payload_digest(xmpp_stanza_t *payload, uint64_t *ret)
{
        _cleanup_free_ xmpp_stanza_t **next = NULL; /* per open element: its next child */
        size_t depth = 0, size = 0;
        uint64_t h = DEDUP_DIGEST_INIT;
        xmpp_stanza_t *st = payload;
        int r;

        for (;;) {
                if (st && xmpp_stanza_is_text(st)) {
                        h = digest_string(dedup_digest_add(h, "t", 1),
                                          strempty(xmpp_stanza_get_text_ptr(st)));
                } else if (st) {
                        r = digest_element(&h, st);
                        if (r < 0)
                                return r;
                        if (depth == size) {
                                xmpp_stanza_t **n =
                                    reallocarray(next, size ? 2 * size : 16, sizeof(*n));
                                if (!n)
                                        return -ENOMEM;
                                next = n;
                                size = size ? 2 * size : 16;
                        }
                        next[depth++] = xmpp_stanza_get_children(st);
                } else {
                        h = dedup_digest_add(h, "/", 1);
                        if (--depth == 0)
                                break;
                }
                st = next[depth - 1];
                if (st)
                        next[depth - 1] = xmpp_stanza_get_next(st);
        }
        *ret = h;
        return 0;
}

static void answer_forgotten(struct xconn *xc, xmpp_stanza_t *iq)
{
        struct iq_origin o;

        if (iq_origin_init(&o, iq, stanza_get_lang(iq)) < 0)
                return;
        xconn_send_consume(xc, iq_error_new(xconn_ctx(xc), &o, XERR_NOT_ALLOWED,
                                            l10n(o.lang, "This request was already handled; its "
                                                         "answer is no longer available"),
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
        int r;

        if (!d || !from || !id)
                return true; /* nothing to key on: the handler answers it */
        if (payload_digest(payload, &digest) < 0)
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
