/* SPDX-License-Identifier: MIT */
/*
 * Remote status control, in the spirit of XEP-0146. When presence.control is set, the feature
 * adds the command presence/set-status for those it admits:
 *
 *   presence:
 *     control: admins            # an access-list name, or {groups: [...], jids: [...]}
 *
 * Its form is built each time it is shown and starts with what is published at that moment;
 * submitting it sets a manual show and status for a while or until cleared, or clears it (the
 * computed status comes back). Alerts keep following the machine meanwhile.
 *
 * The command is generated, never written: its action is not listed in builtin_actions[], so a
 * "presence_control:" key in a command is an unknown key.
 */
#include "action.h"
#include "l10n.h"
#include "log.h"
#include "presence-internal.h"

/*
 * The running feature. The engine hands an action only its configuration (owned by the
 * policy), never the feature's state, so the action reaches that state through this pointer.
 * A process runs at most one presence feature: a policy has one presence: section, and a
 * reload stops the old feature before it starts the new one (which then attaches itself).
 */
static void *running;

void presence_control_attach(void *state)
{
        running = state;
}

void presence_control_detach(void *state)
{
        if (running == state)
                running = NULL;
}

struct choice {
        const char *value;
        const char *label; /* msgid */
        usec_t duration;   /* of a duration choice; 0: until cleared */
};

static const struct choice show_choices[] = {
    {"available", N_("Available"), 0}, {"chat", N_("Free for chat"), 0}, {"away", N_("Away"), 0},
    {"xa", N_("Extended away"), 0},    {"dnd", N_("Do not disturb"), 0},
};

static const struct choice duration_choices[] = {
    {"15m", N_("15 minutes"), 15 * 60 * USEC_PER_SEC},
    {"1h", N_("1 hour"), 3600 * USEC_PER_SEC},
    {"4h", N_("4 hours"), 4 * 3600 * USEC_PER_SEC},
    {"24h", N_("1 day"), 24 * 3600 * USEC_PER_SEC},
    {"forever", N_("Until cleared"), 0},
};

#define DEFAULT_SHOW     "away"
#define DEFAULT_DURATION "1h"

/* The form is built for each request, so its texts are in the requester's language. */

static int add_list(struct form *f, const char *var, const char *label, const char *def,
                    const struct choice *choices, size_t n, const char *lang)
{
        struct form_field *field = form_add_field(f, FORM_FIELD_LIST_SINGLE, var, label);

        if (!field || strv_extend(&field->defaults, def) < 0)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                int r =
                    form_field_add_option(field, choices[i].value, l10n(lang, choices[i].label));
                if (r < 0)
                        return r;
        }
        return 0;
}

static int build_fields(struct form *f, const char *now, const char *lang)
{
        struct form_field *field;
        int r;

        r = i18n_set_plain(&f->title, l10n(lang, "Set the status"));
        if (r >= 0)
                r = i18n_set_plain(&f->instructions,
                                   l10n(lang, "A manual status replaces the computed one for a "
                                              "while. Alerts keep following the machine."));
        if (r < 0)
                return r;
        field = form_add_field(f, FORM_FIELD_FIXED, NULL, l10n(lang, "Published now"));
        if (!field || strv_extend(&field->defaults, now) < 0)
                return -ENOMEM;
        r = add_list(f, "show", l10n(lang, "Show"), DEFAULT_SHOW, show_choices,
                     ELEMENTSOF(show_choices), lang);
        if (r < 0)
                return r;
        field = form_add_field(f, FORM_FIELD_TEXT_SINGLE, "status", l10n(lang, "Status text"));
        if (!field || i18n_set_plain(&field->desc, l10n(lang, "One line; empty: no text")) < 0)
                return -ENOMEM;
        r = add_list(f, "duration", l10n(lang, "For"), DEFAULT_DURATION, duration_choices,
                     ELEMENTSOF(duration_choices), lang);
        if (r < 0)
                return r;
        field =
            form_add_field(f, FORM_FIELD_BOOLEAN, "clear",
                           l10n(lang, "Clear the manual status (publish the computed one again)"));
        if (!field || strv_extend(&field->defaults, "0") < 0)
                return -ENOMEM;
        return 0;
}

