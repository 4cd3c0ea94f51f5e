/* SPDX-License-Identifier: MIT */
#include "disco.h"

#include <sys/utsname.h>

#include "agent.h"
#include "caps.h"
#include "jid.h"
#include "stanza.h"

static const char *const agent_features[] = {
    NS_COMMANDS, NS_DISCO_INFO, NS_DISCO_ITEMS,   NS_XDATA, NS_XDATA_VALIDATE,
    NS_PING,     NS_VERSION,    "jabber:iq:last", NS_CAPS,  NULL,
};

static const char *const command_features[] = {NS_COMMANDS, NS_XDATA, NULL};

static const struct caps_identity agent_identity = {"client", "bot", NULL, "adhocd"};

const char *disco_caps_ver(void)
{
        static char *ver;

        /* The agent's features never change while it runs: computed once. */
        if (!ver)
                ver = caps_ver(&agent_identity, 1, agent_features, ELEMENTSOF(agent_features) - 1);
        return ver;
}

/* "NODE#VER" of our own caps names the agent's plain disco#info. */
static bool is_caps_node(const char *node)
{
        const char *ver = disco_caps_ver();
        size_t n = strlen(CAPS_NODE);

        return ver && strncmp(node, CAPS_NODE, n) == 0 && node[n] == '#' &&
               streq(node + n + 1, ver);
}

/* The command the requester may run at node, or NULL: unknown and forbidden look the same. */
static const struct command *visible_command(struct agent *a, const struct requester *r,
                                             const char *node)
{
        const struct command *c = policy_find_command_for(a->policy, node, r);

        if (!c || !command_is_available(c))
                return NULL;
        return policy_allows(a->policy, c, r) ? c : NULL;
}

static xmpp_stanza_t *query_reply(xmpp_stanza_t *iq, const char *ns, const char *node,
                                  xmpp_stanza_t **ret_query)
{
        struct iq_origin o;
        xmpp_stanza_t *reply, *q;

        if (iq_origin_init(&o, iq, stanza_get_lang(iq)) < 0)
                return NULL;
        reply = iq_result_new(xmpp_stanza_get_context(iq), &o);
        iq_origin_done(&o);
        if (!reply)
                return NULL;
        q = stanza_add_child(reply, "query", ns);
        if (!q) {
                xmpp_stanza_release(reply);
                return NULL;
        }
        if (node)
                xmpp_stanza_set_attribute(q, "node", node);
        *ret_query = q;
        return reply;
}

static xmpp_stanza_t *error_reply(xmpp_stanza_t *iq, enum xerr e)
{
        struct iq_origin o;
        xmpp_stanza_t *reply;

        if (iq_origin_init(&o, iq, stanza_get_lang(iq)) < 0)
                return NULL;
        reply = iq_error_new(xmpp_stanza_get_context(iq), &o, e, NULL, NULL);
        iq_origin_done(&o);
        return reply;
}

static int add_identity(xmpp_stanza_t *q, const char *category, const char *type, const char *name)
{
        xmpp_stanza_t *id = stanza_add_child(q, "identity", NULL);

        if (!id)
                return -ENOMEM;
        xmpp_stanza_set_attribute(id, "category", category);
        xmpp_stanza_set_attribute(id, "type", type);
        if (name)
                xmpp_stanza_set_attribute(id, "name", name);
        return 0;
}

static int add_features(xmpp_stanza_t *q, const char *const *features)
{
        for (size_t i = 0; features[i]; i++) {
                xmpp_stanza_t *f = stanza_add_child(q, "feature", NULL);
                if (!f)
                        return -ENOMEM;
                xmpp_stanza_set_attribute(f, "var", features[i]);
        }
        return 0;
}

