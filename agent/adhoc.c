/* SPDX-License-Identifier: MIT */
/*
 * The XEP-0050 engine. Every request is checked in the same order: action syntax, permission
 * (identical answers for unknown and forbidden nodes), session ownership, offered actions,
 * then the stage. A YAML command has up to three stages: its form, a confirmation, the action.
 */
#include "adhoc.h"

#include "agent.h"
#include "audit.h"
#include "jid.h"
#include "l10n.h"
#include "log.h"
#include "template.h"

int adhoc_action_from_string(const char *s)
{
        static const char *const names[] = {
            [ADHOC_EXECUTE] = "execute",   [ADHOC_NEXT] = "next",     [ADHOC_PREV] = "prev",
            [ADHOC_COMPLETE] = "complete", [ADHOC_CANCEL] = "cancel",
        };

        if (!s)
                return ADHOC_EXECUTE;
        for (size_t i = 0; i < ELEMENTSOF(names); i++)
                if (streq(s, names[i]))
                        return (int)i;
        return -EINVAL;
}

/* One request being handled: what every reply needs. */
struct ctx {
        struct agent *a;
        xmpp_ctx_t *x;
        struct iq_origin origin;
        const char *node;
        const char *bare;
        const struct command *cmd;
        usec_t start;
};

static void audit(const struct ctx *c, const char *stage, const char *outcome, const char *detail)
{
        audit_log(&(struct audit_event){
            .requester = c->origin.from,
            .node = c->node,
            .stage = stage,
            .outcome = outcome,
            .duration = now_usec(CLOCK_MONOTONIC) - c->start,
            .detail = detail,
        });
}

static void reply_error(const struct ctx *c, enum xerr e, const char *text)
{
        xconn_send_consume(c->a->xc, iq_error_new(c->x, &c->origin, e, text, NULL));
}

/* <command xmlns node sessionid status/>, not attached. */
static xmpp_stanza_t *command_new(xmpp_ctx_t *x, const char *node, const char *sid,
                                  const char *status)
{
        xmpp_stanza_t *cmd = xmpp_stanza_new(x);

        if (!cmd)
                return NULL;
        xmpp_stanza_set_name(cmd, "command");
        xmpp_stanza_set_ns(cmd, NS_COMMANDS);
        xmpp_stanza_set_attribute(cmd, "node", node);
        if (sid)
                xmpp_stanza_set_attribute(cmd, "sessionid", sid);
        xmpp_stanza_set_attribute(cmd, "status", status);
        return cmd;
}

static int command_add_note(xmpp_stanza_t *cmd, enum note_type type, const char *text)
{
        xmpp_stanza_t *n = stanza_add_text_child(cmd, "note", text);

        if (!n)
                return -ENOMEM;
        xmpp_stanza_set_attribute(n, "type", note_type_to_string(type));
        return 0;
}

static int command_add_actions(xmpp_stanza_t *cmd, unsigned offered, unsigned execute)
{
        static const struct {
                unsigned bit;
                const char *name;
        } order[] = {
            {SESSION_ACTION_PREV, "prev"},
            {SESSION_ACTION_NEXT, "next"},
            {SESSION_ACTION_COMPLETE, "complete"},
        };
        xmpp_stanza_t *acts = stanza_add_child(cmd, "actions", NULL);

        if (!acts)
                return -ENOMEM;
        for (size_t i = 0; i < ELEMENTSOF(order); i++) {
                if (!(offered & order[i].bit))
                        continue;
                if (!stanza_add_child(acts, order[i].name, NULL))
                        return -ENOMEM;
                /* Always explicit: a missing execute means "next", which may not be offered. */
                if (execute == order[i].bit)
                        xmpp_stanza_set_attribute(acts, "execute", order[i].name);
        }
        return 0;
}