static int control_build_form(const void *cfg, const struct action_call *call, struct form **ret)
{
        _cleanup_(form_freep) struct form *f = NULL;
        _cleanup_free_ char *now = NULL;
        int r;

        if (!running)
                return -ENODEV;
        r = presence_describe(running, call->lang, &now);
        if (r < 0)
                return r;
        f = zalloc(sizeof(*f));
        if (!f)
                return -ENOMEM;
        r = build_fields(f, now, call->lang);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(f);
        return 0;
}

static const struct choice *find_duration(const char *value)
{
        for (size_t i = 0; i < ELEMENTSOF(duration_choices); i++)
                if (streq_ptr(value, duration_choices[i].value))
                        return &duration_choices[i];
        return NULL;
}

static const struct choice *duration_of(const char *value)
{
        const struct choice *c = find_duration(value);

        /* The form only lets offered values through; without a value, its default (listed). */
        return c ? c : find_duration(DEFAULT_DURATION);
}

/* Applies the submitted values; the result says what is published now. */
static int apply(const struct action_call *call, struct action_result *res)
{
        const char *show = form_values_first(call->values, "show"),
                   *text = form_values_first(call->values, "status"),
                   *dur_value = form_values_first(call->values, "duration");
        const struct choice *dur = duration_of(dur_value);
        _cleanup_free_ char *now = NULL;
        int r;

        if (streq_ptr(form_values_first(call->values, "clear"), "1")) {
                presence_clear_manual(running);
                log_info("presence: %s cleared the manual status", call->requester_bare);
        } else {
                r = presence_set_manual(running, show ? show : DEFAULT_SHOW, text, dur->duration);
                if (r == -EINVAL) {
                        res->error = r;
                        return action_result_add_note(
                            res, NOTE_ERROR, "%s",
                            l10n(call->lang, "Status text: at most 1024 bytes of one-line text"));
                }
                if (r < 0)
                        return r;
                log_info("presence: %s set the status to %s '%s' (%s)", call->requester_bare,
                         show ? show : DEFAULT_SHOW, strempty(text), dur->label);
        }
        r = presence_describe(running, call->lang, &now);
        if (r < 0)
                return r;
        return action_result_add_note(res, NOTE_INFO, l10n(call->lang, "Now published: %s"), now);
}

static int control_start(struct action_call *call)
{
        _cleanup_(action_result_freep) struct action_result *res = action_result_new();
        int r;

        if (!res)
                return -ENOMEM;
        if (!running) {
                /* Hidden while nothing runs; only a request racing a reload gets here. */
                res->error = -EAGAIN;
                r = action_result_add_note(res, NOTE_ERROR, "%s",
                                           l10n(call->lang, "Presence monitoring is not running"));
        } else {
                r = apply(call, res);
        }
        if (r < 0)
                return r;
        action_call_complete(call, TAKE_PTR(res));
        return 0;
}

static bool control_available(const void *cfg)
{
        return running != NULL;
}

static int control_parse(const struct ynode *n, const struct form *form, void **ret_cfg,
                         struct diags *d)
{
        return ynode_error(n, d, "this action is only generated by presence.control");
}

const struct action_ops presence_control_action = {
    .key = "presence_control",
    .parse = control_parse,
    .start = control_start,
    .build_form = control_build_form,
    .available = control_available,
};

int presence_control_add_command(const struct presence_config *c, const struct ynode *where,
                                 struct command_sink *sink)
{
        _cleanup_(i18n_done) struct i18n name = {0};
        struct command_spec spec = {
            .node = PRESENCE_CONTROL_NODE,
            .name = &name,
            .allow_access = &c->control,
            .action = &presence_control_action,
            .where = where,
        };
        int r;

        r = l10n_i18n(&name, N_("Set status"));
        if (r < 0)
                return r;
        return command_sink_add(sink, &spec);
}
