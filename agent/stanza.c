/* SPDX-License-Identifier: MIT */
#include "stanza.h"

#include <stdio.h>

#include "l10n.h"

static const struct {
        const char *type;
        const char *condition;
        const char *app;  /* child in NS_COMMANDS, or NULL */
        const char *text; /* default text, an l10n() msgid */
} xerr_table[_XERR_MAX] = {
    [XERR_BAD_REQUEST] = {"modify", "bad-request", NULL, N_("Malformed request")},
    [XERR_ITEM_NOT_FOUND] = {"cancel", "item-not-found", NULL, N_("No such command")},
    [XERR_FORBIDDEN] = {"auth", "forbidden", NULL, N_("Not allowed")},
    [XERR_MALFORMED_ACTION] = {"modify", "bad-request", "malformed-action", N_("Unknown action")},
    [XERR_BAD_ACTION] = {"modify", "bad-request", "bad-action",
                         N_("This action is not available at this stage")},
    [XERR_BAD_LOCALE] = {"modify", "bad-request", "bad-locale", N_("Unsupported language")},
    [XERR_BAD_PAYLOAD] = {"modify", "bad-request", "bad-payload", N_("Invalid form data")},
    [XERR_BAD_SESSIONID] = {"modify", "bad-request", "bad-sessionid",
                            N_("This session belongs to someone else")},
    [XERR_SESSION_EXPIRED] = {"cancel", "not-allowed", "session-expired",
                              N_("The session has expired or does not exist")},
    [XERR_RESOURCE_CONSTRAINT] = {"wait", "resource-constraint", NULL,
                                  N_("Too busy; try again later")},
    [XERR_SERVICE_UNAVAILABLE] = {"cancel", "service-unavailable", NULL, NULL},
    [XERR_FEATURE_NOT_IMPLEMENTED] = {"cancel", "feature-not-implemented", NULL, NULL},
    [XERR_NOT_ALLOWED] = {"cancel", "not-allowed", NULL, N_("Not allowed")},
    [XERR_INTERNAL] = {"cancel", "internal-server-error", NULL, N_("Internal error")},
};

enum xerr xerr_from_errno(int r)
{
        switch (r) {
        case -EBUSY:
        case -EAGAIN:
        case -EUSERS:
        case -ENOSPC:
        case -EMFILE:
        case -ENFILE:
                return XERR_RESOURCE_CONSTRAINT;
        case -EINVAL:
        case -ERANGE:
        case -EBADMSG:
                return XERR_BAD_PAYLOAD;
        case -EPERM:
        case -EACCES:
                return XERR_FORBIDDEN;
        case -ENOENT:
                return XERR_ITEM_NOT_FOUND;
        case -EOPNOTSUPP:
                return XERR_FEATURE_NOT_IMPLEMENTED;
        default:
                return XERR_INTERNAL;
        }
}

int iq_origin_init(struct iq_origin *o, xmpp_stanza_t *iq, const char *lang)
{
        const char *from = xmpp_stanza_get_from(iq);
        const char *id = xmpp_stanza_get_id(iq);

        *o = (struct iq_origin){0};
        o->from = strdup_or_null(from);
        o->id = strdup_or_null(id);
        o->lang = strdup_or_null(lang);
        if ((from && !o->from) || (id && !o->id) || (lang && !o->lang)) {
                iq_origin_done(o);
                return -ENOMEM;
        }
        return 0;
}

void iq_origin_done(struct iq_origin *o)
{
        free(o->from);
        free(o->id);
        free(o->lang);
        *o = (struct iq_origin){0};
}

static xmpp_stanza_t *iq_reply_new(xmpp_ctx_t *ctx, const struct iq_origin *o, const char *type)
{
        xmpp_stanza_t *iq = xmpp_iq_new(ctx, type, o->id ? o->id : "");

        if (!iq)
                return NULL;
        if (o->from)
                xmpp_stanza_set_to(iq, o->from);
        if (o->lang)
                xmpp_stanza_set_attribute(iq, "xml:lang", o->lang);
        return iq;
}

xmpp_stanza_t *iq_result_new(xmpp_ctx_t *ctx, const struct iq_origin *o)
{
        return iq_reply_new(ctx, o, "result");
}

xmpp_stanza_t *stanza_add_child(xmpp_stanza_t *parent, const char *name, const char *ns)
{
        xmpp_stanza_t *c = xmpp_stanza_new(xmpp_stanza_get_context(parent));

        if (!c)
                return NULL;
        xmpp_stanza_set_name(c, name);
        if (ns)
                xmpp_stanza_set_ns(c, ns);
        xmpp_stanza_add_child(parent, c);
        xmpp_stanza_release(c); /* the parent holds the reference now */
        return c;
}