/* Sends cmd (consumed) in a result, or in an error of kind e when e < _XERR_MAX. */
static void send_command(const struct ctx *c, xmpp_stanza_t *cmd, int e, const char *text)
{
        xmpp_stanza_t *iq;

        if (!cmd) {
                reply_error(c, XERR_INTERNAL, NULL);
                return;
        }
        if (e >= 0 && e < _XERR_MAX) {
                iq = iq_error_new(c->x, &c->origin, (enum xerr)e, text, cmd);
        } else {
                iq = iq_result_new(c->x, &c->origin);
                if (iq)
                        xmpp_stanza_add_child(iq, cmd);
        }
        xmpp_stanza_release(cmd);
        if (!iq) {
                reply_error(c, XERR_INTERNAL, NULL);
                return;
        }
        xconn_send_consume(c->a->xc, iq);
}

static void session_done(struct agent *a, struct session *s)
{
        session_free(s);
        agent_schedule_expiry(a);
}

/* The yes/no form of the confirmation stage, built from the command's confirm template. */
static int confirm_form(const struct ctx *c, const struct session *s, struct form **ret)
{
        _cleanup_(form_freep) struct form *f = NULL;
        _cleanup_free_ char *text = NULL;
        const struct template_vars vars = {
            .values = &s->values,
            .from = s->owner,
            .from_bare = s->owner_bare,
            .node = s->node,
            .lang = s->lang,
        };
        int r;

        r = template_expand(i18n_pick(&c->cmd->confirm, s->lang), &vars, &text);
        if (r < 0)
                return r;
        /* Labels are single lines. */
        for (char *p = text; *p; p++)
                if (*p == '\n' || *p == '\r')
                        *p = ' ';
        f = zalloc(sizeof(*f));
        if (!f)
                return -ENOMEM;
        f->fields = zalloc(sizeof(*f->fields));
        if (!f->fields)
                return -ENOMEM;
        f->n_fields = 1;
        f->fields[0].type = FORM_FIELD_BOOLEAN;
        f->fields[0].required = true;
        f->fields[0].var = strdup("confirm");
        if (!f->fields[0].var || strv_extend(&f->fields[0].defaults, "0") < 0)
                return -ENOMEM;
        r = i18n_set_plain(&f->fields[0].label, text);
        if (r < 0)
                return r;
        r = i18n_set_plain(&f->title, i18n_pick(&c->cmd->name, s->lang));
        if (r < 0)
                return r;
        *ret = TAKE_PTR(f);
        return 0;
}

/* Sends a stage: the form f with the offered actions, and an error note when err is set. */
static void send_stage(const struct ctx *c, struct session *s, const struct form *f,
                       const struct form_values *prefill, unsigned offered, unsigned execute,
                       const char *err, const struct action_result *notes)
{
        xmpp_stanza_t *cmd = command_new(c->x, c->node, s->id, "executing");
        xmpp_stanza_t *x;

        s->offered = offered;
        s->execute = execute;
        if (!cmd)
                goto fail;
        if (err && command_add_note(cmd, NOTE_ERROR, err) < 0)
                goto fail;
        for (size_t i = 0; notes && i < notes->n_notes; i++)
                if (command_add_note(cmd, notes->notes[i].type, notes->notes[i].text) < 0)
                        goto fail;
        if (command_add_actions(cmd, offered, execute) < 0)
                goto fail;
        x = form_build(c->x, f, s->lang, prefill);
        if (!x)
                goto fail;
        xmpp_stanza_add_child(cmd, x);
        xmpp_stanza_release(x);
        send_command(c, cmd, err ? XERR_BAD_PAYLOAD : -1, err);
        return;
fail:
        if (cmd)
                xmpp_stanza_release(cmd);
        reply_error(c, XERR_INTERNAL, NULL);
}

static bool command_has_form(const struct command *cmd)
{
        return cmd->form || cmd->action->build_form;
}

