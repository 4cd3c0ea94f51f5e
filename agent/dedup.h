/* SPDX-License-Identifier: MIT */
#pragma once

#include <strophe.h>

#include "util.h"

/*
 * A bounded de-duplication window for iq-sets. XEP-0198 may resend stanzas after a resume,
 * and a command that already ran must not run again. Each request is remembered by (full
 * from, id) plus a digest of its payload (so that a client reusing an id for a different
 * request is not mistaken for a resend), for at most `window` and `capacity` entries; the
 * answer sent for it is kept too, up to a per-answer and a total byte budget, so that a resend
 * gets the very same answer. Pure data structure: no I/O, no logging (dedup-iq.c is the glue).
 */

#define DEDUP_CAPACITY   1024
#define DEDUP_WINDOW     (10 * 60 * USEC_PER_SEC)
#define DEDUP_MAX_ANSWER (16 * 1024)   /* bytes of one kept answer */
#define DEDUP_MAX_TOTAL  (1024 * 1024) /* bytes of all kept answers */

enum dedup_state {
        DEDUP_NEW,       /* not seen in the window: now recorded as pending */
        DEDUP_PENDING,   /* seen; its answer has not been sent yet */
        DEDUP_ANSWERED,  /* seen and answered; the answer is kept */
        DEDUP_FORGOTTEN, /* seen and answered; the answer was too big or evicted */
};

struct dedup;

/* A new, empty window; NULL on allocation failure. */
struct dedup *dedup_new(size_t capacity, usec_t window, size_t max_answer, size_t max_total);
/* Frees d; accepts NULL, returns NULL. */
struct dedup *dedup_free(struct dedup *d);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct dedup *, dedup_free)

/* 64-bit FNV-1a of n bytes: the payload digest (not a security boundary, see dedup.c). */
uint64_t dedup_digest(const void *p, size_t n) _pure_;
/* The same, continued from h over n more bytes; DEDUP_DIGEST_INIT is the digest of nothing. */
#define DEDUP_DIGEST_INIT UINT64_C(14695981039346656037)
uint64_t dedup_digest_add(uint64_t h, const void *p, size_t n) _pure_;

/* Looks (from, id, digest) up; records it as pending unless seen. For DEDUP_ANSWERED,
 * *ret_answer points to the kept answer (owned by d, valid until the next call). Returns a
 * dedup_state, or -ENOMEM (then nothing is recorded and the request should be handled). */
int dedup_check(struct dedup *d, const char *from, const char *id, uint64_t digest, usec_t now,
                const char **ret_answer);
/* True if a pending request (to, id) waits for its answer: then call dedup_answer(). */
bool dedup_wants_answer(struct dedup *d, const char *to, const char *id, usec_t now);
/* Keeps text (n bytes) as the answer of the pending request (to, id); marks it answered even
 * when the text is over budget (a resend then gets DEDUP_FORGOTTEN). */
void dedup_answer(struct dedup *d, const char *to, const char *id, const char *text, size_t n,
                  usec_t now);
/* Entries in the window and bytes of answers kept (for tests). */
size_t dedup_size(const struct dedup *d, usec_t now);
size_t dedup_answer_bytes(const struct dedup *d);

/* Glue for the agent (dedup-iq.c). */
struct xconn;
/* Whether the command iq-set must be handled: false when it is a resend, which was then
 * answered here (with the kept answer) or deliberately left to the pending answer. Without
 * enforce the request is only recorded and always handled: resends happen only right after
 * the agent's own stream resumed, and at any other time a repeat is a client that restarted
 * its id counter, whose request must run. */
bool dedup_iq_admit(struct dedup *d, struct xconn *xc, xmpp_stanza_t *iq, xmpp_stanza_t *payload,
                    bool enforce);
/* How long after a reconnect resends are expected (and refused to run twice). */
#define DEDUP_REDELIVERY_GRACE (60 * USEC_PER_SEC)
/* The xconn send observer: keeps the answers (text, as sent) of pending requests. userdata is
 * the dedup. */
void dedup_iq_observe(xmpp_stanza_t *st, const char *text, size_t len, void *userdata);
