/* SPDX-License-Identifier: MIT */
#pragma once

#include "form.h"

/* Ad-hoc command sessions: ids, ownership, stages and limits. No I/O besides RAND_bytes. */

#define SESSION_ID_BYTES 16

enum session_stage {
        SESSION_STAGE_NEW,
        SESSION_STAGE_FORM,    /* the command's form was sent */
        SESSION_STAGE_CONFIRM, /* the yes/no confirmation was sent */
        SESSION_STAGE_RUNNING, /* the action is in flight */
};

/* Bits for the actions offered in the last <actions/>. */
enum {
        SESSION_ACTION_PREV = 1 << 0,
        SESSION_ACTION_NEXT = 1 << 1,
        SESSION_ACTION_COMPLETE = 1 << 2,
};

struct session_table;

struct session {
        struct session_table *table;
        char id[SESSION_ID_BYTES * 2 + 1];
        char *owner; /* the full JID the session is bound to */
        char *owner_bare;
        char *node;
        char *lang; /* kept for the whole session; may be NULL */
        enum session_stage stage;
        unsigned offered;          /* SESSION_ACTION_* */
        unsigned execute;          /* the default action (one SESSION_ACTION_* bit) */
        struct form_values values; /* validated values of the form stage */
        struct form *form;         /* a form built for this session (build_form), or NULL */
        usec_t created, last_used;
        void *busy; /* owned by the engine: the in-flight request, if any */

        /* The table's own: the slot in its array and the hash chains by id and by owner. */
        size_t slot;
        struct session *id_next, *owner_next;
};

struct session_limits {
        usec_t idle_timeout;
        unsigned max_per_requester;
        unsigned max_total;
};

struct session_table *session_table_new(void);
/* Frees every session; the caller must have released their busy work first. */
struct session_table *session_table_free(struct session_table *t);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct session_table *, session_table_free)
void session_table_set_limits(struct session_table *t, const struct session_limits *l);
size_t session_table_count(const struct session_table *t) _pure_;

/* Creates a session bound to owner (a full JID). -EUSERS when the requester already has
 * max_per_requester sessions, -EBUSY when max_total is reached. */
int session_new(struct session_table *t, const char *owner, const char *node, const char *lang,
                usec_t now, struct session **ret);
struct session *session_free(struct session *s);
struct session *session_find(const struct session_table *t, const char *id);
/* Whether the session has been idle longer than the idle timeout (never while busy). */
bool session_is_expired(const struct session *s, usec_t now) _pure_;
/* Removes expired sessions; returns how many. */
size_t session_table_expire(struct session_table *t, usec_t now);
/* Calls fn for every session (fn may free the one it is given). */
void session_table_foreach(struct session_table *t, void (*fn)(struct session *s, void *ud),
                           void *ud);
/* The earliest time a session could expire, or USEC_INFINITY. */
usec_t session_table_next_expiry(const struct session_table *t) _pure_;

/* Formats random bytes as a lower-case hex session id. */
int session_id_generate(char ret[SESSION_ID_BYTES * 2 + 1]);