/* The call a backend sees: for build_form as for start. */
static struct action_call call_for(struct agent *a, const struct command *cmd,
                                   const struct session *s)
{
        return (struct action_call){
            .event = a->event,
            .node = s->node,
            .requester = s->owner,
            .requester_bare = s->owner_bare,
            .lang = s->lang,
            .values = &s->values,
            .cfg = cmd->action_cfg,
            .send_message = agent_send_message,
            .agent = a,
        };
}

/* The form of the form stage: the policy's, or one the backend builds now and the session
 * keeps, so that the answer is validated against exactly what was offered. */
static const struct form *stage_form(const struct ctx *c, struct session *s, bool rebuild)
{
        struct action_call call;
        struct form *f = NULL;

        if (!c->cmd->action->build_form)
                return c->cmd->form;
        if (s->form && !rebuild)
                return s->form;
        call = call_for(c->a, c->cmd, s);
        if (c->cmd->action->build_form(c->cmd->action_cfg, &call, &f) < 0)
                return NULL;
        form_free(s->form);
        s->form = f;
        return f;
}

/* Sends the form stage; with keep, the form built earlier is sent again unchanged. */
static void send_form_stage_note(const struct ctx *c, struct session *s,
                                 const struct form_values *prefill, const char *err, bool keep,
                                 const struct action_result *notes)
{
        bool confirm = !i18n_is_empty(&c->cmd->confirm);
        unsigned offered = confirm ? SESSION_ACTION_NEXT : SESSION_ACTION_COMPLETE;
        unsigned execute = offered;
        const struct form *f = stage_form(c, s, !keep);

        if (!f) {
                reply_error(c, XERR_INTERNAL, l10n(s->lang, "The form could not be prepared"));
                return;
        }
        if (c->cmd->action->live && !confirm) {
                offered = SESSION_ACTION_NEXT | SESSION_ACTION_COMPLETE;
                execute = SESSION_ACTION_NEXT;
        }
        s->stage = SESSION_STAGE_FORM;
        send_stage(c, s, f, prefill, offered, execute, err, notes);
}

static void send_form_stage(const struct ctx *c, struct session *s,
                            const struct form_values *prefill, const char *err)
{
        send_form_stage_note(c, s, prefill, err, err != NULL, NULL);
}

static void send_confirm_stage(const struct ctx *c, struct session *s, const char *err)
{
        _cleanup_(form_freep) struct form *f = NULL;
        unsigned offered = SESSION_ACTION_COMPLETE;

        if (confirm_form(c, s, &f) < 0) {
                reply_error(c, XERR_INTERNAL, NULL);
                return;
        }
        if (command_has_form(c->cmd))
                offered |= SESSION_ACTION_PREV;
        s->stage = SESSION_STAGE_CONFIRM;
        send_stage(c, s, f, NULL, offered, SESSION_ACTION_COMPLETE, err, NULL);
}

/* Completes a session with a single note and no form. */
static void send_completed_note(const struct ctx *c, struct session *s, const char *status,
                                enum note_type type, const char *text)
{
        xmpp_stanza_t *cmd = command_new(c->x, c->node, s ? s->id : NULL, status);

        if (cmd && text && command_add_note(cmd, type, text) < 0) {
                xmpp_stanza_release(cmd);
                cmd = NULL;
        }
        send_command(c, cmd, -1, NULL);
}

/* Answers a finished action with its notes and result form. */
static void send_result(const struct ctx *c, const char *sid, const struct action_result *res)
{
        xmpp_stanza_t *cmd;
        bool ok = true;

        if (res->error < 0) {
                enum xerr e = xerr_from_errno(res->error);
                reply_error(c, e, res->n_notes > 0 ? res->notes[0].text : NULL);
                return;
        }
        cmd = command_new(c->x, c->node, sid, "completed");
        if (!cmd) {
                reply_error(c, XERR_INTERNAL, NULL);
                return;
        }
        for (size_t i = 0; i < res->n_notes && ok; i++)
                ok = command_add_note(cmd, res->notes[i].type, res->notes[i].text) >= 0;
        if (ok && res->n_notes == 0 && (!res->form || form_result_is_empty(res->form)))
                ok = command_add_note(cmd, NOTE_INFO, l10n(c->origin.lang, "Done.")) >= 0;
        if (ok && res->form) {
                /* Clients treat any data form as something to fill in: only real results. */
                xmpp_stanza_t *x = form_result_build(c->x, res->form);
                if (x) {
                        xmpp_stanza_add_child(cmd, x);
                        xmpp_stanza_release(x);
                }
        }
        if (!ok) {
                xmpp_stanza_release(cmd);
                cmd = NULL;
        }
        send_command(c, cmd, -1, NULL);
}

