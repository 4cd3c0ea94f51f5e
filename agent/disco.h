/* SPDX-License-Identifier: MIT */
#pragma once

#include <strophe.h>

struct agent;

/* Service discovery (XEP-0030), software version (XEP-0092) and ping (XEP-0199) answers.
 * Each returns the reply stanza (caller sends and releases) or NULL on OOM. */
xmpp_stanza_t *disco_info_reply(struct agent *a, xmpp_stanza_t *iq, xmpp_stanza_t *query);
xmpp_stanza_t *disco_items_reply(struct agent *a, xmpp_stanza_t *iq, xmpp_stanza_t *query);
xmpp_stanza_t *version_reply(struct agent *a, xmpp_stanza_t *iq, xmpp_stanza_t *query);
xmpp_stanza_t *ping_reply(struct agent *a, xmpp_stanza_t *iq, xmpp_stanza_t *query);
/* The XEP-0115 verification string of the agent's disco#info (NULL on OOM). */
const char *disco_caps_ver(void);
