/* SPDX-License-Identifier: MIT */
#pragma once

#include <strophe.h>

#include "util.h"

#define NS_COMMANDS    "http://jabber.org/protocol/commands"
#define NS_DISCO_INFO  "http://jabber.org/protocol/disco#info"
#define NS_DISCO_ITEMS "http://jabber.org/protocol/disco#items"
#define NS_PING        "urn:xmpp:ping"
#define NS_VERSION     "jabber:iq:version"
#define NS_STANZAS     "urn:ietf:params:xml:ns:xmpp-stanzas"

/* Every error the agent sends, mapped to XMPP in one table (stanza.c). */
enum xerr {
        XERR_BAD_REQUEST,
        XERR_ITEM_NOT_FOUND,
        XERR_FORBIDDEN,
        XERR_MALFORMED_ACTION,
        XERR_BAD_ACTION,
        XERR_BAD_LOCALE,
        XERR_BAD_PAYLOAD,
        XERR_BAD_SESSIONID,
        XERR_SESSION_EXPIRED,
        XERR_RESOURCE_CONSTRAINT,
        XERR_SERVICE_UNAVAILABLE,
        XERR_FEATURE_NOT_IMPLEMENTED,
        XERR_NOT_ALLOWED,
        XERR_INTERNAL,
        _XERR_MAX,
};

/* Maps a negative errno from a backend or the engine to an error. */
enum xerr xerr_from_errno(int r) _pure_;

/* What is needed to answer an iq after its stanza is gone. */
struct iq_origin {
        char *from;
        char *id;
        char *lang; /* may be NULL */
};

int iq_origin_init(struct iq_origin *o, xmpp_stanza_t *iq, const char *lang);
void iq_origin_done(struct iq_origin *o);

/* <iq type='result' to=from id=id xml:lang=lang/>. */
xmpp_stanza_t *iq_result_new(xmpp_ctx_t *ctx, const struct iq_origin *o);
/* <iq type='error'> with the mapped condition, an optional <text xml:lang> and an optional
 * payload (added, not consumed) before the <error/>. */
xmpp_stanza_t *iq_error_new(xmpp_ctx_t *ctx, const struct iq_origin *o, enum xerr e,
                            const char *text, xmpp_stanza_t *payload);
/* Returns the xml:lang of a stanza, or NULL. */
const char *stanza_get_lang(xmpp_stanza_t *st);
/* A new child element <name xmlns=ns/>, added to parent; returns it (borrowed) or NULL. */
xmpp_stanza_t *stanza_add_child(xmpp_stanza_t *parent, const char *name, const char *ns);
/* A new child element holding text; returns it (borrowed) or NULL. */
xmpp_stanza_t *stanza_add_text_child(xmpp_stanza_t *parent, const char *name, const char *text);
/* The only element child of st, or NULL if there are none or several. */
xmpp_stanza_t *stanza_single_child(xmpp_stanza_t *st);

/* Room for this many attributes on the caller's stack; more go to the heap. */
#define STANZA_ATTRS_ON_STACK 16
/* The attributes of st as name, value pairs, in stack (2 * STANZA_ATTRS_ON_STACK pointers) or,
 * when there are more, in *heap, which the caller frees. Sets *ret to whichever holds them and
 * returns the number of pairs, or -ENOMEM. */
int stanza_attributes(xmpp_stanza_t *st, const char **stack, const char ***heap, const char ***ret);
/* st, the top element of its tree, as XML text: the same text as xmpp_stanza_to_text(), faster
 * (stanza-text.c). On success *ret (to free()) and *ret_len; -ENOMEM or -EINVAL otherwise. */
int stanza_to_text(xmpp_stanza_t *st, char **ret, size_t *ret_len);

/* Redacts secrets from a traffic log line: the contents of <auth>, <response>, <value>
 * elements and password-like attributes become "***". Returns a new string. */
char *stanza_redact(const char *text);