static struct ctx request_ctx(struct adhoc_request *req)
{
        return (struct ctx){
            .a = req->agent,
            .x = xconn_ctx(req->agent->xc),
            .origin = req->origin,
            .node = req->session->node,
            .bare = req->session->owner_bare,
            .cmd = req->command,
            .start = req->started,
        };
}

static void request_free(struct adhoc_request *req)
{
        struct agent *a = req->agent;

        if (req->prev)
                req->prev->next = req->next;
        else
                a->requests = req->next;
        if (req->next)
                req->next->prev = req->prev;
        if (req->session) {
                req->session->busy = NULL;
                session_done(a, req->session);
        }
        action_result_free(req->early_result);
        agent_policy_unref(req->policy);
        iq_origin_done(&req->origin);
        free(req);
}

/* The agent lost its connection while the action ran: the iq can no longer be answered, so
 * the outcome is kept and sent as a message once the agent is back online. */
static void send_result_later(const struct ctx *c, const struct action_result *res)
{
        _cleanup_free_ char *body = NULL;
        char *t;

        if (asprintf(&body,
                     l10n(c->origin.lang, "Your command '%s' finished while adhocd was offline:"),
                     c->node) < 0)
                return;
        for (size_t i = 0; i < res->n_notes; i++) {
                if (asprintf(&t, "%s\n[%s] %s", body, note_type_to_string(res->notes[i].type),
                             res->notes[i].text) < 0)
                        return;
                free(body);
                body = t;
        }
        if (res->error < 0) {
                if (asprintf(&t, "%s\n[error] %s", body, strerror(-res->error)) < 0)
                        return;
                free(body);
                body = t;
        }
        /* To the bare JID: the resource that asked is likely gone, and the server delivers to
         * the user's other resources or keeps it offline for them. */
        agent_outbox_add(c->a, c->bare, c->origin.lang, body);
}

static void request_finish(struct adhoc_request *req, struct action_result *res)
{
        struct ctx c = request_ctx(req);

        if (!xconn_is_online(c.a->xc)) {
                send_result_later(&c, res);
                audit(&c, "action", action_result_failed(res) ? "failed" : "completed",
                      "delivered later as a message: the agent was offline");
                action_result_free(res);
                request_free(req);
                return;
        }
        if (req->keep_open && res->error >= 0 && !res->close) {
                struct session *s = TAKE_PTR(req->session);

                /* The remote stays open: refreshed form, the action's notes, executing. */
                s->busy = NULL;
                s->last_used = now_usec(CLOCK_MONOTONIC);
                send_form_stage_note(&c, s, NULL, NULL, false, res);
                audit(&c, "action", action_result_failed(res) ? "failed" : "completed", NULL);
                action_result_free(res);
                request_free(req);
                agent_schedule_expiry(c.a);
                return;
        }
        send_result(&c, req->session->id, res);
        audit(&c, "action", action_result_failed(res) ? "failed" : "completed",
              res->error < 0 ? strerror(-res->error) : NULL);
        action_result_free(res);
        request_free(req);
}

static void on_action_complete(struct action_call *call, struct action_result *res)
{
        struct adhoc_request *req = call->engine_data;

        if (!res) {
                res = action_result_new();
                if (res)
                        res->error = -ENOMEM;
        }
        if (req->starting) {
                /* Answered synchronously: finish once start() has returned. */
                action_result_free(req->early_result);
                req->early_result = res;
                return;
        }
        request_finish(req, res);
}

