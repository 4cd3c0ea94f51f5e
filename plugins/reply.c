/* SPDX-License-Identifier: MIT */
/*
 * The "reply:" action: answers with a fixed note (a template, possibly per language) and,
 * with echo: true, a result form listing the submitted fields. It does no work, which makes
 * it the reference backend for the engine's tests and benchmarks.
 *
 *   reply: "Done, {from}."
 *   reply: {note: {en: Done, fr: Fait}, type: info, echo: true}
 */
#include "plugins.h"
#include "template.h"

struct reply_config {
        struct i18n note;
        enum note_type type;
        bool echo;
        usec_t delay; /* answer after this long: lets tests and demos show a slow action */
};

static void reply_free_cfg(void *p)
{
        struct reply_config *c = p;

        if (!c)
                return;
        i18n_done(&c->note);
        free(c);
}

static int reply_check_templates(const struct reply_config *c, const struct form *form,
                                 const struct ynode *n, struct diags *d)
{
        int r = 0;

        for (size_t i = 0; i < c->note.n; i++)
                if (template_check(c->note.v[i].text, form, false, n, d) < 0)
                        r = -EINVAL;
        return r;
}

static int reply_parse(const struct ynode *n, const struct form *form, void **ret_cfg,
                       struct diags *d)
{
        static const char *const keys[] = {"note", "type", "echo", "delay", NULL};
        struct reply_config *c;
        const struct ynode *note = n;
        int r = 0;

        c = zalloc(sizeof(*c));
        if (!c)
                return -ENOMEM;

        /* A map with any of these keys is the long form; any other map is a note per language. */
        if (n->type == YNODE_MAP && (ynode_get(n, "note") || ynode_get(n, "echo") ||
                                     ynode_get(n, "type") || ynode_get(n, "delay"))) {
                const struct ynode *t = ynode_get(n, "type");

                if (ynode_check_keys(n, keys, d) < 0)
                        r = -EINVAL;
                note = ynode_get(n, "note");
                if (ynode_get(n, "echo") && ynode_bool(ynode_get(n, "echo"), &c->echo, d) < 0)
                        r = -EINVAL;
                if (ynode_get(n, "delay") &&
                    ynode_duration(ynode_get(n, "delay"), &c->delay, d) < 0)
                        r = -EINVAL;
                if (t) {
                        _cleanup_free_ char *s = NULL;
                        if (ynode_string(t, &s, d) < 0)
                                r = -EINVAL;
                        else if (streq(s, "info"))
                                c->type = NOTE_INFO;
                        else if (streq(s, "warn"))
                                c->type = NOTE_WARN;
                        else if (streq(s, "error"))
                                c->type = NOTE_ERROR;
                        else
                                r = ynode_error(t, d, "note type must be info, warn or error");
                }
        }
        if (note && i18n_from_ynode(note, &c->note, d) < 0)
                r = -EINVAL;
        if (r >= 0 && i18n_is_empty(&c->note) && !c->echo)
                r = ynode_error(n, d, "reply: needs a note or echo: true");
        if (r >= 0)
                r = reply_check_templates(c, form, n, d);
        if (r < 0) {
                reply_free_cfg(c);
                return r;
        }
        *ret_cfg = c;
        return 0;
}

static int reply_echo(const struct form_values *vals, struct form_result *res)
{
        for (size_t i = 0; vals && i < vals->n; i++) {
                const struct form_value *v = &vals->v[i];
                char *masked[] = {(char *)"********", NULL};
                int r;

                /* Secrets are never echoed back, not even to their sender. */
                r = form_result_add_field(res, v->var, v->var, FORM_FIELD_TEXT_MULTI,
                                          v->secret ? masked : v->values);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int reply_build(struct action_call *call, struct action_result **ret)
{
        const struct reply_config *c = call->cfg;
        _cleanup_(action_result_freep) struct action_result *res = NULL;
        const struct template_vars vars = action_call_vars(call);
        int r;

        res = action_result_new();
        if (!res)
                return -ENOMEM;
        if (!i18n_is_empty(&c->note)) {
                _cleanup_free_ char *text = NULL;

                r = template_expand(i18n_pick(&c->note, call->lang), &vars, &text);
                if (r < 0)
                        return r;
                r = action_result_add_note(res, c->type, "%s", text);
                if (r < 0)
                        return r;
        }
        if (c->echo) {
                res->form = form_result_new();
                if (!res->form)
                        return -ENOMEM;
                r = reply_echo(call->values, res->form);
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(res);
        return 0;
}

static int reply_on_delay(sd_event_source *s, uint64_t usec, void *userdata)
{
        struct action_call *call = userdata;
        struct action_result *res = NULL;
        int r;

        call->userdata = sd_event_source_unref(call->userdata);
        r = reply_build(call, &res);
        if (r < 0) {
                res = action_result_new();
                if (!res)
                        return 0; /* the engine's own timeout will answer */
                res->error = r;
        }
        action_call_complete(call, res);
        return 0;
}

static int reply_start(struct action_call *call)
{
        const struct reply_config *c = call->cfg;
        struct action_result *res = NULL;
        int r;

        if (c->delay > 0)
                return sd_event_add_time_relative(call->event, (sd_event_source **)&call->userdata,
                                                  CLOCK_MONOTONIC, c->delay, 0, reply_on_delay,
                                                  call);
        r = reply_build(call, &res);
        if (r < 0)
                return r;
        action_call_complete(call, res);
        return 0;
}

static void reply_cancel(struct action_call *call)
{
        call->userdata = sd_event_source_disable_unref(call->userdata);
}

const struct action_ops reply_action = {
    .key = "reply",
    .parse = reply_parse,
    .free_cfg = reply_free_cfg,
    .start = reply_start,
    .cancel = reply_cancel,
};