xmpp_stanza_t *stanza_add_text_child(xmpp_stanza_t *parent, const char *name, const char *text)
{
        xmpp_stanza_t *c = stanza_add_child(parent, name, NULL);
        xmpp_stanza_t *t;

        if (!c)
                return NULL;
        t = xmpp_stanza_new(xmpp_stanza_get_context(parent));
        if (!t)
                return NULL;
        xmpp_stanza_set_text(t, strempty(text));
        xmpp_stanza_add_child(c, t);
        xmpp_stanza_release(t);
        return c;
}

xmpp_stanza_t *iq_error_new(xmpp_ctx_t *ctx, const struct iq_origin *o, enum xerr e,
                            const char *text, xmpp_stanza_t *payload)
{
        xmpp_stanza_t *iq = iq_reply_new(ctx, o, "error");
        xmpp_stanza_t *err, *c;

        if (!iq)
                return NULL;
        if (payload)
                xmpp_stanza_add_child(iq, payload);
        err = stanza_add_child(iq, "error", NULL);
        if (!err)
                goto fail;
        xmpp_stanza_set_type(err, xerr_table[e].type);
        if (!stanza_add_child(err, xerr_table[e].condition, NS_STANZAS))
                goto fail;
        if (xerr_table[e].app && !stanza_add_child(err, xerr_table[e].app, NS_COMMANDS))
                goto fail;
        if (!text)
                text = l10n(o->lang, xerr_table[e].text);
        if (text) {
                c = stanza_add_text_child(err, "text", text);
                if (!c)
                        goto fail;
                xmpp_stanza_set_ns(c, NS_STANZAS);
        }
        return iq;
fail:
        xmpp_stanza_release(iq);
        return NULL;
}

const char *stanza_get_lang(xmpp_stanza_t *st)
{
        /* libstrophe's parser drops the "xml:" prefix of received attributes. */
        const char *l = xmpp_stanza_get_attribute(st, "xml:lang");

        if (!l)
                l = xmpp_stanza_get_attribute(st, "lang");
        return isempty(l) ? NULL : l;
}

xmpp_stanza_t *stanza_single_child(xmpp_stanza_t *st)
{
        xmpp_stanza_t *found = NULL;

        for (xmpp_stanza_t *c = xmpp_stanza_get_children(st); c; c = xmpp_stanza_get_next(c)) {
                if (!xmpp_stanza_is_tag(c))
                        continue;
                if (found)
                        return NULL;
                found = c;
        }
        return found;
}

/* Element names whose text content is secret or may be (form values). */
static bool redacted_name(const char *name, size_t len)
{
        static const char *const names[] = {"auth", "response", "value", "password", NULL};

        for (size_t i = 0; names[i]; i++)
                if (strlen(names[i]) == len && memcmp(names[i], name, len) == 0)
                        return true;
        return false;
}

char *stanza_redact(const char *text)
{
        char *buf = NULL;
        size_t len = 0;
        const char *p = text;
        FILE *f;

        f = open_memstream(&buf, &len);
        if (!f)
                return NULL;
        while (*p) {
                const char *lt = strchr(p, '<'), *name, *gt, *end;
                size_t n;
                char close[64];

                if (!lt) {
                        fputs(p, f);
                        break;
                }
                fwrite(p, 1, (size_t)(lt - p), f);
                name = lt + 1;
                n = strcspn(name, " \t\r\n/>");
                /* Skip a namespace prefix ("sasl:auth"). */
                for (const char *c = memchr(name, ':', n); c; c = NULL) {
                        n -= (size_t)(c + 1 - name);
                        name = c + 1;
                }
                gt = strchr(lt, '>');
                if (!gt || *name == '/' || !redacted_name(name, n) || gt[-1] == '/') {
                        fwrite(lt, 1, gt ? (size_t)(gt - lt + 1) : strlen(lt), f);
                        p = gt ? gt + 1 : lt + strlen(lt);
                        continue;
                }
                snprintf(close, sizeof(close), "%.*s>", (int)n, name);
                fwrite(lt, 1, (size_t)(gt - lt + 1), f);
                end = gt + 1;
                /* Find "</[prefix:]name>". */
                for (const char *q = strstr(end, "</"); q; q = strstr(q + 2, "</")) {
                        const char *qn = q + 2, *colon = strchr(qn, ':'), *qgt = strchr(qn, '>');
                        if (colon && qgt && colon < qgt)
                                qn = colon + 1;
                        if (strncmp(qn, close, strlen(close)) == 0) {
                                end = q;
                                break;
                        }
                }
                if (end == gt + 1 && strncmp(end, "</", 2) != 0) {
                        /* No closing tag in this chunk: hide everything that follows. */
                        fputs("***", f);
                        p = end + strlen(end);
                        continue;
                }
                if (end > gt + 1)
                        fputs("***", f);
                p = end;
        }
        if (fclose(f) != 0) {
                free(buf);
                return NULL;
        }
        return buf;
}