void adhoc_request_abort(struct adhoc_request *req, const char *why)
{
        struct ctx c = request_ctx(req);

        if (req->command->action->cancel)
                req->command->action->cancel(&req->call);
        reply_error(&c, XERR_SERVICE_UNAVAILABLE, l10n(c.origin.lang, why));
        audit(&c, "action", "aborted", why);
        request_free(req);
}

static void run_action(struct ctx *c, struct session *s, bool keep_open)
{
        struct adhoc_request *req;
        struct agent *a = c->a;
        int r;

        req = zalloc(sizeof(*req));
        if (!req) {
                reply_error(c, XERR_INTERNAL, NULL);
                session_done(a, s);
                return;
        }
        req->agent = a;
        req->origin = c->origin;
        c->origin = (struct iq_origin){0}; /* moved */
        req->session = s;
        req->policy = agent_policy_ref(a->policy);
        req->command = c->cmd;
        req->started = c->start;
        req->keep_open = keep_open;
        req->call = call_for(a, c->cmd, s);
        req->call.complete = on_action_complete;
        req->call.engine_data = req;
        s->busy = req;
        s->stage = SESSION_STAGE_RUNNING;
        req->next = a->requests;
        if (a->requests)
                a->requests->prev = req;
        a->requests = req;

        req->starting = true;
        r = c->cmd->action->start(&req->call);
        req->starting = false;
        if (req->early_result) {
                request_finish(req, TAKE_PTR(req->early_result));
                return;
        }
        if (r < 0) {
                struct action_result *res = action_result_new();

                if (res)
                        res->error = r;
                log_warning_errno(r, "Action of '%s' failed to start: %m", s->node);
                request_finish(req, res);
        }
}

/* Reads a stage's answer against the form f that stage sent. Returns 1 when the requester
 * canceled (answered here, session closed), 0 with the clean values, or < 0 with a reason in
 * *ret_err (and the rejection audited); the raw values stay in submitted for the form again. */
static int read_answer(struct ctx *c, struct session *s, xmpp_stanza_t *x, const struct form *f,
                       const char *stage, struct form_values *submitted, struct form_values *clean,
                       char **ret_err)
{
        _cleanup_free_ char *var = NULL;
        enum form_submit_type type = FORM_SUBMIT;
        int r = 0;

        if (x)
                r = form_parse_submit_lang(x, s->lang, &type, submitted, ret_err);
        if (r >= 0 && type == FORM_CANCEL) {
                send_completed_note(c, s, "canceled", NOTE_INFO, NULL);
                audit(c, stage, "canceled", NULL);
                session_done(c->a, s);
                return 1;
        }
        if (r >= 0 && !f)
                r = -ENOMEM;
        if (r >= 0)
                r = form_validate_lang(f, s->lang, submitted, clean, &var, ret_err);
        if (r < 0) {
                audit(c, stage, "rejected", var ? var : "malformed form");
                if (!*ret_err)
                        *ret_err = strdup(l10n(s->lang, "The form could not be read."));
        }
        return r;
}

/* The form stage was submitted: validate, then confirm or run. */
static void handle_form_submit(struct ctx *c, struct session *s, xmpp_stanza_t *x, unsigned bit)
{
        _cleanup_(form_values_done) struct form_values submitted = {0}, clean = {0};
        _cleanup_free_ char *err = NULL;
        int r;

        r = read_answer(c, s, x, stage_form(c, s, false), "form", &submitted, &clean, &err);
        if (r > 0)
                return;
        if (r < 0) {
                send_form_stage(c, s, &submitted, err);
                return;
        }
        form_values_done(&s->values);
        s->values = clean;
        clean = (struct form_values){0};
        if (!i18n_is_empty(&c->cmd->confirm)) {
                send_confirm_stage(c, s, NULL);
                return;
        }
        run_action(c, s, c->cmd->action->live && bit == SESSION_ACTION_NEXT);
}