xmpp_stanza_t *disco_info_reply(struct agent *a, xmpp_stanza_t *iq, xmpp_stanza_t *query)
{
        const char *node = xmpp_stanza_get_attribute(query, "node");
        const char *lang = stanza_get_lang(iq);
        const struct command *c = NULL;
        bool node_is_caps = false;
        xmpp_stanza_t *reply, *q;
        int r;

        if (node && is_caps_node(node))
                node_is_caps = true;
        else if (node && !streq(node, NS_COMMANDS)) {
                const char *from = xmpp_stanza_get_from(iq);
                _cleanup_free_ char *bare = from ? jid_bare(from) : NULL;

                if (bare)
                        c = visible_command(
                            a, &(struct requester){.bare = bare, .groups = agent_groups(a, bare)},
                            node);
                if (!c)
                        return error_reply(iq, XERR_ITEM_NOT_FOUND);
        }
        reply = query_reply(iq, NS_DISCO_INFO, node, &q);
        if (!reply)
                return NULL;
        if (c) {
                r = add_identity(q, "automation", "command-node", i18n_pick(&c->name, lang));
                if (r >= 0)
                        r = add_features(q, command_features);
        } else if (node && !node_is_caps) {
                r = add_identity(q, "automation", "command-list", NULL);
        } else {
                r = add_identity(q, agent_identity.category, agent_identity.type,
                                 agent_identity.name);
                if (r >= 0)
                        r = add_features(q, agent_features);
        }
        if (r < 0) {
                xmpp_stanza_release(reply);
                return NULL;
        }
        return reply;
}

struct items_ctx {
        struct agent *agent;
        struct requester requester;
        const char *self, *lang;
        xmpp_stanza_t *query;
        int error;
};

static void add_item(const struct command *c, void *userdata)
{
        struct items_ctx *ctx = userdata;
        xmpp_stanza_t *item;

        if (ctx->error < 0 || visible_command(ctx->agent, &ctx->requester, c->node) != c)
                return;
        item = stanza_add_child(ctx->query, "item", NULL);
        if (!item) {
                ctx->error = -ENOMEM;
                return;
        }
        xmpp_stanza_set_attribute(item, "jid", strempty(ctx->self));
        xmpp_stanza_set_attribute(item, "node", c->node);
        xmpp_stanza_set_attribute(item, "name", strempty(i18n_pick(&c->name, ctx->lang)));
}

xmpp_stanza_t *disco_items_reply(struct agent *a, xmpp_stanza_t *iq, xmpp_stanza_t *query)
{
        const char *node = xmpp_stanza_get_attribute(query, "node");
        const char *from = xmpp_stanza_get_from(iq);
        _cleanup_free_ char *bare = from ? jid_bare(from) : NULL;
        struct items_ctx ctx = {
            .agent = a,
            .requester = {.bare = bare, .groups = bare ? agent_groups(a, bare) : NULL},
            .self = xconn_bound_jid(a->xc),
            .lang = stanza_get_lang(iq),
        };
        xmpp_stanza_t *reply;

        if (node && !streq(node, NS_COMMANDS))
                return error_reply(iq, XERR_ITEM_NOT_FOUND);
        reply = query_reply(iq, NS_DISCO_ITEMS, node, &ctx.query);
        if (!reply || !node)
                return reply;
        /* Only the commands this requester may run: a stranger gets an empty list. */
        if (bare)
                policy_foreach_command(a->policy, &ctx.requester, add_item, &ctx);
        if (ctx.error < 0) {
                xmpp_stanza_release(reply);
                return NULL;
        }
        return reply;
}

xmpp_stanza_t *version_reply(struct agent *a, xmpp_stanza_t *iq, xmpp_stanza_t *query)
{
        xmpp_stanza_t *reply, *q;

        reply = query_reply(iq, NS_VERSION, NULL, &q);
        if (!reply)
                return NULL;
        /* The OS is not disclosed: it would tell strangers what to attack. */
        if (!stanza_add_text_child(q, "name", "adhocd") ||
            !stanza_add_text_child(q, "version", ADHOCD_VERSION)) {
                xmpp_stanza_release(reply);
                return NULL;
        }
        return reply;
}

xmpp_stanza_t *ping_reply(struct agent *a, xmpp_stanza_t *iq, xmpp_stanza_t *query)
{
        struct iq_origin o;
        xmpp_stanza_t *reply;

        if (iq_origin_init(&o, iq, NULL) < 0)
                return NULL;
        reply = iq_result_new(xmpp_stanza_get_context(iq), &o);
        iq_origin_done(&o);
        return reply;
}