static void handle_confirm_submit(struct ctx *c, struct session *s, xmpp_stanza_t *x)
{
        _cleanup_(form_values_done) struct form_values submitted = {0}, clean = {0};
        _cleanup_(form_freep) struct form *f = NULL;
        _cleanup_free_ char *err = NULL;
        int r;

        (void)confirm_form(c, s, &f);
        r = read_answer(c, s, x, f, "confirm", &submitted, &clean, &err);
        if (r > 0)
                return;
        if (r < 0) {
                send_confirm_stage(c, s, err);
                return;
        }
        if (!streq_ptr(form_values_first(&clean, "confirm"), "1")) {
                send_completed_note(c, s, "completed", NOTE_INFO,
                                    l10n(s->lang, "Not confirmed; nothing was done."));
                audit(c, "confirm", "not-confirmed", NULL);
                session_done(c->a, s);
                return;
        }
        run_action(c, s, false);
}

static void start_session(struct ctx *c, int action, const char *lang)
{
        struct session *s;
        int r;

        if (action == ADHOC_CANCEL) {
                send_completed_note(c, NULL, "canceled", NOTE_INFO, NULL);
                return;
        }
        if (action != ADHOC_EXECUTE) {
                reply_error(c, XERR_BAD_ACTION,
                            l10n(c->origin.lang, "A new session starts with execute"));
                return;
        }
        r = session_new(c->a->sessions, c->origin.from, c->node, lang, now_usec(CLOCK_MONOTONIC),
                        &s);
        if (r < 0) {
                audit(c, "execute", "refused",
                      r == -EUSERS  ? "too many sessions of requester"
                      : r == -EBUSY ? "too many sessions"
                                    : strerror(-r));
                reply_error(
                    c, r == -EUSERS || r == -EBUSY ? XERR_RESOURCE_CONSTRAINT : XERR_INTERNAL,
                    r == -EUSERS ? l10n(c->origin.lang,
                                        "You have too many open sessions; finish or cancel one")
                                 : NULL);
                return;
        }
        agent_schedule_expiry(c->a);
        if (command_has_form(c->cmd))
                send_form_stage(c, s, NULL, NULL);
        else if (!i18n_is_empty(&c->cmd->confirm))
                send_confirm_stage(c, s, NULL);
        else
                run_action(c, s, false);
}

/* The action must be one offered in the last <actions/>; execute means the default. */
static int resolve_action(const struct session *s, int action, unsigned *ret_bit)
{
        unsigned bit;

        switch (action) {
        case ADHOC_EXECUTE:
                bit = s->execute;
                break;
        case ADHOC_NEXT:
                bit = SESSION_ACTION_NEXT;
                break;
        case ADHOC_PREV:
                bit = SESSION_ACTION_PREV;
                break;
        case ADHOC_COMPLETE:
                bit = SESSION_ACTION_COMPLETE;
                break;
        default:
                return -EINVAL;
        }
        if (!bit || !(s->offered & bit))
                return -EINVAL;
        *ret_bit = bit;
        return 0;
}

static void continue_session(struct ctx *c, struct session *s, int action, xmpp_stanza_t *command)
{
        xmpp_stanza_t *x = xmpp_stanza_get_child_by_name_and_ns(command, "x", NS_XDATA);
        unsigned bit;

        if (s->busy) {
                if (action == ADHOC_CANCEL) {
                        adhoc_request_abort(s->busy, N_("Canceled by the requester"));
                        send_completed_note(c, NULL, "canceled", NOTE_INFO, NULL);
                        return;
                }
                reply_error(c, XERR_RESOURCE_CONSTRAINT,
                            l10n(c->origin.lang, "The command is still running"));
                return;
        }
        s->last_used = now_usec(CLOCK_MONOTONIC);
        agent_schedule_expiry(c->a);
        if (action == ADHOC_CANCEL) {
                send_completed_note(c, s, "canceled", NOTE_INFO, NULL);
                audit(c, "session", "canceled", NULL);
                session_done(c->a, s);
                return;
        }
        if (resolve_action(s, action, &bit) < 0) {
                audit(c, "session", "rejected", "action not offered");
                reply_error(c, XERR_BAD_ACTION, NULL);
                return;
        }
        if (bit == SESSION_ACTION_PREV) {
                /* Only the confirmation stage offers prev, back to the form. */
                send_form_stage(c, s, &s->values, NULL);
                return;
        }
        switch (s->stage) {
        case SESSION_STAGE_FORM:
                handle_form_submit(c, s, x, bit);
                return;
        case SESSION_STAGE_CONFIRM:
                handle_confirm_submit(c, s, x);
                return;
        case SESSION_STAGE_NEW:
        case SESSION_STAGE_RUNNING:
                reply_error(c, XERR_BAD_ACTION, NULL);
                return;
        }
}

void adhoc_handle(struct agent *a, xmpp_stanza_t *iq, xmpp_stanza_t *command)
{
        const char *sid = xmpp_stanza_get_attribute(command, "sessionid");
        const char *lang = stanza_get_lang(command);
        _cleanup_free_ char *bare = NULL;
        struct session *s = NULL;
        struct ctx c = {
            .a = a,
            .x = xconn_ctx(a->xc),
            .node = xmpp_stanza_get_attribute(command, "node"),
            .start = now_usec(CLOCK_MONOTONIC),
        };
        struct requester req;
        int action;

        if (!lang)
                lang = stanza_get_lang(iq);
        if (lang && !lang_tag_is_valid(lang))
                lang = NULL;
        if (sid) {
                s = session_find(a->sessions, sid);
                /* A session keeps the language of its first request. */
                if (s)
                        lang = s->lang;
        }
        if (iq_origin_init(&c.origin, iq, lang) < 0)
                return;

        bare = c.origin.from ? jid_bare(c.origin.from) : NULL;
        if (!bare || isempty(c.node)) {
                reply_error(&c, XERR_BAD_REQUEST,
                            l10n(c.origin.lang, "A command needs a sender and a node"));
                goto out;
        }
        c.bare = bare;
        action = adhoc_action_from_string(xmpp_stanza_get_attribute(command, "action"));
        if (action < 0) {
                reply_error(&c, XERR_MALFORMED_ACTION, NULL);
                goto out;
        }

        /* Re-checked at every stage: the policy or the roster may have changed. */
        req = (struct requester){.bare = bare, .groups = agent_groups(a, bare)};
        c.cmd = policy_find_command_for(a->policy, c.node, &req);
        if (!c.cmd || !command_is_available(c.cmd) || !policy_allows(a->policy, c.cmd, &req)) {
                audit(&c, sid ? "session" : "execute", "denied", c.cmd ? NULL : "unknown node");
                /* A session of a command the requester may no longer run is closed. */
                if (s && !s->busy && streq(s->owner, c.origin.from))
                        session_done(a, s);
                reply_error(&c, XERR_ITEM_NOT_FOUND, NULL);
                goto out;
        }
        if (!agent_rate_allow(a, bare, c.start)) {
                audit(&c, sid ? "session" : "execute", "refused", "rate limit");
                reply_error(&c, XERR_RESOURCE_CONSTRAINT,
                            l10n(c.origin.lang, "Too many requests; wait a minute and try again"));
                goto out;
        }
        if (!sid) {
                start_session(&c, action, lang);
                goto out;
        }
        if (!s) {
                reply_error(&c, XERR_SESSION_EXPIRED, NULL);
                goto out;
        }
        if (!streq(s->owner, c.origin.from) || !streq(s->node, c.node)) {
                audit(&c, "session", "denied", "session of another requester or node");
                reply_error(&c, XERR_BAD_SESSIONID, NULL);
                goto out;
        }
        continue_session(&c, s, action, command);
out:
        iq_origin_done(&c.origin);
}
